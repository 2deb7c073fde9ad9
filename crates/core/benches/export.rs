//! Exports a task from the simulator, with 20 ms of latency per request, three ways in one run:
//! the concurrent in-order stream, a sequential page-by-page loop (the baseline), and the
//! stream again on a task ten times larger; prints the times against the ideal
//! (pages × latency ÷ concurrency) and the peak memory of this process.
//!
//! `cargo bench -p agent-core --bench export` (add `-- --quick` for a smaller smoke run, or
//! `-- --page-size N` for pages other than the client's default of 200). It prints whether each
//! target is met: within 1.15 × the ideal, at least 8 × faster than the sequential loop, memory
//! flat as the task grows 10 ×. The stream and the loop use the same client and page size.
//!
//! The simulator runs in a child process (this same binary with `--serve-sim`), so that the
//! memory measured is the client's alone. Peak memory is the process's VmHWM, reset between runs
//! through `/proc/self/clear_refs` (Linux).
#![allow(clippy::unwrap_used, clippy::print_stdout)] // a benchmark may panic and prints

use std::time::{Duration, Instant};

use agent_core::{
    AgentClient, ApiConfig, ClientSettings, Id, ListFilter, PageNumber, PageSize, RetryPolicy,
};
use agent_sim::bench::{ChildSim as Sim, mb, peak_rss, reset_peak};
use futures::StreamExt;

const LATENCY: Duration = Duration::from_millis(20);
const CONCURRENCY: usize = 8;

