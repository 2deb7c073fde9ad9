//! Engine replies as Telegram messages: HTML parse mode (only `<>&` need escaping, so phones,
//! dates and dots are safe), the table in `<pre>`, within Telegram's 4096 characters, and the
//! actions as an inline keyboard.

use agent_chatops::{Action, Reply, ReplyKind};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};
use teloxide::utils::html::escape;

/// Telegram's limit on a message's text. Counted here in UTF-16 code units of the HTML source,
/// which is never less than what Telegram counts (the text after entity parsing).
pub const MESSAGE_LIMIT: usize = 4096;

/// Telegram's limit on `callback_data`, in bytes.
pub const CALLBACK_DATA_LIMIT: usize = 64;

/// Telegram's limit on the text of a callback query's answer.
pub const ALERT_LIMIT: usize = 200;

/// Buttons per keyboard row (Prev | Next, Confirm | Cancel).
const BUTTONS_PER_ROW: usize = 2;

/// How a reply shows that it was cut.
const ELLIPSIS: &str = "…";

/// The longest the title or the footer may be when a reply must be cut.
const EDGE_BUDGET: usize = 512;

/// Length as Telegram counts it (UTF-16 code units).
pub fn telegram_len(text: &str) -> usize {
    text.encode_utf16().count()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Bold,
    Italic,
    Pre,
}

impl Style {
    const fn tags(self) -> (&'static str, &'static str) {
        match self {
            Self::Plain => ("", ""),
            Self::Bold => ("<b>", "</b>"),
            Self::Italic => ("<i>", "</i>"),
            Self::Pre => ("<pre>", "</pre>"),
        }
    }
}

/// A block of the message: plain text and how it is shown.
#[derive(Debug, Clone)]
struct Block {
    style: Style,
    text: String,
}

impl Block {
    fn new(style: Style, text: impl Into<String>) -> Self {
        Self {
            style,
            text: text.into(),
        }
    }

    fn render(&self) -> String {
        let (open, close) = self.style.tags();
        format!("{open}{}{close}", escape(&self.text))
    }

    /// The block cut to at most `budget` UTF-16 units, tags included, marked with an
    /// ellipsis; cuts fall between characters of the plain text (never inside an escape or a
    /// tag) and, in a `<pre>` table, after a whole row when one fits. `None` when nothing fits.
    fn cut(&self, budget: usize) -> Option<String> {
        let (open, close) = self.style.tags();
        let overhead = telegram_len(open) + telegram_len(close) + telegram_len(ELLIPSIS);
        let room = budget.checked_sub(overhead)?;
        if self.style == Style::Pre {
            let mut body = String::new();
            let mut used = 0;
            for line in self.text.lines() {
                let piece = format!("{}\n", escape(line));
                let len = telegram_len(&piece);
                if used + len > room {
                    break;
                }
                used += len;
                body.push_str(&piece);
            }
            if !body.is_empty() {
                return Some(format!("{open}{body}{ELLIPSIS}{close}"));
            }
        }
        let mut body = String::new();
        let mut used = 0;
        for c in self.text.chars() {
            let piece = escape(c.encode_utf8(&mut [0u8; 4]));
            let len = telegram_len(&piece);
            if used + len > room {
                break;
            }
            used += len;
            body.push_str(&piece);
        }
        if body.trim().is_empty() {
            return None;
        }
        Some(format!("{open}{body}{ELLIPSIS}{close}"))
    }
}

/// A mark before the title, so a refusal or an error reads as one at a glance.
fn icon(kind: ReplyKind) -> &'static str {
    match kind {
        ReplyKind::Refused => "⛔ ",
        ReplyKind::Error => "⚠️ ",
        ReplyKind::Done => "✅ ",
        ReplyKind::Preview => "❓ ",
        ReplyKind::Page | ReplyKind::Info => "",
    }
}

fn blocks(reply: &Reply) -> (Block, Vec<Block>, Option<Block>) {
    let title = Block::new(Style::Bold, format!("{}{}", icon(reply.kind), reply.title));
    let mut middle = Vec::new();
    if let Some(summary) = &reply.summary {
        middle.push(Block::new(Style::Plain, summary.clone()));
    }
    if let Some(table) = &reply.table {
        middle.push(Block::new(Style::Pre, table.to_monospace()));
    }
    for line in &reply.lines {
        middle.push(Block::new(Style::Plain, line.clone()));
    }
    let footer = reply
        .footer
        .as_ref()
        .map(|footer| Block::new(Style::Italic, footer.clone()));
    (title, middle, footer)
}

/// The reply as the text of a message in HTML parse mode, within [`MESSAGE_LIMIT`].
pub fn html(reply: &Reply) -> String {
    html_within(reply, MESSAGE_LIMIT)
}

