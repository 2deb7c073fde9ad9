//! End to end: `/watch` in a Telegram group, the task's waiting numbers dialled out in the
//! simulator, and exactly one "task done" message in the group.
#![allow(clippy::unwrap_used)] // tests may panic

mod support;

use std::time::{Duration, Instant};

use agent_chatops::store::ns;
use agent_sim::DEMO_TASK_ID;
use support::*;

/// Waits until the simulator has received `more` requests beyond `from`.
async fn platform_requests(world: &World, from: u64, more: u64) {
    let deadline = Instant::now() + WAIT;
    while world.sim.requests() < from + more {
        assert!(
            Instant::now() < deadline,
            "the watch scheduler did not poll: {} requests",
            world.sim.requests() - from
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_done_watch_posts_one_task_done_message_when_the_task_is_dialled_out() {
    let mut world = World::polling().await;
    // Victor's grant is the group's (a viewer); his app is in Chinese.
    world.tg.say(
        VICTOR,
        OPS_GROUP,
        &format!("/watch@{BOT_NAME} task:demo when:done"),
    );
    world.sent(OPS_GROUP, "已在本会话关注任务 demo").await;
    // Polls pass while numbers wait: nothing is posted. Each poll is one count of the waiting
    // numbers, and the next one starts after the last has posted what was due: once three
    // more requests arrived, two polls have finished and found nothing due.
    assert!(world.count(0) > 0);
    platform_requests(&world, world.sim.requests(), 3).await;
    let done = |world: &World| {
        world
            .tg
            .calls_of("sendMessage")
            .into_iter()
            .filter(|c| {
                c.body["chat_id"] == OPS_GROUP
                    && c.body["text"]
                        .as_str()
                        .is_some_and(|t| t.contains("任务完成"))
            })
            .count()
    };
    assert_eq!(done(&world), 0);

    assert!(world.sim.dial_all(DEMO_TASK_ID) > 0);
    let post = world.sent(OPS_GROUP, "任务完成：已呼叫").await;
    let text = post.body["text"].as_str().unwrap();
    assert!(text.contains("可重呼"), "{text}");
    assert_eq!(keyboard(&post.body), [vec!["查看可重呼号码".to_string()]]);
    // The button lists the retryable numbers, for the viewer who presses it.
    let id = post.response["result"]["message_id"].as_i64().unwrap();
    let data = button(&post.body, "查看可重呼号码");
    world.tg.press(VICTOR, OPS_GROUP, id, &data);
    world
        .tg
        .wait_for("editMessageText", |b| {
            b["text"]
                .as_str()
                .is_some_and(|t| t.contains("任务号码 demo"))
        })
        .await;

    // A done watch posts once: it is removed after its post, so no later poll posts it again.
    let deadline = Instant::now() + WAIT;
    loop {
        let watches = world.engine.store().list(ns::WATCHES).await.unwrap();
        if watches.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the done watch is kept: {watches:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    world.stop().await;
    assert_eq!(done(&world), 1);
}
