//! `/stats`: a task's progress at a glance — total, waiting vs dialled, connected and the
//! connect rate, the retryable and permanent groups, every status as a text bar chart and as a
//! PNG — and the counts cache it shares with `/numbers`.
//!
//! Counts per status cost one request per status (thirteen for a whole task), run with the
//! client's concurrency. They are cached per filter for `stats_ttl_secs`, for every chat: a
//! warm `/stats` costs nothing, and `/numbers` shows its "by status" line only from a fresh
//! entry. A reset of the task forgets them; the refresh button counts again.

mod texts;

use std::time::Instant;

use agent_core::time::CHINA_OFFSET;
use futures::future::BoxFuture;

use self::texts::{StatsKey, StatsMsg};
use crate::access::Role;
use crate::catalogue::{CommandName, CommandSpec, Invocation, OptionKey, Text};
use crate::chart::{Figures, png_chart, text_chart};
use crate::context::Ctx;
use crate::messages::Msg;
use crate::reply::{Attachment, AttachmentData, AttachmentKind, Refusal, Reply, ReplyKind};
use crate::text::{describe_filter, upstream_error};
use crate::texts::samples;
use crate::token::{ActionToken, PageState};

/// `/stats`: its catalogue entry and handlers.
pub(crate) const COMMAND: CommandSpec = CommandSpec {
    slash: "stats",
    aliases: &["stat", "progress"],
    name_zh: "统计",
    summary: Text::new(
        "A task's progress at a glance: dialled, connected, counts per status, a chart",
        "任务进度一览：已呼叫、已接通、各状态数量及图表",
    ),
    help: Text::new(
        "how far the task is: dialled vs waiting, connect rate, retryable, permanent, each status as a chart",
        "任务进度：已呼叫与等待、接通率、可重呼与无效数量，各状态数量图表",
    ),
    example: Some("/stats task:demo"),
    options: &[
        OptionKey::Task,
        OptionKey::Status,
        OptionKey::From,
        OptionKey::To,
        OptionKey::Sub,
    ],
    role: Some(Role::Viewer),
    run: |cx, invocation| Box::pin(run(cx, invocation)),
    press: Some(press),
    texts: samples::<StatsKey>,
};

impl CommandName {
    /// `/stats`: a task's progress at a glance.
    pub const STATS: Self = Self::of(&COMMAND);
}

async fn run(cx: &Ctx<'_>, invocation: &Invocation) -> Result<Reply, Refusal> {
    let state = cx.authorized_state(invocation)?;
    Ok(show_stats(cx, state, false).await)
}

/// The refresh button: the caller needs `/stats`' role now, and the counts are made again.
fn press<'a>(cx: &'a Ctx<'a>, token: &'a ActionToken) -> Option<BoxFuture<'a, Reply>> {
    match token {
        ActionToken::Refresh(state) => Some(Box::pin(refresh(cx, state.clone()))),
        ActionToken::StoredRefresh(id) => Some(Box::pin(stored_refresh(cx, *id))),
        _ => None,
    }
}

async fn stored_refresh(cx: &Ctx<'_>, id: u64) -> Reply {
    match cx.kept_state(id, StatsMsg::RunStatsAgain.text(cx.lang)).await {
        Ok(state) => refresh(cx, state).await,
        Err(refusal) => refusal.into(),
    }
}

async fn refresh(cx: &Ctx<'_>, state: PageState) -> Reply {
    if let Some(refusal) = cx.refuse_unless(CommandName::STATS) {
        return refusal;
    }
    show_stats(cx, state, true).await
}

/// Counts (from the cache unless `recount`) and the reply with both charts.
async fn show_stats(cx: &Ctx<'_>, state: PageState, recount: bool) -> Reply {
    let lang = cx.lang;
    let label = cx.task_label(&state.task);
    let filter = match cx.list_filter(&state) {
        Ok(filter) => filter,
        Err(refusal) => return refusal.into(),
    };
    let started = Instant::now();
    let counted = cx.counts(&filter, recount).await;
    cx.waited(started.elapsed());
    let counted = match counted {
        Ok(counted) => counted,
        Err(err) => return upstream_error(&err, &label, lang),
    };
    let figures = Figures::of(&counted.summary, state.statuses);
    let range = filter.scope().range();
    let mut reply = Reply::new(
        ReplyKind::Info,
        StatsMsg::StatsTitle {
            task: &label,
            filter: &describe_filter(state.statuses, range, state.sub.as_deref(), lang),
        }
        .text(lang),
    );
    reply.summary = Some(
        StatsMsg::StatsTotals {
            total: figures.total,
            dialled: figures.dialled,
            waiting: figures.waiting,
        }
        .text(lang),
    );
    reply.lines.push(
        StatsMsg::StatsConnected {
            connected: figures.connected,
            rate: &figures.connect_rate(lang),
        }
        .text(lang),
    );
    reply.lines.push(
        Msg::StatsGroups {
            retryable: figures.retryable,
            permanent: figures.permanent,
        }
        .text(lang),
    );
    reply.table = Some(text_chart(&figures, lang));
    let at = counted
        .at
        .to_zoned(jiff::tz::TimeZone::fixed(CHINA_OFFSET))
        .strftime("%H:%M:%S")
        .to_string();
    reply.footer = Some(
        StatsMsg::StatsCountedAt {
            at: &at,
            seconds: cx.summaries.ttl().as_secs(),
        }
        .text(lang),
    );
    // Drawing is CPU work of some milliseconds: off the runtime's workers.
    let drawn = {
        let figures = figures.clone();
        tokio::task::spawn_blocking(move || png_chart(&figures, lang)).await
    };
    match drawn {
        Ok(Ok(png)) => reply.attachments.push(Attachment {
            name: format!("stats-{label}.png"),
            media_type: "image/png",
            kind: AttachmentKind::Image,
            data: AttachmentData::Bytes(png.into()),
        }),
        // The text chart says it all: the reply goes without the picture.
        Ok(Err(err)) => tracing::error!(%err, "no chart image"),
        Err(err) => tracing::error!(%err, "no chart image: drawing panicked or was cancelled"),
    }
    reply.actions.extend(
        cx.state_action(
            state,
            StatsMsg::RefreshButton.text(lang),
            ActionToken::Refresh,
            ActionToken::StoredRefresh,
        )
        .await,
    );
    reply
}
