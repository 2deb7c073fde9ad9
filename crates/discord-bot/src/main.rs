//! `discord-bot`: the chat-ops commands (`/numbers`, `/stats`, `/reset`, `/export`, `/watch`,
//! `/unwatch`, `/watches`, `/help`) in Discord, over the gateway (default) or as an HTTP
//! interactions endpoint (`--http`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use agent_chatops::Engine;
use agent_core::AgentClient;
use anyhow::Context as _;
use clap::Parser;
use discord_bot::settings::{self, DiscordSection, Mode};
use discord_bot::{Bot, Endpoint, SettingsError, gateway, register, rest_client, serve};

/// The `--help` epilogue: the settings from their declarations, then what is the bot's own.
fn after_help() -> String {
    format!(
        "{}Also: AGENT_OPS_CONFIG (as --config), RUST_LOG (log filter, default info).
Roles: [chatops] operators/viewers, e.g. [\"discord:role:<role id>\", \"discord:user:<user id>\"].",
        agent_chatops::config::help(settings::TABLES)
    )
}

#[derive(Parser)]
#[command(
    name = "discord-bot",
    version,
    about = "agent-ops in Discord: the chat-ops commands (/numbers, /stats, /reset, /export, /watch, /help) as slash commands",
    after_help = after_help()
)]
struct Args {
    /// A TOML config file with [api], [chatops] and [discord] tables.
    #[arg(long, env = "AGENT_OPS_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Serve an HTTP interactions endpoint instead of connecting to the gateway.
    #[arg(long)]
    http: bool,
    /// Where the HTTP endpoint listens (with --http; default 0.0.0.0:8080).
    #[arg(long, env = DiscordSection::KEYS.listen.env_name(), value_name = "ADDR")]
    listen: Option<String>,
}

enum Failure {
    Settings(SettingsError),
    Other(anyhow::Error),
}

impl From<SettingsError> for Failure {
    fn from(err: SettingsError) -> Self {
        Self::Settings(err)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(err: anyhow::Error) -> Self {
        Self::Other(err)
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    agent_cli::init_tracing("info", std::io::stderr);
    agent_cli::block_on("discord-bot", async {
        match run(args).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(Failure::Settings(err)) => {
                eprintln!(
                    "discord-bot: {err} (`discord-bot --help` lists every setting and its variable)"
                );
                ExitCode::from(2)
            }
            Err(Failure::Other(err)) => {
                eprintln!("discord-bot: {err:#}");
                ExitCode::FAILURE
            }
        }
    })
}

async fn run(args: Args) -> Result<(), Failure> {
    let env = |name: &str| std::env::var(name).ok();
    let mode = if args.http { Mode::Http } else { Mode::Gateway };
    let layers = agent_chatops::config::layers(args.config.as_deref(), &env, settings::TABLES)?;
    let settings = settings::load_layers(&layers, mode, args.listen)?;
    let client = AgentClient::new(&settings.api).context("cannot set up the platform client")?;
    // The state (pending confirmations, page states, interaction ids seen): `[state] url`, by
    // default discord-bot.redb in the working directory.
    let engine = Engine::open_for(
        client,
        settings.engine.clone(),
        &agent_chatops::StateUrl::default_for("discord-bot"),
        discord_bot::profile(&settings.discord),
    )
    .await
    .context("cannot open the state store ([state] url)")?;
    let bot = Bot::new(engine.clone(), settings.discord.defer_after);
    // The watch scheduler posts channel messages through the REST API (both modes), until the
    // engine shuts down.
    let _watches = engine.run_watches(
        agent_chatops::Transport::Discord,
        discord_bot::watch::watch_post(Arc::new(rest_client(&settings.discord))),
    );
    // Ctrl-C or SIGTERM: the engine refuses new commands, lets those in flight finish within
    // its grace period and audits pending confirmations as expired; then the transport stops.
    let stop = async move {
        agent_cli::shutdown_signal().await;
        let report = engine.shutdown().await;
        tracing::info!(
            drained = report.drained,
            expired = report.expired,
            "engine stopped"
        );
    };
    let discord = &settings.discord;
    match mode {
        Mode::Gateway => {
            tracing::info!(registration = ?discord.registration, "connecting to the Discord gateway");
            gateway::run(bot, discord, stop)
                .await
                .context("the gateway client stopped")?;
        }
        Mode::Http => {
            let key = discord
                .public_key
                .context("DISCORD_PUBLIC_KEY is required with --http")?;
            let http = Arc::new(rest_client(discord));
            register(&http, discord.registration)
                .await
                .context("cannot register the slash commands (is DISCORD_TOKEN right?)")?;
            let endpoint = Endpoint::new(bot, key, http, discord.max_request_age)
                .context("DISCORD_PUBLIC_KEY")?;
            let listener = tokio::net::TcpListener::bind(discord.listen)
                .await
                .with_context(|| format!("cannot listen on {}", discord.listen))?;
            tracing::info!(
                "interactions endpoint on http://{}{} (set it as the app's Interactions Endpoint URL behind HTTPS)",
                discord.listen,
                discord.path
            );
            serve(listener, Arc::new(endpoint), &discord.path, stop)
                .await
                .context("the HTTP endpoint stopped")?;
        }
    }
    tracing::info!("stopped");
    Ok(())
}
