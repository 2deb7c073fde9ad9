//! Webhook mode: Telegram's POSTs are dispatched only with the fixed secret token.
#![allow(clippy::unwrap_used)] // tests may panic

mod support;

use support::*;

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

    // Refused requests, each with an update of its own (a /help), so that one that got through
    // would be answered, not taken for a delivery again of the update that follows.
    let refused = |id: i64| {
        let mut update = world.tg.message_update(ALICE, ALICE.id, "/help");
        update["update_id"] = serde_json::json!(id);
        update
    };
    assert_eq!(post(addr, "/tg/updates", None, &refused(101)).await, 401);
    assert_eq!(
        post(addr, "/tg/updates", Some("wrong-secret"), &refused(102)).await,
        401
    );
    assert_eq!(
        post(
            addr,
            "/tg/updates",
            Some(&WEBHOOK_SECRET[..5]),
            &refused(103)
        )
        .await,
        401
    );
    assert_eq!(
        post(addr, "/elsewhere", Some(WEBHOOK_SECRET), &refused(104)).await,
        404
    );

    let mut update = world.tg.message_update(ALICE, ALICE.id, "/numbers demo");
    update["update_id"] = serde_json::json!(1);
    assert_eq!(world.post_update(&update).await, 200);
    // The dispatcher takes updates in the order they were posted: once this one is answered, a
    // refused one that had got through would have been taken before it (and is answered by
    // the time the bot stops: the last assertion).
    let page = world.sent(ALICE.id, "Numbers of task demo").await;
    let message_id = page.response["result"]["message_id"].as_i64().unwrap();

    // Telegram delivers an update again when the webhook answered late: it is handled once
    // (the last assertion counts the messages sent).
    assert_eq!(world.post_update(&update).await, 200);

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
    assert_eq!(world.post_update(&update).await, 200);
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
    // One message: the page. No /help of a refused request, no second page.
    let sent: Vec<_> = world
        .tg
        .calls_of("sendMessage")
        .into_iter()
        .map(|c| c.body["text"].clone())
        .collect();
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert!(world.sent_so_far(ALICE.id, "what I understand").is_empty());
}
