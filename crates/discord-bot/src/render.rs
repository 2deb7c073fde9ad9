//! A [`Reply`] as a Discord message: one embed (title, summary, the table in a code block, lines,
//! footer) within Discord's limits, and the reply's actions as buttons whose custom ids are the
//! engine's signed tokens.

use agent_chatops::{ActionStyle, Reply, ReplyKind};
use serenity::builder::{
    CreateActionRow, CreateAllowedMentions, CreateButton, CreateEmbed, CreateEmbedFooter,
    CreateInteractionResponseFollowup, CreateInteractionResponseMessage, EditInteractionResponse,
};
use serenity::model::application::ButtonStyle;
use serenity::model::colour::Colour;

/// Characters of an embed title.
pub const TITLE_LIMIT: usize = 256;
/// Characters of an embed description.
pub const DESCRIPTION_LIMIT: usize = 4096;
/// Characters of an embed footer.
pub const FOOTER_LIMIT: usize = 2048;
/// Characters of all the embeds of a message together.
pub const EMBED_TOTAL_LIMIT: usize = 6000;
/// Characters of a button label.
pub const LABEL_LIMIT: usize = 80;
/// Characters of a custom id.
pub const CUSTOM_ID_LIMIT: usize = 100;
/// Buttons per row, and rows per message.
pub const BUTTONS_PER_ROW: usize = 5;
/// Rows per message.
pub const ROWS_LIMIT: usize = 5;

/// One button: label, custom id (the engine's signed token), style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    /// What it says.
    pub label: String,
    /// What a press sends back.
    pub custom_id: String,
    /// How it looks.
    pub style: ButtonStyle,
}

/// A reply laid out for Discord, every part within its limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The embed's title.
    pub title: String,
    /// The embed's description: summary, table (a code block), lines.
    pub description: String,
    /// The embed's footer.
    pub footer: Option<String>,
    /// The embed's colour.
    pub colour: u32,
    /// Rows of buttons.
    pub rows: Vec<Vec<Button>>,
    /// Only the caller should see it.
    pub ephemeral: bool,
}

