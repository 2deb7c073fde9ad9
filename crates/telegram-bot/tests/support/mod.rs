//! A fake Telegram Bot API on loopback, and a world of the real teloxide dispatcher pointed at
//! it, with the simulator behind the engine.
#![allow(dead_code, clippy::unwrap_used)] // shared by several test files; tests may panic

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agent_chatops::Engine;
use agent_chatops::store::SharedStore;
use agent_core::AgentClient;
use agent_sim::{DEMO_TASK_ID, DEMO_USER_ID, SimConfig, SimHandle};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::any;
use serde_json::{Value, json};
use telegram_bot::settings::{self, Overrides, Settings};
use telegram_bot::{RunError, Service, make_bot};
use teloxide::adaptors::throttle::Limits;
use teloxide::dispatching::ShutdownToken;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinHandle;

/// A bot token of the real shape, to prove it never leaks.
pub const TOKEN: &str = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
/// The bot's username, as getMe reports it.
pub const BOT_NAME: &str = "agent_ops_bot";
/// The group whose members are viewers.
pub const OPS_GROUP: i64 = -100_500;
pub const WEBHOOK_SECRET: &str = "fixed-webhook_secret-42";
/// The longest a test waits for the bot.
pub const WAIT: Duration = Duration::from_secs(5);

/// A Telegram user of the tests.
#[derive(Debug, Clone, Copy)]
pub struct TgUser {
    pub id: i64,
    pub username: &'static str,
    pub first_name: &'static str,
    pub lang: &'static str,
}

/// Operator.
pub const ALICE: TgUser = TgUser {
    id: 1001,
    username: "alice",
    first_name: "Alice",
    lang: "en",
};
/// Operator too, but not the requester of Alice's resets.
pub const BOB: TgUser = TgUser {
    id: 1002,
    username: "bob",
    first_name: "Bob",
    lang: "en",
};
/// No grant at all.
pub const MALLORY: TgUser = TgUser {
    id: 1666,
    username: "mallory",
    first_name: "Mallory",
    lang: "en",
};
/// No grant of his own: a viewer only inside the ops group.
pub const VICTOR: TgUser = TgUser {
    id: 1003,
    username: "victor",
    first_name: "Victor",
    lang: "zh-hans",
};

impl TgUser {
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "is_bot": false,
            "first_name": self.first_name,
            "username": self.username,
            "language_code": self.lang,
        })
    }
}

fn chat_json(chat: i64) -> Value {
    if chat > 0 {
        json!({"id": chat, "type": "private", "first_name": "Someone"})
    } else {
        json!({"id": chat, "type": "supergroup", "title": "Ops room"})
    }
}

/// The bot's account: its id is the token's number (`123456789:…` is bot 123456789), as
/// Telegram's are, so that two bots on the fake differ.
fn bot_user(bot_segment: &str) -> Value {
    let id = bot_segment
        .strip_prefix("bot")
        .and_then(|token| token.split_once(':'))
        .and_then(|(id, _)| id.parse::<i64>().ok())
        .unwrap_or(999);
    json!({"id": id, "is_bot": true, "first_name": "Agent Ops", "username": BOT_NAME})
}

/// What Telegram answers a bot that writes to a user who blocked it.
pub fn blocked_by_the_user() -> Value {
    json!({
        "ok": false,
        "error_code": 403,
        "description": "Forbidden: bot was blocked by the user"
    })
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(1)
}

/// One Bot API call the bot made.
#[derive(Debug, Clone)]
pub struct Call {
    /// The method, lowercased (teloxide sends `SendMessage`; Telegram ignores case).
    pub method: String,
    /// The path segment before the method (`bot<TOKEN>`).
    pub bot_segment: String,
    /// The JSON body.
    pub body: Value,
    /// What the fake answered.
    pub response: Value,
    /// When.
    pub at: Instant,
}

