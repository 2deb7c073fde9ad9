//! `/watch`, `/unwatch`, `/watches` and the watch scheduler, against the simulator (which
//! counts the requests it serves and dials a task out on demand): a done watch posts once when
//! the task's waiting numbers are dialled, one count request per watched task per poll shared
//! by every chat, the request budget and the turns the tasks take under it, the cap of watches
//! per chat, the role checked at each post, a post that cannot be delivered tried again,
//! backing off on errors (doubling, capped), summaries at their interval and daily in China
//! time, figures recounted when the waiting count moved, a watch that survives a restart on the
//! embedded store, and two engines on one real Redis posting each due watch once.
//!
//! The scheduler's time is the engine's clock: most tests set it to a fixed instant
//! ([`clock_at`]) and move it by hand, so nothing here waits for the wall clock.
#![allow(clippy::unwrap_used)] // tests may panic

mod support;

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_chatops::store::EmbeddedStore;
use agent_chatops::{
    Caller, Clock, Engine, EngineConfig, Reply, ReplyKind, StateUrl, TickReport, Transport,
    Undelivered, WatchPost, WatchScheduler,
};
use agent_sim::{DEMO_TASK_ID, Fault, SECOND_TASK_ID, SimConfig, SimHandle};
use support::redis_server::RedisServer;
use support::{client, shifted};

/// What the scheduler posted: the watcher and the reply.
type Posts = Arc<Mutex<Vec<(Caller, Reply)>>>;

fn collector() -> (WatchPost, Posts) {
    let posts: Posts = Arc::default();
    let sink = posts.clone();
    let post: WatchPost = Arc::new(move |caller, reply| {
        sink.lock().unwrap().push((caller, reply));
        Box::pin(async { Ok::<(), Undelivered>(()) })
    });
    (post, posts)
}

/// The chats posted to and the titles of the posts, in order.
fn posted(posts: &Posts) -> Vec<(String, String)> {
    posts
        .lock()
        .unwrap()
        .iter()
        .map(|(caller, reply)| (caller.chat_id.clone().unwrap(), reply.title.clone()))
        .collect()
}

fn in_chat(user: &str, chat: &str) -> Caller {
    Caller {
        chat_id: Some(chat.into()),
        ..Caller::new(Transport::Telegram, user)
    }
}

