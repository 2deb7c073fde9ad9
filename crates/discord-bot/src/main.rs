//! `discord-bot`: `/numbers` and `/reset` in Discord, over the gateway (default) or as an HTTP
//! interactions endpoint (`--http`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use agent_chatops::Engine;
use agent_chatops::config::read_config_file;
use agent_core::AgentClient;
use anyhow::Context as _;
use clap::Parser;
use discord_bot::settings::{self, Mode};
use discord_bot::{Bot, Endpoint, SettingsError, gateway, register, rest_client, serve};

const SETTINGS_HELP: &str = "\
Settings (environment; or the config file's [api], [chatops] and [discord] tables):
  DISCORD_TOKEN            the bot token (required)
  DISCORD_APPLICATION_ID   the application id (required with --http)
  DISCORD_PUBLIC_KEY       the application's public key, 64 hex digits (required with --http)
  DISCORD_GUILD_ID         register the commands in this guild only (fast; development)
  DISCORD_REGISTER         auto (default: guild if DISCORD_GUILD_ID, else global), guild, global, none
  AGENT_API_TOKEN          the platform's bearer token (required)
  AGENT_USER_ID            the platform account id (required)
  AGENT_API_BASE_URL       the platform (default https://ai.api.longlonglong.cn)
  AGENT_SUB_USER_ID        the default sub-account
  AGENT_OPS_ACTION_SECRET  signs buttons, 16+ characters, the same on every replica (required)
  AGENT_OPS_CONFIG         the config file (same as --config)
Roles: [chatops] operators/viewers, e.g. [\"discord:role:<role id>\", \"discord:user:<user id>\"].
Logs: RUST_LOG (default info).";

#[derive(Parser)]
#[command(
    name = "discord-bot",
    version,
    about = "agent-ops in Discord: /numbers and /reset slash commands over the chat-ops engine",
    after_help = SETTINGS_HELP
)]
struct Args {
    /// A TOML config file with [api], [chatops] and [discord] tables.
    #[arg(long, env = "AGENT_OPS_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Serve an HTTP interactions endpoint instead of connecting to the gateway.
    #[arg(long)]
    http: bool,
    /// Where the HTTP endpoint listens (with --http; default 0.0.0.0:8080).
    #[arg(long, env = "DISCORD_LISTEN", value_name = "ADDR")]
    listen: Option<SocketAddr>,
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
                eprintln!("discord-bot: {err}");
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
    let file = read_config_file(args.config.as_deref()).map_err(SettingsError::from)?;
    let env = |name: &str| std::env::var(name).ok();
    let mode = if args.http { Mode::Http } else { Mode::Gateway };
    let settings = settings::load_file(&file, &env, mode, args.listen)?;
    let client = AgentClient::new(&settings.api).context("cannot set up the platform client")?;
    let engine = Engine::new(client, settings.engine.clone());
    let bot = Bot::new(engine.clone(), settings.discord.defer_after);
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
