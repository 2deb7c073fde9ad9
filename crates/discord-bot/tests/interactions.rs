//! End to end in HTTP-interactions mode: signed requests posted over loopback HTTP to the bot's
//! endpoint, the simulator behind the engine, serenity's REST client pointed at a fake Discord
//! that records deferred edits and follow-ups.
#![allow(clippy::unwrap_used)] // tests may panic

mod common;

use std::time::Duration;

use agent_core::CallStatus;
use agent_sim::{Fault, Faults, Latency};
use common::*;
use serde_json::{Value, json};

fn busy_code() -> i64 {
    i64::from(CallStatus::Busy.code())
}

#[tokio::test]
async fn ping_gets_pong_and_bad_or_stale_signatures_get_401() {
    let world = World::new().await;
    let (status, body, _) = world.post(&ping()).await;
    assert_eq!((status, body), (200, json!({"type": 1})));

    let body = serde_json::to_vec(&ping()).unwrap();
    let now = unix_now().to_string();
    let good = sign(&signing_key(), &now, &body);

    // Another key.
    let other = ed25519_dalek::SigningKey::from_bytes(&[8u8; 32]);
    let forged = sign(&other, &now, &body);
    let (status, _) = world
        .post_raw(
            body.clone(),
            &[
                ("X-Signature-Ed25519", forged),
                ("X-Signature-Timestamp", now.clone()),
            ],
        )
        .await;
    assert_eq!(status, 401, "a signature by another key");

    // The right signature over another body.
    let mut tampered = serde_json::to_value(ping()).unwrap();
    tampered["type"] = json!(2);
    let (status, _) = world
        .post_raw(
            serde_json::to_vec(&tampered).unwrap(),
            &[
                ("X-Signature-Ed25519", good.clone()),
                ("X-Signature-Timestamp", now.clone()),
            ],
        )
        .await;
    assert_eq!(status, 401, "a tampered body");

    // A correctly signed request, replayed ten minutes later (or dated ten minutes ahead).
    for timestamp in [unix_now() - 600, unix_now() + 600] {
        let timestamp = timestamp.to_string();
        let signature = sign(&signing_key(), &timestamp, &body);
        let (status, text) = world
            .post_raw(
                body.clone(),
                &[
                    ("X-Signature-Ed25519", signature),
                    ("X-Signature-Timestamp", timestamp),
                ],
            )
            .await;
        assert_eq!(status, 401, "a stale timestamp");
        assert!(text.contains("from now"), "{text}");
    }

    // No headers at all.
    let (status, _) = world.post_raw(body.clone(), &[]).await;
    assert_eq!(status, 401);
    // Sanity: the same request with its real signature passes.
    let (status, _) = world
        .post_raw(
            body,
            &[
                ("X-Signature-Ed25519", good),
                ("X-Signature-Timestamp", now),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert!(world.fake.calls().is_empty(), "{:?}", world.fake.calls());
}

#[tokio::test]
async fn numbers_shows_a_page_and_next_updates_the_message_in_place() {
    let world = World::new().await;
    let busy = world.count(busy_code());
    assert!(busy > 10, "more than one page of busy numbers");
    let pages = busy.div_ceil(10);

    let answer = world.answer(&on_busy(&alice(), "numbers")).await;
    assert_eq!(answer["type"], 4, "{answer:#}");
    let data = &answer["data"];
    assert!(!ephemeral(data), "a page is for the channel");
    assert_eq!(
        embed(data)["footer"]["text"],
        format!("{busy} numbers · page 1/{pages}")
    );
    let description = embed(data)["description"].as_str().unwrap();
    // No counts per status are fresh yet: the page suggests /stats rather than counting.
    assert!(description.starts_with("```\nphone"), "{description}");
    assert!(
        description.contains("Counts per status: run /stats task:demo status:busy"),
        "{description}"
    );
    let block: Vec<&str> = description
        .split("```")
        .nth(1)
        .unwrap()
        .trim()
        .lines()
        .collect();
    assert_eq!(block.len(), 11, "a header and 10 rows: {description}");
    assert!(
        block[1..].iter().all(|row| row.contains(" busy ")),
        "{description}"
    );
    let next = button(&answer, "Next");
    assert!(next.len() <= 100);

    // A viewer pages on: the message is updated in place (type 7) with page 2.
    let page2 = world.answer(&press(&victor(), &next)).await;
    assert_eq!(page2["type"], 7, "{page2:#}");
    assert_eq!(
        embed(&page2["data"])["footer"]["text"],
        format!("{busy} numbers · page 2/{pages}")
    );
    assert_ne!(
        embed(&page2["data"])["description"],
        embed(data)["description"]
    );
    let prev = button(&page2, "Prev");

    // Back to page 1 with the page-2 message's Prev: the same rows.
    let back = world.answer(&press(&alice(), &prev)).await;
    assert_eq!(
        embed(&back["data"])["description"],
        embed(data)["description"]
    );

    // Page 2 by the typed integer option.
    let typed = world
        .answer(&command(
            &victor(),
            "numbers",
            &[
                ("task", json!("demo")),
                ("status", json!("busy")),
                ("page", json!(2)),
            ],
        ))
        .await;
    assert_eq!(
        embed(&typed["data"])["description"],
        embed(&page2["data"])["description"]
    );

    // Someone without a role may not page: an ephemeral refusal, the message untouched.
    let refused = world.answer(&press(&mallory(), &next)).await;
    assert_eq!(refused["type"], 4, "{refused:#}");
    assert!(ephemeral(&refused["data"]));
    assert_eq!(embed(&refused["data"])["title"], "Not allowed");
    let listed = world
        .answer(&command(&mallory(), "numbers", &[("task", json!("demo"))]))
        .await;
    assert!(ephemeral(&listed["data"]));
    assert!(
        embed(&listed["data"])["description"]
            .as_str()
            .unwrap()
            .contains("may not list numbers")
    );

    // A forged custom id is refused.
    let forged = world.answer(&press(&alice(), "bm90IGEgdG9rZW4")).await;
    assert!(ephemeral(&forged["data"]));
    assert_eq!(embed(&forged["data"])["title"], "Action refused");

    // Nothing was deferred: Discord's REST API was never called.
    assert!(world.fake.calls().is_empty(), "{:?}", world.fake.calls());
}

#[tokio::test]
async fn reset_previews_and_only_the_invoker_confirms() {
    let world = World::new().await;
    let busy = world.count(busy_code());
    let waiting = world.count(i64::from(CallStatus::Waiting.code()));
    assert!(busy > 0);

    // Without a filter: refused unless `all`.
    let unfiltered = world
        .answer(&command(&alice(), "reset", &[("task", json!("demo"))]))
        .await;
    assert!(ephemeral(&unfiltered["data"]));
    assert_eq!(embed(&unfiltered["data"])["title"], "Reset refused");

    // Someone without a role may not reset.
    let refused = world.answer(&on_busy(&mallory(), "reset")).await;
    assert!(ephemeral(&refused["data"]));
    assert!(
        embed(&refused["data"])["description"]
            .as_str()
            .unwrap()
            .contains("You (discord:user:666) may not reset numbers")
    );
    // A viewer neither.
    let viewer = world.answer(&on_busy(&victor(), "reset")).await;
    assert!(ephemeral(&viewer["data"]));
    assert_eq!(embed(&viewer["data"])["title"], "Not allowed");

    let preview = world.answer(&on_busy(&alice(), "reset")).await;
    assert_eq!(preview["type"], 4, "{preview:#}");
    assert!(!ephemeral(&preview["data"]));
    assert_eq!(
        embed(&preview["data"])["title"],
        format!("Reset preview · task demo: {busy} numbers would go back to waiting")
    );
    let buttons = &preview["data"]["components"][0]["components"];
    assert_eq!(buttons[0]["style"], 4, "Confirm is red");
    let confirm = button(&preview, "Confirm");
    assert_eq!(world.count(busy_code()), busy, "a preview changes nothing");

    // Bob is an operator (by his role) but did not ask: refused, ephemerally; nothing changes.
    let by_bob = world.answer(&press(&bob(), &confirm)).await;
    assert_eq!(by_bob["type"], 4, "{by_bob:#}");
    assert!(ephemeral(&by_bob["data"]));
    assert_eq!(embed(&by_bob["data"])["title"], "Not yours to confirm");
    let by_mallory = world.answer(&press(&mallory(), &confirm)).await;
    assert!(ephemeral(&by_mallory["data"]));
    assert_eq!(world.count(busy_code()), busy);

    // Alice confirms: the preview message becomes the result, without buttons.
    let done = world.answer(&press(&alice(), &confirm)).await;
    assert_eq!(done["type"], 7, "{done:#}");
    assert_eq!(
        embed(&done["data"])["title"],
        format!("Reset done by @alice: task demo, {busy} numbers back to waiting")
    );
    assert_eq!(done["data"]["components"], json!([]));
    assert_eq!(world.count(busy_code()), 0);
    assert_eq!(
        world.count(i64::from(CallStatus::Waiting.code())),
        waiting + busy
    );

    // Single use.
    let again = world.answer(&press(&alice(), &confirm)).await;
    assert!(ephemeral(&again["data"]));
    assert_eq!(embed(&again["data"])["title"], "Nothing to confirm");

    // Bob's own reset of the whole task, cancelled by him.
    let all = world
        .answer(&command(
            &bob(),
            "reset",
            &[("task", json!("demo")), ("all", json!(true))],
        ))
        .await;
    assert_eq!(all["type"], 4);
    let cancel = button(&all, "Cancel");
    let cancelled = world.answer(&press(&bob(), &cancel)).await;
    assert_eq!(cancelled["type"], 7);
    assert_eq!(
        embed(&cancelled["data"])["title"],
        "Reset cancelled by @bob: nothing was changed"
    );
    assert!(world.fake.calls().is_empty(), "{:?}", world.fake.calls());
}

#[tokio::test]
async fn a_slow_upstream_is_deferred_within_3_s_then_the_original_is_edited() {
    let world = World::new().await;
    let busy = world.count(busy_code());
    // The page and the count requests of /numbers each wait 4 s.
    world.sim.inject(Fault::Delay(Duration::from_secs(4)), 2);
    let (status, answer, elapsed) = world.post(&on_busy(&alice(), "numbers")).await;
    assert_eq!(status, 200);
    // A deferral, not the page: the bot answered while the 4-second work was still running
    // (how soon is proved on a paused clock by `the_deferral_comes_at_the_budget_not_later`).
    assert_eq!(answer["type"], 5, "a deferral: {answer}");
    assert!(
        elapsed >= Duration::from_millis(1900),
        "deferred only after the budget: {elapsed:?}"
    );
    assert!(!ephemeral(&answer["data"]), "the page will be public");

    let edit = world
        .fake
        .wait_for(Duration::from_secs(10), |c| c.method == "PATCH")
        .await
        .expect("the original response is edited");
    let token = edit.path.split('/').nth(5).unwrap().to_string();
    assert!(token.starts_with("itok-"), "{}", edit.path);
    assert_eq!(
        edit.path,
        format!("/api/v10/webhooks/{APP_ID}/{token}/messages/@original")
    );
    assert_eq!(
        embed(&edit.body)["footer"]["text"],
        format!("{busy} numbers · page 1/{}", busy.div_ceil(10))
    );
    assert!(edit.body["components"][0]["components"][0]["custom_id"].is_string());
    assert_eq!(world.fake.calls().len(), 1, "{:?}", world.fake.calls());
}

/// Stopped (SIGTERM) while a deferred answer is still being worked on: `serve` returns only
/// once that answer was delivered — the edit is at Discord when it returns.
#[tokio::test]
async fn stopping_lets_a_deferred_answer_finish_first() {
    let mut world = World::new().await;
    // The page and the count requests of /numbers each wait 4 s: deferred at 2 s.
    world.sim.inject(Fault::Delay(Duration::from_secs(4)), 2);
    let answer = world.answer(&on_busy(&alice(), "numbers")).await;
    assert_eq!(answer["type"], 5, "a deferral: {answer}");
    assert_eq!(world.endpoint.in_flight(), 1, "the deferred job runs");
    world.stop(Duration::from_secs(120)).await.unwrap();
    assert_eq!(world.endpoint.in_flight(), 0);
    let calls = world.fake.calls();
    assert!(
        calls
            .iter()
            .any(|c| c.method == "PATCH" && c.path.ends_with("/messages/@original")),
        "stopped before the deferred answer was delivered: {calls:#?}"
    );
}

/// On a paused clock the only waits are timers, so the deferral's time is the bot's own choice,
/// however busy the machine is: exactly its budget, well within Discord's 3 seconds.
#[tokio::test(start_paused = true)]
async fn the_deferral_comes_at_the_budget_not_later() {
    let sim = agent_sim::start(agent_sim::SimConfig {
        size: 50,
        ..agent_sim::SimConfig::default()
    })
    .await
    .unwrap();
    let budget = Duration::from_secs(2);
    let bot = discord_bot::Bot::new(engine_on(&sim), budget);
    // The page and the count requests of /numbers each wait a minute.
    sim.inject(Fault::Delay(Duration::from_secs(60)), 2);
    let interaction: serenity::model::application::Interaction =
        serde_json::from_value(on_busy(&alice(), "numbers")).unwrap();
    let started = tokio::time::Instant::now();
    let response = bot.respond(&interaction).await;
    let elapsed = started.elapsed();
    let answer = serde_json::to_value(&response.initial).unwrap();
    assert_eq!(answer["type"], 5, "a deferral: {answer}");
    assert!(response.pending.is_some(), "the work goes on");
    assert!(
        elapsed >= budget && elapsed < budget + Duration::from_millis(100),
        "deferred after {elapsed:?}, the budget is {budget:?}"
    );
}

#[tokio::test]
async fn a_slow_confirmation_is_acknowledged_then_the_message_is_edited() {
    let world = World::new().await;
    let busy = world.count(busy_code());
    let preview = world.answer(&on_busy(&alice(), "reset")).await;
    let confirm = button(&preview, "Confirm");
    world.sim.inject(Fault::Delay(Duration::from_secs(4)), 1);
    let (status, answer, _) = world.post(&press(&alice(), &confirm)).await;
    assert_eq!(status, 200);
    // A deferred update, not the outcome: the bot answered while the reset was still running.
    assert_eq!(
        answer,
        json!({"type": 6, "data": null}),
        "a deferred update"
    );
    let edit = world
        .fake
        .wait_for(Duration::from_secs(10), |c| c.method == "PATCH")
        .await
        .expect("the pressed message is edited");
    assert!(edit.path.ends_with("/messages/@original"), "{}", edit.path);
    assert_eq!(
        embed(&edit.body)["title"],
        format!("Reset done by @alice: task demo, {busy} numbers back to waiting")
    );
    assert_eq!(edit.body["components"], json!([]));
    assert_eq!(world.count(busy_code()), 0);
}

#[tokio::test]
async fn a_slow_failure_goes_to_an_ephemeral_follow_up() {
    let world = World::new().await;
    // Every request waits 1.5 s and fails; with one retry the engine answers after ~3 s.
    world.sim.set_faults(Faults {
        latency: Latency::Fixed(Duration::from_millis(1500)),
        error_rate: 1.0,
        ..Faults::default()
    });
    let (status, answer, _) = world.post(&on_busy(&alice(), "numbers")).await;
    assert_eq!(status, 200);
    // A deferral, not the failure: the bot answered while the failing retries still ran.
    assert_eq!(answer["type"], 5, "{answer}");
    let followup = world
        .fake
        .wait_for(Duration::from_secs(15), |c| c.method == "POST")
        .await
        .expect("an ephemeral follow-up");
    assert!(
        followup
            .path
            .starts_with(&format!("/api/v10/webhooks/{APP_ID}/itok-")),
        "{}",
        followup.path
    );
    assert!(ephemeral(&followup.body), "{:#}", followup.body);
    assert_eq!(
        embed(&followup.body)["title"],
        "The platform could not do it",
        "{:#}",
        followup.body
    );
    let calls = world.fake.calls();
    assert!(
        calls
            .iter()
            .any(|c| c.method == "DELETE" && c.path.ends_with("/messages/@original")),
        "the public placeholder is removed: {calls:?}"
    );
    assert!(!calls.iter().any(|c| c.method == "PATCH"), "{calls:?}");
}

#[tokio::test]
async fn autocomplete_offers_task_aliases_and_statuses() {
    let world = World::new().await;
    let answer = world
        .answer(&autocomplete(&victor(), "numbers", "task", "de"))
        .await;
    assert_eq!(answer["type"], 8, "{answer:#}");
    assert_eq!(
        answer["data"]["choices"],
        json!([{"name": format!("demo · {}", agent_sim::DEMO_TASK_ID), "value": "demo"}])
    );

    let answer = world
        .answer(&autocomplete(&alice(), "reset", "status", "bu"))
        .await;
    let values: Vec<&str> = answer["data"]["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_str().unwrap())
        .collect();
    assert!(values.contains(&"busy"), "{values:?}");

    // A comma list completes its last item; a Chinese locale gets Chinese labels.
    let mut zh = alice();
    zh.locale = "zh-CN";
    let answer = world
        .answer(&autocomplete(&zh, "numbers", "status", "retryable,bu"))
        .await;
    let choices = answer["data"]["choices"].as_array().unwrap();
    let busy = choices
        .iter()
        .find(|c| c["value"] == "retryable,busy")
        .unwrap_or_else(|| panic!("{choices:?}"));
    assert!(busy["name"].as_str().unwrap().contains("占线"), "{busy}");

    // Strangers learn nothing.
    let answer = world
        .answer(&autocomplete(&mallory(), "numbers", "task", ""))
        .await;
    assert_eq!(answer["data"]["choices"], json!([]));
}

#[tokio::test]
async fn help_is_private_and_speaks_the_callers_language() {
    let world = World::new().await;
    let mut zh = victor();
    zh.locale = "zh-CN";
    let answer = world.answer(&command(&zh, "help", &[])).await;
    assert_eq!(answer["type"], 4);
    assert!(ephemeral(&answer["data"]));
    assert_eq!(embed(&answer["data"])["title"], "agent-ops 使用说明");
    let description = embed(&answer["data"])["description"].as_str().unwrap();
    assert!(
        description.contains("你是 discord:user:300（角色：viewer）。"),
        "{description}"
    );

    // A stale registration is named, privately.
    let answer = world.answer(&command(&alice(), "frobnicate", &[])).await;
    assert!(ephemeral(&answer["data"]));
    assert!(
        embed(&answer["data"])["description"]
            .as_str()
            .unwrap()
            .contains("registered commands are out of date")
    );
}

#[tokio::test]
async fn gateway_mode_answers_through_the_rest_api_with_the_same_handlers() {
    let world = World::new().await;
    let bot = discord_bot::Bot::new(world.engine.clone(), Duration::from_secs(2));
    let interaction: serenity::model::application::Interaction =
        serde_json::from_value(command(&alice(), "numbers", &[("task", json!("demo"))])).unwrap();
    let delivered = bot.dispatch(&world.http, &interaction).await.unwrap();
    assert_eq!(delivered, None, "answered at once");
    let calls = world.fake.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let call = &calls[0];
    assert_eq!(call.method, "POST");
    assert_eq!(
        call.path,
        format!(
            "/api/v10/interactions/{}/{}/callback",
            interaction.id(),
            interaction.token()
        )
    );
    assert_eq!(call.body["type"], 4);
    assert!(
        embed(&call.body["data"])["footer"]["text"]
            .as_str()
            .unwrap()
            .ends_with("page 1/30"),
        "{:#}",
        call.body
    );

    // A slow press over the gateway: acknowledged, then the message is edited.
    let next = call.body["data"]["components"][0]["components"][0]["custom_id"]
        .as_str()
        .unwrap()
        .to_string();
    world
        .sim
        .inject(Fault::Delay(Duration::from_millis(2500)), 2);
    let quick = discord_bot::Bot::new(world.engine.clone(), Duration::from_millis(300));
    let pressed: serenity::model::application::Interaction =
        serde_json::from_value(press(&victor(), &next)).unwrap();
    let delivered = quick.dispatch(&world.http, &pressed).await.unwrap();
    assert_eq!(delivered, Some(discord_bot::Delivered::EditedOriginal));
    let calls = world.fake.calls();
    assert_eq!(calls[1].body, json!({"type": 6, "data": null}));
    assert_eq!(calls[2].method, "PATCH");
    assert!(
        embed(&calls[2].body)["footer"]["text"]
            .as_str()
            .unwrap()
            .ends_with("page 2/30")
    );
}

/// An edit Discord refuses (it can arrive before the deferral it edits) is tried again: the
/// answer is delivered on the second attempt.
#[tokio::test]
async fn a_refused_edit_is_retried_and_the_answer_delivered() {
    let world = World::new().await;
    let page = world
        .answer(&command(&alice(), "numbers", &[("task", json!("demo"))]))
        .await;
    let next = button(&page, "Next");
    // A slow press: acknowledged at once, the message edited when the page is ready.
    world
        .sim
        .inject(Fault::Delay(Duration::from_millis(1500)), 2);
    world.fake.refuse_edits(1);
    let quick = discord_bot::Bot::new(world.engine.clone(), Duration::from_millis(300));
    let pressed: serenity::model::application::Interaction =
        serde_json::from_value(press(&victor(), &next)).unwrap();
    let delivered = quick.dispatch(&world.http, &pressed).await.unwrap();
    assert_eq!(delivered, Some(discord_bot::Delivered::EditedOriginal));
    let edits: Vec<Call> = world
        .fake
        .calls()
        .into_iter()
        .filter(|c| c.method == "PATCH")
        .collect();
    assert_eq!(edits.len(), 2, "refused, then tried again: {edits:#?}");
    assert_eq!(edits[0].body, edits[1].body, "the same edit");
    assert!(
        embed(&edits[1].body)["footer"]["text"]
            .as_str()
            .unwrap()
            .ends_with("page 2/30")
    );
}

#[tokio::test]
async fn commands_are_registered_per_guild_or_globally_by_bulk_overwrite() {
    let (fake, base) = FakeDiscord::start().await;
    let http = http_for(&base);
    let guild = serenity::model::id::GuildId::new(4000);
    discord_bot::register(&http, discord_bot::Registration::Guild(guild))
        .await
        .unwrap();
    discord_bot::register(&http, discord_bot::Registration::Global)
        .await
        .unwrap();
    discord_bot::register(&http, discord_bot::Registration::Skip)
        .await
        .unwrap();
    let calls = fake.calls();
    let expected: Value = serde_json::to_value(discord_bot::commands()).unwrap();
    let summary: Vec<(&str, &str)> = calls
        .iter()
        .map(|c| (c.method.as_str(), c.path.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("PUT", "/api/v10/applications/777/guilds/4000/commands"),
            ("PUT", "/api/v10/applications/777/commands"),
        ]
    );
    assert!(calls.iter().all(|c| c.body == expected));
}

#[tokio::test]
async fn the_sweeper_forgets_expired_confirmations_on_its_own() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, Ordering};

    let sim = agent_sim::start(agent_sim::SimConfig {
        size: 50,
        ..agent_sim::SimConfig::default()
    })
    .await
    .unwrap();
    let offset = Arc::new(AtomicI64::new(0));
    let shifted = offset.clone();
    let clock = Arc::new(move || {
        jiff::Timestamp::now()
            .checked_add(jiff::SignedDuration::from_secs(
                shifted.load(Ordering::SeqCst),
            ))
            .unwrap()
    });
    // The engine's own sweeper, quick for the test; the bot starts none.
    let engine = engine_with_clock(&sim, clock).sweep_every(Duration::from_millis(20));
    let bot = discord_bot::Bot::new(engine.clone(), Duration::from_secs(2));
    let interaction: serenity::model::application::Interaction = serde_json::from_value(command(
        &alice(),
        "reset",
        &[("task", json!("demo")), ("all", json!(true))],
    ))
    .unwrap();
    let response = bot.respond(&interaction).await;
    let preview = serde_json::to_value(&response.initial).unwrap();
    assert_eq!(
        embed(&preview["data"])["title"]
            .as_str()
            .unwrap()
            .split(" · ")
            .next(),
        Some("Reset preview")
    );

    // Past the confirmation's lifetime, the sweeper (not a command) forgets it.
    offset.store(3600, Ordering::SeqCst);
    assert_eq!(engine.pending_resets().await, 1);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while engine.pending_resets().await > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the sweeper never ran"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(engine.sweep_expired().await, 0, "already swept");
    let confirm = button(&preview, "Confirm");
    let pressed: serenity::model::application::Interaction =
        serde_json::from_value(press(&alice(), &confirm)).unwrap();
    let answer = serde_json::to_value(bot.respond(&pressed).await.initial).unwrap();
    assert_eq!(embed(&answer["data"])["title"], "Nothing to confirm");
}