async fn sim() -> SimHandle {
    agent_sim::start(SimConfig {
        size: 200,
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

/// Users 2 and 3 are viewers.
fn config(extra: &str) -> EngineConfig {
    config_with(r#"["telegram:user:2", "telegram:user:3"]"#, extra)
}

fn config_with(viewers: &str, extra: &str) -> EngineConfig {
    EngineConfig::from_text(&format!(
        r#"
        [chatops]
        secret = "watch-secret-0123456789"
        rate_limit_per_minute = 0
        operators = ["telegram:user:1"]
        viewers = {viewers}
        {extra}
        [chatops.tasks]
        demo = "{DEMO_TASK_ID}"
        second = "{SECOND_TASK_ID}"
        "#
    ))
    .unwrap()
}

fn engine(sim: &SimHandle, offset: &Arc<AtomicI64>) -> Engine {
    Engine::with_clock(client(sim, 1), config(""), shifted(offset))
}

/// Milliseconds since the epoch of an RFC 3339 instant.
fn ms(at: &str) -> i64 {
    at.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

/// A clock standing still at `at` until the test moves it (milliseconds since the epoch).
fn clock_at(at: &str) -> (Clock, Arc<AtomicI64>) {
    let now = Arc::new(AtomicI64::new(ms(at)));
    let read = now.clone();
    let clock: Clock =
        Arc::new(move || jiff::Timestamp::from_millisecond(read.load(Ordering::SeqCst)).unwrap());
    (clock, now)
}

/// 08:30 in China on 1 March 2025.
const MORNING: &str = "2025-03-01T00:30:00Z";

/// One poll, and the requests the simulator served for it.
async fn tick(scheduler: &mut WatchScheduler, engine: &Engine, sim: &SimHandle) -> u64 {
    let before = sim.requests();
    scheduler.tick(engine).await;
    sim.requests() - before
}

#[tokio::test]
async fn a_done_watch_posts_once_when_the_task_is_dialled_out() {
    let sim = sim().await;
    let offset = Arc::new(AtomicI64::new(0));
    let engine = engine(&sim, &offset);
    let viewer = in_chat("2", "-100");
    let set = engine
        .handle_text(&viewer, "/watch task:demo when:done")
        .await;
    assert_eq!(set.kind, ReplyKind::Done, "{set:#?}");
    assert!(set.title.contains("Watching task demo"), "{set:#?}");
    let (post, posts) = collector();
    let mut scheduler = WatchScheduler::new(Transport::Telegram, post);

    // Numbers still wait: one request (the waiting count), no post.
    assert_eq!(tick(&mut scheduler, &engine, &sim).await, 1);
    assert!(posts.lock().unwrap().is_empty());

    assert!(sim.dial_all(DEMO_TASK_ID) > 0);
    let cost = tick(&mut scheduler, &engine, &sim).await;
    // The waiting count, then the counts per status for the figures.
    assert_eq!(cost, 1 + 13);
    let posted = posts.lock().unwrap().clone();
    assert_eq!(posted.len(), 1, "{posted:#?}");
    let (to, reply) = &posted[0];
    assert_eq!(to.chat_id.as_deref(), Some("-100"));
    let text = reply.to_plain_text();
    assert!(text.contains("task done: "), "{text}");
    assert!(
        text.contains("dialled") && text.contains("retryable"),
        "{text}"
    );
    let snapshot = sim.snapshot(DEMO_TASK_ID);
    let retryable = snapshot
        .iter()
        .filter(|r| [3, 4, 6, 8].contains(&*r.status))
        .count();
    assert!(text.contains(&format!("{retryable} retryable")), "{text}");
    assert!(!reply.private);

    // The button lists the retryable numbers, for a viewer.
    let button = &reply
        .actions
        .iter()
        .find(|a| a.label.contains("retryable"))
        .unwrap()
        .data;
    let page = engine.press(&viewer, button).await;
    assert_eq!(page.kind, ReplyKind::Page, "{page:#?}");
    assert!(page.title.contains("retryable"), "{page:#?}");

    // Posted once: the watch is gone.
    assert_eq!(tick(&mut scheduler, &engine, &sim).await, 0);
    assert_eq!(posts.lock().unwrap().len(), 1);
    let list = engine.handle_text(&viewer, "/watches").await;
    assert!(
        list.to_plain_text().contains("watches no task"),
        "{list:#?}"
    );
}

#[tokio::test]
async fn watches_lists_unwatch_removes_and_bad_input_is_refused() {
    let sim = sim().await;
    let offset = Arc::new(AtomicI64::new(0));
    let engine = engine(&sim, &offset);
    let viewer = in_chat("2", "-100");
    for line in ["/watch demo", "/watch task:second when:daily@09:30"] {
        let reply = engine.handle_text(&viewer, line).await;
        assert_eq!(reply.kind, ReplyKind::Done, "{reply:#?}");
    }
    let every = engine
        .handle_text(&viewer, "/watch task:demo when:every:2h")
        .await;
    assert!(every.title.contains("every 2h"), "{every:#?}");
    // Another chat's watches are its own.
    let other = in_chat("3", "-200");
    engine.handle_text(&other, "/watch task:demo").await;

    let list = engine.handle_text(&viewer, "/watches").await;
    let table = list.table.clone().unwrap();
    assert_eq!(
        table.rows,
        vec![
            vec!["demo".to_string(), "every 2h".into(), "-".into()],
            vec![
                "second".to_string(),
                "daily at 09:30 China time".into(),
                "-".into()
            ],
        ]
    );
    let gone = engine.handle_text(&viewer, "/unwatch task:second").await;
    assert_eq!(gone.kind, ReplyKind::Done, "{gone:#?}");
    let again = engine.handle_text(&viewer, "/unwatch task:second").await;
    assert!(
        again.title.contains("does not watch task second"),
        "{again:#?}"
    );
    let list = engine.handle_text(&viewer, "/watches").await;
    assert_eq!(list.table.unwrap().rows.len(), 1);

    for (line, says) in [
        ("/watch task:demo when:every:1m", "at least 5 minutes"),
        ("/watch task:demo when:weekly", "cannot be read"),
        ("/watch task:demo when:daily@25:00", "daily@HH:MM"),
    ] {
        let reply = engine.handle_text(&viewer, line).await;
        assert_eq!(reply.kind, ReplyKind::Error, "{reply:#?}");
        assert!(reply.to_plain_text().contains(says), "{line}: {reply:#?}");
    }
    // Chinese too.
    let zh = Caller {
        locale: Some("zh-CN".into()),
        ..viewer.clone()
    };
    let reply = engine
        .handle_text(&zh, "/watch task:demo when:every:1m")
        .await;
    assert!(
        reply.to_plain_text().contains("至少为 5 分钟"),
        "{reply:#?}"
    );
}

#[tokio::test]
async fn viewers_may_watch_and_strangers_may_not() {
    let sim = sim().await;
    let offset = Arc::new(AtomicI64::new(0));
    let engine = engine(&sim, &offset);
    let stranger = in_chat("99", "-100");
    for line in ["/watch task:demo", "/unwatch task:demo", "/watches"] {
        let reply = engine.handle_text(&stranger, line).await;
        assert_eq!(reply.kind, ReplyKind::Refused, "{line}: {reply:#?}");
    }
    let operator = in_chat("1", "-100");
    let reply = engine.handle_text(&operator, "/watch task:demo").await;
    assert_eq!(reply.kind, ReplyKind::Done, "{reply:#?}");
    let list = engine.handle_text(&stranger, "/watches").await;
    assert_eq!(list.kind, ReplyKind::Refused);
}

#[tokio::test]
async fn one_count_per_watched_task_per_poll_shared_by_every_chat() {
    let sim = sim().await;
    let offset = Arc::new(AtomicI64::new(0));
    let engine = engine(&sim, &offset);
    for (user, chat) in [("2", "-100"), ("3", "-200"), ("1", "-300")] {
        let reply = engine
            .handle_text(&in_chat(user, chat), "/watch task:demo")
            .await;
        assert_eq!(reply.kind, ReplyKind::Done);
    }
    let (post, posts) = collector();
    let mut scheduler = WatchScheduler::new(Transport::Telegram, post);
    for _ in 0..3 {
        assert_eq!(tick(&mut scheduler, &engine, &sim).await, 1);
    }
    // A second task: two requests a poll.
    engine
        .handle_text(&in_chat("2", "-100"), "/watch task:second")
        .await;
    let report = scheduler.tick(&engine).await;
    assert_eq!((report.watches, report.tasks, report.requests), (4, 2, 2));
    // Watches of another transport are that transport's scheduler's.
    let (post, _) = collector();
    let mut discord = WatchScheduler::new(Transport::Discord, post);
    assert_eq!(tick(&mut discord, &engine, &sim).await, 0);
    assert!(posts.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_budget_of_one_request_a_poll_counts_the_watched_tasks_in_turn() {
    let sim = sim().await;
    let (clock, now) = clock_at(MORNING);
    // Counts per status stay fresh all day: a due summary needs only its waiting count.
    let engine = Engine::with_clock(
        client(&sim, 1),
        config("watch_max_requests_per_poll = 1\nstats_ttl_secs = 86400"),
        clock,
    );
    for (chat, task) in [("-100", "demo"), ("-200", "second")] {
        let caller = in_chat("2", chat);
        let reply = engine
            .handle_text(&caller, &format!("/watch task:{task} when:every:30m"))
            .await;
        assert_eq!(reply.kind, ReplyKind::Done, "{reply:#?}");
        let stats = engine
            .handle_text(&caller, &format!("/stats task:{task}"))
            .await;
        assert_eq!(stats.kind, ReplyKind::Info, "{stats:#?}");
    }
    let (post, posts) = collector();
    let mut scheduler = WatchScheduler::new(Transport::Telegram, post);
    // The watched tasks in their order (by id): second (a7c1…), then demo (f232…). Each poll
    // one is counted, its summary is due and posted from the cached counts, and the other is
    // left over: it goes first at the next poll.
    let turns = [
        ("-200", "second"),
        ("-100", "demo"),
        ("-200", "second"),
        ("-100", "demo"),
    ];
    for (n, (chat, task)) in turns.into_iter().enumerate() {
        let half_hours = i64::try_from(n).unwrap() + 1;
        now.store(ms(MORNING) + half_hours * 30 * 60 * 1000, Ordering::SeqCst);
        let before = sim.requests();
        let report = scheduler.tick(&engine).await;
        assert_eq!(
            (report.requests, report.deferred, report.posted),
            (1, 1, 1),
            "poll {n}: {report:?}"
        );
        assert_eq!(sim.requests() - before, 1, "poll {n}");
        let last = posted(&posts).pop().unwrap();
        assert_eq!(
            last,
            (
                chat.to_string(),
                format!("Progress of task {task} (every 30m)")
            ),
            "poll {n} counted the wrong task"
        );
    }
}

#[tokio::test]
async fn a_due_post_over_the_budget_waits_for_a_poll_with_room_and_is_not_lost() {
    let sim = sim().await;
    let (clock, _now) = clock_at(MORNING);
    let engine = Engine::with_clock(
        client(&sim, 1),
        config("watch_max_requests_per_poll = 1"),
        clock.clone(),
    );
    for (chat, task) in [("-100", "demo"), ("-200", "second")] {
        let reply = engine
            .handle_text(&in_chat("2", chat), &format!("/watch task:{task}"))
            .await;
        assert_eq!(reply.kind, ReplyKind::Done, "{reply:#?}");
    }
    sim.dial_all(SECOND_TASK_ID);
    sim.dial_all(DEMO_TASK_ID);
    let (post, posts) = collector();
    let mut scheduler = WatchScheduler::new(Transport::Telegram, post.clone());
    // The waiting count fits; the 13 counts per status of a due post do not: both wait.
    for n in 0..3 {
        let report = scheduler.tick(&engine).await;
        assert_eq!(
            (report.requests, report.deferred, report.posted),
            (1, 2, 0),
            "poll {n}: {report:?}"
        );
    }
    // A budget of exactly one post (1 + 13 requests): one task a poll, nothing lost.
    let roomy = Engine::with_store(
        client(&sim, 1),
        config("watch_max_requests_per_poll = 14"),
        clock,
        engine.store().clone(),
    );
    let mut scheduler = WatchScheduler::new(Transport::Telegram, post);
    let report = scheduler.tick(&roomy).await;
    assert_eq!(
        (report.requests, report.deferred, report.posted),
        (14, 1, 1),
        "{report:?}"
    );
    let report = scheduler.tick(&roomy).await;
    assert_eq!(
        (report.requests, report.deferred, report.posted),
        (14, 0, 1),
        "{report:?}"
    );
    assert_eq!(
        posted(&posts),
        vec![
            (
                "-200".to_string(),
                "Task second is done: no number is waiting".to_string()
            ),
            (
                "-100".to_string(),
                "Task demo is done: no number is waiting".to_string()
            ),
        ]
    );
}

#[tokio::test]
async fn a_failing_count_backs_off_doubling_from_two_polls_up_to_an_hour() {
    let sim = sim().await;
    let (clock, now) = clock_at(MORNING);
    // Polls of 60 s (the default).
    let engine = Engine::with_clock(client(&sim, 1), config(""), clock);
    engine
        .handle_text(&in_chat("2", "-100"), "/watch task:demo")
        .await;
    let (post, _) = collector();
    let mut scheduler = WatchScheduler::new(Transport::Telegram, post);
    let mut at = ms(MORNING);
    let failing_poll = |at: i64| {
        now.store(at, Ordering::SeqCst);
        sim.inject(Fault::ServerError, 1);
    };
    failing_poll(at);
    let report = scheduler.tick(&engine).await;
    assert_eq!((report.requests, report.failed), (1, 1), "{report:?}");
    // After the n-th failure in a row the task is left alone 2^n polls, at most an hour.
    for (n, wait_secs) in [120, 240, 480, 960, 1920, 3600, 3600]
        .into_iter()
        .enumerate()
    {
        let failures = n + 1;
        now.store(at + (wait_secs - 1) * 1000, Ordering::SeqCst);
        let report = scheduler.tick(&engine).await;
        assert_eq!(
            (report.requests, report.backing_off),
            (0, 1),
            "{failures} failure(s): counted again before {wait_secs} s: {report:?}"
        );
        at += wait_secs * 1000;
        failing_poll(at);
        let report = scheduler.tick(&engine).await;
        assert_eq!(
            (report.requests, report.failed),
            (1, 1),
            "{failures} failure(s): not counted again after {wait_secs} s: {report:?}"
        );
    }
    // A count that works ends the run of failures: the next one waits two polls again.
    at += 3600 * 1000;
    now.store(at, Ordering::SeqCst);
    let report = scheduler.tick(&engine).await;
    assert_eq!(
        (report.requests, report.failed, report.backing_off),
        (1, 0, 0),
        "{report:?}"
    );
    at += 60 * 1000;
    failing_poll(at);
    let report = scheduler.tick(&engine).await;
    assert_eq!(report.failed, 1, "{report:?}");
    now.store(at + 120 * 1000, Ordering::SeqCst);
    let report = scheduler.tick(&engine).await;
    assert_eq!(
        (report.requests, report.failed, report.backing_off),
        (1, 0, 0),
        "a failure after a success waits two polls, not an hour: {report:?}"
    );
}

#[tokio::test]
async fn a_chat_may_watch_25_tasks_and_not_a_26th() {
    let sim = sim().await;
    let (clock, _now) = clock_at(MORNING);
    let engine = Engine::with_clock(client(&sim, 1), config("any_task = true"), clock);
    let viewer = in_chat("2", "-100");
    for n in 1..=25 {
        let reply = engine
            .handle_text(&viewer, &format!("/watch task:t{n:02}"))
            .await;
        assert_eq!(reply.kind, ReplyKind::Done, "watch {n}: {reply:#?}");
    }
    let refused = engine.handle_text(&viewer, "/watch task:t26").await;
    assert_eq!(refused.kind, ReplyKind::Refused, "{refused:#?}");
    assert!(
        refused
            .to_plain_text()
            .contains("A chat may watch at most 25 tasks"),
        "{refused:#?}"
    );
    // Watching a watched task again changes it, within the cap.
    let changed = engine
        .handle_text(&viewer, "/watch task:t01 when:daily@09:00")
        .await;
    assert_eq!(changed.kind, ReplyKind::Done, "{changed:#?}");
    let list = engine.handle_text(&viewer, "/watches").await;
    let rows = list.table.unwrap().rows;
    assert_eq!(rows.len(), 25);
    assert_eq!(rows[0][1], "daily at 09:00 China time");
    // The cap is per chat.
    let elsewhere = engine
        .handle_text(&in_chat("2", "-200"), "/watch task:t26")
        .await;
    assert_eq!(elsewhere.kind, ReplyKind::Done, "{elsewhere:#?}");
    // One watch less: the 26th task fits.
    let gone = engine.handle_text(&viewer, "/unwatch task:t02").await;
    assert_eq!(gone.kind, ReplyKind::Done, "{gone:#?}");
    let fits = engine.handle_text(&viewer, "/watch task:t26").await;
    assert_eq!(fits.kind, ReplyKind::Done, "{fits:#?}");
}

#[tokio::test]
async fn a_watcher_who_lost_the_role_gets_no_post_and_the_watch_is_dropped() {
    let sim = sim().await;
    let (clock, _now) = clock_at(MORNING);
    let before = Engine::with_clock(client(&sim, 1), config(""), clock.clone());
    for (user, chat) in [("2", "-100"), ("3", "-200")] {
        let reply = before
            .handle_text(&in_chat(user, chat), "/watch task:demo when:done")
            .await;
        assert_eq!(reply.kind, ReplyKind::Done, "{reply:#?}");
    }
    // The configuration changes: user 2 is a viewer no more, user 3 still is.
    let after = Engine::with_store(
        client(&sim, 1),
        config_with(r#"["telegram:user:3"]"#, ""),
        clock,
        before.store().clone(),
    );
    sim.dial_all(DEMO_TASK_ID);
    let (post, posts) = collector();
    let mut scheduler = WatchScheduler::new(Transport::Telegram, post);
    let report = scheduler.tick(&after).await;
    assert_eq!(report.posted, 1, "{report:?}");
    assert_eq!(
        posted(&posts),
        vec![(
            "-200".to_string(),
            "Task demo is done: no number is waiting".to_string()
        )],
        "only the one who still holds a role gets the post"
    );
    // The watch of the one without a role is gone (as an engine that still knows them lists).
    let list = before.handle_text(&in_chat("2", "-100"), "/watches").await;
    assert!(
        list.to_plain_text().contains("watches no task"),
        "{list:#?}"
    );
    let report = scheduler.tick(&after).await;
    assert_eq!((report.watches, report.posted), (0, 0), "{report:?}");
}

#[tokio::test]
async fn a_post_that_cannot_be_delivered_is_tried_again_at_the_next_poll() {
    let sim = sim().await;
    let (clock, now) = clock_at(MORNING);
    let engine = Engine::with_clock(client(&sim, 1), config(""), clock);
    engine
        .handle_text(&in_chat("2", "-100"), "/watch task:demo when:done")
        .await;
    sim.dial_all(DEMO_TASK_ID);
    // The chat cannot be reached at the first attempt.
    let attempts = Arc::new(AtomicUsize::new(0));
    let posts: Posts = Arc::default();
    let post: WatchPost = {
        let (attempts, sink) = (attempts.clone(), posts.clone());
        Arc::new(move |caller, reply| {
            let first = attempts.fetch_add(1, Ordering::SeqCst) == 0;
            if !first {
                sink.lock().unwrap().push((caller, reply));
            }
            Box::pin(async move {
                if first {
                    Err(Undelivered("chat unreachable".into()))
                } else {
                    Ok(())
                }
            })
        })
    };
    let mut scheduler = WatchScheduler::new(Transport::Telegram, post);
    let report = scheduler.tick(&engine).await;
    assert_eq!(
        (report.posted, report.undelivered, report.taken_elsewhere),
        (0, 1, 0),
        "{report:?}"
    );
    let list = engine.handle_text(&in_chat("2", "-100"), "/watches").await;
    assert_eq!(list.table.unwrap().rows.len(), 1, "the watch is kept");
    // The next poll: delivered, not held back by the lease of the failed attempt.
    now.fetch_add(60 * 1000, Ordering::SeqCst);
    let report = scheduler.tick(&engine).await;
    assert_eq!(
        (report.posted, report.undelivered, report.taken_elsewhere),
        (1, 0, 0),
        "{report:?}"
    );
    assert_eq!(attempts.load(Ordering::SeqCst), 2);
    let delivered = posts.lock().unwrap().clone();
    assert_eq!(delivered.len(), 1);
    let text = delivered[0].1.to_plain_text();
    assert!(text.contains("task done: 200 dialled"), "{text}");
    let report = scheduler.tick(&engine).await;
    assert_eq!((report.watches, report.posted), (0, 0), "{report:?}");
}

#[tokio::test]
async fn done_figures_are_recounted_when_the_cached_counts_predate_the_waiting_count() {
    let sim = sim().await;
    let (clock, now) = clock_at(MORNING);
    let engine = Engine::with_clock(client(&sim, 1), config(""), clock);
    let viewer = in_chat("2", "-100");
    engine
        .handle_text(&viewer, "/watch task:demo when:done")
        .await;
    // /stats caches the counts per status while numbers still wait (fresh for 60 s).
    let retryable = |sim: &SimHandle| {
        sim.snapshot(DEMO_TASK_ID)
            .iter()
            .filter(|r| [3, 4, 6, 8].contains(&*r.status))
            .count()
    };
    let waiting_before = sim
        .snapshot(DEMO_TASK_ID)
        .iter()
        .filter(|r| *r.status == 0)
        .count();
    assert!(waiting_before > 0, "the simulator seeds waiting numbers");
    let retryable_before = retryable(&sim);
    let stats = engine.handle_text(&viewer, "/stats task:demo").await;
    assert_eq!(stats.kind, ReplyKind::Info, "{stats:#?}");
    sim.dial_all(DEMO_TASK_ID);
    let retryable_after = retryable(&sim);
    assert_ne!(retryable_before, retryable_after);
    // The poll comes 10 s later: the cached counts are still fresh.
    now.fetch_add(10 * 1000, Ordering::SeqCst);
    let (post, posts) = collector();
    let mut scheduler = WatchScheduler::new(Transport::Telegram, post);
    let before = sim.requests();
    let report = scheduler.tick(&engine).await;
    // The waiting count (0) disagrees with the cached counts: all 13 counted again.
    assert_eq!((report.requests, report.posted), (14, 1), "{report:?}");
    assert_eq!(sim.requests() - before, 14);
    let text = posts.lock().unwrap()[0].1.to_plain_text();
    assert!(text.contains("task done: 200 dialled"), "{text}");
    assert!(
        text.contains(&format!("{retryable_after} retryable")),
        "not the figures of before the dialling: {text}"
    );
}

#[tokio::test]
async fn a_daily_summary_posts_at_its_time_in_china() {
    let sim = sim().await;
    // Made at 08:30 in China (00:30 UTC).
    let (clock, now) = clock_at(MORNING);
    let engine = Engine::with_clock(client(&sim, 1), config(""), clock);
    for (chat, line) in [
        ("-100", "/watch task:demo when:daily@09:00"),
        // Its first time today (08:00) was before it was made: tomorrow.
        ("-200", "/watch task:second when:daily@08:00"),
    ] {
        let reply = engine.handle_text(&in_chat("2", chat), line).await;
        assert_eq!(reply.kind, ReplyKind::Done, "{reply:#?}");
    }
    let (post, posts) = collector();
    let mut scheduler = WatchScheduler::new(Transport::Telegram, post);
    let demo = (
        "-100".to_string(),
        "Progress of task demo (daily at 09:00 China time)".to_string(),
    );
    let second = (
        "-200".to_string(),
        "Progress of task second (daily at 08:00 China time)".to_string(),
    );
    for (at, china, expected) in [
        ("2025-03-01T00:59:59Z", "08:59:59", vec![]),
        ("2025-03-01T01:00:00Z", "09:00", vec![demo.clone()]),
        ("2025-03-01T09:00:00Z", "17:00", vec![]),
        ("2025-03-02T00:00:00Z", "08:00 the next day", vec![second]),
        ("2025-03-02T00:59:00Z", "08:59 the next day", vec![]),
        ("2025-03-02T01:00:00Z", "09:00 the next day", vec![demo]),
    ] {
        now.store(ms(at), Ordering::SeqCst);
        let before = posts.lock().unwrap().len();
        let report = scheduler.tick(&engine).await;
        let new: Vec<_> = posted(&posts).split_off(before);
        assert_eq!(new, expected, "at {china} China time: {report:?}");
    }
}

#[tokio::test]
async fn an_unwatch_during_the_delivery_of_a_summary_is_not_undone() {
    let sim = sim().await;
    let (clock, now) = clock_at(MORNING);
    let engine = Engine::with_clock(client(&sim, 1), config(""), clock);
    let viewer = in_chat("2", "-100");
    engine
        .handle_text(&viewer, "/watch task:demo when:every:30m")
        .await;
    // The watcher unwatches while the scheduler is delivering the summary.
    let unwatched = Arc::new(Mutex::new(None));
    let post: WatchPost = {
        let (engine, viewer, unwatched) = (engine.clone(), viewer.clone(), unwatched.clone());
        Arc::new(move |_caller, _reply| {
            let (engine, viewer, unwatched) = (engine.clone(), viewer.clone(), unwatched.clone());
            Box::pin(async move {
                let reply = engine.handle_text(&viewer, "/unwatch task:demo").await;
                *unwatched.lock().unwrap() = Some(reply.kind);
                Ok::<(), Undelivered>(())
            })
        })
    };
    let mut scheduler = WatchScheduler::new(Transport::Telegram, post);
    now.fetch_add(30 * 60 * 1000, Ordering::SeqCst);
    let report = scheduler.tick(&engine).await;
    assert_eq!(report.posted, 1, "{report:?}");
    assert_eq!(*unwatched.lock().unwrap(), Some(ReplyKind::Done));
    let list = engine.handle_text(&viewer, "/watches").await;
    assert!(
        list.to_plain_text().contains("watches no task"),
        "the post brought the watch back: {list:#?}"
    );
}

#[tokio::test]
async fn a_done_watch_made_again_after_its_post_posts_again() {
    let sim = sim().await;
    let (clock, now) = clock_at(MORNING);
    let engine = Engine::with_clock(client(&sim, 1), config(""), clock);
    let viewer = in_chat("2", "-100");
    sim.dial_all(DEMO_TASK_ID);
    let (post, posts) = collector();
    let mut scheduler = WatchScheduler::new(Transport::Telegram, post);
    for n in 0..2 {
        let reply = engine
            .handle_text(&viewer, "/watch task:demo when:done")
            .await;
        assert_eq!(reply.kind, ReplyKind::Done, "{reply:#?}");
        let report = scheduler.tick(&engine).await;
        assert_eq!(
            (report.posted, report.taken_elsewhere),
            (1, 0),
            "watch {n}: {report:?}"
        );
        now.fetch_add(60 * 1000, Ordering::SeqCst);
    }
    assert_eq!(posts.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_watch_is_kept_90_days_from_when_it_was_made_or_last_posted() {
    let sim = sim().await;
    let (clock, now) = clock_at(MORNING);
    let engine = Engine::with_clock(client(&sim, 1), config(""), clock);
    // One that never posts (numbers keep waiting), one that posts every 30 days.
    let (quiet, posting) = (in_chat("2", "-100"), in_chat("2", "-200"));
    engine
        .handle_text(&quiet, "/watch task:demo when:done")
        .await;
    engine
        .handle_text(&posting, "/watch task:second when:every:30d")
        .await;
    let (post, posts) = collector();
    let mut scheduler = WatchScheduler::new(Transport::Telegram, post);
    let day = 24 * 3600 * 1000;
    let rows = |reply: Reply| reply.table.map_or(0, |table| table.rows.len());
    for days in [30, 60, 89] {
        now.store(ms(MORNING) + days * day, Ordering::SeqCst);
        scheduler.tick(&engine).await;
    }
    assert_eq!(posts.lock().unwrap().len(), 2, "posted on days 30 and 60");
    let list = engine.handle_text(&quiet, "/watches").await;
    assert_eq!(rows(list), 1, "kept on day 89");
    now.store(ms(MORNING) + 90 * day + 1000, Ordering::SeqCst);
    let list = engine.handle_text(&quiet, "/watches").await;
    assert_eq!(rows(list), 0, "gone 90 days after it was made");
    // The one that posted on day 60 is kept until day 150.
    now.store(ms(MORNING) + 149 * day, Ordering::SeqCst);
    let list = engine.handle_text(&posting, "/watches").await;
    assert_eq!(rows(list), 1, "kept 89 days after its last post");
}

#[tokio::test]
async fn a_done_watch_waits_for_the_last_waiting_number() {
    // A simulator whose demo task has exactly one number waiting (the first seed that gives one).
    let mut found = None;
    for seed in 0..64 {
        let sim = agent_sim::start(SimConfig {
            size: 4,
            seed,
            ..SimConfig::default()
        })
        .await
        .unwrap();
        let waiting = sim
            .snapshot(DEMO_TASK_ID)
            .iter()
            .filter(|r| *r.status == 0)
            .count();
        if waiting == 1 {
            found = Some(sim);
            break;
        }
        sim.shutdown().await;
    }
    let sim = found.expect("a seed whose demo task has one waiting number");
    let (clock, now) = clock_at(MORNING);
    let engine = Engine::with_clock(client(&sim, 1), config(""), clock);
    engine
        .handle_text(&in_chat("2", "-100"), "/watch task:demo when:done")
        .await;
    let (post, posts) = collector();
    let mut scheduler = WatchScheduler::new(Transport::Telegram, post);
    let report = scheduler.tick(&engine).await;
    assert_eq!(
        (report.requests, report.posted),
        (1, 0),
        "one number still waits: {report:?}"
    );
    assert_eq!(sim.dial_all(DEMO_TASK_ID), 1);
    now.fetch_add(60 * 1000, Ordering::SeqCst);
    let report = scheduler.tick(&engine).await;
    assert_eq!(report.posted, 1, "{report:?}");
    assert_eq!(
        posted(&posts),
        vec![(
            "-100".to_string(),
            "Task demo is done: no number is waiting".to_string()
        )]
    );
}

/// A post that waits, once, until `gate` is opened, telling `entered` it got there.
fn gated(
    posts: &Posts,
    gate: &Arc<tokio::sync::Semaphore>,
    entered: tokio::sync::mpsc::UnboundedSender<()>,
) -> WatchPost {
    let (sink, gate) = (posts.clone(), gate.clone());
    Arc::new(move |caller, reply| {
        sink.lock().unwrap().push((caller, reply));
        let (gate, entered) = (gate.clone(), entered.clone());
        Box::pin(async move {
            entered.send(()).ok();
            gate.acquire().await.unwrap().forget();
            Ok(())
        })
    })
}

#[tokio::test]
async fn a_summary_posts_at_its_interval() {
    let sim = sim().await;
    let offset = Arc::new(AtomicI64::new(0));
    let engine = engine(&sim, &offset);
    let zh = Caller {
        locale: Some("zh-CN".into()),
        ..in_chat("2", "-100")
    };
    engine
        .handle_text(&zh, "/watch task:demo when:every:30m")
        .await;
    let (post, posts) = collector();
    let mut scheduler = WatchScheduler::new(Transport::Telegram, post);
    scheduler.tick(&engine).await;
    assert!(posts.lock().unwrap().is_empty());
    offset.store(30 * 60 + 1, Ordering::SeqCst);
    scheduler.tick(&engine).await;
    scheduler.tick(&engine).await;
    {
        let posted = posts.lock().unwrap();
        assert_eq!(posted.len(), 1);
        let text = posted[0].1.to_plain_text();
        assert!(text.contains("任务 demo 进度（每 30m）"), "{text}");
        assert!(text.contains("等待呼叫"), "{text}");
    }
    offset.store(60 * 60 + 1, Ordering::SeqCst);
    scheduler.tick(&engine).await;
    assert_eq!(posts.lock().unwrap().len(), 2);
    let list = engine.handle_text(&zh, "/watches").await;
    assert_ne!(list.table.unwrap().rows[0][2], "-");
}

#[tokio::test]
async fn a_watch_survives_a_restart_on_the_embedded_store() {
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("agent-ops.redb");
    let offset = Arc::new(AtomicI64::new(0));
    let viewer = in_chat("2", "-100");
    {
        let store = EmbeddedStore::open(file.clone(), shifted(&offset))
            .await
            .unwrap();
        let engine = Engine::with_store(
            client(&sim, 1),
            config(""),
            shifted(&offset),
            Arc::new(store),
        );
        engine
            .handle_text(&viewer, "/watch task:demo when:done")
            .await;
        engine.shutdown().await;
    }
    let store = EmbeddedStore::open(file, shifted(&offset)).await.unwrap();
    let engine = Engine::with_store(
        client(&sim, 1),
        config(""),
        shifted(&offset),
        Arc::new(store),
    );
    let list = engine.handle_text(&viewer, "/watches").await;
    assert_eq!(list.table.unwrap().rows.len(), 1);
    sim.dial_all(DEMO_TASK_ID);
    let (post, posts) = collector();
    let mut scheduler = WatchScheduler::new(Transport::Telegram, post);
    scheduler.tick(&engine).await;
    scheduler.tick(&engine).await;
    assert_eq!(posts.lock().unwrap().len(), 1);
}

/// Two engines on one Redis with clocks a poll apart: each takes its own poll's lease of the
/// task, so both count it and find its watches due; the lease of each due post decides which
/// one posts it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_engines_on_one_redis_a_poll_apart_post_each_due_watch_once() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let sim = sim().await;
    let url = StateUrl::parse(&server.url()).unwrap();
    let (clock_a, _) = clock_at(MORNING);
    let (clock_b, now_b) = clock_at(MORNING);
    now_b.fetch_add(60 * 1000, Ordering::SeqCst);
    let mut replicas = Vec::new();
    for clock in [clock_a, clock_b] {
        let store = url.open(clock.clone(), &[]).await.unwrap();
        replicas.push(Engine::with_store(
            client(&sim, 1),
            config(""),
            clock,
            store,
        ));
    }
    let (a, b) = (replicas[0].clone(), replicas[1].clone());
    // Ten chats watch the task (made on either replica); it is dialled out.
    for n in 0..10 {
        let engine = if n % 2 == 0 { &a } else { &b };
        let reply = engine
            .handle_text(&in_chat("2", &format!("-{n}")), "/watch task:demo")
            .await;
        assert_eq!(reply.kind, ReplyKind::Done);
    }
    sim.dial_all(DEMO_TASK_ID);
    let posts: Posts = Arc::default();
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let (entered_tx, mut entered) = tokio::sync::mpsc::unbounded_channel();
    let mut on_a = WatchScheduler::new(Transport::Telegram, gated(&posts, &gate, entered_tx));
    let on_b_post: WatchPost = {
        let sink = posts.clone();
        Arc::new(move |caller, reply| {
            sink.lock().unwrap().push((caller, reply));
            Box::pin(async { Ok::<(), Undelivered>(()) })
        })
    };
    let mut on_b = WatchScheduler::new(Transport::Telegram, on_b_post);
    // A lists the ten watches and holds its first post in delivery…
    let a_polls = {
        let a = a.clone();
        tokio::spawn(async move { on_a.tick(&a).await })
    };
    tokio::time::timeout(Duration::from_secs(30), entered.recv())
        .await
        .expect("replica A starts delivering within 30 s")
        .unwrap();
    // …while B, a poll later, polls the same ten watches: all due, one of them A's.
    let rb: TickReport = on_b.tick(&b).await;
    gate.add_permits(100);
    let ra: TickReport = a_polls.await.unwrap();
    assert_eq!(
        (ra.posted, ra.taken_elsewhere, rb.posted, rb.taken_elsewhere),
        (1, 9, 9, 1),
        "A: {ra:?}, B: {rb:?}"
    );
    assert_eq!(
        (ra.requests, rb.requests),
        (14, 14),
        "both counted the task"
    );
    let mut chats: Vec<String> = posted(&posts).into_iter().map(|(chat, _)| chat).collect();
    chats.sort();
    chats.dedup();
    assert_eq!(
        (posts.lock().unwrap().len(), chats.len()),
        (10, 10),
        "{chats:?}"
    );
    let list = a.handle_text(&in_chat("2", "-0"), "/watches").await;
    assert!(list.table.is_none(), "{list:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_engines_on_one_redis_count_a_watched_task_once_a_poll_between_them() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let sim = sim().await;
    // Both replicas' clocks stand in the middle of a poll (60 s) and move a poll at a time.
    let now = jiff::Timestamp::now().as_second();
    let start = now - now.rem_euclid(60) + 30;
    let polls = Arc::new(AtomicI64::new(0));
    let clock: Clock = {
        let polls = polls.clone();
        Arc::new(move || {
            jiff::Timestamp::from_second(start + 60 * polls.load(Ordering::SeqCst)).unwrap()
        })
    };
    let url = StateUrl::parse(&server.url()).unwrap();
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let store = url.open(clock.clone(), &[]).await.unwrap();
        replicas.push(Engine::with_store(
            client(&sim, 1),
            config(""),
            clock.clone(),
            store,
        ));
    }
    let (a, b) = (replicas[0].clone(), replicas[1].clone());
    for (engine, chat, task) in [(&a, "-1", "demo"), (&b, "-2", "demo"), (&a, "-3", "second")] {
        let reply = engine
            .handle_text(&in_chat("2", chat), &format!("/watch task:{task}"))
            .await;
        assert_eq!(reply.kind, ReplyKind::Done, "{reply:#?}");
    }
    let (post, _) = collector();
    let mut on_a = WatchScheduler::new(Transport::Telegram, post.clone());
    let mut on_b = WatchScheduler::new(Transport::Telegram, post);
    for poll in 0..3 {
        polls.store(poll, Ordering::SeqCst);
        let before = sim.requests();
        let (ra, rb) = tokio::join!(on_a.tick(&a), on_b.tick(&b));
        // Two watched tasks: two count requests a poll between the replicas, not four.
        assert_eq!(sim.requests() - before, 2, "{ra:?} {rb:?}");
        assert_eq!(ra.requests + rb.requests, 2, "{ra:?} {rb:?}");
        assert_eq!(
            ra.polled_elsewhere + rb.polled_elsewhere,
            2,
            "{ra:?} {rb:?}"
        );
        // A second poll within the same time counts nothing more.
        let (ra, rb) = tokio::join!(on_a.tick(&a), on_b.tick(&b));
        assert_eq!(ra.requests + rb.requests, 0, "{ra:?} {rb:?}");
    }
}

#[tokio::test]
async fn the_runner_polls_on_its_timer_and_stops_at_shutdown() {
    let sim = sim().await;
    let mut config = config("");
    // Short polls in tests.
    config.watch_poll = Duration::from_millis(20);
    let engine = Engine::new(client(&sim, 1), config);
    engine
        .handle_text(&in_chat("2", "-100"), "/watch task:demo")
        .await;
    let (sent, mut received) = tokio::sync::mpsc::unbounded_channel();
    let post: WatchPost = Arc::new(move |caller: Caller, reply: Reply| {
        sent.send((caller.chat_id, reply.title)).ok();
        Box::pin(async { Ok::<(), Undelivered>(()) })
    });
    let held = Arc::downgrade(&post);
    let _runner = engine.run_watches(Transport::Telegram, post);
    sim.dial_all(DEMO_TASK_ID);
    let first = tokio::time::timeout(Duration::from_secs(30), received.recv())
        .await
        .expect("the runner posts within 30 s")
        .unwrap();
    assert_eq!(
        first,
        (
            Some("-100".to_string()),
            "Task demo is done: no number is waiting".to_string()
        )
    );
    let stopped = engine.shutdown().await;
    assert!(stopped.drained);
    // The runner's task has ended: it dropped its scheduler and the post it delivers through…
    assert!(
        held.upgrade().is_none(),
        "the runner still holds its post after shutdown"
    );
    // …so nothing more can come: the channel has nothing queued, and is closed.
    assert_eq!(received.recv().await, None, "a post after the first");
}
