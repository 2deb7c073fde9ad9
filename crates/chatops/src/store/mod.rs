//! Where the engine keeps what must outlive one request: pending reset confirmations, page
//! states too large for a button, and (for the Discord endpoint) the interaction ids already
//! answered. One small key/value trait, [`StateStore`], with three backends:
//!
//! - [`MemoryStore`]: the process's memory (the shell, tests); lost on exit, capped per
//!   namespace.
//! - [`EmbeddedStore`]: one file (`redb://discord-bot.redb`), the bots' default: survives a
//!   restart of the one process that opens it; capped per namespace like memory.
//! - [`RedisStore`]: a Redis server (`redis://host:6379/0`), shared by several replicas:
//!   [`StateStore::take`] is `GETDEL`, [`StateStore::insert_new`] is `SET NX PX`, so a
//!   confirmation runs once and an id is seen once across every replica.
//!
//! Every entry has a time to live; an expired entry is never returned. Values are bytes (the
//! engine stores JSON); keys are text within a [`Namespace`]. The engine wraps its store in a
//! [`SealedStore`]: every value is encrypted and authenticated under the action secret, bound
//! to its key, so a record changed in the store is refused, never acted on.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

mod embedded;
mod memory;
mod redis;
mod sealed;

pub use embedded::EmbeddedStore;
pub use memory::MemoryStore;
pub use redis::RedisStore;
pub use sealed::SealedStore;

/// A group of keys: what they hold and whether they can be listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Namespace {
    /// Its name (`resets`); part of every key a backend writes.
    pub name: &'static str,
    /// Whether [`StateStore::list`] may be used on it (Redis then keeps an index of its keys).
    pub listed: bool,
}

impl Namespace {
    /// A namespace whose keys can be listed.
    pub const fn listed(name: &'static str) -> Self {
        Self { name, listed: true }
    }

    /// A namespace that is only read by key.
    pub const fn unlisted(name: &'static str) -> Self {
        Self {
            name,
            listed: false,
        }
    }
}

/// The namespaces the engine and the transports use.
pub mod ns {
    use super::Namespace;

    /// Reset confirmations waiting for their requester (listed: the sweeper audits expiries).
    pub const RESETS: Namespace = Namespace::listed("resets");
    /// Page states too large for a button.
    pub const PAGES: Namespace = Namespace::unlisted("pages");
    /// Watch subscriptions, by task and chat (listed: the scheduler polls them all).
    pub const WATCHES: Namespace = Namespace::listed("watches");
    /// Leases: who posts a due watch (`<task>/<chat>/<slot>`), taken with
    /// [`StateStore::insert_new`](super::StateStore::insert_new) so one replica posts it.
    pub const LEASES: Namespace = Namespace::unlisted("leases");
}

