//! Delivering what the engine's watch scheduler posts ([`agent_chatops::watch`]): printed to
//! the terminal while the shell runs interactively, without numbered actions (those belong to
//! the last answer).

use std::sync::Arc;

use agent_chatops::{Caller, Reply, Undelivered, WatchPost};

use crate::render::render;

/// The post as terminal text: the reply without its actions.
pub fn post_text(reply: &Reply) -> String {
    let mut reply = reply.clone();
    reply.actions.clear();
    render(&reply, false)
}

/// Prints each post to stdout.
pub fn watch_post() -> WatchPost {
    Arc::new(|_caller: Caller, reply: Reply| {
        println!("\n{}\n", post_text(&reply));
        Box::pin(async { Ok::<(), Undelivered>(()) })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use agent_chatops::{Action, ActionStyle, ReplyKind};

    #[test]
    fn a_post_is_printed_without_numbered_actions() {
        let mut reply = Reply::new(ReplyKind::Done, "Task demo is done");
        reply.summary = Some("task done: 3 dialled".into());
        reply.actions.push(Action {
            label: "List retryable numbers".into(),
            data: "x".into(),
            style: ActionStyle::Secondary,
        });
        let text = post_text(&reply);
        assert!(text.contains("task done: 3 dialled"), "{text}");
        assert!(!text.contains("[1]"), "{text}");
    }
}
