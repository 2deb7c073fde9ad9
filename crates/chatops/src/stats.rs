//! `/stats`: a task's progress at a glance — total, waiting vs dialled, connected and the
//! connect rate, the retryable and permanent groups, every status as a text bar chart and as a
//! PNG — and the counts cache it shares with `/numbers`.
//!
//! Counts per status cost one request per status (thirteen for a whole task), run with the
//! client's concurrency. They are cached per filter for `stats_ttl_secs`, for every chat: a
//! warm `/stats` costs nothing, and `/numbers` shows its "by status" line only from a fresh
//! entry. A reset of the task forgets them; the refresh button counts again.

use std::time::{Duration, Instant};

use agent_core::{ListFilter, time::CHINA_OFFSET};

use crate::access::Caller;
use crate::chart::{Figures, png_chart, text_chart};
use crate::command::{CommandName, Invocation};
use crate::engine::Engine;
use crate::i18n::Lang;
use crate::messages::Msg;
use crate::reply::{Attachment, AttachmentData, AttachmentKind, Reply, ReplyKind};
use crate::state::{Counted, SummaryKey};
use crate::text::{describe_filter, upstream_error};
use crate::token::{ActionToken, PageState};

impl Engine {
    pub(crate) async fn stats_command(
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
        self.show_stats(state, lang, upstream, false).await
    }

    /// The refresh button: the caller needs `/stats`' role now, and the counts are made again.
    pub(crate) async fn refresh_press(
        &self,
        caller: &Caller,
        state: PageState,
        lang: Lang,
        upstream: &mut Duration,
    ) -> Reply {
        if let Some(refusal) = self.refuse_unless(caller, CommandName::Stats, lang) {
            return refusal;
        }
        self.show_stats(state, lang, upstream, true).await
    }

    /// Counts (from the cache unless `recount`) and the reply with both charts.
    async fn show_stats(
        &self,
        state: PageState,
        lang: Lang,
        upstream: &mut Duration,
        recount: bool,
    ) -> Reply {
        let label = self.task_label(&state.task);
        let filter = match self.list_filter(&state) {
            Ok(filter) => filter,
            Err(reply) => return *reply,
        };
        let started = Instant::now();
        let counted = self.counts(&filter, recount).await;
        *upstream += started.elapsed();
        let counted = match counted {
            Ok(counted) => counted,
            Err(err) => return upstream_error(&err, &label, lang),
        };
        let figures = Figures::of(&counted.summary, state.statuses);
        let range = filter.scope().range();
        let mut reply = Reply::new(
            ReplyKind::Info,
            Msg::StatsTitle {
                task: &label,
                filter: &describe_filter(state.statuses, range, state.sub.as_deref(), lang),
            }
            .text(lang),
        );
        reply.summary = Some(
            Msg::StatsTotals {
                total: figures.total,
                dialled: figures.dialled,
                waiting: figures.waiting,
            }
            .text(lang),
        );
        reply.lines.push(
            Msg::StatsConnected {
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
            Msg::StatsCountedAt {
                at: &at,
                seconds: self.inner.summaries.ttl().as_secs(),
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
            self.state_action(
                state,
                Msg::RefreshButton.text(lang),
                ActionToken::Refresh,
                ActionToken::StoredRefresh,
            )
            .await,
        );
        reply
    }

    /// Counts per status of a filter: from the shared cache when fresh (unless `recount`),
    /// otherwise counted (one request per status, with the client's concurrency) and cached.
    pub(crate) async fn counts(
        &self,
        filter: &ListFilter,
        recount: bool,
    ) -> Result<Counted, agent_core::Error> {
        let cache = &self.inner.summaries;
        let key = SummaryKey::of(filter);
        let asked = self.now();
        if !recount && let Some(counted) = cache.get(&key, asked) {
            return Ok(counted);
        }
        // Another chat may be counting the same filter: wait for it, and take its counts when
        // they were made after this was asked (or are fresh, unless a recount was asked for).
        let _turn = cache.turn(&key).await;
        if let Some(counted) = cache.get(&key, self.now())
            && (!recount || counted.at >= asked)
        {
            return Ok(counted);
        }
        let generation = cache.generation();
        let summary = self.client().summary(filter).await?;
        let counted = Counted {
            summary,
            at: self.now(),
        };
        cache.put(key, counted, generation);
        Ok(counted)
    }

    /// The cached counts of a filter, if fresh; never a request.
    pub(crate) fn cached_counts(&self, filter: &ListFilter) -> Option<Counted> {
        self.inner
            .summaries
            .get(&SummaryKey::of(filter), self.now())
    }

    /// Drops the cached counts of a task (its numbers changed).
    pub(crate) fn forget_counts(&self, task_id: &str) {
        self.inner.summaries.forget_task(task_id);
    }
}
