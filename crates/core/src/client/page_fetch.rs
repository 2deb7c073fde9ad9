//! A page fetch of [`NumberStream`](super::NumberStream), running on its own and cancelled when
//! dropped.
//!
//! On a multi-threaded runtime the fetch runs on the blocking pool (`Handle::block_on` there),
//! so decoding a page's JSON happens on a thread of its own instead of a runtime worker: the
//! workers stay free to drive the other pages' I/O. The I/O itself and the retry timers are
//! still driven by the runtime. On a current-thread runtime, or for a window of pages larger
//! than [`MAX_OFFLOADED_WINDOW`], the fetch is an ordinary task.
//!
//! Why the blocking pool: the export benchmark (`cargo bench -p agent-core --bench export`:
//! 100 000 and 1 000 000 numbers, pages of 200, concurrency 8, 20 ms per request; "× ideal" is
//! the time over pages × 20 ms ÷ 8), the same stream with each way of running the fetches, runs
//! interleaved on a 2-core machine shared with other builds (load average 6 to 7), 2026-12-02:
//!
//! | fetches run on    | 100 000, × ideal | 1 000 000, × ideal | vs sequential | peak memory |
//! |-------------------|------------------|--------------------|---------------|-------------|
//! | the blocking pool | 1.06 – 1.08      | 1.07 – 1.08        | 7.97 – 8.31 × | 14 – 18 MB  |
//! | ordinary tasks    | 1.09 – 1.21      | 1.10 – 1.12        | 7.17 – 7.82 × | 10 – 12 MB  |
//!
//! (3 runs each; 4 more of the ordinary tasks against the former shape gave 1.12 – 1.15 and
//! 1.09 – 1.15 × ideal.) Ordinary tasks lose 4 to 10 % against the ideal and the 8 × target; the
//! blocking pool costs about 5 MB of thread stacks. Whether the gain comes from decoding off the
//! workers or from more threads getting a share of a busy machine was not told apart: measure
//! again, on the machine that matters, before dropping the offload.

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::Page;
use crate::error::Error;

/// The largest window of pages fetched on the blocking pool: well below tokio's default of 512
/// blocking threads, which other blocking work (DNS lookups) needs too. Larger windows (a
/// concurrency above 64, which the configuration file refuses) fetch on ordinary tasks.
pub(super) const MAX_OFFLOADED_WINDOW: usize = 128;

/// A page fetch running on its own, cancelled when dropped.
pub(super) struct PageFetch {
    task: JoinHandle<Result<Page, Error>>,
    /// Dropping it cancels a fetch on the blocking pool (which `abort` cannot reach).
    _cancel: Option<oneshot::Sender<()>>,
}

impl PageFetch {
    /// Starts `fetch`: on the blocking pool when `offload` and the runtime is multi-threaded,
    /// else as a task.
    pub(super) fn spawn<F>(offload: bool, fetch: F) -> Self
    where
        F: Future<Output = Result<Page, Error>> + Send + 'static,
    {
        let runtime = tokio::runtime::Handle::current();
        if !offload || runtime.runtime_flavor() != tokio::runtime::RuntimeFlavor::MultiThread {
            return Self {
                task: tokio::spawn(fetch),
                _cancel: None,
            };
        }
        let (cancel, cancelled) = oneshot::channel::<()>();
        let task = tokio::task::spawn_blocking(move || {
            runtime.block_on(async move {
                // Cancellation first, on every poll: a thread of the blocking pool may be
                // scheduled late on a busy machine, and by then the fetch may be ready to send
                // its request too (its permit freed); an unbiased choice would send it half of
                // the time, after the stream was dropped.
                tokio::select! {
                    biased;
                    _ = cancelled => Err(Error::Transport {
                        message: "the page fetch was cancelled".to_string(),
                        connect: false,
                    }),
                    page = fetch => page,
                }
            })
        });
        Self {
            task,
            _cancel: Some(cancel),
        }
    }
}

impl Future for PageFetch {
    type Output = Result<Page, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.task).poll(cx).map(|joined| {
            joined.unwrap_or_else(|err| {
                Err(Error::Transport {
                    message: format!("a page fetch stopped: {err}"),
                    connect: false,
                })
            })
        })
    }
}

impl Drop for PageFetch {
    fn drop(&mut self) {
        self.task.abort();
    }
}
