//! End to end with long polling: the real teloxide dispatcher on a fake Bot API (loopback),
//! the engine on the simulator.
#![allow(clippy::unwrap_used)] // tests may panic

mod support;

use std::time::{Duration, Instant};

use agent_core::CallStatus;
use agent_sim::{DEMO_TASK_ID, Fault};
use support::*;

const BUSY: i64 = CallStatus::Busy.code() as i64;

#[tokio::test]
async fn numbers_page_then_next_edits_the_message_in_place() {
    let mut world = World::polling().await;
    world.tg.say(ALICE, ALICE.id, "/numbers demo");
    let sent = world.sent(ALICE.id, "Numbers of task demo").await;
    let body = &sent.body;
    assert_eq!(body["parse_mode"], "HTML");
    let text = body["text"].as_str().unwrap();
    assert!(text.starts_with("<b>Numbers of task demo"), "{text}");
    assert!(text.contains("<pre>phone"), "{text}");
    assert!(text.contains("</pre>"), "{text}");
    assert!(text.contains("<i>300 numbers · page 1/30</i>"), "{text}");
    assert!(text.encode_utf16().count() <= 4096);
    // Phones are masked, and nothing in the table breaks the HTML.
    assert!(text.contains("****"), "{text}");
    assert_eq!(keyboard(body), [vec!["Next ▶".to_string()]]);
    let next = button(body, "Next");
    assert!(next.len() <= 64, "{next}");
    assert!(
        body.get("reply_parameters").is_none(),
        "no need to quote in a private chat"
    );

    let message_id = sent.response["result"]["message_id"].as_i64().unwrap();
    let press = world.tg.press(ALICE, ALICE.id, message_id, &next);
    let edit = world
        .tg
        .wait_for("editMessageText", |b| {
            b["text"].as_str().is_some_and(|t| t.contains("page 2/30"))
        })
        .await;
    assert_eq!(edit.body["chat_id"], ALICE.id);
    assert_eq!(edit.body["message_id"], message_id);
    assert_eq!(edit.body["parse_mode"], "HTML");
    assert_eq!(
        keyboard(&edit.body),
        [vec!["◀ Prev".to_string(), "Next ▶".to_string()]]
    );
    let answer = world.tg.answer_to(&press).await;
    assert!(answer.get("show_alert").is_none(), "{answer}");
    // The message now shows page 2; page 1's table is gone.
    let shown = world.tg.message(ALICE.id, message_id);
    assert_ne!(shown["text"], body["text"]);

    // Prev on page 2 goes back to page 1's content.
    let prev = button(&edit.body, "Prev");
    let press = world.tg.press(ALICE, ALICE.id, message_id, &prev);
    world.tg.answer_to(&press).await;
    assert_eq!(world.tg.message(ALICE.id, message_id)["text"], body["text"]);
    world.stop().await;
}

