//! A local stand-in of the platform's agent-api, in the spirit of stripe-mock and Prism: the two
//! endpoints (`GET …/task/{task_id}/number`, `PUT …/task/{task_id}/number-batch-reset`) with the
//! platform's Laravel habits, deterministic seeded data, and switchable faults.
//!
//! - Bearer token (default `sim-token`); 401 `{"message":"Unauthenticated."}` otherwise.
//! - Unknown user or task → 404 envelope; another method → 405 as Laravel answers; another
//!   route → 404.
//! - `status[]=…` arrays (also `status[0]=`, and a scalar `status=`), `page` from 1, `per_page`
//!   default 15 and at most [`MAX_PER_PAGE`] (1000), `meta` as the platform writes it, filters
//!   combined with AND, `start_at`/`end_at` inclusive on `created_at` (`YYYY-MM-DD[ HH:MM[:SS]]`
//!   or `2025/12/3 0:00`).
//! - Laravel's HTTP 422 `{message, errors}` for bad input.
//! - A reset puts every matching number back to status 0 with its call fields cleared; an empty
//!   body resets the whole task, as the platform would: the bots' guards must do the refusing.
//! - `encryption` is accepted (`1`, `0`, `true`, `false`) and has no effect: no simulated account
//!   has API encryption on.
//!
//! Start it with [`start`] on an ephemeral loopback port (tests), [`spawn_blocking_runtime`] on
//! a runtime of its own (benchmarks, a terminal app), or `cargo run -p agent-sim`.

mod data;
mod faults;
mod query;
mod server;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use agent_api::types::NumberRecord;
use jiff::civil::DateTime;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use faults::{Fault, Faults, Latency};
pub use query::MAX_PER_PAGE;
pub use server::{AppState, router};

use server::Task;

/// The demo account (the number-list documentation's user id).
pub const DEMO_USER_ID: &str = "5832d184-dd53-42a0-8ace-0bf8d660f4cc";
/// The demo task (the number-list documentation's task id).
pub const DEMO_TASK_ID: &str = "f232d184-dd54-42a0-8ace-0bf8d660f4cc";
/// A second task of the demo account.
pub const SECOND_TASK_ID: &str = "a7c1e0f2-3b4d-4e5f-8a9b-0c1d2e3f4a5b";
/// A sub-account of the demo account (the documentation's example).
pub const SUB_USER_ID: &str = "1181ffd3-e3ee-4d75-a45c-8b9be3deb330";
/// The sub-account's task: listing it needs `sub_user_id`.
pub const SUB_TASK_ID: &str = "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f";
/// The batch-reset documentation's account.
pub const RESET_USER_ID: &str = "4d99d91c-f5d9-49da-88da-758977cc58a9";
/// The batch-reset documentation's task.
pub const RESET_TASK_ID: &str = "b15b7392-a83f-4e0e-9570-31dd2ec8f85c";

/// Secondary tasks (all but the demo task) hold at most this many numbers, so a large `size`
/// for benchmarks costs memory for the demo task only.
pub const SECONDARY_TASK_MAX: usize = 2000;

/// How to run the simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The bearer token clients must send.
    pub token: String,
    /// Numbers of the demo task (other tasks: at most [`SECONDARY_TASK_MAX`]).
    pub size: usize,
    /// Seed of the data.
    pub seed: u64,
    /// Numbers are created over the 30 days before this China time (default: now).
    pub anchor: Option<DateTime>,
    /// Random faults.
    pub faults: Faults,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            token: "sim-token".to_string(),
            size: 3000,
            seed: 20_201_013,
            anchor: None,
            faults: Faults::default(),
        }
    }
}

/// A seeded task, as a test or a banner wants to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeededTask {
    /// The main account.
    pub user_id: String,
    /// The sub-account that owns it, if any.
    pub sub_user_id: Option<String>,
    /// The task id.
    pub task_id: String,
    /// A name for people.
    pub name: String,
    /// How many numbers it has.
    pub size: usize,
}

fn china_now() -> DateTime {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::Offset::constant(8)))
        .datetime()
}

fn seed_tasks(config: &SimConfig) -> BTreeMap<String, Task> {
    let anchor = config.anchor.unwrap_or_else(china_now);
    let anchor = anchor.with().subsec_nanosecond(0).build().unwrap_or(anchor);
    let secondary = config.size.min(SECONDARY_TASK_MAX);
    let plan = [
        (DEMO_TASK_ID, DEMO_USER_ID, None, "demo", config.size),
        (SECOND_TASK_ID, DEMO_USER_ID, None, "renewals", secondary),
        (
            SUB_TASK_ID,
            DEMO_USER_ID,
            Some(SUB_USER_ID),
            "sub-campaign",
            secondary,
        ),
        (
            RESET_TASK_ID,
            RESET_USER_ID,
            None,
            "reset-example",
            secondary,
        ),
    ];
    let mut first_id = 1u32;
    plan.into_iter()
        .enumerate()
        .map(|(i, (task_id, user_id, sub, name, size))| {
            let seed = config.seed.wrapping_add(i as u64 * 7919);
            let records = data::generate(size, seed, anchor, first_id);
            first_id += u32::try_from(size).unwrap_or(u32::MAX);
            (
                task_id.to_string(),
                Task {
                    user_id: user_id.to_string(),
                    sub_user_id: sub.map(ToString::to_string),
                    name: name.to_string(),
                    records,
                    seed,
                },
            )
        })
        .collect()
}

