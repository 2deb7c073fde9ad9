//! `shutdown_signal` resolves when the process gets SIGTERM (and the process survives it).
#![allow(clippy::unwrap_used)] // tests may panic
#![cfg(unix)]

use std::time::Duration;

#[tokio::test]
async fn sigterm_resolves_the_shutdown_signal() {
    let signal = tokio::spawn(agent_cli::shutdown_signal());
    // Let the handlers be installed before the signal is sent.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!signal.is_finished(), "nothing has been sent yet");
    // `kill` as the shell's builtin: no separate binary needed.
    let status = std::process::Command::new("sh")
        .args([
            "-c",
            "kill -TERM \"$1\"",
            "sh",
            &std::process::id().to_string(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    tokio::time::timeout(Duration::from_secs(5), signal)
        .await
        .expect("SIGTERM ends the wait")
        .unwrap();
}
