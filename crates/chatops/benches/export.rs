//! `/export` of a 100,000-number task with 20 ms of latency per request, to CSV and to Excel,
//! through the engine as a chat command runs it; printed in the same run against the stream's
//! ideal (pages × latency ÷ concurrency) and against the bare stream measured here, with the
//! process's peak memory as the task grows to 1,000,000 numbers.
//!
//! `cargo bench -p agent-chatops --bench export` (add `-- --quick` for a 20,000 / 200,000-number
//! smoke run). Targets: within 1.15 × the ideal; peak memory at most 1.3 × for 10 × the numbers.
//! The simulator runs in a child process (see `agent_sim::bench`), so the memory measured is
//! the engine's alone.
#![allow(clippy::unwrap_used, clippy::print_stdout)] // a benchmark may panic and prints

use std::sync::Arc;
use std::time::{Duration, Instant};

use agent_chatops::{AttachmentData, Caller, Engine, EngineConfig, ReplyKind, Transport};
use agent_core::{AgentClient, ApiConfig, ClientSettings, Id, ListFilter, RetryPolicy};
use agent_sim::bench::{ChildSim, mb, peak_rss, reset_peak};
use futures::StreamExt;

const LATENCY: Duration = Duration::from_millis(20);
const CONCURRENCY: usize = 8;

fn main() {
    if agent_sim::bench::serve_if_asked() {
        return;
    }
    let quick = std::env::args().any(|a| a == "--quick");
    let (small, large) = if quick {
        (20_000, 200_000)
    } else {
        (100_000, 1_000_000)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let small_sim = ChildSim::start(small, LATENCY).unwrap();
    let large_sim = ChildSim::start(large, LATENCY).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let small_engine = engine(small_sim.url(), dir.path());
    let large_engine = engine(large_sim.url(), dir.path());
    let page_size = ClientSettings::default().stream_page_size.get() as usize;
    let ideal = |numbers: usize| {
        LATENCY * u32::try_from(numbers.div_ceil(page_size)).unwrap()
            / u32::try_from(CONCURRENCY).unwrap()
    };
    println!(
        "/export of a {small}-number task · {} ms per request · pages of {page_size} · concurrency {CONCURRENCY}",
        LATENCY.as_millis()
    );
    // Warm up connections and code paths.
    runtime.block_on(export(&small_engine, "csv", small));

    let bare = runtime.block_on(stream(&small_engine, small));
    println!(
        "  bare stream  {:>7.3} s   ideal {:.3} s   {:.2} × ideal",
        bare.as_secs_f64(),
        ideal(small).as_secs_f64(),
        bare.as_secs_f64() / ideal(small).as_secs_f64()
    );
    let mut verdicts = Vec::new();
    for format in ["csv", "xlsx"] {
        reset_peak();
        let time = runtime.block_on(export(&small_engine, format, small));
        let small_peak = peak_rss();
        reset_peak();
        let large_time = runtime.block_on(export(&large_engine, format, large));
        let large_peak = peak_rss();
        let vs_ideal = time.as_secs_f64() / ideal(small).as_secs_f64();
        let growth = match (small_peak, large_peak) {
            (Some(s), Some(l)) => Some(l as f64 / s as f64),
            _ => None,
        };
        println!(
            "  {format:<5} {small:>8} numbers {:>7.3} s   {vs_ideal:.2} × ideal   {:.2} × the bare stream   peak {}",
            time.as_secs_f64(),
            time.as_secs_f64() / bare.as_secs_f64(),
            mb(small_peak)
        );
        println!(
            "  {format:<5} {large:>8} numbers {:>7.3} s   {:.2} × ideal   peak {}   memory {} when the task grows {} ×",
            large_time.as_secs_f64(),
            large_time.as_secs_f64() / ideal(large).as_secs_f64(),
            mb(large_peak),
            growth.map_or("n/a".to_string(), |g| format!("{g:.2} ×")),
            large / small
        );
        verdicts.push((
            format!("{format} within 1.15 × the ideal"),
            vs_ideal <= 1.15,
        ));
        verdicts.push((
            format!("{format} memory at most 1.3 × for a 10 × larger task"),
            growth.is_none_or(|g| g <= 1.3),
        ));
    }
    for (target, met) in &verdicts {
        println!("  target {target}: {}", if *met { "met" } else { "MISSED" });
    }
    if quick {
        println!("  (a quick run is a smoke check: the targets are judged on the full run)");
    } else if verdicts.iter().any(|(_, met)| !met) {
        std::process::exit(1);
    }
}

fn engine(url: &str, dir: &std::path::Path) -> Engine {
    let mut api = ApiConfig::from_lookup(|name| match name {
        "AGENT_API_BASE_URL" => Some(url.to_string()),
        "AGENT_API_TOKEN" => Some("sim-token".to_string()),
        "AGENT_USER_ID" => Some(agent_sim::DEMO_USER_ID.to_string()),
        _ => None,
    })
    .unwrap();
    api.settings.concurrency = CONCURRENCY;
    api.settings.retry = RetryPolicy::never();
    let config = EngineConfig::from_text(&format!(
        r#"
        [chatops]
        rate_limit_per_minute = 0
        operators = ["shell:bench"]
        export_dir = "{}"
        [chatops.tasks]
        demo = "{}"
        "#,
        dir.display(),
        agent_sim::DEMO_TASK_ID
    ))
    .unwrap();
    Engine::new(AgentClient::new(&api).unwrap(), config)
}

/// One `/export`, as a chat runs it (progress reported); checks the file's rows.
async fn export(engine: &Engine, format: &str, numbers: usize) -> Duration {
    let caller = Caller::new(Transport::Shell, "bench");
    let started = Instant::now();
    let reply = engine
        .handle_text_with_progress(
            &caller,
            &format!("/export task:demo format:{format}"),
            Arc::new(|_| {}),
        )
        .await;
    let elapsed = started.elapsed();
    assert_eq!(reply.kind, ReplyKind::Done, "{}", reply.to_plain_text());
    let AttachmentData::File(path) = &reply.attachments[0].data else {
        panic!("a file");
    };
    if format == "csv" {
        // Counted as it is read, so that checking does not add to the memory measured.
        let mut reader = std::io::BufReader::new(std::fs::File::open(&**path).unwrap());
        let mut lines = 0;
        let mut line = Vec::new();
        while std::io::BufRead::read_until(&mut reader, b'\n', &mut line).unwrap() > 0 {
            lines += 1;
            line.clear();
        }
        assert!(lines > numbers, "{lines} lines for {numbers} numbers");
    }
    elapsed
}

/// The same numbers through the bare stream (no file): the baseline of this run.
async fn stream(engine: &Engine, numbers: usize) -> Duration {
    let filter = ListFilter::new(Id::task(agent_sim::DEMO_TASK_ID).unwrap());
    let started = Instant::now();
    let mut stream = engine.client().stream(&filter);
    let mut count = 0;
    while let Some(record) = stream.next().await {
        record.unwrap();
        count += 1;
    }
    assert_eq!(count, numbers);
    started.elapsed()
}
