//! What the engine's test files share: callers, buttons, clocks, the platform client, a
//! throwaway `redis-server`, and a state store a test can watch and break.
#![allow(dead_code)] // each test file uses a part

pub mod probe_store;
pub mod redis_server;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use agent_chatops::{Caller, Clock, Engine, EngineConfig, Reply, Transport};
use agent_core::{AgentClient, ApiConfig, RetryPolicy};
use agent_sim::SimHandle;

/// Someone at the terminal.
pub fn shell(name: &str) -> Caller {
    Caller {
        chat_id: Some("terminal".into()),
        ..Caller::new(Transport::Shell, name)
    }
}

/// The data of the reply's action whose label contains `label`.
pub fn action<'a>(reply: &'a Reply, label: &str) -> &'a str {
    &reply
        .actions
        .iter()
        .find(|a| a.label.contains(label))
        .unwrap_or_else(|| panic!("no `{label}` action in {reply:#?}"))
        .data
}

/// A `/numbers` whose state is too large for a button (a sub-account's task, both dates): the
/// engine keeps it in its store under an id.
pub fn numbers_kept_in_the_store() -> String {
    format!(
        "/numbers task:{} sub:{} from:2020-07-28 to:2099-12-31",
        agent_sim::SUB_TASK_ID,
        agent_sim::SUB_USER_ID
    )
}

/// An engine on `api` whose clock runs ahead of the system's by the seconds in the offset it
/// comes with (none at first): the engine and that offset.
pub fn engine_on_shifted_clock(api: &ApiConfig, config: EngineConfig) -> (Engine, Arc<AtomicI64>) {
    let offset = Arc::new(AtomicI64::new(0));
    let engine = Engine::with_clock(AgentClient::new(api).unwrap(), config, shifted(&offset));
    (engine, offset)
}

/// A clock `offset` seconds ahead of the system's.
pub fn shifted(offset: &Arc<AtomicI64>) -> Clock {
    let offset = offset.clone();
    Arc::new(move || {
        jiff::Timestamp::now()
            .checked_add(jiff::SignedDuration::from_secs(
                offset.load(Ordering::SeqCst),
            ))
            .unwrap()
    })
}

/// The platform client on the simulator, trying each request at most `attempts` times with
/// millisecond backoffs.
pub fn client(sim: &SimHandle, attempts: u32) -> AgentClient {
    let mut api = ApiConfig::from_lookup(sim.env()).unwrap();
    api.settings.retry = RetryPolicy {
        max_attempts: attempts,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
        ..RetryPolicy::default()
    };
    AgentClient::new(&api).unwrap()
}
