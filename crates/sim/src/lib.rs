//! A local stand-in of the platform's agent-api, in the spirit of stripe-mock and Prism: the two
//! endpoints (`GET …/task/{task_id}/number`, `PUT …/task/{task_id}/number-batch-reset`) with the
//! platform's Laravel habits, deterministic seeded data, and switchable faults. Answers are
//! serialized with the generated types of `agent-api`, so they match `openapi/agent-api.yaml`
//! by construction (and the tests validate them against it).
//!
//! # Behaviour
//! - Bearer token (default `sim-token`); a missing or wrong one gets 401
//!   `{"message":"Unauthenticated."}`. An unknown user gets 404 `用户不存在`, an unknown task (or
//!   a task of another sub-account) 404 `任务不存在`, both in the platform's envelope
//!   `{code: 404, status: "error", message, data: []}`. Another method on the two routes gets
//!   Laravel's 405 `{message}` with `Allow`; any other route Laravel's 404 `{message}`.
//! - Query strings are read as PHP reads them: `status[]=0&status[]=2`, also `status[0]=…` and a
//!   scalar `status=2`; a repeated plain key keeps only its last value.
//! - `page` from 1 (default 1), `per_page` default 15 and at most [`MAX_PER_PAGE`] (1000; the
//!   platform documents no maximum). Past the last page: an empty `data`. `meta` is
//!   `{has_pages, total, last_page, current_page, per_page}` with `last_page` 1 when nothing
//!   matches and `has_pages = last_page > 1`.
//! - Filters combine with AND. `start_at`/`end_at` bound `created_at`, both inclusive, in the
//!   forms the spec's `DateFilter` allows: `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DD`,
//!   `YYYY-MM-DD HH:MM`, and the documentation's `2025/12/3 0:00`.
//! - `encryption` follows Laravel's `boolean` rule: `1`/`0` in a query (the words `true`/`false`
//!   are refused, as Laravel refuses them — so the list documentation's own
//!   `encryption=false` example gets a 422), a JSON boolean in a body. No simulated account has
//!   API encryption on, so the flag changes nothing.
//! - Invalid input gets HTTP 422 `{code: 422, status: "error", message, data: [], errors:
//!   {field: [..]}}` with Laravel's messages: a status outside 0..12, a bad date, `end_at`
//!   before `start_at`, `end_at` without `start_at` on a reset, `page < 1`, `per_page` outside
//!   1..=1000, no body at all (the spec requires one), a body that is not a JSON object, a body
//!   field of the wrong JSON type (`null` included: the spec makes none nullable). Nothing is
//!   changed by a refused request.
//! - A reset puts every number matching the filters (`phones`: exact after trimming; `keyword`:
//!   a substring of the number; `status`; the creation-time range; all ANDed) back to status 0
//!   (等待呼叫) with its call fields null, and answers the documentation's envelope
//!   `{"code":200,"status":"success","message":"批量重置号码成功"}`. **An empty object `{}`
//!   resets the whole task**, as the platform would: the simulator is not safer than the
//!   platform, so the bots' own guards are what tests prove.
//!
//! # Data
//! Deterministic from [`SimConfig::seed`]: the documentation's users and tasks (see the
//! constants), numbers created over the 30 days before [`SimConfig::anchor`] with a realistic
//! mix of the 13 statuses, real cities with their provinces, area and post codes, carriers that
//! own the mobile prefixes, some landlines (`031912345678`) and a few numbers with the `_xxxx`
//! suffix an import option adds, and call fields consistent with the status. Records take 40
//! bytes each (a million: about 40 MB) and are rendered per page.
//!
//! # Faults
//! [`Faults`] (per run, random at given rates, reproducible from a seed) and
//! [`SimHandle::inject`] (the next N requests) only touch the two API routes.
//!
//! # Starting it
//! [`start`] on an ephemeral loopback port in the current runtime (tests),
//! [`spawn_blocking_runtime`] on a runtime of its own in a background thread (benchmarks, a
//! terminal app, synchronous callers), or `cargo run -p agent-sim -- --port 8080`.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sim = agent_sim::start(agent_sim::SimConfig::default()).await?;
//! let url = format!(
//!     "{}/agent-api/user/{}/task/{}/number?page=1",
//!     sim.base_url(),
//!     agent_sim::DEMO_USER_ID,
//!     agent_sim::DEMO_TASK_ID
//! );
//! // … send requests with `Authorization: Bearer {sim.token()}` …
//! sim.shutdown().await;
//! # let _ = url; Ok(()) }
//! ```

