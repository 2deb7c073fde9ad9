//! A signed interaction sent again with the same id (a replay within the timestamp's window)
//! is refused; the engine's state store remembers the ids, so replicas sharing it agree.
#![allow(clippy::unwrap_used)] // tests may panic

mod common;
#[path = "../../chatops/tests/support/probe_store.rs"]
mod probe_store;
#[path = "../../chatops/tests/support/redis_server.rs"]
mod redis_server;

use std::sync::Arc;
use std::time::Duration;

use agent_chatops::store::RedisStore;
use common::*;
use probe_store::ProbeStore;
use secrecy::SecretString;

const REPLAYED: &str = "this interaction was already received";

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
    let preview = world.answer(&on_busy(&alice(), "reset")).await;
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
    let preview = post_signed(&client, &replicas[1], &on_busy(&alice(), "reset"))
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

/// A request captured two minutes ago and sent again, the same bytes (its timestamp still within
/// the 5-minute window), is refused; the id is remembered 20 minutes, then forgotten.
#[tokio::test]
async fn a_replay_two_minutes_later_is_refused_and_ids_are_remembered_20_minutes() {
    let shift = Shift::default();
    let world = World::with(
        |sim| engine_with_clock(sim, shift.clock()),
        Duration::from_secs(300),
    )
    .await;
    // Sent two minutes ago: signed then, recorded by the store's clock of then.
    shift.set(-120);
    let captured = Signed::at(&command(&alice(), "help", &[]), unix_now() - 120);
    let (status, first) = captured.send(&world.client, &world.url).await;
    assert_eq!(status, 200, "{first}");
    shift.set(0);
    let (status, replayed) = captured.send(&world.client, &world.url).await;
    assert_eq!((status, replayed.as_str()), (401, Some(REPLAYED)));

    // The same id, signed anew (as only Discord can), 19 minutes after: still refused.
    let help = command(&alice(), "help", &[]);
    assert_eq!(post_signed(&world.client, &world.url, &help).await.0, 200);
    shift.set(19 * 60);
    let (status, again) = post_signed(&world.client, &world.url, &help).await;
    assert_eq!(
        (status, again.as_str()),
        (401, Some(REPLAYED)),
        "forgotten within 20 minutes"
    );
    // 20 minutes after, the memory ended: the id is answered as new.
    shift.set(20 * 60 + 5);
    let (status, answered) = post_signed(&world.client, &world.url, &help).await;
    assert_eq!(status, 200, "still remembered after 20 minutes: {answered}");
}

/// `max_request_age_secs = 3600` accepts a request whose timestamp is an hour old: its id must
/// be remembered past 20 minutes, or the same bytes sent again 21 minutes later are answered.
#[tokio::test]
async fn with_an_hour_window_a_replay_21_minutes_later_is_refused() {
    let shift = Shift::default();
    let world = World::with(
        |sim| engine_with_clock(sim, shift.clock()),
        Duration::from_secs(3600),
    )
    .await;
    // Sent 21 minutes ago: signed then, recorded by the store's clock of then.
    shift.set(-21 * 60);
    let captured = Signed::at(&command(&alice(), "help", &[]), unix_now() - 21 * 60);
    let (status, first) = captured.send(&world.client, &world.url).await;
    assert_eq!(status, 200, "{first}");
    shift.set(0);
    // 21 minutes on, its timestamp is within the hour: only the id tells the replay.
    let (status, replayed) = captured.send(&world.client, &world.url).await;
    assert_eq!(
        (status, replayed.as_str()),
        (401, Some(REPLAYED)),
        "a replay 21 minutes later is answered"
    );
}

/// When the store cannot record an interaction id, Discord gets 503 and the command does not
/// run (a replay could not be told); once the store is back, the same press is answered.
#[tokio::test]
async fn when_the_seen_check_fails_discord_gets_503_and_nothing_runs() {
    let store = ProbeStore::seen_check(discord_bot::endpoint::SEEN, false);
    let world = World::with(
        |sim| engine_with_store(sim, store.clone()),
        Duration::from_secs(300),
    )
    .await;
    let busy = world.count(8);
    assert!(busy > 0);
    let preview = world.answer(&on_busy(&alice(), "reset")).await;
    let press = press(&alice(), &button(&preview, "Confirm"));

    store.set_failing(true);
    let (status, answer) = post_signed(&world.client, &world.url, &press).await;
    assert_eq!(status, 503, "answered without the seen-check: {answer}");
    assert_eq!(answer, "", "no answer body");
    assert_eq!(world.count(8), busy, "the reset ran");
    assert_eq!(world.endpoint.in_flight(), 0, "a deferred job runs");
    assert!(world.fake.calls().is_empty(), "{:#?}", world.fake.calls());

    // The store is back: the press (never recorded) is answered, once.
    store.set_failing(false);
    let (status, done) = post_signed(&world.client, &world.url, &press).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(world.count(8), 0);
}
