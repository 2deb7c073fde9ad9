//! A signed interaction sent again with the same id (a replay within the timestamp's window)
//! is refused; the engine's state store remembers the ids, so replicas sharing it agree.
#![allow(clippy::unwrap_used)] // tests may panic

mod common;
#[path = "../../chatops/tests/support/redis_server.rs"]
mod redis_server;

use std::sync::Arc;

use agent_chatops::store::RedisStore;
use common::*;
use secrecy::SecretString;
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

#[tokio::test]
async fn a_replay_sent_to_another_replica_on_the_same_redis_is_refused() {
    let Some(server) = redis_server::RedisServer::start() else {
        return;
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = agent_sim::start(agent_sim::SimConfig {
        size: 50,
        ..agent_sim::SimConfig::default()
    })
    .await
    .unwrap();
    let (_fake, base) = FakeDiscord::start().await;
    let http = Arc::new(http_for(&base));
    let url = SecretString::from(server.url());
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let store = Arc::new(RedisStore::connect(&url).await.unwrap());
        replicas.push(serve_endpoint(engine_with_store(&sim, store), http.clone()).await);
    }
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let help = command(&alice(), "help", &[]);
    let (status, first) = post_signed(&client, &replicas[0], &help).await;
    assert_eq!(status, 200, "{first}");
    let (status, replayed) = post_signed(&client, &replicas[1], &help).await;
    assert_eq!(status, 401, "{replayed}");
    // The reset preview made through one replica is confirmed through the other, once.
    assert!(
        sim.snapshot(agent_sim::DEMO_TASK_ID)
            .iter()
            .any(|r| *r.status == 8)
    );
    let preview = post_signed(
        &client,
        &replicas[1],
        &command(
            &alice(),
            "reset",
            &[("task", json!("demo")), ("status", json!("busy"))],
        ),
    )
    .await
    .1;
    let press = press(&alice(), &button(&preview, "Confirm"));
    let (status, done) = post_signed(&client, &replicas[0], &press).await;
    assert_eq!(status, 200, "{done}");
    let busy = || {
        sim.snapshot(agent_sim::DEMO_TASK_ID)
            .iter()
            .filter(|r| *r.status == 8)
            .count()
    };
    assert_eq!(busy(), 0, "{done:#}");
    assert_eq!(post_signed(&client, &replicas[1], &press).await.0, 401);
}
