//! `/numbers`: a page of a task's numbers (one request), the counts per status when the shared
//! cache has them fresh, and Prev/Next.

use std::time::{Duration, Instant};

use agent_core::{ListFilter, PageNumber, Scope, StatusSet, TimeRange, mask_number};

use crate::access::Caller;
use crate::command::{Invocation, OptionKey};
use crate::engine::{Engine, random_id};
use crate::i18n::Lang;
use crate::messages::Msg;
use crate::reply::{Action, ActionStyle, Align, Reply, ReplyKind, Table};
use crate::text::{
    bad_input, describe_filter, describe_summary, duration, short_time, upstream_error,
};
use crate::token::{ActionToken, PageState, TokenError};

/// How long a page state too large for a button is kept.
const STORED_PAGE_TTL: Duration = Duration::from_secs(24 * 3600);

impl Engine {
    pub(crate) async fn numbers_command(
        &self,
        caller: &Caller,
        invocation: &Invocation,
        lang: Lang,
        upstream: &mut Duration,
    ) -> Reply {
        let state = match self.authorized_state(caller, invocation, lang) {
            Ok(state) => state,
            Err(reply) => return *reply,
        };
        self.show_page(state, lang, upstream).await
    }

    /// What every command that lists a filter checks and reads first (`/numbers`, `/stats`,
    /// `/export`): the command's role and task, then its filter ([`Engine::filter_state`]).
    pub(crate) fn authorized_state(
        &self,
        caller: &Caller,
        invocation: &Invocation,
        lang: Lang,
    ) -> Result<PageState, Box<Reply>> {
        let (task, _label) = self.authorize_task(caller, invocation, lang)?;
        self.filter_state(invocation, task, lang)
    }

