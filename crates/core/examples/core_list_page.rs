//! Lists one page of a task's numbers through the facade (retries, envelope checks, typed
//! errors), with a summary per status.
//!
//! ```sh
//! cargo run -p agent-core --example core_list_page -- unreached
//! ```

#[path = "common/mod.rs"]
mod common;

use agent_core::{ListFilter, PageNumber, PageSize, Scope, StatusSet};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let statuses = std::env::args().nth(1).unwrap_or_else(|| "all".to_string());
    let target = common::target().await?;
    let scope = Scope::new(target.task.clone()).with_statuses(StatusSet::parse_list(&statuses)?);
    let filter = ListFilter::new(scope).with_page_size(PageSize::new(10)?);
    let page = target.client.numbers(&filter, PageNumber::new(1)?).await?;
    for record in &page.records {
        println!(
            "{:<18} {:>2} created {}",
            agent_core::mask_number(&record.number),
            *record.status,
            record.created_at
        );
    }
    println!(
        "page {} of {} ({} numbers)",
        page.page, page.last_page, page.total
    );
    println!("{}", target.client.summary(&filter).await?);
    Ok(())
}
