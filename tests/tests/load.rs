//! The load test at a small size in every test run (the full one is `cargo bench -p
//! agent-ops-tests --bench load`): two replicas of each bot on one real Redis, requests 50 at
//! once; every request answered with its page, once; every replay or redelivery refused; one
//! platform request each; and the timings add up.
#![allow(clippy::unwrap_used)] // tests may panic

use std::time::Duration;

use agent_ops_tests::load::{self, LoadConfig, Outcome, PAGE_SIZE, Platform};

#[path = "../../crates/chatops/tests/support/redis_server.rs"]
#[allow(dead_code)]
mod redis_server;

const COUNT: usize = 400;

fn config(redis: &redis_server::RedisServer) -> LoadConfig {
    LoadConfig {
        count: COUNT,
        concurrency: 50,
        redis_url: redis.url(),
        // A guard against a hang, not a time target: a busy CI machine may be slow, and
        // what this test checks is that every request is answered right, once.
        deadline: Duration::from_secs(600),
        redeliver_every: 10,
        api_concurrency: None,
    }
}

fn assert_clean(outcome: &Outcome, latency: Duration) {
    assert!(outcome.clean(), "{outcome}");
    assert_eq!(outcome.answered, COUNT, "{outcome}");
    assert_eq!(
        outcome.redelivered,
        COUNT.div_ceil(if outcome.transport == "discord" {
            100
        } else {
            10
        })
    );
    assert_eq!(outcome.bot.len(), COUNT);
    for ((whole, platform), bot) in outcome
        .whole
        .iter()
        .zip(&outcome.platform)
        .zip(&outcome.bot)
    {
        // The platform's share is its latency at least, and the bot's the rest.
        assert!(*platform >= latency, "{outcome}");
        assert_eq!(*whole, *platform + *bot, "{outcome}");
    }
}

#[test]
fn two_replicas_on_one_redis_answer_every_request_once() {
    let Some(redis) = redis_server::RedisServer::start() else {
        return;
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let latency = Duration::from_millis(5);
    let platform = Platform::start(COUNT * PAGE_SIZE, latency).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = config(&redis);
    let discord = runtime.block_on(load::discord(&config, &platform)).unwrap();
    println!("{discord}");
    assert_clean(&discord, latency);
    let telegram = runtime
        .block_on(load::telegram(&config, &platform))
        .unwrap();
    println!("{telegram}");
    assert_clean(&telegram, latency);
}