pub mod bench;
mod data;
mod faults;
mod query;
mod server;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use agent_api::types::NumberRecord;
use jiff::civil::DateTime;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use data::{CARRIERS, PLACES, Place, STATUS_LABELS, TextField};
pub use faults::{Fault, Faults, Latency};
pub use query::{DEFAULT_PER_PAGE, MAX_PER_PAGE, parse_date};
pub use server::{
    AppState, BAD_GATEWAY_PAGE, LIST_ROUTE, RESET_ROUTE, SOFT_ERROR_CODE, SOFT_ERROR_MESSAGE,
    router,
};

use data::Numbers;
use server::Task;

/// The demo account (the number-list documentation's user id).
pub const DEMO_USER_ID: &str = "5832d184-dd53-42a0-8ace-0bf8d660f4cc";
/// The demo task (the number-list documentation's task id); it holds [`SimConfig::size`] numbers.
pub const DEMO_TASK_ID: &str = "f232d184-dd54-42a0-8ace-0bf8d660f4cc";
/// A second task of the demo account.
pub const SECOND_TASK_ID: &str = "a7c1e0f2-3b4d-4e5f-8a9b-0c1d2e3f4a5b";
/// A sub-account of the demo account (the documentation's example).
pub const SUB_USER_ID: &str = "1181ffd3-e3ee-4d75-a45c-8b9be3deb330";
/// The sub-account's task: listing or resetting it needs `sub_user_id`.
pub const SUB_TASK_ID: &str = "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f";
/// The batch-reset documentation's account.
pub const RESET_USER_ID: &str = "4d99d91c-f5d9-49da-88da-758977cc58a9";
/// The batch-reset documentation's task.
pub const RESET_TASK_ID: &str = "b15b7392-a83f-4e0e-9570-31dd2ec8f85c";

/// Tasks other than the demo task hold `min(size, SECONDARY_TASK_MAX)` numbers, so a large
/// `size` for benchmarks costs memory for the demo task only (with the default size, every task
/// holds 3000).
pub const SECONDARY_TASK_MAX: usize = 3000;

/// The default token.
pub const DEFAULT_TOKEN: &str = "sim-token";

/// How to run the simulator.
#[derive(Clone)]
pub struct SimConfig {
    /// The bearer token clients must send (default `sim-token`).
    pub token: String,
    /// Numbers of the demo task (default 3000; a million is fine); other tasks hold
    /// `min(size, SECONDARY_TASK_MAX)`.
    pub size: usize,
    /// Seed of the data.
    pub seed: u64,
    /// Numbers are created over the 30 days before this China wall time (default: the start
    /// time, UTC+8). Pin it to make dates reproducible.
    pub anchor: Option<DateTime>,
    /// Random faults (default: none).
    pub faults: Faults,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            token: DEFAULT_TOKEN.to_string(),
            size: 3000,
            seed: 20_201_013,
            anchor: None,
            faults: Faults::default(),
        }
    }
}

impl fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimConfig")
            .field("token", &"[redacted]")
            .field("size", &self.size)
            .field("seed", &self.seed)
            .field("anchor", &self.anchor)
            .field("faults", &self.faults)
            .finish()
    }
}

/// A seeded task, as a test or a banner wants to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeededTask {
    /// The main account.
    pub user_id: String,
    /// The sub-account that owns it, if any (then requests need `sub_user_id`).
    pub sub_user_id: Option<String>,
    /// The task id.
    pub task_id: String,
    /// A name for people.
    pub name: String,
    /// How many numbers it has.
    pub size: usize,
}

