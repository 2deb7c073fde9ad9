//! `/watch` through a signed interaction, the task's waiting numbers dialled out in the
//! simulator, and the watch scheduler's one "task done" post as a channel message.
#![allow(clippy::unwrap_used)] // tests may panic

mod common;

use agent_chatops::{Transport, WatchScheduler};
use agent_sim::DEMO_TASK_ID;
use common::*;
use serde_json::json;

#[tokio::test]
async fn a_done_watch_is_posted_once_in_the_channel() {
    let world = World::new().await;
    let answer = world
        .answer(&command(
            &victor(),
            "watch",
            &[("task", json!("demo")), ("when", json!("done"))],
        ))
        .await;
    let title = answer["data"]["embeds"][0]["title"].as_str().unwrap();
    assert!(title.contains("Watching task demo"), "{answer}");

    let post = discord_bot::watch::watch_post(world.http.clone());
    let mut scheduler = WatchScheduler::new(Transport::Discord, post);
    assert_eq!(scheduler.tick(&world.engine).await.posted, 0);
    world.sim.dial_all(DEMO_TASK_ID);
    for _ in 0..3 {
        scheduler.tick(&world.engine).await;
    }
    let path = format!("/api/v10/channels/{CHANNEL_ID}/messages");
    let posts: Vec<_> = world
        .fake
        .calls()
        .into_iter()
        .filter(|c| c.method == "POST" && c.path == path)
        .collect();
    assert_eq!(posts.len(), 1, "{posts:#?}");
    let embed = &posts[0].body["embeds"][0];
    assert!(
        embed["description"]
            .as_str()
            .unwrap()
            .contains("task done: "),
        "{embed}"
    );
    let button = &posts[0].body["components"][0]["components"][0];
    assert_eq!(button["label"], "List retryable numbers");
    // A press of it is an ordinary signed action: a page of retryable numbers.
    let page = world
        .answer(&press(&victor(), button["custom_id"].as_str().unwrap()))
        .await;
    assert!(
        page["data"]["embeds"][0]["title"]
            .as_str()
            .unwrap()
            .contains("retryable"),
        "{page}"
    );
}
