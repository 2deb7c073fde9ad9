//! `/stats` and the shared counts against the simulator, which counts the requests it serves:
//! what each command costs the platform, that the counts match the simulator's own data, the
//! cache's lifetime and its invalidation by a reset, the refresh button, the chart image.
#![allow(clippy::unwrap_used)] // tests may panic

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use agent_chatops::{
    AttachmentData, AttachmentKind, Caller, Engine, EngineConfig, Reply, ReplyKind, Transport,
};
use agent_core::{ApiConfig, CallStatus, StatusSet};
use agent_sim::{DEMO_TASK_ID, SUB_TASK_ID, SUB_USER_ID, SimConfig, SimHandle};
use jiff::civil::Date;
use support::{action, engine_on_shifted_clock, shell};

struct World {
    sim: SimHandle,
    engine: Engine,
    /// Seconds added to the real clock.
    clock_offset: Arc<AtomicI64>,
    _dir: tempfile::TempDir,
}

impl World {
    async fn new() -> Self {
        let sim = agent_sim::start(SimConfig {
            size: 400,
            ..SimConfig::default()
        })
        .await
        .unwrap();
        let api = ApiConfig::from_lookup(sim.env()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let toml = format!(
            r#"
            [chatops]
            secret = "test-secret-0123456789"
            rate_limit_per_minute = 0
            stats_ttl_secs = 60
            audit_log = "{}"
            operators = ["shell:alice"]
            viewers = ["shell:victor", "telegram:chat:-100"]
            sub_accounts = ["{SUB_USER_ID}"]
            [chatops.tasks]
            demo = "{DEMO_TASK_ID}"
            sub = "{SUB_TASK_ID}"
            "#,
            dir.path().join("audit.jsonl").display()
        );
        let config = EngineConfig::from_text(&toml).unwrap();
        let (engine, clock_offset) = engine_on_shifted_clock(&api, config);
        Self {
            sim,
            engine,
            clock_offset,
            _dir: dir,
        }
    }

    /// The reply to `text`, and how many requests the simulator served for it.
    async fn cost(&self, who: &Caller, text: &str) -> (Reply, u64) {
        let before = self.sim.requests();
        let reply = self.engine.handle_text(who, text).await;
        (reply, self.sim.requests() - before)
    }

    /// The reply to pressing `data`, and how many requests it cost.
    async fn press_cost(&self, who: &Caller, data: &str) -> (Reply, u64) {
        let before = self.sim.requests();
        let reply = self.engine.press(who, data).await;
        (reply, self.sim.requests() - before)
    }

    /// The simulator's own count of the demo task's numbers per status, created within
    /// `days` (China dates, inclusive) when given.
    fn expected(&self, statuses: StatusSet, days: Option<(Date, Date)>) -> Vec<(CallStatus, u64)> {
        let records = self.sim.snapshot(DEMO_TASK_ID);
        let statuses = if statuses.is_empty() {
            StatusSet::all()
        } else {
            statuses
        };
        statuses
            .iter()
            .map(|status| {
                let n = records
                    .iter()
                    .filter(|r| *r.status == i64::from(status.code()))
                    .filter(|r| {
                        days.is_none_or(|(from, to)| {
                            let day = r.created_at.datetime().date();
                            from <= day && day <= to
                        })
                    })
                    .count();
                (status, n as u64)
            })
            .collect()
    }
}

/// The counts of the text chart: `(status, count)` per row, from the English labels.
fn chart_counts(reply: &Reply) -> Vec<(CallStatus, u64)> {
    let table = reply.table.as_ref().unwrap_or_else(|| panic!("{reply:#?}"));
    table
        .rows
        .iter()
        .map(|row| (row[0].parse().unwrap(), row[1].parse().unwrap()))
        .collect()
}

/// The total of the summary line (`400 numbers: 300 dialled, 100 waiting`).
fn total(reply: &Reply) -> u64 {
    let summary = reply.summary.as_deref().unwrap();
    summary.split_whitespace().next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_cold_stats_costs_13_requests_a_warm_one_none_in_any_chat() {
    let world = World::new().await;
    let (cold, requests) = world.cost(&shell("victor"), "/stats task:demo").await;
    assert_eq!(cold.kind, ReplyKind::Info, "{cold:#?}");
    assert_eq!(requests, 13, "one count per status");
    let (warm, requests) = world.cost(&shell("victor"), "/stats demo").await;
    assert_eq!(requests, 0);
    assert_eq!(warm.table, cold.table);
    // Shared with every chat, for every viewer.
    let group = Caller {
        chat_id: Some("-100".into()),
        ..Caller::new(Transport::Telegram, "9")
    };
    let (shared, requests) = world.cost(&group, "/stats task:demo").await;
    assert_eq!(requests, 0);
    assert_eq!(shared.table, cold.table);
    // Another filter is counted on its own: one request per status of it.
    let (_, requests) = world
        .cost(&shell("victor"), "/stats task:demo status:busy,no-answer")
        .await;
    assert_eq!(requests, 2);
    let (_, requests) = world
        .cost(&shell("victor"), "/stats task:demo status:busy,no-answer")
        .await;
    assert_eq!(requests, 0);
}

#[tokio::test]
async fn counts_are_fresh_for_stats_ttl_secs_by_the_engines_clock() {
    let world = World::new().await;
    let (_, requests) = world.cost(&shell("victor"), "/stats demo").await;
    assert_eq!(requests, 13);
    world.clock_offset.store(59, Ordering::SeqCst);
    assert_eq!(world.cost(&shell("victor"), "/stats demo").await.1, 0);
    world.clock_offset.store(61, Ordering::SeqCst);
    assert_eq!(world.cost(&shell("victor"), "/stats demo").await.1, 13);
}

#[tokio::test]
async fn numbers_costs_one_request_per_page_and_shows_counts_only_when_fresh() {
    let world = World::new().await;
    let victor = shell("victor");
    let (page, requests) = world.cost(&victor, "/numbers task:demo status:busy").await;
    assert_eq!(page.kind, ReplyKind::Page, "{page:#?}");
    assert_eq!(requests, 1);
    assert_eq!(page.summary, None);
    assert!(
        page.lines
            .iter()
            .any(|l| l == "Counts per status: run /stats task:demo status:busy"),
        "{:?}",
        page.lines
    );
    let (next, requests) = world.press_cost(&victor, action(&page, "Next")).await;
    assert_eq!(requests, 1);
    assert!(next.footer.as_deref().unwrap().contains("page 2/"));
    let (prev, requests) = world.press_cost(&victor, action(&next, "Next")).await;
    assert_eq!(requests, 1);
    let (_, requests) = world.press_cost(&victor, action(&prev, "Prev")).await;
    assert_eq!(requests, 1);

    // After /stats of the same filter, pages show its counts, still at one request.
    let (stats, requests) = world.cost(&victor, "/stats task:demo status:busy").await;
    assert_eq!(requests, 1, "one status, one count");
    let busy = chart_counts(&stats)[0].1;
    let (page, requests) = world.cost(&victor, "/numbers task:demo status:busy").await;
    assert_eq!(requests, 1);
    assert_eq!(
        page.summary.as_deref(),
        Some(format!("By status: busy {busy}").as_str())
    );
    let (next, requests) = world.press_cost(&victor, action(&page, "Next")).await;
    assert_eq!(requests, 1);
    assert_eq!(next.summary, page.summary);
    // Stale counts are left out.
    world.clock_offset.store(120, Ordering::SeqCst);
    let (page, requests) = world.cost(&victor, "/numbers task:demo status:busy").await;
    assert_eq!(requests, 1);
    assert_eq!(page.summary, None);
}

#[tokio::test]
async fn a_reset_of_the_task_forgets_its_counts() {
    let world = World::new().await;
    let alice = shell("alice");
    let (before, requests) = world.cost(&alice, "/stats task:demo").await;
    assert_eq!(requests, 13);
    let busy = chart_counts(&before)
        .into_iter()
        .find(|(s, _)| *s == CallStatus::Busy)
        .unwrap()
        .1;
    assert!(busy > 0);
    let preview = world
        .engine
        .handle_text(&alice, "/reset task:demo status:busy")
        .await;
    let done = world
        .engine
        .press(&alice, action(&preview, "Confirm"))
        .await;
    assert_eq!(done.kind, ReplyKind::Done, "{done:#?}");
    let (after, requests) = world.cost(&alice, "/stats task:demo").await;
    assert_eq!(requests, 13, "counted again after the reset");
    let after = chart_counts(&after);
    assert!(after.contains(&(CallStatus::Busy, 0)), "{after:?}");
    assert_eq!(after, world.expected(StatusSet::empty(), None));
}

#[tokio::test]
async fn a_reset_whose_answer_was_lost_forgets_the_counts_all_the_same() {
    let world = World::new().await;
    let alice = shell("alice");
    let (_, requests) = world.cost(&alice, "/stats task:demo").await;
    assert_eq!(requests, 13);
    let preview = world
        .engine
        .handle_text(&alice, "/reset task:demo status:busy")
        .await;
    // The platform makes the reset but its answer is cut off: the outcome is unknown to us,
    // and the numbers may well have changed.
    world.sim.inject(agent_sim::Fault::Truncated, 1);
    let failed = world
        .engine
        .press(&alice, action(&preview, "Confirm"))
        .await;
    assert_ne!(failed.kind, ReplyKind::Done, "{failed:#?}");
    let (after, requests) = world.cost(&alice, "/stats task:demo").await;
    assert_eq!(
        requests, 13,
        "counted again after a reset of unknown outcome"
    );
    let after = chart_counts(&after);
    assert!(after.contains(&(CallStatus::Busy, 0)), "{after:?}");
    assert_eq!(after, world.expected(StatusSet::empty(), None));
}

#[tokio::test]
async fn the_counts_sum_to_the_total_and_match_the_simulators_data() {
    let world = World::new().await;
    let victor = shell("victor");
    // Days within the 30 days the simulator's numbers were created over.
    let mut days: Vec<Date> = world
        .sim
        .snapshot(DEMO_TASK_ID)
        .iter()
        .map(|r| r.created_at.datetime().date())
        .collect();
    days.sort();
    let (from, to) = (days[days.len() / 4], days[days.len() * 3 / 4]);
    let cases = [
        ("", StatusSet::empty(), None),
        (
            "status:busy,no-answer",
            StatusSet::parse_list("busy,no-answer").unwrap(),
            None,
        ),
        (
            "status:retryable",
            StatusSet::parse_list("retryable").unwrap(),
            None,
        ),
        (
            "status:permanent",
            StatusSet::parse_list("permanent").unwrap(),
            None,
        ),
        (
            &*format!("from:{from} to:{to}"),
            StatusSet::empty(),
            Some((from, to)),
        ),
        (
            &*format!("status:waiting,connected from:{from}"),
            StatusSet::parse_list("waiting,connected").unwrap(),
            Some((from, days[days.len() - 1])),
        ),
    ];
    for (options, statuses, range) in cases {
        let (reply, requests) = world
            .cost(&victor, &format!("/stats task:demo {options}"))
            .await;
        assert_eq!(reply.kind, ReplyKind::Info, "{options}: {reply:#?}");
        let expected = world.expected(statuses, range);
        assert_eq!(requests, expected.len() as u64, "{options}");
        let counts = chart_counts(&reply);
        assert_eq!(counts, expected, "{options}");
        let sum: u64 = counts.iter().map(|(_, n)| n).sum();
        assert_eq!(total(&reply), sum, "{options}");
        assert!(sum > 0, "{options}: the case should match some numbers");
    }
}

#[tokio::test]
async fn the_reply_says_dialled_connected_and_the_groups() {
    let world = World::new().await;
    let reply = world
        .engine
        .handle_text(&shell("victor"), "/stats demo")
        .await;
    let expected = world.expected(StatusSet::empty(), None);
    let get = |status| expected.iter().find(|(s, _)| *s == status).unwrap().1;
    let total: u64 = expected.iter().map(|(_, n)| n).sum();
    let waiting = get(CallStatus::Waiting);
    let connected = get(CallStatus::Connected);
    let dialled = total - waiting;
    assert_eq!(
        reply.summary.as_deref(),
        Some(format!("{total} numbers: {dialled} dialled, {waiting} waiting").as_str())
    );
    let rate = (connected * 1000 + dialled / 2) / dialled;
    assert_eq!(
        reply.lines[0],
        format!(
            "Connected: {connected} · connect rate {}.{}% of dialled",
            rate / 10,
            rate % 10
        )
    );
    let retryable: u64 = [
        CallStatus::Rejected,
        CallStatus::NoAnswer,
        CallStatus::PoweredOff,
        CallStatus::Busy,
    ]
    .into_iter()
    .map(get)
    .sum();
    assert!(
        reply.lines[1].starts_with(&format!("Worth another try (retryable): {retryable} ·")),
        "{}",
        reply.lines[1]
    );
    assert!(reply.footer.unwrap().starts_with("Counted at "));
    assert!(!reply.private, "a task's progress is for the chat");
}

#[tokio::test]
async fn the_reply_attaches_the_chart_as_a_png_in_the_users_language() {
    let world = World::new().await;
    let zh = Caller {
        locale: Some("zh-CN".into()),
        ..shell("victor")
    };
    for (who, title) in [
        (shell("victor"), "Progress of task demo"),
        (zh, "任务进度 demo"),
    ] {
        let reply = world.engine.handle_text(&who, "/stats demo").await;
        assert!(reply.title.starts_with(title), "{}", reply.title);
        assert_eq!(reply.attachments.len(), 1);
        let image = &reply.attachments[0];
        assert_eq!(image.kind, AttachmentKind::Image);
        assert_eq!(image.media_type, "image/png");
        assert_eq!(image.name, "stats-demo.png");
        let AttachmentData::Bytes(bytes) = &image.data else {
            panic!("a chart is held in memory");
        };
        let info = png::Decoder::new(std::io::Cursor::new(bytes.to_vec()))
            .read_info()
            .unwrap()
            .info()
            .clone();
        assert_eq!(
            (info.width, info.height),
            (
                agent_chatops::chart::CHART_WIDTH,
                agent_chatops::chart::CHART_HEIGHT
            )
        );
    }
}

#[tokio::test]
async fn refresh_counts_again_and_checks_the_role_on_every_press() {
    let world = World::new().await;
    let victor = shell("victor");
    let (reply, _) = world
        .cost(&victor, "/stats task:demo status:retryable")
        .await;
    let refresh = action(&reply, "Refresh").to_string();
    // The cache is fresh, but a refresh counts again.
    let (again, requests) = world.press_cost(&victor, &refresh).await;
    assert_eq!(requests, 4, "the four statuses of the group");
    assert_eq!(again.kind, ReplyKind::Info);
    assert_eq!(again.table, reply.table);
    assert_eq!(action(&again, "Refresh"), refresh, "the same filter");
    // Someone without a role sees the button but may not press it.
    let (refused, requests) = world.press_cost(&shell("mallory"), &refresh).await;
    assert_eq!(refused.kind, ReplyKind::Refused);
    assert_eq!(requests, 0);
    // An altered button is refused.
    let mut forged = refresh.into_bytes();
    let last = forged.len() - 1;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    let (forged, requests) = world
        .press_cost(&victor, &String::from_utf8(forged).unwrap())
        .await;
    assert_eq!(forged.kind, ReplyKind::Refused);
    assert_eq!(requests, 0);
}

#[tokio::test]
async fn chats_asking_at_once_share_one_count() {
    let world = World::new().await;
    let before = world.sim.requests();
    let group = Caller {
        chat_id: Some("-100".into()),
        ..Caller::new(Transport::Telegram, "9")
    };
    let (victor, alice) = (shell("victor"), shell("alice"));
    let (a, b, c) = tokio::join!(
        world.engine.handle_text(&victor, "/stats task:demo"),
        world.engine.handle_text(&group, "/stats task:demo"),
        world.engine.handle_text(&alice, "/stats demo"),
    );
    assert_eq!(
        world.sim.requests() - before,
        13,
        "counted once for the three"
    );
    assert_eq!(a.table, b.table);
    assert_eq!(b.table, c.table);
    // Two refreshes pressed at once count once too.
    let refresh = action(&a, "Refresh").to_string();
    let before = world.sim.requests();
    let (x, y) = tokio::join!(
        world.engine.press(&victor, &refresh),
        world.engine.press(&group, &refresh),
    );
    assert_eq!(world.sim.requests() - before, 13);
    assert_eq!(x.table, y.table);
}

#[tokio::test]
async fn a_filter_too_large_for_a_button_is_kept_and_refreshed_all_the_same() {
    let world = World::new().await;
    let victor = shell("victor");
    let command =
        format!("/stats task:sub sub:{SUB_USER_ID} from:2000-01-01 to:\"2099-12-31 23:00\"");
    let (reply, requests) = world.cost(&victor, &command).await;
    assert_eq!(reply.kind, ReplyKind::Info, "{reply:#?}");
    assert_eq!(requests, 13);
    let total: u64 = chart_counts(&reply).iter().map(|(_, n)| n).sum();
    assert_eq!(total as usize, world.sim.snapshot(SUB_TASK_ID).len());
    let refresh = action(&reply, "Refresh").to_string();
    assert!(refresh.len() <= 64);
    assert_eq!(world.engine.held().0, 1, "the filter is kept by the engine");
    let (again, requests) = world.press_cost(&victor, &refresh).await;
    assert_eq!(again.kind, ReplyKind::Info, "{again:#?}");
    assert_eq!(requests, 13);
    assert_eq!(again.table, reply.table);
    assert_eq!(again.title, reply.title);
}

#[tokio::test]
async fn the_hint_under_a_page_is_the_stats_command_of_the_same_filter() {
    let world = World::new().await;
    let victor = shell("victor");
    let page = world
        .engine
        .handle_text(
            &victor,
            r#"/numbers demo status:retryable from:"2020-01-01 08:30" to:2099-12-31"#,
        )
        .await;
    assert_eq!(page.kind, ReplyKind::Page, "{page:#?}");
    assert_eq!(page.summary, None);
    let hint = page
        .lines
        .iter()
        .find_map(|line| line.strip_prefix("Counts per status: run "))
        .unwrap_or_else(|| panic!("{:?}", page.lines));
    assert_eq!(
        hint,
        r#"/stats task:demo status:retryable from:"2020-01-01 08:30:00" to:"2099-12-31 23:59:59""#
    );
    // Running it counts the page's filter: the next page shows those counts.
    let (stats, requests) = world.cost(&victor, hint).await;
    assert_eq!(stats.kind, ReplyKind::Info, "{stats:#?}");
    assert_eq!(requests, 4);
    let (page, requests) = world
        .cost(
            &victor,
            r#"/numbers demo status:retryable from:"2020-01-01 08:30" to:2099-12-31"#,
        )
        .await;
    assert_eq!(requests, 1);
    let counts: Vec<String> = chart_counts(&stats)
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{s} {n}"))
        .collect();
    assert_eq!(
        page.summary,
        Some(format!("By status: {}", counts.join(" · ")))
    );
}
