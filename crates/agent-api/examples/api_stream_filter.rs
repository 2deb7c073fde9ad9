//! Writes every number of a task that has one of the given statuses to stdout, one a line,
//! page after page (`current_page >= last_page` ends it: the platform's `has_pages` is
//! unreliable).
//!
//! ```sh
//! cargo run -p agent-api --example api_stream_filter -- 3 4 6 8 > retryable.txt
//! ```

#[path = "common/mod.rs"]
mod common;

use std::io::Write;

use agent_api::types::CallStatus;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let codes: Vec<i64> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let codes = if codes.is_empty() {
        vec![3, 4, 6, 8]
    } else {
        codes
    };
    let statuses = codes
        .into_iter()
        .map(CallStatus::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    let target = common::target().await?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let (mut page_number, mut written) = (1u32, 0u64);
    loop {
        let page = target
            .client
            .list_numbers()
            .user_id(target.user_id.as_str())
            .task_id(target.task_id.as_str())
            .page(page_number)
            .per_page(200u32)
            .status(statuses.clone())
            .send()
            .await?
            .into_inner();
        common::check_envelope(page.code, &page.message)?;
        for record in &page.data {
            writeln!(out, "{}\t{}", record.number, *record.status)?;
            written += 1;
        }
        let last = page.meta.as_ref().map_or(1, |m| m.last_page.get());
        if u64::from(page_number) >= last {
            break;
        }
        page_number += 1;
    }
    out.flush()?;
    eprintln!("{written} numbers");
    Ok(())
}
