//! The kernel: what every command passes through, and nothing a command does. It admits a
//! caller (the engine is open, the caller is not anonymous, their place is served, they are
//! within their rate: [`admission`]), parses and dispatches a command or a button press to the
//! command that owns it ([`dispatch`]), checks the signature of every pressed button, passes
//! every reply through the outbound rule, and runs the engine's lifecycle: the sweeper of
//! expired confirmations, the watch schedulers and the shutdown ([`lifecycle`]). Suggestions as
//! a user types and a transport's own notices are worded here too ([`complete`]).
//!
//! The commands themselves live in [`crate::commands`], one module each; what they share (the
//! client, store, clock, audit log, signer) is the [`Services`] the kernel owns.

mod admission;
mod complete;
mod dispatch;
mod lifecycle;

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64};
use std::time::Duration;

use agent_core::AgentClient;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use jiff::Timestamp;
use secrecy::ExposeSecret;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use self::complete::Notice;
pub use self::lifecycle::{SWEEP_EVERY, Shutdown};
use crate::access::Caller;
use crate::audit::AuditLog;
use crate::config::EngineConfig;
use crate::i18n::Lang;
use crate::outbound::Outbound;
pub use crate::services::Clock;
use crate::services::Services;
use crate::store::{MemoryStore, Namespace, SharedStore, StateUrl, StoreError, ns};
use crate::transport::TransportProfile;

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

/// The chat-ops engine. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    services: Services,
    /// When a command last swept a shared store (Unix ms): at most once a second.
    last_sweep_ms: AtomicI64,
    limiter: Option<DefaultKeyedRateLimiter<String>>,
    tracker: TaskTracker,
    closing: AtomicBool,
    sweeper_started: AtomicBool,
    /// Stops the sweeper and the watch schedulers ([`Engine::run_watches`]).
    stop_sweeper: CancellationToken,
    sweep_every_ms: AtomicU64,
}

/// The engine's services are what a watch scheduler ticks with (and what a command's context
/// derefs to).
impl Deref for Engine {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.inner.services
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("client", &self.client)
            .field("config", &self.config)
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

    /// An engine over a client for a transport that registers `transport` (its namespaces,
    /// buttons' size and upload limit), with the system clock, keeping its state in memory.
    pub fn new_for(client: AgentClient, config: EngineConfig, transport: TransportProfile) -> Self {
        let clock: Clock = Arc::new(Timestamp::now);
        let store = Arc::new(Self::memory_store_for(&config, &transport, clock.clone()));
        Self::with_store_for(client, config, clock, store, transport)
    }

    /// The memory store an engine keeps its state in unless given another, with the caps of
    /// `config`.
    pub fn memory_store(config: &EngineConfig, clock: Clock) -> MemoryStore {
        Self::memory_store_for(config, &TransportProfile::default(), clock)
    }

    fn memory_store_for(
        config: &EngineConfig,
        transport: &TransportProfile,
        clock: Clock,
    ) -> MemoryStore {
        Self::caps(config, transport)
            .into_iter()
            .fold(MemoryStore::new(clock), |store, (ns, cap)| {
                store.with_cap(ns, cap)
            })
    }

    /// How many entries per namespace a store in memory or in a file keeps at most: the
    /// engine's own, then the transport's.
    fn caps(config: &EngineConfig, transport: &TransportProfile) -> Vec<(Namespace, usize)> {
        std::iter::once((ns::PAGES, config.page_store_cap))
            .chain(transport.namespaces.iter().copied())
            .collect()
    }

    /// An engine on the store that `config.state` names, or `default` when it names none (the
    /// bots: an embedded file; the shell: memory), with the system clock.
    pub async fn open(
        client: AgentClient,
        config: EngineConfig,
        default: &StateUrl,
    ) -> Result<Self, StoreError> {
        Self::open_for(client, config, default, TransportProfile::default()).await
    }

    /// [`Engine::open`] for a transport that registers `transport`: its own namespaces (with
    /// their caps), its buttons' size and its upload limit.
    pub async fn open_for(
        client: AgentClient,
        config: EngineConfig,
        default: &StateUrl,
        transport: TransportProfile,
    ) -> Result<Self, StoreError> {
        let clock: Clock = Arc::new(Timestamp::now);
        let url = config.state.clone().unwrap_or_else(|| default.clone());
        let store = url
            .open(clock.clone(), &Self::caps(&config, &transport))
            .await?;
        Ok(Self::with_store_for(
            client, config, clock, store, transport,
        ))
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
        Self::with_store_for(client, config, clock, store, TransportProfile::default())
    }

    /// [`Engine::with_store`] for a transport that registers `transport`.
    pub fn with_store_for(
        client: AgentClient,
        config: EngineConfig,
        clock: Clock,
        store: SharedStore,
        transport: TransportProfile,
    ) -> Self {
        let store =
            crate::store::SealedStore::wrap(store, config.secret.expose_secret().as_bytes());
        let limiter = config
            .rate_limit_per_minute
            .and_then(std::num::NonZeroU32::new)
            .map(|n| RateLimiter::keyed(Quota::per_minute(n)));
        Self {
            inner: Arc::new(Inner {
                services: Services::new(client, config, clock, store, transport),
                last_sweep_ms: AtomicI64::new(i64::MIN),
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
        &self.inner.services.config
    }

    /// The platform client.
    pub fn client(&self) -> &AgentClient {
        &self.inner.services.client
    }

    /// The state store (shared with other replicas when it is Redis).
    pub fn store(&self) -> &SharedStore {
        &self.inner.services.store
    }

    /// The audit log.
    pub fn audit_log(&self) -> &AuditLog {
        &self.inner.services.audit
    }

    /// The language to answer this caller in: their locale when known, else the configured one.
    pub fn lang_for(&self, caller: &Caller) -> Lang {
        self.inner.services.lang_for(caller)
    }

    /// The outbound rule for a reply to `caller` (see [`crate::outbound`]).
    pub fn outbound(&self, caller: &Caller) -> Outbound {
        self.inner.services.outbound(caller)
    }

    /// The configured aliases.
    pub fn task_aliases(&self) -> Vec<String> {
        self.inner.services.task_aliases()
    }

    /// How many page states and cached counts the engine holds (they are capped); page states
    /// are counted in memory only (0 on a persistent store, where they expire by time).
    pub fn held(&self) -> (usize, usize) {
        (
            self.inner.services.pages.len(),
            self.inner.services.summaries.len(),
        )
    }

    /// How many resets wait for confirmation (in a shared store: on every replica).
    pub async fn pending_resets(&self) -> usize {
        match self.inner.services.pending.len().await {
            Ok(n) => n,
            Err(err) => {
                tracing::warn!(%err, "cannot count pending confirmations");
                0
            }
        }
    }

    /// Whether `key` is seen for the first time in the transport's namespace `namespace`
    /// (then it is remembered for `ttl`, on every replica sharing the store): how a transport
    /// refuses a replayed request or ignores an update delivered twice. The transport's records
    /// stay in its own namespace; it never reaches the engine's.
    pub async fn first_sight(
        &self,
        namespace: Namespace,
        key: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        self.store().insert_new(namespace, key, b"", ttl).await
    }

    /// How many exports are running.
    pub fn running_exports(&self) -> usize {
        self.inner.services.exports.len()
    }
}
