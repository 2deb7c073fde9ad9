//! The engine's state, as small types that own their locks and their bounds: pending reset
//! confirmations, page states too large for a button, and cached counts per filter.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use agent_core::{ListFilter, ResetFilter, StatusSummary};
use jiff::Timestamp;

use crate::access::Caller;
use crate::token::PageState;

/// Locks a mutex, recovering from a panic elsewhere (the data stay usable).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// A reset waiting for its requester's confirmation.
#[derive(Debug, Clone)]
pub(crate) struct PendingReset {
    pub(crate) requester: Caller,
    pub(crate) filter: ResetFilter,
    pub(crate) task_label: String,
    pub(crate) preview: StatusSummary,
    pub(crate) expires: Timestamp,
}

/// Resets waiting for confirmation, by id. Taking one is atomic: a confirmation runs once.
#[derive(Debug, Default)]
pub(crate) struct PendingResets {
    map: Mutex<HashMap<u64, PendingReset>>,
}

impl PendingResets {
    pub(crate) fn insert(&self, id: u64, pending: PendingReset) {
        lock(&self.map).insert(id, pending);
    }

    /// A copy, leaving it pending.
    pub(crate) fn peek(&self, id: u64) -> Option<PendingReset> {
        lock(&self.map).get(&id).cloned()
    }

    /// Takes it: whoever takes it runs (or cancels) it.
    pub(crate) fn take(&self, id: u64) -> Option<PendingReset> {
        lock(&self.map).remove(&id)
    }

    /// Puts back one taken but not run (the audit could not be written).
    pub(crate) fn restore(&self, id: u64, pending: PendingReset) {
        lock(&self.map).entry(id).or_insert(pending);
    }

    /// Takes those whose time is up.
    pub(crate) fn take_expired(&self, now: Timestamp) -> Vec<(u64, PendingReset)> {
        let mut map = lock(&self.map);
        let ids: Vec<u64> = map
            .iter()
            .filter(|(_, p)| p.expires <= now)
            .map(|(id, _)| *id)
            .collect();
        ids.into_iter()
            .filter_map(|id| map.remove(&id).map(|p| (id, p)))
            .collect()
    }

    /// Takes them all (shutdown).
    pub(crate) fn take_all(&self) -> Vec<(u64, PendingReset)> {
        lock(&self.map).drain().collect()
    }

    pub(crate) fn len(&self) -> usize {
        lock(&self.map).len()
    }
}

/// Page states too large for a button, kept under an id until they expire; at most `cap` of
/// them (the oldest go first), so a flood of presses cannot grow memory.
#[derive(Debug)]
pub(crate) struct PageStore {
    cap: usize,
    inner: Mutex<PageStoreInner>,
}

#[derive(Debug, Default)]
struct PageStoreInner {
    map: HashMap<u64, (PageState, Timestamp)>,
    order: VecDeque<u64>,
}

impl PageStore {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            cap: cap.max(1),
            inner: Mutex::new(PageStoreInner::default()),
        }
    }

    pub(crate) fn insert(&self, id: u64, state: PageState, expires: Timestamp) {
        let mut inner = lock(&self.inner);
        if inner.map.insert(id, (state, expires)).is_none() {
            inner.order.push_back(id);
        }
        while inner.map.len() > self.cap {
            match inner.order.pop_front() {
                Some(oldest) => {
                    inner.map.remove(&oldest);
                }
                None => break,
            }
        }
        // `order` may hold ids already swept: keep it from growing past the map.
        if inner.order.len() > 2 * self.cap {
            let PageStoreInner { map, order } = &mut *inner;
            order.retain(|id| map.contains_key(id));
        }
    }

    pub(crate) fn get(&self, id: u64, now: Timestamp) -> Option<PageState> {
        lock(&self.inner)
            .map
            .get(&id)
            .filter(|(_, expires)| *expires > now)
            .map(|(state, _)| state.clone())
    }

    pub(crate) fn sweep(&self, now: Timestamp) {
        let mut inner = lock(&self.inner);
        let PageStoreInner { map, order } = &mut *inner;
        map.retain(|_, (_, expires)| *expires > now);
        order.retain(|id| map.contains_key(id));
    }

    pub(crate) fn len(&self) -> usize {
        lock(&self.inner).map.len()
    }
}

