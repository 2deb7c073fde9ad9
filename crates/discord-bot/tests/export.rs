//! `/export` through the HTTP interactions endpoint: the first answer defers, the file arrives
//! as an attachment on a follow-up of the interaction (multipart, at Discord's webhook route),
//! and its rows are exactly the simulator's numbers for the filter.
#![allow(clippy::unwrap_used)] // tests may panic

mod common;
#[path = "../../chatops/tests/support/export_rows.rs"]
mod export_rows;

use std::time::Duration;

use common::*;
use serde_json::json;

/// Alice exports the demo task's busy numbers: the answer is a deferral (files need the REST
/// API), and the file comes within `within` on a follow-up of the interaction. That
/// follow-up's path, and the call that posted the file.
async fn export_busy_numbers(world: &World, within: Duration) -> (String, Call) {
    let interaction = on_busy(&alice(), "export");
    let token = interaction["token"].as_str().unwrap().to_string();
    let answer = world.answer(&interaction).await;
    assert_eq!(answer["type"], 5, "a deferral: files need the REST API");
    let followup_path = format!("/api/v10/webhooks/{APP_ID}/{token}");
    let call = world
        .fake
        .wait_for(within, |c| {
            c.method == "POST" && c.path == followup_path && !c.files.is_empty()
        })
        .await
        .unwrap_or_else(|| panic!("no follow-up with a file: {:#?}", world.fake.calls()));
    (followup_path, call)
}

#[tokio::test]
async fn export_is_deferred_then_the_file_is_a_follow_up_attachment() {
    let world = World::new().await;
    let (followup_path, call) = export_busy_numbers(&world, Duration::from_secs(10)).await;
    assert_eq!(call.files.len(), 1);
    let (field, name, content) = &call.files[0];
    assert_eq!(field, "files[0]");
    assert!(
        name.starts_with("demo-busy-") && name.ends_with(".csv"),
        "{name}"
    );
    // A multipart request with its JSON payload beside the file.
    assert!(call.body.is_object(), "payload_json: {}", call.body);
    export_rows::assert_masked_rows(content, &export_rows::records(&world.sim, 8));
    // The deferred response was edited with the summary (after any progress edits).
    let edit = world
        .fake
        .wait_for(Duration::from_secs(5), |c| {
            c.method == "PATCH"
                && c.path == format!("{followup_path}/messages/@original")
                && embed(&c.body)["title"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("Exported"))
        })
        .await;
    assert!(edit.is_some(), "{:#?}", world.fake.calls());
}

#[tokio::test]
async fn a_viewer_is_refused_without_a_file() {
    let world = World::new().await;
    let refused = command(&victor(), "export", &[("task", json!("demo"))]);
    let refused_token = refused["token"].as_str().unwrap().to_string();
    let answer = world.answer(&refused).await;
    assert_eq!(answer["type"], 4, "answered at once, not deferred");
    assert!(ephemeral(&answer["data"]));
    assert!(
        embed(&answer["data"])["description"]
            .as_str()
            .unwrap()
            .contains("may not export")
    );
    // Nothing was left to run: no deferred job exists that could still send a file.
    assert_eq!(
        world.endpoint.in_flight(),
        0,
        "a job runs after the refusal"
    );
    // An operator's export afterwards delivers its file: by then, nothing went to the viewer's
    // interaction, and the one file is the operator's.
    let allowed = command(&alice(), "export", &[("task", json!("demo"))]);
    let allowed_path = format!(
        "/api/v10/webhooks/{APP_ID}/{}",
        allowed["token"].as_str().unwrap()
    );
    assert_eq!(world.answer(&allowed).await["type"], 5);
    world
        .fake
        .wait_for(Duration::from_secs(30), |c| {
            c.path == allowed_path && !c.files.is_empty()
        })
        .await
        .unwrap_or_else(|| panic!("no file for the operator: {:#?}", world.fake.calls()));
    let calls = world.fake.calls();
    assert!(
        calls.iter().all(|c| !c.path.contains(&refused_token)),
        "a call for the refused viewer: {calls:#?}"
    );
    let files: Vec<_> = calls.iter().filter(|c| !c.files.is_empty()).collect();
    assert_eq!(files.len(), 1, "{files:#?}");
    assert_eq!(files[0].path, allowed_path);
}

