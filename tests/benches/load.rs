//! The load test of the bots as replicas: 10,000 signed Discord `/numbers` interactions and
//! 10,000 Telegram webhook updates, 50 at once, each against two replicas sharing one Redis, in
//! front of the simulator (20 ms per request); loopback only. Prints, per transport, what was
//! answered, lost, answered twice or refused, and p50/p99 of the whole time, the platform's and
//! the bot's own; fails (exit 1) unless every request was answered once and every replay refused.
//!
//! `cargo bench -p agent-ops-tests --bench load` (needs `redis-server` on the PATH; options:
//! `-- --count N --concurrency C --latency-ms L --max-secs S --api-concurrency A`; `A` is each
//! replica's `[api] concurrency`, 8 by default: requests beyond it wait for a platform slot,
//! and at 50 in flight on two replicas that wait is most of the bot's time).
#![allow(clippy::print_stdout)] // a benchmark prints

use std::process::ExitCode;
use std::time::Duration;

use agent_ops_tests::load::{self, LoadConfig, PAGE_SIZE, Platform};

#[path = "../../crates/chatops/tests/support/redis_server.rs"]
#[allow(dead_code)]
mod redis_server;

fn arg(name: &str, default: u64) -> Result<u64, String> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{name} takes a number")),
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("load: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<bool, String> {
    let count = usize::try_from(arg("--count", 10_000)?).map_err(|e| e.to_string())?;
    let concurrency = usize::try_from(arg("--concurrency", 50)?).map_err(|e| e.to_string())?;
    let latency = Duration::from_millis(arg("--latency-ms", 20)?);
    let max = Duration::from_secs(arg("--max-secs", 300)?);
    let api_concurrency = match arg("--api-concurrency", 0)? {
        0 => None,
        n => Some(u32::try_from(n).map_err(|e| e.to_string())?),
    };
    if count == 0 || concurrency == 0 || count > 1_000_000 {
        return Err("--count must be 1..=1000000 and --concurrency at least 1".into());
    }
    let redis = redis_server::RedisServer::start()
        .ok_or("redis-server is not installed (apt-get install redis-server)")?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let platform =
        Platform::start(count * PAGE_SIZE, latency).map_err(|e| format!("simulator: {e}"))?;
    let config = LoadConfig {
        count,
        concurrency,
        redis_url: redis.url(),
        deadline: max,
        redeliver_every: 10,
        api_concurrency,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    println!(
        "load: {count} /numbers requests per transport, {concurrency} at once, two replicas on one \
         Redis, platform {} ms per request, {} platform requests in flight per replica, at most \
         {} s each",
        latency.as_millis(),
        api_concurrency.map_or_else(|| "8 (the default)".to_string(), |n| n.to_string()),
        max.as_secs()
    );
    let mut clean = true;
    for transport in ["discord", "telegram"] {
        let outcome = runtime.block_on(async {
            if transport == "discord" {
                load::discord(&config, &platform).await
            } else {
                load::telegram(&config, &platform).await
            }
        })?;
        print!("{outcome}");
        clean &= outcome.clean();
    }
    println!("{}", if clean { "clean" } else { "NOT CLEAN" });
    Ok(clean)
}
