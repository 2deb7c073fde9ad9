//! `/export` through the HTTP interactions endpoint: the first answer defers, the file arrives
//! as an attachment on a follow-up of the interaction (multipart, at Discord's webhook route),
//! and its rows are exactly the simulator's numbers for the filter.
#![allow(clippy::unwrap_used)] // tests may panic

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;

#[tokio::test]
async fn export_is_deferred_then_the_file_is_a_follow_up_attachment() {
    let world = World::new().await;
    let interaction = command(
        &alice(),
        "export",
        &[("task", json!("demo")), ("status", json!("busy"))],
    );
    let token = interaction["token"].as_str().unwrap().to_string();
    let answer = world.answer(&interaction).await;
    assert_eq!(answer["type"], 5, "a deferral: files need the REST API");
    let followup_path = format!("/api/v10/webhooks/{APP_ID}/{token}");
    let call = world
        .fake
        .wait_for(Duration::from_secs(10), |c| {
            c.method == "POST" && c.path == followup_path && !c.files.is_empty()
        })
        .await
        .unwrap_or_else(|| panic!("no follow-up with a file: {:#?}", world.fake.calls()));
    assert_eq!(call.files.len(), 1);
    let (field, name, content) = &call.files[0];
    assert_eq!(field, "files[0]");
    assert!(
        name.starts_with("demo-busy-") && name.ends_with(".csv"),
        "{name}"
    );
    // A multipart request with its JSON payload beside the file.
    assert!(call.body.is_object(), "payload_json: {}", call.body);
    let mut reader = csv::Reader::from_reader(&content[..]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let expected: Vec<_> = world
        .sim
        .snapshot(agent_sim::DEMO_TASK_ID)
        .into_iter()
        .filter(|r| *r.status == 8)
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(rows.len(), expected.len(), "same count");
    for (row, record) in rows.iter().zip(&expected) {
        assert_eq!(row[0], record.id.to_string(), "same ids, in order");
        assert_eq!(row[1], agent_core::mask_number(&record.number), "masked");
    }
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
    let answer = world
        .answer(&command(&victor(), "export", &[("task", json!("demo"))]))
        .await;
    assert_eq!(answer["type"], 4);
    assert!(ephemeral(&answer["data"]));
    assert!(
        embed(&answer["data"])["description"]
            .as_str()
            .unwrap()
            .contains("may not export")
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(world.fake.calls().iter().all(|c| c.files.is_empty()));
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
