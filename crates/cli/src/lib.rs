//! What every agent-ops binary (the shell, the simulator, both bots) sets up the same way: logs
//! through `tracing` on stderr, a multi-threaded tokio runtime, and the signals that stop it.

use std::future::Future;
use std::io::IsTerminal;
use std::process::ExitCode;

use tracing_subscriber::fmt::MakeWriter;

/// Logs to `writer` (stderr, or a wrapper of it), filtered by `RUST_LOG` or else by
/// `default_filter` (`"info"`, `"warn"`…); colours only when stderr is a terminal.
pub fn init_tracing<W>(default_filter: &str, writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        )
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(writer)
        .init();
}

/// Runs `main` to completion on a multi-threaded runtime; a runtime that cannot start is
/// reported on stderr, prefixed by `program`, as a failure.
pub fn block_on(program: &str, main: impl Future<Output = ExitCode>) -> ExitCode {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(main),
        Err(err) => {
            eprintln!("{program}: cannot start the async runtime: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Resolves at Ctrl-C or SIGTERM, and says which in the log. Where a signal cannot be listened
/// for, it warns and waits for the other one only.
///
/// The handlers are installed when this is *called*, not when the future is first polled: call
/// it before announcing readiness, so a signal sent right after the announcement is never missed
/// (and never kills the process with the default action). Must be called inside the runtime.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let listen = |kind: SignalKind, name: &'static str| match signal(kind) {
            Ok(signal) => Some(signal),
            Err(err) => {
                tracing::warn!(%err, "cannot listen for {name}");
                None
            }
        };
        let interrupt = listen(SignalKind::interrupt(), "Ctrl-C");
        let terminate = listen(SignalKind::terminate(), "SIGTERM");
        async move {
            let wait = |signal: Option<tokio::signal::unix::Signal>| async move {
                match signal {
                    Some(mut signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(interrupt) => tracing::info!("Ctrl-C: stopping"),
                () = wait(terminate) => tracing::info!("SIGTERM: stopping"),
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            if let Err(err) = tokio::signal::ctrl_c().await {
                tracing::warn!(%err, "cannot listen for Ctrl-C");
                std::future::pending::<()>().await;
            }
            tracing::info!("Ctrl-C: stopping");
        }
    }
}
