//! Which platform, which engine settings, and who is typing.
//!
//! - With none of `AGENT_API_BASE_URL`, `AGENT_API_TOKEN`, `AGENT_USER_ID`, `AGENT_SUB_USER_ID`
//!   set and no `[api]` in a config file, the built-in simulator starts in-process and the task
//!   aliases name its seeded tasks (`demo` first).
//! - The local user is an operator unless the config file grants roles; `viewer` is a viewer.
//!   `AGENT_OPS_USER` (or `--as`) acts as someone else, to try authorization.

use std::path::{Path, PathBuf};

use agent_chatops::config::{Layers, Problems};
use agent_chatops::{Caller, ChatopsSection, Engine, EngineConfig, SecretPolicy, Transport};
use agent_core::config::ApiSection;
use agent_core::{AgentClient, ApiConfig};
use anyhow::{Context, Result};

/// What the shell runs on.
pub struct Backend {
    /// The engine.
    pub engine: Engine,
    /// Lines to show at start.
    pub banner: Vec<String>,
    /// The simulator, when it is what we talk to (kept alive with the backend).
    pub sim: Option<agent_sim::SimHandle>,
}

/// Where settings come from: a config file and an environment lookup (tests pass their own).
pub struct Sources<'a> {
    /// The config file, if any (`--config` or `AGENT_OPS_CONFIG`).
    pub config_file: Option<&'a Path>,
    /// Reads an environment variable.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// Numbers per simulated task.
    pub sim_size: usize,
}

/// The login name of the person at the terminal (`USER`, `USERNAME`), else `operator`. Without
/// grants in a config file, this person is the operator.
pub fn login_user(env: &dyn Fn(&str) -> Option<String>) -> String {
    env("USER")
        .or_else(|| env("USERNAME"))
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "operator".to_string())
}

/// Who the session acts as: `--as`, else `AGENT_OPS_USER` (to try authorization as someone
/// else), else the login.
pub fn acting_user(env: &dyn Fn(&str) -> Option<String>, override_user: Option<&str>) -> String {
    override_user
        .map(ToString::to_string)
        .or_else(|| env("AGENT_OPS_USER"))
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| login_user(env))
}

/// The caller for the terminal user.
pub fn caller(user: &str, locale: Option<String>) -> Caller {
    Caller {
        chat_id: Some("terminal".to_string()),
        locale,
        ..Caller::new(Transport::Shell, user)
    }
}

/// Builds the engine on the platform the settings name, or on the simulator. `acting` is who
/// the session acts as (for the banner).
pub async fn prepare(sources: &Sources<'_>, acting: &str) -> Result<Backend> {
    let login = login_user(sources.env);
    let declared = agent_chatops::config::declared(&[]);
    let layers = agent_chatops::config::layers(sources.config_file, sources.env, &[])?;
    // Nothing about the platform (its settings that a variable can give) in the file or the
    // environment: the built-in simulator.
    let use_sim = !ApiSection::SETTINGS
        .iter()
        .filter(|setting| setting.env.is_some())
        .any(|setting| layers.is_set(setting.key));
    let mut banner = Vec::new();

    let (layers, sim) = if use_sim {
        let sim = agent_sim::start(agent_sim::SimConfig {
            size: sources.sim_size,
            ..agent_sim::SimConfig::default()
        })
        .await
        .context("cannot start the built-in simulator")?;
        let sim_env = sim.env();
        let env = |name: &str| sim_env(name).or_else(|| (sources.env)(name));
        banner.push(format!(
            "agent-ops shell · no AGENT_* settings, so this is the built-in simulator at {} (token {}), not the platform.",
            sim.base_url(),
            sim.token()
        ));
        (
            Layers::new(layers.file().clone(), &env, &declared),
            Some(sim),
        )
    } else {
        (layers, None)
    };

    let mut problems = Problems::new();
    let api_config = ApiConfig::from_layers(&layers, &mut problems);
    let mut section: ChatopsSection = layers.section(&mut problems);
    let given = |grants: &Option<Vec<String>>| grants.as_ref().is_some_and(|g| !g.is_empty());
    let grants_given = given(&section.operators) || given(&section.viewers);
    if !grants_given {
        section.operators = Some(vec![format!("shell:{login}")]);
        section.viewers = Some(vec!["shell:viewer".to_string()]);
    }
    // The person at the terminal holds the platform token themselves: without a say in the
    // config file, they may name any task and sub-account (the bots default to the
    // configured ones only).
    if section.any_task.is_none() {
        section.any_task = Some(true);
    }
    if let Some(sim) = &sim
        && section.tasks.as_ref().is_none_or(|tasks| tasks.is_empty())
    {
        let tasks = section.tasks.get_or_insert_default();
        for task in sim
            .tasks()
            .iter()
            .filter(|t| t.user_id == agent_sim::DEMO_USER_ID && t.sub_user_id.is_none())
        {
            let alias = if task.task_id == agent_sim::DEMO_TASK_ID {
                "demo".to_string()
            } else {
                task.name.to_lowercase().replace(' ', "-")
            };
            tasks.insert(alias, task.task_id.clone());
        }
    }
    if section.audit_log.is_none() {
        section.audit_log = Some(if sim.is_some() {
            std::env::temp_dir().join("agent-ops-demo-audit.jsonl")
        } else {
            PathBuf::from("agent-ops-audit.jsonl")
        });
    }
    // One process, one terminal: a fresh signing key is all the shell needs.
    let engine_config =
        EngineConfig::from_section(section, &layers, &mut problems, SecretPolicy::RandomIfUnset);
    let (api_config, engine_config) = problems.conclude(api_config.zip(engine_config))?;
    if sim.is_none() {
        banner.insert(
            0,
            format!(
                "agent-ops shell · platform {} · account {}",
                api_config.base_url, api_config.user_id
            ),
        );
    }
    if !engine_config.tasks.is_empty() {
        let tasks: Vec<String> = engine_config
            .tasks
            .iter()
            .map(|(alias, id)| format!("{alias} = {id}"))
            .collect();
        banner.push(format!("Tasks: {}", tasks.join(", ")));
    }
    if let Some(path) = &engine_config.audit_log {
        banner.push(format!("Audit log: {}", path.display()));
    }
    let role = engine_config
        .access
        .role_of(&caller(acting, None))
        .map_or("no role", |r| r.as_str());
    if grants_given {
        banner.push(format!("You are `{acting}` ({role})."));
    } else {
        banner.push(format!(
            "You are `{acting}` ({role}). `{login}` is the operator here; AGENT_OPS_USER=viewer acts as a viewer, any other name has no role."
        ));
    }
    if let Some(state) = &engine_config.state {
        // Shown without any password.
        banner.push(format!("State: {state}"));
    }
    let client = AgentClient::new(&api_config)?;
    // The shell keeps its state in memory unless `[state] url` says otherwise.
    let engine = Engine::open(client, engine_config, &agent_chatops::StateUrl::Memory).await?;
    Ok(Backend {
        engine,
        banner,
        sim,
    })
}
