//! The watch scheduler: each poll, one count per watched task, and the posts that are due. See
//! the [watch module](super).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use agent_core::time::CHINA_OFFSET;
use agent_core::{CallStatus, Id, ListFilter, Scope, StatusGroup, StatusSet};
use futures::future::BoxFuture;
use jiff::{SignedDuration, Timestamp, tz::TimeZone};
use tokio_util::sync::CancellationToken;

use super::texts::WatchMsg;
use super::{LEASE_TTL, MAX_BACKOFF, WATCH_TTL, Watch, When, chat_key, decode};
use crate::access::{Caller, Role, Transport};
use crate::chart::Figures;
use crate::messages::Msg;
use crate::reply::{Reply, ReplyKind};
use crate::services::Services;
use crate::store::{StoreError, ns};
use crate::token::{ActionToken, PageState};

/// Where a transport delivers what the scheduler posts: the caller of the watch (its
/// transport, chat and user) and the reply, already through the outbound rule.
pub type WatchPost =
    Arc<dyn Fn(Caller, Reply) -> BoxFuture<'static, Result<(), Undelivered>> + Send + Sync>;

/// A post the transport could not deliver; the reason is logged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the post was not delivered: {0}")]
pub struct Undelivered(pub String);

/// What one poll did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Watches of this transport.
    pub watches: usize,
    /// Tasks watched.
    pub tasks: usize,
    /// Requests made to the platform (counted as the engine asks them: one per count).
    pub requests: u32,
    /// Posts delivered.
    pub posted: usize,
    /// Due posts another replica had already taken.
    pub taken_elsewhere: usize,
    /// Tasks another replica polls this time (a shared store: one count a poll between them).
    pub polled_elsewhere: usize,
    /// Posts that could not be delivered (tried again next poll).
    pub undelivered: usize,
    /// Tasks left for the next poll: over the request budget.
    pub deferred: usize,
    /// Tasks left alone after a failure (backing off).
    pub backing_off: usize,
    /// Counts that failed this poll.
    pub failed: usize,
}

/// A task's failures in a row, and until when it is left alone.
#[derive(Debug, Clone, Copy)]
struct Backoff {
    failures: u32,
    until: Timestamp,
}

/// The watch scheduler of one transport: polls the watched tasks and posts what is due. See
/// the [module](self).
pub struct WatchScheduler {
    transport: Transport,
    post: WatchPost,
    backoff: HashMap<String, Backoff>,
    /// Where the next poll starts in the list of tasks (tasks left over go first).
    start: usize,
}

impl fmt::Debug for WatchScheduler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WatchScheduler")
            .field("transport", &self.transport)
            .field("backing_off", &self.backoff.len())
            .finish_non_exhaustive()
    }
}

/// The scheduler running on an engine's timer ([`Engine::run_watches`](crate::Engine::run_watches)); stops when dropped,
/// when [`WatchRunner::stop`] is called, or at [`Engine::shutdown`](crate::Engine::shutdown).
#[derive(Debug)]
pub struct WatchRunner {
    stop: CancellationToken,
}

impl WatchRunner {
    /// A runner stopped by `stop`.
    pub(crate) fn new(stop: CancellationToken) -> Self {
        Self { stop }
    }

    /// Stops polling (a post in flight finishes).
    pub fn stop(&self) {
        self.stop.cancel();
    }
}

