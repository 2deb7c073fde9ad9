//! Discord: signed `/numbers` interactions posted to two interactions endpoints (HTTP mode)
//! that share one Redis, each answering in its HTTP response (or, when deferred, by editing the
//! original through a fake of Discord's REST API). A sample is replayed to the other replica
//! afterwards: every replay must be refused.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use agent_chatops::store::ns;
use agent_chatops::{Engine, StateUrl};
use agent_core::AgentClient;
use axum::extract::{Request, State};
use axum::response::IntoResponse;
use discord_bot::settings::{self, Mode, hex};
use discord_bot::{Bot, Endpoint};
use ed25519_dalek::{Signer, SigningKey};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::{LoadConfig, Outcome, Platform, USERS, chatops_toml, check_answer};

const APP_ID: u64 = 777;
const GUILD_ID: &str = "4000";
const CHANNEL_ID: &str = "5000";
const OPS_ROLE: &str = "900";

/// Edits of deferred answers that reached the fake REST API: interaction token → (when, body).
type Edits = Arc<Mutex<HashMap<String, (Instant, Value)>>>;

fn message_json() -> Value {
    json!({
        "id": "9100",
        "channel_id": CHANNEL_ID,
        "author": {"id": APP_ID.to_string(), "username": "agent-ops", "discriminator": "0", "global_name": null, "avatar": null, "bot": true},
        "content": "",
        "timestamp": "2024-01-01T00:00:00.000000+00:00",
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": false,
        "type": 0
    })
}

/// The fake REST API: records edits of original answers (`PATCH /webhooks/{app}/{token}/…`).
async fn rest(State(edits): State<Edits>, request: Request) -> axum::response::Response {
    let path = request.uri().path().to_string();
    let bytes = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    if let Some(rest) = path.strip_prefix(&format!("/api/v10/webhooks/{APP_ID}/"))
        && let Some(token) = rest.split('/').next()
    {
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        edits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(token.to_string(), (Instant::now(), body));
    }
    axum::Json(message_json()).into_response()
}

async fn serve_rest(edits: Edits) -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let app = axum::Router::new().fallback(rest).with_state(edits);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{address}"))
}

