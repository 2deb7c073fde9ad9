//! The engine against the simulator over real HTTP: every command path, authorization on
//! commands and presses, confirmation rules, expiry, tampering, audit lines.
#![allow(clippy::unwrap_used)] // tests may panic

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use agent_chatops::{
    ActionStyle, Caller, CommandName, Engine, EngineConfig, Reply, ReplyKind, Transport,
};
use agent_core::{ApiConfig, CallStatus, RetryPolicy};
use agent_sim::{DEMO_TASK_ID, Fault, SimConfig, SimHandle};
use serde_json::Value;
use support::{action, engine_on_shifted_clock, numbers_kept_in_the_store, shell};

struct World {
    sim: SimHandle,
    engine: Engine,
    /// Seconds added to the real clock.
    clock_offset: Arc<AtomicI64>,
    dir: tempfile::TempDir,
}

impl World {
    async fn new() -> Self {
        Self::with_size(240).await
    }

    async fn with_size(size: usize) -> Self {
        Self::build(size, "").await
    }

    /// A world whose `[chatops]` table has `extra` lines too.
    async fn build(size: usize, extra: &str) -> Self {
        Self::build_with(size, extra, |_, _| {}).await
    }

    /// A world whose settings `adjust` changes last.
    async fn build_with(
        size: usize,
        extra: &str,
        adjust: impl FnOnce(&mut ApiConfig, &mut EngineConfig),
    ) -> Self {
        let sim = agent_sim::start(SimConfig {
            size,
            ..SimConfig::default()
        })
        .await
        .unwrap();
        let mut api = ApiConfig::from_lookup(sim.env()).unwrap();
        api.settings.retry = RetryPolicy {
            max_attempts: 2,
            initial_backoff: std::time::Duration::from_millis(1),
            max_backoff: std::time::Duration::from_millis(2),
            ..RetryPolicy::default()
        };
        let dir = tempfile::tempdir().unwrap();
        // No rate limit unless a test asks for one: tests press fast.
        let extra = if extra.contains("rate_limit_per_minute") {
            extra.to_string()
        } else {
            format!("rate_limit_per_minute = 0\n{extra}")
        };
        let toml = format!(
            r#"
            [chatops]
            secret = "test-secret-0123456789"
            confirm_ttl_secs = 120
            page_size = 10
            audit_log = "{}"
            operators = ["shell:alice", "shell:bob", "telegram:user:1", "discord:role:77"]
            viewers = ["shell:victor"]
            {extra}
            [chatops.tasks]
            demo = "{DEMO_TASK_ID}"
            "#,
            dir.path().join("audit.jsonl").display()
        );
        let mut config = EngineConfig::from_text(&toml).unwrap();
        adjust(&mut api, &mut config);
        let (engine, clock_offset) = engine_on_shifted_clock(&api, config);
        Self {
            sim,
            engine,
            clock_offset,
            dir,
        }
    }

    async fn say(&self, who: &Caller, text: &str) -> Reply {
        self.engine.handle_text(who, text).await
    }

