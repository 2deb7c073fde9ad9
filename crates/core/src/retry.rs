//! Retries with exponential backoff and full jitter, within a total time budget.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::{Error, Retry};

/// When and how often to try a failed request again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1: never retry).
    pub max_attempts: u32,
    /// The backoff before the first retry; it doubles with each retry.
    pub initial_backoff: Duration,
    /// The longest backoff.
    pub max_backoff: Duration,
    /// The time allowed for all attempts and waits together; a `Retry-After` beyond it ends the
    /// retries at once.
    pub budget: Duration,
    /// Also retry a reset after transient failures of a request the server may have seen
    /// (timeouts, cut connections, 5xx, 429). Off by default: a reset is retried only when it
    /// surely did not reach the server (the connection was never established).
    pub retry_reset_on_transient: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            budget: Duration::from_secs(30),
            retry_reset_on_transient: false,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The backoff before retry number `retry` (1-based), with full jitter: uniform in
    /// `0..=min(max_backoff, initial_backoff × 2^(retry-1))`.
    fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(1u32 << (retry.saturating_sub(1)).min(16));
        let cap = exp.min(self.max_backoff);
        let millis = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(fastrand::u64(0..=millis))
    }

    /// Whether an error of a request of this kind may be retried.
    fn allows(&self, err: &Error, idempotent: bool) -> bool {
        match err.retry() {
            Retry::Never => false,
            Retry::NotSent => true,
            Retry::Transient => idempotent || self.retry_reset_on_transient,
        }
    }

    /// Runs `attempt` until it succeeds, fails for good, or the attempts or the budget run out.
    /// `idempotent` says whether the request may be repeated after it possibly took effect.
    /// Each attempt is also cut short when the budget ends.
    pub async fn run<T, F, Fut>(
        &self,
        operation: &str,
        idempotent: bool,
        mut attempt: F,
    ) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let started = Instant::now();
        let deadline = started + self.budget;
        let mut tries = 0u32;
        loop {
            tries += 1;
            let remaining = deadline.saturating_duration_since(Instant::now());
            let result = match tokio::time::timeout(remaining, attempt()).await {
                Ok(result) => result,
                Err(_) => Err(Error::Timeout { after: self.budget }),
            };
            let err = match result {
                Ok(value) => return Ok(value),
                Err(err) => err,
            };
            if tries >= self.max_attempts || !self.allows(&err, idempotent) {
                return Err(err);
            }
            let wait = self
                .backoff(tries)
                .max(err.retry_after().unwrap_or_default());
            if Instant::now() + wait >= deadline {
                tracing::warn!(operation, attempts = tries, category = ?err.category(), "giving up: the retry budget is spent");
                tracing::debug!(operation, error = %crate::mask_phones_in(&err.to_string(), &[]), "the last failure");
                return Err(err);
            }
            // Bodies and URLs only at debug level, phones masked: the log may be shipped.
            tracing::info!(operation, attempt = tries, wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), category = ?err.category(), "retrying");
            tracing::debug!(operation, error = %crate::mask_phones_in(&err.to_string(), &[]), "retrying after");
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn fast() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            budget: Duration::from_secs(5),
            retry_reset_on_transient: false,
        }
    }

    fn server_error() -> Error {
        Error::Http {
            status: 503,
            message: "down".into(),
            retry_after: None,
            quoted: false,
        }
    }

    #[tokio::test]
    async fn transient_failures_are_retried_until_success() {
        let calls = AtomicU32::new(0);
        let result = fast()
            .run("test", true, || async {
                if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                    Err(server_error())
                } else {
                    Ok(7)
                }
            })
            .await;
        assert_eq!(result.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn attempts_are_bounded() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = fast()
            .run("test", true, || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(server_error())
            })
            .await;
        assert!(matches!(result, Err(Error::Http { status: 503, .. })));
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn transient_failures_are_not_retried_for_resets() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = fast()
            .run("reset", false, || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(server_error())
            })
            .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        let calls = AtomicU32::new(0);
        let _ = RetryPolicy {
            retry_reset_on_transient: true,
            ..fast()
        }
        .run("reset", false, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(server_error())
        })
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_honoured_and_the_budget_respected() {
        let calls = AtomicU32::new(0);
        let started = Instant::now();
        let result: Result<(), _> = RetryPolicy {
            budget: Duration::from_secs(10),
            ..fast()
        }
        .run("test", true, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Error::Http {
                status: 429,
                message: "Too Many Attempts.".into(),
                retry_after: Some(Duration::from_secs(4)),
                quoted: false,
            })
        })
        .await;
        assert!(result.is_err());
        // Attempts at 0 s, 4 s and 8 s; a third wait would end past the 10 s budget.
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(started.elapsed(), Duration::from_secs(8));
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_attempt_is_cut_at_the_budget() {
        let result: Result<(), _> = RetryPolicy {
            budget: Duration::from_secs(2),
            ..fast()
        }
        .run("test", true, || async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(())
        })
        .await;
        assert!(matches!(result, Err(Error::Timeout { .. })));
    }
}
