//! Counts per status of a filter, shared by `/stats`, `/numbers` (its "by status" line), a
//! reset (which forgets them) and the watches: counted with one request per status (the
//! client's concurrency) and cached per filter for `stats_ttl_secs`, for every chat.

use agent_core::ListFilter;

use crate::services::Services;
use crate::state::{Counted, SummaryKey};

impl Services {
    /// Counts per status of a filter: from the shared cache when fresh (unless `recount`),
    /// otherwise counted (one request per status, with the client's concurrency) and cached.
    pub(crate) async fn counts(
        &self,
        filter: &ListFilter,
        recount: bool,
    ) -> Result<Counted, agent_core::Error> {
        let cache = &self.summaries;
        let key = SummaryKey::of(filter);
        let asked = self.now();
        if !recount && let Some(counted) = cache.get(&key, asked) {
            return Ok(counted);
        }
        // Another chat may be counting the same filter: wait for it, and take its counts when
        // they were made after this was asked (or are fresh, unless a recount was asked for).
        let _turn = cache.turn(&key).await;
        if let Some(counted) = cache.get(&key, self.now())
            && (!recount || counted.at >= asked)
        {
            return Ok(counted);
        }
        let generation = cache.generation();
        let summary = self.client().summary(filter).await?;
        let counted = Counted {
            summary,
            at: self.now(),
        };
        cache.put(key, counted, generation);
        Ok(counted)
    }

    /// The cached counts of a filter, if fresh; never a request.
    pub(crate) fn cached_counts(&self, filter: &ListFilter) -> Option<Counted> {
        self.summaries.get(&SummaryKey::of(filter), self.now())
    }

    /// Drops the cached counts of a task (its numbers changed).
    pub(crate) fn forget_counts(&self, task_id: &str) {
        self.summaries.forget_task(task_id);
    }
}
