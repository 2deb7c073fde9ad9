//! What the workspace's export benchmarks share: the simulator in a child process (so the
//! memory a benchmark measures is its own alone) and the process's peak memory.
//!
//! A benchmark calls [`serve_if_asked`] first thing in `main`: when it was started as the child
//! (`--serve-sim <size> <latency ms>`), it serves until its parent closes its stdin and returns
//! `true`. [`ChildSim::start`] starts that child from the benchmark's own executable.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{Faults, Latency, SimConfig};

/// A simulator in a child process of this executable.
pub struct ChildSim {
    child: Child,
    url: String,
}

impl ChildSim {
    /// Starts a simulator of `size` numbers with `latency` per request; waits until it serves.
    pub fn start(size: usize, latency: Duration) -> std::io::Result<Self> {
        let mut child = Command::new(std::env::current_exe()?)
            .args([
                "--serve-sim",
                &size.to_string(),
                &latency.as_millis().to_string(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let mut line = String::new();
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| std::io::Error::other("no stdout"))?;
        BufReader::new(stdout).read_line(&mut line)?;
        let url = line
            .trim()
            .strip_prefix("READY ")
            .ok_or_else(|| std::io::Error::other(format!("the child said `{line}`")))?
            .to_string();
        Ok(Self { child, url })
    }

    /// Its base URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for ChildSim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Serves as the child of [`ChildSim::start`] when the arguments say so (and returns `true`
/// once the parent is gone); otherwise returns `false` at once.
pub fn serve_if_asked() -> bool {
    let args: Vec<String> = std::env::args().collect();
    let Some(at) = args.iter().position(|a| a == "--serve-sim") else {
        return false;
    };
    let number = |i: usize| args.get(at + i).and_then(|a| a.parse::<u64>().ok());
    let (Some(size), Some(latency)) = (number(1), number(2)) else {
        eprintln!("--serve-sim <size> <latency ms>");
        return true;
    };
    let Ok(runtime) = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    else {
        return true;
    };
    runtime.block_on(async {
        let Ok(sim) = crate::start(SimConfig {
            size: usize::try_from(size).unwrap_or(usize::MAX),
            faults: Faults {
                latency: Latency::Fixed(Duration::from_millis(latency)),
                ..Faults::default()
            },
            ..SimConfig::default()
        })
        .await
        else {
            return;
        };
        let mut stdout = std::io::stdout();
        let _ = writeln!(stdout, "READY {}", sim.base_url());
        let _ = stdout.flush();
        // Serve until the parent closes our stdin (or kills us).
        let _ =
            tokio::task::spawn_blocking(|| std::io::stdin().read_line(&mut String::new())).await;
        sim.shutdown().await;
    });
    true
}

/// Forgets the peak memory so far (Linux: `/proc/self/clear_refs`).
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident memory of this process since [`reset_peak`], in bytes (Linux: VmHWM).
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Bytes in megabytes for a report (`n/a` when unknown).
pub fn mb(bytes: Option<u64>) -> String {
    bytes.map_or("n/a".to_string(), |b| {
        format!("{:.1} MB", b as f64 / 1_048_576.0)
    })
}
