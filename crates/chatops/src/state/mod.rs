//! The engine's state, as small types that own their locks and their bounds: pending reset
//! confirmations, page states too large for a button, cached counts per filter and running jobs;
//! [`records`] is how the first two are kept in the state store.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use agent_core::{ListFilter, ResetFilter, StatusSummary};
use jiff::Timestamp;

use tokio_util::sync::CancellationToken;

mod records;

use self::records::{StoredPage, StoredReset};
use crate::access::Caller;
use crate::store::{SharedStore, StoreError, ns};
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

/// How long the store keeps a confirmation past its expiry, so that a sweeper (of this
/// replica, another, or this one after a restart) finds it and audits it as expired.
const KEPT_AFTER_EXPIRY: Duration = Duration::from_secs(24 * 3600);

/// Resets waiting for confirmation, by id, in the state store. Taking one is atomic (across
/// replicas with a shared store): a confirmation runs once.
#[derive(Debug, Clone)]
pub(crate) struct PendingResets {
    store: SharedStore,
}

fn reset_key(id: u64) -> String {
    format!("{id:016x}")
}

fn decode_reset(bytes: &[u8]) -> Result<PendingReset, StoreError> {
    serde_json::from_slice::<StoredReset>(bytes)
        .ok()
        .and_then(StoredReset::into_pending)
        .ok_or(StoreError::Corrupt(ns::RESETS.name))
}

impl PendingResets {
    pub(crate) fn new(store: SharedStore) -> Self {
        Self { store }
    }

    /// Keeps it until `now` + its remaining time + [`KEPT_AFTER_EXPIRY`].
    pub(crate) async fn insert(
        &self,
        id: u64,
        pending: &PendingReset,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(&StoredReset::of(pending))
            .map_err(|_| StoreError::Corrupt(ns::RESETS.name))?;
        let left = Duration::try_from(pending.expires.duration_since(now)).unwrap_or_default();
        self.store
            .put(ns::RESETS, &reset_key(id), &bytes, left + KEPT_AFTER_EXPIRY)
            .await
    }

    /// A copy, leaving it pending.
    pub(crate) async fn peek(&self, id: u64) -> Result<Option<PendingReset>, StoreError> {
        self.store
            .get(ns::RESETS, &reset_key(id))
            .await?
            .map(|bytes| decode_reset(&bytes))
            .transpose()
    }

    /// Takes it: whoever takes it runs (or cancels) it.
    pub(crate) async fn take(&self, id: u64) -> Result<Option<PendingReset>, StoreError> {
        self.store
            .take(ns::RESETS, &reset_key(id))
            .await?
            .map(|bytes| decode_reset(&bytes))
            .transpose()
    }

    /// Puts back one taken but not run (the audit could not be written).
    pub(crate) async fn restore(
        &self,
        id: u64,
        pending: &PendingReset,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.insert(id, pending, now).await
    }

    /// Takes those whose time is up (each by an atomic take: of several sweepers sharing the
    /// store, one gets each). An entry that no longer decodes is dropped and logged.
    pub(crate) async fn take_expired(
        &self,
        now: Timestamp,
    ) -> Result<Vec<(u64, PendingReset)>, StoreError> {
        self.take_where(|pending| pending.expires <= now).await
    }

    /// Takes them all (shutdown of an engine whose store dies with it).
    pub(crate) async fn take_all(&self) -> Result<Vec<(u64, PendingReset)>, StoreError> {
        self.take_where(|_| true).await
    }

    async fn take_where(
        &self,
        due: impl Fn(&PendingReset) -> bool,
    ) -> Result<Vec<(u64, PendingReset)>, StoreError> {
        let mut taken = Vec::new();
        for (key, bytes) in self.store.list(ns::RESETS).await? {
            let Ok(id) = u64::from_str_radix(&key, 16) else {
                self.store.remove(ns::RESETS, &key).await?;
                continue;
            };
            match decode_reset(&bytes) {
                Ok(pending) if due(&pending) => {
                    if let Some(pending) = self.take(id).await.ok().flatten() {
                        taken.push((id, pending));
                    }
                }
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(%err, "dropping a pending reset that cannot be read");
                    self.store.remove(ns::RESETS, &key).await?;
                }
            }
        }
        Ok(taken)
    }

    /// How many wait (expired ones included, until swept).
    pub(crate) async fn len(&self) -> Result<usize, StoreError> {
        Ok(self.store.list(ns::RESETS).await?.len())
    }
}