#[tokio::test]
async fn reset_preview_confirm_by_the_requester_only_puts_numbers_back_to_waiting() {
    let mut world = World::polling().await;
    let busy: Vec<String> = world
        .sim
        .snapshot(DEMO_TASK_ID)
        .iter()
        .filter(|r| *r.status == BUSY)
        .map(|r| r.number.clone())
        .collect();
    assert!(!busy.is_empty());

    world.tg.say(ALICE, ALICE.id, "/reset demo status:busy");
    let preview = world.sent(ALICE.id, "Reset preview").await;
    let text = preview.body["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("{} numbers would go back to waiting", busy.len())),
        "{text}"
    );
    assert!(text.contains("Only @alice can confirm"), "{text}");
    assert_eq!(
        keyboard(&preview.body),
        [vec!["Confirm reset".to_string(), "Cancel".to_string()]]
    );
    let confirm = button(&preview.body, "Confirm");
    assert!(confirm.len() <= 64);
    let message_id = preview.response["result"]["message_id"].as_i64().unwrap();
    assert_eq!(world.count(BUSY), busy.len(), "a preview changes nothing");

    // Bob is an operator, but not the requester: refused in an alert, message untouched.
    let by_bob = world.tg.press(BOB, ALICE.id, message_id, &confirm);
    let answer = world.tg.answer_to(&by_bob).await;
    assert_eq!(answer["show_alert"], true);
    let alert = answer["text"].as_str().unwrap();
    assert!(
        alert.contains("Only @alice, who asked for this reset, can confirm it."),
        "{alert}"
    );
    assert!(alert.chars().count() <= 200);
    assert_eq!(world.count(BUSY), busy.len());
    assert!(world.tg.calls_of("editMessageText").is_empty());

    // Alice confirms: the message says it is done, without buttons, and the numbers are waiting.
    let by_alice = world.tg.press(ALICE, ALICE.id, message_id, &confirm);
    let edit = world
        .tg
        .wait_for("editMessageText", |b| {
            b["text"].as_str().is_some_and(|t| t.contains("Reset done"))
        })
        .await;
    assert_eq!(edit.body["message_id"], message_id);
    assert!(edit.body.get("reply_markup").is_none(), "{}", edit.body);
    let answer = world.tg.answer_to(&by_alice).await;
    assert!(answer.get("show_alert").is_none(), "{answer}");
    assert!(
        answer["text"]
            .as_str()
            .unwrap()
            .contains("Reset done by @alice"),
        "{answer}"
    );
    let after = world.sim.snapshot(DEMO_TASK_ID);
    assert_eq!(world.count(BUSY), 0);
    for number in &busy {
        let record = after.iter().find(|r| &r.number == number).unwrap();
        assert_eq!(*record.status, 0, "{number} is back at status 0");
    }

    // Single use: pressing Confirm again is an error for the presser alone.
    let again = world.tg.press(ALICE, ALICE.id, message_id, &confirm);
    let answer = world.tg.answer_to(&again).await;
    assert_eq!(answer["show_alert"], true);
    assert!(
        answer["text"]
            .as_str()
            .unwrap()
            .contains("Nothing to confirm")
    );
    assert_eq!(world.tg.calls_of("editMessageText").len(), 1);
    world.stop().await;
}

#[tokio::test]
async fn unauthorised_users_and_forged_callbacks_are_refused() {
    let mut world = World::polling().await;
    let busy = world.count(BUSY);

    // Mallory has no grant.
    world.tg.say(MALLORY, MALLORY.id, "/numbers demo");
    let refused = world.sent(MALLORY.id, "Not allowed").await;
    let text = refused.body["text"].as_str().unwrap();
    assert!(text.starts_with("<b>⛔ Not allowed</b>"), "{text}");
    assert!(
        text.contains("telegram:user:1666") && text.contains("may not list numbers"),
        "{text}"
    );
    assert!(refused.body.get("reply_markup").is_none());
    world.tg.say(MALLORY, MALLORY.id, "/reset demo all");
    world.sent(MALLORY.id, "may not reset numbers").await;

    // A page made for Alice, pressed by Mallory (who can see it, say, in a shared chat).
    world.tg.say(ALICE, ALICE.id, "/numbers demo");
    let page = world.sent(ALICE.id, "Numbers of task demo").await;
    let message_id = page.response["result"]["message_id"].as_i64().unwrap();
    let next = button(&page.body, "Next");
    let pressed = world.tg.press(MALLORY, ALICE.id, message_id, &next);
    let answer = world.tg.answer_to(&pressed).await;
    assert_eq!(answer["show_alert"], true);
    assert!(
        answer["text"]
            .as_str()
            .unwrap()
            .contains("may not list numbers"),
        "{answer}"
    );

    // Forged and tampered callback data, by an operator.
    world.tg.say(ALICE, ALICE.id, "/reset demo status:busy");
    let preview = world.sent(ALICE.id, "Reset preview").await;
    let preview_id = preview.response["result"]["message_id"].as_i64().unwrap();
    let confirm = button(&preview.body, "Confirm");
    let mut tampered = confirm.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for forged in [tampered.as_str(), "confirm:1", "Next"] {
        let id = world.tg.press(ALICE, ALICE.id, preview_id, forged);
        let answer = world.tg.answer_to(&id).await;
        assert_eq!(answer["show_alert"], true, "{forged}");
        assert!(
            answer["text"]
                .as_str()
                .unwrap()
                .contains("not made by this bot"),
            "{forged}: {answer}"
        );
    }
    assert!(world.tg.calls_of("editMessageText").is_empty());
    assert_eq!(world.count(BUSY), busy, "nothing was reset");
    world.stop().await;
}

