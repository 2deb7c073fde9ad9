//! The store on a Redis server, shared by several replicas (`redis://host:6379/0`, or
//! `rediss://` over TLS with rustls: the server's certificate checked against the system's
//! roots or a CA file).
//!
//! Each entry is one Redis string `agent-ops:<namespace>:<key>` with a `PX` expiry, so Redis
//! forgets it by itself. `take` is `GETDEL` (Redis 6.2+) and `insert_new` is `SET … NX PX`:
//! both atomic on the server, so of several replicas pressing the same Confirm exactly one
//! gets the reset. A listed namespace also has a set `agent-ops:index:<namespace>` of its
//! keys, written with the entry in one `MULTI`; `list` reads it with a Lua script that drops
//! the members whose entry has expired.
//!
//! The connection is redis-rs's `ConnectionManager` (one multiplexed connection, reconnecting
//! on failure). The URL may carry a password: it is never logged, nor part of an error.

use std::path::Path;
use std::time::Duration;

use redis::aio::ConnectionManager;
use secrecy::{ExposeSecret, SecretString};

use super::{Namespace, StateStore, StoreError};

const PREFIX: &str = "agent-ops:";

/// `list`: the live entries of an index, dropping the members that have expired.
const LIST_SCRIPT: &str = r"
local members = redis.call('SMEMBERS', KEYS[1])
local out = {}
for _, member in ipairs(members) do
  local value = redis.call('GET', ARGV[1] .. member)
  if value then
    table.insert(out, member)
    table.insert(out, value)
  else
    redis.call('SREM', KEYS[1], member)
  end
end
return out
";

/// The store on Redis. Clones share the connection.
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    /// The URL's password, to scrub from any error text.
    password: Option<SecretString>,
    /// The URL without its password, for logs.
    shown: String,
    list_script: redis::Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.shown)
            .finish_non_exhaustive()
    }
}

fn entry_key(ns: Namespace, key: &str) -> String {
    format!("{PREFIX}{}:{key}", ns.name)
}

fn index_key(ns: Namespace) -> String {
    format!("{PREFIX}index:{}", ns.name)
}

fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// An error's text with the password (if any) and any URL taken out.
fn scrub(text: &str, password: Option<&SecretString>) -> String {
    let mut text = text.to_string();
    if let Some(password) = password.map(ExposeSecret::expose_secret)
        && !password.is_empty()
    {
        text = text.replace(password, "***");
    }
    text.split(' ')
        .map(|word| {
            if word.contains("://") {
                super::redact_url(word)
            } else {
                word.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl RedisStore {
    /// Connects to the server at `url` (fails at once when it cannot be reached). A
    /// `rediss://` server's certificate is checked against the system's trusted roots.
    pub async fn connect(url: &SecretString) -> Result<Self, StoreError> {
        Self::connect_with(url, None).await
    }

    /// [`RedisStore::connect`], checking a `rediss://` server's certificate against the CA in
    /// the PEM file `ca_file` when one is given (a private CA), else the system's roots.
    pub async fn connect_with(
        url: &SecretString,
        ca_file: Option<&Path>,
    ) -> Result<Self, StoreError> {
        let parsed = url::Url::parse(url.expose_secret())
            .map_err(|_| StoreError::BadUrl("a redis:// url that cannot be read".into()))?;
        let password = parsed.password().map(|p| SecretString::from(p.to_string()));
        let shown = super::redact_url(url.expose_secret());
        let failed = |err: redis::RedisError| StoreError::Backend {
            backend: "redis",
            reason: format!("{} ({})", scrub(&err.to_string(), password.as_ref()), shown),
        };
        let client = match ca_file {
            None => redis::Client::open(url.expose_secret()).map_err(failed)?,
            Some(path) => {
                let root_cert = std::fs::read(path).map_err(|err| StoreError::Backend {
                    backend: "redis",
                    reason: format!("cannot read the CA file {}: {err}", path.display()),
                })?;
                let certificates = redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(root_cert),
                };
                redis::Client::build_with_tls(url.expose_secret(), certificates).map_err(failed)?
            }
        };
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(5)))
            .set_response_timeout(Some(Duration::from_secs(5)))
            .set_number_of_retries(3);
        let connection = client
            .get_connection_manager_with_config(config)
            .await
            .map_err(failed)?;
        tracing::info!(url = %shown, "state kept in Redis");
        Ok(Self {
            connection,
            password,
            shown,
            list_script: redis::Script::new(LIST_SCRIPT),
        })
    }

    fn fail(&self, err: redis::RedisError) -> StoreError {
        StoreError::Backend {
            backend: "redis",
            reason: scrub(&err.to_string(), self.password.as_ref()),
        }
    }
}

#[async_trait::async_trait]
impl StateStore for RedisStore {
    fn backend(&self) -> &'static str {
        "redis"
    }

    fn persistent(&self) -> bool {
        true
    }

    fn shared(&self) -> bool {
        true
    }

    async fn put(
        &self,
        ns: Namespace,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let mut connection = self.connection.clone();
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("SET")
            .arg(entry_key(ns, key))
            .arg(value)
            .arg("PX")
            .arg(millis(ttl))
            .ignore();
        if ns.listed {
            pipe.cmd("SADD").arg(index_key(ns)).arg(key).ignore();
        }
        pipe.query_async::<()>(&mut connection)
            .await
            .map_err(|e| self.fail(e))
    }

    async fn get(&self, ns: Namespace, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut connection = self.connection.clone();
        redis::cmd("GET")
            .arg(entry_key(ns, key))
            .query_async::<Option<Vec<u8>>>(&mut connection)
            .await
            .map_err(|e| self.fail(e))
    }

    async fn take(&self, ns: Namespace, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut connection = self.connection.clone();
        let value = redis::cmd("GETDEL")
            .arg(entry_key(ns, key))
            .query_async::<Option<Vec<u8>>>(&mut connection)
            .await
            .map_err(|e| self.fail(e))?;
        if ns.listed && value.is_some() {
            redis::cmd("SREM")
                .arg(index_key(ns))
                .arg(key)
                .query_async::<()>(&mut connection)
                .await
                .map_err(|e| self.fail(e))?;
        }
        Ok(value)
    }

    async fn insert_new(
        &self,
        ns: Namespace,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let mut connection = self.connection.clone();
        let set = redis::cmd("SET")
            .arg(entry_key(ns, key))
            .arg(value)
            .arg("PX")
            .arg(millis(ttl))
            .arg("NX")
            .query_async::<Option<String>>(&mut connection)
            .await
            .map_err(|e| self.fail(e))?
            .is_some();
        if set && ns.listed {
            redis::cmd("SADD")
                .arg(index_key(ns))
                .arg(key)
                .query_async::<()>(&mut connection)
                .await
                .map_err(|e| self.fail(e))?;
        }
        Ok(set)
    }

    async fn remove(&self, ns: Namespace, key: &str) -> Result<bool, StoreError> {
        Ok(self.take(ns, key).await?.is_some())
    }

    async fn list(&self, ns: Namespace) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        if !ns.listed {
            return Err(StoreError::NotListed(ns.name));
        }
        let mut connection = self.connection.clone();
        let flat: Vec<Vec<u8>> = self
            .list_script
            .key(index_key(ns))
            .arg(format!("{PREFIX}{}:", ns.name))
            .invoke_async(&mut connection)
            .await
            .map_err(|e| self.fail(e))?;
        let mut out = Vec::with_capacity(flat.len() / 2);
        let mut items = flat.into_iter();
        while let (Some(key), Some(value)) = (items.next(), items.next()) {
            let key = String::from_utf8(key).map_err(|_| StoreError::Corrupt(ns.name))?;
            out.push((key, value));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_lose_the_password_and_the_url() {
        let password = SecretString::from("hunter2-secret".to_string());
        let text = scrub(
            "cannot connect to redis://:hunter2-secret@h:6379/0 (auth hunter2-secret)",
            Some(&password),
        );
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("redis://:***@h:6379/0"), "{text}");
    }
}