/// Now, as China wall time (UTC+8).
pub fn china_now() -> DateTime {
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
            let numbers = Numbers::generate(size, seed, anchor, first_id);
            first_id = first_id.saturating_add(u32::try_from(size).unwrap_or(u32::MAX));
            (
                task_id.to_string(),
                Task {
                    user_id: user_id.to_string(),
                    sub_user_id: sub.map(ToString::to_string),
                    name: name.to_string(),
                    numbers,
                },
            )
        })
        .collect()
}

/// The state of a simulator, for [`router`] in a server of your own ([`start`] is simpler).
pub fn state(config: &SimConfig) -> Arc<AppState> {
    Arc::new(AppState {
        token: config.token.clone(),
        tasks: RwLock::new(seed_tasks(config)),
        faults: Mutex::new(faults::FaultState::new(config.faults.clone())),
        requests: AtomicU64::new(0),
    })
}

/// The background thread of [`spawn_blocking_runtime`].
#[derive(Debug)]
struct RuntimeThread {
    thread: std::thread::JoinHandle<()>,
    /// Fires when the thread has stopped serving and dropped its runtime.
    done: oneshot::Receiver<()>,
}

/// A running simulator. Dropping it stops the server (without waiting); [`SimHandle::shutdown`]
/// stops it and waits.
#[derive(Debug)]
pub struct SimHandle {
    base_url: String,
    address: SocketAddr,
    state: Arc<AppState>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    runtime: Option<RuntimeThread>,
}

/// Starts a simulator on `listener`, serving in a task of the current tokio runtime (the
/// server lives as long as that runtime and the handle).
pub async fn start_on(listener: TcpListener, config: SimConfig) -> std::io::Result<SimHandle> {
    let address = listener.local_addr()?;
    let state = state(&config);
    let app = router(state.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    // Answers go out at once, not held back by Nagle's algorithm.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp: &mut tokio::net::TcpStream| {
        let _ = tcp.set_nodelay(true);
    });
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
        address,
        state,
        stop: Some(stop),
        server: Some(server),
        runtime: None,
    })
}

/// Starts a simulator on an ephemeral loopback port (`127.0.0.1:0`), serving in a task of the
/// current tokio runtime: it stops when that runtime does. A caller whose runtime may end while
/// the simulator is still needed should use [`spawn_blocking_runtime`].
pub async fn start(config: SimConfig) -> std::io::Result<SimHandle> {
    start_on(TcpListener::bind("127.0.0.1:0").await?, config).await
}

/// Starts a simulator on an ephemeral loopback port with a multi-thread runtime of its own (two
/// workers) on a background thread, kept alive until the handle is shut down or dropped. Needs
/// no runtime from the caller: plain `#[test]`s, benchmarks and terminal apps can call it, and
/// the caller's runtime (if any) may come and go.
pub fn spawn_blocking_runtime(config: SimConfig) -> std::io::Result<SimHandle> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("agent-sim".to_string())
        .spawn(move || {
            match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("agent-sim-worker")
                .enable_all()
                .build()
            {
                Ok(runtime) => {
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
                    drop(runtime);
                }
                Err(err) => {
                    let _ = ready_tx.send(Err(err));
                }
            }
            let _ = done_tx.send(());
        })?;
    let mut handle = ready_rx
        .recv()
        .map_err(|_| std::io::Error::other("the simulator thread stopped before it started"))??;
    handle.runtime = Some(RuntimeThread {
        thread,
        done: done_rx,
    });
    Ok(handle)
}

impl SimHandle {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address the simulator listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The bearer token clients must send.
    pub fn token(&self) -> &str {
        &self.state.token
    }

