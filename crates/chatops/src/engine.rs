//! The engine: one place that answers `/numbers`, `/stats`, `/reset`, `/export`, `/help` and
//! button presses for every transport.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use agent_core::{AgentClient, ResetFilter, StatusGroup};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use jiff::Timestamp;
use secrecy::ExposeSecret;
use tokio_util::sync::CancellationToken;
use tokio_util::task::{TaskTracker, task_tracker::TaskTrackerToken};

use crate::access::{Caller, Role, chat_key_covers};
use crate::audit::{AuditEvent, AuditLog, AuditRecord};
use crate::catalogue::{Completer, Completion};
use crate::command::{self, CommandName, Invocation, OptionKey};
use crate::config::EngineConfig;
use crate::i18n::Lang;
use crate::messages::Msg;
use crate::outbound::Outbound;
use crate::reply::{Choice, Reply, ReplyKind};
use crate::state::{PageStore, PendingReset, PendingResets, SummaryCache};
use crate::store::{MemoryStore, SharedStore, StateUrl, StoreError, ns};
use crate::token::{ActionToken, PageState, Signer};

/// Where the engine reads the time (tests move it).
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// How often the engine's sweeper forgets expired reset confirmations, auditing each as
/// expired, unless [`Engine::sweep_every`] says otherwise.
pub const SWEEP_EVERY: Duration = Duration::from_secs(30);

/// The shortest sweeping interval, in milliseconds.
const MIN_SWEEP_MILLIS: u64 = 10;

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

/// Time spent in one command, split between the engine and the platform.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timings {
    /// From the command to the reply.
    pub total: Duration,
    /// Waiting for the platform (wall time of the upstream calls).
    pub upstream: Duration,
}

impl Timings {
    /// The engine's own time: total minus upstream.
    pub fn overhead(&self) -> Duration {
        self.total.saturating_sub(self.upstream)
    }
}

/// How far long work is, for transports that show it (an edited message, a progress bar).
#[derive(Debug, Clone)]
pub struct ProgressUpdate {
    /// Done so far (numbers scanned).
    pub done: u64,
    /// Out of.
    pub total: u64,
    /// The progress as a reply, already through the outbound rule.
    pub reply: Reply,
}

/// Where long work reports its progress, about every `progress_every`.
pub type Progress = Arc<dyn Fn(ProgressUpdate) + Send + Sync>;

/// What [`Engine::shutdown`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shutdown {
    /// Whether every command in flight finished within the grace period.
    pub drained: bool,
    /// Pending confirmations audited as expired.
    pub expired: usize,
}

/// The chat-ops engine. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) client: AgentClient,
    pub(crate) config: EngineConfig,
    pub(crate) signer: Signer,
    pub(crate) audit: AuditLog,
    pub(crate) clock: Clock,
    pub(crate) store: SharedStore,
    pub(crate) pending: PendingResets,
    pub(crate) pages: PageStore,
    /// When a command last swept a shared store (Unix ms): at most once a second.
    last_sweep_ms: AtomicI64,
    pub(crate) summaries: SummaryCache,
    pub(crate) exports: Arc<crate::export::RunningExports>,
    limiter: Option<DefaultKeyedRateLimiter<String>>,
    pub(crate) tracker: TaskTracker,
    closing: AtomicBool,
    sweeper_started: AtomicBool,
    /// Stops the sweeper and the watch schedulers ([`Engine::run_watches`]).
    pub(crate) stop_sweeper: CancellationToken,
    sweep_every_ms: AtomicU64,
}

/// A random id for pending resets and stored pages, from the system's secure generator.
pub(crate) fn random_id() -> Result<u64, ring::error::Unspecified> {
    let mut bytes = [0u8; 8];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)?;
    Ok(u64::from_le_bytes(bytes))
}

