//! Telegram: `/numbers` messages as webhook updates posted to two replicas in webhook mode that
//! share one Redis; each answers by `sendMessage` to a fake Bot API, which notes when each page
//! arrived. Every `redeliver_every`-th update is delivered again to the other replica, as
//! Telegram does after a late answer: it must be answered once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use agent_chatops::{Engine, StateUrl};
use agent_core::AgentClient;
use axum::body::Bytes;
use axum::extract::{Path, State};
use futures::StreamExt;
use serde_json::{Value, json};
use telegram_bot::settings::{self, Overrides};
use telegram_bot::{Mode, Service, make_bot};
use teloxide::adaptors::throttle::Limits;
use teloxide::dispatching::ShutdownToken;

use super::{LoadConfig, Outcome, Platform, USERS, check_answer, config_toml, page_of};

const TOKEN: &str = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
const SECRET: &str = "load-webhook-secret";
const OPS_GROUP: i64 = -100_500;
const PATH: &str = "/tg/updates";

#[derive(Default)]
struct Fake {
    /// (when, text) of each sendMessage, by the page it shows.
    pages: HashMap<usize, Vec<(Instant, String)>>,
    /// Texts of sendMessage that show no page.
    other: Vec<String>,
    get_me: usize,
    next_message_id: i64,
}

#[derive(Default)]
struct Inner {
    fake: Mutex<Fake>,
    /// Wakes the requests waiting for their answer.
    sent: tokio::sync::Notify,
}

type Shared = Arc<Inner>;

/// A request as sent: when, and when its answer arrived (or why it could not be sent).
type Posted = Result<(Instant, Option<Instant>), String>;

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, Fake> {
        self.fake.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until `page` was sent (or `deadline`); when it was, first.
    async fn answer(&self, page: usize, deadline: Instant) -> Option<Instant> {
        loop {
            let notified = self.sent.notified();
            if let Some((at, _)) = self.lock().pages.get(&page).and_then(|sent| sent.first()) {
                return Some(*at);
            }
            if tokio::time::timeout_at(deadline.into(), notified)
                .await
                .is_err()
            {
                return None;
            }
        }
    }
}

fn bot_user() -> Value {
    json!({"id": 999, "is_bot": true, "first_name": "Agent Ops", "username": "agent_ops_bot"})
}

/// The fake Bot API: getMe, sendMessage (noted), and `true` for anything else (setWebhook,
/// setMyCommands).
async fn bot_api(
    State(fake): State<Shared>,
    Path((_, method)): Path<(String, String)>,
    body: Bytes,
) -> axum::Json<Value> {
    let now = Instant::now();
    let method = method.to_ascii_lowercase();
    let shared = fake;
    let mut fake = shared.lock();
    let result = match method.as_str() {
        "getme" => {
            fake.get_me += 1;
            let mut me = bot_user();
            me["can_join_groups"] = json!(true);
            me["can_read_all_group_messages"] = json!(false);
            me["supports_inline_queries"] = json!(false);
            me["has_main_web_app"] = json!(false);
            me
        }
        "sendmessage" => {
            let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let text = body["text"].as_str().unwrap_or_default().to_string();
            match page_of(&text) {
                Some(page) => fake
                    .pages
                    .entry(page)
                    .or_default()
                    .push((now, text.clone())),
                None => fake.other.push(text.clone()),
            }
            shared.sent.notify_waiters();
            fake.next_message_id += 1;
            json!({
                "message_id": fake.next_message_id,
                "date": 1_700_000_000,
                "chat": {"id": body["chat_id"], "type": "supergroup", "title": "Ops room"},
                "from": bot_user(),
                "text": text,
            })
        }
        _ => json!(true),
    };
    axum::Json(json!({"ok": true, "result": result}))
}

async fn serve_bot_api(fake: Shared) -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let app = axum::Router::new()
        .route("/{bot}/{method}", axum::routing::post(bot_api))
        .with_state(fake);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{address}/"))
}

/// One replica in webhook mode: the real settings loader, the engine on the shared Redis, the
/// webhook server on a loopback port. Returns the webhook URL, its stop token and its engine.
async fn replica(
    config: &LoadConfig,
    env: &HashMap<&'static str, String>,
) -> Result<(String, ShutdownToken, Engine), String> {
    let lookup = |name: &str| env.get(name).cloned();
    let toml = config_toml(config, &format!("\"telegram:chat:{OPS_GROUP}\""));
    let overrides = Overrides {
        webhook_url: Some(format!("https://bot.example.com{PATH}")),
        listen: Some("127.0.0.1:0".into()),
        no_set_webhook: false,
    };
    let settings = settings::load(&toml, &lookup, &overrides).map_err(|e| e.to_string())?;
    let client = AgentClient::new(&settings.api).map_err(|e| e.to_string())?;
    let engine = Engine::open_for(
        client,
        settings.engine.clone(),
        &StateUrl::Memory,
        telegram_bot::profile(&settings.telegram),
    )
    .await
    .map_err(|e| e.to_string())?;
    // Telegram's own send limits (20 messages a minute in a group) would make this a test of
    // teloxide's throttle: they are lifted, so what is measured is the bot.
    let limits = Limits {
        messages_per_sec_chat: 1_000_000,
        messages_per_min_chat: 1_000_000,
        messages_per_min_channel_or_supergroup: 1_000_000,
        messages_per_sec_overall: 1_000_000,
    };
    let bot = make_bot(
        &settings.telegram.token,
        settings.telegram.api_url.as_ref(),
        limits,
    )
    .map_err(|e| e.to_string())?;
    let service = Service::new(bot, engine.clone(), &settings.telegram, settings.redactor());
    let stop = service.shutdown_token();
    let Mode::Webhook(webhook) = settings.telegram.mode.clone() else {
        return Err("not in webhook mode".into());
    };
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let address = tcp.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(async move { service.run_webhook(tcp, &webhook).await });
    Ok((format!("http://{address}{PATH}"), stop, engine))
}

