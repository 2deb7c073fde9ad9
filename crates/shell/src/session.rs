//! One terminal session: commands and numbered presses in, rendered replies out.

use std::path::{Path, PathBuf};

use agent_chatops::{
    Action, AttachmentData, AttachmentKind, Caller, Engine, Msg, Progress, ProgressUpdate, Reply,
    ReplyKind,
};

use crate::render::render;

/// What a line of input led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Print this; `failed` says the reply was an error or a refusal.
    Print {
        /// The rendered reply.
        text: String,
        /// An error or a refusal.
        failed: bool,
    },
    /// Nothing to do (an empty line).
    Nothing,
    /// The user wants to leave.
    Exit,
}

/// A session: the engine, who is typing, and the actions of the last reply.
#[derive(Debug)]
pub struct Session {
    engine: Engine,
    caller: Caller,
    actions: Vec<Action>,
    interactive: bool,
    out_dir: PathBuf,
}

impl Session {
    /// A session for `caller`; `interactive` sessions offer numbered presses.
    pub fn new(engine: Engine, caller: Caller, interactive: bool) -> Self {
        Self {
            engine,
            caller,
            actions: Vec::new(),
            interactive,
            out_dir: PathBuf::from("."),
        }
    }

    /// Writes the files of replies (exports) into `dir` instead of the current folder.
    #[must_use]
    pub fn with_out_dir(mut self, dir: PathBuf) -> Self {
        self.out_dir = dir;
        self
    }

    /// Who is typing.
    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    /// Handles one line: a command, the number of an action of the last reply, `exit`.
    pub async fn line(&mut self, line: &str) -> Outcome {
        let line = line.trim();
        if line.is_empty() {
            return Outcome::Nothing;
        }
        if matches!(line, "exit" | "quit" | "/exit" | "/quit" | "q") {
            return Outcome::Exit;
        }
        let reply = match line.parse::<usize>() {
            Ok(n) if (1..=self.actions.len()).contains(&n) => {
                let data = self.actions[n - 1].data.clone();
                self.engine.press(&self.caller, &data).await
            }
            Ok(n) if !self.actions.is_empty() => {
                return Outcome::Print {
                    text: format!(
                        "error: there is no choice {n}; type 1 to {}",
                        self.actions.len()
                    ),
                    failed: true,
                };
            }
            _ => {
                // Long work (a preview that scans the task) shows a bar on stderr; it hides
                // itself when stderr is not a terminal.
                let bar = indicatif::ProgressBar::with_draw_target(
                    None,
                    indicatif::ProgressDrawTarget::stderr(),
                );
                let shown = bar.clone();
                let progress: Progress = std::sync::Arc::new(move |update: ProgressUpdate| {
                    shown.set_length(update.total);
                    shown.set_position(update.done);
                    shown.set_message(update.reply.title);
                });
                let reply = self
                    .engine
                    .handle_text_with_progress(&self.caller, line, progress)
                    .await;
                bar.finish_and_clear();
                reply
            }
        };
        let mut failed = matches!(reply.kind, ReplyKind::Error | ReplyKind::Refused);
        // A refused press or bad input keeps the previous choices usable.
        if !failed || !reply.actions.is_empty() {
            self.actions = reply.actions.clone();
        }
        let mut text = render(&reply, self.interactive);
        match self.save_files(&reply) {
            Ok(lines) => {
                for line in lines {
                    text.push('\n');
                    text.push_str(&line);
                }
            }
            Err(err) => {
                text.push_str(&format!("\nerror: {err}"));
                failed = true;
            }
        }
        Outcome::Print { text, failed }
    }

    /// Writes the reply's files (an export's) into the output folder, never over an existing
    /// file; says where, through the engine's words and outbound rule. A terminal shows no
    /// images: a chart's text is in the reply.
    fn save_files(&self, reply: &Reply) -> std::io::Result<Vec<String>> {
        let lang = self.engine.lang_for(&self.caller);
        let outbound = self.engine.outbound(&self.caller);
        let mut lines = Vec::new();
        for attachment in &reply.attachments {
            if attachment.kind != AttachmentKind::Document {
                continue;
            }
            let path = free_path(&self.out_dir, &attachment.name);
            match &attachment.data {
                AttachmentData::File(temp) => std::fs::copy(&**temp, &path).map(|_| ())?,
                AttachmentData::Bytes(bytes) => std::fs::write(&path, bytes)?,
            }
            let shown = path.display().to_string();
            lines.push(outbound.text(&Msg::FileSaved { path: &shown }.text(lang)));
        }
        Ok(lines)
    }
}

/// `dir/name`, or `dir/stem-2.ext` and so on when it exists: an export never overwrites.
fn free_path(dir: &Path, name: &str) -> PathBuf {
    // The engine's names are plain; a separator would leave the folder.
    let name = name.replace(['/', '\\'], "_");
    let first = dir.join(&name);
    if !first.exists() {
        return first;
    }
    let (stem, ext) = name.split_once('.').unwrap_or((name.as_str(), ""));
    (2..)
        .map(|n| dir.join(format!("{stem}-{n}.{ext}")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}