#[tokio::test]
async fn group_commands_for_other_bots_are_ignored_and_ours_work() {
    let mut world = World::polling().await;
    // Victor's only grant is the group's; his app is in Chinese.
    world.tg.say(VICTOR, OPS_GROUP, "/numbers@OtherBot demo");
    world.tg.say(VICTOR, OPS_GROUP, "/weather");
    world.tg.say(VICTOR, OPS_GROUP, "good morning");
    world.tg.say(
        VICTOR,
        OPS_GROUP,
        &format!("/numbers@{BOT_NAME} demo status:busy"),
    );
    let sent = world.sent(OPS_GROUP, "任务号码 demo").await;
    assert!(
        sent.body["text"]
            .as_str()
            .unwrap()
            .contains("占线/用户正忙"),
        "{}",
        sent.body["text"]
    );
    // In a group the answer quotes the command it answers.
    assert!(sent.body["reply_parameters"]["message_id"].is_i64());
    assert_eq!(keyboard(&sent.body), [vec!["下一页 ▶".to_string()]]);
    // The same user in a private chat has no grant.
    world.tg.say(VICTOR, VICTOR.id, "/numbers demo");
    world.sent(VICTOR.id, "无权限").await;
    // Stopping finishes everything in flight: nothing else was answered.
    world.stop().await;
    let group_messages = world.messages_to(OPS_GROUP);
    assert_eq!(group_messages.len(), 1, "{group_messages:#?}");
}

#[tokio::test]
async fn the_command_menu_is_published_in_english_and_chinese() {
    let mut world = World::polling().await;
    let calls = world.tg.calls_of("setMyCommands");
    assert_eq!(calls.len(), 2, "{calls:#?}");
    let commands = |call: &Call| -> Vec<String> {
        call.body["commands"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["command"].as_str().unwrap().to_string())
            .collect()
    };
    let english = calls
        .iter()
        .find(|c| c.body.get("language_code").is_none())
        .unwrap();
    // Every command of the catalogue, in its order.
    let catalogue: Vec<&str> = agent_chatops::COMMANDS.iter().map(|c| c.slash).collect();
    assert_eq!(commands(english), catalogue);
    assert!(
        catalogue.starts_with(&["numbers", "stats", "reset"]) && catalogue.ends_with(&["help"])
    );
    assert!(
        english.body["commands"][0]["description"]
            .as_str()
            .unwrap()
            .contains("numbers")
    );
    let chinese = calls
        .iter()
        .find(|c| c.body["language_code"] == "zh")
        .unwrap();
    assert_eq!(commands(chinese), catalogue);
    assert!(
        chinese.body["commands"][0]["description"]
            .as_str()
            .unwrap()
            .contains("任务号码")
    );
    // Every call went to /bot<TOKEN>/<Method>, methods in teloxide's PascalCase.
    assert!(
        world
            .tg
            .calls()
            .iter()
            .all(|c| c.bot_segment == format!("bot{TOKEN}"))
    );
    // /help and /start answer with the engine's help.
    world.tg.say(ALICE, ALICE.id, "/start");
    world.sent(ALICE.id, "agent-ops: what I understand").await;
    world.stop().await;
}

