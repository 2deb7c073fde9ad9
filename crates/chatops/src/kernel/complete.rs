//! Suggestions as a user types (Discord's autocomplete), and the words of a transport's own
//! situations ([`Notice`]).

use agent_core::StatusGroup;

use super::Engine;
use crate::access::{Caller, Role};
use crate::catalogue::{Completer, Completion};
use crate::command::CommandName;
use crate::i18n::Lang;
use crate::messages::Msg;
use crate::outbound::Outbound;
use crate::reply::{Choice, Reply, ReplyKind};

/// The most suggestions [`Engine::complete`] gives (Discord's limit).
const MAX_CHOICES: usize = 25;

/// What a transport has to tell a user that is not the engine's answer to a command: its own
/// failure, an interaction it does not support, a stale registration, the chat service's
/// limits. [`Engine::notice`] words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice<'a> {
    /// The transport failed while answering (details in its log).
    Internal,
    /// An interaction the transport does not support.
    Unsupported,
    /// The chat service sent a command that is not registered any more.
    StaleCommand(&'a str),
    /// The chat service sent an option that is not registered any more.
    StaleOption(&'a str),
    /// The chat service asks to slow down for `seconds`.
    SlowDown {
        /// The chat service (`Telegram`).
        service: &'a str,
        /// How long to wait.
        seconds: u64,
    },
    /// A message could not be updated.
    NotUpdated,
    /// A private answer could not be delivered privately (Telegram: the user never opened a
    /// private chat with the bot); said where the command was typed.
    OpenPrivateChat {
        /// The bot's name (`@agent_ops_bot`).
        bot: &'a str,
    },
}

impl Engine {
    /// Suggestions for the option named `option` (its catalogue name, as a transport with
    /// typed options declared it) of `command`, as the caller types `partial`: at most 25,
    /// `(label, value)`. The catalogue says which options complete and with what
    /// ([`Completer`]); the caller needs the command's role (at least `viewer`) and a place the
    /// engine serves, so a stranger learns nothing. Labels pass the outbound rule; values are
    /// what the transport sends back, unchanged.
    pub fn complete(
        &self,
        caller: &Caller,
        command: CommandName,
        option: &str,
        partial: &str,
    ) -> Vec<Choice> {
        let Some(spec) = command
            .spec()
            .option_specs()
            .find(|spec| spec.name == option)
        else {
            return Vec::new();
        };
        let Completion::Autocomplete(completer) = spec.completion else {
            return Vec::new();
        };
        let lang = self.lang_for(caller);
        let needed = command.role().unwrap_or(Role::Viewer);
        if self.refusal(caller, lang).is_some() || !self.config().access.allows(caller, needed) {
            return Vec::new();
        }
        let choices = match completer {
            Completer::Tasks => self.complete_task(partial),
            Completer::Statuses => self.complete_status(partial, lang),
        };
        let outbound = self.outbound(caller).typed(partial);
        choices
            .into_iter()
            .take(MAX_CHOICES)
            .map(|(label, value)| Choice {
                label: outbound.text(&label),
                value,
            })
            .collect()
    }

    /// Task aliases (or ids) starting with `prefix`: `(alias · id, alias)`.
    fn complete_task(&self, prefix: &str) -> Vec<(String, String)> {
        let prefix = prefix.trim().to_lowercase();
        self.config()
            .tasks
            .iter()
            .filter(|(alias, id)| alias.starts_with(&prefix) || id.starts_with(&prefix))
            .take(MAX_CHOICES)
            .map(|(alias, id)| (format!("{alias} · {id}"), alias.clone()))
            .collect()
    }

    /// Statuses and groups matching what is typed so far. The last item of a comma-separated
    /// list is completed; `(label, value)`.
    fn complete_status(&self, typed: &str, lang: Lang) -> Vec<(String, String)> {
        let (done, last) = match typed.rfind(',') {
            Some(at) => (&typed[..=at], typed[at + 1..].trim()),
            None => ("", typed.trim()),
        };
        let last = last.to_lowercase();
        let groups = StatusGroup::ALL
            .iter()
            .map(|g| (lang.group(*g).to_string(), g.name().to_string()));
        let statuses = agent_core::status::ALL_STATUSES.iter().map(|s| {
            (
                format!("{} {}", s.code(), lang.status(*s)),
                s.name_en().to_string(),
            )
        });
        groups
            .chain(statuses)
            .filter(|(label, value)| {
                last.is_empty() || value.starts_with(&last) || label.to_lowercase().contains(&last)
            })
            .take(MAX_CHOICES)
            .map(|(label, value)| (format!("{done}{label}"), format!("{done}{value}")))
            .collect()
    }

    /// A transport's own situation ([`Notice`]) as a reply to `caller` (or, without one, in
    /// the configured language), worded from the [messages table](crate::messages) and through
    /// the outbound rule like every reply.
    pub fn notice(&self, caller: Option<&Caller>, notice: Notice<'_>) -> Reply {
        let lang = caller.map_or(self.config().language, |c| self.lang_for(c));
        let reply = match notice {
            Notice::Internal => Reply::new(ReplyKind::Error, Msg::InternalErrorTitle.text(lang))
                .line(Msg::InternalError.text(lang)),
            Notice::Unsupported => Reply::new(ReplyKind::Error, Msg::Unsupported.text(lang)),
            Notice::StaleCommand(name) => {
                Reply::new(ReplyKind::Error, Msg::UnknownCommandTitle.text(lang))
                    .line(Msg::StaleCommand { name }.text(lang))
            }
            Notice::StaleOption(name) => {
                Reply::new(ReplyKind::Error, Msg::UnknownCommandTitle.text(lang))
                    .line(Msg::StaleOption { name }.text(lang))
            }
            Notice::SlowDown { service, seconds } => Reply::new(
                ReplyKind::Error,
                Msg::SlowDown { service, seconds }.text(lang),
            ),
            Notice::NotUpdated => Reply::new(ReplyKind::Error, Msg::NotUpdated.text(lang)),
            Notice::OpenPrivateChat { bot } => {
                let mut reply =
                    Reply::new(ReplyKind::Info, Msg::OpenPrivateChat { bot }.text(lang));
                // Said where the private answer could not be: it holds nothing private.
                reply.private = false;
                reply
            }
        };
        Outbound::new(self.config().mask_phones, caller).reply(reply)
    }
}
