//! `/watch`, `/unwatch`, `/watches` and the watch scheduler, against the simulator (which
//! counts the requests it serves and dials a task out on demand): a done watch posts once when
//! the task's waiting numbers are dialled, one count request per watched task per poll shared
//! by every chat, the request budget, backing off on errors, summaries at their interval, a
//! watch that survives a restart on the embedded store, and two engines on one real Redis
//! posting a due watch once.
#![allow(clippy::unwrap_used)] // tests may panic

mod support;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_chatops::store::EmbeddedStore;
use agent_chatops::{
    Caller, Clock, Engine, EngineConfig, Reply, ReplyKind, StateUrl, Transport, Undelivered,
    WatchPost, WatchScheduler,
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

fn config(extra: &str) -> EngineConfig {
    EngineConfig::from_text(&format!(
        r#"
        [chatops]
        secret = "watch-secret-0123456789"
        rate_limit_per_minute = 0
        operators = ["telegram:user:1"]
        viewers = ["telegram:user:2", "telegram:user:3"]
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
async fn one_count_per_watched_task_per_poll_shared_by_every_chat_within_the_budget() {
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

    // A budget of one request a poll: the tasks take turns.
    let mut small = config("watch_max_requests_per_poll = 1");
    small.watch_poll = Duration::from_millis(10);
    let engine = Engine::with_store(
        client(&sim, 1),
        small,
        shifted(&offset),
        engine.store().clone(),
    );
    let (post, _) = collector();
    let mut scheduler = WatchScheduler::new(Transport::Telegram, post);
    for _ in 0..4 {
        let before = sim.requests();
        let report = scheduler.tick(&engine).await;
        assert_eq!((report.requests, report.deferred), (1, 1), "{report:?}");
        assert_eq!(sim.requests() - before, 1);
    }
    // With a due post that needs 13 more requests than the budget: it waits, nothing is lost.
    sim.dial_all(SECOND_TASK_ID);
    sim.dial_all(DEMO_TASK_ID);
    for _ in 0..4 {
        let report = scheduler.tick(&engine).await;
        assert!(report.requests <= 1, "{report:?}");
        assert_eq!(report.posted, 0);
    }
}

#[tokio::test]
async fn a_failing_count_backs_off() {
    let sim = sim().await;
    let offset = Arc::new(AtomicI64::new(0));
    let engine = engine(&sim, &offset);
    engine
        .handle_text(&in_chat("2", "-100"), "/watch task:demo")
        .await;
    let (post, _) = collector();
    let mut scheduler = WatchScheduler::new(Transport::Telegram, post);
    sim.inject(Fault::ServerError, 1);
    let report = scheduler.tick(&engine).await;
    assert_eq!(report.failed, 1, "{report:?}");
    // Within the backoff (two polls of 60 s): no request.
    let report = scheduler.tick(&engine).await;
    assert_eq!((report.backing_off, report.requests), (1, 0), "{report:?}");
    offset.store(121, Ordering::SeqCst);
    let report = scheduler.tick(&engine).await;
    assert_eq!((report.requests, report.failed), (1, 0), "{report:?}");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_engines_on_one_redis_post_a_due_watch_once() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let sim = sim().await;
    let url = StateUrl::parse(&server.url()).unwrap();
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let mut config = config("");
        config.state = Some(url.clone());
        replicas.push(
            Engine::open(client(&sim, 1), config, &StateUrl::Memory)
                .await
                .unwrap(),
        );
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
    let (post, posts) = collector();
    let mut on_a = WatchScheduler::new(Transport::Telegram, post.clone());
    let mut on_b = WatchScheduler::new(Transport::Telegram, post);
    for _ in 0..3 {
        let (ra, rb) = tokio::join!(on_a.tick(&a), on_b.tick(&b));
        assert!(ra.posted + rb.posted <= 10);
    }
    let posted = posts.lock().unwrap().clone();
    let mut chats: Vec<String> = posted
        .iter()
        .map(|(caller, _)| caller.chat_id.clone().unwrap())
        .collect();
    chats.sort();
    chats.dedup();
    assert_eq!((posted.len(), chats.len()), (10, 10), "{chats:?}");
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
    let (post, posts) = collector();
    let _runner = engine.run_watches(Transport::Telegram, post);
    sim.dial_all(DEMO_TASK_ID);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while posts.lock().unwrap().is_empty() {
        assert!(std::time::Instant::now() < deadline, "no post");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let stopped = engine.shutdown().await;
    assert!(stopped.drained);
    let before = sim.requests();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(sim.requests(), before, "polls after shutdown");
    assert_eq!(posts.lock().unwrap().len(), 1);
}