/// What cached counts are for: one filter of one task.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct SummaryKey {
    task: String,
    statuses: u16,
    from: Option<jiff::civil::DateTime>,
    to: Option<jiff::civil::DateTime>,
    sub: Option<String>,
}

impl SummaryKey {
    pub(crate) fn of(filter: &ListFilter) -> Self {
        Self {
            task: filter.scope().task().as_str().to_string(),
            statuses: filter.scope().statuses().bits(),
            from: filter.scope().range().start(),
            to: filter.scope().range().end(),
            sub: filter.scope().sub_account().map(|s| s.as_str().to_string()),
        }
    }
}

/// Counts per status of one filter, and when they were counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counted {
    pub(crate) summary: StatusSummary,
    pub(crate) at: Timestamp,
}

/// The one cache of counts per status, shared by every chat and every command that shows them
/// (`/stats`, the "by status" line of `/numbers`): an entry is fresh for `ttl` after it was
/// counted, by the engine's clock; at most `cap` filters (the oldest go first). A reset forgets
/// its task's entries, and counts that were being made while it happened are not stored (the
/// cache's generation moved on).
#[derive(Debug)]
pub(crate) struct SummaryCache {
    cap: usize,
    ttl: Duration,
    map: Mutex<HashMap<SummaryKey, Counted>>,
    generation: AtomicU64,
    /// One turn at a time per filter: who waits for a turn finds the counts just made.
    counting: Mutex<HashMap<SummaryKey, Arc<tokio::sync::Mutex<()>>>>,
}

/// The turn to count a filter ([`SummaryCache::turn`]); the next one waiting gets it when this
/// is dropped.
pub(crate) struct Turn<'a> {
    cache: &'a SummaryCache,
    key: SummaryKey,
    gate: Arc<tokio::sync::Mutex<()>>,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut counting = lock(&self.cache.counting);
        // Nobody else holds or waits for this filter's gate: forget it.
        if Arc::strong_count(&self.gate) <= 2 {
            counting.remove(&self.key);
        }
    }
}

