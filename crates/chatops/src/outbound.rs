//! The outbound rule: every text that leaves the engine for a chat, an audit line or a log field
//! passes [`Outbound`], one masking step (unless `mask_phones = false`).
//!
//! The engine applies it where replies leave it ([`crate::Engine::handle_text`],
//! [`crate::Engine::handle`], [`crate::Engine::press`], [`crate::Engine::help`]) and where audit
//! records are written, so no call site has to remember it: a reply built anywhere in the engine,
//! with the platform's words or the user's input in it, is masked on its way out.

use agent_core::redact::{digit_runs, mask_phones_in};

use crate::access::Caller;
use crate::reply::Reply;

/// One masking step for one request: phone-shaped text, plus what the user typed into
/// `phones:` or `keyword:`, is masked; the caller's own ids (which a stranger needs to ask for
/// access) are kept.
#[derive(Debug, Clone, Default)]
pub struct Outbound {
    mask: bool,
    typed: Vec<String>,
    keep: Vec<String>,
}

impl Outbound {
    /// The rule for a caller; `mask` is `mask_phones`.
    pub fn new(mask: bool, caller: Option<&Caller>) -> Self {
        let keep = caller
            .map(|c| {
                std::iter::once(c.user_id.as_str())
                    .chain(c.chat_id.as_deref())
                    .chain(c.place.as_deref())
                    .chain(c.roles.iter().map(String::as_str))
                    .flat_map(digit_runs)
                    .collect()
            })
            .unwrap_or_default();
        Self {
            mask,
            typed: Vec::new(),
            keep,
        }
    }

    /// Also masks the digit runs of `text` (a `phones:` or `keyword:` value) wherever they appear.
    #[must_use]
    pub fn typed(mut self, text: &str) -> Self {
        self.typed.extend(digit_runs(text));
        self
    }

    /// Whether this rule masks at all.
    pub fn masks(&self) -> bool {
        self.mask
    }

    /// A text on its way out.
    pub fn text(&self, text: &str) -> String {
        if !self.mask {
            return text.to_string();
        }
        if self.keep.is_empty() {
            return mask_phones_in(text, &self.typed);
        }
        // The caller's ids are kept: cut the text around them and mask the rest.
        let mut out = String::new();
        let mut rest = text;
        while let Some((at, id)) = self
            .keep
            .iter()
            .filter(|id| id.len() >= 7)
            .filter_map(|id| find_whole_run(rest, id).map(|at| (at, id)))
            .min_by_key(|(at, _)| *at)
        {
            out.push_str(&mask_phones_in(&rest[..at], &self.typed));
            out.push_str(id);
            rest = &rest[at + id.len()..];
        }
        out.push_str(&mask_phones_in(rest, &self.typed));
        out
    }

    /// A reply on its way out: every text in it (not the actions' signed data).
    pub fn reply(&self, mut reply: Reply) -> Reply {
        if !self.mask {
            return reply;
        }
        reply.title = self.text(&reply.title);
        reply.summary = reply.summary.as_deref().map(|s| self.text(s));
        if let Some(table) = &mut reply.table {
            for (title, _) in &mut table.columns {
                *title = self.text(title);
            }
            for cell in table.rows.iter_mut().flatten() {
                *cell = self.text(cell);
            }
        }
        for line in &mut reply.lines {
            *line = self.text(line);
        }
        reply.footer = reply.footer.as_deref().map(|s| self.text(s));
        for action in &mut reply.actions {
            action.label = self.text(&action.label);
        }
        for attachment in &mut reply.attachments {
            attachment.name = self.text(&attachment.name);
        }
        reply
    }
}

/// Where `run` stands in `text` as a whole run of digits (no digit just before or after).
fn find_whole_run(text: &str, run: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = text[from..].find(run) {
        let at = from + found;
        let before = text[..at].chars().next_back();
        let after = text[at + run.len()..].chars().next();
        let digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit());
        if !digit(before) && !digit(after) {
            return Some(at);
        }
        from = at + run.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Transport;
    use crate::reply::ReplyKind;

    #[test]
    fn every_text_of_a_reply_is_masked_but_the_callers_ids() {
        let caller = Caller::new(Transport::Discord, "284719204817391616");
        let rule = Outbound::new(true, Some(&caller)).typed("3437");
        let reply = Reply::new(ReplyKind::Error, "号码 13934373090 无效")
            .line("You (discord:user:284719204817391616) typed keyword=3437");
        let out = rule.reply(reply);
        assert_eq!(out.title, "号码 139****3090 无效");
        assert_eq!(
            out.lines[0],
            "You (discord:user:284719204817391616) typed keyword=**37"
        );
        let off = Outbound::new(false, Some(&caller));
        assert_eq!(off.text("13934373090"), "13934373090");
    }
}
