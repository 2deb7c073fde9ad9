//! `agent-sim`: the simulator as a server, for curl, a bot under trial or a benchmark.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use agent_sim::{DEMO_TASK_ID, DEMO_USER_ID, Faults, Latency, SimConfig};
use clap::Parser;

#[derive(Parser)]
#[command(
    name = "agent-sim",
    version,
    about = "A local stand-in of the platform's agent-api: number list and batch reset, with seeded data and injectable faults",
    after_help = "Endpoints:\n  GET  /agent-api/user/{user_id}/task/{task_id}/number?page=1&per_page=15&status[]=2\n  PUT  /agent-api/user/{user_id}/task/{task_id}/number-batch-reset   (JSON body, required; `{}` resets the whole task)\n\nThe seeded users and tasks are printed at start. per_page is at most 1000; booleans in a query are 1/0.\nFault rates are shares of API requests (0.0-1.0), drawn reproducibly from --fault-seed.\nLogs go to stderr (RUST_LOG=debug for more); the banner goes to stdout."
)]
struct Args {
    /// Port to listen on.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Address to listen on (loopback by default).
    #[arg(long, default_value = "127.0.0.1")]
    host: std::net::IpAddr,
    /// Numbers in the demo task (other tasks hold at most 3000); 1000000 is fine (about 40 MB).
    #[arg(long, default_value_t = 3000)]
    size: usize,
    /// Seed of the data.
    #[arg(long, default_value_t = 20_201_013)]
    seed: u64,
    /// Numbers are created over the 30 days before this China time, `YYYY-MM-DD HH:MM:SS`
    /// (default: now, UTC+8).
    #[arg(long, value_parser = parse_anchor)]
    anchor: Option<jiff::civil::DateTime>,
    /// The bearer token clients must send.
    #[arg(
        long,
        env = "AGENT_SIM_TOKEN",
        default_value = "sim-token",
        hide_env_values = true
    )]
    token: String,
    /// Latency of every API request, in ms (the minimum, with --latency-max-ms).
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Random latency up to this many ms (uniform from --latency-ms).
    #[arg(long)]
    latency_max_ms: Option<u64>,
    /// Share of requests answered HTTP 500 (0.0-1.0).
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Share of requests answered HTTP 429 with Retry-After.
    #[arg(long, default_value_t = 0.0)]
    rate_limit_rate: f64,
    /// Retry-After of the 429s, in seconds.
    #[arg(long, default_value_t = 1)]
    retry_after: u64,
    /// Share of requests answered with a proxy's HTML 502 page.
    #[arg(long, default_value_t = 0.0)]
    html_rate: f64,
    /// Share of answers whose JSON body is cut in the middle.
    #[arg(long, default_value_t = 0.0)]
    truncate_rate: f64,
    /// Share of requests answered HTTP 200 with code 6007 in the envelope.
    #[arg(long, default_value_t = 0.0)]
    soft_error_rate: f64,
    /// Seed of the random faults.
    #[arg(long, default_value_t = 0)]
    fault_seed: u64,
}

fn parse_anchor(text: &str) -> Result<jiff::civil::DateTime, String> {
    text.parse::<agent_api::wire::PlatformDateTime>()
        .map(|d| d.datetime())
        .map_err(|_| format!("expected YYYY-MM-DD HH:MM:SS, not {text:?}"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    agent_cli::init_tracing("info", std::io::stderr);
    agent_cli::block_on("agent-sim", async {
        match run(args).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("error: {err}");
                ExitCode::FAILURE
            }
        }
    })
}

async fn run(args: Args) -> std::io::Result<()> {
    let rates = [
        ("--error-rate", args.error_rate),
        ("--rate-limit-rate", args.rate_limit_rate),
        ("--html-rate", args.html_rate),
        ("--truncate-rate", args.truncate_rate),
        ("--soft-error-rate", args.soft_error_rate),
    ];
    for (flag, rate) in rates {
        if !(0.0..=1.0).contains(&rate) {
            return Err(std::io::Error::other(format!(
                "{flag} must be between 0.0 and 1.0, not {rate}"
            )));
        }
    }
    let latency = match (args.latency_ms, args.latency_max_ms) {
        (0, None) => Latency::None,
        (ms, None) => Latency::Fixed(Duration::from_millis(ms)),
        (min, Some(max)) if max >= min => Latency::Uniform {
            min: Duration::from_millis(min),
            max: Duration::from_millis(max),
        },
        (min, Some(max)) => {
            return Err(std::io::Error::other(format!(
                "--latency-max-ms ({max}) is below --latency-ms ({min})"
            )));
        }
    };
    let config = SimConfig {
        token: args.token,
        size: args.size,
        seed: args.seed,
        anchor: args.anchor,
        faults: Faults {
            latency,
            error_rate: args.error_rate,
            rate_limit_rate: args.rate_limit_rate,
            retry_after_secs: args.retry_after,
            html_rate: args.html_rate,
            truncate_rate: args.truncate_rate,
            soft_error_rate: args.soft_error_rate,
            seed: args.fault_seed,
        },
    };
    let address = SocketAddr::new(args.host, args.port);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|err| std::io::Error::other(format!("cannot listen on {address}: {err}")))?;
    let sim = agent_sim::start_on(listener, config).await?;
    // Listen for Ctrl-C/SIGTERM before saying we are ready: a signal sent right after the banner
    // must stop the simulator cleanly, not kill it.
    let stop = agent_cli::shutdown_signal();
    tracing::info!(address = %sim.address(), "agent-sim listening");
    println!("agent-sim listening on {}", sim.base_url());
    println!("token: {}", sim.token());
    for task in sim.tasks() {
        let sub = task
            .sub_user_id
            .as_deref()
            .map(|s| format!(" (sub-account {s}: add sub_user_id={s})"))
            .unwrap_or_default();
        println!(
            "user {} · task {} · {} · {} numbers{sub}",
            task.user_id, task.task_id, task.name, task.size
        );
    }
    println!(
        "try: curl -H 'Authorization: Bearer {}' '{}/agent-api/user/{DEMO_USER_ID}/task/{DEMO_TASK_ID}/number?page=1&per_page=15&status%5B%5D=8&encryption=0'",
        sim.token(),
        sim.base_url()
    );
    stop.await;
    println!("agent-sim: stopping");
    sim.shutdown().await;
    Ok(())
}