/// With `export_full_phones` the file holds whole phones: the engine marks it private, and
/// Discord shows it to the exporter alone — every follow-up ephemeral (flag 64), the public
/// "thinking…" placeholder deleted, the original response never edited with the result.
#[tokio::test]
async fn a_full_phone_export_reaches_the_exporter_alone() {
    let world = World::with(
        |sim| engine_with_chatops(sim, "export_full_phones = true"),
        Duration::from_secs(300),
    )
    .await;
    let (followup_path, file) = export_busy_numbers(&world, Duration::from_secs(30)).await;
    let original = format!("{followup_path}/messages/@original");
    assert!(
        ephemeral(&file.body),
        "the file with whole phones is posted for everyone: {:#}",
        file.body
    );
    // Whole phones indeed.
    let (_, name, content) = &file.files[0];
    assert!(name.ends_with(".csv"), "{name}");
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(&content[..])
        .records()
        .map(Result::unwrap)
        .collect();
    let busy = export_rows::records(&world.sim, 8);
    assert_eq!(rows.len(), busy.len());
    assert_eq!(&rows[0][1], busy[0].number.as_str(), "a whole phone");

    // Sent in order: the placeholder deleted, the summary and the file as ephemeral follow-ups.
    let calls = world.fake.calls();
    let deleted = calls
        .iter()
        .position(|c| c.method == "DELETE" && c.path == original)
        .unwrap_or_else(|| panic!("the public placeholder stays: {calls:#?}"));
    let posted: Vec<(usize, &Call)> = calls
        .iter()
        .enumerate()
        .filter(|(_, c)| c.method == "POST" && c.path == followup_path)
        .collect();
    assert_eq!(posted.len(), 2, "the summary, then the file: {posted:#?}");
    let (summary_at, summary) = posted[0];
    assert!(deleted < summary_at, "deleted after the private answer");
    assert!(summary.files.is_empty());
    assert!(ephemeral(&summary.body), "{:#}", summary.body);
    assert!(
        embed(&summary.body)["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("Exported")),
        "{:#}",
        summary.body
    );
    // The original response (public) shows at most progress, never the result.
    let edits: Vec<&Call> = calls
        .iter()
        .filter(|c| c.method == "PATCH" && c.path == original)
        .collect();
    assert!(
        edits.iter().all(|c| !embed(&c.body)["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("Exported"))),
        "the result is shown to everyone: {edits:#?}"
    );
}

/// `upload_limit_bytes` of `[discord]` reaches the engine: a file over it is gzipped (or split)
/// before the bot uploads it.
#[tokio::test]
async fn the_upload_limit_setting_reaches_the_engine_and_a_file_over_it_is_gzipped() {
    // The engine as the binary makes it: from the settings of a config file.
    let world = World::with(
        |sim| {
            let settings = settings_with_limit(sim);
            assert_eq!(settings.discord.upload_limit, LIMIT);
            let profile = discord_bot::profile(&settings.discord);
            assert_eq!(
                profile.upload_limit,
                Some(LIMIT),
                "the bot's upload limit is not the one it registers with the engine"
            );
            let client = agent_core::AgentClient::new(&settings.api).unwrap();
            agent_chatops::Engine::new_for(client, settings.engine, profile)
        },
        Duration::from_secs(300),
    )
    .await;
    let interaction = command(&alice(), "export", &[("task", json!("demo"))]);
    let followup_path = format!(
        "/api/v10/webhooks/{APP_ID}/{}",
        interaction["token"].as_str().unwrap()
    );
    assert_eq!(world.answer(&interaction).await["type"], 5);
    let call = world
        .fake
        .wait_for(Duration::from_secs(30), |c| {
            c.path == followup_path && !c.files.is_empty()
        })
        .await
        .unwrap_or_else(|| panic!("no follow-up with a file: {:#?}", world.fake.calls()));
    let (_, name, content) = &call.files[0];
    assert!(
        name.starts_with("demo-all-") && name.ends_with(".csv.gz"),
        "not gzipped for the {LIMIT}-byte limit: {name} ({} bytes)",
        content.len()
    );
    assert!(content.starts_with(&[0x1f, 0x8b]), "gzip's magic bytes");
    assert!(content.len() as u64 <= LIMIT, "{} bytes", content.len());
    // The summary says why.
    let original = format!("{followup_path}/messages/@original");
    let summary = world
        .fake
        .wait_for(Duration::from_secs(30), |c| {
            c.method == "PATCH"
                && c.path == original
                && embed(&c.body)["title"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("Exported"))
        })
        .await
        .unwrap_or_else(|| panic!("no summary: {:#?}", world.fake.calls()));
    let said = embed(&summary.body)["description"].as_str().unwrap();
    assert!(said.contains("sent gzipped"), "{said}");
}

/// The upload limit of the test above: the task's 300 numbers make a CSV file of about 65 KB,
/// gzipped about 23 KB.
const LIMIT: u64 = 32_768;

/// The settings of a config file with `upload_limit_bytes = LIMIT`, on the simulator.
fn settings_with_limit(sim: &agent_sim::SimHandle) -> discord_bot::Settings {
    let toml = format!(
        r#"
        [chatops]
        operators = ["discord:user:100"]
        [chatops.tasks]
        demo = "{}"
        [discord]
        upload_limit_bytes = {LIMIT}
        "#,
        agent_sim::DEMO_TASK_ID
    );
    let sim_env = sim.env();
    let env = move |name: &str| match name {
        "DISCORD_TOKEN" => Some("fake-bot-token".to_string()),
        "AGENT_OPS_ACTION_SECRET" => Some("discord-test-secret-0123".to_string()),
        _ => sim_env(name),
    };
    discord_bot::settings::load(&toml, &env, discord_bot::Mode::Gateway, None).unwrap()
}

#[tokio::test]
async fn stats_carries_its_chart_as_an_embed_image() {
    let world = World::new().await;
    let interaction = command(&victor(), "stats", &[("task", json!("demo"))]);
    let token = interaction["token"].as_str().unwrap().to_string();
    let answer = world.answer(&interaction).await;
    assert_eq!(
        answer["type"], 5,
        "a deferral: the picture needs the REST API"
    );
    let followup_path = format!("/api/v10/webhooks/{APP_ID}/{token}");
    let call = world
        .fake
        .wait_for(Duration::from_secs(10), |c| {
            c.method == "POST" && c.path == followup_path && !c.files.is_empty()
        })
        .await
        .unwrap_or_else(|| panic!("no follow-up with the chart: {:#?}", world.fake.calls()));
    let (field, name, content) = &call.files[0];
    assert_eq!(field, "files[0]");
    assert!(name.ends_with(".png"), "{name}");
    assert!(content.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert_eq!(
        embed(&call.body)["image"]["url"],
        format!("attachment://{name}"),
        "shown as the embed's image"
    );
    // The text chart is the edited original response.
    let edit = world
        .fake
        .wait_for(Duration::from_secs(5), |c| {
            c.method == "PATCH" && c.path == format!("{followup_path}/messages/@original")
        })
        .await
        .unwrap();
    assert!(
        embed(&edit.body)["description"]
            .as_str()
            .unwrap()
            .contains('█')
    );
}
