//! Discord: signed `/numbers` interactions posted to two interactions endpoints (HTTP mode)
//! that share one Redis, each answering in its HTTP response (or, when deferred, by editing the
//! original through a fake of Discord's REST API). A sample is replayed to the other replica
//! afterwards: every replay must be refused.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use agent_chatops::{Engine, StateUrl};
use agent_core::AgentClient;
use discord_bot::settings::{self, Mode, hex};
use discord_bot::{Bot, Endpoint};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::{LoadConfig, Outcome, Platform, USERS, check_answer, config_toml};

// The Discord tests' fakes and signing (the fake REST API records every call).
#[path = "../../../crates/discord-bot/tests/common/mod.rs"]
#[allow(clippy::unwrap_used, unreachable_pub)]
mod common;

use common::{APP_ID, FakeDiscord, GUILD_ID, OPS_ROLE, bob, command, sign, signing_key, unix_now};

/// One replica: the real settings loader, the engine on the shared Redis, the endpoint on a
/// loopback port. Returns its URL and its engine.
async fn replica(
    config: &LoadConfig,
    env: &HashMap<&'static str, String>,
    stop: oneshot::Receiver<()>,
) -> Result<(String, Engine), String> {
    let lookup = |name: &str| env.get(name).cloned();
    let toml = config_toml(config, &format!("\"discord:role:{OPS_ROLE}\""));
    let settings = settings::load(&toml, &lookup, Mode::Http, Some("127.0.0.1:0".into()))
        .map_err(|e| e.to_string())?;
    let client = AgentClient::new(&settings.api).map_err(|e| e.to_string())?;
    let engine = Engine::open_for(
        client,
        settings.engine.clone(),
        &StateUrl::Memory,
        discord_bot::profile(&settings.discord),
    )
    .await
    .map_err(|e| e.to_string())?;
    let discord = &settings.discord;
    let bot = Bot::new(engine.clone(), discord.defer_after);
    let http = Arc::new(discord_bot::rest_client(discord));
    let key = discord.public_key.ok_or("no public key")?;
    let endpoint =
        Endpoint::new(bot, key, http, discord.max_request_age).map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let path = discord.path.clone();
    let url = format!("http://{address}{path}");
    tokio::spawn(async move {
        let stop = async move {
            let _ = stop.await;
        };
        discord_bot::serve(listener, Arc::new(endpoint), &path, stop).await
    });
    Ok((url, engine))
}

/// `/numbers task:demo page:<page>` from user `user` (an operator by role), as Discord posts
/// it: its id and its bytes.
fn interaction(user: u64, page: usize) -> (String, Vec<u8>) {
    let mut value = command(
        &bob(),
        "numbers",
        &[("task", json!("demo")), ("page", json!(page))],
    );
    value["member"]["user"]["id"] = json!(user.to_string());
    let id = value["id"].as_str().unwrap_or_default().to_string();
    (id, serde_json::to_vec(&value).unwrap_or_default())
}

/// Posts `body` signed now by the test key; the status, the body and the time it took.
async fn post(
    client: &reqwest::Client,
    url: &str,
    body: &[u8],
) -> Result<(u16, Vec<u8>, Duration), String> {
    let timestamp = unix_now().to_string();
    let signature = sign(&signing_key(), &timestamp, body);
    let started = Instant::now();
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("x-signature-ed25519", signature)
        .header("x-signature-timestamp", timestamp)
        .body(body.to_vec())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let bytes = response.bytes().await.map_err(|e| e.to_string())?;
    Ok((status, bytes.to_vec(), started.elapsed()))
}

/// The text of an answer's first embed (title, description, footer), or `None` if it has none.
fn embed_text(data: &Value) -> Option<String> {
    let embed = data["embeds"].get(0)?;
    Some(format!(
        "{}\n{}\n{}",
        embed["title"].as_str().unwrap_or_default(),
        embed["description"].as_str().unwrap_or_default(),
        embed["footer"]["text"].as_str().unwrap_or_default()
    ))
}

enum Sent {
    Answered(Duration),
    Deferred(Instant),
    Failed(String),
}

/// The edit of a deferred answer (`PATCH /webhooks/{app}/{token}/messages/@original`) that
/// reached the fake REST API for the interaction `id`: when, and its body.
fn edit_for(fake: &FakeDiscord, id: &str) -> Option<(Instant, Value)> {
    let path = format!("/api/v10/webhooks/{APP_ID}/itok-{id}/");
    fake.calls()
        .into_iter()
        .find(|call| call.method == "PATCH" && call.path.starts_with(&path))
        .map(|call| (call.at, call.body))
}

