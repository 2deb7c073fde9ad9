//! Which task, sub-account and filter a command names, and whether the caller may act on it:
//! what `/numbers`, `/stats`, `/reset`, `/export` and `/watch` check first, shared as methods
//! of their [`Ctx`].

use agent_core::{PageNumber, StatusSet, TimeRange};

use crate::access::chat_key_covers;
use crate::catalogue::{CommandName, Invocation, OptionKey};
use crate::context::Ctx;
use crate::messages::Msg;
use crate::reply::{Refusal, Reply, ReplyKind};
use crate::text::bad_input;
use crate::token::PageState;

impl Ctx<'_> {
    /// The refusal reply when the caller lacks the role `command` needs (from the catalogue).
    pub(crate) fn refuse_unless(&self, command: CommandName) -> Option<Reply> {
        let (caller, lang) = (self.caller, self.lang);
        let role = command.role()?;
        if self.config().access.allows(caller, role) {
            return None;
        }
        tracing::warn!(caller = %caller.identity(), needed = role.as_str(), "refused: not authorized");
        let text = Msg::MayNot {
            identity: &caller.identity(),
            role,
        }
        .text(lang);
        Some(Reply::new(ReplyKind::Refused, Msg::NotAllowed.text(lang)).line(text))
    }

    /// What every command checks first: the role the catalogue says it needs, then the task it
    /// names (or the chat's default). Returns `(task id, label)`, or the refusal or error to
    /// answer.
    pub(crate) fn authorize_task(
        &self,
        invocation: &Invocation,
    ) -> Result<(String, String), Refusal> {
        if let Some(refusal) = self.refuse_unless(invocation.name) {
            return Err(refusal.into());
        }
        self.resolve_task(invocation.get(OptionKey::Task))
    }

    /// Resolves a task alias or id, or the chat's default task. Returns `(task id, label)`.
    pub(crate) fn resolve_task(&self, given: Option<&str>) -> Result<(String, String), Refusal> {
        let (caller, lang) = (self.caller, self.lang);
        let config = self.config();
        let wanted = match given {
            Some(task) => task.to_string(),
            None => match config
                .default_tasks
                .iter()
                .find(|(key, _)| chat_key_covers(key, caller))
            {
                Some((_, task)) => task.clone(),
                None => {
                    let aliases = self.task_aliases();
                    return Err(Reply::new(ReplyKind::Error, Msg::NoTask.text(lang))
                        .line(Msg::WhichTask { aliases: &aliases }.text(lang))
                        .into());
                }
            },
        };
        if let Some(id) = config.tasks.get(&wanted.to_lowercase()) {
            return Ok((id.clone(), wanted.to_lowercase()));
        }
        if let Some((alias, id)) = config.tasks.iter().find(|(_, id)| **id == wanted) {
            return Ok((id.clone(), alias.clone()));
        }
        if !config.any_task {
            let aliases = self.task_aliases();
            return Err(Reply::new(ReplyKind::Refused, Msg::UnknownTask.text(lang))
                .line(Msg::OnlyConfiguredTasks { aliases: &aliases }.text(lang))
                .into());
        }
        match agent_core::Id::task(&wanted) {
            Ok(id) => Ok((id.as_str().to_string(), self.task_label(id.as_str()))),
            Err(_) => {
                let aliases = self.task_aliases();
                Err(Reply::new(ReplyKind::Error, Msg::UnknownTask.text(lang))
                    .line(
                        Msg::NotATask {
                            given: &wanted,
                            aliases: &aliases,
                        }
                        .text(lang),
                    )
                    .into())
            }
        }
    }

    /// The sub-account `sub:` names, if this engine may act on it.
    pub(crate) fn allowed_sub(&self, given: &str) -> Result<agent_core::Id, Refusal> {
        let lang = self.lang;
        let sub = agent_core::Id::sub_account(given)
            .map_err(|e| crate::text::bad_input("sub", &e, lang))?;
        let config = self.config();
        if config.any_task || config.sub_accounts.iter().any(|s| s == sub.as_str()) {
            return Ok(sub);
        }
        Err(Reply::new(ReplyKind::Refused, Msg::UnknownSub.text(lang))
            .line(Msg::OnlyConfiguredSubs.text(lang))
            .into())
    }

    /// What every command that lists a filter checks and reads first (`/numbers`, `/stats`,
    /// `/export`): the command's role and task, then its filter ([`Ctx::filter_state`]).
    pub(crate) fn authorized_state(&self, invocation: &Invocation) -> Result<PageState, Refusal> {
        let (task, _label) = self.authorize_task(invocation)?;
        self.filter_state(invocation, task)
    }

    /// The filter (statuses, time range, sub-account) and page of a command's options, for
    /// `task`; the reply to give when one of them cannot be used. `/stats` shares it (without
    /// `page:`, so its state is on the first page).
    pub(crate) fn filter_state(
        &self,
        invocation: &Invocation,
        task: String,
    ) -> Result<PageState, Refusal> {
        let lang = self.lang;
        let statuses = invocation
            .get(OptionKey::Status)
            .map(StatusSet::parse_list)
            .transpose()
            .map_err(|err| bad_input("status", &err, lang))?
            .unwrap_or_default();
        let now = self
            .now()
            .to_zoned(jiff::tz::TimeZone::fixed(agent_core::time::CHINA_OFFSET))
            .datetime();
        let range = TimeRange::parse(
            invocation.get(OptionKey::From),
            invocation.get(OptionKey::To),
            now,
        )
        .map_err(|err| bad_input("from/to", &err, lang))?;
        let page = match invocation.get(OptionKey::Page).map(|p| {
            p.trim()
                .parse::<i64>()
                .map_err(|_| agent_core::PageError::Number(0))
                .and_then(PageNumber::new)
        }) {
            None => PageNumber::FIRST,
            Some(Ok(page)) => page,
            Some(Err(_)) => {
                let value = invocation.get(OptionKey::Page).unwrap_or_default();
                return Err(bad_input(
                    "page",
                    &Msg::NotAPageNumber { given: value }.text(lang),
                    lang,
                )
                .into());
            }
        };
        let sub = invocation
            .get(OptionKey::Sub)
            .map(|sub| self.allowed_sub(sub))
            .transpose()?
            .map(|s| s.as_str().to_string());
        Ok(PageState {
            task,
            statuses,
            from: range.start(),
            to: range.end(),
            sub,
            page: page.get(),
        })
    }

    /// The page state a button kept in the store under `id` (too large for the button), or
    /// the reply when it expired (`again`: how to get a fresh one) or the store failed.
    pub(crate) async fn kept_state(&self, id: u64, again: String) -> Result<PageState, Refusal> {
        match self.pages.get(id).await {
            Ok(Some(state)) => Ok(state),
            Ok(None) => Err(
                Reply::new(ReplyKind::Error, Msg::PageExpired.text(self.lang))
                    .line(again)
                    .into(),
            ),
            Err(err) => Err(self.store_refused(&err, self.caller, id, self.lang).into()),
        }
    }
}