/// The reply in HTML within `limit` UTF-16 units: the title (bold), the summary, the table
/// in `<pre>`, the lines, the footer (italic). When it is too long, the title and the footer
/// stay and the middle is cut (at a table row when possible), marked with an ellipsis.
pub fn html_within(reply: &Reply, limit: usize) -> String {
    let (title, middle, footer) = blocks(reply);
    let mut all = vec![title.render()];
    all.extend(middle.iter().map(Block::render));
    all.extend(footer.iter().map(Block::render));
    let full = all.join("\n");
    if telegram_len(&full) <= limit {
        return full;
    }

    let edge = EDGE_BUDGET.min(limit / 4);
    let fit_edge = |block: &Block| {
        let rendered = block.render();
        if telegram_len(&rendered) <= edge {
            Some(rendered)
        } else {
            block.cut(edge)
        }
    };
    let head = fit_edge(&title).unwrap_or_default();
    let tail = footer.as_ref().and_then(fit_edge);
    let mut parts = vec![head];
    let reserved = parts.iter().map(|p| telegram_len(p)).sum::<usize>()
        + tail.as_ref().map_or(0, |t| telegram_len(t) + 1);
    let mut room = limit.saturating_sub(reserved);
    for block in &middle {
        // Each block costs its text plus the newline before it.
        let rendered = block.render();
        let cost = telegram_len(&rendered) + 1;
        if cost <= room {
            room -= cost;
            parts.push(rendered);
            continue;
        }
        match block.cut(room.saturating_sub(1)) {
            Some(cut) => parts.push(cut),
            None if room > telegram_len(ELLIPSIS) => parts.push(ELLIPSIS.to_string()),
            None => {}
        }
        break;
    }
    parts.extend(tail);
    parts.join("\n")
}

/// The inline keyboard of the reply's actions, two buttons a row; `None` without actions.
/// An action whose data Telegram would refuse (empty or over 64 bytes) is left out and logged.
pub fn keyboard(actions: &[Action]) -> Option<InlineKeyboardMarkup> {
    let buttons: Vec<InlineKeyboardButton> = actions
        .iter()
        .filter(|action| {
            let ok = !action.data.is_empty() && action.data.len() <= CALLBACK_DATA_LIMIT;
            if !ok {
                tracing::error!(
                    label = %action.label,
                    bytes = action.data.len(),
                    "an action's data does not fit Telegram's callback data; button left out"
                );
            }
            ok
        })
        .map(|action| InlineKeyboardButton::callback(action.label.clone(), action.data.clone()))
        .collect();
    if buttons.is_empty() {
        return None;
    }
    let rows: Vec<Vec<InlineKeyboardButton>> = buttons
        .chunks(BUTTONS_PER_ROW)
        .map(<[InlineKeyboardButton]>::to_vec)
        .collect();
    Some(InlineKeyboardMarkup::new(rows))
}

/// `text` cut to `max` characters, ending with an ellipsis when cut.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push_str(ELLIPSIS);
    out
}

