//! The `telegram-bot` binary: what it says without settings, `--help`, a whole run on the fake
//! Bot API stopped by SIGTERM, and the token kept out of its output.
#![allow(clippy::unwrap_used)] // tests may panic

#[path = "../../chatops/tests/support/binaries.rs"]
mod binaries;
mod support;

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use agent_sim::{DEMO_TASK_ID, DEMO_USER_ID, Fault, SimConfig};
use support::*;

const BIN: &str = env!("CARGO_BIN_EXE_telegram-bot");

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

#[test]
fn without_a_token_it_says_what_to_set_and_fails() {
    let out = run(&[], &[]);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.starts_with("error: 4 settings need attention: "),
        "{stderr}"
    );
    // Every missing setting at once, by variable and file key.
    for named in [
        "AGENT_API_TOKEN (or `api.token` in the config file)",
        "AGENT_USER_ID (or `api.user_id` in the config file)",
        "AGENT_OPS_ACTION_SECRET (or `chatops.secret` in the config file)",
        "TELEGRAM_BOT_TOKEN (or `telegram.token` in the config file): the bot's token from @BotFather",
    ] {
        assert!(stderr.contains(named), "{named}: {stderr}");
    }
    assert!(!stderr.contains("panicked"));
    assert!(out.stdout.is_empty());

    // Everything but the token.
    let out = run(
        &[],
        &[
            ("AGENT_API_TOKEN", "platform-token"),
            ("AGENT_USER_ID", DEMO_USER_ID),
            ("AGENT_OPS_ACTION_SECRET", "0123456789abcdef-x"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr.trim_end(),
        "error: missing setting TELEGRAM_BOT_TOKEN (or `telegram.token` in the config file): the bot's token from @BotFather (required; never logged) (`telegram-bot --help` lists every setting and its variable)"
    );
}

#[test]
fn help_lists_the_settings() {
    let out = run(&["--help"], &[]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    // Every variable the settings declare (the platform's, the engine's, the bot's).
    binaries::assert_lists_every_setting(&stdout, telegram_bot::settings::TABLES);
    for needle in [
        "--webhook-url",
        "--listen",
        "--config",
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_WEBHOOK_SECRET",
        "TELEGRAM_API_URL",
        "AGENT_OPS_ACTION_SECRET",
        "SIGTERM",
    ] {
        assert!(stdout.contains(needle), "{needle}: {stdout}");
    }
    let out = run(&["--listen", "0.0.0.0:1"], &[]);
    assert!(!out.status.success());
}

fn wait_exit(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the bot did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn assert_no_token(log: &str) {
    assert!(!log.contains(TOKEN), "the token leaked: {log}");
    let secret_part = TOKEN.split_once(':').unwrap().1;
    assert!(!log.contains(secret_part), "the token leaked: {log}");
}

/// The bot's environment for the simulator, the fake Bot API and a config file.
fn bot_command(sim: &agent_sim::SimHandle, api_url: &str, config: &Path, log: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("TELEGRAM_BOT_TOKEN", TOKEN)
        .env("TELEGRAM_API_URL", api_url)
        .env("AGENT_API_BASE_URL", sim.base_url())
        .env("AGENT_API_TOKEN", sim.token())
        .env("AGENT_USER_ID", DEMO_USER_ID)
        .env("AGENT_OPS_ACTION_SECRET", "test-secret-0123456789")
        .env("AGENT_OPS_CONFIG", config)
        .env("RUST_LOG", "trace")
        // Its state file (telegram-bot.redb, the default) beside the config, not in the repository.
        .current_dir(config.parent().unwrap())
        .stdout(Stdio::null())
        .stderr(File::create(log).unwrap());
    command
}

fn write_config(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("bot.toml");
    std::fs::write(
        &path,
        format!(
            "[chatops]\noperators = [\"telegram:user:{}\"]\n[chatops.tasks]\ndemo = \"{DEMO_TASK_ID}\"\n[telegram]\npoll_timeout_secs = 5\n",
            ALICE.id
        ),
    )
    .unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_taking_updates_and_finishes_the_one_in_flight() {
    let sim = agent_sim::start(SimConfig {
        size: 300,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let tg = FakeTelegram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("bot.log");
    let mut child = bot_command(&sim, &tg.url(), &write_config(dir.path()), &log)
        .spawn()
        .unwrap();
    tg.wait_for("getUpdates", |_| true).await;
    assert_eq!(tg.calls_of("setMyCommands").len(), 2);

    sim.inject(Fault::Delay(Duration::from_millis(800)), 2);
    let update = tg.say(ALICE, ALICE.id, "/numbers demo");
    tg.wait_for("getUpdates", |b| {
        b["offset"].as_i64().is_some_and(|o| o > update)
    })
    .await;
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // Stopping, teloxide's polling makes one last getUpdates (limit 1, no wait) that confirms
    // the updates taken, and no more. The update is still in flight (its platform calls are
    // slow): an update queued now, while the bot finishes it, is not taken.
    let last = tg
        .wait_for("getUpdates", |b| b["limit"] == 1 && b["timeout"] == 0)
        .await;
    assert!(last.body["offset"].as_i64().unwrap() > update, "confirmed");
    assert!(tg.calls_of("sendMessage").is_empty(), "still in flight");
    let queued = tg.say(ALICE, ALICE.id, "/help");
    let exited = tokio::task::spawn_blocking(move || wait_exit(&mut child, WAIT))
        .await
        .unwrap();
    assert!(exited.success(), "{exited:?}");

    // The update in flight was answered before the bot exited.
    let page = tg
        .wait_for("sendMessage", |b| {
            b["text"]
                .as_str()
                .is_some_and(|t| t.contains("Numbers of task demo"))
        })
        .await;
    assert_eq!(page.body["chat_id"], ALICE.id);
    // The bot has exited, so the calls are all there are: the page was its one message, and no
    // getUpdates after the last one confirmed the queued update (it stays for the next run).
    let sent: Vec<_> = tg
        .calls_of("sendMessage")
        .into_iter()
        .map(|c| c.body["text"].clone())
        .collect();
    assert_eq!(sent.len(), 1, "{sent:#?}");
    let polls = tg.calls_of("getUpdates");
    assert_eq!(
        polls.last().unwrap().body,
        last.body,
        "polled after stopping"
    );
    assert!(
        polls
            .iter()
            .all(|p| p.body["offset"].as_i64().unwrap_or(0) <= queued),
        "the update queued while stopping was confirmed as taken"
    );

    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.contains("stopping"), "{log}");
    assert_no_token(&log);
}

#[tokio::test]
async fn an_unreachable_bot_api_is_a_clear_error_without_the_token() {
    // Nothing listens on port 1 (a port freed by a test could be taken by another test).
    let closed = "127.0.0.1:1";
    let sim = agent_sim::start(SimConfig {
        size: 10,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("bot.log");
    let mut child = bot_command(
        &sim,
        &format!("http://{closed}/"),
        &write_config(dir.path()),
        &log,
    )
    .spawn()
    .unwrap();
    let exited = tokio::task::spawn_blocking(move || wait_exit(&mut child, WAIT))
        .await
        .unwrap();
    assert!(!exited.success());
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.contains("error: Telegram's getMe failed"), "{log}");
    assert!(log.contains("Connection refused"), "{log}");
    assert!(
        log.contains(&format!("(Bot API at http://{closed}/)")),
        "{log}"
    );
    assert_no_token(&log);
}

/// A config file whose line holds a token in bad syntax: the error names the file, the line and
/// the key, never the line's text.
#[test]
fn a_config_syntax_error_names_file_line_and_key_never_the_value() {
    let (_dir, config) =
        binaries::config_file("[telegram]\n# the bot\ntoken = 123456:AAsEcReT-t0ken.value\n");
    let out = run(&["--config", config.to_str().unwrap()], &[]);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(&format!("{}, line 3, key `token`", config.display())),
        "{stderr}"
    );
    assert!(
        !stderr.contains("AAsEcReT") && !stderr.contains("123456"),
        "{stderr}"
    );
}