impl Drop for WatchRunner {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Whether a watch is due at `now`, and the slot it is due for (part of its lease).
fn due_slot(watch: &Watch, now: Timestamp, waiting: u64) -> Option<String> {
    let made = Timestamp::from_millisecond(watch.stored.made_ms).ok()?;
    let last = watch
        .stored
        .last_post_ms
        .and_then(|ms| Timestamp::from_millisecond(ms).ok());
    match watch.when {
        When::Done => (waiting == 0).then(|| "done".to_string()),
        When::Daily { hour, minute } => {
            let zone = TimeZone::fixed(CHINA_OFFSET);
            let today = now.to_zoned(zone.clone()).date();
            let at = |date: jiff::civil::Date| {
                date.at(hour, minute, 0, 0)
                    .to_zoned(zone.clone())
                    .ok()
                    .map(|z| (date, z.timestamp()))
            };
            let (mut date, mut slot) = at(today)?;
            if slot > now {
                (date, slot) = at(today.yesterday().ok()?)?;
            }
            let due = slot >= made && last.is_none_or(|last| last < slot);
            due.then(|| format!("daily-{date}"))
        }
        When::Every(every) => {
            let every_ms = i64::try_from(every.as_millis()).ok()?.max(1);
            let slot = now.duration_since(made).as_millis() / i128::from(every_ms);
            let last_slot = last.map_or(0, |last| {
                last.duration_since(made).as_millis() / i128::from(every_ms)
            });
            (slot >= 1 && slot > last_slot).then(|| format!("every-{slot}"))
        }
    }
}

impl WatchScheduler {
    /// A scheduler for the watches made through `transport`, delivering through `post`.
    pub fn new(transport: Transport, post: WatchPost) -> Self {
        Self {
            transport,
            post,
            backoff: HashMap::new(),
            start: 0,
        }
    }

    /// One poll: counts the waiting numbers of every watched task (one request per task),
    /// and posts the watches due.
    pub async fn tick(&mut self, engine: &Services) -> TickReport {
        let mut report = TickReport::default();
        let store = engine.store();
        let listed = match store.list(ns::WATCHES).await {
            Ok(listed) => listed,
            Err(err) => {
                tracing::warn!(%err, "cannot list the watches");
                return report;
            }
        };
        let mut by_task: BTreeMap<String, Vec<Watch>> = BTreeMap::new();
        for (key, bytes) in listed {
            match decode(key.clone(), &bytes) {
                Some(watch) if watch.stored.caller.transport == self.transport => {
                    report.watches += 1;
                    by_task
                        .entry(watch.stored.task.clone())
                        .or_default()
                        .push(watch);
                }
                Some(_) => {}
                None => {
                    tracing::warn!("dropping a watch that cannot be read");
                    store.remove(ns::WATCHES, &key).await.ok();
                }
            }
        }
        report.tasks = by_task.len();
        let now = engine.now();
        self.backoff.retain(|task, _| by_task.contains_key(task));
        let mut tasks: Vec<(String, Vec<Watch>)> = by_task.into_iter().collect();
        if !tasks.is_empty() {
            let start = self.start % tasks.len();
            tasks.rotate_left(start);
        }
        let mut budget = engine.config().watch_max_requests_per_poll;
        let mut polled = 0;
        for (task, watches) in tasks {
            if self.backoff.get(&task).is_some_and(|b| b.until > now) {
                report.backing_off += 1;
                polled += 1;
                continue;
            }
            if budget == 0 {
                report.deferred += 1;
                continue;
            }
            polled += 1;
            if !self.poll_lease(engine, &task, now).await {
                report.polled_elsewhere += 1;
                continue;
            }
            budget -= 1;
            report.requests += 1;
            let Ok(id) = Id::task(&task) else {
                continue;
            };
            let waiting_filter = ListFilter::new(
                Scope::new(id.clone()).with_statuses(StatusSet::from_iter([CallStatus::Waiting])),
            );
            let waiting = match engine.client().count(&waiting_filter).await {
                Ok(waiting) => waiting,
                Err(err) => {
                    report.failed += 1;
                    self.fail(engine, &task, &err, now);
                    continue;
                }
            };
            self.backoff.remove(&task);
            let due: Vec<(Watch, String)> = watches
                .into_iter()
                .filter_map(|watch| due_slot(&watch, now, waiting).map(|slot| (watch, slot)))
                .collect();
            if due.is_empty() {
                continue;
            }
            // The figures: the shared counts, when fresh and as far as the waiting count.
            let all = ListFilter::new(Scope::new(id));
            let cached = engine.cached_counts(&all);
            let fresh = cached.filter(|c| c.summary.get(CallStatus::Waiting) == waiting);
            let counted = match fresh {
                Some(counted) => counted,
                None => {
                    let cost = u32::try_from(StatusSet::all().len()).unwrap_or(u32::MAX);
                    if budget < cost {
                        report.deferred += 1;
                        continue;
                    }
                    budget -= cost;
                    report.requests += cost;
                    match engine.counts(&all, cached.is_some()).await {
                        Ok(counted) => counted,
                        Err(err) => {
                            report.failed += 1;
                            self.fail(engine, &task, &err, now);
                            continue;
                        }
                    }
                }
            };
            let figures = Figures::of(&counted.summary, StatusSet::default());
            for (watch, slot) in due {
                self.post_one(engine, watch, &slot, &figures, now, &mut report)
                    .await;
            }
        }
        self.start = self.start.wrapping_add(polled);
        report
    }

