//! Streams every number that matches a filter to stdout, one a line, in order, with pages
//! fetched concurrently.
//!
//! ```sh
//! cargo run -p agent-core --example core_stream_filter -- retryable > retryable.txt
//! ```

#[path = "common/mod.rs"]
mod common;

use std::io::Write;

use agent_core::{ListFilter, Scope, StatusSet};
use futures::StreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let statuses = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "retryable".to_string());
    let target = common::target().await?;
    let scope = Scope::new(target.task.clone()).with_statuses(StatusSet::parse_list(&statuses)?);
    let filter = ListFilter::new(scope);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut numbers = target.client.stream(&filter);
    let mut written = 0u64;
    while let Some(record) = numbers.next().await {
        let record = record?;
        writeln!(out, "{}\t{}", record.number, *record.status)?;
        written += 1;
    }
    out.flush()?;
    eprintln!("{written} numbers");
    Ok(())
}