/// Why the store could not answer. Never holds a secret: a Redis URL's password is never part
/// of a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The `[state] url` cannot be read.
    #[error("bad state url: {0}")]
    BadUrl(String),
    /// The backend failed or cannot be reached (the reason is the backend's, without URL).
    #[error("the {backend} state store failed: {reason}")]
    Backend {
        /// `redis`, `embedded`.
        backend: &'static str,
        /// What happened.
        reason: String,
    },
    /// [`StateStore::list`] on a namespace declared unlisted.
    #[error("the namespace {0} is not listed")]
    NotListed(&'static str),
    /// A stored value does not decode (written by another version).
    #[error("a stored {0} entry cannot be read")]
    Corrupt(&'static str),
    /// A stored value failed its seal check: changed, moved or written outside agent-ops (or
    /// under another action secret). Refused, never acted on.
    #[error("a stored {0} entry failed its seal check (changed outside agent-ops?)")]
    Tampered(&'static str),
}

/// A key/value store with expiry, shared by every part of one engine (and, for Redis, by
/// every replica). Implementations are short: each operation is one atomic step of the backend.
#[async_trait::async_trait]
pub trait StateStore: Send + Sync + fmt::Debug {
    /// Which backend (`memory`, `embedded`, `redis`), for logs.
    fn backend(&self) -> &'static str;

    /// Whether entries outlive this process (then a shutdown leaves pending confirmations in
    /// place: they are still good after the restart, or on another replica).
    fn persistent(&self) -> bool;

    /// Whether other processes (replicas) work on the same entries. The watch scheduler then
    /// takes a lease per task and poll, so that the replicas count a watched task once a poll
    /// between them.
    fn shared(&self) -> bool {
        false
    }

    /// Whether values are sealed by this store ([`SealedStore`]): the engine seals a store
    /// that is not.
    fn sealed(&self) -> bool {
        false
    }

    /// Sets `key` to `value` for `ttl`, replacing any value.
    async fn put(
        &self,
        ns: Namespace,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<(), StoreError>;

    /// The value of `key`, unless absent or expired.
    async fn get(&self, ns: Namespace, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Gets and deletes `key` in one atomic step: of several concurrent takers (on any replica)
    /// exactly one gets the value.
    async fn take(&self, ns: Namespace, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Sets `key` only if it holds no (unexpired) value; whether it was set. Of several
    /// concurrent callers exactly one gets `true`.
    async fn insert_new(
        &self,
        ns: Namespace,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, StoreError>;

    /// Deletes `key`; whether it held an unexpired value.
    async fn remove(&self, ns: Namespace, key: &str) -> Result<bool, StoreError>;

    /// Every unexpired `(key, value)` of a listed namespace, in no particular order.
    async fn list(&self, ns: Namespace) -> Result<Vec<(String, Vec<u8>)>, StoreError>;

    /// How many entries `ns` holds, where the backend can tell without a round trip (memory).
    fn held(&self, ns: Namespace) -> Option<usize> {
        let _ = ns;
        None
    }

    /// Forgets expired entries now (backends that expire by themselves do nothing); how many.
    async fn purge_expired(&self) -> Result<usize, StoreError> {
        Ok(0)
    }
}

/// A shared store.
pub type SharedStore = Arc<dyn StateStore>;

/// Where the state is kept: the `[state] url` setting.
#[derive(Clone)]
pub enum StateUrl {
    /// `memory:`: this process's memory.
    Memory,
    /// `redb://<path>`: one file (relative paths from the working directory).
    Embedded(std::path::PathBuf),
    /// `redis://[user:password@]host[:port][/db]`, or `rediss://…` over TLS: a Redis server (the
    /// URL may carry a password: shown redacted).
    Redis {
        /// The URL.
        url: SecretString,
        /// For `rediss://`: the PEM file of the CA that signed the server's certificate
        /// (`[state] ca_file`), instead of the system's trusted roots.
        ca_file: Option<std::path::PathBuf>,
    },
}

impl PartialEq for StateUrl {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Memory, Self::Memory) => true,
            (Self::Embedded(a), Self::Embedded(b)) => a == b,
            (
                Self::Redis {
                    url: a,
                    ca_file: ca,
                },
                Self::Redis {
                    url: b,
                    ca_file: cb,
                },
            ) => a.expose_secret() == b.expose_secret() && ca == cb,
            _ => false,
        }
    }
}

impl StateUrl {
    /// Reads a `[state] url`. The message of an error never quotes the URL.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        let text = text.trim();
        if text == "memory:" || text == "memory://" || text == "memory" {
            return Ok(Self::Memory);
        }
        if let Some(path) = text.strip_prefix("redb://") {
            if path.is_empty() {
                return Err(StoreError::BadUrl(
                    "redb:// needs a file, like redb://agent-ops.redb".into(),
                ));
            }
            return Ok(Self::Embedded(path.into()));
        }
        if let Some(scheme) = ["redis://", "rediss://"]
            .into_iter()
            .find(|scheme| text.starts_with(scheme))
        {
            let url = url::Url::parse(text).map_err(|_| {
                StoreError::BadUrl(format!(
                    "a {scheme} url that cannot be read ({scheme}host:6379/0)"
                ))
            })?;
            if url.host_str().is_none_or(str::is_empty) {
                return Err(StoreError::BadUrl(format!("a {scheme} url needs a host")));
            }
            return Ok(Self::Redis {
                url: SecretString::from(text.to_string()),
                ca_file: None,
            });
        }
        if text.starts_with("sqlite:") {
            return Err(StoreError::BadUrl(
                "the embedded store is a redb file: use redb://<file>".into(),
            ));
        }
        Err(StoreError::BadUrl(
            "use memory:, redb://<file>, redis://host:port/db or rediss://host:port/db".into(),
        ))
    }

    /// With the CA of a `rediss://` server (`[state] ca_file`); an error for any other URL.
    pub fn with_ca_file(self, path: std::path::PathBuf) -> Result<Self, StoreError> {
        match self {
            Self::Redis { url, .. } if url.expose_secret().starts_with("rediss://") => {
                Ok(Self::Redis {
                    url,
                    ca_file: Some(path),
                })
            }
            _ => Err(StoreError::BadUrl(
                "a CA file is for a rediss:// url (Redis over TLS)".into(),
            )),
        }
    }

    /// A bot's default: `<program>.redb` in the working directory (`discord-bot.redb`), one
    /// file per bot, since a file is opened by one process.
    pub fn default_for(program: &str) -> Self {
        Self::Embedded(format!("{program}.redb").into())
    }

    /// Opens the store; `clock` is where the memory and embedded stores read the time, `caps`
    /// how many entries they keep per namespace at most (Redis expires by time alone).
    pub async fn open(
        &self,
        clock: crate::Clock,
        caps: &[(Namespace, usize)],
    ) -> Result<SharedStore, StoreError> {
        Ok(match self {
            Self::Memory => Arc::new(
                caps.iter()
                    .fold(MemoryStore::new(clock), |store, (ns, cap)| {
                        store.with_cap(*ns, *cap)
                    }),
            ),
            Self::Embedded(path) => Arc::new(caps.iter().fold(
                EmbeddedStore::open(path.clone(), clock).await?,
                |store, (ns, cap)| store.with_cap(*ns, *cap),
            )),
            Self::Redis { url, ca_file } => {
                Arc::new(RedisStore::connect_with(url, ca_file.as_deref()).await?)
            }
        })
    }
}

impl fmt::Display for StateUrl {
    /// The URL with any password replaced by `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Memory => f.write_str("memory:"),
            Self::Embedded(path) => write!(f, "redb://{}", path.display()),
            Self::Redis { url, ca_file: None } => f.write_str(&redact_url(url.expose_secret())),
            Self::Redis {
                url,
                ca_file: Some(ca),
            } => write!(
                f,
                "{} (CA {})",
                redact_url(url.expose_secret()),
                ca.display()
            ),
        }
    }
}

