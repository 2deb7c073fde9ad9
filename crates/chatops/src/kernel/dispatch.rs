//! Dispatch: a command line or a parsed command to the handler its catalogue entry names, a
//! pressed button (after its signature is checked) to the command that owns it, and every
//! reply through the outbound rule.

use std::sync::Arc;
use std::time::Instant;

use super::{Engine, Timings};
use crate::access::Caller;
use crate::command::{self, Invocation, OptionKey};
use crate::commands::COMMANDS;
use crate::context::{Ctx, Progress, ProgressUpdate};
use crate::messages::Msg;
use crate::reply::{Reply, ReplyKind};

impl Engine {
    /// Answers a command line (`/numbers task:demo status:busy`).
    pub async fn handle_text(&self, caller: &Caller, text: &str) -> Reply {
        match command::parse(text) {
            Ok(invocation) => self.handle(caller, invocation).await,
            Err(err) => {
                let lang = self.lang_for(caller);
                // What was typed is echoed in the error: mask every digit run of it.
                self.outbound(caller).typed(text).reply(
                    Reply::new(ReplyKind::Error, Msg::CannotReadCommand.text(lang))
                        .line(err.text(lang)),
                )
            }
        }
    }

    /// Answers a parsed command.
    pub async fn handle(&self, caller: &Caller, invocation: Invocation) -> Reply {
        self.handle_timed(caller, invocation).await.0
    }

    /// Answers a parsed command and says where the time went.
    pub async fn handle_timed(&self, caller: &Caller, invocation: Invocation) -> (Reply, Timings) {
        self.run(caller, invocation, None).await
    }

    /// Answers a parsed command, reporting the progress of long work to `progress`.
    pub async fn handle_with_progress(
        &self,
        caller: &Caller,
        invocation: Invocation,
        progress: Progress,
    ) -> Reply {
        self.run(caller, invocation, Some(progress)).await.0
    }

    /// Answers a command line, reporting the progress of long work to `progress`.
    pub async fn handle_text_with_progress(
        &self,
        caller: &Caller,
        text: &str,
        progress: Progress,
    ) -> Reply {
        match command::parse(text) {
            Ok(invocation) => self.run(caller, invocation, Some(progress)).await.0,
            Err(_) => self.handle_text(caller, text).await,
        }
    }

    async fn run(
        &self,
        caller: &Caller,
        invocation: Invocation,
        progress: Option<Progress>,
    ) -> (Reply, Timings) {
        let started = Instant::now();
        let mut outbound = self.outbound(caller);
        for key in [OptionKey::Phones, OptionKey::Keyword] {
            if let Some(typed) = invocation.get(key) {
                outbound = outbound.typed(typed);
            }
        }
        let lang = self.lang_for(caller);
        // Progress replies leave the engine too: through the same rule.
        let progress = progress.map(|sink| {
            let outbound = outbound.clone();
            Arc::new(move |update: ProgressUpdate| {
                sink(ProgressUpdate {
                    reply: outbound.reply(update.reply),
                    ..update
                });
            }) as Progress
        });
        let (reply, upstream) = match self.admit(caller, lang) {
            Err(refusal) => (refusal.into(), std::time::Duration::ZERO),
            Ok(_in_flight) => {
                self.sweep_on_command().await;
                let cx = Ctx::new(self, caller, lang, progress.as_ref());
                let reply = (invocation.name.spec().run)(&cx, &invocation)
                    .await
                    .unwrap_or_else(Reply::from);
                for typed in cx.typed_texts() {
                    outbound = outbound.typed(&typed);
                }
                (reply, cx.upstream())
            }
        };
        (
            outbound.reply(reply),
            Timings {
                total: started.elapsed(),
                upstream,
            },
        )
    }

    /// Answers a button press: `data` is the action's signed token, handed to the command
    /// whose button it is. Authorization is checked again on every press (by that command).
    pub async fn press(&self, caller: &Caller, data: &str) -> Reply {
        let lang = self.lang_for(caller);
        let mut outbound = self.outbound(caller);
        let reply = match self.admit(caller, lang) {
            Err(refusal) => refusal.into(),
            Ok(_in_flight) => {
                let cx = Ctx::new(self, caller, lang, None);
                let answer = match self.signer.verify(data) {
                    Err(err) => {
                        tracing::warn!(caller = %caller.identity(), %err, "refused an action");
                        None
                    }
                    Ok(token) => {
                        let owner = COMMANDS
                            .iter()
                            .filter_map(|spec| spec.press)
                            .find_map(|press| press(&cx, &token));
                        match owner {
                            Some(answer) => Some(answer.await),
                            None => {
                                tracing::warn!(caller = %caller.identity(), "refused an action no command owns");
                                None
                            }
                        }
                    }
                };
                let reply = answer.unwrap_or_else(|| {
                    Reply::new(ReplyKind::Refused, Msg::ActionRefused.text(lang))
                        .line(Msg::ForgedAction.text(lang))
                });
                for typed in cx.typed_texts() {
                    outbound = outbound.typed(&typed);
                }
                // After the press, so that a late confirmation is told it expired.
                self.sweep_on_command().await;
                reply
            }
        };
        outbound.reply(reply)
    }

    /// The help reply: what the caller may do, for their eyes only ([`Reply::private`]: it
    /// names their role). A stranger (no role) is told only how to get access.
    pub fn help(&self, caller: &Caller) -> Reply {
        let lang = self.lang_for(caller);
        let reply = match self.admit(caller, lang) {
            Err(refusal) => refusal.into(),
            Ok(_in_flight) => crate::commands::help::reply(self, caller, lang),
        };
        self.outbound(caller).reply(reply)
    }
}
