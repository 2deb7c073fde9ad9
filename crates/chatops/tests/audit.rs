//! The audit file shared by several processes: each line is one `write` on an `O_APPEND` file,
//! so lines from two processes never interleave.
#![allow(clippy::unwrap_used)] // tests may panic

use std::path::PathBuf;
use std::process::Command;

use agent_chatops::audit::{AuditEvent, AuditLog, AuditRecord};

const LINES_PER_PROCESS: usize = 10_000;
const CHILD_ENV: &str = "AGENT_OPS_AUDIT_APPEND_TO";

fn record(process: &str, n: usize) -> AuditRecord {
    AuditRecord {
        at: "2026-12-02T06:00:00Z".to_string(),
        event: AuditEvent::Requested,
        request: format!("{n:016x}"),
        actor: format!("shell:user:{process}"),
        actor_name: process.repeat(40),
        chat: Some("terminal".to_string()),
        task: "f232d184-dd54-42a0-8ace-0bf8d660f4cc".to_string(),
        filter: "status=busy ".repeat(20),
        matched: n as u64,
        outcome: None,
    }
}

/// Not a test of its own: the child process of the test below appends its lines here.
#[test]
fn child_appends_its_lines() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let process = std::process::id().to_string();
    let log = AuditLog::new(Some(&PathBuf::from(path)));
    for n in 0..LINES_PER_PROCESS {
        log.record(&record(&process, n)).unwrap();
    }
}

#[test]
fn two_processes_appending_leave_every_line_whole() {
    // tmpfs when there is one: the test is about interleaving, not the disk's sync speed.
    let base = ["/dev/shm", "/tmp"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::tempdir_in(base).unwrap();
    let path = dir.path().join("audit.jsonl");
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "child_appends_its_lines", "--test-threads=1"])
                .env(CHILD_ENV, &path)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let text = std::fs::read_to_string(&path).unwrap();
    let mut per_process = std::collections::HashMap::<String, usize>::new();
    for line in text.lines() {
        let value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("a broken line ({e}): {line}"));
        *per_process
            .entry(value["actor"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(text.lines().count(), 2 * LINES_PER_PROCESS);
    assert_eq!(per_process.len(), 2, "{per_process:?}");
    assert!(per_process.values().all(|n| *n == LINES_PER_PROCESS));
}