impl fmt::Debug for StateUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StateUrl({self})")
    }
}

/// A URL without its user's password (`redis://:***@host:6379/0`); text that is not a URL
/// becomes `[url]`.
pub fn redact_url(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut url) => {
            if url.password().is_some() {
                let _ = url.set_password(Some("***"));
            } else if !url.username().is_empty() {
                // `redis://hunter2@host`: a password written where the user goes.
                let _ = url.set_username("***");
            }
            url.to_string()
        }
        Err(_) => "[url]".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_and_never_show_a_password() {
        assert_eq!(StateUrl::parse("memory:"), Ok(StateUrl::Memory));
        assert_eq!(
            StateUrl::parse("redb://data/agent-ops.redb"),
            Ok(StateUrl::Embedded("data/agent-ops.redb".into()))
        );
        assert_eq!(
            StateUrl::parse("redb:///var/lib/agent-ops/state.redb"),
            Ok(StateUrl::Embedded("/var/lib/agent-ops/state.redb".into()))
        );
        let url = StateUrl::parse("redis://:hunter2-secret@cache.internal:6380/2").unwrap();
        assert_eq!(url.to_string(), "redis://:***@cache.internal:6380/2");
        assert!(!format!("{url:?}").contains("hunter2"));
        let url = StateUrl::parse("redis://ops:hunter2-secret@cache.internal").unwrap();
        assert_eq!(url.to_string(), "redis://ops:***@cache.internal");
        // A password in the user's place is hidden too.
        let url = StateUrl::parse("redis://hunter2-secret@cache.internal:6380").unwrap();
        assert_eq!(url.to_string(), "redis://***@cache.internal:6380");
        assert!(!format!("{url:?}").contains("hunter2"));
        let url = StateUrl::parse("rediss://:hunter2-secret@cache.internal:6380/2").unwrap();
        assert_eq!(url.to_string(), "rediss://:***@cache.internal:6380/2");
        let url = url.with_ca_file("/etc/agent-ops/ca.pem".into()).unwrap();
        assert_eq!(
            url.to_string(),
            "rediss://:***@cache.internal:6380/2 (CA /etc/agent-ops/ca.pem)"
        );
        assert!(!format!("{url:?}").contains("hunter2"));
        // A CA file is for TLS only.
        for plain in ["redis://cache.internal", "memory:", "redb://x.redb"] {
            let err = StateUrl::parse(plain)
                .unwrap()
                .with_ca_file("ca.pem".into())
                .unwrap_err();
            assert!(err.to_string().contains("rediss://"), "{err}");
        }
        for bad in [
            "redis://",
            "rediss://",
            "rediss://:hunter2-secret@",
            "sqlite://x.db",
            "redb://",
            "postgres://:hunter2-secret@h/db",
        ] {
            let err = StateUrl::parse(bad).unwrap_err();
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
    }
}
