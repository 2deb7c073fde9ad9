//! The binary: without configuration it says what to set and exits non-zero; `--help` lists the
//! settings; in HTTP mode it serves, answers health checks, never logs tokens, and stops on
//! SIGTERM.
#![allow(clippy::unwrap_used)] // tests may panic

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../../chatops/tests/support/binaries.rs"]
mod binaries;
mod common;

const BIN: &str = env!("CARGO_BIN_EXE_discord-bot");

#[test]
fn without_configuration_it_names_what_to_set_and_fails() {
    let output = Command::new(BIN).env_clear().output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("discord-bot: 4 settings need attention: "),
        "{stderr}"
    );
    // Every missing setting at once, by variable and file key.
    for named in [
        "AGENT_API_TOKEN (or `api.token` in the config file)",
        "AGENT_USER_ID (or `api.user_id` in the config file)",
        "AGENT_OPS_ACTION_SECRET (or `chatops.secret` in the config file)",
        "DISCORD_TOKEN (or `discord.token` in the config file)",
    ] {
        assert!(stderr.contains(named), "{named}: {stderr}");
    }
    assert!(output.stdout.is_empty());

    let output = Command::new(BIN)
        .env_clear()
        .arg("--http")
        .env("DISCORD_TOKEN", "tok")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("discord-bot: 5 settings need attention: "),
        "{stderr}"
    );
    for named in [
        "DISCORD_APPLICATION_ID",
        "DISCORD_PUBLIC_KEY",
        "AGENT_API_TOKEN",
    ] {
        assert!(
            stderr.contains(&format!("missing setting {named}")),
            "{stderr}"
        );
    }

    let output = Command::new(BIN)
        .env_clear()
        .args(["--config", "/no/such/file.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("cannot read the config file /no/such/file.toml"),
        "{stderr}"
    );
}

#[test]
fn help_lists_the_settings() {
    let output = Command::new(BIN)
        .env_clear()
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    // Every variable the settings declare (the platform's, the engine's, the bot's).
    binaries::assert_lists_every_setting(&stdout, discord_bot::settings::TABLES);
    for needle in [
        "--http",
        "--listen",
        "--config",
        "DISCORD_TOKEN",
        "DISCORD_PUBLIC_KEY",
        "DISCORD_GUILD_ID",
        "AGENT_OPS_ACTION_SECRET",
    ] {
        assert!(stdout.contains(needle), "{needle}: {stdout}");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn http_mode_serves_and_stops_on_sigterm_without_logging_tokens() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let key = discord_bot::settings::hex(
        &ed25519_dalek::SigningKey::from_bytes(&[7u8; 32])
            .verifying_key()
            .to_bytes(),
    );
    // Its state in a file of a temporary folder (the default is discord-bot.redb in the working
    // directory).
    let state = tempfile::tempdir().unwrap();
    let state_file = state.path().join("state.redb");
    let mut child = Command::new(BIN)
        .env_clear()
        .env(
            "AGENT_OPS_STATE_URL",
            format!("redb://{}", state_file.display()),
        )
        .args(["--http", "--listen", &format!("127.0.0.1:{port}")])
        .env("DISCORD_TOKEN", "secret-bot-token-123")
        .env("DISCORD_APPLICATION_ID", "777")
        .env("DISCORD_PUBLIC_KEY", &key)
        .env("DISCORD_REGISTER", "none")
        .env("AGENT_API_BASE_URL", "http://127.0.0.1:9")
        .env("AGENT_API_TOKEN", "secret-api-token-456")
        .env("AGENT_USER_ID", agent_sim::DEMO_USER_ID)
        .env("AGENT_OPS_ACTION_SECRET", "secret-action-key-789")
        .env("RUST_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let health = loop {
        match client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
        {
            Ok(response) => break response,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(err) => panic!("the endpoint never came up: {err}"),
        }
    };
    assert_eq!(health.status().as_u16(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");
    let unsigned = client
        .post(format!("http://127.0.0.1:{port}/interactions"))
        .body("{\"type\":1}")
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    assert!(state_file.is_file(), "the state file was not opened");

    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    // It exits by itself: its log read to the end and its status waited for on a blocking
    // thread. The deadline only tells a hang from a slow machine.
    let mut pipe = child.stderr.take().unwrap();
    let exited = tokio::task::spawn_blocking(move || {
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut pipe, &mut stderr).unwrap();
        (child.wait().unwrap(), stderr)
    });
    let (status, stderr) = match tokio::time::timeout(Duration::from_secs(120), exited).await {
        Ok(exited) => exited.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
            panic!("still running 120 s after SIGTERM");
        }
    };
    assert_eq!(status.code(), Some(0), "{status:?}: {stderr}");
    // What it said, in order: the signal, the engine drained, the transport stopped.
    let said = |what: &str| {
        stderr
            .find(what)
            .unwrap_or_else(|| panic!("never said `{what}`: {stderr}"))
    };
    assert!(
        said("SIGTERM: stopping") < said("engine stopped"),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .last()
            .is_some_and(|line| line.ends_with(" stopped")),
        "the last line: {stderr}"
    );
    assert!(stderr.contains("request refused"), "{stderr}");
    for secret in [
        "secret-bot-token-123",
        "secret-api-token-456",
        "secret-action-key-789",
    ] {
        assert!(!stderr.contains(secret), "{secret} was logged: {stderr}");
    }
}

/// A config file whose line holds a token in bad syntax: the error names the file, the line and
/// the key, never the line's text.
#[test]
fn a_config_syntax_error_names_file_line_and_key_never_the_value() {
    let (_dir, config) = binaries::config_file("[discord]\n\ntoken = MTAx.s3cr3t-Discord.t0ken\n");
    let output = Command::new(BIN)
        .env_clear()
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(&format!("{}, line 3, key `token`", config.display())),
        "{stderr}"
    );
    assert!(
        !stderr.contains("s3cr3t") && !stderr.contains("MTAx"),
        "{stderr}"
    );
}

