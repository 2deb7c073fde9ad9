//! Previews a reset (how many numbers it would put back to waiting), then runs it and counts
//! again. On the platform the reset runs only with `--confirm`; on the simulator it always runs.
//!
//! ```sh
//! cargo run -p agent-api --example api_reset -- 8          # busy numbers back to waiting
//! ```

#[path = "common/mod.rs"]
mod common;

use agent_api::types::{BatchResetRequest, CallStatus};

/// How many numbers of the task have `status`.
async fn count(
    target: &common::Target,
    status: CallStatus,
) -> Result<u64, Box<dyn std::error::Error>> {
    let page = target
        .client
        .list_numbers()
        .user_id(target.user_id.as_str())
        .task_id(target.task_id.as_str())
        .page(1u32)
        .per_page(1u32)
        .status(vec![status])
        .send()
        .await?
        .into_inner();
    common::check_envelope(page.code, &page.message)?;
    Ok(page.meta.map_or(0, |m| m.total.get()))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut code = 8i64;
    let mut confirm = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--confirm" => confirm = true,
            other => code = other.parse()?,
        }
    }
    let status = CallStatus::try_from(code)?;
    let target = common::target().await?;

    let before = count(&target, status.clone()).await?;
    println!("preview: {before} numbers with status {code} would go back to waiting (0)");
    if target.sim.is_none() && !confirm {
        println!("not reset: pass --confirm to reset them on the platform");
        return Ok(());
    }
    // Never an empty body: it would reset the whole task.
    let body = BatchResetRequest {
        status: vec![status.clone()],
        ..BatchResetRequest::default()
    };
    let answer = target
        .client
        .batch_reset_numbers()
        .user_id(target.user_id.as_str())
        .task_id(target.task_id.as_str())
        .body(body)
        .send()
        .await?
        .into_inner();
    common::check_envelope(answer.code, &answer.message)?;
    println!("reset: {}", answer.message);
    let after = count(&target, status).await?;
    println!("now {after} numbers have status {code}");
    if target.sim.is_some() && after != 0 {
        return Err(format!("{after} numbers still have status {code}").into());
    }
    Ok(())
}