impl SummaryCache {
    pub(crate) fn new(cap: usize, ttl: Duration) -> Self {
        Self {
            cap: cap.max(1),
            ttl,
            map: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            counting: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for the turn to count `key`: concurrent askers of one filter count it once, one
    /// after the other, and each looks in the cache again when its turn comes.
    pub(crate) async fn turn(&self, key: &SummaryKey) -> Turn<'_> {
        let gate = {
            let mut counting = lock(&self.counting);
            if counting.len() >= self.cap {
                // Gates of askers that went away while waiting.
                counting.retain(|_, gate| Arc::strong_count(gate) > 1);
            }
            counting.entry(key.clone()).or_default().clone()
        };
        let guard = gate.clone().lock_owned().await;
        Turn {
            cache: self,
            key: key.clone(),
            gate,
            guard: Some(guard),
        }
    }

    /// How long an entry stays fresh.
    pub(crate) fn ttl(&self) -> Duration {
        self.ttl
    }

    fn fresh(&self, counted: &Counted, now: Timestamp) -> bool {
        let age = now.duration_since(counted.at);
        // A clock that went back makes an entry look younger: never older than it is.
        !age.is_negative() && age.unsigned_abs() < self.ttl
    }

    /// The counts of a filter, if they are fresh at `now`.
    pub(crate) fn get(&self, key: &SummaryKey, now: Timestamp) -> Option<Counted> {
        lock(&self.map)
            .get(key)
            .filter(|counted| self.fresh(counted, now))
            .copied()
    }

    /// What [`SummaryCache::put`] checks: take it before counting.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Stores counts made since `generation`; counts made across a reset are dropped (returns
    /// whether they were stored).
    pub(crate) fn put(&self, key: SummaryKey, counted: Counted, generation: u64) -> bool {
        let mut map = lock(&self.map);
        // Checked under the lock that `forget_task` takes too.
        if self.generation.load(Ordering::SeqCst) != generation {
            return false;
        }
        if map.len() >= self.cap && !map.contains_key(&key) {
            map.retain(|_, c| self.fresh(c, counted.at));
            while map.len() >= self.cap {
                let oldest = map.iter().min_by_key(|(_, c)| c.at).map(|(k, _)| k.clone());
                match oldest {
                    Some(oldest) => {
                        map.remove(&oldest);
                    }
                    None => break,
                }
            }
        }
        map.insert(key, counted);
        true
    }

    /// Drops the counts of a task (its numbers changed), and any being made now.
    pub(crate) fn forget_task(&self, task_id: &str) {
        let mut map = lock(&self.map);
        self.generation.fetch_add(1, Ordering::SeqCst);
        map.retain(|key, _| key.task != task_id);
    }

    pub(crate) fn len(&self) -> usize {
        lock(&self.map).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(page: u32) -> PageState {
        PageState {
            task: "t".into(),
            statuses: agent_core::StatusSet::empty(),
            from: None,
            to: None,
            sub: None,
            page,
        }
    }

    #[test]
    fn the_page_store_stays_at_its_cap_under_a_flood() {
        let store = PageStore::new(1_000);
        let later = Timestamp::now() + jiff::SignedDuration::from_hours(1);
        for id in 0..100_000u64 {
            store.insert(id, state(1), later);
            assert!(store.len() <= 1_000);
        }
        assert_eq!(store.len(), 1_000);
        // The newest are kept, the oldest evicted.
        assert!(store.get(99_999, Timestamp::now()).is_some());
        assert!(store.get(0, Timestamp::now()).is_none());
        assert!(store.inner.lock().map(|i| i.order.len()).unwrap_or(0) <= 2_000);
    }

    #[test]
    fn the_summary_cache_stays_at_its_cap_and_forgets_a_task() {
        let cache = SummaryCache::new(10, Duration::from_secs(60));
        let now = Timestamp::now();
        let counted = Counted {
            summary: StatusSummary::default(),
            at: now,
        };
        for n in 0..100u16 {
            let filter = ListFilter::new(
                agent_core::Scope::new(agent_core::Id::task(&format!("t{}", n % 2)).unwrap())
                    .with_statuses(agent_core::StatusSet::from_bits(n)),
            );
            assert!(cache.put(SummaryKey::of(&filter), counted, cache.generation()));
            assert!(cache.len() <= 10);
        }
        cache.forget_task("t1");
        assert!(cache.len() <= 5);
    }

    #[test]
    fn cached_counts_expire_by_the_engines_clock_and_a_reset_drops_counts_in_flight() {
        let cache = SummaryCache::new(10, Duration::from_secs(60));
        let key = SummaryKey::of(&ListFilter::new(agent_core::Scope::new(
            agent_core::Id::task("t").unwrap(),
        )));
        let mut summary = StatusSummary::default();
        summary.add(agent_core::CallStatus::Busy, 3);
        let at = Timestamp::now();
        assert!(cache.put(key.clone(), Counted { summary, at }, cache.generation()));
        let later = |secs| at + jiff::SignedDuration::from_secs(secs);
        assert_eq!(cache.get(&key, later(59)).map(|c| c.summary), Some(summary));
        assert_eq!(cache.get(&key, later(60)), None);
        // Counting started, then a reset of the task: what was counted is not kept.
        let generation = cache.generation();
        cache.forget_task("t");
        assert!(!cache.put(key.clone(), Counted { summary, at }, generation));
        assert_eq!(cache.get(&key, at), None);
    }
}
