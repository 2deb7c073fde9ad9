//! Replies as a transport-neutral model (title, summary, table, lines, footer, actions), and the
//! plain-text rendering every transport starts from.

use std::sync::Arc;

use unicode_width::UnicodeWidthStr;

/// What kind of answer a reply is; transports may style them differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyKind {
    /// A page of numbers.
    Page,
    /// A reset preview waiting for confirmation.
    Preview,
    /// A finished action (reset done, cancelled).
    Done,
    /// Help and other information.
    Info,
    /// The caller may not do this.
    Refused,
    /// Bad input or an upstream failure.
    Error,
}

/// How a button looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionStyle {
    /// Paging and other neutral moves.
    Secondary,
    /// The safe main choice.
    Primary,
    /// A destructive choice (confirm a reset).
    Danger,
}

/// A button: a label and the signed data a press sends back (at most 64 bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// What the button says.
    pub label: String,
    /// The signed token to hand back to [`crate::Engine::press`].
    pub data: String,
    /// How it looks.
    pub style: ActionStyle,
}

/// A suggestion for an option as the user types it (Discord's autocomplete).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// What the user sees.
    pub label: String,
    /// What the option is set to when it is picked.
    pub value: String,
}

/// Column alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// A table: column titles and rows of cells.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    /// Column titles and alignments.
    pub columns: Vec<(String, Align)>,
    /// The rows; each has one cell per column.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The table in a monospace font: columns padded to their widest cell (CJK characters
    /// count double), two spaces apart, no trailing spaces.
    pub fn to_monospace(&self) -> String {
        let widths: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, (title, _))| {
                self.rows
                    .iter()
                    .filter_map(|row| row.get(i))
                    .map(|cell| cell.width())
                    .chain([title.width()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: Vec<&str>| {
            let mut out = String::new();
            for (i, cell) in cells.iter().enumerate() {
                let width = widths.get(i).copied().unwrap_or(0);
                let pad = " ".repeat(width.saturating_sub(cell.width()));
                let align = self.columns.get(i).map_or(Align::Left, |c| c.1);
                if i > 0 {
                    out.push_str("  ");
                }
                match align {
                    Align::Left => {
                        out.push_str(cell);
                        out.push_str(&pad);
                    }
                    Align::Right => {
                        out.push_str(&pad);
                        out.push_str(cell);
                    }
                }
            }
            out.trim_end().to_string()
        };
        let mut lines = vec![line(self.columns.iter().map(|(t, _)| t.as_str()).collect())];
        for row in &self.rows {
            lines.push(line(row.iter().map(String::as_str).collect()));
        }
        lines.join("\n")
    }
}

/// How a transport shows an [`Attachment`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentKind {
    /// A picture shown in the conversation (Telegram `sendPhoto`, a Discord embed's image);
    /// a transport that shows no images (the terminal) writes it as a file.
    Image,
    /// A file to download (Telegram `sendDocument`, a Discord attachment, a file on disk).
    Document,
}

/// Where an attachment's bytes are.
#[derive(Debug, Clone)]
pub enum AttachmentData {
    /// Small content held in memory (a chart).
    Bytes(Arc<[u8]>),
    /// A temporary file (an export), deleted when the last clone of the reply is dropped.
    File(Arc<tempfile::TempPath>),
}

impl AttachmentData {
    /// The content's size in bytes (0 when a file cannot be read).
    pub fn len(&self) -> u64 {
        match self {
            Self::Bytes(bytes) => bytes.len() as u64,
            Self::File(path) => std::fs::metadata(&**path).map_or(0, |m| m.len()),
        }
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole content (a transport's upload reads it once).
    pub fn read(&self) -> std::io::Result<Vec<u8>> {
        match self {
            Self::Bytes(bytes) => Ok(bytes.to_vec()),
            Self::File(path) => std::fs::read(&**path),
        }
    }
}

impl PartialEq for AttachmentData {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Bytes(a), Self::Bytes(b)) => a == b,
            (Self::File(a), Self::File(b)) => a.as_os_str() == b.as_os_str(),
            _ => false,
        }
    }
}

impl Eq for AttachmentData {}

/// A file that goes with a reply: an export, a chart. Its name passes the outbound rule like
/// every text; its content is made by the engine under the same rule (phones masked unless
/// configured otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The file name the user sees (`demo-busy-20261202-1030.csv`).
    pub name: String,
    /// Its media type (`text/csv`, `image/png`).
    pub media_type: &'static str,
    /// How it is shown.
    pub kind: AttachmentKind,
    /// The content.
    pub data: AttachmentData,
}

/// An answer of the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// What kind of answer.
    pub kind: ReplyKind,
    /// One line that says what this is.
    pub title: String,
    /// A line under the title (e.g. counts per status).
    pub summary: Option<String>,
    /// A table (numbers).
    pub table: Option<Table>,
    /// Free text lines.
    pub lines: Vec<String>,
    /// A last line (page x/y, expiry).
    pub footer: Option<String>,
    /// Buttons.
    pub actions: Vec<Action>,
    /// Only the caller should see it: the engine decides (errors, refusals, `/help`, which
    /// names the caller's role), every transport honours it (Discord: an ephemeral reply;
    /// Telegram: the sender's private chat, or an alert for a press).
    pub private: bool,
    /// Files that go with it (an export's parts, a chart), in order.
    pub attachments: Vec<Attachment>,
}

impl Reply {
    /// A reply with a title only.
    pub fn new(kind: ReplyKind, title: impl Into<String>) -> Self {
        Self {
            kind,
            title: title.into(),
            summary: None,
            table: None,
            lines: Vec::new(),
            footer: None,
            actions: Vec::new(),
            private: matches!(kind, ReplyKind::Refused | ReplyKind::Error),
            attachments: Vec::new(),
        }
    }

    /// Adds a text line.
    #[must_use]
    pub fn line(mut self, line: impl Into<String>) -> Self {
        self.lines.push(line.into());
        self
    }

    /// The whole reply as plain text, the table in monospace; without the actions.
    pub fn to_plain_text(&self) -> String {
        let mut parts = vec![self.title.clone()];
        if let Some(summary) = &self.summary {
            parts.push(summary.clone());
        }
        if let Some(table) = &self.table {
            parts.push(table.to_monospace());
        }
        parts.extend(self.lines.iter().cloned());
        if let Some(footer) = &self.footer {
            parts.push(footer.clone());
        }
        parts.join("\n")
    }
}

/// Why a command stops before its answer: the reply that says so (a refusal for lack of a
/// role, input that cannot be used, an unknown task, a failed store or platform).
#[derive(Debug)]
pub(crate) struct Refusal(Box<Reply>);

impl From<Reply> for Refusal {
    fn from(reply: Reply) -> Self {
        Self(Box::new(reply))
    }
}

impl From<Refusal> for Reply {
    fn from(refusal: Refusal) -> Self {
        *refusal.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_cjk_text() {
        let table = Table {
            columns: vec![
                ("phone".into(), Align::Left),
                ("status".into(), Align::Left),
                ("secs".into(), Align::Right),
            ],
            rows: vec![
                vec!["138****4148".into(), "占线/用户正忙".into(), "5".into()],
                vec!["139****0001".into(), "busy".into(), "120".into()],
            ],
        };
        assert_eq!(
            table.to_monospace(),
            "phone        status         secs\n138****4148  占线/用户正忙     5\n139****0001  busy            120"
        );
    }
}
