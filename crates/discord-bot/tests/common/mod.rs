//! Shared test wiring: a fake Discord REST API on loopback that records every call, the
//! simulator behind the engine, the bot's HTTP endpoint on loopback, and signed requests.
#![allow(dead_code)] // each test file uses a part

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use agent_chatops::{Engine, EngineConfig};
use agent_core::{AgentClient, ApiConfig, RetryPolicy};
use agent_sim::{DEMO_TASK_ID, SimConfig, SimHandle};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use discord_bot::settings::{PublicKey, hex};
use discord_bot::{Bot, Endpoint};
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{Value, json};
use serenity::http::{Http, HttpBuilder};
use serenity::model::id::ApplicationId;

pub const APP_ID: u64 = 777;
pub const GUILD_ID: &str = "4000";
pub const CHANNEL_ID: &str = "5000";
pub const OPS_ROLE: &str = "900";

/// One call the bot made to Discord.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub path: String,
    /// The JSON body (of a multipart request: its `payload_json` part).
    pub body: Value,
    /// The files of a multipart request: (field name, file name, content).
    pub files: Vec<(String, String, Vec<u8>)>,
    /// When it arrived.
    pub at: Instant,
}

/// A multipart body's `payload_json` and files, as Discord reads them: parts split at the
/// boundary, each with its `name` (and `filename`) from Content-Disposition.
fn multipart(body: &[u8], boundary: &str) -> (Value, Vec<(String, String, Vec<u8>)>) {
    let delimiter = format!("--{boundary}");
    let mut payload = Value::Null;
    let mut files = Vec::new();
    let mut rest = body;
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
    while let Some(at) = find(rest, delimiter.as_bytes()) {
        let part = &rest[..at];
        rest = &rest[at + delimiter.len()..];
        let Some(split) = find(part, b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..split]).to_string();
        let content = part[split + 4..]
            .strip_suffix(b"\r\n")
            .unwrap_or(&part[split + 4..]);
        let attribute = |key: &str| {
            head.split(&format!("{key}=\""))
                .nth(1)
                .and_then(|v| v.split('"').next())
                .map(str::to_string)
        };
        let Some(name) = attribute("name") else {
            continue;
        };
        match attribute("filename") {
            Some(filename) => files.push((name, filename, content.to_vec())),
            None if name == "payload_json" => {
                payload = serde_json::from_slice(content).unwrap_or(Value::Null);
            }
            None => {}
        }
    }
    (payload, files)
}

/// A fake of Discord's REST API: records calls; answers edits and follow-ups with a message,
/// command registrations with an empty list, interaction callbacks and deletes with 204.
#[derive(Clone, Default)]
pub struct FakeDiscord {
    pub calls: Arc<Mutex<Vec<Call>>>,
    /// How many of the next message edits to refuse with 404 `Unknown Message`, as Discord
    /// does when an edit arrives before the deferral it edits.
    refused_edits: Arc<std::sync::atomic::AtomicUsize>,
}

pub fn message_json(id: &str) -> Value {
    json!({
        "id": id,
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

async fn record(State(fake): State<FakeDiscord>, request: Request) -> axum::response::Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let content_type = request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes = axum::body::to_bytes(request.into_body(), 64 << 20)
        .await
        .unwrap_or_default();
    let (body, files) = match content_type.split_once("boundary=") {
        Some((kind, boundary)) if kind.starts_with("multipart/form-data") => {
            multipart(&bytes, boundary.trim_matches('"'))
        }
        _ => (
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            Vec::new(),
        ),
    };
    fake.calls.lock().unwrap().push(Call {
        method: method.to_string(),
        path: path.clone(),
        body,
        files,
        at: Instant::now(),
    });
    let refuse = method == Method::PATCH
        && fake
            .refused_edits
            .fetch_update(
                std::sync::atomic::Ordering::SeqCst,
                std::sync::atomic::Ordering::SeqCst,
                |n| n.checked_sub(1),
            )
            .is_ok();
    match method {
        _ if refuse => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"message": "Unknown Message", "code": 10008})),
        )
            .into_response(),
        Method::PATCH | Method::POST if path.starts_with("/api/v10/webhooks/") => {
            axum::Json(message_json("9100")).into_response()
        }
        Method::POST if path.starts_with("/api/v10/interactions/") => {
            StatusCode::NO_CONTENT.into_response()
        }
        Method::POST if path.starts_with("/api/v10/channels/") && path.ends_with("/messages") => {
            axum::Json(message_json("9200")).into_response()
        }
        Method::DELETE => StatusCode::NO_CONTENT.into_response(),
        Method::PUT if path.ends_with("/commands") => axum::Json(json!([])).into_response(),
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"message": "404: Not Found", "code": 0})),
        )
            .into_response(),
    }
}

