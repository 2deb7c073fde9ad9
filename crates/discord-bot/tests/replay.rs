//! A signed interaction sent again with the same id (a replay within the timestamp's window)
//! is refused; the engine's state store remembers the ids, so replicas sharing it agree.
#![allow(clippy::unwrap_used)] // tests may panic

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn an_interaction_replayed_with_the_same_id_is_refused() {
    let world = World::new().await;
    let help = command(&alice(), "help", &[]);
    let (status, first, _) = world.post(&help).await;
    assert_eq!(status, 200, "{first}");
    assert!(embed(&first["data"])["title"].is_string(), "{first:#}");

    // The same bytes, signed again (a fresh timestamp: only the id gives it away).
    let (status, again, _) = world.post(&help).await;
    assert_eq!(status, 401, "{again}");
    assert_eq!(again, "this interaction was already received");

    // A replayed button press is refused before it reaches the engine: the reset runs once.
    let busy = world.count(8);
    assert!(busy > 0);
    let preview = world
        .answer(&command(
            &alice(),
            "reset",
            &[("task", json!("demo")), ("status", json!("busy"))],
        ))
        .await;
    let press = press(&alice(), &button(&preview, "Confirm"));
    let (status, done, _) = world.post(&press).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(world.count(8), 0);
    let (status, replayed, _) = world.post(&press).await;
    assert_eq!(status, 401, "{replayed}");

    // Another interaction (another id) is answered as usual.
    let (status, other, _) = world.post(&command(&alice(), "help", &[])).await;
    assert_eq!(status, 200, "{other}");
    // A ping too, once per id.
    let ping = ping();
    assert_eq!(world.post(&ping).await.0, 200);
    assert_eq!(world.post(&ping).await.0, 401);
}
