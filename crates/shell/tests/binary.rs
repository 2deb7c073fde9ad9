//! The `agent-shell` binary, driven as a user would: one-shot commands, and a session through
//! its stdin that pages with Next and completes a reset with preview and confirmation.
#![allow(clippy::unwrap_used)] // tests may panic

#[path = "../../chatops/tests/support/binaries.rs"]
mod binaries;

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn shell() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_agent-shell"));
    for var in [
        "AGENT_API_BASE_URL",
        "AGENT_API_TOKEN",
        "AGENT_USER_ID",
        "AGENT_SUB_USER_ID",
        "AGENT_OPS_CONFIG",
        "AGENT_OPS_ACTION_SECRET",
        "LANG",
        "AGENT_OPS_USER",
    ] {
        command.env_remove(var);
    }
    let audit_dir = std::env::temp_dir();
    command
        .env("TMPDIR", audit_dir)
        .env("USER", "tester")
        .arg("--sim-size")
        .arg("300");
    command
}

fn run(command: &mut Command, stdin: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The stdout of a run that must have succeeded (its stderr shown if it did not).
fn succeeded(output: Output) -> String {
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn one_shot_prints_a_page_of_numbers_from_the_simulator() {
    let stdout = succeeded(run(shell().arg("/numbers task:demo status:busy"), ""));
    assert!(
        stdout.starts_with("Numbers of task demo · status=busy\nphone "),
        "{stdout}"
    );
    // One command, no counts cached yet: the page suggests /stats rather than counting.
    assert!(
        stdout.contains("Counts per status: run /stats task:demo status:busy"),
        "{stdout}"
    );
    let header = stdout.lines().nth(1).unwrap();
    let columns: Vec<&str> = header
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        columns,
        ["phone", "status", "city", "last call", "length"],
        "{stdout}"
    );
    assert!(stdout.contains(" numbers · page 1/"), "{stdout}");
    let rows = stdout
        .lines()
        .filter(|l| l.contains("****") && l.contains("busy"))
        .count();
    assert_eq!(rows, 10, "{stdout}");
}

#[test]
fn one_shot_failures_exit_non_zero_with_the_reason() {
    let output = run(
        shell()
            .env("AGENT_OPS_USER", "viewer")
            .arg("/reset task:demo status:busy"),
        "",
    );
    assert!(!output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.starts_with("refused: Not allowed"), "{stdout}");
    let output = run(shell().args(["/numbers", "task:demo", "status:bussy"]), "");
    assert!(!output.status.success());
    assert!(
        String::from_utf8(output.stdout)
            .unwrap()
            .contains("status: unknown call status `bussy`")
    );
}

#[test]
fn a_session_pages_with_next_and_completes_a_reset() {
    let output = run(
        &mut shell(),
        "/numbers task:demo status:busy\n1\n/reset task:demo status:busy\n1\n/numbers task:demo status:busy\nexit\n",
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("built-in simulator at http://127.0.0.1:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("You are `tester` (operator). `tester` is the operator here"),
        "{stdout}"
    );
    let replies: Vec<&str> = stdout.split("\n> ").collect();
    assert_eq!(replies.len(), 7, "{stdout}");
    assert!(
        replies[1].contains("page 1/") && replies[1].contains("[1] Next ▶"),
        "{}",
        replies[1]
    );
    assert!(
        replies[2].starts_with("1\n") && replies[2].contains("page 2/"),
        "{}",
        replies[2]
    );
    assert!(
        replies[3].contains("numbers would go back to waiting")
            && replies[3].contains("[1] Confirm reset   [2] Cancel"),
        "{}",
        replies[3]
    );
    assert!(
        replies[4].contains("Reset done by tester: task demo,"),
        "{}",
        replies[4]
    );
    assert!(
        replies[5].contains("No numbers match.") && replies[5].contains("0 numbers · page 1/1"),
        "{}",
        replies[5]
    );
}

#[test]
fn acting_as_someone_without_a_role_is_refused() {
    let output = run(
        shell().env("AGENT_OPS_USER", "mallory"),
        "/numbers task:demo\nexit\n",
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("refused: Not allowed\nYou (shell:user:mallory) may not list numbers"),
        "{stdout}"
    );
}

#[test]
fn help_is_there() {
    let output = shell().arg("--help").output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("AGENT_OPS_USER=viewer"), "{text}");
    // Every variable the settings declare, with its file key, and every table with its keys.
    binaries::assert_lists_every_setting(&text, &[]);
}

#[test]
fn the_four_agent_variables_point_it_at_a_platform() {
    // A "platform" the shell does not start itself: a simulator on its own runtime.
    let platform = agent_sim::spawn_blocking_runtime(agent_sim::SimConfig {
        size: 120,
        token: "real-token".into(),
        ..Default::default()
    })
    .unwrap();
    let busy = platform
        .snapshot(agent_sim::DEMO_TASK_ID)
        .iter()
        .filter(|r| *r.status == 8)
        .count();
    let before = platform.requests();
    let output = run(
        shell()
            .env("AGENT_API_BASE_URL", platform.base_url())
            .env("AGENT_API_TOKEN", "real-token")
            .env("AGENT_USER_ID", agent_sim::DEMO_USER_ID)
            .arg(format!(
                "/numbers task:{} status:busy",
                agent_sim::DEMO_TASK_ID
            )),
        "",
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains(&format!("{busy} numbers · page 1/")),
        "{stdout}"
    );
    assert!(
        platform.requests() > before,
        "the shell asked the given platform"
    );

    let output = run(
        shell()
            .env("AGENT_API_BASE_URL", platform.base_url())
            .env("AGENT_API_TOKEN", "wrong-token")
            .env("AGENT_USER_ID", agent_sim::DEMO_USER_ID)
            .arg(format!("/numbers task:{}", agent_sim::DEMO_TASK_ID)),
        "",
    );
    assert!(!output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("refused our token") && stdout.contains("AGENT_API_TOKEN"),
        "{stdout}"
    );
    assert!(!stdout.contains("wrong-token"));
    platform.shutdown_blocking();
}

/// Ctrl-C or SIGTERM while a confirmed reset waits for the platform: the shell lets it finish
/// within its grace period, writes its outcome to the audit file, and exits cleanly.
#[test]
fn sigterm_during_a_slow_confirmed_reset_still_writes_its_outcome() {
    use std::io::BufRead;
    let platform = agent_sim::spawn_blocking_runtime(agent_sim::SimConfig {
        size: 120,
        ..Default::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let config = dir.path().join("ops.toml");
    std::fs::write(
        &config,
        format!("[chatops]\naudit_log = \"{}\"\n", audit.display()),
    )
    .unwrap();
    let mut child = shell()
        .env("AGENT_API_BASE_URL", platform.base_url())
        .env("AGENT_API_TOKEN", platform.token())
        .env("AGENT_USER_ID", agent_sim::DEMO_USER_ID)
        .arg("--config")
        .arg(&config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let wait_for = |needle: &str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return,
                Ok(_) => {}
                Err(err) => panic!("no `{needle}` from the shell: {err}"),
            }
        }
    };
    writeln!(stdin, "/reset task:{} status:busy", agent_sim::DEMO_TASK_ID).unwrap();
    wait_for("Confirm");
    // The platform applies the reset at once but answers only after two seconds.
    platform.inject(
        agent_sim::Fault::Delay(std::time::Duration::from_secs(2)),
        1,
    );
    let before = platform.requests();
    writeln!(stdin, "1").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while platform.requests() == before {
        assert!(
            std::time::Instant::now() < deadline,
            "the reset never arrived"
        );
        std::thread::yield_now();
    }
    let killed = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    drop(stdin);
    let events: Vec<String> = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .map(|l| {
            let value: serde_json::Value = serde_json::from_str(l).unwrap();
            value["event"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(events, ["requested", "confirmed", "done"]);
    platform.shutdown_blocking();
}

/// A config file whose line holds a token in bad syntax: the error names the file, the line and
/// the key, never the line's text.
#[test]
fn a_config_syntax_error_names_file_line_and_key_never_the_value() {
    let (_dir, config) =
        binaries::config_file("[api]\nuser_id = \"u-1\"\ntoken = abc.def-s3cr3t\n");
    let output = run(shell().arg("--config").arg(&config).arg("/help"), "");
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(&format!("{}, line 3, key `token`", config.display())),
        "{stderr}"
    );
    assert!(
        !stderr.contains("abc.def") && !stderr.contains("s3cr3t"),
        "{stderr}"
    );
}

/// A config file that points at the platform but leaves out the token and the account, with a
/// bad language: all three are named in one error, each by its variable or its file key.
#[test]
fn a_config_missing_three_settings_names_all_three_at_once() {
    let (_dir, config) = binaries::config_file(
        "[api]\nbase_url = \"http://127.0.0.1:9\"\n[chatops]\nlanguage = \"fr\"\n",
    );
    let output = run(shell().arg("--config").arg(&config).arg("/help"), "");
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("3 settings need attention"), "{stderr}");
    for named in [
        "AGENT_API_TOKEN (or `api.token` in the config file)",
        "AGENT_USER_ID (or `api.user_id` in the config file)",
        "line 4, key `chatops.language`",
    ] {
        assert!(stderr.contains(named), "{named}: {stderr}");
    }
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[test]
fn one_shot_export_writes_the_file_and_exits_zero() {
    let out = tempfile::tempdir().unwrap();
    let stdout = succeeded(run(
        shell()
            .arg("--out")
            .arg(out.path())
            .arg("/export task:demo status:busy format:csv"),
        "",
    ));
    let files: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_str().unwrap().to_string();
    assert!(
        name.starts_with("demo-busy-") && name.ends_with(".csv"),
        "<task>-<filter>-<time>.csv: {name}"
    );
    assert!(
        stdout.contains(&format!("saved {}", files[0].display())),
        "{stdout}"
    );
    // "Exported N numbers of demo": the file has N rows under its header, all busy, masked.
    let rows: usize = stdout
        .strip_prefix("Exported ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.replace(',', "").parse().ok())
        .unwrap_or_else(|| panic!("{stdout}"));
    let mut reader = csv::Reader::from_path(&files[0]).unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(rows > 0);
    assert_eq!(records.len(), rows);
    for record in &records {
        assert_eq!(&record[2], "8", "busy only");
        assert!(record[1].contains("****"), "masked: {}", &record[1]);
    }
    // A second export never overwrites the first.
    let output = run(
        shell()
            .arg("--out")
            .arg(out.path())
            .arg("/export task:demo status:busy"),
        "",
    );
    assert!(output.status.success());
    assert!(std::fs::read_dir(out.path()).unwrap().count() >= 2);
}

#[test]
fn export_to_a_missing_folder_is_an_error() {
    let output = run(
        shell()
            .arg("--out")
            .arg("/nonexistent/agent-ops")
            .arg("/export task:demo"),
        "",
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a folder"));
}

#[test]
fn export_full_phones_keeps_whole_numbers_in_the_file() {
    let out = tempfile::tempdir().unwrap();
    let config = out.path().join("agent-ops.toml");
    std::fs::write(&config, "[chatops]\nexport_full_phones = true\n").unwrap();
    let stdout = succeeded(run(
        shell()
            .arg("--config")
            .arg(&config)
            .arg("--out")
            .arg(out.path())
            .arg("/export task:demo status:busy"),
        "",
    ));
    let file = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "csv"))
        .unwrap();
    let mut reader = csv::Reader::from_path(&file).unwrap();
    let phones: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[1].to_string())
        .collect();
    assert!(!phones.is_empty());
    assert!(
        phones
            .iter()
            .all(|p| !p.contains('*') && p.chars().filter(char::is_ascii_digit).count() >= 7),
        "{phones:?}"
    );
    assert!(stdout.contains("Phones are whole"), "{stdout}");
}
