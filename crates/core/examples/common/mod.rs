//! Where the examples run: on the platform when any `AGENT_*` variable is set (then
//! `AGENT_API_TOKEN`, `AGENT_USER_ID` and `AGENT_TASK_ID` are needed), else on an in-process
//! simulator of it, so that `cargo run -p agent-core --example …` works offline.

use std::error::Error;

use agent_core::{AgentClient, ApiConfig, Id};

/// A client, the task to work on, and the simulator when there is one.
pub struct Target {
    /// The facade.
    pub client: AgentClient,
    /// The task.
    pub task: Id,
    /// The simulator, kept running while the example runs (`None` on the platform).
    #[allow(dead_code)] // not every example reads it; holding it keeps the simulator up
    pub sim: Option<agent_sim::SimHandle>,
}

/// The platform if `AGENT_*` is set, else a simulator started here.
pub async fn target() -> Result<Target, Box<dyn Error>> {
    let env = |name: &str| std::env::var(name).ok();
    if ApiConfig::env_is_set(env) {
        let config = ApiConfig::from_env()?;
        let task = env("AGENT_TASK_ID").ok_or("set AGENT_TASK_ID (the task to work on)")?;
        eprintln!("on the platform");
        return Ok(Target {
            client: AgentClient::new(&config)?,
            task: Id::task(&task)?,
            sim: None,
        });
    }
    let sim = agent_sim::start(agent_sim::SimConfig {
        size: 500,
        ..agent_sim::SimConfig::default()
    })
    .await?;
    let config = ApiConfig::from_lookup(sim.env())?;
    eprintln!(
        "on a simulator at {} (set AGENT_API_TOKEN, AGENT_USER_ID and AGENT_TASK_ID for the platform)",
        sim.base_url()
    );
    Ok(Target {
        client: AgentClient::new(&config)?,
        task: Id::task(agent_sim::DEMO_TASK_ID)?,
        sim: Some(sim),
    })
}