#[derive(Default)]
struct Inner {
    calls: Vec<Call>,
    updates: Vec<Value>,
    next_update_id: i64,
    next_message_id: i64,
    next_callback_id: i64,
    /// (chat, message id) → the message as the bot last set it.
    messages: HashMap<(i64, i64), Value>,
    /// Lowercased method → error answers to give before answering normally.
    scripted: HashMap<String, VecDeque<Value>>,
    /// Chats whose user blocked the bot: whatever is sent there is refused with 403.
    blocked: HashSet<i64>,
}

#[derive(Default)]
struct Shared {
    inner: Mutex<Inner>,
    changed: tokio::sync::Notify,
}

/// The fake Bot API.
pub struct FakeTelegram {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

fn ok(result: Value) -> Value {
    json!({"ok": true, "result": result})
}

/// Telegram's answer to an edit that changes nothing.
pub fn not_modified() -> Value {
    json!({
        "ok": false,
        "error_code": 400,
        "description": "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"
    })
}

/// Telegram's flood control answer.
pub fn too_many_requests(retry_after: u64) -> Value {
    json!({
        "ok": false,
        "error_code": 429,
        "description": format!("Too Many Requests: retry after {retry_after}"),
        "parameters": {"retry_after": retry_after}
    })
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    Path((bot_segment, method)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::Json<Value> {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let body: Value = match content_type.split_once("boundary=") {
        // teloxide sends methods that may carry files (setWebhook) as multipart forms.
        Some((_, boundary)) => multipart_fields(&body, boundary.trim_matches('"')),
        None => serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    let method = method.to_ascii_lowercase();
    let response = if method == "getupdates" {
        long_poll(&shared, &body).await
    } else {
        answer(&shared, &bot_segment, &method, &body)
    };
    {
        let mut inner = shared.inner.lock().unwrap();
        inner.calls.push(Call {
            method,
            bot_segment,
            body,
            response: response.clone(),
            at: Instant::now(),
        });
    }
    shared.changed.notify_waiters();
    axum::Json(response)
}

/// The fields of a multipart form as a JSON object (values that are JSON are parsed).
fn multipart_fields(body: &[u8], boundary: &str) -> Value {
    let text = String::from_utf8_lossy(body);
    let mut fields = serde_json::Map::new();
    for part in text.split(&format!("--{boundary}")) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let Some(name) = head
            .split("name=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
        else {
            continue;
        };
        let value = value.strip_suffix("\r\n").unwrap_or(value);
        // A file part: its name, type and content (as text: the tests send CSV and check
        // only the size of pictures).
        let filename = head
            .split("filename=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next());
        let value = match filename {
            Some(filename) => json!({
                "filename": filename,
                "content_type": head
                    .lines()
                    .find_map(|l| l.strip_prefix("Content-Type: "))
                    .unwrap_or_default(),
                "content": value,
            }),
            None => {
                serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()))
            }
        };
        fields.insert(name.to_string(), value);
    }
    Value::Object(fields)
}

fn answer(shared: &Shared, bot_segment: &str, method: &str, body: &Value) -> Value {
    let mut inner = shared.inner.lock().unwrap();
    if let Some(error) = inner.scripted.get_mut(method).and_then(VecDeque::pop_front) {
        return error;
    }
    if method.starts_with("send")
        && body["chat_id"]
            .as_i64()
            .is_some_and(|chat| inner.blocked.contains(&chat))
    {
        return blocked_by_the_user();
    }
    let bot_user = || bot_user(bot_segment);
    match method {
        "getme" => {
            let mut me = bot_user();
            me["can_join_groups"] = json!(true);
            me["can_read_all_group_messages"] = json!(false);
            me["supports_inline_queries"] = json!(false);
            me["has_main_web_app"] = json!(false);
            ok(me)
        }
        "getwebhookinfo" => {
            ok(json!({"url": "", "has_custom_certificate": false, "pending_update_count": 0}))
        }
        "deletewebhook"
        | "setwebhook"
        | "setmycommands"
        | "answercallbackquery"
        | "deletemessage" => ok(json!(true)),
        "sendmessage" => {
            inner.next_message_id += 1;
            let chat = body["chat_id"].as_i64().unwrap_or_default();
            let mut message = json!({
                "message_id": inner.next_message_id,
                "date": now(),
                "chat": chat_json(chat),
                "from": bot_user(),
                "text": body["text"],
            });
            if !body["reply_markup"].is_null() {
                message["reply_markup"] = body["reply_markup"].clone();
            }
            let id = inner.next_message_id;
            inner.messages.insert((chat, id), message.clone());
            ok(message)
        }
        "senddocument" | "sendphoto" => {
            inner.next_message_id += 1;
            let chat = body["chat_id"].as_i64().unwrap_or_default();
            let kind = if method == "sendphoto" {
                "photo"
            } else {
                "document"
            };
            let file = json!({"file_id": format!("file-{}", inner.next_message_id), "file_unique_id": "u"});
            let file = if kind == "photo" {
                json!([{"file_id": file["file_id"], "file_unique_id": "u", "width": 1, "height": 1}])
            } else {
                file
            };
            ok(json!({
                "message_id": inner.next_message_id,
                "date": now(),
                "chat": chat_json(chat),
                "from": bot_user(),
                kind: file,
            }))
        }
        "editmessagetext" => {
            let chat = body["chat_id"].as_i64().unwrap_or_default();
            let id = body["message_id"].as_i64().unwrap_or_default();
            let Some(message) = inner.messages.get_mut(&(chat, id)) else {
                return json!({"ok": false, "error_code": 400, "description": "Bad Request: message to edit not found"});
            };
            if message["text"] == body["text"] && message["reply_markup"] == body["reply_markup"] {
                return not_modified();
            }
            message["text"] = body["text"].clone();
            match body.get("reply_markup") {
                Some(markup) if !markup.is_null() => message["reply_markup"] = markup.clone(),
                _ => {
                    if let Some(object) = message.as_object_mut() {
                        object.remove("reply_markup");
                    }
                }
            }
            message["edit_date"] = json!(now());
            ok(message.clone())
        }
        _ => json!({"ok": false, "error_code": 404, "description": "Not Found: method not found"}),
    }
}

/// Hands out the updates from `offset` on; without any, waits briefly (at most 250 ms, so a
/// stopping bot is not held up).
async fn long_poll(shared: &Shared, body: &Value) -> Value {
    let offset = body["offset"].as_i64().unwrap_or(0);
    let limit = body["limit"].as_u64().unwrap_or(100) as usize;
    let timeout =
        Duration::from_secs(body["timeout"].as_u64().unwrap_or(0)).min(Duration::from_millis(250));
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let notified = shared.changed.notified();
        let pending: Vec<Value> = {
            let inner = shared.inner.lock().unwrap();
            inner
                .updates
                .iter()
                .filter(|u| u["update_id"].as_i64().unwrap_or_default() >= offset)
                .take(limit)
                .cloned()
                .collect()
        };
        if !pending.is_empty() || tokio::time::Instant::now() >= deadline {
            return ok(Value::Array(pending));
        }
        let _ = tokio::time::timeout_at(deadline, notified).await;
    }
}

impl FakeTelegram {
    pub async fn start() -> Self {
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .route("/{bot}/{method}", any(handle))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            addr,
            shared,
            server,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Queues an update for getUpdates; returns its id.
    pub fn push_update(&self, mut update: Value) -> i64 {
        let id = {
            let mut inner = self.shared.inner.lock().unwrap();
            inner.next_update_id += 1;
            let id = inner.next_update_id;
            update["update_id"] = json!(id);
            inner.updates.push(update);
            id
        };
        self.shared.changed.notify_waiters();
        id
    }

    /// A user's text message as an update (not queued).
    pub fn message_update(&self, from: TgUser, chat: i64, text: &str) -> Value {
        let message_id = {
            let mut inner = self.shared.inner.lock().unwrap();
            inner.next_message_id += 1;
            inner.next_message_id
        };
        let mut message = json!({
            "message_id": message_id,
            "date": now(),
            "chat": chat_json(chat),
            "from": from.json(),
            "text": text,
        });
        if text.starts_with('/') {
            let length = text
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .encode_utf16()
                .count();
            message["entities"] = json!([{"type": "bot_command", "offset": 0, "length": length}]);
        }
        json!({"update_id": 0, "message": message})
    }

    /// A user sends a text message.
    pub fn say(&self, from: TgUser, chat: i64, text: &str) -> i64 {
        let update = self.message_update(from, chat, text);
        self.push_update(update)
    }

    /// A user presses a button with `data` on the bot's message; returns the callback query id.
    pub fn press(&self, from: TgUser, chat: i64, message_id: i64, data: &str) -> String {
        let (id, message) = {
            let mut inner = self.shared.inner.lock().unwrap();
            inner.next_callback_id += 1;
            let message = inner
                .messages
                .get(&(chat, message_id))
                .cloned()
                .unwrap_or_else(|| panic!("no message {message_id} in chat {chat}"));
            (format!("cb-{}", inner.next_callback_id), message)
        };
        self.push_update(json!({
            "update_id": 0,
            "callback_query": {
                "id": id,
                "from": from.json(),
                "message": message,
                "chat_instance": format!("ci{chat}"),
                "data": data,
            }
        }));
        id
    }

    /// The user of the private chat `chat` blocks the bot: from now on, whatever the bot sends
    /// there is refused with 403, as Telegram does.
    pub fn block(&self, chat: i64) {
        self.shared.inner.lock().unwrap().blocked.insert(chat);
    }

    /// The next answers to `method` are these errors.
    pub fn script(&self, method: &str, errors: Vec<Value>) {
        let mut inner = self.shared.inner.lock().unwrap();
        inner
            .scripted
            .entry(method.to_ascii_lowercase())
            .or_default()
            .extend(errors);
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.inner.lock().unwrap().calls.clone()
    }

    /// The calls of one method so far.
    pub fn calls_of(&self, method: &str) -> Vec<Call> {
        let method = method.to_ascii_lowercase();
        self.calls()
            .into_iter()
            .filter(|c| c.method == method)
            .collect()
    }

    /// The current state of a message the bot sent.
    pub fn message(&self, chat: i64, id: i64) -> Value {
        self.shared.inner.lock().unwrap().messages[&(chat, id)].clone()
    }

    /// Waits for a call of `method` that `matches`.
    pub async fn wait_for(&self, method: &str, matches: impl Fn(&Value) -> bool) -> Call {
        self.wait_for_call(method, |call| matches(&call.body)).await
    }

    /// Waits for a call of `method` that `matches` (its body, its bot, its answer).
    pub async fn wait_for_call(&self, method: &str, matches: impl Fn(&Call) -> bool) -> Call {
        let method = method.to_ascii_lowercase();
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(call) = self
                .calls()
                .into_iter()
                .find(|c| c.method == method && matches(c))
            {
                return call;
            }
            assert!(
                Instant::now() < deadline,
                "no {method} call as expected; calls: {:#?}",
                self.calls()
                    .iter()
                    .filter(|c| c.method != "getupdates")
                    .map(|c| (&c.method, &c.body))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits for the bot's answer to the callback query `id`.
    pub async fn answer_to(&self, id: &str) -> Value {
        self.wait_for("answerCallbackQuery", |b| b["callback_query_id"] == id)
            .await
            .body
    }
}

impl Drop for FakeTelegram {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The engine's and the bot's settings of the tests, through the real loader.
pub fn settings(
    sim: &SimHandle,
    tg: &FakeTelegram,
    extra: &[(&str, &str)],
    overrides: &Overrides,
) -> Settings {
    settings_with_audit(sim, tg, extra, overrides, None)
}

/// [`settings`] with the engine's audit log in a file.
pub fn settings_with_audit(
    sim: &SimHandle,
    tg: &FakeTelegram,
    extra: &[(&str, &str)],
    overrides: &Overrides,
    audit: Option<&std::path::Path>,
) -> Settings {
    settings_with_tables(sim, tg, extra, overrides, audit, "", "")
}

/// [`settings_with_audit`] with more lines in the config file's `[chatops]` table
/// (`export_full_phones = true`) and its `[telegram]` table (`upload_limit_bytes = 1234`).
pub fn settings_with_tables(
    sim: &SimHandle,
    tg: &FakeTelegram,
    extra: &[(&str, &str)],
    overrides: &Overrides,
    audit: Option<&std::path::Path>,
    chatops: &str,
    telegram: &str,
) -> Settings {
    let audit = audit
        .map(|path| format!("audit_log = {:?}", path.display().to_string()))
        .unwrap_or_default();
    let toml = format!(
        r#"
        [chatops]
        {audit}
        page_size = 10
        confirm_ttl_secs = 120
        operators = ["telegram:user:{alice}", "telegram:user:{bob}"]
        viewers = ["telegram:chat:{OPS_GROUP}"]
        {chatops}
        [chatops.tasks]
        demo = "{DEMO_TASK_ID}"
        [telegram]
        {telegram}
        "#,
        alice = ALICE.id,
        bob = BOB.id,
    );
    let mut env: HashMap<String, String> = [
        ("TELEGRAM_BOT_TOKEN", TOKEN.to_string()),
        ("TELEGRAM_API_URL", tg.url()),
        ("AGENT_API_BASE_URL", sim.base_url().to_string()),
        ("AGENT_API_TOKEN", sim.token().to_string()),
        ("AGENT_USER_ID", DEMO_USER_ID.to_string()),
        (
            "AGENT_OPS_ACTION_SECRET",
            "test-secret-0123456789".to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in extra {
        env.insert(k.to_string(), v.to_string());
    }
    settings::load(&toml, &|name: &str| env.get(name).cloned(), overrides).unwrap()
}

/// How a [`World`] is set up beyond the defaults.
#[derive(Default)]
pub struct Setup {
    /// Webhook mode (else long polling).
    pub webhook: bool,
    /// More lines of the config file's `[chatops]` table.
    pub chatops: &'static str,
    /// Lines of its `[telegram]` table.
    pub telegram: &'static str,
    /// The engine's state store (else one in memory on the engine's clock).
    pub store: Option<SharedStore>,
}

/// A bot running on the world's engine.
struct Running {
    stop: ShutdownToken,
    run: Option<JoinHandle<Result<(), RunError>>>,
}

/// The simulator, the fake Bot API, and the bot between them.
pub struct World {
    pub sim: SimHandle,
    pub tg: FakeTelegram,
    pub engine: Engine,
    /// Seconds added to the engine's clock (and its memory store's).
    pub clock_offset: Arc<AtomicI64>,
    /// Holds the audit log.
    pub dir: tempfile::TempDir,
    /// The settings the bot was started with.
    pub settings: Settings,
    /// The bots on the engine: the first one, and any [`World::add_bot`] started.
    bots: Vec<Running>,
    /// The webhook server's address, in webhook mode.
    pub webhook: Option<SocketAddr>,
}

async fn sim() -> SimHandle {
    agent_sim::start(SimConfig {
        size: 300,
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

/// An engine whose clock runs `offset` seconds ahead, on `store` (else on a memory store that
/// reads the same clock).
fn engine(settings: &Settings, offset: &Arc<AtomicI64>, store: Option<SharedStore>) -> Engine {
    let offset = offset.clone();
    let clock: agent_chatops::Clock = Arc::new(move || {
        jiff::Timestamp::now()
            .checked_add(jiff::SignedDuration::from_secs(
                offset.load(Ordering::SeqCst),
            ))
            .unwrap()
    });
    let mut config = settings.engine.clone();
    // Short polls of the watch scheduler in tests.
    config.watch_poll = TEST_WATCH_POLL;
    let client = AgentClient::new(&settings.api).unwrap();
    // The engine as the binary opens it: with the transport's profile.
    let store = store.unwrap_or_else(|| Arc::new(Engine::memory_store(&config, clock.clone())));
    Engine::with_store_for(
        client,
        config,
        clock,
        store,
        telegram_bot::profile(&settings.telegram),
    )
    .sweep_every(TEST_SWEEP)
}

/// How often the tests' engines poll their watches.
pub const TEST_WATCH_POLL: Duration = Duration::from_millis(50);

/// How often the tests' engines sweep expired confirmations.
pub const TEST_SWEEP: Duration = Duration::from_millis(50);

/// POSTs `body` to a webhook server as Telegram does (the secret in its header when given)
/// and returns the HTTP status.
pub async fn post(addr: SocketAddr, path: &str, secret: Option<&str>, body: &Value) -> u16 {
    let body = serde_json::to_string(body).unwrap();
    let secret = secret
        .map(|s| format!("X-Telegram-Bot-Api-Secret-Token: {s}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n{secret}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response.split_whitespace().nth(1).unwrap();
    status.parse().unwrap()
}

impl World {
    /// The bot on long polling, started (it has called getUpdates).
    pub async fn polling() -> Self {
        Self::start(Setup::default()).await
    }

    /// The bot in webhook mode on 127.0.0.1:0, started (it has called setWebhook).
    pub async fn webhook() -> Self {
        Self::start(Setup {
            webhook: true,
            ..Setup::default()
        })
        .await
    }

    /// The bot set up as `setup` says, started.
    pub async fn start(setup: Setup) -> Self {
        let sim = sim().await;
        let tg = FakeTelegram::start().await;
        let dir = tempfile::tempdir().unwrap();
        let (extra, overrides) = if setup.webhook {
            (
                vec![("TELEGRAM_WEBHOOK_SECRET", WEBHOOK_SECRET)],
                Overrides {
                    webhook_url: Some("https://bot.example.com/tg/updates".into()),
                    listen: Some("127.0.0.1:0".into()),
                    no_set_webhook: false,
                },
            )
        } else {
            (vec![], Overrides::default())
        };
        let settings = settings_with_tables(
            &sim,
            &tg,
            &extra,
            &overrides,
            Some(&dir.path().join("audit.jsonl")),
            setup.chatops,
            setup.telegram,
        );
        let clock_offset = Arc::new(AtomicI64::new(0));
        let engine = engine(&settings, &clock_offset, setup.store);
        let bot = make_bot(
            &settings.telegram.token,
            settings.telegram.api_url.as_ref(),
            Limits::default(),
        )
        .unwrap();
        let service = Service::new(bot, engine.clone(), &settings.telegram, settings.redactor());
        let stop = service.shutdown_token();
        let (run, webhook) = match settings.telegram.mode.clone() {
            telegram_bot::Mode::Polling => {
                let run = tokio::spawn(service.run_polling());
                tg.wait_for("getUpdates", |_| true).await;
                (run, None)
            }
            telegram_bot::Mode::Webhook(webhook) => {
                let tcp = tokio::net::TcpListener::bind(webhook.listen).await.unwrap();
                let addr = tcp.local_addr().unwrap();
                let run = tokio::spawn(async move { service.run_webhook(tcp, &webhook).await });
                tg.wait_for("setWebhook", |_| true).await;
                // The dispatcher runs once it has asked getMe a second time.
                let deadline = Instant::now() + WAIT;
                while tg.calls_of("getMe").len() < 2 {
                    assert!(Instant::now() < deadline, "the dispatcher did not start");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                (run, Some(addr))
            }
        };
        Self {
            sim,
            tg,
            engine,
            clock_offset,
            dir,
            settings,
            bots: vec![Running {
                stop,
                run: Some(run),
            }],
            webhook,
        }
    }

    /// Another bot (another token, so another bot id) on long polling, on the same engine and
    /// so the same state store, started (it has called getUpdates). The fake hands every bot
    /// the same updates.
    pub async fn add_bot(&mut self, token: &str) {
        let mut settings = self.settings.clone();
        settings.telegram.token = token.to_string().into();
        settings.telegram.mode = telegram_bot::Mode::Polling;
        let bot = make_bot(
            &settings.telegram.token,
            settings.telegram.api_url.as_ref(),
            Limits::default(),
        )
        .unwrap();
        let service = Service::new(
            bot,
            self.engine.clone(),
            &settings.telegram,
            settings.redactor(),
        );
        let stop = service.shutdown_token();
        let run = tokio::spawn(service.run_polling());
        let segment = format!("bot{token}");
        self.tg
            .wait_for_call("getUpdates", |c| c.bot_segment == segment)
            .await;
        self.bots.push(Running {
            stop,
            run: Some(run),
        });
    }

    /// Stops the bots the way SIGTERM does, and waits until they have finished what was in
    /// flight.
    pub async fn stop(&mut self) {
        for bot in &mut self.bots {
            let deadline = Instant::now() + WAIT;
            loop {
                match bot.stop.shutdown() {
                    Ok(done) => {
                        tokio::time::timeout(WAIT, done)
                            .await
                            .expect("shutdown took too long");
                        break;
                    }
                    Err(_) => {
                        assert!(Instant::now() < deadline, "the dispatcher never ran");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            if let Some(run) = bot.run.take() {
                tokio::time::timeout(WAIT, run)
                    .await
                    .expect("run did not return")
                    .unwrap()
                    .unwrap();
            }
        }
    }

    /// POSTs an update to the webhook server with the right secret, as Telegram does; the
    /// HTTP status.
    pub async fn post_update(&self, update: &Value) -> u16 {
        let addr = self.webhook.expect("a world in webhook mode");
        post(addr, "/tg/updates", Some(WEBHOOK_SECRET), update).await
    }

    /// Waits for the bot's message in `chat` whose text contains `needle`; returns the call
    /// (its `response["message_id"]` is the message's id).
    pub async fn sent(&self, chat: i64, needle: &str) -> Call {
        self.tg
            .wait_for("sendMessage", |b| {
                b["chat_id"] == chat && b["text"].as_str().is_some_and(|t| t.contains(needle))
            })
            .await
    }

    /// The messages sent so far to `chat`.
    pub fn messages_to(&self, chat: i64) -> Vec<Call> {
        self.tg
            .calls_of("sendMessage")
            .into_iter()
            .filter(|c| c.body["chat_id"] == chat)
            .collect()
    }

    /// The messages sent so far to `chat` whose text contains `needle`.
    pub fn sent_so_far(&self, chat: i64, needle: &str) -> Vec<Call> {
        self.messages_to(chat)
            .into_iter()
            .filter(|c| c.body["text"].as_str().is_some_and(|t| t.contains(needle)))
            .collect()
    }

    /// The events of the audit log so far.
    pub fn audit_events(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|line| {
                let record: Value = serde_json::from_str(line).unwrap();
                record["event"].as_str().unwrap().to_string()
            })
            .collect()
    }

    /// The number of the demo task's records with `status`.
    pub fn count(&self, status: i64) -> usize {
        self.sim
            .snapshot(DEMO_TASK_ID)
            .iter()
            .filter(|r| *r.status == status)
            .count()
    }
}

/// The log lines of this test's thread (a `#[tokio::test]` runs the bot's tasks on it), while
/// the guard of [`Logs::capture`] lives.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// Captures what this thread logs at debug and above, until the guard is dropped.
    pub fn capture() -> (Self, tracing::subscriber::DefaultGuard) {
        let logs = Self::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    /// The lines so far.
    pub fn lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Waits for a line that contains every one of `needles`; returns it.
    pub async fn wait_for(&self, needles: &[&str]) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(line) = self
                .lines()
                .into_iter()
                .find(|line| needles.iter().all(|n| line.contains(n)))
            {
                return line;
            }
            assert!(
                Instant::now() < deadline,
                "no log line with {needles:?}; lines: {:#?}",
                self.lines()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// The callback data of the button whose label contains `label`, from a sendMessage or
/// editMessageText body.
pub fn button(body: &Value, label: &str) -> String {
    body["reply_markup"]["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row.as_array().into_iter().flatten())
        .find(|b| b["text"].as_str().is_some_and(|t| t.contains(label)))
        .and_then(|b| b["callback_data"].as_str())
        .unwrap_or_else(|| panic!("no `{label}` button in {body:#}"))
        .to_string()
}

/// The labels of a keyboard, row by row.
pub fn keyboard(body: &Value) -> Vec<Vec<String>> {
    body["reply_markup"]["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| {
            row.as_array()
                .into_iter()
                .flatten()
                .map(|b| b["text"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .collect()
}
