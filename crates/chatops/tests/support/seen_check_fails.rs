//! A state store for tests whose seen-check fails: `insert_new` in one namespace (a
//! transport's record of the ids it has seen) answers as an unreachable Redis would while the
//! store is set failing; everything else is kept in memory. Counts the failed checks.
//! Shared by the bots' tests (`#[path]`), as `redis_server.rs` is.
#![allow(dead_code)] // each test file uses a part

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use agent_chatops::store::{MemoryStore, Namespace, StateStore, StoreError};

#[derive(Debug)]
pub struct SeenCheckFails {
    inner: MemoryStore,
    seen: Namespace,
    failing: AtomicBool,
    failed: AtomicUsize,
}

impl SeenCheckFails {
    /// A store whose check of the ids in `seen` fails from the start when `failing` is set.
    pub fn new(seen: Namespace, failing: bool) -> Arc<Self> {
        Arc::new(Self {
            inner: MemoryStore::new(Arc::new(jiff::Timestamp::now)),
            seen,
            failing: AtomicBool::new(failing),
            failed: AtomicUsize::new(0),
        })
    }

    /// Makes the seen-check fail (`true`) or work again (`false`).
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// How many seen-checks have failed so far.
    pub fn failed(&self) -> usize {
        self.failed.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl StateStore for SeenCheckFails {
    fn backend(&self) -> &'static str {
        "failing"
    }
    fn persistent(&self) -> bool {
        false
    }
    async fn put(
        &self,
        ns: Namespace,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<(), StoreError> {
        self.inner.put(ns, key, value, ttl).await
    }
    async fn get(&self, ns: Namespace, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(ns, key).await
    }
    async fn take(&self, ns: Namespace, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.take(ns, key).await
    }
    async fn insert_new(
        &self,
        ns: Namespace,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        if ns == self.seen && self.failing.load(Ordering::SeqCst) {
            self.failed.fetch_add(1, Ordering::SeqCst);
            return Err(StoreError::Backend {
                backend: "redis",
                reason: "connection refused".to_string(),
            });
        }
        self.inner.insert_new(ns, key, value, ttl).await
    }
    async fn remove(&self, ns: Namespace, key: &str) -> Result<bool, StoreError> {
        self.inner.remove(ns, key).await
    }
    async fn list(&self, ns: Namespace) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.inner.list(ns).await
    }
}
