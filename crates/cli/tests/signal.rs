//! `shutdown_signal` resolves when the process gets SIGTERM (and the process survives it).
#![allow(clippy::unwrap_used)] // tests may panic
#![cfg(unix)]

use std::time::Duration;

#[tokio::test]
async fn sigterm_resolves_the_shutdown_signal() {
    // Calling it installs the handlers (before the signal is sent, or SIGTERM would end the
    // test process): not even a first poll is needed.
    let mut signal = Box::pin(agent_cli::shutdown_signal());
    let first = std::future::poll_fn(|cx| std::task::Poll::Ready(signal.as_mut().poll(cx))).await;
    assert!(first.is_pending(), "nothing has been sent yet");
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
    // A bound for a failure only: the signal is normally there at once.
    tokio::time::timeout(Duration::from_secs(30), signal)
        .await
        .expect("SIGTERM ends the wait");
}
