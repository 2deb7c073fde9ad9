//! The store in one file, the bots' default (`redb://discord-bot.redb`).
//!
//! Why [`redb`] rather than SQLite through `rusqlite` (bundled): redb is pure Rust — no C
//! compiler or `cc` build step in CI, nothing `unsafe` of ours, a small dependency — and it is
//! exactly what this needs: one file, ACID transactions with a fsync at each commit (a write
//! survives a crash), and serialised write transactions, which make `take` and `insert_new`
//! atomic. What SQLite would add (SQL, several processes on one file) is not needed: one bot
//! process owns the file (redb locks it; a second process gets a clear error), and several
//! replicas share Redis instead.
//!
//! Every entry is one row of one table, keyed `(namespace, key)`, whose value is its expiry
//! (Unix milliseconds, 8 bytes little-endian) followed by the bytes. Calls run on Tokio's
//! blocking pool. A namespace may be capped: past its cap, the tenth of its rows that expire
//! first go (the process owns the file, so it counts the rows itself).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use super::{Namespace, StateStore, StoreError};
use crate::Clock;

const ENTRIES: TableDefinition<'static, (&str, &str), &[u8]> = TableDefinition::new("entries");

/// The store in one redb file. Clones share the open file.
#[derive(Clone)]
pub struct EmbeddedStore {
    db: Arc<Database>,
    path: PathBuf,
    clock: Clock,
    caps: BTreeMap<&'static str, usize>,
    /// Rows per capped namespace (expired ones included), counted on first use.
    counts: Arc<Mutex<HashMap<&'static str, usize>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

type Table<'txn> = redb::Table<'txn, (&'static str, &'static str), &'static [u8]>;

/// The rows of `ns`.
fn count_rows(table: &Table<'_>, ns: &str) -> Result<usize, StoreError> {
    let mut n = 0;
    for row in table.range((ns, "")..).map_err(fail)? {
        let (key, _) = row.map_err(fail)?;
        if key.value().0 != ns {
            break;
        }
        n += 1;
    }
    Ok(n)
}

/// Deletes the `n` rows of `ns` that expire first.
fn evict(table: &mut Table<'_>, ns: &str, n: usize) -> Result<(), StoreError> {
    let mut rows: Vec<(i64, String)> = Vec::new();
    for row in table.range((ns, "")..).map_err(fail)? {
        let (key, value) = row.map_err(fail)?;
        let (space, key) = key.value();
        if space != ns {
            break;
        }
        rows.push((decode(value.value()).0, key.to_string()));
    }
    rows.sort_unstable();
    for (_, key) in rows.into_iter().take(n) {
        table.remove((ns, key.as_str())).map_err(fail)?;
    }
    Ok(())
}

impl std::fmt::Debug for EmbeddedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn fail(err: impl Into<redb::Error>) -> StoreError {
    StoreError::Backend {
        backend: "embedded",
        reason: err.into().to_string(),
    }
}

fn now_millis(clock: &Clock) -> i64 {
    clock().as_millisecond()
}

fn encode(expires: i64, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + value.len());
    out.extend_from_slice(&expires.to_le_bytes());
    out.extend_from_slice(value);
    out
}

/// `(expires, value)` of a stored row; a row too short to hold an expiry counts as expired.
fn decode(row: &[u8]) -> (i64, &[u8]) {
    match row.split_first_chunk::<8>() {
        Some((expires, value)) => (i64::from_le_bytes(*expires), value),
        None => (i64::MIN, &[]),
    }
}

fn expiry(clock: &Clock, ttl: Duration) -> i64 {
    now_millis(clock).saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX))
}

