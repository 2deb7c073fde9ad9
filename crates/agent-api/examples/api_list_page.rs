//! Lists the first page of a task's numbers with the generated client.
//!
//! ```sh
//! cargo run -p agent-api --example api_list_page            # on an in-process simulator
//! AGENT_API_TOKEN=… AGENT_USER_ID=… AGENT_TASK_ID=… cargo run -p agent-api --example api_list_page
//! ```

#[path = "common/mod.rs"]
mod common;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = common::target().await?;
    let page = target
        .client
        .list_numbers()
        .user_id(target.user_id.as_str())
        .task_id(target.task_id.as_str())
        .page(1u32)
        .per_page(10u32)
        .send()
        .await?
        .into_inner();
    common::check_envelope(page.code, &page.message)?;
    for record in &page.data {
        println!(
            "{:>8}  {:<18} {:>2} {}  created {}",
            record.id, record.number, *record.status, record.status_str, record.created_at
        );
    }
    if let Some(meta) = &page.meta {
        println!(
            "page {} of {} ({} numbers in all, {} a page)",
            meta.current_page, meta.last_page, meta.total, meta.per_page
        );
    }
    Ok(())
}