    /// The `AGENT_*` settings that point a client at this simulator as the demo account
    /// (`AGENT_API_BASE_URL`, `AGENT_API_TOKEN`, `AGENT_USER_ID`), as an environment lookup:
    /// `ApiConfig::from_lookup(sim.env())`.
    pub fn env(&self) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
        let (base_url, token) = (self.base_url.clone(), self.state.token.clone());
        move |name: &str| match name {
            "AGENT_API_BASE_URL" => Some(base_url.clone()),
            "AGENT_API_TOKEN" => Some(token.clone()),
            "AGENT_USER_ID" => Some(DEMO_USER_ID.to_string()),
            _ => None,
        }
    }

    /// The seeded tasks, by task id.
    pub fn tasks(&self) -> Vec<SeededTask> {
        self.state
            .read()
            .iter()
            .map(|(id, task)| SeededTask {
                user_id: task.user_id.clone(),
                sub_user_id: task.sub_user_id.clone(),
                task_id: id.clone(),
                name: task.name.clone(),
                size: task.numbers.records.len(),
            })
            .collect()
    }

    /// Switches the random faults (their random draws restart from `faults.seed`); a script set
    /// by [`SimHandle::inject`] still comes first.
    pub fn set_faults(&self, faults: Faults) {
        self.state.faults().set(faults);
    }

    /// The next `count` API requests get `fault`, then requests are normal again (replaces an
    /// earlier script; 0 clears it).
    pub fn inject(&self, fault: Fault, count: usize) {
        self.state.faults().inject(fault, count);
    }

    /// API requests received so far (faulted, refused and failed ones included; not requests
    /// to other routes or with other methods).
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::Relaxed)
    }

    /// Sets the `extra` field of the number `id` of a task, as the platform will answer it from
    /// now on; `false` when there is no such task or number.
    pub fn set_extra(&self, task_id: &str, id: i64, extra: &str) -> bool {
        self.set_field(task_id, id, TextField::Extra, extra)
    }

    /// Sets a string field of the number `id` of a task, as the platform will answer it from
    /// now on; `false` when there is no such task or number.
    pub fn set_field(&self, task_id: &str, id: i64, field: TextField, value: &str) -> bool {
        let mut tasks = self.state.write();
        let Some(task) = tasks.get_mut(task_id) else {
            return false;
        };
        let Some(record) = task.numbers.records.iter().find(|r| i64::from(r.id) == id) else {
            return false;
        };
        let id = record.id;
        task.numbers
            .overrides
            .insert((id, field), value.to_string());
        true
    }

    /// Dials out every waiting number of a task, as the platform would once the task has run:
    /// each number in status 0 gets a dialled status in turn — connected, busy, no answer,
    /// powered off, vacant — and call fields. Returns how many were dialled (0 for an unknown
    /// task).
    pub fn dial_all(&self, task_id: &str) -> usize {
        const OUTCOMES: [u8; 5] = [1, 8, 4, 6, 5];
        let mut tasks = self.state.write();
        let Some(task) = tasks.get_mut(task_id) else {
            return 0;
        };
        let mut dialled = 0;
        for record in task.numbers.records.iter_mut().filter(|r| r.status == 0) {
            record.dial(OUTCOMES[dialled % OUTCOMES.len()]);
            dialled += 1;
        }
        dialled
    }

    /// A task's numbers as they are now, in id order (empty for an unknown task).
    pub fn snapshot(&self, task_id: &str) -> Vec<NumberRecord> {
        self.state
            .read()
            .get(task_id)
            .map(|task| {
                task.numbers
                    .records
                    .iter()
                    .map(|r| task.numbers.render(r))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Stops serving (letting requests in flight finish) and waits until the server is gone —
    /// and, for [`spawn_blocking_runtime`], its runtime too. Works in any async context.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        if let Some(runtime) = self.runtime.take() {
            let _ = runtime.done.await;
        }
    }

    /// [`SimHandle::shutdown`] for synchronous callers: for a simulator of
    /// [`spawn_blocking_runtime`] it waits for its thread; for one of [`start`] it only asks
    /// the server to stop (it stops in its runtime).
    pub fn shutdown_blocking(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            let _ = runtime.thread.join();
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
