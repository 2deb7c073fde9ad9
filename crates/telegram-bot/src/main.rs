//! `telegram-bot`: the chat-ops commands (`/numbers`, `/stats`, `/reset`, `/export`, `/watch`,
//! `/unwatch`, `/watches`, `/help`) in Telegram, over the chat-ops engine.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use agent_chatops::Engine;
use agent_core::AgentClient;
use anyhow::Context;
use clap::Parser;
use telegram_bot::settings::{self, Mode, Overrides, Settings, TelegramSection};
use telegram_bot::{RedactingMakeWriter, Redactor, Service, make_bot};
use teloxide::adaptors::throttle::Limits;
use teloxide::dispatching::ShutdownToken;

/// The `--help` epilogue: the settings from their declarations, then what is the bot's own.
fn after_help() -> String {
    format!(
        "{}Also: AGENT_OPS_CONFIG (as --config), RUST_LOG (log filter, default info).
Grants look like \"telegram:user:42\" or \"telegram:chat:-100123\". Ctrl-C or SIGTERM stops
taking updates and finishes the ones in flight.",
        agent_chatops::config::help(settings::TABLES)
    )
}

#[derive(Parser)]
#[command(
    name = "telegram-bot",
    version,
    about = "agent-ops in Telegram: the chat-ops commands (/numbers, /stats, /reset, /export, /watch, /help), long polling unless --webhook-url is given",
    after_help = after_help()
)]
struct Args {
    /// A TOML config file with [api], [chatops] and [telegram] tables.
    #[arg(long, env = "AGENT_OPS_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Webhook mode: the public HTTPS URL Telegram posts updates to (its path is served).
    #[arg(long, value_name = "URL", env = TelegramSection::KEYS.webhook_url.env_name())]
    webhook_url: Option<String>,
    /// Webhook mode: the local address to listen on [default: 0.0.0.0:8443].
    #[arg(long, value_name = "ADDR", env = TelegramSection::KEYS.listen.env_name())]
    listen: Option<String>,
    /// Webhook mode: do not call setWebhook at start (it is set out of band).
    #[arg(long)]
    no_set_webhook: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let env = |name: &str| std::env::var(name).ok();
    let overrides = Overrides {
        webhook_url: args.webhook_url.clone(),
        listen: args.listen.clone(),
        no_set_webhook: args.no_set_webhook,
    };
    let settings =
        match agent_chatops::config::layers(args.config.as_deref(), &env, settings::TABLES)
            .and_then(|layers| settings::load_layers(&layers, &overrides))
        {
            Ok(settings) => settings,
            Err(err) => {
                eprintln!(
                    "error: {err} (`telegram-bot --help` lists every setting and its variable)"
                );
                return ExitCode::from(2);
            }
        };
    let redactor = settings.redactor();
    agent_cli::init_tracing(
        "info",
        RedactingMakeWriter::new(std::io::stderr, redactor.clone()),
    );
    agent_cli::block_on("telegram-bot", async {
        match run(settings, redactor.clone()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("error: {}", redactor.redact(&format!("{err:#}")));
                ExitCode::FAILURE
            }
        }
    })
}

async fn run(settings: Settings, redactor: Redactor) -> anyhow::Result<()> {
    let Settings {
        telegram,
        api,
        engine,
    } = settings;
    let client = AgentClient::new(&api).context("cannot build the agent-api client")?;
    // The state (pending confirmations, page states): `[state] url`, by default a file in the
    // working directory (telegram-bot.redb).
    let engine = Engine::open_for(
        client,
        engine,
        &agent_chatops::StateUrl::default_for("telegram-bot"),
        telegram_bot::profile(&telegram),
    )
    .await
    .context("cannot open the state store ([state] url)")?;
    let bot = make_bot(
        &telegram.token,
        telegram.api_url.as_ref(),
        Limits::default(),
    )?;
    let service = Service::new(bot, engine.clone(), &telegram, redactor);
    tokio::spawn(stop_on_signal(service.shutdown_token(), engine));
    match &telegram.mode {
        Mode::Polling => service.run_polling().await?,
        Mode::Webhook(webhook) => {
            let tcp = tokio::net::TcpListener::bind(webhook.listen)
                .await
                .with_context(|| format!("cannot listen on {}", webhook.listen))?;
            service.run_webhook(tcp, webhook).await?;
        }
    }
    Ok(())
}

/// Waits for Ctrl-C or SIGTERM, then stops taking updates and lets the ones in flight finish;
/// a second signal exits at once.
async fn stop_on_signal(token: ShutdownToken, engine: Engine) {
    agent_cli::shutdown_signal().await;
    // The engine refuses new commands at once and audits pending confirmations as expired
    // once those in flight are done (or the grace period is over).
    let engine_stopped = tokio::spawn(async move { engine.shutdown().await });
    tracing::info!(
        "stopping: no new updates; finishing the ones in flight (a second signal exits now)"
    );
    tokio::spawn(async {
        agent_cli::shutdown_signal().await;
        std::process::exit(130);
    });
    loop {
        match token.shutdown() {
            Ok(stopped) => {
                stopped.await;
                if let Ok(report) = engine_stopped.await {
                    tracing::info!(
                        drained = report.drained,
                        expired = report.expired,
                        "engine stopped"
                    );
                }
                return;
            }
            // Still starting: the dispatcher is not running yet.
            Err(_idle) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}