fn main() {
    if agent_sim::bench::serve_if_asked() {
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    // The client's default page size unless `--page-size N`.
    let page_size = match args.iter().position(|a| a == "--page-size") {
        Some(at) => PageSize::new(args[at + 1].parse().expect("--page-size takes a number"))
            .expect("a valid page size"),
        None => ClientSettings::default().stream_page_size,
    };
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
    let small_sim = Sim::start(small, LATENCY).unwrap();
    let large_sim = Sim::start(large, LATENCY).unwrap();
    let client = |sim: &Sim| client(sim.url(), page_size);

    println!(
        "export of a {small}-number task · {} ms per request · pages of {} · concurrency {CONCURRENCY}",
        LATENCY.as_millis(),
        page_size.get()
    );
    let small_client = client(&small_sim);
    // Warm up connections and code paths.
    runtime.block_on(stream_all(&small_client));

    reset_peak();
    let (count, stream_time) = runtime.block_on(stream_all(&small_client));
    let stream_peak = peak_rss();
    assert_eq!(count, small);
    let pages = small.div_ceil(page_size.get() as usize);
    let ideal = ideal_time(pages);

    reset_peak();
    let (count, loop_time) = runtime.block_on(sequential_all(&small_client));
    let loop_peak = peak_rss();
    assert_eq!(count, small);

    let large_client = client(&large_sim);
    runtime.block_on(count_only(&large_client));
    reset_peak();
    let (count, large_time) = runtime.block_on(stream_all(&large_client));
    let large_peak = peak_rss();
    assert_eq!(count, large);
    let large_ideal = ideal_time(large.div_ceil(page_size.get() as usize));

    let vs_ideal = stream_time.as_secs_f64() / ideal.as_secs_f64();
    let speedup = loop_time.as_secs_f64() / stream_time.as_secs_f64();
    println!(
        "  stream      {:>7.3} s   ideal {:.3} s ({pages} pages × {} ms ÷ {CONCURRENCY})   {vs_ideal:.2} × ideal   peak {}",
        stream_time.as_secs_f64(),
        ideal.as_secs_f64(),
        LATENCY.as_millis(),
        mb(stream_peak)
    );
    println!(
        "  sequential  {:>7.3} s   the stream is {speedup:.2} × faster   peak {}",
        loop_time.as_secs_f64(),
        mb(loop_peak)
    );
    println!(
        "  stream of a {large}-number task  {:.3} s   ideal {:.3} s   {:.2} × ideal   peak {}",
        large_time.as_secs_f64(),
        large_ideal.as_secs_f64(),
        large_time.as_secs_f64() / large_ideal.as_secs_f64(),
        mb(large_peak)
    );
    let growth = match (stream_peak, large_peak) {
        (Some(small), Some(large)) => Some(large as f64 / small as f64),
        _ => None,
    };
    match growth {
        Some(g) => println!("  memory: {g:.2} × when the task grows {} ×", large / small),
        None => println!("  memory: not measurable on this system"),
    }
    let verdicts = [
        ("within 1.15 × the ideal", vs_ideal <= 1.15),
        (
            "at least 8 × faster than the sequential loop",
            speedup >= 8.0,
        ),
        (
            "memory flat (at most 1.5 × for a 10 × larger task)",
            growth.is_none_or(|g| g <= 1.5),
        ),
    ];
    // Where the speedup comes from: a sequential page costs a round trip plus the client's
    // work on it (reading, decoding); the stream overlaps that work with the other pages' round
    // trips, so a round of 8 concurrent pages costs about one round trip.
    let per_page = loop_time.as_secs_f64() * 1000.0 / pages as f64;
    let per_round = stream_time.as_secs_f64() * 1000.0 / pages.div_ceil(CONCURRENCY) as f64;
    println!(
        "  a sequential page took {per_page:.2} ms; a round of {CONCURRENCY} concurrent pages {per_round:.2} ms"
    );
    for (target, met) in verdicts {
        println!("  target {target}: {}", if met { "met" } else { "MISSED" });
    }
    if quick {
        println!("  (a quick run is a smoke check: the targets are judged on the full run)");
    } else if verdicts.iter().any(|(_, met)| !met) {
        std::process::exit(1);
    }
}

fn ideal_time(pages: usize) -> Duration {
    LATENCY * u32::try_from(pages).unwrap() / u32::try_from(CONCURRENCY).unwrap()
}

fn client(url: &str, page_size: PageSize) -> AgentClient {
    let mut config = ApiConfig::from_lookup(|name| match name {
        "AGENT_API_BASE_URL" => Some(url.to_string()),
        "AGENT_API_TOKEN" => Some("sim-token".to_string()),
        "AGENT_USER_ID" => Some(agent_sim::DEMO_USER_ID.to_string()),
        _ => None,
    })
    .unwrap();
    config.settings.concurrency = CONCURRENCY;
    config.settings.stream_page_size = page_size;
    config.settings.retry = RetryPolicy::never();
    AgentClient::new(&config).unwrap()
}

/// The whole task, in pages of the client's stream page size (the sequential loop's too).
fn filter(client: &AgentClient) -> ListFilter {
    ListFilter::new(Id::task(agent_sim::DEMO_TASK_ID).unwrap())
        .with_page_size(client.settings().stream_page_size)
}

/// The concurrent stream; counts numbers and checks their order without keeping them.
async fn stream_all(client: &AgentClient) -> (usize, Duration) {
    let started = Instant::now();
    let mut stream = client.stream(&filter(client));
    let (mut count, mut last) = (0usize, 0i64);
    while let Some(record) = stream.next().await {
        let record = record.unwrap();
        assert!(record.id > last, "out of order");
        last = record.id;
        count += 1;
    }
    (count, started.elapsed())
}

/// The baseline: one page after another.
async fn sequential_all(client: &AgentClient) -> (usize, Duration) {
    let started = Instant::now();
    let filter = filter(client);
    let mut count = 0;
    let mut page = 1;
    loop {
        let answer = client
            .numbers(&filter, PageNumber::new(page).unwrap())
            .await
            .unwrap();
        count += answer.records.len();
        if answer.page >= answer.last_page {
            return (count, started.elapsed());
        }
        page += 1;
    }
}

async fn count_only(client: &AgentClient) {
    client.count(&filter(client)).await.unwrap();
}