/// Runs `config.count` interactions against two replicas on `config.redis_url`.
pub async fn run(config: &LoadConfig, platform: &Platform) -> Result<Outcome, String> {
    let (fake, rest_url) = FakeDiscord::start().await;
    let mut env: HashMap<&'static str, String> = platform.env().into_iter().collect();
    env.extend([
        ("DISCORD_TOKEN", "load-bot-token".to_string()),
        ("DISCORD_APPLICATION_ID", APP_ID.to_string()),
        (
            "DISCORD_PUBLIC_KEY",
            hex(&signing_key().verifying_key().to_bytes()),
        ),
        ("DISCORD_GUILD_ID", GUILD_ID.to_string()),
        ("DISCORD_API_URL", rest_url),
        (
            "AGENT_OPS_ACTION_SECRET",
            "load-test-secret-0123456789".into(),
        ),
        ("AGENT_OPS_STATE_URL", config.redis_url.clone()),
    ]);
    let mut stops = Vec::new();
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let (stop, stopped) = oneshot::channel();
        stops.push(stop);
        replicas.push(replica(config, &env, stopped).await?);
    }
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(config.concurrency)
        .build()
        .map_err(|e| e.to_string())?;
    // The requests, made up front: (id, bytes), page i + 1 from the i-th user in turn.
    let requests: Vec<(String, Vec<u8>)> = (0..config.count)
        .map(|i| interaction(10_000 + i as u64 % USERS, i + 1))
        .collect();

    platform.clear();
    let mut outcome = Outcome::new("discord");
    outcome.sent = config.count;
    let started = Instant::now();
    let deadline = started + config.deadline;
    let results: Vec<(usize, Sent)> = futures::stream::iter(0..config.count)
        .map(|i| {
            let (client, url, body) = (&client, &replicas[i % 2].0, &requests[i].1);
            async move {
                let sent = Instant::now();
                let result =
                    tokio::time::timeout_at(deadline.into(), post(client, url, body)).await;
                let page = i + 1;
                let outcome = match result {
                    Err(_) => Sent::Failed(format!("page {page}: no answer by the deadline")),
                    Ok(Err(err)) => Sent::Failed(format!("page {page}: {err}")),
                    Ok(Ok((200, bytes, took))) => {
                        let answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                        match answer["type"].as_u64() {
                            Some(4) => match embed_text(&answer["data"]) {
                                Some(text) => match check_answer(&text, page) {
                                    Ok(()) => Sent::Answered(took),
                                    Err(err) => Sent::Failed(err),
                                },
                                None => Sent::Failed(format!("page {page}: {answer}")),
                            },
                            Some(5) => Sent::Deferred(sent),
                            _ => Sent::Failed(format!("page {page}: {answer}")),
                        }
                    }
                    Ok(Ok((status, bytes, _))) => Sent::Failed(format!(
                        "page {page}: HTTP {status} {}",
                        String::from_utf8_lossy(&bytes)
                    )),
                };
                (i, outcome)
            }
        })
        .buffer_unordered(config.concurrency)
        .collect()
        .await;

    // Deferred answers arrive as edits of the original answer.
    let deferred: Vec<usize> = results
        .iter()
        .filter_map(|(i, sent)| matches!(sent, Sent::Deferred(_)).then_some(*i))
        .collect();
    while Instant::now() < deadline
        && deferred
            .iter()
            .any(|i| edit_for(&fake, &requests[*i].0).is_none())
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    outcome.wall = started.elapsed();
    outcome.platform_requests = platform.requests();
    for (i, sent) in results {
        let page = i + 1;
        match sent {
            Sent::Answered(took) => {
                outcome.answered += 1;
                outcome.timed(took, platform.took(page));
            }
            Sent::Deferred(at) => {
                outcome.deferred += 1;
                match edit_for(&fake, &requests[i].0) {
                    Some((when, body)) => match embed_text(&body).map(|t| check_answer(&t, page)) {
                        Some(Ok(())) => {
                            outcome.answered += 1;
                            outcome.timed(when.duration_since(at), platform.took(page));
                        }
                        Some(Err(err)) => outcome.error(err),
                        None => outcome.error(format!("page {page}: deferred edit {body}")),
                    },
                    None => outcome.lost += 1,
                }
            }
            Sent::Failed(reason) => outcome.error(reason),
        }
    }

    // Every id is in the shared store (whichever replica took it), and a replay of every
    // hundredth interaction to the other replica is refused.
    let store = replicas[0].1.store().clone();
    let missing = futures::stream::iter(&requests)
        .map(|(id, _)| {
            let store = store.clone();
            async move {
                store
                    .insert_new(
                        discord_bot::endpoint::SEEN,
                        id,
                        b"",
                        Duration::from_secs(60),
                    )
                    .await
                    .unwrap_or(true)
            }
        })
        .buffer_unordered(config.concurrency)
        .filter(|fresh| std::future::ready(*fresh))
        .count()
        .await;
    if missing > 0 {
        outcome.error(format!(
            "{missing} interaction ids are not in the shared store"
        ));
    }
    for i in (0..config.count).step_by(100) {
        outcome.redelivered += 1;
        match post(&client, &replicas[(i + 1) % 2].0, &requests[i].1).await {
            Ok((401, _, _)) => outcome.refused += 1,
            Ok((status, bytes, _)) => outcome.error(format!(
                "replay of page {}: HTTP {status} {}",
                i + 1,
                String::from_utf8_lossy(&bytes)
            )),
            Err(err) => outcome.error(format!("replay of page {}: {err}", i + 1)),
        }
    }
    for stop in stops {
        let _ = stop.send(());
    }
    for (_, engine) in &replicas {
        engine.shutdown().await;
    }
    Ok(outcome)
}