    /// Whether this replica polls `task` now: always with a store of its own; with a shared
    /// one, if it is the first replica to take the lease of the task for this poll (`poll/<
    /// transport>/<task>/<poll number since the epoch>`, kept two polls). The one that takes it
    /// counts the task and posts its due watches; the others leave the task for this poll. If
    /// the store fails, it polls (at worst the task is counted twice).
    async fn poll_lease(&self, engine: &Services, task: &str, now: Timestamp) -> bool {
        let store = engine.store();
        if !store.shared() {
            return true;
        }
        let poll = engine.config().watch_poll;
        let every = i64::try_from(poll.as_millis()).unwrap_or(i64::MAX).max(1);
        let number = now.as_millisecond().div_euclid(every);
        let lease = format!("poll/{}/{task}/{number}", self.transport);
        match store
            .insert_new(ns::LEASES, &lease, b"1", poll.saturating_mul(2))
            .await
        {
            Ok(first) => first,
            Err(err) => {
                tracing::warn!(%err, "watch: cannot take the poll lease; polling anyway");
                true
            }
        }
    }

    fn fail(&mut self, engine: &Services, task: &str, err: &agent_core::Error, now: Timestamp) {
        let failures = self.backoff.get(task).map_or(0, |b| b.failures) + 1;
        let poll = engine.config().watch_poll;
        let wait = poll
            .saturating_mul(1u32 << failures.min(16))
            .min(MAX_BACKOFF.max(poll));
        let until = now
            .checked_add(SignedDuration::try_from(wait).unwrap_or(SignedDuration::MAX))
            .unwrap_or(now);
        tracing::warn!(
            task = %engine.task_label(task),
            failures,
            retry_in = ?wait,
            error = %err,
            "watch: cannot count the task; backing off"
        );
        self.backoff
            .insert(task.to_string(), Backoff { failures, until });
    }

