//! The engine's lifecycle: the sweeper of expired confirmations (on its own timer and at each
//! command), the watch schedulers it runs for the transports, and the shutdown every transport
//! calls on Ctrl-C or SIGTERM.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::Engine;
use crate::access::Transport;
use crate::audit::AuditEvent;
use crate::commands::reset::audit as audit_reset;
use crate::commands::watch::{WatchPost, WatchRunner, WatchScheduler};
use crate::state::PendingReset;

/// How often the engine's sweeper forgets expired reset confirmations, auditing each as
/// expired, unless [`Engine::sweep_every`] says otherwise.
pub const SWEEP_EVERY: Duration = Duration::from_secs(30);

/// The shortest sweeping interval, in milliseconds.
const MIN_SWEEP_MILLIS: u64 = 10;

/// What [`Engine::shutdown`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shutdown {
    /// Whether every command in flight finished within the grace period.
    pub drained: bool,
    /// Pending confirmations audited as expired.
    pub expired: usize,
}

impl Engine {
    /// How often the sweeper forgets expired confirmations (see [`Engine::sweep_every`]).
    fn sweep_interval(&self) -> Duration {
        Duration::from_millis(self.inner.sweep_every_ms.load(Ordering::Relaxed))
    }

    /// Sweeps expired reset confirmations (auditing each as expired) every `every` instead of
    /// every [`SWEEP_EVERY`]. Takes effect from the sweeper's next round.
    #[must_use]
    pub fn sweep_every(self, every: Duration) -> Self {
        let millis = u64::try_from(every.as_millis())
            .unwrap_or(u64::MAX)
            .max(MIN_SWEEP_MILLIS);
        self.inner.sweep_every_ms.store(millis, Ordering::Relaxed);
        self
    }

    /// Starts the sweeper of expired confirmations, once, on the runtime of the first command
    /// (before it there is nothing to sweep). It runs on the engine's task tracker until
    /// [`Engine::shutdown`], or until the last clone of the engine is dropped.
    pub(super) fn start_sweeper(&self) {
        if self.inner.sweeper_started.swap(true, Ordering::SeqCst) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // No runtime here (a synchronous caller): the next command starts it.
            self.inner.sweeper_started.store(false, Ordering::SeqCst);
            return;
        };
        let engine = Arc::downgrade(&self.inner);
        let stop = self.inner.stop_sweeper.clone();
        self.inner.tracker.spawn_on(
            async move {
                loop {
                    let Some(every) = engine
                        .upgrade()
                        .map(|inner| Engine { inner }.sweep_interval())
                    else {
                        return;
                    };
                    tokio::select! {
                        () = stop.cancelled() => return,
                        () = tokio::time::sleep(every) => {}
                    }
                    let Some(inner) = engine.upgrade() else {
                        return;
                    };
                    let engine = Engine { inner };
                    let expired = engine.sweep_expired().await;
                    engine.purge_expired().await;
                    if expired > 0 {
                        tracing::info!(expired, "reset confirmations expired");
                    }
                }
            },
            &runtime,
        );
    }

    /// Stops taking commands and the sweeper of expired confirmations, lets the commands in
    /// flight finish within `shutdown_grace`, and audits every pending confirmation as expired.
    /// Every transport calls it on Ctrl-C or SIGTERM.
    pub async fn shutdown(&self) -> Shutdown {
        self.inner.closing.store(true, Ordering::SeqCst);
        self.inner.stop_sweeper.cancel();
        // Exports in flight stop and delete their files.
        self.exports.stop_all();
        self.inner.tracker.close();
        let grace = self.config().shutdown_grace;
        let drained = tokio::time::timeout(grace, self.inner.tracker.wait())
            .await
            .is_ok();
        if !drained {
            tracing::warn!(?grace, "commands still in flight at shutdown");
        }
        // A persistent store keeps them: they are still good after a restart, or on another
        // replica. Memory dies with the process: audit them as expired.
        let pending = if self.store().persistent() {
            Vec::new()
        } else {
            self.pending.take_all().await.unwrap_or_default()
        };
        self.audit_expired(&pending);
        Shutdown {
            drained,
            expired: pending.len(),
        }
    }

    /// Whether [`Engine::shutdown`] was called.
    pub fn is_closing(&self) -> bool {
        self.inner.closing.load(Ordering::SeqCst)
    }

    /// Forgets pending resets whose time is up, auditing each as expired; returns how many.
    /// Runs at every command and press (at most once a second on a persistent store), and on
    /// the engine's own timer (see [`Engine::sweep_every`]). Each is taken atomically, so of
    /// several replicas sweeping one Redis, one audits it.
    pub async fn sweep_expired(&self) -> usize {
        let now = self.now();
        let expired = match self.pending.take_expired(now).await {
            Ok(expired) => expired,
            Err(err) => {
                tracing::warn!(%err, "cannot sweep expired confirmations");
                Vec::new()
            }
        };
        self.audit_expired(&expired);
        expired.len()
    }

    /// Audits each of these confirmations as expired, in its requester's name. An expiry that
    /// cannot be audited is logged by the audit log itself.
    fn audit_expired(&self, expired: &[(u64, PendingReset)]) {
        for (id, pending) in expired {
            audit_reset(
                self,
                AuditEvent::Expired,
                *id,
                &pending.requester,
                pending,
                None,
            )
            .ok();
        }
    }

    /// Forgets expired state (page states, ids seen) where the store does not by itself; runs
    /// on the engine's timer.
    async fn purge_expired(&self) {
        match self.store().purge_expired().await {
            Ok(0) => {}
            Ok(purged) => tracing::debug!(purged, "expired state purged"),
            Err(err) => tracing::warn!(%err, "cannot purge expired state"),
        }
    }

    /// The sweep a command or a press runs: always in memory (cheap), at most once a second
    /// on a persistent store (a round trip).
    pub(super) async fn sweep_on_command(&self) {
        if self.store().persistent() {
            let now = self.now().as_millisecond();
            let last = self.inner.last_sweep_ms.load(Ordering::Relaxed);
            if now.saturating_sub(last) < 1_000
                || self
                    .inner
                    .last_sweep_ms
                    .compare_exchange(last, now, Ordering::SeqCst, Ordering::Relaxed)
                    .is_err()
            {
                return;
            }
        }
        self.sweep_expired().await;
    }

    /// Runs a [`WatchScheduler`] for `transport` on this engine's timer: a poll every
    /// `watch_poll` (the first one a poll after the start), until the runner is dropped or
    /// stopped, the engine shut down, or its last clone dropped. Needs a Tokio runtime.
    pub fn run_watches(&self, transport: Transport, post: WatchPost) -> WatchRunner {
        let stop = self.inner.stop_sweeper.child_token();
        let runner = WatchRunner::new(stop.clone());
        let engine = Arc::downgrade(&self.inner);
        let every = self.config().watch_poll;
        let mut scheduler = WatchScheduler::new(transport, post);
        self.inner.tracker.spawn(async move {
            loop {
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(every) => {}
                }
                let Some(inner) = engine.upgrade() else {
                    return;
                };
                let engine = Engine { inner };
                if engine.is_closing() {
                    return;
                }
                let report = scheduler.tick(&engine).await;
                tracing::debug!(?report, "watch poll");
            }
        });
        runner
    }
}
