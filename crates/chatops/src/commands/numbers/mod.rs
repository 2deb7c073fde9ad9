//! `/numbers`: a page of a task's numbers (one request), the counts per status when the shared
//! cache has them fresh, and Prev/Next.

mod texts;

use agent_core::{PageNumber, mask_number};
use futures::future::BoxFuture;
use std::time::Instant;

use self::texts::{NumbersKey, NumbersMsg};
use crate::access::Role;
use crate::catalogue::{CommandName, CommandSpec, Invocation, OptionKey, Text};
use crate::context::Ctx;
use crate::messages::Msg;
use crate::reply::{Action, Align, Refusal, Reply, ReplyKind, Table};
use crate::text::{describe_filter, describe_summary, duration, short_time, upstream_error};
use crate::texts::samples;
use crate::token::{ActionToken, PageState};

/// `/numbers`: its catalogue entry and handlers.
pub(crate) const COMMAND: CommandSpec = CommandSpec {
    slash: "numbers",
    aliases: &["number", "list", "ls"],
    name_zh: "号码",
    summary: Text::new(
        "A page of a task's numbers (counts per status: /stats)",
        "分页查看任务号码（按状态计数见 /stats）",
    ),
    help: Text::new(
        "a page of the task's numbers; counts per status when /stats counted them recently",
        "查看任务号码（分页）；/stats 近期统计过时附按状态计数",
    ),
    example: Some("/numbers task:demo status:busy"),
    options: &[
        OptionKey::Task,
        OptionKey::Status,
        OptionKey::From,
        OptionKey::To,
        OptionKey::Page,
        OptionKey::Sub,
    ],
    role: Some(Role::Viewer),
    run: |cx, invocation| Box::pin(run(cx, invocation)),
    press: Some(press),
    texts: samples::<NumbersKey>,
};

impl CommandName {
    /// `/numbers`: a page of a task's numbers.
    pub const NUMBERS: Self = Self::of(&COMMAND);
}

async fn run(cx: &Ctx<'_>, invocation: &Invocation) -> Result<Reply, Refusal> {
    let state = cx.authorized_state(invocation)?;
    Ok(show_page(cx, state).await)
}

/// Prev and Next (and a watch's "list the retryable numbers"): a page, for whoever has
/// `/numbers`' role now.
fn press<'a>(cx: &'a Ctx<'a>, token: &'a ActionToken) -> Option<BoxFuture<'a, Reply>> {
    match token {
        ActionToken::Page(state) => Some(Box::pin(page_press(cx, state.clone()))),
        ActionToken::StoredPage(id) => Some(Box::pin(stored_page_press(cx, *id))),
        _ => None,
    }
}

async fn stored_page_press(cx: &Ctx<'_>, id: u64) -> Reply {
    match cx.kept_state(id, NumbersMsg::RunNumbersAgain.text(cx.lang)).await {
        Ok(state) => page_press(cx, state).await,
        Err(refusal) => refusal.into(),
    }
}

async fn page_press(cx: &Ctx<'_>, state: PageState) -> Reply {
    // A page belongs to `/numbers`: it needs that command's role.
    if let Some(refusal) = cx.refuse_unless(CommandName::NUMBERS) {
        return refusal;
    }
    show_page(cx, state).await
}

/// Fetches and renders a page (one request; two when the page asked for is past the end,
/// which then shows the last one). The counts per status come from the shared cache when
/// they are fresh; otherwise the reply says how to get them (`/stats`), rather than making
/// thirteen more requests on every page.
pub(crate) async fn show_page(cx: &Ctx<'_>, state: PageState) -> Reply {
    let lang = cx.lang;
    let label = cx.task_label(&state.task);
    let filter = match cx.list_filter(&state) {
        Ok(filter) => filter,
        Err(refusal) => return refusal.into(),
    };
    let started = Instant::now();
    let page_number = PageNumber::new(i64::from(state.page)).unwrap_or(PageNumber::FIRST);
    let client = cx.client();
    let mut page = match client.numbers(&filter, page_number).await {
        Ok(page) => page,
        Err(err) => {
            cx.waited(started.elapsed());
            return upstream_error(&err, &label, lang);
        }
    };
    if page.records.is_empty() && page.page > page.last_page && page.total > 0 {
        let last = PageNumber::new(i64::from(page.last_page)).unwrap_or(PageNumber::FIRST);
        match client.numbers(&filter, last).await {
            Ok(last_page) => page = last_page,
            Err(err) => {
                cx.waited(started.elapsed());
                return upstream_error(&err, &label, lang);
            }
        }
    }
    cx.waited(started.elapsed());

    let range = filter.scope().range();
    let mut reply = Reply::new(
        ReplyKind::Page,
        NumbersMsg::NumbersTitle {
            task: &label,
            filter: &describe_filter(state.statuses, range, state.sub.as_deref(), lang),
        }
        .text(lang),
    );
    let cached = cx.cached_counts(&filter);
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
        reply.table = Some(table(cx, &page.records));
    }
    if cached.is_none() {
        reply.lines.push(
            NumbersMsg::CountsHint {
                command: &stats_command_line(&label, &state),
            }
            .text(lang),
        );
    }
    reply.footer = Some(
        NumbersMsg::PageFooter {
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
            .extend(page_action(cx, prev, NumbersMsg::PrevPage.text(lang)).await);
    }
    if current < page.last_page {
        let next = PageState {
            page: current.saturating_add(1),
            ..state
        };
        reply
            .actions
            .extend(page_action(cx, next, NumbersMsg::NextPage.text(lang)).await);
    }
    reply
}

fn table(cx: &Ctx<'_>, records: &[agent_core::NumberRecord]) -> Table {
    let (lang, mask) = (cx.lang, cx.config().mask_phones);
    Table {
        columns: vec![
            (Msg::ColumnPhone.text(lang), Align::Left),
            (Msg::ColumnStatus.text(lang), Align::Left),
            (Msg::ColumnCity.text(lang), Align::Left),
            (NumbersMsg::ColumnLastCall.text(lang), Align::Left),
            (NumbersMsg::ColumnLength.text(lang), Align::Right),
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
async fn page_action(cx: &Ctx<'_>, state: PageState, label: String) -> Option<Action> {
    cx.state_action(state, label, ActionToken::Page, ActionToken::StoredPage)
        .await
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
