//! One terminal session: commands and numbered presses in, rendered replies out.

use agent_chatops::{Action, Caller, Engine, Progress, ProgressUpdate, ReplyKind};

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
}

impl Session {
    /// A session for `caller`; `interactive` sessions offer numbered presses.
    pub fn new(engine: Engine, caller: Caller, interactive: bool) -> Self {
        Self {
            engine,
            caller,
            actions: Vec::new(),
            interactive,
        }
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
        let failed = matches!(reply.kind, ReplyKind::Error | ReplyKind::Refused);
        // A refused press or bad input keeps the previous choices usable.
        if !failed || !reply.actions.is_empty() {
            self.actions = reply.actions.clone();
        }
        Outcome::Print {
            text: render(&reply, self.interactive),
            failed,
        }
    }
}