/// A reply as the plain text of a callback query's answer (a toast or an alert): the title
/// and the lines, within Telegram's 200 characters.
pub fn alert_text(reply: &Reply) -> String {
    let mut parts = vec![reply.title.clone()];
    parts.extend(reply.lines.iter().cloned());
    clip(&parts.join("\n"), ALERT_LIMIT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use agent_chatops::{ActionStyle, Align, Table};

    fn page(rows: usize, cell: &str) -> Reply {
        let mut reply = Reply::new(ReplyKind::Page, "Numbers of task demo · status=busy");
        reply.summary = Some("By status: busy 12".into());
        reply.table = Some(Table {
            columns: vec![("phone".into(), Align::Left), ("city".into(), Align::Left)],
            rows: (0..rows)
                .map(|i| vec![format!("138****{i:04}"), cell.to_string()])
                .collect(),
        });
        reply.footer = Some(format!("{rows} numbers · page 1/9"));
        reply
    }

    /// Every `&` starts one of the three escapes, and the only tags are ours, balanced.
    fn assert_well_formed(html: &str) {
        for (at, _) in html.match_indices('&') {
            let rest = &html[at..];
            assert!(
                rest.starts_with("&amp;") || rest.starts_with("&lt;") || rest.starts_with("&gt;"),
                "a cut escape at {at}: {}",
                &rest[..rest.len().min(10)]
            );
        }
        let mut stripped = html.to_string();
        for tag in ["b", "i", "pre"] {
            let open = format!("<{tag}>");
            let close = format!("</{tag}>");
            assert_eq!(
                stripped.matches(&open).count(),
                stripped.matches(&close).count(),
                "unbalanced <{tag}> in {html}"
            );
            stripped = stripped.replace(&open, "").replace(&close, "");
        }
        assert!(
            !stripped.contains('<') && !stripped.contains('>'),
            "stray tag characters in {html}"
        );
    }

    #[test]
    fn a_page_reads_well_and_escapes_html() {
        let mut reply = page(2, "A&B <x>");
        reply.lines.push("Filter: keyword=<script>&".into());
        reply.title = "Numbers of task <demo> & co".into();
        let html = html(&reply);
        assert_eq!(
            html,
            "<b>Numbers of task &lt;demo&gt; &amp; co</b>\n\
             By status: busy 12\n\
             <pre>phone        city\n138****0000  A&amp;B &lt;x&gt;\n138****0001  A&amp;B &lt;x&gt;</pre>\n\
             Filter: keyword=&lt;script&gt;&amp;\n\
             <i>2 numbers · page 1/9</i>"
        );
        assert_well_formed(&html);
    }

    #[test]
    fn kinds_are_marked_in_the_title() {
        let refused = Reply::new(ReplyKind::Refused, "Not allowed").line("You may not.");
        assert_eq!(html(&refused), "<b>⛔ Not allowed</b>\nYou may not.");
        let done = Reply::new(ReplyKind::Done, "Reset done");
        assert_eq!(html(&done), "<b>✅ Reset done</b>");
    }

    #[test]
    fn long_tables_are_cut_at_a_row_and_keep_title_and_footer() {
        let reply = page(1000, "Shenzhen & <Guangdong>");
        let html = html(&reply);
        assert!(
            telegram_len(&html) <= MESSAGE_LIMIT,
            "{}",
            telegram_len(&html)
        );
        assert!(
            telegram_len(&html) > MESSAGE_LIMIT - 100,
            "uses the room it has"
        );
        assert!(html.starts_with("<b>Numbers of task demo"), "{html}");
        assert!(html.ends_with("<i>1000 numbers · page 1/9</i>"), "{html}");
        // Cut after a whole row, then the ellipsis, inside the <pre>.
        assert!(html.contains("&lt;Guangdong&gt;\n…</pre>"), "{html}");
        assert_well_formed(&html);
    }

    #[test]
    fn long_lines_are_cut_between_characters_never_inside_an_escape() {
        for filler in ["&", "<>", "a&", "号&", "😀<"] {
            let mut reply = Reply::new(ReplyKind::Info, "Help");
            reply.lines.push(filler.repeat(3000));
            reply.lines.push("never shown".into());
            reply.footer = Some("footer & more".into());
            for limit in [MESSAGE_LIMIT, 100, 37] {
                let html = html_within(&reply, limit);
                assert!(
                    telegram_len(&html) <= limit,
                    "{filler} at {limit}: {}",
                    telegram_len(&html)
                );
                assert!(html.contains('…'), "{html}");
                assert!(!html.contains("never shown"));
                assert_well_formed(&html);
            }
        }
    }

    #[test]
    fn a_huge_title_is_cut_too() {
        let mut reply = Reply::new(ReplyKind::Error, "😀&".repeat(5000));
        reply.footer = Some("x".repeat(5000));
        let html = html(&reply);
        assert!(telegram_len(&html) <= MESSAGE_LIMIT);
        assert!(html.starts_with("<b>⚠️ 😀&amp;"));
        assert_well_formed(&html);
    }

    #[test]
    fn keyboards_put_two_buttons_a_row_and_skip_bad_data() {
        let action = |label: &str, data: &str| Action {
            label: label.into(),
            data: data.into(),
            style: ActionStyle::Secondary,
        };
        assert!(keyboard(&[]).is_none());
        let kb = keyboard(&[action("◀ Prev", "p1"), action("Next ▶", "n1")]).unwrap();
        assert_eq!(kb.inline_keyboard.len(), 1);
        assert_eq!(kb.inline_keyboard[0].len(), 2);
        assert_eq!(kb.inline_keyboard[0][0].text, "◀ Prev");
        let json = serde_json::to_value(&kb).unwrap();
        assert_eq!(json["inline_keyboard"][0][1]["callback_data"], "n1");

        let kb = keyboard(&[
            action("a", "1"),
            action("b", "2"),
            action("c", "3"),
            action("too long", &"x".repeat(65)),
            action("empty", ""),
            action("just fits", &"y".repeat(64)),
        ])
        .unwrap();
        let rows: Vec<Vec<&str>> = kb
            .inline_keyboard
            .iter()
            .map(|row| row.iter().map(|b| b.text.as_str()).collect())
            .collect();
        assert_eq!(rows, [vec!["a", "b"], vec!["c", "just fits"]]);
    }

    #[test]
    fn alerts_fit_200_characters() {
        let reply = Reply::new(ReplyKind::Refused, "Not yours to confirm")
            .line("Only @alice, who asked for this reset, can confirm it.");
        assert_eq!(
            alert_text(&reply),
            "Not yours to confirm\nOnly @alice, who asked for this reset, can confirm it."
        );
        let long = Reply::new(ReplyKind::Error, "号".repeat(500));
        let text = alert_text(&long);
        assert_eq!(text.chars().count(), ALERT_LIMIT);
        assert!(text.ends_with('…'));
    }
}
