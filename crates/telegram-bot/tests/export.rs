//! `/export` end to end in Telegram: the real dispatcher on a fake Bot API (loopback), the
//! engine on the simulator. The file arrives as a multipart `sendDocument` whose fields are the
//! Bot API's own (from its machine-readable spec), and its rows are the simulator's numbers.
#![allow(clippy::unwrap_used)] // tests may panic

mod support;

use serde_json::Value;
use support::*;

/// The fields of a Bot API method, from the published spec: (name, required).
fn spec_fields(method: &str) -> Vec<(String, bool)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/reference/chat-apis/telegram-bot-api.min.json"
    );
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    spec["methods"][method]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                f["required"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn export_arrives_as_a_send_document_with_the_simulators_rows() {
    let mut world = World::polling().await;
    world
        .tg
        .say(ALICE, ALICE.id, "/export task:demo status:busy format:csv");
    let call = world.tg.wait_for("sendDocument", |_| true).await;
    let body = &call.body;
    // Every field is sendDocument's (or a file part the `document` field names with
    // `attach://`, as the Bot API documents for multipart uploads), and the required ones are
    // there.
    let fields = spec_fields("sendDocument");
    let attached = body["document"]
        .as_str()
        .and_then(|d| d.strip_prefix("attach://"))
        .unwrap_or_else(|| panic!("an uploaded file: {}", body["document"]));
    for key in body.as_object().unwrap().keys() {
        assert!(
            key == attached || fields.iter().any(|(name, _)| name == key),
            "`{key}` is not a sendDocument field"
        );
    }
    for (name, required) in &fields {
        assert!(!required || body.get(name).is_some(), "`{name}` is missing");
    }
    assert_eq!(body["chat_id"], ALICE.id);
    let document = &body[attached];
    let name = document["filename"].as_str().unwrap();
    assert!(
        name.starts_with("demo-busy-") && name.ends_with(".csv"),
        "{name}"
    );
    let content = document["content"].as_str().unwrap();
    let mut reader = csv::Reader::from_reader(content.as_bytes());
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
    // The text reply says what it is.
    world.sent(ALICE.id, "Exported").await;
    assert!(world.audit_events().contains(&"exported".to_string()));
    world.stop().await;
}

#[tokio::test]
async fn a_viewer_may_not_export() {
    let mut world = World::polling().await;
    world
        .tg
        .say(VICTOR, OPS_GROUP, &format!("/export@{BOT_NAME} task:demo"));
    // Refusals are private: in the viewer's own chat, in their language.
    world.sent(VICTOR.id, "没有导出号码的权限").await;
    assert!(world.tg.calls_of("sendDocument").is_empty());
    world.stop().await;
}

#[tokio::test]
async fn stats_arrives_with_its_chart_as_a_send_photo() {
    let mut world = World::polling().await;
    world.tg.say(ALICE, ALICE.id, "/stats task:demo");
    let call = world.tg.wait_for("sendPhoto", |_| true).await;
    let body = &call.body;
    let fields = spec_fields("sendPhoto");
    let attached = body["photo"]
        .as_str()
        .and_then(|d| d.strip_prefix("attach://"))
        .unwrap_or_else(|| panic!("an uploaded picture: {}", body["photo"]));
    for key in body.as_object().unwrap().keys() {
        assert!(
            key == attached || fields.iter().any(|(name, _)| name == key),
            "`{key}` is not a sendPhoto field"
        );
    }
    for (name, required) in &fields {
        assert!(!required || body.get(name).is_some(), "`{name}` is missing");
    }
    assert_eq!(body["chat_id"], ALICE.id);
    let photo = &body[attached];
    assert!(
        photo["filename"].as_str().unwrap().ends_with(".png"),
        "{photo}"
    );
    // A PNG (the fake keeps parts as text: its signature and header chunk survive).
    let content = photo["content"].as_str().unwrap();
    assert!(content[..8].contains("PNG") && content.contains("IHDR"));
    // The text chart came first, in the same chat.
    world.sent(ALICE.id, "demo").await;
    world.stop().await;
}
