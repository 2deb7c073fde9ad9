//! A reply as terminal text.

use agent_chatops::{Reply, ReplyKind};

/// The reply's text, then its actions as numbered choices (`[1] Next ▶`).
pub fn render(reply: &Reply, interactive: bool) -> String {
    let mut text = reply.to_plain_text();
    let marker = match reply.kind {
        ReplyKind::Error => Some("error: "),
        ReplyKind::Refused => Some("refused: "),
        _ => None,
    };
    if let Some(marker) = marker {
        text.insert_str(0, marker);
    }
    if !reply.actions.is_empty() {
        let choices: Vec<String> = reply
            .actions
            .iter()
            .enumerate()
            .map(|(i, action)| format!("[{}] {}", i + 1, action.label))
            .collect();
        text.push_str("\n\n");
        text.push_str(&choices.join("   "));
        if interactive {
            text.push_str("   (type a number to press)");
        } else {
            text.push_str("   (run the shell interactively to press these)");
        }
    }
    text
}
