//! The client's own overhead on one list request: the generated client (builder, hooks,
//! in-flight limit, tracing, typed decoding) against raw `reqwest` + `serde_json` doing the same
//! request to the same simulator and decoding the same body into the same type, in the same run.
//!
//! `cargo bench -p agent-api --bench overhead` (add `-- --quick` for a short smoke run that judges
//! nothing). The two ways alternate in small blocks, so that drift of the machine (another build,
//! the simulator's caches) hits both alike; medians are compared. Target: the client takes at most
//! 1.05 × the raw request's time.
#![allow(clippy::unwrap_used, clippy::print_stdout)] // a benchmark may panic and prints

use std::time::{Duration, Instant};

use agent_api::types::NumberListResponse;
use agent_api::{ClientOptions, connect};
use agent_sim::{DEMO_TASK_ID, DEMO_USER_ID, SimConfig};

const TARGET: f64 = 1.05;
const PER_PAGE: u32 = 50;
const BLOCK: usize = 20;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 10 } else { 150 };

    // The simulator on a runtime of its own, with no latency: only the client's work and the
    // loopback round trip remain, which is what the ratio is about.
    let sim = agent_sim::spawn_blocking_runtime(SimConfig {
        size: 2_000,
        ..SimConfig::default()
    })
    .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let client = connect(
        sim.base_url(),
        sim.token().to_string().into(),
        &ClientOptions::default(),
    )
    .unwrap();
    agent_api::ensure_crypto_provider();
    let raw = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    let url = format!(
        "{}/agent-api/user/{DEMO_USER_ID}/task/{DEMO_TASK_ID}/number?page=1&per_page={PER_PAGE}",
        sim.base_url()
    );
    let bearer = format!("Bearer {}", sim.token());

    let with_client = || async {
        let start = Instant::now();
        let page = client
            .list_numbers()
            .user_id(DEMO_USER_ID)
            .task_id(DEMO_TASK_ID)
            .page(1u32)
            .per_page(PER_PAGE)
            .send()
            .await
            .unwrap()
            .into_inner();
        let took = start.elapsed();
        assert_eq!(page.data.len(), PER_PAGE as usize);
        took
    };
    let with_raw = || async {
        let start = Instant::now();
        let response = raw
            .get(&url)
            .header(reqwest::header::AUTHORIZATION, &bearer)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
        let body = response.bytes().await.unwrap();
        let page: NumberListResponse = serde_json::from_slice(&body).unwrap();
        let took = start.elapsed();
        assert_eq!(page.data.len(), PER_PAGE as usize);
        took
    };

    let (client_times, raw_times) = runtime.block_on(async {
        // Warm up both connection pools and caches.
        for _ in 0..100 {
            with_client().await;
            with_raw().await;
        }
        let (mut client_times, mut raw_times) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            // Alternate which goes first, in blocks.
            for first in [round % 2 == 0, round % 2 != 0] {
                for _ in 0..BLOCK {
                    if first {
                        client_times.push(with_client().await);
                    } else {
                        raw_times.push(with_raw().await);
                    }
                }
            }
        }
        (client_times, raw_times)
    });

    let mut client_sorted = client_times.clone();
    let mut raw_sorted = raw_times.clone();
    client_sorted.sort();
    raw_sorted.sort();
    let n = client_sorted.len();
    println!(
        "one list request (page of {PER_PAGE}) to the simulator on loopback · {n} requests each way, alternating in blocks of {BLOCK}"
    );
    println!(
        "  {:<34} {:>9} {:>9} {:>9}",
        "", "p10 µs", "p50 µs", "p90 µs"
    );
    for (name, sorted) in [
        ("agent-api client", &client_sorted),
        ("raw reqwest + serde_json", &raw_sorted),
    ] {
        println!(
            "  {name:<34} {:>9.1} {:>9.1} {:>9.1}",
            micros(percentile(sorted, 0.1)),
            micros(percentile(sorted, 0.5)),
            micros(percentile(sorted, 0.9)),
        );
    }
    let ratio = micros(percentile(&client_sorted, 0.5)) / micros(percentile(&raw_sorted, 0.5));
    let overhead = micros(percentile(&client_sorted, 0.5)) - micros(percentile(&raw_sorted, 0.5));
    println!("  client / raw (p50): {ratio:.3} × ({overhead:+.1} µs a request)");
    let met = ratio <= TARGET;
    println!(
        "  target ≤ {TARGET:.2} ×: {}",
        if quick {
            "not judged (--quick)"
        } else if met {
            "met"
        } else {
            "MISSED"
        }
    );
    sim.shutdown_blocking();
    if !quick && !met {
        std::process::exit(1);
    }
}