impl EmbeddedStore {
    /// Opens (or creates) the file at `path`, and its folder; the time is read from `clock`.
    pub async fn open(path: PathBuf, clock: Clock) -> Result<Self, StoreError> {
        let at = path.clone();
        let db = tokio::task::spawn_blocking(move || {
            if let Some(parent) = at.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| StoreError::Backend {
                    backend: "embedded",
                    reason: format!("cannot create the folder {}: {e}", parent.display()),
                })?;
            }
            owner_only(&at).map_err(|e| StoreError::Backend {
                backend: "embedded",
                reason: format!("cannot create {}: {e}", at.display()),
            })?;
            let db = Database::create(&at).map_err(|e| StoreError::Backend {
                backend: "embedded",
                reason: format!("cannot open {}: {e}", at.display()),
            })?;
            // The table exists from the start, so that reads never meet a missing table.
            let txn = db.begin_write().map_err(fail)?;
            txn.open_table(ENTRIES).map_err(fail)?;
            txn.commit().map_err(fail)?;
            Ok::<_, StoreError>(db)
        })
        .await
        .map_err(|e| StoreError::Backend {
            backend: "embedded",
            reason: e.to_string(),
        })??;
        tracing::info!(path = %path.display(), "state kept in an embedded file");
        Ok(Self {
            db: Arc::new(db),
            path,
            clock,
            caps: BTreeMap::new(),
            counts: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// At most `cap` entries in `ns` (those that expire first go).
    #[must_use]
    pub fn with_cap(mut self, ns: Namespace, cap: usize) -> Self {
        self.caps.insert(ns.name, cap.max(1));
        self
    }

    /// The file.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Runs `work` on the blocking pool with the database and the current time (Unix ms).
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Database, i64) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let db = self.db.clone();
        let now = now_millis(&self.clock);
        tokio::task::spawn_blocking(move || work(&db, now))
            .await
            .map_err(|e| StoreError::Backend {
                backend: "embedded",
                reason: e.to_string(),
            })?
    }

    /// Writes `(ns, key)` in one write transaction: `decide` sees the current unexpired value
    /// and says what to store (`Some`) and what to return.
    async fn write<T: Send + 'static>(
        &self,
        ns: Namespace,
        key: &str,
        decide: impl FnOnce(Option<&[u8]>, i64) -> (Change, T) + Send + 'static,
    ) -> Result<T, StoreError> {
        let key = key.to_string();
        let cap = self.caps.get(ns.name).copied();
        let counts = self.counts.clone();
        self.run(move |db, now| {
            // Held through the transaction (redb runs one write transaction at a time anyway).
            let mut counts = lock(&counts);
            let txn = db.begin_write().map_err(fail)?;
            let out = {
                let mut table = txn.open_table(ENTRIES).map_err(fail)?;
                let current = table.get((ns.name, key.as_str())).map_err(fail)?;
                let live = current
                    .as_ref()
                    .map(|row| decode(row.value()))
                    .filter(|(expires, _)| *expires > now)
                    .map(|(_, value)| value.to_vec());
                let existed = current.is_some();
                drop(current);
                let (change, out) = decide(live.as_deref(), now);
                let added = match change {
                    Change::Keep => 0,
                    Change::Set(row) => {
                        table
                            .insert((ns.name, key.as_str()), row.as_slice())
                            .map_err(fail)?;
                        isize::from(!existed)
                    }
                    Change::Delete if existed => {
                        table.remove((ns.name, key.as_str())).map_err(fail)?;
                        -1
                    }
                    Change::Delete => 0,
                };
                if let Some(cap) = cap {
                    let count = match counts.get(ns.name) {
                        Some(count) => count.saturating_add_signed(added),
                        None => count_rows(&table, ns.name)?,
                    };
                    let count = if count > cap {
                        let keep = cap - cap / 10;
                        evict(&mut table, ns.name, count - keep)?;
                        keep
                    } else {
                        count
                    };
                    counts.insert(ns.name, count);
                }
                out
            };
            txn.commit().map_err(fail)?;
            Ok(out)
        })
        .await
    }
}

/// What a write does to its row.
enum Change {
    Keep,
    Set(Vec<u8>),
    Delete,
}

#[async_trait::async_trait]
impl StateStore for EmbeddedStore {
    fn backend(&self) -> &'static str {
        "embedded"
    }

    fn persistent(&self) -> bool {
        true
    }

    async fn put(
        &self,
        ns: Namespace,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let row = encode(expiry(&self.clock, ttl), value);
        self.write(ns, key, move |_, _| (Change::Set(row), ()))
            .await
    }

    async fn get(&self, ns: Namespace, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let key = key.to_string();
        self.run(move |db, now| {
            let txn = db.begin_read().map_err(fail)?;
            let table = txn.open_table(ENTRIES).map_err(fail)?;
            let row = table.get((ns.name, key.as_str())).map_err(fail)?;
            Ok(row
                .as_ref()
                .map(|row| decode(row.value()))
                .filter(|(expires, _)| *expires > now)
                .map(|(_, value)| value.to_vec()))
        })
        .await
    }

    async fn take(&self, ns: Namespace, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.write(ns, key, |live, _| {
            (Change::Delete, live.map(<[u8]>::to_vec))
        })
        .await
    }

    async fn insert_new(
        &self,
        ns: Namespace,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let row = encode(expiry(&self.clock, ttl), value);
        self.write(ns, key, move |live, _| match live {
            Some(_) => (Change::Keep, false),
            None => (Change::Set(row), true),
        })
        .await
    }

    async fn remove(&self, ns: Namespace, key: &str) -> Result<bool, StoreError> {
        self.write(ns, key, |live, _| (Change::Delete, live.is_some()))
            .await
    }

    async fn list(&self, ns: Namespace) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        if !ns.listed {
            return Err(StoreError::NotListed(ns.name));
        }
        self.run(move |db, now| {
            let txn = db.begin_read().map_err(fail)?;
            let table = txn.open_table(ENTRIES).map_err(fail)?;
            let mut out = Vec::new();
            for row in table.range((ns.name, "")..).map_err(fail)? {
                let (key, value) = row.map_err(fail)?;
                let (space, key) = key.value();
                if space != ns.name {
                    break;
                }
                let (expires, value) = decode(value.value());
                if expires > now {
                    out.push((key.to_string(), value.to_vec()));
                }
            }
            Ok(out)
        })
        .await
    }

    async fn purge_expired(&self) -> Result<usize, StoreError> {
        let counts = self.counts.clone();
        self.run(move |db, now| {
            let txn = db.begin_write().map_err(fail)?;
            let mut purged = 0;
            {
                let mut table = txn.open_table(ENTRIES).map_err(fail)?;
                table
                    .retain(|_, row| {
                        let keep = decode(row).0 > now;
                        if !keep {
                            purged += 1;
                        }
                        keep
                    })
                    .map_err(fail)?;
            }
            txn.commit().map_err(fail)?;
            // Counted again on the next write.
            lock(&counts).clear();
            Ok(purged)
        })
        .await
    }
}

/// Creates the file readable and writable by its owner alone (0600), or takes group's and
/// others' rights away from one that exists: it holds the engine's state (sealed, but still
/// nobody else's).
fn owner_only(path: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(path)?;
        let mode = file.metadata()?.permissions().mode();
        if mode & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(mode & 0o700))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