/// Cuts `text` to at most `limit` characters, ending with `…` when cut.
pub fn clip(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let mut out: String = text.chars().take(limit.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A table cell or line inside a code block cannot close the block.
fn in_code_block(text: &str) -> String {
    text.replace('`', "ˋ")
}

/// Text shown as Discord markdown (embed titles and descriptions) with every markdown character
/// escaped: text that carries a user's input or the platform's words cannot format, break out of
/// a code span, or render a masked link (`[Verify](https://…)`).
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for line in text.split_inclusive('\n') {
        let body = line.trim_start();
        out.push_str(&line[..line.len() - body.len()]);
        // A heading, a list item or a quote at the start of a line.
        if body.starts_with(['#', '-', '>', '+']) {
            out.push('\\');
        }
        for c in body.chars() {
            if matches!(c, '\\' | '*' | '_' | '~' | '`' | '|' | '[' | ']' | '<') {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

fn colour(kind: ReplyKind) -> u32 {
    match kind {
        ReplyKind::Page => 0x5865F2,
        ReplyKind::Preview => 0xE67E22,
        ReplyKind::Done => 0x2ECC71,
        ReplyKind::Info => 0x95A5A6,
        ReplyKind::Refused | ReplyKind::Error => 0xE74C3C,
    }
}

fn description(reply: &Reply, limit: usize) -> String {
    let compose = |rows: Option<usize>| {
        let mut parts: Vec<String> = Vec::new();
        if let Some(summary) = &reply.summary {
            parts.push(escape_markdown(summary));
        }
        if let Some(table) = &reply.table {
            let shown = rows.unwrap_or(table.rows.len()).min(table.rows.len());
            let mut kept = table.clone();
            kept.rows.truncate(shown);
            let mut block = in_code_block(&kept.to_monospace());
            let hidden = table.rows.len() - shown;
            if hidden > 0 {
                block.push_str(&format!("\n… {hidden} more"));
            }
            parts.push(format!("```\n{block}\n```"));
        }
        parts.extend(reply.lines.iter().map(|line| escape_markdown(line)));
        parts.join("\n")
    };
    let mut text = compose(None);
    if let Some(table) = &reply.table {
        // Drop rows from the end until the text fits, rather than cut the code block.
        let mut rows = table.rows.len();
        while text.chars().count() > limit && rows > 0 {
            rows -= 1;
            text = compose(Some(rows));
        }
    }
    clip(&text, limit)
}

fn style(style: ActionStyle) -> ButtonStyle {
    match style {
        ActionStyle::Primary => ButtonStyle::Primary,
        ActionStyle::Secondary => ButtonStyle::Secondary,
        ActionStyle::Danger => ButtonStyle::Danger,
    }
}

/// Lays a reply out for Discord.
pub fn render(reply: &Reply) -> Rendered {
    let title = clip(&escape_markdown(&reply.title), TITLE_LIMIT);
    let footer = reply.footer.as_deref().map(|f| clip(f, FOOTER_LIMIT));
    let used = title.chars().count() + footer.as_deref().map_or(0, |f| f.chars().count());
    let description = description(
        reply,
        DESCRIPTION_LIMIT.min(EMBED_TOTAL_LIMIT.saturating_sub(used)),
    );
    let buttons: Vec<Button> = reply
        .actions
        .iter()
        .filter(|action| {
            let fits = !action.data.is_empty() && action.data.len() <= CUSTOM_ID_LIMIT;
            if !fits {
                tracing::warn!(
                    len = action.data.len(),
                    "an action does not fit a custom id; left out"
                );
            }
            fits
        })
        .take(BUTTONS_PER_ROW * ROWS_LIMIT)
        .map(|action| Button {
            label: clip(&action.label, LABEL_LIMIT),
            custom_id: action.data.clone(),
            style: style(action.style),
        })
        .collect();
    Rendered {
        title,
        description,
        footer,
        colour: colour(reply.kind),
        rows: buttons
            .chunks(BUTTONS_PER_ROW)
            .map(<[Button]>::to_vec)
            .collect(),
        ephemeral: reply.private,
    }
}

impl Rendered {
    /// The embed.
    pub fn embed(&self) -> CreateEmbed {
        let mut embed = CreateEmbed::new()
            .title(&self.title)
            .colour(Colour::new(self.colour));
        if !self.description.is_empty() {
            embed = embed.description(&self.description);
        }
        if let Some(footer) = &self.footer {
            embed = embed.footer(CreateEmbedFooter::new(footer));
        }
        embed
    }

    /// The buttons; an empty list removes a message's buttons.
    pub fn components(&self) -> Vec<CreateActionRow> {
        self.rows
            .iter()
            .map(|row| {
                CreateActionRow::Buttons(
                    row.iter()
                        .map(|b| {
                            CreateButton::new(&b.custom_id)
                                .label(&b.label)
                                .style(b.style)
                        })
                        .collect(),
                )
            })
            .collect()
    }

    /// As the first answer to an interaction (a new message, or the update of the pressed one).
    pub fn message(&self) -> CreateInteractionResponseMessage {
        CreateInteractionResponseMessage::new()
            .embed(self.embed())
            .components(self.components())
            .allowed_mentions(CreateAllowedMentions::new())
            .ephemeral(self.ephemeral)
    }

    /// As a new message in a channel (what the watch scheduler posts).
    pub fn channel_message(&self) -> serenity::builder::CreateMessage {
        serenity::builder::CreateMessage::new()
            .embed(self.embed())
            .components(self.components())
            .allowed_mentions(CreateAllowedMentions::new())
    }

    /// As the edit of the original response (after a deferral).
    pub fn edit(&self) -> EditInteractionResponse {
        EditInteractionResponse::new()
            .embed(self.embed())
            .components(self.components())
            .allowed_mentions(CreateAllowedMentions::new())
    }

    /// As a follow-up message.
    pub fn followup(&self) -> CreateInteractionResponseFollowup {
        CreateInteractionResponseFollowup::new()
            .embed(self.embed())
            .components(self.components())
            .allowed_mentions(CreateAllowedMentions::new())
            .ephemeral(self.ephemeral)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agent_chatops::{Action, Align, Table};

    fn page(rows: usize, cell: &str) -> Reply {
        let mut reply = Reply::new(ReplyKind::Page, "Numbers of task demo · busy");
        reply.summary = Some("By status: busy 42".into());
        reply.table = Some(Table {
            columns: vec![
                ("phone".into(), Align::Left),
                ("status".into(), Align::Left),
            ],
            rows: (0..rows)
                .map(|i| vec![format!("138****{i:04}"), cell.to_string()])
                .collect(),
        });
        reply.footer = Some("42 numbers · page 1/5".into());
        reply.actions = vec![Action {
            label: "Next ▶".into(),
            data: "AbCdEf0123".into(),
            style: ActionStyle::Secondary,
        }];
        reply
    }

    fn json(rendered: &Rendered) -> serde_json::Value {
        serde_json::to_value(rendered.message()).unwrap()
    }

    #[test]
    fn a_page_is_an_embed_with_a_code_block_and_buttons() {
        let rendered = render(&page(2, "busy"));
        assert_eq!(
            rendered.description,
            "By status: busy 42\n```\nphone        status\n138****0000  busy\n138****0001  busy\n```"
        );
        let value = json(&rendered);
        assert_eq!(value["embeds"][0]["title"], "Numbers of task demo · busy");
        assert_eq!(
            value["embeds"][0]["footer"]["text"],
            "42 numbers · page 1/5"
        );
        assert_eq!(
            value["components"][0]["components"][0]["custom_id"],
            "AbCdEf0123"
        );
        assert_eq!(value["components"][0]["components"][0]["style"], 2);
        assert_eq!(value["allowed_mentions"]["parse"], serde_json::json!([]));
        assert!(
            value.get("flags").is_none() || value["flags"] == 0,
            "{value}"
        );
    }

    #[test]
    fn long_tables_lose_rows_not_the_code_block() {
        let long = "x".repeat(60);
        let rendered = render(&page(200, &long));
        let chars = rendered.description.chars().count();
        assert!(chars <= DESCRIPTION_LIMIT, "{chars}");
        assert!(
            rendered.description.ends_with(" more\n```"),
            "{}",
            rendered.description
        );
        let total = rendered.title.chars().count()
            + chars
            + rendered.footer.as_deref().map_or(0, |f| f.chars().count());
        assert!(total <= EMBED_TOTAL_LIMIT);
    }

    #[test]
    fn huge_text_is_clipped_to_every_limit() {
        let mut reply = Reply::new(ReplyKind::Error, "t".repeat(1000));
        reply.lines = vec!["l".repeat(9000)];
        reply.footer = Some("f".repeat(3000));
        let rendered = render(&reply);
        assert_eq!(rendered.title.chars().count(), TITLE_LIMIT);
        assert_eq!(
            rendered.footer.as_deref().unwrap().chars().count(),
            FOOTER_LIMIT
        );
        let total = TITLE_LIMIT + FOOTER_LIMIT + rendered.description.chars().count();
        assert!(total <= EMBED_TOTAL_LIMIT, "{total}");
        assert!(rendered.ephemeral);
        assert_eq!(json(&rendered)["flags"], 64);
    }

    #[test]
    fn backticks_cannot_close_the_table_block_and_actions_become_rows_of_five() {
        let mut reply = page(1, "```@everyone");
        reply.actions = (0..7)
            .map(|i| Action {
                label: format!("b{i}"),
                data: format!("id{i}"),
                style: ActionStyle::Danger,
            })
            .chain([Action {
                label: "too long".into(),
                data: "x".repeat(CUSTOM_ID_LIMIT + 1),
                style: ActionStyle::Primary,
            }])
            .collect();
        let rendered = render(&reply);
        assert_eq!(rendered.description.matches("```").count(), 2);
        assert_eq!(rendered.rows.len(), 2);
        assert_eq!(rendered.rows[0].len(), 5);
        assert_eq!(rendered.rows[1].len(), 2);
        assert!(
            rendered
                .rows
                .iter()
                .flatten()
                .all(|b| b.style == ButtonStyle::Danger)
        );
    }
}