#[tokio::test]
async fn an_edit_refused_with_429_is_retried_once_after_the_wait() {
    let mut world = World::polling().await;
    world.tg.say(ALICE, ALICE.id, "/numbers demo");
    let page = world.sent(ALICE.id, "Numbers of task demo").await;
    let message_id = page.response["result"]["message_id"].as_i64().unwrap();
    world
        .tg
        .script("editMessageText", vec![too_many_requests(1)]);
    let press = world
        .tg
        .press(ALICE, ALICE.id, message_id, &button(&page.body, "Next"));
    let answer = world.tg.answer_to(&press).await;
    assert!(answer.get("show_alert").is_none(), "{answer}");
    let edits = world.tg.calls_of("editMessageText");
    assert_eq!(edits.len(), 2, "one refused, one retried");
    assert_eq!(edits[0].body, edits[1].body);
    assert!(edits[1].at - edits[0].at >= Duration::from_millis(950));
    assert!(
        world.tg.message(ALICE.id, message_id)["text"]
            .as_str()
            .unwrap()
            .contains("page 2/30")
    );

    // Twice in a row: the press is answered with the wait, not hung.
    world.tg.script(
        "editMessageText",
        vec![too_many_requests(1), too_many_requests(7)],
    );
    let press = world.tg.press(
        ALICE,
        ALICE.id,
        message_id,
        &button(&world.tg.message(ALICE.id, message_id), "Next"),
    );
    let answer = world.tg.answer_to(&press).await;
    assert_eq!(answer["show_alert"], true);
    assert!(
        answer["text"]
            .as_str()
            .unwrap()
            .contains("try again in 7 s"),
        "{answer}"
    );
    world.stop().await;
}

#[tokio::test]
async fn message_not_modified_counts_as_success() {
    let mut world = World::polling().await;
    world.tg.say(ALICE, ALICE.id, "/numbers demo");
    let page = world.sent(ALICE.id, "Numbers of task demo").await;
    let message_id = page.response["result"]["message_id"].as_i64().unwrap();
    world.tg.script("editMessageText", vec![not_modified()]);
    let press = world
        .tg
        .press(ALICE, ALICE.id, message_id, &button(&page.body, "Next"));
    let answer = world.tg.answer_to(&press).await;
    assert!(answer.get("show_alert").is_none(), "{answer}");
    assert!(answer.get("text").is_none(), "{answer}");
    assert_eq!(world.tg.calls_of("editMessageText").len(), 1, "not retried");
    world.stop().await;
}

#[tokio::test]
async fn a_slow_platform_call_does_not_hold_up_the_chat() {
    let mut world = World::polling().await;
    // The next platform requests (the page and its counts) take 1.5 s each.
    world
        .sim
        .inject(Fault::Delay(Duration::from_millis(1500)), 2);
    world.tg.say(ALICE, ALICE.id, "/numbers demo");
    world.tg.say(ALICE, ALICE.id, "/help");
    let help = world.sent(ALICE.id, "agent-ops: what I understand").await;
    let page = world.sent(ALICE.id, "Numbers of task demo").await;
    assert!(
        help.at < page.at,
        "/help waited for the slow /numbers of the same chat"
    );
    world.stop().await;
}

#[tokio::test]
async fn stopping_finishes_the_updates_in_flight() {
    let mut world = World::polling().await;
    world
        .sim
        .inject(Fault::Delay(Duration::from_millis(800)), 2);
    let update = world.tg.say(ALICE, ALICE.id, "/numbers demo");
    // Wait until the bot has taken the update (a getUpdates past it), then stop.
    world
        .tg
        .wait_for("getUpdates", |b| {
            b["offset"].as_i64().is_some_and(|o| o > update)
        })
        .await;
    assert!(world.tg.calls_of("sendMessage").is_empty(), "still working");
    let stopping = Instant::now();
    world.stop().await;
    // The answer was sent before the stop completed.
    let page = world.sent(ALICE.id, "Numbers of task demo").await;
    assert!(page.at >= stopping);
    // The last getUpdates confirmed the offset, so a restart does not see the update again.
    let last = world.tg.calls_of("getUpdates").pop().unwrap();
    assert!(last.body["offset"].as_i64().unwrap() > update);
}

