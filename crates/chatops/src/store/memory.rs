//! The store in this process's memory: the shell's, and the tests'. Each namespace may be
//! capped (the oldest entries go first), so a flood cannot grow memory.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use jiff::Timestamp;

use super::{Namespace, StateStore, StoreError};
use crate::Clock;

/// Entries in memory, expiring against `clock`. Clones of an `Arc` of it share the entries.
pub struct MemoryStore {
    clock: Clock,
    caps: BTreeMap<&'static str, usize>,
    spaces: Mutex<HashMap<&'static str, Space>>,
}

#[derive(Default)]
struct Space {
    map: HashMap<String, (Vec<u8>, Timestamp)>,
    /// Keys in insertion order, for the cap (may hold keys already gone).
    order: VecDeque<String>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("caps", &self.caps)
            .finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// An empty store reading the time from `clock`.
    pub fn new(clock: Clock) -> Self {
        Self {
            clock,
            caps: BTreeMap::new(),
            spaces: Mutex::new(HashMap::new()),
        }
    }

    /// At most `cap` entries in `ns` (the oldest go first).
    #[must_use]
    pub fn with_cap(mut self, ns: Namespace, cap: usize) -> Self {
        self.caps.insert(ns.name, cap.max(1));
        self
    }

    /// How many entries `ns` holds, expired ones included until they are purged.
    pub fn len(&self, ns: Namespace) -> usize {
        self.lock().get(ns.name).map_or(0, |space| space.map.len())
    }

    /// Whether `ns` holds nothing.
    pub fn is_empty(&self, ns: Namespace) -> bool {
        self.len(ns) == 0
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<&'static str, Space>> {
        match self.spaces.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn expiry(&self, ttl: Duration) -> Timestamp {
        let now = (self.clock)();
        jiff::SignedDuration::try_from(ttl)
            .ok()
            .and_then(|ttl| now.checked_add(ttl).ok())
            .unwrap_or(Timestamp::MAX)
    }

    fn set(
        &self,
        ns: Namespace,
        key: &str,
        value: &[u8],
        expires: Timestamp,
        spaces: &mut HashMap<&'static str, Space>,
    ) {
        let space = spaces.entry(ns.name).or_default();
        if space
            .map
            .insert(key.to_string(), (value.to_vec(), expires))
            .is_none()
        {
            space.order.push_back(key.to_string());
        }
        if let Some(&cap) = self.caps.get(ns.name) {
            while space.map.len() > cap {
                match space.order.pop_front() {
                    Some(oldest) => {
                        space.map.remove(&oldest);
                    }
                    None => break,
                }
            }
            // `order` may hold keys already taken: keep it from growing past the map.
            if space.order.len() > 2 * cap {
                let Space { map, order } = space;
                order.retain(|key| map.contains_key(key));
            }
        }
    }
}

#[async_trait::async_trait]
impl StateStore for MemoryStore {
    fn backend(&self) -> &'static str {
        "memory"
    }

    fn persistent(&self) -> bool {
        false
    }

    fn held(&self, ns: Namespace) -> Option<usize> {
        Some(self.len(ns))
    }

    async fn put(
        &self,
        ns: Namespace,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let expires = self.expiry(ttl);
        self.set(ns, key, value, expires, &mut self.lock());
        Ok(())
    }

    async fn get(&self, ns: Namespace, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let now = (self.clock)();
        Ok(self
            .lock()
            .get(ns.name)
            .and_then(|space| space.map.get(key))
            .filter(|(_, expires)| *expires > now)
            .map(|(value, _)| value.clone()))
    }

    async fn take(&self, ns: Namespace, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let now = (self.clock)();
        Ok(self
            .lock()
            .get_mut(ns.name)
            .and_then(|space| space.map.remove(key))
            .filter(|(_, expires)| *expires > now)
            .map(|(value, _)| value))
    }

    async fn insert_new(
        &self,
        ns: Namespace,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let now = (self.clock)();
        let expires = self.expiry(ttl);
        let mut spaces = self.lock();
        let taken = spaces
            .get(ns.name)
            .and_then(|space| space.map.get(key))
            .is_some_and(|(_, expires)| *expires > now);
        if taken {
            return Ok(false);
        }
        self.set(ns, key, value, expires, &mut spaces);
        Ok(true)
    }

    async fn remove(&self, ns: Namespace, key: &str) -> Result<bool, StoreError> {
        Ok(self.take(ns, key).await?.is_some())
    }

    async fn list(&self, ns: Namespace) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        if !ns.listed {
            return Err(StoreError::NotListed(ns.name));
        }
        let now = (self.clock)();
        Ok(self
            .lock()
            .get(ns.name)
            .map(|space| {
                space
                    .map
                    .iter()
                    .filter(|(_, (_, expires))| *expires > now)
                    .map(|(key, (value, _))| (key.clone(), value.clone()))
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn purge_expired(&self) -> Result<usize, StoreError> {
        let now = (self.clock)();
        let mut purged = 0;
        for space in self.lock().values_mut() {
            let before = space.map.len();
            let Space { map, order } = space;
            map.retain(|_, (_, expires)| *expires > now);
            order.retain(|key| map.contains_key(key));
            purged += before - map.len();
        }
        Ok(purged)
    }
}
