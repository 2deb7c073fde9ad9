//! `agent-shell`: `/numbers` and `/reset` in a terminal. `cargo run` at the workspace's top
//! starts it on the built-in simulator.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use agent_shell::session::{Outcome, Session};
use agent_shell::setup::{Sources, acting_user, caller, prepare};
use clap::Parser;

/// The `--help` epilogue: examples, then the variables from their declarations.
fn after_help() -> String {
    format!(
        "Examples:
  agent-shell                                   interactive, on the simulator
  agent-shell '/numbers task:demo status:busy'  one command, for scripts
  agent-shell --out /tmp '/export task:demo status:retryable format:xlsx'
                                                writes demo-retryable…xlsx in /tmp
  AGENT_OPS_USER=viewer agent-shell             act as a viewer

Without any AGENT_API_* or AGENT_USER_ID setting, the built-in simulator stands in for the platform.
{}Also: AGENT_OPS_USER (act as this user, as --as), AGENT_OPS_CONFIG (as --config).",
        agent_chatops::config::help(&[])
    )
}

#[derive(Parser)]
#[command(
    name = "agent-shell",
    version,
    about = "agent-ops in a terminal: the chat-ops commands (/numbers, /stats, /reset, /export, /watch, /help), on the built-in simulator unless AGENT_* points at the platform",
    after_help = after_help()
)]
struct Args {
    /// One command to run instead of a session, e.g. '/numbers task:demo status:busy'.
    command: Vec<String>,
    /// A TOML config file with [api] and [chatops] tables.
    #[arg(long, env = "AGENT_OPS_CONFIG")]
    config: Option<PathBuf>,
    /// Act as this user (try authorization); also AGENT_OPS_USER.
    #[arg(long = "as", value_name = "USER")]
    as_user: Option<String>,
    /// Reply language: en or zh-CN (default: from LANG, else the config).
    #[arg(long)]
    lang: Option<String>,
    /// Where /export writes its files (default: the current folder).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Numbers per task of the built-in simulator.
    #[arg(long, default_value_t = 3000)]
    sim_size: usize,
}

fn main() -> ExitCode {
    let args = Args::parse();
    agent_cli::init_tracing("warn", std::io::stderr);
    agent_cli::block_on("agent-shell", async {
        match run(args).await {
            Ok(code) => code,
            Err(err) => {
                eprintln!("error: {err:#}");
                ExitCode::FAILURE
            }
        }
    })
}

async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let env = |name: &str| std::env::var(name).ok();
    let acting = acting_user(&env, args.as_user.as_deref());
    let locale = args.lang.clone().or_else(|| {
        env("LANG")
            .filter(|l| l.to_ascii_lowercase().starts_with("zh"))
            .map(|_| "zh-CN".to_string())
    });
    let sources = Sources {
        config_file: args.config.as_deref(),
        env: &env,
        sim_size: args.sim_size,
    };
    let backend = prepare(&sources, &acting).await?;
    let who = caller(&acting, locale);
    let out_dir = args.out.clone().unwrap_or_else(|| PathBuf::from("."));
    if !out_dir.is_dir() {
        anyhow::bail!("--out {}: not a folder", out_dir.display());
    }

    if !args.command.is_empty() {
        let mut session = Session::new(backend.engine.clone(), who, false).with_out_dir(out_dir);
        let line = args.command.join(" ");
        return Ok(match session.line(&line).await {
            Outcome::Print { text, failed } => {
                println!("{text}");
                if failed {
                    ExitCode::FAILURE
                } else {
                    ExitCode::SUCCESS
                }
            }
            Outcome::Nothing | Outcome::Exit => ExitCode::SUCCESS,
        });
    }

    // Ctrl-C or SIGTERM: no new commands, the one in flight finishes within the grace period,
    // pending confirmations are audited as expired, then the process ends.
    tokio::spawn({
        let engine = backend.engine.clone();
        let signal = agent_cli::shutdown_signal();
        async move {
            signal.await;
            let stopped = engine.shutdown().await;
            tracing::info!(
                drained = stopped.drained,
                expired = stopped.expired,
                "stopped"
            );
            std::process::exit(if stopped.drained { 0 } else { 1 });
        }
    });
    let interactive = std::io::stdin().is_terminal();
    for line in &backend.banner {
        println!("{line}");
    }
    println!("Type /help, /numbers task:demo status:busy, or exit.");
    let mut session = Session::new(backend.engine.clone(), who, true).with_out_dir(out_dir);
    // Watches of this terminal are printed as they fall due, until the input ends.
    let _watches = backend.engine.run_watches(
        agent_chatops::Transport::Shell,
        agent_shell::watch::watch_post(),
    );
    if interactive {
        interactive_loop(&mut session).await?;
    } else {
        piped_loop(&mut session).await?;
    }
    // The end of the input: pending confirmations are audited as expired.
    backend.engine.shutdown().await;
    if let Some(sim) = backend.sim {
        sim.shutdown().await;
    }
    Ok(ExitCode::SUCCESS)
}

/// A terminal: line editing and history (rustyline), read on a blocking thread.
async fn interactive_loop(session: &mut Session) -> anyhow::Result<()> {
    use rustyline::error::ReadlineError;
    let history =
        std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".agent_ops_history"));
    let mut editor = rustyline::DefaultEditor::new()?;
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    let prompt = format!("{}> ", session.caller().user_id);
    loop {
        let (returned, line) = tokio::task::spawn_blocking({
            let prompt = prompt.clone();
            let mut editor = editor;
            move || {
                let line = editor.readline(&prompt);
                (editor, line)
            }
        })
        .await?;
        editor = returned;
        let line = match line {
            Ok(line) => line,
            Err(ReadlineError::Interrupted | ReadlineError::Eof) => break,
            Err(err) => return Err(err.into()),
        };
        if !line.trim().is_empty() {
            let _ = editor.add_history_entry(line.as_str());
        }
        match session.line(&line).await {
            Outcome::Print { text, .. } => println!("{text}\n"),
            Outcome::Nothing => {}
            Outcome::Exit => break,
        }
    }
    if let Some(path) = &history {
        let _ = editor.save_history(path);
    }
    Ok(())
}

/// Piped input (scripts, tests): one command per line, handled as it arrives, echoed so the
/// transcript reads well.
async fn piped_loop(session: &mut Session) -> anyhow::Result<()> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<String>(16);
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    while let Some(line) = rx.recv().await {
        println!("> {}", line.trim());
        match session.line(&line).await {
            Outcome::Print { text, .. } => println!("{text}\n"),
            Outcome::Nothing => {}
            Outcome::Exit => break,
        }
        std::io::stdout().flush()?;
    }
    Ok(())
}