#[tokio::test]
async fn a_reset_can_be_cancelled_and_unconfirmed_ones_expire_on_the_timer() {
    let mut world = World::polling().await;
    let busy = world.count(BUSY);
    world.tg.say(ALICE, ALICE.id, "/reset demo status:busy");
    let preview = world.sent(ALICE.id, "Reset preview").await;
    let message_id = preview.response["result"]["message_id"].as_i64().unwrap();
    let cancel = world.tg.press(
        ALICE,
        ALICE.id,
        message_id,
        &button(&preview.body, "Cancel"),
    );
    let edit = world
        .tg
        .wait_for("editMessageText", |b| {
            b["text"]
                .as_str()
                .is_some_and(|t| t.contains("Reset cancelled by @alice"))
        })
        .await;
    assert!(edit.body.get("reply_markup").is_none());
    world.tg.answer_to(&cancel).await;

    // A preview nobody confirms: once its time is up, the engine's timer sweeps it (audited as
    // expired) without anyone pressing anything.
    world.tg.say(ALICE, ALICE.id, "/reset demo status:busy");
    let deadline = Instant::now() + WAIT;
    while world.tg.calls_of("sendMessage").len() < 2 {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        world.audit_events(),
        ["requested", "cancelled", "requested"]
    );
    world
        .clock_offset
        .store(121, std::sync::atomic::Ordering::SeqCst);
    let deadline = Instant::now() + WAIT;
    while world.audit_events().len() < 4 {
        assert!(Instant::now() < deadline, "{:?}", world.audit_events());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        world.audit_events(),
        ["requested", "cancelled", "requested", "expired"]
    );
    assert_eq!(world.count(BUSY), busy);
    world.stop().await;
}

#[tokio::test]
async fn a_private_answer_in_a_group_goes_to_the_senders_private_chat() {
    let mut world = World::polling().await;
    // Victor's grant is the group's; /help names his role, so the engine makes it private.
    world
        .tg
        .say(VICTOR, OPS_GROUP, &format!("/help@{BOT_NAME}"));
    let help = world.sent(VICTOR.id, "agent-ops 使用说明").await;
    let text = help.body["text"].as_str().unwrap();
    assert!(text.contains("（角色：viewer）"), "{text}");
    assert!(help.body.get("reply_parameters").is_none(), "{}", help.body);

    // Someone who never opened a private chat with the bot: the group is told how to get the
    // answer, without it.
    world.tg.script(
        "sendMessage",
        vec![serde_json::json!({
            "ok": false,
            "error_code": 403,
            "description": "Forbidden: bot can't initiate conversation with a user"
        })],
    );
    world.tg.say(VICTOR, OPS_GROUP, "/help");
    let pointer = world.sent(OPS_GROUP, &format!("@{BOT_NAME}")).await;
    let text = pointer.body["text"].as_str().unwrap();
    assert!(!text.contains("角色"), "{text}");
    assert!(pointer.body["reply_parameters"]["message_id"].is_i64());
    world.stop().await;
    let group_messages = world.messages_to(OPS_GROUP);
    assert_eq!(group_messages.len(), 1, "{group_messages:#?}");
}

#[tokio::test]
async fn anonymous_admins_are_refused_by_the_engine_where_they_wrote() {
    let mut world = World::polling().await;
    let mut update =
        world
            .tg
            .message_update(VICTOR, OPS_GROUP, &format!("/numbers@{BOT_NAME} demo"));
    // What Telegram sends for an anonymous admin: its own bot account, on behalf of the group.
    update["message"]["from"] = serde_json::json!({
        "id": 1_087_968_824_i64, "is_bot": true, "first_name": "Group", "username": "GroupAnonymousBot"
    });
    update["message"]["sender_chat"] =
        serde_json::json!({"id": OPS_GROUP, "type": "supergroup", "title": "Ops room"});
    world.tg.push_update(update);
    let refused = world.sent(OPS_GROUP, "Not allowed").await;
    let text = refused.body["text"].as_str().unwrap();
    assert!(text.contains("not anonymously"), "{text}");
    world.stop().await;
}