/// A running simulator.
#[derive(Debug)]
pub struct SimHandle {
    base_url: String,
    state: Arc<AppState>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    runtime: Option<std::thread::JoinHandle<()>>,
}

/// The state and the router of a simulator (for a custom server; [`start`] is simpler).
pub fn state(config: &SimConfig) -> Arc<AppState> {
    Arc::new(AppState {
        token: config.token.clone(),
        tasks: RwLock::new(seed_tasks(config)),
        faults: Mutex::new(faults::FaultState::new(config.faults.clone())),
        requests: AtomicU64::new(0),
    })
}

/// Starts a simulator on `listener` (serving in a task of the current runtime).
pub async fn start_on(listener: TcpListener, config: SimConfig) -> std::io::Result<SimHandle> {
    let address = listener.local_addr()?;
    let state = state(&config);
    let app = router(state.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = stopped.await;
        });
        if let Err(err) = serve.await {
            tracing::error!(%err, "the simulator stopped");
        }
    });
    Ok(SimHandle {
        base_url: format!("http://{address}"),
        state,
        stop: Some(stop),
        server: Some(server),
        runtime: None,
    })
}

/// Starts a simulator on an ephemeral loopback port, serving in the current runtime.
pub async fn start(config: SimConfig) -> std::io::Result<SimHandle> {
    start_on(TcpListener::bind("127.0.0.1:0").await?, config).await
}

/// Starts a simulator on an ephemeral loopback port with a runtime of its own (two worker
/// threads), so that it outlives whatever runtime the caller has and stays apart from it.
pub fn spawn_blocking_runtime(config: SimConfig) -> std::io::Result<SimHandle> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("agent-sim".to_string())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("agent-sim-worker")
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(err) => {
                    let _ = ready_tx.send(Err(err));
                    return;
                }
            };
            runtime.block_on(async move {
                match start(config).await {
                    Ok(mut handle) => {
                        let server = handle.server.take();
                        let _ = ready_tx.send(Ok(handle));
                        if let Some(server) = server {
                            let _ = server.await;
                        }
                    }
                    Err(err) => {
                        let _ = ready_tx.send(Err(err));
                    }
                }
            });
        })?;
    let mut handle = ready_rx
        .recv()
        .map_err(|_| std::io::Error::other("the simulator thread stopped before it started"))??;
    handle.runtime = Some(thread);
    Ok(handle)
}

impl SimHandle {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bearer token clients must send.
    pub fn token(&self) -> &str {
        &self.state.token
    }

    /// The seeded tasks.
    pub fn tasks(&self) -> Vec<SeededTask> {
        let tasks = match self.state.tasks.read() {
            Ok(tasks) => tasks,
            Err(poisoned) => poisoned.into_inner(),
        };
        tasks
            .iter()
            .map(|(id, task)| SeededTask {
                user_id: task.user_id.clone(),
                sub_user_id: task.sub_user_id.clone(),
                task_id: id.clone(),
                name: task.name.clone(),
                size: task.records.len(),
            })
            .collect()
    }

    /// Switches the random faults.
    pub fn set_faults(&self, faults: Faults) {
        match self.state.faults.lock() {
            Ok(mut state) => state.set(faults),
            Err(poisoned) => poisoned.into_inner().set(faults),
        }
    }

    /// The next `count` API requests get `fault`, then requests are normal again (0 clears).
    pub fn inject(&self, fault: Fault, count: usize) {
        match self.state.faults.lock() {
            Ok(mut state) => state.inject(fault, count),
            Err(poisoned) => poisoned.into_inner().inject(fault, count),
        }
    }

    /// API requests received so far (faulted ones included).
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::Relaxed)
    }

    /// A task's numbers as they are now, in id order (empty for an unknown task).
    pub fn snapshot(&self, task_id: &str) -> Vec<NumberRecord> {
        let tasks = match self.state.tasks.read() {
            Ok(tasks) => tasks,
            Err(poisoned) => poisoned.into_inner(),
        };
        tasks
            .get(task_id)
            .map(|task| task.records.iter().map(|r| r.render(task.seed)).collect())
            .unwrap_or_default()
    }

    /// Stops serving and waits for the server to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        if let Some(runtime) = self.runtime.take() {
            let _ = tokio::task::spawn_blocking(move || runtime.join()).await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
