//! Where the examples run: on the platform when `AGENT_API_TOKEN` is set (with
//! `AGENT_API_BASE_URL`, `AGENT_USER_ID` and `AGENT_TASK_ID`), else on an in-process simulator
//! of it, so that `cargo run -p agent-api --example …` works offline.

use std::error::Error;

use agent_api::{Client, ClientOptions, connect};

/// A client, the account and task to work on, and the simulator when there is one.
pub struct Target {
    /// The client.
    pub client: Client,
    /// The account the task belongs to.
    pub user_id: String,
    /// The task.
    pub task_id: String,
    /// The simulator, kept running while the example runs (`None` on the platform).
    #[allow(dead_code)] // not every example reads it; holding it keeps the simulator up
    pub sim: Option<agent_sim::SimHandle>,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The platform if `AGENT_API_TOKEN` is set, else a simulator started here.
pub async fn target() -> Result<Target, Box<dyn Error>> {
    if let Some(token) = var("AGENT_API_TOKEN") {
        let base_url =
            var("AGENT_API_BASE_URL").unwrap_or_else(|| "https://ai.api.longlonglong.cn".into());
        let user_id = var("AGENT_USER_ID").ok_or("set AGENT_USER_ID")?;
        let task_id = var("AGENT_TASK_ID").ok_or("set AGENT_TASK_ID (the task to work on)")?;
        let client = connect(&base_url, token.into(), &ClientOptions::default())?;
        eprintln!("on the platform at {base_url}");
        return Ok(Target {
            client,
            user_id,
            task_id,
            sim: None,
        });
    }
    let sim = agent_sim::start(agent_sim::SimConfig {
        size: 500,
        ..agent_sim::SimConfig::default()
    })
    .await?;
    let client = connect(
        sim.base_url(),
        sim.token().to_string().into(),
        &ClientOptions::default(),
    )?;
    eprintln!(
        "on a simulator at {} (set AGENT_API_TOKEN, AGENT_USER_ID and AGENT_TASK_ID for the platform)",
        sim.base_url()
    );
    Ok(Target {
        client,
        user_id: agent_sim::DEMO_USER_ID.to_string(),
        task_id: agent_sim::DEMO_TASK_ID.to_string(),
        sim: Some(sim),
    })
}

/// Fails on an envelope that says failure (the platform may answer one with HTTP 200).
pub fn check_envelope(code: i64, message: &str) -> Result<(), Box<dyn Error>> {
    if code == 200 {
        Ok(())
    } else {
        Err(format!("the platform refused: code {code}: {message}").into())
    }
}
