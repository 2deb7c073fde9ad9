//! `/watch`, `/unwatch`, `/watches`, and the scheduler that posts what they ask for.
//!
//! A watch is one entry of the state store's [`ns::WATCHES`] namespace, keyed by task and
//! chat: who asked (the [`Caller`], so the post goes to their chat on their transport, in
//! their language), when it posts ([`When`]), when it was made and when it last posted. It
//! lives [`WATCH_TTL`] after it was made or last posted.
//!
//! Every transport runs a [`WatchScheduler`] beside its engine ([`Engine::run_watches`]). Each
//! poll (`watch_poll_secs`) it lists the watches of its transport, groups them by task and
//! makes **one** count request per watched task (how many numbers still wait), shared by every
//! chat that watches it. A task with watches due also needs its counts per status (the shared
//! counts cache of `/stats`, counted when stale). A poll never makes more than
//! `watch_max_requests_per_poll` requests: the tasks left over are polled first at the next
//! poll. A task whose count fails is left alone for a while that doubles with each failure
//! (capped at [`MAX_BACKOFF`]).
//!
//! With a store shared by replicas (Redis), each replica's scheduler sees every watch. Before
//! counting a task it takes the task's lease for this poll (`poll/<transport>/<task>/<n>`, the
//! poll's number since the epoch), so the replicas count each watched task once a poll between
//! them; and before posting, it takes a lease `<task>/<chat>/<made>/<slot>`
//! with [`StateStore::insert_new`](crate::store::StateStore::insert_new), so exactly one replica
//! posts each due watch. A post that cannot be delivered gives its lease back and is tried
//! again at the next poll.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use agent_core::time::CHINA_OFFSET;
use agent_core::{CallStatus, Id, ListFilter, Scope, StatusGroup, StatusSet};
use futures::future::BoxFuture;
use jiff::{SignedDuration, Timestamp, tz::TimeZone};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::access::{Caller, Role, Transport};
use crate::chart::Figures;
use crate::command::{CommandName, Invocation, OptionKey};
use crate::engine::{Engine, store_failed};
use crate::i18n::Lang;
use crate::messages::Msg;
use crate::reply::{Align, Reply, ReplyKind, Table};
use crate::store::{StoreError, ns};
use crate::token::{ActionToken, PageState};

/// How long a watch is kept after it was made or last posted.
pub const WATCH_TTL: Duration = Duration::from_secs(90 * 24 * 3600);
/// The shortest `every:`.
pub const MIN_EVERY: Duration = Duration::from_secs(5 * 60);
/// The longest `every:`.
pub const MAX_EVERY: Duration = Duration::from_secs(30 * 24 * 3600);
/// The longest a failing task is left alone.
pub const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// How long a lease on a due post is kept (longer than any replica takes to see the post).
const LEASE_TTL: Duration = Duration::from_secs(2 * 24 * 3600);
/// The most watches one chat may have.
pub const MAX_WATCHES_PER_CHAT: usize = 25;

/// When a watch posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Once, when no number of the task waits any more.
    Done,
    /// A summary every day at this time, China time.
    Daily {
        /// 0..=23.
        hour: i8,
        /// 0..=59.
        minute: i8,
    },
    /// A summary every so often (at least [`MIN_EVERY`]), counted from when the watch was made.
    Every(Duration),
}

/// Why a `when:` cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WhenError {
    /// Not `done`, `daily@HH:MM` or `every:<duration>`.
    #[error("use done, daily@HH:MM or every:<duration>")]
    Unreadable,
    /// `every:` shorter than [`MIN_EVERY`].
    #[error("every: is shorter than the minimum")]
    TooShort,
}

fn two_digits(text: &str, max: i8) -> Option<i8> {
    if text.is_empty() || text.len() > 2 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<i8>().ok().filter(|n| (0..=max).contains(n))
}