impl FakeDiscord {
    /// Starts the fake on loopback; returns it and its base URL.
    pub async fn start() -> (Self, String) {
        let fake = Self::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = axum::Router::new()
            .fallback(record)
            .with_state(fake.clone());
        tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        (fake, format!("http://{addr}"))
    }

    /// Refuses the next `n` message edits (404 `Unknown Message`); they are still recorded.
    pub fn refuse_edits(&self, n: usize) {
        self.refused_edits
            .store(n, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// Waits (up to `within`) for a call matching `pred`.
    pub async fn wait_for(&self, within: Duration, pred: impl Fn(&Call) -> bool) -> Option<Call> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(call) = self.calls().into_iter().find(|c| pred(c)) {
                return Some(call);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// serenity's REST client pointed at the fake.
pub fn http_for(base: &str) -> Http {
    HttpBuilder::new("fake-bot-token")
        .proxy(base)
        .ratelimiter_disabled(true)
        .application_id(ApplicationId::new(APP_ID))
        .build()
}

/// The test app's key (fixed bytes).
pub fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

pub fn unix_now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// The signature headers for `body` at `timestamp`, by `key`.
pub fn sign(key: &SigningKey, timestamp: &str, body: &[u8]) -> String {
    let message = [timestamp.as_bytes(), body].concat();
    hex(&key.sign(&message).to_bytes())
}

/// Someone in the guild.
#[derive(Debug, Clone)]
pub struct Who {
    pub id: &'static str,
    pub name: &'static str,
    pub roles: Vec<&'static str>,
    pub locale: &'static str,
}

/// An operator by user grant.
pub fn alice() -> Who {
    Who {
        id: "100",
        name: "alice",
        roles: vec![],
        locale: "en-US",
    }
}
/// An operator by role grant.
pub fn bob() -> Who {
    Who {
        id: "200",
        name: "bob",
        roles: vec![OPS_ROLE],
        locale: "en-US",
    }
}
/// A viewer.
pub fn victor() -> Who {
    Who {
        id: "300",
        name: "victor",
        roles: vec!["1"],
        locale: "en-US",
    }
}
/// Nobody.
pub fn mallory() -> Who {
    Who {
        id: "666",
        name: "mallory",
        roles: vec!["2"],
        locale: "en-US",
    }
}

fn member(who: &Who) -> Value {
    json!({
        "user": {"id": who.id, "username": who.name, "discriminator": "0", "global_name": null, "avatar": null},
        "nick": null,
        "roles": who.roles,
        "joined_at": "2020-01-01T00:00:00.000000+00:00",
        "deaf": false,
        "mute": false,
        "flags": 0
    })
}

fn envelope(kind: u8, id: u64, who: &Who) -> Value {
    json!({
        "id": id.to_string(),
        "application_id": APP_ID.to_string(),
        "type": kind,
        "token": format!("itok-{id}"),
        "version": 1,
        "guild_id": GUILD_ID,
        "channel_id": CHANNEL_ID,
        "member": member(who),
        "locale": who.locale,
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": GUILD_ID},
        "context": 0,
        "attachment_size_limit": 8_388_608
    })
}

static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(10_000);

pub fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
}

/// A slash command; `options` like `[("task", json!("demo")), ("page", json!(2))]`.
pub fn command(who: &Who, name: &str, options: &[(&str, Value)]) -> Value {
    let mut value = envelope(2, next_id(), who);
    let options: Vec<Value> = options
        .iter()
        .map(|(name, v)| {
            let kind = match v {
                Value::Bool(_) => 5,
                Value::Number(_) => 4,
                _ => 3,
            };
            json!({"name": name, "type": kind, "value": v})
        })
        .collect();
    value["data"] = json!({"id": "1", "name": name, "type": 1, "options": options});
    value
}

/// The slash command `name` on the demo task's busy numbers.
pub fn on_busy(who: &Who, name: &str) -> Value {
    command(
        who,
        name,
        &[("task", json!("demo")), ("status", json!("busy"))],
    )
}

/// An autocomplete request with `focused` being typed.
pub fn autocomplete(who: &Who, command: &str, focused: &str, typed: &str) -> Value {
    let mut value = envelope(4, next_id(), who);
    value["data"] = json!({"id": "1", "name": command, "type": 1, "options": [
        {"name": focused, "type": 3, "value": typed, "focused": true}
    ]});
    value
}

/// A button press on the bot's message.
pub fn press(who: &Who, custom_id: &str) -> Value {
    let mut value = envelope(3, next_id(), who);
    value["data"] = json!({"custom_id": custom_id, "component_type": 2});
    value["message"] = message_json("9000");
    value
}

pub fn ping() -> Value {
    json!({"id": next_id().to_string(), "application_id": APP_ID.to_string(), "type": 1, "token": "ptok", "version": 1})
}

/// The simulator, the engine on it, the bot's endpoint on loopback, the fake Discord.
pub struct World {
    pub sim: SimHandle,
    pub engine: Engine,
    pub fake: FakeDiscord,
    pub http: Arc<Http>,
    /// The endpoint served (its deferred jobs: [`Endpoint::in_flight`]).
    pub endpoint: Arc<Endpoint>,
    pub url: String,
    pub client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// The server's task: ends once stopped and its deferred jobs are done.
    served: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

pub fn engine_on(sim: &SimHandle) -> Engine {
    engine_with_clock(sim, Arc::new(jiff::Timestamp::now))
}

/// The engine on the simulator, reading the time from `clock`.
pub fn engine_with_clock(sim: &SimHandle, clock: agent_chatops::Clock) -> Engine {
    let (client, config) = client_and_config(sim, "");
    Engine::with_clock(client, config, clock)
}

/// The engine on the simulator, keeping its state in `store` (a replica's).
pub fn engine_with_store(sim: &SimHandle, store: agent_chatops::store::SharedStore) -> Engine {
    let (client, config) = client_and_config(sim, "");
    Engine::with_store(client, config, Arc::new(jiff::Timestamp::now), store)
}

/// The engine on the simulator with more `[chatops]` keys (`export_full_phones = true`).
pub fn engine_with_chatops(sim: &SimHandle, chatops: &str) -> Engine {
    let (client, config) = client_and_config(sim, chatops);
    Engine::new(client, config)
}

/// A clock `offset` seconds from the real one, moved by the test (the engine's and its store's:
/// the endpoint checks timestamps against the real clock).
#[derive(Clone, Default)]
pub struct Shift(Arc<std::sync::atomic::AtomicI64>);

impl Shift {
    /// The clock to give the engine.
    pub fn clock(&self) -> agent_chatops::Clock {
        let offset = self.0.clone();
        Arc::new(move || {
            let secs = offset.load(std::sync::atomic::Ordering::SeqCst);
            jiff::Timestamp::now() + jiff::SignedDuration::from_secs(secs)
        })
    }

    /// From now on the clock reads `secs` seconds from the real time.
    pub fn set(&self, secs: i64) {
        self.0.store(secs, std::sync::atomic::Ordering::SeqCst);
    }
}

fn client_and_config(sim: &SimHandle, chatops: &str) -> (AgentClient, EngineConfig) {
    let mut api = ApiConfig::from_lookup(sim.env()).unwrap();
    api.settings.retry = RetryPolicy {
        max_attempts: 2,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
        ..RetryPolicy::default()
    };
    let toml = format!(
        r#"
        [chatops]
        secret = "discord-test-secret-0123"
        page_size = 10
        operators = ["discord:user:100", "discord:role:{OPS_ROLE}"]
        viewers = ["discord:user:300"]
        {chatops}
        [chatops.tasks]
        demo = "{DEMO_TASK_ID}"
        "#
    );
    let config = EngineConfig::from_text(&toml).unwrap();
    (AgentClient::new(&api).unwrap(), config)
}

/// Serves a bot endpoint over `engine` on a loopback port, until the test ends; its URL.
pub async fn serve_endpoint(engine: Engine, http: Arc<Http>) -> String {
    let bot = Bot::new(engine, Duration::from_secs(2));
    let public = PublicKey(signing_key().verifying_key().to_bytes());
    let endpoint = Endpoint::new(bot, public, http, Duration::from_secs(300)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(discord_bot::serve(
        listener,
        Arc::new(endpoint),
        "/interactions",
        std::future::pending(),
    ));
    format!("http://{addr}/interactions")
}

/// Posts an interaction to `url`, signed now by the test key; the status and the body.
pub async fn post_signed(client: &reqwest::Client, url: &str, interaction: &Value) -> (u16, Value) {
    Signed::at(interaction, unix_now()).send(client, url).await
}

/// A request as Discord signs it: the body, its timestamp and signature. Sent twice, the same
/// bytes: what a replay of a captured request is.
#[derive(Debug, Clone)]
pub struct Signed {
    pub body: Vec<u8>,
    pub timestamp: String,
    pub signature: String,
}

impl Signed {
    /// `interaction` signed by the test key with the timestamp `unix` (seconds).
    pub fn at(interaction: &Value, unix: i64) -> Self {
        let body = serde_json::to_vec(interaction).unwrap();
        let timestamp = unix.to_string();
        let signature = sign(&signing_key(), &timestamp, &body);
        Self {
            body,
            timestamp,
            signature,
        }
    }

    /// Posts it to `url`; the status and the body (JSON, or the text as a JSON string).
    pub async fn send(&self, client: &reqwest::Client, url: &str) -> (u16, Value) {
        let response = client
            .post(url)
            .header("X-Signature-Ed25519", &self.signature)
            .header("X-Signature-Timestamp", &self.timestamp)
            .header("Content-Type", "application/json")
            .body(self.body.clone())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

impl World {
    pub async fn new() -> Self {
        Self::with(engine_on, Duration::from_secs(300)).await
    }

    /// A world whose engine `engine` makes on the simulator, whose endpoint accepts timestamps
    /// `max_age` from now.
    pub async fn with(engine: impl FnOnce(&SimHandle) -> Engine, max_age: Duration) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sim = agent_sim::start(SimConfig {
            size: 300,
            ..SimConfig::default()
        })
        .await
        .unwrap();
        let engine = engine(&sim);
        let (fake, base) = FakeDiscord::start().await;
        let http = Arc::new(http_for(&base));
        let bot = Bot::new(engine.clone(), Duration::from_secs(2));
        let public = PublicKey(signing_key().verifying_key().to_bytes());
        let endpoint = Arc::new(Endpoint::new(bot, public, http.clone(), max_age).unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(discord_bot::serve(
            listener,
            endpoint.clone(),
            "/interactions",
            async move {
                let _ = stopped.await;
            },
        ));
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        Self {
            sim,
            engine,
            fake,
            http,
            endpoint,
            url: format!("http://{addr}/interactions"),
            client,
            stop: Some(stop),
            served: Some(served),
        }
    }

    /// Stops the server as SIGTERM does and waits (at most `within`, a hang detector) until
    /// `serve` returned: it stopped accepting and its deferred jobs finished.
    pub async fn stop(&mut self, within: Duration) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let served = self.served.take().expect("stopped once");
        tokio::time::timeout(within, served)
            .await
            .unwrap_or_else(|_| panic!("serve did not return within {within:?} of the stop"))
            .unwrap()
    }

    /// Posts raw bytes with the given headers; returns the status and the body text.
    pub async fn post_raw(&self, body: Vec<u8>, headers: &[(&str, String)]) -> (u16, String) {
        let mut request = self.client.post(&self.url).body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// Posts an interaction signed now by the test key; returns the status, the JSON answer, and
    /// how long the answer took.
    pub async fn post(&self, interaction: &Value) -> (u16, Value, Duration) {
        let body = serde_json::to_vec(interaction).unwrap();
        let timestamp = unix_now().to_string();
        let signature = sign(&signing_key(), &timestamp, &body);
        let started = Instant::now();
        let (status, text) = self
            .post_raw(
                body,
                &[
                    ("X-Signature-Ed25519", signature),
                    ("X-Signature-Timestamp", timestamp),
                    ("Content-Type", "application/json".to_string()),
                ],
            )
            .await;
        let elapsed = started.elapsed();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
            elapsed,
        )
    }

    /// Posts and expects HTTP 200.
    pub async fn answer(&self, interaction: &Value) -> Value {
        let (status, body, _) = self.post(interaction).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// How many numbers of the demo task have this status code.
    pub fn count(&self, code: i64) -> usize {
        self.sim
            .snapshot(DEMO_TASK_ID)
            .iter()
            .filter(|r| *r.status == code)
            .count()
    }
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The custom id of the button whose label contains `label`.
pub fn button(answer: &Value, label: &str) -> String {
    answer["data"]["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .find(|b| b["label"].as_str().is_some_and(|l| l.contains(label)))
        .and_then(|b| b["custom_id"].as_str().map(ToString::to_string))
        .unwrap_or_else(|| panic!("no `{label}` button in {answer:#}"))
}

/// The embed of an answer's data.
pub fn embed(data: &Value) -> &Value {
    &data["embeds"][0]
}

/// Whether an answer's data is ephemeral.
pub fn ephemeral(data: &Value) -> bool {
    data["flags"].as_u64().is_some_and(|f| f & 64 != 0)
}