/// `DISCORD_API_URL` sends the real binary's REST calls to a proxy (here the local fake):
/// the registration and an export's follow-up with its file arrive there.
#[cfg(unix)]
#[tokio::test]
async fn the_binary_reaches_discord_rest_through_discord_api_url() {
    use serde_json::json;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = agent_sim::start(agent_sim::SimConfig {
        size: 300,
        ..agent_sim::SimConfig::default()
    })
    .await
    .unwrap();
    let (fake, base) = common::FakeDiscord::start().await;
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let key = discord_bot::settings::hex(&common::signing_key().verifying_key().to_bytes());
    let config = tempfile::tempdir().unwrap();
    let config_path = config.path().join("agent-ops.toml");
    std::fs::write(
        &config_path,
        format!(
            "[chatops]\noperators = [\"discord:user:100\"]\n[chatops.tasks]\ndemo = \"{}\"\n",
            agent_sim::DEMO_TASK_ID
        ),
    )
    .unwrap();
    // Killed however the test ends; its state in memory, its folder a temporary one (no
    // state file left behind to see the next run's interaction as a replay).
    struct Child(std::process::Child);
    impl Drop for Child {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _child = Child(
        Command::new(BIN)
            .env_clear()
            .current_dir(config.path())
            .args(["--http", "--listen", &format!("127.0.0.1:{port}")])
            .env("AGENT_OPS_STATE_URL", "memory:")
            .env("DISCORD_TOKEN", "secret-bot-token-123")
            .env("DISCORD_APPLICATION_ID", common::APP_ID.to_string())
            .env("DISCORD_PUBLIC_KEY", &key)
            .env("DISCORD_REGISTER", "global")
            .env("DISCORD_API_URL", &base)
            .env("AGENT_API_BASE_URL", sim.base_url())
            .env("AGENT_API_TOKEN", sim.token())
            .env("AGENT_USER_ID", agent_sim::DEMO_USER_ID)
            .env("AGENT_OPS_ACTION_SECRET", "secret-action-key-789")
            .env("AGENT_OPS_CONFIG", &config_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let registered = fake
        .wait_for(Duration::from_secs(20), |c| {
            c.method == "PUT"
                && c.path == format!("/api/v10/applications/{}/commands", common::APP_ID)
        })
        .await;
    assert!(registered.is_some(), "the registration went to the fake");

    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = format!("http://127.0.0.1:{port}/interactions");
    let interaction = common::command(&common::alice(), "export", &[("task", json!("demo"))]);
    let token = interaction["token"].as_str().unwrap().to_string();
    let body = serde_json::to_vec(&interaction).unwrap();
    let timestamp = common::unix_now().to_string();
    let signature = common::sign(&common::signing_key(), &timestamp, &body);
    let deadline = Instant::now() + Duration::from_secs(20);
    let answer = loop {
        let sent = client
            .post(&url)
            .header("X-Signature-Ed25519", &signature)
            .header("X-Signature-Timestamp", &timestamp)
            .header("Content-Type", "application/json")
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(response) => break response,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(err) => panic!("the endpoint never came up: {err}"),
        }
    };
    assert_eq!(answer.status().as_u16(), 200);
    let followup = fake
        .wait_for(Duration::from_secs(20), |c| {
            c.method == "POST"
                && c.path == format!("/api/v10/webhooks/{}/{token}", common::APP_ID)
                && !c.files.is_empty()
        })
        .await
        .unwrap_or_else(|| panic!("no follow-up with the file: {:#?}", fake.calls()));
    let rows = csv::Reader::from_reader(&followup.files[0].2[..])
        .records()
        .count();
    assert_eq!(rows, 300, "every number of the task");
}