impl When {
    /// Reads `done`, `daily@09:00` (China time) or `every:30m` / `every:2h` / `every:1d`.
    pub fn parse(text: &str) -> Result<Self, WhenError> {
        let text = text.trim().to_ascii_lowercase();
        if text == "done" {
            return Ok(Self::Done);
        }
        if let Some(at) = text.strip_prefix("daily@") {
            let (hour, minute) = at.split_once(':').ok_or(WhenError::Unreadable)?;
            let hour = two_digits(hour, 23).ok_or(WhenError::Unreadable)?;
            if minute.len() != 2 {
                return Err(WhenError::Unreadable);
            }
            let minute = two_digits(minute, 59).ok_or(WhenError::Unreadable)?;
            return Ok(Self::Daily { hour, minute });
        }
        if let Some(every) = text.strip_prefix("every:") {
            let unit = match every.chars().last() {
                Some('m') => 60,
                Some('h') => 3600,
                Some('d') => 86_400,
                _ => return Err(WhenError::Unreadable),
            };
            let digits = &every[..every.len() - 1];
            if digits.is_empty() || digits.len() > 6 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(WhenError::Unreadable);
            }
            let n: u64 = digits.parse().map_err(|_| WhenError::Unreadable)?;
            let every = Duration::from_secs(n.saturating_mul(unit));
            if every < MIN_EVERY {
                return Err(WhenError::TooShort);
            }
            if every > MAX_EVERY {
                return Err(WhenError::Unreadable);
            }
            return Ok(Self::Every(every));
        }
        Err(WhenError::Unreadable)
    }

    /// In words, in `lang` (`when it is done`, `daily at 09:00 China time`, `every 30m`).
    pub fn describe(&self, lang: Lang) -> String {
        match self {
            Self::Done => Msg::WhenDone.text(lang),
            Self::Daily { hour, minute } => Msg::WhenDaily {
                at: &format!("{hour:02}:{minute:02}"),
            }
            .text(lang),
            Self::Every(every) => Msg::WhenEvery {
                every: &short_duration(*every),
            }
            .text(lang),
        }
    }
}

/// `30m`, `2h`, `1d`.
fn short_duration(every: Duration) -> String {
    let secs = every.as_secs();
    if secs.is_multiple_of(86_400) {
        format!("{}d", secs / 86_400)
    } else if secs.is_multiple_of(3600) {
        format!("{}h", secs / 3600)
    } else {
        format!("{}m", secs / 60)
    }
}

impl fmt::Display for When {
    /// As typed: `done`, `daily@09:00`, `every:30m`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Done => f.write_str("done"),
            Self::Daily { hour, minute } => write!(f, "daily@{hour:02}:{minute:02}"),
            Self::Every(every) => write!(f, "every:{}", short_duration(*every)),
        }
    }
}

/// A watch as the store keeps it (JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredWatch {
    /// The task id.
    task: String,
    /// Who asked, where: the post goes to their chat, in their language.
    caller: Caller,
    /// As typed (`daily@09:00`).
    when: String,
    /// When it was made (Unix ms).
    made_ms: i64,
    /// When it last posted (Unix ms).
    last_post_ms: Option<i64>,
}

/// A watch read back from the store.
struct Watch {
    key: String,
    stored: StoredWatch,
    when: When,
}

/// The chat a caller is in, as part of a key: `telegram:-100123` (or `telegram:user:42` when
/// the transport names no chat).
fn chat_key(caller: &Caller) -> String {
    match &caller.chat_id {
        Some(chat) => format!("{}:{chat}", caller.transport),
        None => format!("{}:user:{}", caller.transport, caller.user_id),
    }
}

fn watch_key(task: &str, caller: &Caller) -> String {
    format!("{task}/{}", chat_key(caller))
}

fn decode(key: String, bytes: &[u8]) -> Option<Watch> {
    let stored: StoredWatch = serde_json::from_slice(bytes).ok()?;
    let when = When::parse(&stored.when).ok()?;
    Some(Watch { key, stored, when })
}

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

/// The scheduler running on an engine's timer ([`Engine::run_watches`]); stops when dropped,
/// when [`WatchRunner::stop`] is called, or at [`Engine::shutdown`].
#[derive(Debug)]
pub struct WatchRunner {
    stop: CancellationToken,
}