    fn audit(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(self.dir.path().join("audit.jsonl")).unwrap_or_default();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The `event` of each audit line, in order.
    fn events(&self) -> Vec<String> {
        self.audit()
            .iter()
            .map(|r| r["event"].as_str().unwrap().to_string())
            .collect()
    }

    fn count(&self, status: CallStatus) -> usize {
        self.sim
            .snapshot(DEMO_TASK_ID)
            .iter()
            .filter(|r| *r.status == i64::from(status.code()))
            .count()
    }
}

#[tokio::test]
async fn numbers_shows_a_page_with_counts_and_paging() {
    let world = World::new().await;
    let busy = world.count(CallStatus::Busy);
    assert!(
        busy > 10,
        "the seeded task should have more than a page of busy numbers"
    );
    let reply = world
        .say(&shell("alice"), "/numbers task:demo status:busy")
        .await;
    assert_eq!(reply.kind, ReplyKind::Page, "{reply:#?}");
    let table = reply.table.as_ref().unwrap();
    assert_eq!(table.rows.len(), 10);
    assert!(table.rows.iter().all(|row| row[1] == "busy"), "{table:#?}");
    // Phones are masked.
    assert!(
        table
            .rows
            .iter()
            .all(|row| row[0].contains("****") || row[0].ends_with('…')),
        "{table:#?}"
    );
    let pages = busy.div_ceil(10);
    assert_eq!(
        reply.footer.as_deref(),
        Some(format!("{busy} numbers · page 1/{pages}").as_str())
    );
    // No counts per status yet: a page costs one request, and says how to get them.
    assert_eq!(reply.summary, None);
    assert_eq!(
        reply.lines,
        vec!["Counts per status: run /stats task:demo status:busy".to_string()]
    );
    assert_eq!(reply.actions.len(), 1, "page 1 has Next only");
    // Once `/stats` counted them, pages show them while they are fresh.
    world
        .say(&shell("alice"), "/stats task:demo status:busy")
        .await;
    let reply = world
        .say(&shell("alice"), "/numbers task:demo status:busy")
        .await;
    assert_eq!(
        reply.summary.as_deref(),
        Some(format!("By status: busy {busy}").as_str())
    );
    assert!(reply.lines.is_empty(), "{:?}", reply.lines);

    let next = world
        .engine
        .press(&shell("victor"), action(&reply, "Next"))
        .await;
    assert_eq!(next.kind, ReplyKind::Page);
    assert_eq!(
        next.footer.as_deref(),
        Some(format!("{busy} numbers · page 2/{pages}").as_str())
    );
    assert_ne!(next.table, reply.table);
    let back = world
        .engine
        .press(&shell("alice"), action(&next, "Prev"))
        .await;
    assert_eq!(back.table, reply.table);
}

#[tokio::test]
async fn numbers_without_filter_counts_every_status_and_past_the_end_shows_the_last_page() {
    let world = World::new().await;
    world.say(&shell("alice"), "/stats demo").await;
    let reply = world.say(&shell("alice"), "/numbers demo page:999").await;
    assert_eq!(reply.kind, ReplyKind::Page);
    assert_eq!(reply.footer.as_deref(), Some("240 numbers · page 24/24"));
    let summary = reply.summary.unwrap();
    for status in [CallStatus::Waiting, CallStatus::Connected] {
        let n = world.count(status);
        assert!(summary.contains(&format!("{status} {n}")), "{summary}");
    }
}

#[tokio::test]
async fn bad_input_names_the_offending_part() {
    let world = World::new().await;
    let alice = shell("alice");
    for (command, needle) in [
        (
            "/numbers task:demo status:bussy",
            "status: unknown call status `bussy`",
        ),
        (
            "/numbers task:demo from:someday",
            "from/to: from: `someday` is not a time",
        ),
        (
            "/numbers task:demo from:2020-07-29 to:2020-07-28",
            "is before `from`",
        ),
        (
            "/numbers task:demo page:0",
            "page: `0` is not a page number",
        ),
        ("/numbers task:demo colour:red", "unknown option `colour`"),
        ("/numbers", "Which task?"),
        (
            "/reset task:demo phones:12345",
            // What was typed into phones: is masked, even in an error.
            "phones: `***45` is not a phone number",
        ),
        ("/frobnicate", "unknown command `/frobnicate`"),
    ] {
        let reply = world.say(&alice, command).await;
        assert_eq!(reply.kind, ReplyKind::Error, "{command}: {reply:#?}");
        assert!(reply.private, "errors are private");
        let text = reply.to_plain_text();
        assert!(text.contains(needle), "{command}: {text}");
    }
}

#[tokio::test]
async fn tasks_are_limited_to_the_configured_ones_unless_any_task() {
    let world = World::new().await;
    let alice = shell("alice");
    for command in [
        "/numbers task:00000000-0000-0000-0000-000000000000",
        "/reset task:00000000-0000-0000-0000-000000000000 status:busy",
        "/numbers task:no/such",
    ] {
        let reply = world.say(&alice, command).await;
        assert_eq!(reply.kind, ReplyKind::Refused, "{command}: {reply:#?}");
        assert!(
            reply
                .to_plain_text()
                .contains("works on its configured tasks only (demo)"),
            "{reply:#?}"
        );
    }
    // The id of a configured task is as good as its alias.
    let reply = world
        .say(&alice, &format!("/numbers task:{DEMO_TASK_ID}"))
        .await;
    assert_eq!(reply.kind, ReplyKind::Page, "{reply:#?}");
    // Sub-accounts likewise.
    let reply = world.say(&alice, "/numbers task:demo sub:other-sub").await;
    assert_eq!(reply.kind, ReplyKind::Refused, "{reply:#?}");
    assert!(reply.to_plain_text().contains("sub_accounts"), "{reply:#?}");

    let open = World::build(60, "any_task = true").await;
    let reply = open.say(&alice, "/numbers task:no/such").await;
    assert!(
        reply
            .to_plain_text()
            .contains("is neither a task alias (demo) nor a task id"),
        "{reply:#?}"
    );
    let listed = World::build(60, "sub_accounts = [\"sub-1\"]").await;
    let reply = listed.say(&alice, "/numbers task:demo sub:sub-1").await;
    assert_ne!(reply.kind, ReplyKind::Refused, "{reply:#?}");
}

#[tokio::test]
async fn an_unknown_task_id_is_a_clear_upstream_error() {
    let world = World::build(60, "any_task = true").await;
    let reply = world
        .say(
            &shell("alice"),
            "/numbers task:00000000-0000-0000-0000-000000000000",
        )
        .await;
    assert_eq!(reply.kind, ReplyKind::Error);
    assert!(
        reply
            .to_plain_text()
            .contains("was not found for this account."),
        "{reply:#?}"
    );
}

#[tokio::test]
async fn help_lists_commands_tasks_and_role() {
    let world = World::new().await;
    let text = world.say(&shell("victor"), "/help").await.to_plain_text();
    assert!(text.contains("/numbers task:<task>"), "{text}");
    assert!(text.contains("Tasks: demo"), "{text}");
    assert!(text.contains("retryable"), "{text}");
    assert!(
        text.contains("You are shell:user:victor (role: viewer)."),
        "{text}"
    );
}

#[tokio::test]
async fn unauthorised_users_are_refused_on_commands_and_presses() {
    let world = World::new().await;
    let mallory = shell("mallory");
    let reply = world.say(&mallory, "/numbers task:demo").await;
    assert_eq!(reply.kind, ReplyKind::Refused);
    assert!(reply.to_plain_text().contains("may not list numbers"));

    let viewer_reset = world
        .say(&shell("victor"), "/reset task:demo status:busy")
        .await;
    assert_eq!(viewer_reset.kind, ReplyKind::Refused);
    assert!(
        viewer_reset
            .to_plain_text()
            .contains("may not reset numbers")
    );

    // A page made for alice, pressed by mallory.
    let page = world.say(&shell("alice"), "/numbers task:demo").await;
    let pressed = world.engine.press(&mallory, action(&page, "Next")).await;
    assert_eq!(pressed.kind, ReplyKind::Refused);
}

#[tokio::test]
async fn reset_previews_then_only_the_requester_confirms_once() {
    let world = World::new().await;
    let busy_before = world.count(CallStatus::Busy);
    let waiting_before = world.count(CallStatus::Waiting);
    let alice = shell("alice");
    world.say(&alice, "/stats task:demo").await;
    let listed = world.say(&alice, "/numbers task:demo").await;
    assert!(
        listed
            .summary
            .unwrap()
            .contains(&format!("busy {busy_before}"))
    );

    let preview = world.say(&alice, "/reset task:demo status:busy").await;
    assert_eq!(preview.kind, ReplyKind::Preview, "{preview:#?}");
    assert!(
        preview
            .title
            .contains(&format!("{busy_before} numbers would go back to waiting")),
        "{}",
        preview.title
    );
    assert_eq!(
        preview.summary.as_deref(),
        Some(format!("By status: busy {busy_before}").as_str())
    );
    assert_eq!(preview.actions[0].style, ActionStyle::Danger);
    assert_eq!(
        world.count(CallStatus::Busy),
        busy_before,
        "a preview changes nothing"
    );

    // Bob is an operator, but not the requester.
    let by_bob = world
        .engine
        .press(&shell("bob"), action(&preview, "Confirm"))
        .await;
    assert_eq!(by_bob.kind, ReplyKind::Refused);
    assert!(
        by_bob
            .to_plain_text()
            .contains("Only alice, who asked for this reset, can confirm it.")
    );
    assert_eq!(world.count(CallStatus::Busy), busy_before);

    let done = world
        .engine
        .press(&alice, action(&preview, "Confirm"))
        .await;
    assert_eq!(done.kind, ReplyKind::Done, "{done:#?}");
    assert!(
        done.title.contains(&format!(
            "Reset done by alice: task demo, {busy_before} numbers back to waiting"
        )),
        "{}",
        done.title
    );
    assert_eq!(world.count(CallStatus::Busy), 0);
    assert_eq!(
        world.count(CallStatus::Waiting),
        waiting_before + busy_before
    );

    // The counts of the task are not served stale from before the reset: the reset forgot
    // them, and counting again finds no busy number.
    let listed = world.say(&alice, "/numbers task:demo").await;
    assert_eq!(listed.summary, None);
    world.say(&alice, "/stats task:demo").await;
    let listed = world.say(&alice, "/numbers task:demo").await;
    assert!(!listed.summary.unwrap().contains("busy"));

    let again = world
        .engine
        .press(&alice, action(&preview, "Confirm"))
        .await;
    assert_eq!(again.kind, ReplyKind::Error);
    assert!(
        again
            .to_plain_text()
            .contains("already confirmed, cancelled or expired")
    );

    let events: Vec<(String, String)> = world
        .audit()
        .iter()
        .map(|r| {
            (
                r["event"].as_str().unwrap().to_string(),
                r["actor"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("requested".to_string(), "shell:user:alice".to_string()),
            ("confirmed".to_string(), "shell:user:alice".to_string()),
            ("done".to_string(), "shell:user:alice".to_string()),
        ]
    );
    let confirmed = &world.audit()[1];
    assert_eq!(
        confirmed["outcome"],
        Value::Null,
        "written before the reset is sent"
    );
    let confirmed = &world.audit()[2];
    assert_eq!(confirmed["task"], DEMO_TASK_ID);
    assert_eq!(confirmed["filter"], "status=busy");
    assert_eq!(confirmed["matched"], busy_before);
    assert_eq!(confirmed["outcome"], "批量重置号码成功");
    assert!(
        !std::fs::read_to_string(world.dir.path().join("audit.jsonl"))
            .unwrap()
            .contains("sim-token")
    );
}

#[tokio::test]
async fn a_reset_can_be_cancelled() {
    let world = World::new().await;
    let alice = shell("alice");
    let busy = world.count(CallStatus::Busy);
    let preview = world.say(&alice, "/reset task:demo status:busy").await;
    let by_bob = world
        .engine
        .press(&shell("bob"), action(&preview, "Cancel"))
        .await;
    assert_eq!(by_bob.kind, ReplyKind::Refused);
    let cancelled = world.engine.press(&alice, action(&preview, "Cancel")).await;
    assert_eq!(cancelled.kind, ReplyKind::Done);
    assert_eq!(
        cancelled.title,
        "Reset cancelled by alice: nothing was changed"
    );
    let confirm = world
        .engine
        .press(&alice, action(&preview, "Confirm"))
        .await;
    assert_eq!(confirm.kind, ReplyKind::Error);
    assert_eq!(world.count(CallStatus::Busy), busy);
    let events = world.events();
    assert_eq!(events, ["requested", "cancelled"]);
}

#[tokio::test]
async fn an_expired_confirmation_is_refused_and_audited() {
    let world = World::new().await;
    let alice = shell("alice");
    let busy = world.count(CallStatus::Busy);
    let preview = world.say(&alice, "/reset task:demo status:busy").await;
    world.clock_offset.store(121, Ordering::SeqCst);
    let late = world
        .engine
        .press(&alice, action(&preview, "Confirm"))
        .await;
    assert_eq!(late.kind, ReplyKind::Error, "{late:#?}");
    assert!(
        late.to_plain_text().contains("Confirmation expired"),
        "{late:#?}"
    );
    assert_eq!(world.count(CallStatus::Busy), busy);
    let events = world.events();
    assert_eq!(events, ["requested", "expired"]);
}

#[tokio::test]
async fn pending_resets_nobody_presses_expire_on_the_next_sweep() {
    let world = World::new().await;
    let _preview = world
        .say(&shell("alice"), "/reset task:demo status:busy")
        .await;
    assert_eq!(world.engine.sweep_expired().await, 0);
    world.clock_offset.store(500, Ordering::SeqCst);
    assert_eq!(world.engine.sweep_expired().await, 1);
    let events = world.events();
    assert_eq!(events, ["requested", "expired"]);
}

#[tokio::test]
async fn the_engines_own_timer_sweeps_until_shutdown() {
    let world = World::new().await;
    let engine = world
        .engine
        .clone()
        .sweep_every(std::time::Duration::from_millis(20));
    let _preview = world
        .say(&shell("alice"), "/reset task:demo status:busy")
        .await;
    assert_eq!(engine.pending_resets().await, 1);
    // Nobody presses, nobody types: the engine's timer forgets it once its time is up.
    world.clock_offset.store(500, Ordering::SeqCst);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while engine.pending_resets().await > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the sweeper never ran"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let events = world.events();
    assert_eq!(events, ["requested", "expired"]);
    // Shutdown stops the sweeper: it does not keep the engine from draining.
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(10), engine.shutdown())
        .await
        .unwrap();
    assert!(stopped.drained);
}

#[tokio::test]
async fn tampered_and_forged_actions_are_refused() {
    let world = World::new().await;
    let alice = shell("alice");
    let preview = world.say(&alice, "/reset task:demo status:busy").await;
    let data = action(&preview, "Confirm").to_string();
    let mut bytes = data.clone().into_bytes();
    let last = bytes.len() - 1;
    bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();
    for forged in [tampered.as_str(), "confirm:1", "", "Next"] {
        let reply = world.engine.press(&alice, forged).await;
        assert_eq!(reply.kind, ReplyKind::Refused, "{forged}");
        assert!(reply.to_plain_text().contains("not made by this bot"));
    }
    assert!(world.count(CallStatus::Busy) > 0);
}

#[tokio::test]
async fn an_unfiltered_reset_needs_all() {
    let world = World::new().await;
    let alice = shell("alice");
    let refused = world.say(&alice, "/reset task:demo").await;
    assert_eq!(refused.kind, ReplyKind::Refused);
    assert!(refused.to_plain_text().contains("say `all`"));
    let mixed = world.say(&alice, "/reset task:demo status:busy all").await;
    assert_eq!(mixed.kind, ReplyKind::Error);
    let everything = world.say(&alice, "/reset task:demo all").await;
    assert_eq!(everything.kind, ReplyKind::Preview);
    assert!(
        everything
            .title
            .contains("240 numbers would go back to waiting"),
        "{}",
        everything.title
    );
    let done = world
        .engine
        .press(&alice, action(&everything, "Confirm"))
        .await;
    assert_eq!(done.kind, ReplyKind::Done);
    assert_eq!(world.count(CallStatus::Waiting), 240);
}

#[tokio::test]
async fn a_reset_by_phones_resets_those_numbers_only() {
    let world = World::new().await;
    let records = world.sim.snapshot(DEMO_TASK_ID);
    let dialled: Vec<_> = records
        .iter()
        .filter(|r| *r.status != 0 && r.number.len() == 11 && r.number.starts_with('1'))
        .take(2)
        .collect();
    let phones = format!("{},{}", dialled[0].number, dialled[1].number);
    let alice = shell("alice");
    let preview = world
        .say(&alice, &format!("/reset task:demo phones:{phones}"))
        .await;
    assert_eq!(preview.kind, ReplyKind::Preview, "{preview:#?}");
    assert!(
        preview.title.contains("2 numbers would go back"),
        "{}",
        preview.title
    );
    // Phones are masked in replies.
    assert!(!preview.to_plain_text().contains(&dialled[0].number));
    let done = world
        .engine
        .press(&alice, action(&preview, "Confirm"))
        .await;
    assert_eq!(done.kind, ReplyKind::Done, "{done:#?}");
    let after = world.sim.snapshot(DEMO_TASK_ID);
    let changed: Vec<_> = after
        .iter()
        .zip(&records)
        .filter(|(a, b)| a.status != b.status)
        .map(|(a, _)| a.number.clone())
        .collect();
    assert_eq!(
        changed,
        [dialled[0].number.clone(), dialled[1].number.clone()]
    );
}

#[tokio::test]
async fn nothing_to_reset_is_said_without_a_confirmation() {
    let world = World::new().await;
    let reply = world
        .say(
            &shell("alice"),
            "/reset task:demo status:busy from:2001-01-01 to:2001-01-02",
        )
        .await;
    assert_eq!(reply.kind, ReplyKind::Done, "{reply:#?}");
    assert!(reply.actions.is_empty());
}

#[tokio::test]
async fn upstream_failures_get_a_clear_reply_and_the_engine_keeps_serving() {
    let world = World::new().await;
    let alice = shell("alice");
    world.sim.inject(Fault::ServerError, 100);
    let reply = world.say(&alice, "/numbers task:demo").await;
    assert_eq!(reply.kind, ReplyKind::Error);
    assert!(
        reply
            .to_plain_text()
            .contains("The platform failed on its side"),
        "{reply:#?}"
    );
    world.sim.inject(Fault::ServerError, 0);
    let reply = world.say(&alice, "/numbers task:demo").await;
    assert_eq!(reply.kind, ReplyKind::Page, "{reply:#?}");
}

#[tokio::test]
async fn a_refused_reset_is_audited_as_failed() {
    let world = World::new().await;
    let alice = shell("alice");
    let preview = world.say(&alice, "/reset task:demo status:busy").await;
    world.sim.inject(Fault::SoftError, 1);
    let failed = world
        .engine
        .press(&alice, action(&preview, "Confirm"))
        .await;
    assert_eq!(failed.kind, ReplyKind::Error);
    assert_eq!(failed.title, "Reset failed");
    assert!(failed.to_plain_text().contains("6007"), "{failed:#?}");
    let events = world.events();
    assert_eq!(events, ["requested", "confirmed", "failed"]);
}

#[tokio::test]
async fn chinese_speakers_get_chinese_replies() {
    let world = World::new().await;
    let zh = Caller {
        locale: Some("zh-CN".into()),
        ..shell("alice")
    };
    let reply = world.say(&zh, "/numbers task:demo status:占线").await;
    assert_eq!(reply.kind, ReplyKind::Page);
    assert!(
        reply
            .title
            .starts_with("任务号码 demo · 状态=占线/用户正忙"),
        "{}",
        reply.title
    );
    assert!(reply.footer.unwrap().starts_with("共 "));
    assert!(
        reply
            .table
            .unwrap()
            .rows
            .iter()
            .all(|r| r[1] == "占线/用户正忙")
    );
    let refused = world
        .say(
            &Caller {
                locale: Some("zh".into()),
                ..shell("mallory")
            },
            "/numbers demo",
        )
        .await;
    assert_eq!(refused.title, "无权限");
}

fn discord(user: &str, name: &str, roles: &[&str]) -> Caller {
    Caller {
        name: name.to_string(),
        roles: roles.iter().map(ToString::to_string).collect(),
        chat_id: Some("chan".into()),
        ..Caller::new(Transport::Discord, user)
    }
}

#[tokio::test]
async fn a_confirmation_is_matched_by_id_never_by_display_name() {
    let world = World::new().await;
    // Two Discord members who chose the same nickname, both operators by role.
    let alex = discord("1001", "Alex", &["77"]);
    let impostor = discord("1002", "Alex", &["77"]);
    let preview = world.say(&alex, "/reset task:demo status:busy").await;
    assert_eq!(preview.kind, ReplyKind::Preview, "{preview:#?}");
    let busy = world.count(CallStatus::Busy);
    for data in [action(&preview, "Confirm"), action(&preview, "Cancel")] {
        let reply = world.engine.press(&impostor, data).await;
        assert_eq!(reply.kind, ReplyKind::Refused, "{reply:#?}");
        assert!(reply.title.starts_with("Not yours"), "{reply:#?}");
    }
    assert_eq!(world.count(CallStatus::Busy), busy, "nothing was reset");
    let done = world.engine.press(&alex, action(&preview, "Confirm")).await;
    assert_eq!(done.kind, ReplyKind::Done, "{done:#?}");
}

#[tokio::test]
async fn an_operator_whose_role_is_removed_cannot_confirm() {
    let world = World::new().await;
    let operator = discord("2001", "Op", &["77"]);
    let preview = world.say(&operator, "/reset task:demo status:busy").await;
    assert_eq!(preview.kind, ReplyKind::Preview, "{preview:#?}");
    // The role was taken away between the preview and the press.
    let demoted = discord("2001", "Op", &[]);
    let reply = world
        .engine
        .press(&demoted, action(&preview, "Confirm"))
        .await;
    assert_eq!(reply.kind, ReplyKind::Refused, "{reply:#?}");
    assert!(world.count(CallStatus::Busy) > 0, "nothing was reset");
    assert!(
        !world.audit().iter().any(|r| r["event"] == "confirmed"),
        "{:?}",
        world.audit()
    );
}

#[tokio::test]
async fn two_presses_of_confirm_at_the_same_moment_reset_once() {
    let world = World::new().await;
    let alice = shell("alice");
    for trial in 0..100 {
        // Waiting numbers stay waiting after a reset, so every trial has a preview.
        let preview = world.say(&alice, "/reset task:demo status:waiting").await;
        assert_eq!(
            preview.kind,
            ReplyKind::Preview,
            "trial {trial}: {preview:#?}"
        );
        let data = action(&preview, "Confirm").to_string();
        let (a, b) = tokio::join!(
            world.engine.press(&alice, &data),
            world.engine.press(&alice, &data)
        );
        let done = [&a, &b]
            .iter()
            .filter(|r| r.kind == ReplyKind::Done)
            .count();
        assert_eq!(done, 1, "trial {trial}: {a:#?} {b:#?}");
    }
    let events = world.events();
    assert_eq!(events.iter().filter(|e| *e == "done").count(), 100);
    assert_eq!(events.iter().filter(|e| *e == "confirmed").count(), 100);
}

#[tokio::test]
async fn a_reset_by_time_range_alone_is_a_filter() {
    let world = World::new().await;
    let reply = world
        .say(
            &shell("alice"),
            "/reset task:demo from:2000-01-01 to:2099-12-31",
        )
        .await;
    assert_eq!(reply.kind, ReplyKind::Preview, "{reply:#?}");
    assert!(reply.actions.iter().any(|a| a.label.contains("Confirm")));
}

#[tokio::test]
async fn every_byte_of_a_signed_action_is_checked_and_the_mac_keeps_its_length() {
    let world = World::new().await;
    let alice = shell("alice");
    let preview = world.say(&alice, "/reset task:demo status:busy").await;
    let confirm = action(&preview, "Confirm").to_string();
    // kind (1) + id (8) + MAC (8) = 17 bytes = 23 base64 characters: a shorter MAC is a
    // weaker one.
    assert_eq!(confirm.len(), 23, "{confirm}");
    let page = world.say(&alice, "/numbers task:demo status:busy").await;
    let next = action(&page, "Next").to_string();
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for data in [&confirm, &next] {
        for at in 0..data.len() {
            let mut bytes = data.clone().into_bytes();
            let other = ALPHABET.iter().copied().find(|c| *c != bytes[at]).unwrap();
            bytes[at] = other;
            let tampered = String::from_utf8(bytes).unwrap();
            let reply = world.engine.press(&alice, &tampered).await;
            assert_eq!(
                reply.kind,
                ReplyKind::Refused,
                "byte {at} of {data} changed: {reply:#?}"
            );
        }
        // Cut short by a byte, or by the whole MAC.
        for cut in [1, 11] {
            let reply = world.engine.press(&alice, &data[..data.len() - cut]).await;
            assert_eq!(reply.kind, ReplyKind::Refused, "{data} cut by {cut}");
        }
    }
    assert!(world.count(CallStatus::Busy) > 0, "nothing was reset");
}

#[tokio::test]
async fn an_unwritable_audit_file_refuses_the_reset() {
    let world = World::new().await;
    let alice = shell("alice");
    let preview = world.say(&alice, "/reset task:demo status:busy").await;
    let busy = world.count(CallStatus::Busy);
    // The audit file turns into a directory: no line can be written any more.
    let path = world.dir.path().join("audit.jsonl");
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    let reply = world
        .engine
        .press(&alice, action(&preview, "Confirm"))
        .await;
    assert_eq!(reply.kind, ReplyKind::Error, "{reply:#?}");
    assert!(
        reply
            .to_plain_text()
            .contains("audit log cannot be written"),
        "{reply:#?}"
    );
    assert_eq!(world.count(CallStatus::Busy), busy, "no reset was sent");
    // A new preview is refused too, without a Confirm.
    let again = world.say(&alice, "/reset task:demo status:busy").await;
    assert_eq!(again.kind, ReplyKind::Error, "{again:#?}");
    assert!(again.actions.is_empty());
    // Once the file can be written again, the same confirmation still works.
    std::fs::remove_dir(&path).unwrap();
    let done = world
        .engine
        .press(&alice, action(&preview, "Confirm"))
        .await;
    assert_eq!(done.kind, ReplyKind::Done, "{done:#?}");
}

#[tokio::test]
async fn a_reset_that_times_out_is_audited_as_unknown() {
    let world = World::build_with(240, "", |api, _| {
        api.settings.http.timeout = std::time::Duration::from_millis(300);
    })
    .await;
    let alice = shell("alice");
    let preview = world.say(&alice, "/reset task:demo status:busy").await;
    // Longer than the client's timeout (set below 1 s for this world).
    world
        .sim
        .inject(Fault::Delay(std::time::Duration::from_secs(3)), 1);
    let reply = world
        .engine
        .press(&alice, action(&preview, "Confirm"))
        .await;
    assert_eq!(reply.title, "Reset outcome unknown", "{reply:#?}");
    assert!(
        reply.to_plain_text().contains("may or may not"),
        "{reply:#?}"
    );
    let events = world.events();
    assert_eq!(events, ["requested", "confirmed", "unknown"]);
}

#[tokio::test]
async fn shutdown_lets_commands_finish_and_expires_pending_confirmations() {
    let world = World::new().await;
    let alice = shell("alice");
    let preview = world.say(&alice, "/reset task:demo status:busy").await;
    assert_eq!(preview.kind, ReplyKind::Preview);
    world
        .sim
        .inject(Fault::Delay(std::time::Duration::from_millis(300)), 1);
    let slow = tokio::spawn({
        let engine = world.engine.clone();
        let alice = alice.clone();
        async move { engine.handle_text(&alice, "/numbers task:demo").await }
    });
    // Wait until the slow command is in flight.
    let before = world.sim.requests();
    while world.sim.requests() == before {
        tokio::task::yield_now().await;
    }
    let stopped = world.engine.shutdown().await;
    assert!(stopped.drained, "the command in flight finished");
    assert_eq!(stopped.expired, 1);
    assert_eq!(slow.await.unwrap().kind, ReplyKind::Page);
    let refused = world.say(&alice, "/numbers task:demo").await;
    assert_eq!(refused.title, "Shutting down", "{refused:#?}");
    let events = world.events();
    assert_eq!(events, ["requested", "expired"]);
}

#[tokio::test]
async fn a_caller_over_the_rate_limit_is_told_so() {
    let world = World::build(60, "rate_limit_per_minute = 3").await;
    let alice = shell("alice");
    for _ in 0..3 {
        let reply = world.say(&alice, "/help").await;
        assert_eq!(reply.kind, ReplyKind::Info);
    }
    let reply = world.say(&alice, "/numbers task:demo").await;
    assert_eq!(reply.kind, ReplyKind::Refused, "{reply:#?}");
    assert!(
        reply
            .to_plain_text()
            .contains("3 commands or presses a minute")
    );
    // Another caller is not affected.
    let reply = world.say(&shell("bob"), "/help").await;
    assert_eq!(reply.kind, ReplyKind::Info);
}

#[tokio::test]
async fn a_flood_of_page_presses_keeps_the_page_store_at_its_cap() {
    const CAP: usize = 1_000;
    let world = World::build_with(240, "any_task = true", |_, config| {
        config.page_store_cap = CAP;
    })
    .await;
    let alice = shell("alice");
    // A state too large for a button (a sub-account's task, both dates): the engine keeps
    // it under an id, and each press stores the Prev and Next of the page it shows.
    let command = numbers_kept_in_the_store();
    let page = world.say(&alice, &command).await;
    assert_eq!(page.kind, ReplyKind::Page, "{page:#?}");
    assert_eq!(world.engine.held().0, 1);
    // Page back and forth through the task, always pressing a button of the latest reply.
    // 10,000 presses by default; the issue's 100,000 (about a minute in release) with
    // `FLOOD_PRESSES=100000 cargo test --release -p agent-chatops --test engine flood`.
    let presses: usize = std::env::var("FLOOD_PRESSES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    let started = std::time::Instant::now();
    let mut current = page;
    let mut forward = true;
    let mut max_seen = 0;
    for _ in 0..presses {
        let label = if forward { "Next" } else { "Prev" };
        let Some(button) = current.actions.iter().find(|a| a.label.contains(label)) else {
            forward = !forward;
            continue;
        };
        let data = button.data.clone();
        current = world.engine.press(&alice, &data).await;
        assert_eq!(current.kind, ReplyKind::Page, "{current:#?}");
        max_seen = max_seen.max(world.engine.held().0);
    }
    assert_eq!(
        max_seen, CAP,
        "the store filled up to its cap and no further"
    );
    assert_eq!(world.engine.held().0, CAP);
    println!(
        "{presses} presses in {:.1} s; the page store peaked at {max_seen} (cap {CAP})",
        started.elapsed().as_secs_f64()
    );
    // The newest states still serve their buttons.
    let newest = current.actions.first().unwrap().data.clone();
    assert_eq!(
        world.engine.press(&alice, &newest).await.kind,
        ReplyKind::Page
    );
}

#[tokio::test]
async fn a_stranger_is_told_only_how_to_get_access() {
    let world = World::new().await;
    let stranger = shell("mallory");
    let text = world.say(&stranger, "/help").await.to_plain_text();
    assert!(text.contains("no role here"), "{text}");
    assert!(text.contains("shell:user:mallory"), "{text}");
    assert!(
        !text.contains("demo"),
        "no task alias for strangers: {text}"
    );
    assert!(!text.contains("/reset"), "{text}");
    let complete = |caller: &Caller, option: &str| {
        world
            .engine
            .complete(caller, CommandName::NUMBERS, option, "")
    };
    assert!(complete(&stranger, "task").is_empty());
    assert!(complete(&stranger, "status").is_empty());
    assert!(!complete(&shell("victor"), "task").is_empty());
}

#[tokio::test]
async fn completions_follow_the_catalogue_and_the_commands_role() {
    let world = World::new().await;
    let (victor, alice) = (shell("victor"), shell("alice"));
    // Which options complete, and with what, is the catalogue's word.
    let tasks = world
        .engine
        .complete(&alice, CommandName::RESET, "task", "de");
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0].value, "demo");
    assert!(tasks[0].label.starts_with("demo · "), "{tasks:?}");
    let statuses = world
        .engine
        .complete(&alice, CommandName::NUMBERS, "status", "retryable,bu");
    assert!(
        statuses.iter().any(|c| c.value == "retryable,busy"),
        "{statuses:?}"
    );
    for (command, option) in [
        (CommandName::NUMBERS, "page"),
        (CommandName::NUMBERS, "phones"),
        (CommandName::NUMBERS, "Task"),
        (CommandName::HELP, "task"),
    ] {
        assert!(
            world
                .engine
                .complete(&alice, command, option, "")
                .is_empty(),
            "{command} {option}"
        );
    }
    // A viewer completes what they may run, not /reset.
    assert!(
        !world
            .engine
            .complete(&victor, CommandName::NUMBERS, "task", "")
            .is_empty()
    );
    assert!(
        world
            .engine
            .complete(&victor, CommandName::RESET, "task", "")
            .is_empty()
    );
}

#[tokio::test]
async fn places_and_anonymous_senders_are_refused_by_the_engine() {
    let world = World::build_with(60, "", |_, config| {
        config.places.insert(
            Transport::Discord,
            agent_chatops::Places {
                allowed: Some(vec!["900".to_string()]),
                direct_messages: false,
            },
        );
    })
    .await;
    let in_guild = |guild: Option<&str>| Caller {
        place: guild.map(ToString::to_string),
        ..discord("3001", "Op", &["77"])
    };
    let reply = world
        .say(&in_guild(Some("900")), "/numbers task:demo")
        .await;
    assert_eq!(reply.kind, ReplyKind::Page, "{reply:#?}");
    for (caller, what) in [
        (in_guild(Some("901")), "another guild"),
        (in_guild(None), "a DM"),
    ] {
        let reply = world.say(&caller, "/numbers task:demo").await;
        assert_eq!(reply.kind, ReplyKind::Refused, "{what}: {reply:#?}");
        assert!(
            reply.to_plain_text().contains("only in the places"),
            "{reply:#?}"
        );
        let reply = world.engine.help(&caller);
        assert_eq!(reply.kind, ReplyKind::Refused, "{what}: {reply:#?}");
    }
    // Other transports have no such rule here.
    let reply = world.say(&shell("alice"), "/numbers task:demo").await;
    assert_eq!(reply.kind, ReplyKind::Page);
    let anonymous = Caller {
        anonymous: true,
        ..shell("alice")
    };
    let reply = world.say(&anonymous, "/numbers task:demo").await;
    assert_eq!(reply.kind, ReplyKind::Refused, "{reply:#?}");
    assert!(reply.to_plain_text().contains("not anonymously"));
}

#[tokio::test]
async fn a_scanning_preview_reports_progress_and_offers_confirm_only_when_complete() {
    let world = World::build_with(600, "", |_, config| {
        config.progress_every = std::time::Duration::ZERO;
    })
    .await;
    let updates = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink: agent_chatops::Progress = Arc::new({
        let updates = updates.clone();
        move |update: agent_chatops::ProgressUpdate| updates.lock().unwrap().push(update)
    });
    let reply = world
        .engine
        .handle_text_with_progress(&shell("alice"), "/reset task:demo keyword:139", sink)
        .await;
    assert_eq!(reply.kind, ReplyKind::Preview, "{reply:#?}");
    let updates = updates.lock().unwrap();
    assert!(!updates.is_empty());
    let last = updates.last().unwrap();
    assert_eq!(last.done, 600);
    assert_eq!(last.total, 600);
    assert!(
        last.reply
            .to_plain_text()
            .contains("600 of 600 numbers checked"),
        "{:#?}",
        last.reply
    );
    assert!(updates.windows(2).all(|w| w[0].done <= w[1].done));
}

#[tokio::test]
async fn a_scanning_preview_past_its_deadline_offers_no_confirm() {
    let world = World::build_with(600, "", |_, config| {
        config.preview_deadline = std::time::Duration::from_secs(1);
    })
    .await;
    // Every request takes longer than the whole deadline.
    world.sim.set_faults(agent_sim::Faults {
        latency: agent_sim::Latency::Fixed(std::time::Duration::from_millis(1500)),
        ..Default::default()
    });
    let reply = world
        .say(&shell("alice"), "/reset task:demo keyword:139")
        .await;
    assert_eq!(reply.kind, ReplyKind::Error, "{reply:#?}");
    assert_eq!(reply.title, "The preview took too long");
    assert!(reply.actions.is_empty(), "no Confirm on a partial count");
    assert!(world.audit().is_empty(), "nothing requested");
}