    /// The filter (statuses, time range, sub-account) and page of a command's options, for
    /// `task`; the reply to give when one of them cannot be used. `/stats` shares it (without
    /// `page:`, so its state is on the first page).
    pub(crate) fn filter_state(
        &self,
        invocation: &Invocation,
        task: String,
        lang: Lang,
    ) -> Result<PageState, Box<Reply>> {
        let statuses = invocation
            .get(OptionKey::Status)
            .map(StatusSet::parse_list)
            .transpose()
            .map_err(|err| Box::new(bad_input("status", &err, lang)))?
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
        .map_err(|err| Box::new(bad_input("from/to", &err, lang)))?;
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
                return Err(Box::new(bad_input(
                    "page",
                    &Msg::NotAPageNumber { given: value }.text(lang),
                    lang,
                )));
            }
        };
        let sub = invocation
            .get(OptionKey::Sub)
            .map(|sub| self.allowed_sub(sub, lang))
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

    /// Fetches and renders a page (one request; two when the page asked for is past the end,
    /// which then shows the last one). The counts per status come from the shared cache when
    /// they are fresh; otherwise the reply says how to get them (`/stats`), rather than making
    /// thirteen more requests on every page.
    pub(crate) async fn show_page(
        &self,
        state: PageState,
        lang: Lang,
        upstream: &mut Duration,
    ) -> Reply {
        let label = self.task_label(&state.task);
        let filter = match self.list_filter(&state) {
            Ok(filter) => filter,
            Err(reply) => return *reply,
        };
        let started = Instant::now();
        let page_number = PageNumber::new(i64::from(state.page)).unwrap_or(PageNumber::FIRST);
        let client = self.client();
        let mut page = match client.numbers(&filter, page_number).await {
            Ok(page) => page,
            Err(err) => {
                *upstream += started.elapsed();
                return upstream_error(&err, &label, lang);
            }
        };
        if page.records.is_empty() && page.page > page.last_page && page.total > 0 {
            let last = PageNumber::new(i64::from(page.last_page)).unwrap_or(PageNumber::FIRST);
            match client.numbers(&filter, last).await {
                Ok(last_page) => page = last_page,
                Err(err) => {
                    *upstream += started.elapsed();
                    return upstream_error(&err, &label, lang);
                }
            }
        }
        *upstream += started.elapsed();

        let range = filter.scope().range();
        let mut reply = Reply::new(
            ReplyKind::Page,
            Msg::NumbersTitle {
                task: &label,
                filter: &describe_filter(state.statuses, range, state.sub.as_deref(), lang),
            }
            .text(lang),
        );
        let cached = self.cached_counts(&filter);
        if let Some(counted) = &cached {
            reply.summary = Some(
                Msg::ByStatus {
                    counts: &describe_summary(&counted.summary, lang),
                }
                .text(lang),
            );
        }
        if page.records.is_empty() {
            reply.lines.push(Msg::NoNumbersMatch.text(lang));
        } else {
            reply.table = Some(self.table(&page.records, lang));
        }
        if cached.is_none() {
            reply.lines.push(
                Msg::CountsHint {
                    command: &stats_command_line(&label, &state),
                }
                .text(lang),
            );
        }
        reply.footer = Some(
            Msg::PageFooter {
                total: page.total,
                page: u64::from(page.page),
                last: u64::from(page.last_page),
            }
            .text(lang),
        );
        // The platform's numbers are untrusted: no arithmetic on them may overflow.
        let current = page.page;
        if current > 1 {
            let prev = PageState {
                page: current
                    .min(page.last_page.saturating_add(1))
                    .saturating_sub(1)
                    .max(1),
                ..state.clone()
            };
            reply
                .actions
                .extend(self.page_action(prev, Msg::PrevPage.text(lang)).await);
        }
        if current < page.last_page {
            let next = PageState {
                page: current.saturating_add(1),
                ..state
            };
            reply
                .actions
                .extend(self.page_action(next, Msg::NextPage.text(lang)).await);
        }
        reply
    }

    pub(crate) fn list_filter(&self, state: &PageState) -> Result<ListFilter, Box<Reply>> {
        let task = agent_core::Id::task(&state.task)
            .map_err(|e| Box::new(bad_input("task", &e, Lang::En)))?;
        let sub = state
            .sub
            .as_deref()
            .map(agent_core::Id::sub_account)
            .transpose()
            .map_err(|e| Box::new(bad_input("sub", &e, Lang::En)))?;
        let range = TimeRange::new(state.from, state.to)
            .map_err(|e| Box::new(bad_input("from/to", &e, Lang::En)))?;
        let scope = Scope::new(task)
            .with_statuses(state.statuses)
            .with_range(range)
            .with_sub_account(sub);
        Ok(ListFilter::new(scope).with_page_size(self.config().page_size))
    }

    fn table(&self, records: &[agent_core::NumberRecord], lang: Lang) -> Table {
        let mask = self.config().mask_phones;
        Table {
            columns: vec![
                (Msg::ColumnPhone.text(lang), Align::Left),
                (Msg::ColumnStatus.text(lang), Align::Left),
                (Msg::ColumnCity.text(lang), Align::Left),
                (Msg::ColumnLastCall.text(lang), Align::Left),
                (Msg::ColumnLength.text(lang), Align::Right),
            ],
            rows: records
                .iter()
                .map(|record| {
                    let status = agent_core::CallStatus::from_wire(&record.status);
                    vec![
                        if mask {
                            mask_number(&record.number)
                        } else {
                            record.number.clone()
                        },
                        lang.status(status).to_string(),
                        record
                            .city
                            .clone()
                            .or_else(|| record.pro.clone())
                            .filter(|c| !c.is_empty())
                            .unwrap_or_else(|| "-".to_string()),
                        short_time(record.calldate.map(|d| d.datetime())),
                        duration(record.duration),
                    ]
                })
                .collect(),
        }
    }

    /// A paging button; a state too large for a token is kept here under an id.
    async fn page_action(&self, state: PageState, label: String) -> Option<Action> {
        self.state_action(state, label, ActionToken::Page, ActionToken::StoredPage)
            .await
    }

    /// A button that carries a state (`token`), or, when the state is too large for a token,
    /// an id of it kept here (`stored`).
    pub(crate) async fn state_action(
        &self,
        state: PageState,
        label: String,
        token: fn(PageState) -> ActionToken,
        stored: fn(u64) -> ActionToken,
    ) -> Option<Action> {
        let signer = &self.inner.signer;
        let data = match signer.sign(&token(state.clone())) {
            Ok(data) => data,
            Err(TokenError::TooLarge) => {
                let id = random_id().ok()?;
                if let Err(err) = self.inner.pages.insert(id, &state, STORED_PAGE_TTL).await {
                    tracing::error!(%err, "cannot keep a page state: no button");
                    return None;
                }
                signer.sign(&stored(id)).ok()?
            }
            Err(err) => {
                tracing::error!(%err, "cannot sign an action");
                return None;
            }
        };
        Some(Action {
            label,
            data,
            style: ActionStyle::Secondary,
        })
    }
}

/// The `/stats` command of a page's filter (`/stats task:demo status:busy,no-answer`), to
/// suggest under a page without fresh counts.
pub(crate) fn stats_command_line(label: &str, state: &PageState) -> String {
    let mut line = format!("/stats task:{label}");
    if !state.statuses.is_empty() {
        let value = match agent_core::StatusGroup::ALL
            .iter()
            .find(|group| group.statuses() == state.statuses)
        {
            Some(group) => group.name().to_string(),
            None => state
                .statuses
                .iter()
                .map(|s| s.name_en())
                .collect::<Vec<_>>()
                .join(","),
        };
        line.push_str(&format!(" status:{value}"));
    }
    for (key, time) in [("from", state.from), ("to", state.to)] {
        if let Some(time) = time {
            line.push_str(&format!(
                " {key}:\"{}\"",
                time.strftime("%Y-%m-%d %H:%M:%S")
            ));
        }
    }
    if let Some(sub) = &state.sub {
        line.push_str(&format!(" sub:{sub}"));
    }
    line
}