impl WatchRunner {
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
    pub async fn tick(&mut self, engine: &Engine) -> TickReport {
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
    async fn poll_lease(&self, engine: &Engine, task: &str, now: Timestamp) -> bool {
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

    fn fail(&mut self, engine: &Engine, task: &str, err: &agent_core::Error, now: Timestamp) {
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
        engine: &Engine,
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
        let reply = engine
            .watch_reply(&watch.stored.task, watch.when, &caller, figures)
            .await;
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
        engine: &Engine,
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

impl Engine {
    /// Runs a [`WatchScheduler`] for `transport` on this engine's timer: a poll every
    /// `watch_poll` (the first one a poll after the start), until the runner is dropped or
    /// stopped, the engine shut down, or its last clone dropped. Needs a Tokio runtime.
    pub fn run_watches(&self, transport: Transport, post: WatchPost) -> WatchRunner {
        let stop = self.inner.stop_sweeper.child_token();
        let runner = WatchRunner { stop: stop.clone() };
        let engine = Arc::downgrade(&self.inner);
        let every = self.inner.config.watch_poll;
        let mut scheduler = WatchScheduler::new(transport, post);
        self.inner.tracker.spawn(async move {
            loop {
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(every) => {}
                }
                let Some(inner) = engine.upgrade() else {
                    return;
                };
                let engine = Engine { inner };
                if engine.is_closing() {
                    return;
                }
                let report = scheduler.tick(&engine).await;
                tracing::debug!(?report, "watch poll");
            }
        });
        runner
    }

    /// The post of a due watch, in the watcher's language, through the outbound rule.
    async fn watch_reply(
        &self,
        task: &str,
        when: When,
        caller: &Caller,
        figures: &Figures,
    ) -> Reply {
        let lang = self.lang_for(caller);
        let label = self.task_label(task);
        let rate = figures.connect_rate(lang);
        let mut reply = match when {
            When::Done => {
                let mut reply = Reply::new(
                    ReplyKind::Done,
                    Msg::WatchDoneTitle { task: &label }.text(lang),
                );
                reply.summary = Some(
                    Msg::WatchDone {
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
                    Msg::WatchSummaryTitle {
                        task: &label,
                        when: &when.describe(lang),
                    }
                    .text(lang),
                );
                reply.summary = Some(
                    Msg::WatchFigures {
                        dialled: figures.dialled,
                        connected: figures.connected,
                        rate: &rate,
                        retryable: figures.retryable,
                    }
                    .text(lang),
                );
                reply.lines.push(
                    Msg::WatchWaiting {
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
            reply.footer = Some(Msg::WatchFooter { task: &label }.text(lang));
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
                self.state_action(
                    state,
                    Msg::ListRetryableButton.text(lang),
                    ActionToken::Page,
                    ActionToken::StoredPage,
                )
                .await,
            );
        }
        // A post is for the chat: never private.
        reply.private = false;
        self.outbound(caller).reply(reply)
    }

    pub(crate) async fn watch_command(
        &self,
        caller: &Caller,
        invocation: &Invocation,
        lang: Lang,
    ) -> Reply {
        let (task, label) = match self.authorize_task(caller, invocation, lang) {
            Ok(task) => task,
            Err(reply) => return *reply,
        };
        let when = match invocation.get(OptionKey::When).map(When::parse) {
            None => When::Done,
            Some(Ok(when)) => when,
            Some(Err(err)) => {
                let given = invocation.get(OptionKey::When).unwrap_or_default();
                let line = match err {
                    WhenError::Unreadable => Msg::BadWhen { given }.text(lang),
                    WhenError::TooShort => Msg::EveryTooShort {
                        minutes: MIN_EVERY.as_secs() / 60,
                    }
                    .text(lang),
                };
                return Reply::new(ReplyKind::Error, Msg::BadInput.text(lang)).line(line);
            }
        };
        let key = watch_key(&task, caller);
        let chat = chat_key(caller);
        let store = self.store();
        let mine = match store.list(ns::WATCHES).await {
            Ok(listed) => listed
                .iter()
                .filter(|(k, _)| *k != key && k.ends_with(&format!("/{chat}")))
                .count(),
            Err(err) => return store_failed(&err, lang),
        };
        if mine >= MAX_WATCHES_PER_CHAT {
            return Reply::new(ReplyKind::Refused, Msg::NotAllowed.text(lang)).line(
                Msg::WatchLimit {
                    max: u64::try_from(MAX_WATCHES_PER_CHAT).unwrap_or(u64::MAX),
                }
                .text(lang),
            );
        }
        let stored = StoredWatch {
            task,
            caller: caller.clone(),
            when: when.to_string(),
            made_ms: self.now().as_millisecond(),
            last_post_ms: None,
        };
        let bytes = match serde_json::to_vec(&stored) {
            Ok(bytes) => bytes,
            Err(_) => return store_failed(&StoreError::Corrupt(ns::WATCHES.name), lang),
        };
        if let Err(err) = store.put(ns::WATCHES, &key, &bytes, WATCH_TTL).await {
            return store_failed(&err, lang);
        }
        tracing::info!(caller = %caller.identity(), task = %label, %when, "watch set");
        Reply::new(
            ReplyKind::Done,
            Msg::WatchAdded {
                task: &label,
                when: &when.describe(lang),
            }
            .text(lang),
        )
    }

    pub(crate) async fn unwatch_command(
        &self,
        caller: &Caller,
        invocation: &Invocation,
        lang: Lang,
    ) -> Reply {
        let (task, label) = match self.authorize_task(caller, invocation, lang) {
            Ok(task) => task,
            Err(reply) => return *reply,
        };
        match self
            .store()
            .remove(ns::WATCHES, &watch_key(&task, caller))
            .await
        {
            Ok(true) => {
                tracing::info!(caller = %caller.identity(), task = %label, "watch removed");
                Reply::new(
                    ReplyKind::Done,
                    Msg::WatchRemoved { task: &label }.text(lang),
                )
            }
            Ok(false) => Reply::new(
                ReplyKind::Info,
                Msg::WatchNotFound { task: &label }.text(lang),
            ),
            Err(err) => store_failed(&err, lang),
        }
    }

    pub(crate) async fn watches_command(&self, caller: &Caller, lang: Lang) -> Reply {
        if let Some(refusal) = self.refuse_unless(caller, CommandName::Watches, lang) {
            return refusal;
        }
        let listed = match self.store().list(ns::WATCHES).await {
            Ok(listed) => listed,
            Err(err) => return store_failed(&err, lang),
        };
        let chat = chat_key(caller);
        let mut watches: Vec<Watch> = listed
            .into_iter()
            .filter_map(|(key, bytes)| decode(key, &bytes))
            .filter(|watch| chat_key(&watch.stored.caller) == chat)
            .collect();
        if watches.is_empty() {
            return Reply::new(ReplyKind::Info, Msg::WatchesTitle.text(lang))
                .line(Msg::NoWatches.text(lang));
        }
        watches.sort_by_key(|watch| self.task_label(&watch.stored.task));
        let zone = TimeZone::fixed(CHINA_OFFSET);
        let rows = watches
            .iter()
            .map(|watch| {
                let last = watch
                    .stored
                    .last_post_ms
                    .and_then(|ms| Timestamp::from_millisecond(ms).ok())
                    .map_or_else(
                        || "-".to_string(),
                        |at| {
                            at.to_zoned(zone.clone())
                                .strftime("%m-%d %H:%M")
                                .to_string()
                        },
                    );
                vec![
                    self.task_label(&watch.stored.task),
                    watch.when.describe(lang),
                    last,
                ]
            })
            .collect();
        let mut reply = Reply::new(ReplyKind::Info, Msg::WatchesTitle.text(lang));
        reply.table = Some(Table {
            columns: vec![
                (Msg::ColumnTask.text(lang), Align::Left),
                (Msg::ColumnWhen.text(lang), Align::Left),
                (Msg::ColumnLastPost.text(lang), Align::Left),
            ],
            rows,
        });
        reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_reads_the_three_forms_and_refuses_the_rest() {
        assert_eq!(When::parse("done"), Ok(When::Done));
        assert_eq!(When::parse(" DONE "), Ok(When::Done));
        assert_eq!(
            When::parse("daily@09:30"),
            Ok(When::Daily {
                hour: 9,
                minute: 30
            })
        );
        assert_eq!(
            When::parse("daily@9:05"),
            Ok(When::Daily { hour: 9, minute: 5 })
        );
        assert_eq!(
            When::parse("every:30m"),
            Ok(When::Every(Duration::from_secs(1800)))
        );
        assert_eq!(
            When::parse("every:2h"),
            Ok(When::Every(Duration::from_secs(7200)))
        );
        assert_eq!(
            When::parse("every:1d"),
            Ok(When::Every(Duration::from_secs(86_400)))
        );
        assert_eq!(When::parse("every:4m"), Err(WhenError::TooShort));
        assert_eq!(When::parse("every:0m"), Err(WhenError::TooShort));
        for bad in [
            "",
            "daily",
            "daily@24:00",
            "daily@12:60",
            "daily@12:5",
            "daily@-1:00",
            "every:",
            "every:m",
            "every:10",
            "every:10s",
            "every:+10m",
            "every:31d",
            "every:9999999d",
            "weekly",
            "daily@12:00:00",
        ] {
            assert_eq!(When::parse(bad), Err(WhenError::Unreadable), "{bad}");
        }
        for text in [
            "done",
            "daily@09:30",
            "every:30m",
            "every:2h",
            "every:1d",
            "every:90m",
        ] {
            assert_eq!(When::parse(text).unwrap().to_string(), text);
        }
    }
}