/// A user's `/numbers demo page:<page>` in the ops group, as update `id`.
fn update(id: i64, user: u64, page: usize) -> Value {
    let text = format!("/numbers demo page:{page}");
    json!({
        "update_id": id,
        "message": {
            "message_id": id,
            "date": 1_700_000_000,
            "chat": {"id": OPS_GROUP, "type": "supergroup", "title": "Ops room"},
            "from": {"id": user, "is_bot": false, "first_name": "Operator", "username": format!("op{user}"), "language_code": "en"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": 8}]
        }
    })
}

async fn post(client: &reqwest::Client, url: &str, body: &Value) -> Result<u16, String> {
    let response = client
        .post(url)
        .header("x-telegram-bot-api-secret-token", SECRET)
        .json(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    Ok(response.status().as_u16())
}

/// Runs `config.count` updates against two webhook replicas on `config.redis_url`.
pub async fn run(config: &LoadConfig, platform: &Platform) -> Result<Outcome, String> {
    let fake = Shared::default();
    let api_url = serve_bot_api(fake.clone())
        .await
        .map_err(|e| e.to_string())?;
    let mut env: HashMap<&'static str, String> = platform.env().into_iter().collect();
    env.extend([
        ("TELEGRAM_BOT_TOKEN", TOKEN.to_string()),
        ("TELEGRAM_API_URL", api_url),
        ("TELEGRAM_WEBHOOK_SECRET", SECRET.to_string()),
        (
            "AGENT_OPS_ACTION_SECRET",
            "load-test-secret-0123456789".into(),
        ),
        ("AGENT_OPS_STATE_URL", config.redis_url.clone()),
    ]);
    let mut replicas = Vec::new();
    for _ in 0..2 {
        replicas.push(replica(config, &env).await?);
    }
    // Each replica's dispatcher runs once it has asked getMe a second time.
    let ready_by = Instant::now() + Duration::from_secs(10);
    while fake.lock().get_me < 4 {
        if Instant::now() > ready_by {
            return Err("the Telegram replicas did not start".into());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(config.concurrency)
        .build()
        .map_err(|e| e.to_string())?;

    platform.clear();
    let mut outcome = Outcome::new("telegram");
    outcome.sent = config.count;
    let started = Instant::now();
    let deadline = started + config.deadline;
    let redeliver =
        |i: usize| config.redeliver_every > 0 && i.is_multiple_of(config.redeliver_every);
    // A request is in flight from its POST until its answer arrives: at most `concurrency`.
    let posted: Vec<(usize, Posted)> = futures::stream::iter(0..config.count)
        .map(|i| {
            let (client, fake) = (&client, &fake);
            let (first, other) = (&replicas[i % 2].0, &replicas[(i + 1) % 2].0);
            let body = update(i as i64 + 1, 20_000 + i as u64 % USERS, i + 1);
            async move {
                let at = Instant::now();
                let result = match post(client, first, &body).await {
                    Ok(200) => Ok(at),
                    Ok(status) => Err(format!("page {}: HTTP {status}", i + 1)),
                    Err(err) => Err(format!("page {}: {err}", i + 1)),
                };
                // Delivered again to the other replica.
                let result = match result {
                    Ok(at) if redeliver(i) => match post(client, other, &body).await {
                        Ok(200) => Ok(at),
                        Ok(status) => Err(format!("redelivery of page {}: HTTP {status}", i + 1)),
                        Err(err) => Err(format!("redelivery of page {}: {err}", i + 1)),
                    },
                    other => other,
                };
                let result = match result {
                    Ok(at) => Ok((at, fake.answer(i + 1, deadline).await)),
                    Err(err) => Err(err),
                };
                (i, result)
            }
        })
        .buffer_unordered(config.concurrency)
        .collect()
        .await;
    outcome.wall = started.elapsed();
    // A moment for any second answer, then the replicas finish what they hold.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (_, stop, _) in &replicas {
        if let Ok(done) = stop.shutdown() {
            let _ = tokio::time::timeout(Duration::from_secs(10), done).await;
        }
    }
    outcome.platform_requests = platform.requests();
    {
        let fake = fake.lock();
        if let Some(text) = fake.other.first() {
            outcome.error(format!(
                "{} messages without a page, e.g. {text:?}",
                fake.other.len()
            ));
        }
        for (i, posted) in posted {
            let page = i + 1;
            if redeliver(i) {
                outcome.redelivered += 1;
            }
            let (at, answered) = match posted {
                Ok(times) => times,
                Err(reason) => {
                    outcome.error(reason);
                    continue;
                }
            };
            match (answered, fake.pages.get(&page).map(Vec::as_slice)) {
                (Some(when), Some([(_, text), rest @ ..])) => {
                    if redeliver(i) && rest.is_empty() {
                        outcome.refused += 1;
                    }
                    outcome.duplicates += rest.len();
                    match check_answer(text, page) {
                        Ok(()) => {
                            outcome.answered += 1;
                            outcome.timed(when.duration_since(at), platform.took(page));
                        }
                        Err(err) => outcome.error(err),
                    }
                }
                _ => outcome.lost += 1,
            }
        }
    }
    for (_, _, engine) in &replicas {
        engine.shutdown().await;
    }
    Ok(outcome)
}
