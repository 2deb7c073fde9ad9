//! Each update handled once: Telegram delivers an update again (a webhook that answered late, a
//! restart of long polling), so the bot remembers `<bot id>:<update id>` in the engine's state
//! store for 24 hours, Telegram's own keeping time. If the store fails, the update is handled
//! anyway, with a log line: a lost command is worse than a duplicate.
#![allow(clippy::unwrap_used)] // tests may panic

#[path = "../../chatops/tests/support/probe_store.rs"]
mod probe_store;
mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use probe_store::ProbeStore;
use serde_json::json;
use support::*;

const HOUR: i64 = 60 * 60;
const HELP: &str = "agent-ops: what I understand";
const IGNORED: &str = "an update delivered again: ignored";

/// Alice's `/help` in her private chat, as update `id`.
fn help_update(world: &World, id: i64) -> serde_json::Value {
    let mut update = world.tg.message_update(ALICE, ALICE.id, "/help");
    update["update_id"] = json!(id);
    update
}

#[tokio::test]
async fn an_update_delivered_again_within_24_hours_is_handled_once_and_forgotten_after() {
    let (logs, _guard) = Logs::capture();
    let mut world = World::webhook().await;
    let update = help_update(&world, 7);
    assert_eq!(world.post_update(&update).await, 200);
    world.sent(ALICE.id, HELP).await;

    // 23 hours later (Telegram keeps an update it could not deliver for up to 24): still known.
    world.clock_offset.store(23 * HOUR, Ordering::SeqCst);
    assert_eq!(world.post_update(&update).await, 200);
    logs.wait_for(&[IGNORED, "update=7"]).await;
    assert_eq!(world.sent_so_far(ALICE.id, HELP).len(), 1, "answered twice");

    // Past 24 hours (and a minute), the id is forgotten: the store does not grow for ever.
    world.clock_offset.store(24 * HOUR + 60, Ordering::SeqCst);
    assert_eq!(world.post_update(&update).await, 200);
    let deadline = std::time::Instant::now() + WAIT;
    while world.sent_so_far(ALICE.id, HELP).len() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the update is still remembered after 24 hours"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    world.stop().await;
    assert_eq!(world.sent_so_far(ALICE.id, HELP).len(), 2);
    let ignored = logs
        .lines()
        .into_iter()
        .filter(|l| l.contains(IGNORED))
        .count();
    assert_eq!(ignored, 1, "{:#?}", logs.lines());
}

/// Update ids are a bot's own: two bots (two tokens) on one state store may both receive an
/// update 1, and each handles its own.
#[tokio::test]
async fn two_bots_on_one_store_each_handle_their_update_of_the_same_id() {
    const OTHER_TOKEN: &str = "987654321:BBotherTokenOfTheSecondBot-0123456";
    let mut world = World::polling().await;
    world.add_bot(OTHER_TOKEN).await;
    // The fake hands both bots the same update (the same id).
    world.tg.say(ALICE, ALICE.id, "/help");
    for token in [TOKEN, OTHER_TOKEN] {
        let segment = format!("bot{token}");
        world
            .tg
            .wait_for_call("sendMessage", |c| {
                c.bot_segment == segment
                    && c.body["chat_id"] == ALICE.id
                    && c.body["text"].as_str().is_some_and(|t| t.contains(HELP))
            })
            .await;
    }
    world.stop().await;
    assert_eq!(
        world.sent_so_far(ALICE.id, HELP).len(),
        2,
        "once by each bot"
    );
}

/// The documented policy when the seen-check fails: the update is handled anyway (a lost
/// command is worse than a duplicate), and the failure is logged. So an update delivered twice
/// while the store is down is answered twice.
#[tokio::test]
async fn when_the_seen_check_fails_the_update_is_handled_anyway_with_a_log_line() {
    let (logs, _guard) = Logs::capture();
    // Telegram updates' seen-check fails throughout.
    let store = ProbeStore::seen_check(telegram_bot::handlers::SEEN, true);
    let mut world = World::start(Setup {
        webhook: true,
        store: Some(store.clone()),
        ..Setup::default()
    })
    .await;
    let update = help_update(&world, 9);
    assert_eq!(world.post_update(&update).await, 200);
    world.sent(ALICE.id, HELP).await;
    assert_eq!(store.failed(), 1, "one seen-check");
    let line = logs
        .wait_for(&["cannot record an update id; handling it anyway", "update=9"])
        .await;
    assert!(line.contains("ERROR"), "{line}");
    assert!(line.contains("connection refused"), "{line}");

    // Delivered again while the store is down: it cannot be told from a new one; answered.
    assert_eq!(world.post_update(&update).await, 200);
    let deadline = std::time::Instant::now() + WAIT;
    while world.sent_so_far(ALICE.id, HELP).len() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "an update was dropped when the store failed; logs: {:#?}",
            logs.lines()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    world.stop().await;
    assert_eq!(store.failed(), 2);
    assert!(
        logs.lines().iter().all(|l| !l.contains(IGNORED)),
        "{:#?}",
        logs.lines()
    );
}
