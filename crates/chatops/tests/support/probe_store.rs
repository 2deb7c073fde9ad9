//! A state store over another that a test can watch and break: it notes every key written
//! (`put`, `insert_new`), by namespace, and while it is set failing, its `insert_new` in one
//! namespace (a transport's seen-check of the ids it received) answers as an unreachable
//! Redis would, counting those failures. Used by the engine's store tests (through `support`)
//! and by the bots' tests (`#[path]`, as `redis_server.rs` is).
#![allow(dead_code)] // each test file uses a part

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_chatops::store::{MemoryStore, Namespace, StateStore, StoreError};

#[derive(Debug)]
pub struct ProbeStore {
    inner: Arc<dyn StateStore>,
    written: Mutex<Vec<(Namespace, String)>>,
    /// The namespace whose `insert_new` fails while `failing` is set.
    seen: Option<Namespace>,
    failing: AtomicBool,
    failed: AtomicUsize,
}

impl ProbeStore {
    /// Over `inner`, noting what is written; nothing fails.
    pub fn over(inner: Arc<dyn StateStore>) -> Arc<Self> {
        Arc::new(Self {
            inner,
            written: Mutex::default(),
            seen: None,
            failing: AtomicBool::new(false),
            failed: AtomicUsize::new(0),
        })
    }

    /// In memory, its seen-check of the ids in `seen` failing from the start when `failing`.
    pub fn seen_check(seen: Namespace, failing: bool) -> Arc<Self> {
        Arc::new(Self {
            inner: Arc::new(MemoryStore::new(Arc::new(jiff::Timestamp::now))),
            written: Mutex::default(),
            seen: Some(seen),
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

    /// The keys written in `ns`, in order.
    pub fn keys(&self, ns: Namespace) -> Vec<String> {
        self.written
            .lock()
            .unwrap()
            .iter()
            .filter(|(n, _)| *n == ns)
            .map(|(_, k)| k.clone())
            .collect()
    }

    fn note(&self, ns: Namespace, key: &str) {
        self.written.lock().unwrap().push((ns, key.to_string()));
    }
}

#[async_trait::async_trait]
impl StateStore for ProbeStore {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
    fn persistent(&self) -> bool {
        self.inner.persistent()
    }
    async fn put(
        &self,
        ns: Namespace,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<(), StoreError> {
        self.note(ns, key);
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
        if self.seen == Some(ns) && self.failing.load(Ordering::SeqCst) {
            self.failed.fetch_add(1, Ordering::SeqCst);
            return Err(StoreError::Backend {
                backend: "redis",
                reason: "connection refused".to_string(),
            });
        }
        self.note(ns, key);
        self.inner.insert_new(ns, key, value, ttl).await
    }
    async fn remove(&self, ns: Namespace, key: &str) -> Result<bool, StoreError> {
        self.inner.remove(ns, key).await
    }
    async fn list(&self, ns: Namespace) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.inner.list(ns).await
    }
}
