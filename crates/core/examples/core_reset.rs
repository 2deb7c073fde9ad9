//! Previews a reset (how many numbers, by status), then runs it. On the platform the reset runs
//! only with `--confirm`; on the simulator it always runs, and the example checks its effect.
//!
//! ```sh
//! cargo run -p agent-core --example core_reset -- busy
//! ```

#[path = "common/mod.rs"]
mod common;

use agent_core::{ListFilter, ResetFilter, Scope, StatusSet};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut statuses = "busy".to_string();
    let mut confirm = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--confirm" => confirm = true,
            other => statuses = other.to_string(),
        }
    }
    let statuses = StatusSet::parse_list(&statuses)?;
    let target = common::target().await?;
    let scope = Scope::new(target.task.clone()).with_statuses(statuses);
    let filter = ResetFilter::new(scope.clone());

    let preview = target.client.reset_preview(&filter).await?;
    println!(
        "preview: {} numbers would go back to waiting: {preview}",
        preview.total()
    );
    if target.sim.is_none() && !confirm {
        println!("not reset: pass --confirm to reset them on the platform");
        return Ok(());
    }
    let outcome = target.client.reset(&filter).await?;
    println!("reset: {}", outcome.message);
    let left = target.client.count(&ListFilter::new(scope)).await?;
    println!("now {left} numbers match");
    if target.sim.is_some() && left != 0 {
        return Err(format!("{left} numbers still match").into());
    }
    Ok(())
}