    async fn post_one(
        &self,
        engine: &Services,
        watch: Watch,
        slot: &str,
        figures: &Figures,
        now: Timestamp,
        report: &mut TickReport,
    ) {
        let store = engine.store();
        let caller = watch.stored.caller.clone();
        // The watcher's role is checked at each post, as at each press.
        if !engine.config().access.allows(&caller, Role::Viewer) {
            tracing::info!(caller = %caller.identity(), "watch of a caller without a role: removed");
            store.remove(ns::WATCHES, &watch.key).await.ok();
            return;
        }
        let lease = format!("{}/{}/{slot}", watch.key, watch.stored.made_ms);
        match store.insert_new(ns::LEASES, &lease, b"1", LEASE_TTL).await {
            Ok(true) => {}
            Ok(false) => {
                report.taken_elsewhere += 1;
                return;
            }
            Err(err) => {
                tracing::warn!(%err, "watch: cannot take a lease; not posting");
                return;
            }
        }
        let reply = watch_reply(engine, &watch.stored.task, watch.when, &caller, figures).await;
        match (self.post)(caller.clone(), reply).await {
            Ok(()) => {
                report.posted += 1;
                tracing::info!(task = %engine.task_label(&watch.stored.task), when = %watch.when, chat = %chat_key(&caller), "watch posted");
                let kept = if watch.when == When::Done {
                    store.remove(ns::WATCHES, &watch.key).await.map(|_| ())
                } else {
                    self.renew(engine, watch, now).await
                };
                if let Err(err) = kept {
                    tracing::warn!(%err, "watch: cannot record the post");
                }
            }
            Err(err) => {
                report.undelivered += 1;
                tracing::warn!(%err, chat = %chat_key(&caller), "watch: post not delivered; trying again at the next poll");
                store.remove(ns::LEASES, &lease).await.ok();
            }
        }
    }

    /// Records the post and keeps the watch [`WATCH_TTL`] more, unless it was removed
    /// meanwhile (`/unwatch`).
    async fn renew(
        &self,
        engine: &Services,
        mut watch: Watch,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let store = engine.store();
        if store.get(ns::WATCHES, &watch.key).await?.is_none() {
            return Ok(());
        }
        watch.stored.last_post_ms = Some(now.as_millisecond());
        let bytes =
            serde_json::to_vec(&watch.stored).map_err(|_| StoreError::Corrupt(ns::WATCHES.name))?;
        store.put(ns::WATCHES, &watch.key, &bytes, WATCH_TTL).await
    }
}

/// The post of a due watch, in the watcher's language, through the outbound rule.
async fn watch_reply(
    engine: &Services,
    task: &str,
    when: When,
    caller: &Caller,
    figures: &Figures,
) -> Reply {
    let lang = engine.lang_for(caller);
    let label = engine.task_label(task);
    let rate = figures.connect_rate(lang);
    let mut reply = match when {
        When::Done => {
            let mut reply = Reply::new(
                ReplyKind::Done,
                WatchMsg::WatchDoneTitle { task: &label }.text(lang),
            );
            reply.summary = Some(
                WatchMsg::WatchDone {
                    dialled: figures.dialled,
                    connected: figures.connected,
                    rate: &rate,
                    retryable: figures.retryable,
                }
                .text(lang),
            );
            reply
        }
        When::Daily { .. } | When::Every(_) => {
            let mut reply = Reply::new(
                ReplyKind::Info,
                WatchMsg::WatchSummaryTitle {
                    task: &label,
                    when: &when.describe(lang),
                }
                .text(lang),
            );
            reply.summary = Some(
                WatchMsg::WatchFigures {
                    dialled: figures.dialled,
                    connected: figures.connected,
                    rate: &rate,
                    retryable: figures.retryable,
                }
                .text(lang),
            );
            reply.lines.push(
                WatchMsg::WatchWaiting {
                    waiting: figures.waiting,
                }
                .text(lang),
            );
            reply
        }
    };
    reply.lines.push(
        Msg::StatsGroups {
            retryable: figures.retryable,
            permanent: figures.permanent,
        }
        .text(lang),
    );
    if when != When::Done {
        reply.footer = Some(WatchMsg::WatchFooter { task: &label }.text(lang));
    }
    if figures.retryable > 0 {
        let state = PageState {
            task: task.to_string(),
            statuses: StatusGroup::Retryable.statuses(),
            from: None,
            to: None,
            sub: None,
            page: 1,
        };
        reply.actions.extend(
            engine
                .state_action(
                    state,
                    WatchMsg::ListRetryableButton.text(lang),
                    ActionToken::Page,
                    ActionToken::StoredPage,
                )
                .await,
        );
    }
    // A post is for the chat: never private.
    reply.private = false;
    engine.outbound(caller).reply(reply)
}