/// One replica: the real settings loader, the engine on the shared Redis, the endpoint on a
/// loopback port. Returns its URL and its engine.
async fn replica(
    env: &HashMap<&'static str, String>,
    stop: oneshot::Receiver<()>,
) -> Result<(String, Engine), String> {
    let lookup = |name: &str| env.get(name).cloned();
    let toml = chatops_toml(&format!("\"discord:role:{OPS_ROLE}\""));
    let settings = settings::load(&toml, &lookup, Mode::Http, Some("127.0.0.1:0".into()))
        .map_err(|e| e.to_string())?;
    let client = AgentClient::new(&settings.api).map_err(|e| e.to_string())?;
    let engine = Engine::open(client, settings.engine.clone(), &StateUrl::Memory)
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

/// `/numbers task:demo page:<page>` from user `user` (an operator by role), as Discord posts it.
fn interaction(id: u64, user: u64, page: usize) -> Value {
    json!({
        "id": id.to_string(),
        "application_id": APP_ID.to_string(),
        "type": 2,
        "token": format!("itok-{id}"),
        "version": 1,
        "guild_id": GUILD_ID,
        "channel_id": CHANNEL_ID,
        "member": {
            "user": {"id": user.to_string(), "username": format!("user{user}"), "discriminator": "0", "global_name": null, "avatar": null},
            "nick": null,
            "roles": [OPS_ROLE],
            "joined_at": "2020-01-01T00:00:00.000000+00:00",
            "deaf": false,
            "mute": false,
            "flags": 0
        },
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": GUILD_ID},
        "context": 0,
        "attachment_size_limit": 8_388_608,
        "data": {"id": "1", "name": "numbers", "type": 1, "options": [
            {"name": "task", "type": 3, "value": "demo"},
            {"name": "page", "type": 4, "value": page}
        ]}
    })
}

/// Posts `body` signed now by `key`; the status, the body and the time it took.
async fn post(
    client: &reqwest::Client,
    url: &str,
    key: &SigningKey,
    body: &[u8],
) -> Result<(u16, Vec<u8>, Duration), String> {
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs()
        .to_string();
    let signature = hex(&key.sign(&[timestamp.as_bytes(), body].concat()).to_bytes());
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

/// Runs `config.count` interactions against two replicas on `config.redis_url`.
pub async fn run(config: &LoadConfig, platform: &Platform) -> Result<Outcome, String> {
    let key = SigningKey::from_bytes(&[7u8; 32]);
    let edits = Edits::default();
    let rest_url = serve_rest(edits.clone()).await.map_err(|e| e.to_string())?;
    let mut env: HashMap<&'static str, String> = platform.env().into_iter().collect();
    env.extend([
        ("DISCORD_TOKEN", "load-bot-token".to_string()),
        ("DISCORD_APPLICATION_ID", APP_ID.to_string()),
        ("DISCORD_PUBLIC_KEY", hex(&key.verifying_key().to_bytes())),
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
        replicas.push(replica(&env, stopped).await?);
    }
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(config.concurrency)
        .build()
        .map_err(|e| e.to_string())?;
    let first_id = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_millis() as u64
        * 100_000;
    let body = |i: usize| {
        serde_json::to_vec(&interaction(
            first_id + i as u64,
            10_000 + i as u64 % USERS,
            i + 1,
        ))
        .unwrap_or_default()
    };

    platform.clear();
    let mut outcome = Outcome::new("discord");
    outcome.sent = config.count;
    let started = Instant::now();
    let deadline = started + config.deadline;
    let results: Vec<(usize, Sent)> = futures::stream::iter(0..config.count)
        .map(|i| {
            let (client, key, url) = (&client, &key, &replicas[i % 2].0);
            let body = body(i);
            async move {
                let sent = Instant::now();
                let result =
                    tokio::time::timeout_at(deadline.into(), post(client, url, key, &body)).await;
                let outcome = match result {
                    Err(_) => Sent::Failed(format!("page {}: no answer by the deadline", i + 1)),
                    Ok(Err(err)) => Sent::Failed(format!("page {}: {err}", i + 1)),
                    Ok(Ok((200, bytes, took))) => {
                        let answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                        match answer["type"].as_u64() {
                            Some(4) => match embed_text(&answer["data"]) {
                                Some(text) => match check_answer(&text, i + 1) {
                                    Ok(()) => Sent::Answered(took),
                                    Err(err) => Sent::Failed(err),
                                },
                                None => Sent::Failed(format!("page {}: {answer}", i + 1)),
                            },
                            Some(5) => Sent::Deferred(sent),
                            _ => Sent::Failed(format!("page {}: {answer}", i + 1)),
                        }
                    }
                    Ok(Ok((status, bytes, _))) => Sent::Failed(format!(
                        "page {}: HTTP {status} {}",
                        i + 1,
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
    let deferred: Vec<(usize, Instant)> = results
        .iter()
        .filter_map(|(i, sent)| match sent {
            Sent::Deferred(at) => Some((*i, *at)),
            _ => None,
        })
        .collect();
    while !deferred.is_empty()
        && Instant::now() < deadline
        && edits.lock().unwrap_or_else(PoisonError::into_inner).len() < deferred.len()
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    outcome.wall = started.elapsed();
    outcome.platform_requests = platform.requests();
    let edits = edits.lock().unwrap_or_else(PoisonError::into_inner).clone();
    for (i, sent) in results {
        let page = i + 1;
        match sent {
            Sent::Answered(took) => {
                outcome.answered += 1;
                outcome.timed(took, platform.took(page));
            }
            Sent::Deferred(at) => {
                outcome.deferred += 1;
                let token = format!("itok-{}", first_id + i as u64);
                match edits.get(&token) {
                    Some((when, body)) => match embed_text(body).map(|t| check_answer(&t, page)) {
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
    let missing = futures::stream::iter(0..config.count)
        .map(|i| {
            let store = store.clone();
            async move {
                let id = (first_id + i as u64).to_string();
                store
                    .insert_new(ns::DISCORD_SEEN, &id, b"", Duration::from_secs(60))
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
        match post(&client, &replicas[(i + 1) % 2].0, &key, &body(i)).await {
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