/// A correlation id: ten lowercase letters (no digits, so masking never touches it), shown in
/// chat beside a failure and logged with its details.
pub(crate) fn correlation_id() -> String {
    let mut bytes = [0u8; 10];
    if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).is_err() {
        // Not a secret, only a handle to find a log line: a weaker source is fine here.
        bytes.iter_mut().for_each(|b| *b = fastrand::u8(..));
    }
    bytes.iter().map(|b| char::from(b'a' + b % 26)).collect()
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("client", &self.inner.client)
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine over a client, with the system clock.
    pub fn new(client: AgentClient, config: EngineConfig) -> Self {
        Self::with_clock(client, config, Arc::new(Timestamp::now))
    }

    /// An engine with its own clock (tests), keeping its state in memory.
    pub fn with_clock(client: AgentClient, config: EngineConfig, clock: Clock) -> Self {
        let store = Arc::new(Self::memory_store(&config, clock.clone()));
        Self::with_store(client, config, clock, store)
    }

    /// The memory store an engine keeps its state in unless given another, with the caps of
    /// `config`.
    pub fn memory_store(config: &EngineConfig, clock: Clock) -> MemoryStore {
        Self::caps(config)
            .into_iter()
            .fold(MemoryStore::new(clock), |store, (ns, cap)| {
                store.with_cap(ns, cap)
            })
    }

    /// How many entries per namespace a store in memory or in a file keeps at most.
    fn caps(config: &EngineConfig) -> [(crate::store::Namespace, usize); 3] {
        [
            (ns::PAGES, config.page_store_cap),
            (ns::DISCORD_SEEN, config.page_store_cap.saturating_mul(10)),
            (ns::TELEGRAM_SEEN, config.page_store_cap.saturating_mul(10)),
        ]
    }

    /// An engine on the store that `config.state` names, or `default` when it names none (the
    /// bots: an embedded file; the shell: memory), with the system clock.
    pub async fn open(
        client: AgentClient,
        config: EngineConfig,
        default: &StateUrl,
    ) -> Result<Self, StoreError> {
        let clock: Clock = Arc::new(Timestamp::now);
        let url = config.state.clone().unwrap_or_else(|| default.clone());
        let store = url.open(clock.clone(), &Self::caps(&config)).await?;
        Ok(Self::with_store(client, config, clock, store))
    }

    /// An engine keeping its state in `store` (shared with other replicas when it is Redis),
    /// reading the time from `clock`. Every value it keeps there is sealed under the action
    /// secret ([`SealedStore`](crate::store::SealedStore)).
    pub fn with_store(
        client: AgentClient,
        config: EngineConfig,
        clock: Clock,
        store: SharedStore,
    ) -> Self {
        let store =
            crate::store::SealedStore::wrap(store, config.secret.expose_secret().as_bytes());
        let signer = Signer::new(config.secret.expose_secret().as_bytes());
        let audit = AuditLog::new(config.audit_log.as_deref());
        let limiter = config
            .rate_limit_per_minute
            .and_then(NonZeroU32::new)
            .map(|n| RateLimiter::keyed(Quota::per_minute(n)));
        Self {
            inner: Arc::new(Inner {
                pages: PageStore::new(store.clone()),
                pending: PendingResets::new(store.clone()),
                store,
                last_sweep_ms: AtomicI64::new(i64::MIN),
                summaries: SummaryCache::new(config.summary_cache_cap, config.stats_ttl),
                exports: Arc::default(),
                client,
                config,
                signer,
                audit,
                clock,
                limiter,
                tracker: TaskTracker::new(),
                closing: AtomicBool::new(false),
                sweeper_started: AtomicBool::new(false),
                stop_sweeper: CancellationToken::new(),
                sweep_every_ms: AtomicU64::new(
                    u64::try_from(SWEEP_EVERY.as_millis()).unwrap_or(u64::MAX),
                ),
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// The platform client.
    pub fn client(&self) -> &AgentClient {
        &self.inner.client
    }

    /// The state store (shared with other replicas when it is Redis).
    pub fn store(&self) -> &SharedStore {
        &self.inner.store
    }

    /// The audit log.
    pub fn audit_log(&self) -> &AuditLog {
        &self.inner.audit
    }

    pub(crate) fn now(&self) -> Timestamp {
        (self.inner.clock)()
    }

    /// The language to answer this caller in: their locale when known, else the configured one.
    pub fn lang_for(&self, caller: &Caller) -> Lang {
        caller
            .locale
            .as_deref()
            .and_then(Lang::from_locale)
            .unwrap_or(self.inner.config.language)
    }

    /// The outbound rule for a reply to `caller` (see [`crate::outbound`]).
    pub fn outbound(&self, caller: &Caller) -> Outbound {
        Outbound::new(self.inner.config.mask_phones, Some(caller))
    }

    /// Answers a command line (`/numbers task:demo status:busy`).
    pub async fn handle_text(&self, caller: &Caller, text: &str) -> Reply {
        match command::parse(text) {
            Ok(invocation) => self.handle(caller, invocation).await,
            Err(err) => {
                let lang = self.lang_for(caller);
                // What was typed is echoed in the error: mask every digit run of it.
                self.outbound(caller).typed(text).reply(
                    Reply::new(ReplyKind::Error, Msg::CannotReadCommand.text(lang))
                        .line(err.message().text(lang)),
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
        let mut upstream = Duration::ZERO;
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
        let reply = match self.admit(caller, lang) {
            Err(refusal) => *refusal,
            Ok(_in_flight) => {
                self.sweep_on_command().await;
                match invocation.name {
                    CommandName::Help => self.help_reply(caller),
                    CommandName::Numbers => {
                        self.numbers_command(caller, &invocation, lang, &mut upstream)
                            .await
                    }
                    CommandName::Stats => {
                        self.stats_command(caller, &invocation, lang, &mut upstream)
                            .await
                    }
                    CommandName::Reset => {
                        self.reset_command(
                            caller,
                            &invocation,
                            lang,
                            &mut upstream,
                            progress.as_ref(),
                        )
                        .await
                    }
                    CommandName::Export => {
                        self.export_command(
                            caller,
                            &invocation,
                            lang,
                            &mut upstream,
                            progress.as_ref(),
                        )
                        .await
                    }
                    CommandName::Watch => self.watch_command(caller, &invocation, lang).await,
                    CommandName::Unwatch => self.unwatch_command(caller, &invocation, lang).await,
                    CommandName::Watches => self.watches_command(caller, lang).await,
                }
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

    /// Answers a button press: `data` is the action's signed token. Authorization is checked
    /// again on every press.
    pub async fn press(&self, caller: &Caller, data: &str) -> Reply {
        let lang = self.lang_for(caller);
        let mut outbound = self.outbound(caller);
        let reply = match self.admit(caller, lang) {
            Err(refusal) => *refusal,
            Ok(_in_flight) => {
                let token = self.inner.signer.verify(data);
                if let Ok(ActionToken::Confirm(id) | ActionToken::Cancel(id)) = &token
                    && let Ok(Some(pending)) = self.inner.pending.peek(*id).await
                {
                    outbound = typed_of(outbound, &pending.filter);
                }
                let reply = self.press_inner(caller, token, lang).await;
                // After the press, so that a late confirmation is told it expired.
                self.sweep_on_command().await;
                reply
            }
        };
        outbound.reply(reply)
    }

    /// Lets a command in, or says why not: the engine is shutting down, the caller's place is
    /// not served, or the caller is over their rate. The token keeps shutdown waiting for the
    /// command.
    fn admit(&self, caller: &Caller, lang: Lang) -> Result<TaskTrackerToken, Box<Reply>> {
        if let Some(refusal) = self.refusal(caller, lang) {
            return Err(Box::new(refusal));
        }
        if let Some(limiter) = &self.inner.limiter
            && limiter.check_key(&caller.identity()).is_err()
        {
            tracing::warn!(caller = %caller.identity(), "refused: rate limit");
            let per_minute = self.inner.config.rate_limit_per_minute.unwrap_or_default();
            return Err(Box::new(
                Reply::new(ReplyKind::Refused, Msg::TooManyRequests.text(lang)).line(
                    Msg::RateLimited {
                        per_minute: u64::from(per_minute),
                    }
                    .text(lang),
                ),
            ));
        }
        // Forget callers whose quota is full again, so the map stays small.
        if let Some(limiter) = &self.inner.limiter
            && limiter.len() > 10_000
        {
            limiter.retain_recent();
        }
        self.start_sweeper();
        Ok(self.inner.tracker.token())
    }

    /// Why the caller may not be served at all, if so: the engine is shutting down, the caller
    /// is anonymous, or their place is not served. (Not the rate: [`Engine::admit`] counts it.)
    fn refusal(&self, caller: &Caller, lang: Lang) -> Option<Reply> {
        if self.inner.closing.load(Ordering::SeqCst) {
            return Some(
                Reply::new(ReplyKind::Error, Msg::ShuttingDown.text(lang))
                    .line(Msg::Restarting.text(lang)),
            );
        }
        if caller.anonymous {
            return Some(
                Reply::new(ReplyKind::Refused, Msg::NotAllowed.text(lang))
                    .line(Msg::AnonymousSender.text(lang)),
            );
        }
        if let Some(places) = self.inner.config.places.get(&caller.transport) {
            let served = match &caller.place {
                None => places.direct_messages,
                Some(place) => places
                    .allowed
                    .as_ref()
                    .is_none_or(|allowed| allowed.contains(place)),
            };
            if !served {
                tracing::warn!(caller = %caller.identity(), place = caller.place.as_deref().unwrap_or("direct"), "refused: place not served");
                return Some(
                    Reply::new(ReplyKind::Refused, Msg::NotHere.text(lang))
                        .line(Msg::PlaceNotServed.text(lang)),
                );
            }
        }
        None
    }

    /// How often the sweeper forgets expired confirmations (see [`Engine::sweep_every`]).
    fn sweep_interval(&self) -> Duration {
        Duration::from_millis(self.inner.sweep_every_ms.load(Ordering::Relaxed))
    }

    /// Sweeps expired reset confirmations (auditing each as expired) every `every` instead of
    /// every [`SWEEP_EVERY`]. Takes effect from the sweeper's next round.
    #[must_use]
    pub fn sweep_every(self, every: Duration) -> Self {
        let millis = u64::try_from(every.as_millis())
            .unwrap_or(u64::MAX)
            .max(MIN_SWEEP_MILLIS);
        self.inner.sweep_every_ms.store(millis, Ordering::Relaxed);
        self
    }

    /// Starts the sweeper of expired confirmations, once, on the runtime of the first command
    /// (before it there is nothing to sweep). It runs on the engine's task tracker until
    /// [`Engine::shutdown`], or until the last clone of the engine is dropped.
    fn start_sweeper(&self) {
        if self.inner.sweeper_started.swap(true, Ordering::SeqCst) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // No runtime here (a synchronous caller): the next command starts it.
            self.inner.sweeper_started.store(false, Ordering::SeqCst);
            return;
        };
        let engine = Arc::downgrade(&self.inner);
        let stop = self.inner.stop_sweeper.clone();
        self.inner.tracker.spawn_on(
            async move {
                loop {
                    let Some(every) = engine
                        .upgrade()
                        .map(|inner| Engine { inner }.sweep_interval())
                    else {
                        return;
                    };
                    tokio::select! {
                        () = stop.cancelled() => return,
                        () = tokio::time::sleep(every) => {}
                    }
                    let Some(inner) = engine.upgrade() else {
                        return;
                    };
                    let engine = Engine { inner };
                    let expired = engine.sweep_expired().await;
                    engine.purge_expired().await;
                    if expired > 0 {
                        tracing::info!(expired, "reset confirmations expired");
                    }
                }
            },
            &runtime,
        );
    }

    /// Stops taking commands and the sweeper of expired confirmations, lets the commands in
    /// flight finish within `shutdown_grace`, and audits every pending confirmation as expired.
    /// Every transport calls it on Ctrl-C or SIGTERM.
    pub async fn shutdown(&self) -> Shutdown {
        self.inner.closing.store(true, Ordering::SeqCst);
        self.inner.stop_sweeper.cancel();
        // Exports in flight stop and delete their files.
        self.inner.exports.stop_all();
        self.inner.tracker.close();
        let drained =
            tokio::time::timeout(self.inner.config.shutdown_grace, self.inner.tracker.wait())
                .await
                .is_ok();
        if !drained {
            tracing::warn!(grace = ?self.inner.config.shutdown_grace, "commands still in flight at shutdown");
        }
        // A persistent store keeps them: they are still good after a restart, or on another
        // replica. Memory dies with the process: audit them as expired.
        let pending = if self.inner.store.persistent() {
            Vec::new()
        } else {
            self.inner.pending.take_all().await.unwrap_or_default()
        };
        for (id, pending) in &pending {
            self.audit(AuditEvent::Expired, *id, &pending.requester, pending, None)
                .ok();
        }
        Shutdown {
            drained,
            expired: pending.len(),
        }
    }

    /// Whether [`Engine::shutdown`] was called.
    pub fn is_closing(&self) -> bool {
        self.inner.closing.load(Ordering::SeqCst)
    }

    async fn press_inner(
        &self,
        caller: &Caller,
        token: Result<ActionToken, crate::token::TokenError>,
        lang: Lang,
    ) -> Reply {
        let token = match token {
            Ok(token) => token,
            Err(err) => {
                tracing::warn!(caller = %caller.identity(), %err, "refused an action");
                return Reply::new(ReplyKind::Refused, Msg::ActionRefused.text(lang))
                    .line(Msg::ForgedAction.text(lang));
            }
        };
        let mut upstream = Duration::ZERO;
        match token {
            ActionToken::Page(state) => self.page_press(caller, state, lang, &mut upstream).await,
            ActionToken::StoredPage(id) => match self.inner.pages.get(id).await {
                Ok(Some(state)) => self.page_press(caller, state, lang, &mut upstream).await,
                Ok(None) => Reply::new(ReplyKind::Error, Msg::PageExpired.text(lang))
                    .line(Msg::RunNumbersAgain.text(lang)),
                Err(err) => self.store_refused(&err, caller, id, lang),
            },
            ActionToken::Refresh(state) => {
                self.refresh_press(caller, state, lang, &mut upstream).await
            }
            ActionToken::StoredRefresh(id) => match self.inner.pages.get(id).await {
                Ok(Some(state)) => self.refresh_press(caller, state, lang, &mut upstream).await,
                Ok(None) => Reply::new(ReplyKind::Error, Msg::PageExpired.text(lang))
                    .line(Msg::RunStatsAgain.text(lang)),
                Err(err) => self.store_refused(&err, caller, id, lang),
            },
            ActionToken::Confirm(id) => self.confirm(caller, id, lang).await,
            ActionToken::Cancel(id) => self.cancel(caller, id, lang).await,
            ActionToken::StopExport(id) => self.stop_export(caller, id, lang),
        }
    }

    async fn page_press(
        &self,
        caller: &Caller,
        state: PageState,
        lang: Lang,
        upstream: &mut Duration,
    ) -> Reply {
        // A page belongs to `/numbers`: it needs that command's role.
        if let Some(refusal) = self.refuse_unless(caller, CommandName::Numbers, lang) {
            return refusal;
        }
        self.show_page(state, lang, upstream).await
    }

    /// The refusal reply when the caller lacks the role `command` needs (from the catalogue).
    pub(crate) fn refuse_unless(
        &self,
        caller: &Caller,
        command: CommandName,
        lang: Lang,
    ) -> Option<Reply> {
        let role = command.role()?;
        if self.inner.config.access.allows(caller, role) {
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
        caller: &Caller,
        invocation: &Invocation,
        lang: Lang,
    ) -> Result<(String, String), Box<Reply>> {
        if let Some(refusal) = self.refuse_unless(caller, invocation.name, lang) {
            return Err(Box::new(refusal));
        }
        self.resolve_task(
            caller,
            invocation.get(crate::command::OptionKey::Task),
            lang,
        )
    }

    /// Resolves a task alias or id, or the chat's default task. Returns `(task id, label)`.
    pub(crate) fn resolve_task(
        &self,
        caller: &Caller,
        given: Option<&str>,
        lang: Lang,
    ) -> Result<(String, String), Box<Reply>> {
        let config = &self.inner.config;
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
                    return Err(Box::new(
                        Reply::new(ReplyKind::Error, Msg::NoTask.text(lang))
                            .line(Msg::WhichTask { aliases: &aliases }.text(lang)),
                    ));
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
            return Err(Box::new(
                Reply::new(ReplyKind::Refused, Msg::UnknownTask.text(lang))
                    .line(Msg::OnlyConfiguredTasks { aliases: &aliases }.text(lang)),
            ));
        }
        match agent_core::Id::task(&wanted) {
            Ok(id) => Ok((id.as_str().to_string(), self.task_label(id.as_str()))),
            Err(_) => {
                let aliases = self.task_aliases();
                Err(Box::new(
                    Reply::new(ReplyKind::Error, Msg::UnknownTask.text(lang)).line(
                        Msg::NotATask {
                            given: &wanted,
                            aliases: &aliases,
                        }
                        .text(lang),
                    ),
                ))
            }
        }
    }

    /// The sub-account `sub:` names, if this engine may act on it.
    pub(crate) fn allowed_sub(
        &self,
        given: &str,
        lang: Lang,
    ) -> Result<agent_core::Id, Box<Reply>> {
        let sub = agent_core::Id::sub_account(given)
            .map_err(|e| Box::new(crate::text::bad_input("sub", &e, lang)))?;
        let config = &self.inner.config;
        if config.any_task || config.sub_accounts.iter().any(|s| s == sub.as_str()) {
            return Ok(sub);
        }
        Err(Box::new(
            Reply::new(ReplyKind::Refused, Msg::UnknownSub.text(lang))
                .line(Msg::OnlyConfiguredSubs.text(lang)),
        ))
    }

    /// The alias of a task id, or a shortened id.
    pub(crate) fn task_label(&self, task_id: &str) -> String {
        self.inner
            .config
            .tasks
            .iter()
            .find(|(_, id)| id.as_str() == task_id)
            .map(|(alias, _)| alias.clone())
            .unwrap_or_else(|| task_id.to_string())
    }

    /// The configured aliases.
    pub fn task_aliases(&self) -> Vec<String> {
        self.inner.config.tasks.keys().cloned().collect()
    }

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
        if self.refusal(caller, lang).is_some() || !self.inner.config.access.allows(caller, needed)
        {
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
        self.inner
            .config
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
        let lang = caller.map_or(self.inner.config.language, |c| self.lang_for(c));
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
        Outbound::new(self.inner.config.mask_phones, caller).reply(reply)
    }

    /// Forgets pending resets whose time is up, auditing each as expired; returns how many.
    /// Runs at every command and press (at most once a second on a persistent store), and on
    /// the engine's own timer (see [`Engine::sweep_every`]). Each is taken atomically, so of
    /// several replicas sweeping one Redis, one audits it.
    pub async fn sweep_expired(&self) -> usize {
        let now = self.now();
        let expired = match self.inner.pending.take_expired(now).await {
            Ok(expired) => expired,
            Err(err) => {
                tracing::warn!(%err, "cannot sweep expired confirmations");
                Vec::new()
            }
        };
        for (id, pending) in &expired {
            // An expiry that cannot be audited is logged by the audit log itself.
            self.audit(AuditEvent::Expired, *id, &pending.requester, pending, None)
                .ok();
        }
        expired.len()
    }

    /// Forgets expired state (page states, ids seen) where the store does not by itself; runs
    /// on the engine's timer.
    async fn purge_expired(&self) {
        match self.inner.store.purge_expired().await {
            Ok(0) => {}
            Ok(purged) => tracing::debug!(purged, "expired state purged"),
            Err(err) => tracing::warn!(%err, "cannot purge expired state"),
        }
    }

    /// The sweep a command or a press runs: always in memory (cheap), at most once a second
    /// on a persistent store (a round trip).
    async fn sweep_on_command(&self) {
        if self.inner.store.persistent() {
            let now = self.now().as_millisecond();
            let last = self.inner.last_sweep_ms.load(Ordering::Relaxed);
            if now.saturating_sub(last) < 1_000
                || self
                    .inner
                    .last_sweep_ms
                    .compare_exchange(last, now, Ordering::SeqCst, Ordering::Relaxed)
                    .is_err()
            {
                return;
            }
        }
        self.sweep_expired().await;
    }

    /// How many page states and cached counts the engine holds (they are capped); page states
    /// are counted in memory only (0 on a persistent store, where they expire by time).
    pub fn held(&self) -> (usize, usize) {
        (self.inner.pages.len(), self.inner.summaries.len())
    }

    /// How many resets wait for confirmation (in a shared store: on every replica).
    pub async fn pending_resets(&self) -> usize {
        match self.inner.pending.len().await {
            Ok(n) => n,
            Err(err) => {
                tracing::warn!(%err, "cannot count pending confirmations");
                0
            }
        }
    }

    /// Writes an audit record: every text in it passes the outbound rule. Fails when the audit
    /// file cannot be written (a reset is then not sent).
    pub(crate) fn audit(
        &self,
        event: AuditEvent,
        id: u64,
        actor: &Caller,
        pending: &PendingReset,
        outcome: Option<String>,
    ) -> std::io::Result<()> {
        let out = typed_of(self.outbound(actor), &pending.filter);
        self.inner.audit.record(&AuditRecord {
            at: self.now().to_string(),
            event,
            request: format!("{id:016x}"),
            actor: actor.identity(),
            actor_name: out.text(&actor.name),
            chat: actor.chat_id.clone(),
            task: pending.filter.scope().task().as_str().to_string(),
            filter: out.text(&crate::text::describe_reset(
                &pending.filter,
                Lang::En,
                self.inner.config.mask_phones,
            )),
            matched: pending.preview.total(),
            outcome: outcome.map(|o| out.text(&o)),
        })
    }

    /// The help reply: what the caller may do, for their eyes only ([`Reply::private`]: it
    /// names their role). A stranger (no role) is told only how to get access.
    pub fn help(&self, caller: &Caller) -> Reply {
        let lang = self.lang_for(caller);
        match self.admit(caller, lang) {
            Err(refusal) => self.outbound(caller).reply(*refusal),
            Ok(_in_flight) => self.outbound(caller).reply(self.help_reply(caller)),
        }
    }

    fn help_reply(&self, caller: &Caller) -> Reply {
        let lang = self.lang_for(caller);
        let identity = caller.identity();
        let Some(role) = self.inner.config.access.role_of(caller) else {
            let mut reply = Reply::new(ReplyKind::Info, Msg::NoAccessTitle.text(lang)).line(
                Msg::NoRole {
                    identity: &identity,
                }
                .text(lang),
            );
            reply.private = true;
            return reply;
        };
        let aliases = self.task_aliases();
        let mut reply = Reply::new(ReplyKind::Info, Msg::HelpTitle.text(lang));
        // The command lines come from the catalogue: a usage line, then what it does.
        let mut lines: Vec<String> = crate::catalogue::COMMANDS
            .iter()
            .flat_map(|spec| [spec.usage(lang), format!("    {}", spec.help.get(lang))])
            .collect();
        lines.extend(
            [
                Msg::HelpTasks { aliases: &aliases },
                Msg::HelpStatuses,
                Msg::HelpGroups,
                Msg::HelpTimes,
                Msg::HelpYouAre {
                    identity: &identity,
                    role,
                },
            ]
            .map(|msg| msg.text(lang)),
        );
        reply.lines = lines;
        // It names the caller's role: for their eyes only, in every transport.
        reply.private = true;
        reply
    }
}

/// The reply when the state store fails (details in the log, never in chat).
impl Engine {
    /// The reply to a store failure while reading the record `id` for `actor`. A record that
    /// failed its seal check (changed in the store) is refused and audited `tampered`.
    pub(crate) fn store_refused(
        &self,
        err: &StoreError,
        actor: &Caller,
        id: u64,
        lang: Lang,
    ) -> Reply {
        if let StoreError::Tampered(namespace) = err {
            tracing::error!(
                namespace,
                request = %format!("{id:016x}"),
                "a stored record failed its seal check: refused"
            );
            let out = self.outbound(actor);
            let audited = self.inner.audit.record(&AuditRecord {
                at: self.now().to_string(),
                event: AuditEvent::Tampered,
                request: format!("{id:016x}"),
                actor: actor.identity(),
                actor_name: out.text(&actor.name),
                chat: actor.chat_id.clone(),
                task: String::new(),
                filter: String::new(),
                matched: 0,
                outcome: Some(format!(
                    "the stored {namespace} record failed its seal check: refused, nothing done"
                )),
            });
            if let Err(err) = audited {
                tracing::error!(%err, "cannot audit a tampered record");
            }
        }
        store_failed(err, lang)
    }
}

pub(crate) fn store_failed(err: &StoreError, lang: Lang) -> Reply {
    tracing::error!(%err, "the state store failed");
    Reply::new(ReplyKind::Error, Msg::InternalErrorTitle.text(lang))
        .line(Msg::InternalError.text(lang))
}

/// The rule `outbound` with what was typed into a reset's `phones:` and `keyword:`.
pub(crate) fn typed_of(mut outbound: Outbound, filter: &ResetFilter) -> Outbound {
    for phone in filter.phones() {
        outbound = outbound.typed(phone);
    }
    if let Some(keyword) = filter.keyword() {
        outbound = outbound.typed(keyword);
    }
    outbound
}
