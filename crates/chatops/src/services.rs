//! What every command works with, shared by all of them: the platform client, the
//! configuration, the clock, the state store (sealed), the signer of buttons, the audit log,
//! and the state kept for commands (pending confirmations, page states, counts, running
//! exports). The kernel owns one; a handler reaches it through its [`Ctx`](crate::context::Ctx).

use std::sync::Arc;
use std::time::Duration;

use agent_core::{AgentClient, ListFilter, Scope, TimeRange};
use jiff::Timestamp;

use crate::access::Caller;
use crate::audit::{AuditEvent, AuditLog, AuditRecord};
use crate::config::EngineConfig;
use crate::i18n::Lang;
use crate::messages::Msg;
use crate::outbound::Outbound;
use crate::reply::{Action, ActionStyle, Refusal, Reply, ReplyKind};
use crate::state::{PageStore, PendingResets, RunningJobs, SummaryCache};
use crate::store::{SharedStore, StoreError};
use crate::text::bad_input;
use crate::token::{ActionToken, PageState, Signer, TokenError};
use crate::transport::TransportProfile;

/// Where the engine reads the time (tests move it).
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// How long a page state too large for a button is kept.
const STORED_PAGE_TTL: Duration = Duration::from_secs(24 * 3600);

/// The services every command shares. See the [module](self).
pub struct Services {
    pub(crate) client: AgentClient,
    pub(crate) config: EngineConfig,
    pub(crate) signer: Signer,
    pub(crate) audit: AuditLog,
    pub(crate) clock: Clock,
    pub(crate) store: SharedStore,
    /// Resets waiting for their confirmation (`/reset`).
    pub(crate) pending: PendingResets,
    /// Page states too large for a button (`/numbers`, `/stats`).
    pub(crate) pages: PageStore,
    /// Counts per status, shared by `/stats`, `/numbers` and the watches.
    pub(crate) summaries: SummaryCache,
    /// Exports running now (`/export`).
    pub(crate) exports: Arc<RunningJobs>,
    /// What the transport said of itself (its upload limit, its buttons' size).
    pub(crate) transport: TransportProfile,
}

impl Services {
    /// The services over `store`, which is sealed under the action secret by now.
    pub(crate) fn new(
        client: AgentClient,
        config: EngineConfig,
        clock: Clock,
        store: SharedStore,
        transport: TransportProfile,
    ) -> Self {
        use secrecy::ExposeSecret;
        let signer = Signer::with_limit(
            config.secret.expose_secret().as_bytes(),
            transport.max_action_bytes,
        );
        let audit = AuditLog::new(config.audit_log.as_deref());
        Self {
            pages: PageStore::new(store.clone()),
            pending: PendingResets::new(store.clone()),
            store,
            summaries: SummaryCache::new(config.summary_cache_cap, config.stats_ttl),
            exports: Arc::default(),
            client,
            config,
            signer,
            audit,
            clock,
            transport,
        }
    }

    /// The configuration.
    pub(crate) fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The platform client.
    pub(crate) fn client(&self) -> &AgentClient {
        &self.client
    }

    /// The state store.
    pub(crate) fn store(&self) -> &SharedStore {
        &self.store
    }

    /// The time now, by the engine's clock.
    pub(crate) fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// The language to answer this caller in: their locale when known, else the configured one.
    pub(crate) fn lang_for(&self, caller: &Caller) -> Lang {
        caller
            .locale
            .as_deref()
            .and_then(Lang::from_locale)
            .unwrap_or(self.config.language)
    }

    /// The outbound rule for a reply to `caller` (see [`crate::outbound`]).
    pub(crate) fn outbound(&self, caller: &Caller) -> Outbound {
        Outbound::new(self.config.mask_phones, Some(caller))
    }

    /// The alias of a task id, or the id.
    pub(crate) fn task_label(&self, task_id: &str) -> String {
        self.config
            .tasks
            .iter()
            .find(|(_, id)| id.as_str() == task_id)
            .map(|(alias, _)| alias.clone())
            .unwrap_or_else(|| task_id.to_string())
    }

    /// The configured aliases.
    pub(crate) fn task_aliases(&self) -> Vec<String> {
        self.config.tasks.keys().cloned().collect()
    }

    /// The platform's filter of a page state, with the configured page size.
    pub(crate) fn list_filter(&self, state: &PageState) -> Result<ListFilter, Refusal> {
        let task =
            agent_core::Id::task(&state.task).map_err(|e| bad_input("task", &e, Lang::En))?;
        let sub = state
            .sub
            .as_deref()
            .map(agent_core::Id::sub_account)
            .transpose()
            .map_err(|e| bad_input("sub", &e, Lang::En))?;
        let range =
            TimeRange::new(state.from, state.to).map_err(|e| bad_input("from/to", &e, Lang::En))?;
        let scope = Scope::new(task)
            .with_statuses(state.statuses)
            .with_range(range)
            .with_sub_account(sub);
        Ok(ListFilter::new(scope).with_page_size(self.config.page_size))
    }

    /// A button that carries a state (`token`), or, when the state is too large for a token,
    /// an id of it kept in the store (`stored`).
    pub(crate) async fn state_action(
        &self,
        state: PageState,
        label: String,
        token: fn(PageState) -> ActionToken,
        stored: fn(u64) -> ActionToken,
    ) -> Option<Action> {
        let data = match self.signer.sign(&token(state.clone())) {
            Ok(data) => data,
            Err(TokenError::TooLarge) => {
                let id = random_id().ok()?;
                if let Err(err) = self.pages.insert(id, &state, STORED_PAGE_TTL).await {
                    tracing::error!(%err, "cannot keep a page state: no button");
                    return None;
                }
                self.signer.sign(&stored(id)).ok()?
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
            let audited = self.audit.record(&AuditRecord {
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

/// The reply when the state store fails (details in the log, never in chat).
pub(crate) fn store_failed(err: &StoreError, lang: Lang) -> Reply {
    tracing::error!(%err, "the state store failed");
    Reply::new(ReplyKind::Error, Msg::InternalErrorTitle.text(lang))
        .line(Msg::InternalError.text(lang))
}

/// A random id for pending resets, stored pages and exports, from the system's secure
/// generator.
pub(crate) fn random_id() -> Result<u64, ring::error::Unspecified> {
    let mut bytes = [0u8; 8];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)?;
    Ok(u64::from_le_bytes(bytes))
}
