//! Webhook mode: Telegram's POSTs are dispatched only with the fixed secret token.
#![allow(clippy::unwrap_used)] // tests may panic

mod support;

use std::net::SocketAddr;

use serde_json::Value;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// POSTs `body` to the webhook server and returns the HTTP status.
async fn post(addr: SocketAddr, path: &str, secret: Option<&str>, body: &Value) -> u16 {
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

#[tokio::test]
async fn webhook_requests_without_the_secret_are_rejected_and_with_it_dispatched() {
    let mut world = World::webhook().await;
    let addr = world.webhook.unwrap();

    // The webhook was registered with the fixed secret; no polling in this mode.
    let set = world.tg.wait_for("setWebhook", |_| true).await;
    assert_eq!(set.body["url"], "https://bot.example.com/tg/updates");
    assert_eq!(set.body["secret_token"], WEBHOOK_SECRET);
    assert_eq!(
        set.body["allowed_updates"],
        serde_json::json!(["message", "callback_query"])
    );
    assert!(world.tg.calls_of("getUpdates").is_empty());
    assert_eq!(world.tg.calls_of("setMyCommands").len(), 2);

    let mut update = world.tg.message_update(ALICE, ALICE.id, "/numbers demo");
    update["update_id"] = serde_json::json!(1);
    assert_eq!(post(addr, "/tg/updates", None, &update).await, 401);
    assert_eq!(
        post(addr, "/tg/updates", Some("wrong-secret"), &update).await,
        401
    );
    assert_eq!(
        post(addr, "/tg/updates", Some(&WEBHOOK_SECRET[..5]), &update).await,
        401
    );
    assert_eq!(
        post(addr, "/elsewhere", Some(WEBHOOK_SECRET), &update).await,
        404
    );

    // None of those reached the bot.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(world.tg.calls_of("sendMessage").is_empty());

    assert_eq!(
        post(addr, "/tg/updates", Some(WEBHOOK_SECRET), &update).await,
        200
    );
    let page = world.sent(ALICE.id, "Numbers of task demo").await;
    let message_id = page.response["result"]["message_id"].as_i64().unwrap();

    // Telegram delivers an update again when the webhook answered late: it is handled once
    // (the last assertion counts the messages sent).
    assert_eq!(
        post(addr, "/tg/updates", Some(WEBHOOK_SECRET), &update).await,
        200
    );

    // Button presses arrive the same way.
    let update = serde_json::json!({
        "update_id": 2,
        "callback_query": {
            "id": "cb-webhook",
            "from": ALICE.json(),
            "message": world.tg.message(ALICE.id, message_id),
            "chat_instance": "ci",
            "data": button(&page.body, "Next"),
        }
    });
    assert_eq!(
        post(addr, "/tg/updates", Some(WEBHOOK_SECRET), &update).await,
        200
    );
    world
        .tg
        .wait_for("editMessageText", |b| {
            b["text"].as_str().is_some_and(|t| t.contains("page 2/30"))
        })
        .await;
    world.tg.answer_to("cb-webhook").await;

    world.stop().await;
    // The webhook stays registered for the other replicas: never deleted on stop.
    assert!(world.tg.calls_of("deleteWebhook").is_empty());
    assert_eq!(world.tg.calls_of("sendMessage").len(), 1);
}
