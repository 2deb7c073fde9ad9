//! The engine's own time per command, beside the platform round trips it waits for, with the
//! simulator at zero latency: `cargo bench -p agent-chatops --bench overhead`.
//!
//! Overhead = parsing + authorization + filters + rendering + signing: the command's total time
//! minus the wall time of its upstream calls. Target: p99 under 2 ms.
#![allow(clippy::unwrap_used, clippy::print_stdout)] // a benchmark may panic and prints

use std::time::{Duration, Instant};

use agent_chatops::{Caller, Engine, EngineConfig, Transport, parse};
use agent_core::{AgentClient, ApiConfig};

const ROUNDS: usize = 300;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn row(name: &str, mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p99 = percentile(&samples, 0.99);
    println!(
        "  {name:<28} p50 {:>7.3} ms   p90 {:>7.3} ms   p99 {:>7.3} ms   max {:>7.3} ms",
        ms(percentile(&samples, 0.5)),
        ms(percentile(&samples, 0.9)),
        ms(p99),
        ms(*samples.last().unwrap())
    );
    p99
}

fn main() {
    let sim = agent_sim::spawn_blocking_runtime(agent_sim::SimConfig {
        size: 3000,
        ..Default::default()
    })
    .unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let api = ApiConfig::from_lookup(sim.env()).unwrap();
    let toml = format!(
        "[chatops]\nsecret = \"bench-secret-0123456789\"\noperators = [\"shell:bench\"]\n# the bench sends thousands of commands as one caller\nrate_limit_per_minute = 0\n[chatops.tasks]\ndemo = \"{}\"\n",
        agent_sim::DEMO_TASK_ID
    );
    let config = EngineConfig::from_text(&toml).unwrap();
    let engine = runtime.block_on(async { Engine::new(AgentClient::new(&api).unwrap(), config) });
    let caller = Caller::new(Transport::Shell, "bench");

    let commands = [
        (
            "/numbers (a page)",
            "/numbers task:demo status:busy,no-answer page:{n}",
        ),
        ("/numbers (all statuses)", "/numbers demo page:{n}"),
        (
            "/reset (preview)",
            "/reset task:demo status:retryable from:7d",
        ),
        ("/help", "/help"),
    ];
    println!("engine overhead per command ({ROUNDS} rounds each, simulator at zero latency)");
    let mut worst = Duration::ZERO;
    for (name, template) in commands {
        let (mut overhead, mut upstream, mut total) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..ROUNDS + 20 {
            let text = template.replace("{n}", &(round % 20 + 1).to_string());
            let started = Instant::now();
            let invocation = parse(&text).unwrap();
            let parsing = started.elapsed();
            let (reply, timings) = runtime.block_on(engine.handle_timed(&caller, invocation));
            assert!(
                !matches!(
                    reply.kind,
                    agent_chatops::ReplyKind::Error | agent_chatops::ReplyKind::Refused
                ),
                "{reply:?}"
            );
            if round >= 20 {
                overhead.push(parsing + timings.overhead());
                upstream.push(timings.upstream);
                total.push(parsing + timings.total);
            }
        }
        println!("{name}");
        worst = worst.max(row("engine overhead", overhead));
        row("upstream round trips", upstream);
        row("total", total);
    }
    let met = worst < Duration::from_millis(2);
    println!(
        "target p99 engine overhead under 2 ms: {} (worst p99 {:.3} ms)",
        if met { "met" } else { "MISSED" },
        worst.as_secs_f64() * 1000.0
    );
    drop(sim);
    if !met {
        std::process::exit(1);
    }
}