/// Page states too large for a button, kept in the state store under an id until they
/// expire. In memory the store caps them (the oldest go first), so a flood of presses cannot
/// grow memory; a shared store serves them to every replica.
#[derive(Debug, Clone)]
pub(crate) struct PageStore {
    store: SharedStore,
}

impl PageStore {
    pub(crate) fn new(store: SharedStore) -> Self {
        Self { store }
    }

    pub(crate) async fn insert(
        &self,
        id: u64,
        state: &PageState,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(&StoredPage::of(state))
            .map_err(|_| StoreError::Corrupt(ns::PAGES.name))?;
        self.store.put(ns::PAGES, &reset_key(id), &bytes, ttl).await
    }

    pub(crate) async fn get(&self, id: u64) -> Result<Option<PageState>, StoreError> {
        match self.store.get(ns::PAGES, &reset_key(id)).await? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice::<StoredPage>(&bytes)
                .map(|stored| Some(stored.into_state()))
                .map_err(|_| StoreError::Corrupt(ns::PAGES.name)),
        }
    }

    /// How many the store holds, where it can tell cheaply (in memory).
    pub(crate) fn len(&self) -> usize {
        self.store.held(ns::PAGES).unwrap_or(0)
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

/// Jobs running now (exports), by id: who started each, and how to stop it.
#[derive(Debug, Default)]
pub(crate) struct RunningJobs {
    map: Mutex<HashMap<u64, (String, CancellationToken)>>,
}

impl RunningJobs {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, (String, CancellationToken)>> {
        match self.map.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    pub(crate) fn start(self: &Arc<Self>, id: u64, owner: String) -> RunningJob {
        let token = CancellationToken::new();
        self.lock().insert(id, (owner, token.clone()));
        RunningJob {
            jobs: Arc::clone(self),
            id,
            token,
        }
    }

    /// Stops the export `id` if `identity` started it: `Some(true)`; `Some(false)` when someone
    /// else did; `None` when it is not running.
    pub(crate) fn stop(&self, id: u64, identity: &str) -> Option<bool> {
        let map = self.lock();
        let (owner, token) = map.get(&id)?;
        if owner != identity {
            return Some(false);
        }
        token.cancel();
        Some(true)
    }

    /// Cancels every export (shutdown).
    pub(crate) fn stop_all(&self) {
        for (_, token) in self.lock().values() {
            token.cancel();
        }
    }

    /// How many run.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

/// Forgets a running job when it ends, however it ends; its token stops it.
pub(crate) struct RunningJob {
    jobs: Arc<RunningJobs>,
    id: u64,
    pub(crate) token: CancellationToken,
}

impl Drop for RunningJob {
    fn drop(&mut self) {
        self.jobs.lock().remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_cache_stays_at_its_cap_and_forgets_a_task() {
        let cache = SummaryCache::new(10, Duration::from_secs(60));
        let now = Timestamp::now();
        for n in 0..100u16 {
            // One after the other, so "the oldest go first" names one entry each time.
            let counted = Counted {
                summary: StatusSummary::default(),
                at: now + jiff::SignedDuration::from_millis(i64::from(n)),
            };
            let filter = ListFilter::new(
                agent_core::Scope::new(agent_core::Id::task(&format!("t{}", n % 2)).unwrap())
                    .with_statuses(agent_core::StatusSet::from_bits(n)),
            );
            assert!(cache.put(SummaryKey::of(&filter), counted, cache.generation()));
            assert!(cache.len() <= 10);
        }
        // The ten newest are left: five of each task.
        assert_eq!(cache.len(), 10);
        cache.forget_task("t1");
        assert_eq!(cache.len(), 5);
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
        // An entry dated ahead of the clock (another replica's clock, or ours set back) is
        // not fresh: its age is unknown.
        let ahead = Counted {
            summary,
            at: later(30),
        };
        let other = SummaryKey::of(&ListFilter::new(
            agent_core::Scope::new(agent_core::Id::task("t").unwrap())
                .with_statuses(agent_core::StatusSet::from_bits(1)),
        ));
        assert!(cache.put(other.clone(), ahead, cache.generation()));
        assert_eq!(cache.get(&other, at), None);
        assert_eq!(
            cache.get(&other, later(30)).map(|c| c.summary),
            Some(summary)
        );
        // Counting started, then a reset of the task: what was counted is not kept.
        let generation = cache.generation();
        cache.forget_task("t");
        assert!(!cache.put(key.clone(), Counted { summary, at }, generation));
        assert_eq!(cache.get(&key, at), None);
    }
}
