//! `/export` end to end in Telegram: the real dispatcher on a fake Bot API (loopback), the
//! engine on the simulator. The file arrives as a multipart `sendDocument` whose fields are the
//! Bot API's own (from its machine-readable spec), and its rows are the simulator's numbers.
#![allow(clippy::unwrap_used)] // tests may panic

#[path = "../../chatops/tests/support/export_rows.rs"]
mod export_rows;
mod support;

use serde_json::Value;
use support::*;

/// The fields of a Bot API method, from the published spec (an extract kept in the repository:
/// `tests/fixtures/README.md` says where it comes from): (name, required).
fn spec_fields(method: &str) -> Vec<(String, bool)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/telegram-bot-api.send-files.json"
    );
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    spec["methods"][method]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("{method} is not in the extract: add it (see its README)"))
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                f["required"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// The file part that `body[field]` names (`attach://<part>`, as the Bot API documents for
/// multipart uploads).
fn attached_part<'a>(body: &'a Value, field: &str) -> &'a str {
    body[field]
        .as_str()
        .and_then(|d| d.strip_prefix("attach://"))
        .unwrap_or_else(|| panic!("an uploaded file: {}", body[field]))
}

/// The file part of the upload `body` sent by `method` in `field`, once every field of `body`
/// is found to be `method`'s (or that part) and every field it requires is there.
fn upload<'a>(body: &'a Value, method: &str, field: &str) -> &'a str {
    let fields = spec_fields(method);
    let attached = attached_part(body, field);
    for key in body.as_object().unwrap().keys() {
        assert!(
            key == attached || fields.iter().any(|(name, _)| name == key),
            "`{key}` is not a {method} field"
        );
    }
    for (name, required) in &fields {
        assert!(!required || body.get(name).is_some(), "`{name}` is missing");
    }
    attached
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
    let attached = upload(body, "sendDocument", "document");
    assert_eq!(body["chat_id"], ALICE.id);
    let document = &body[attached];
    let name = document["filename"].as_str().unwrap();
    assert!(
        name.starts_with("demo-busy-") && name.ends_with(".csv"),
        "{name}"
    );
    let content = document["content"].as_str().unwrap();
    export_rows::assert_masked_rows(content.as_bytes(), &export_rows::records(&world.sim, 8));
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
    let attached = upload(body, "sendPhoto", "photo");
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

/// An export with whole phones (`export_full_phones`) is private: typed in a group, the file
/// goes to the sender's private chat, never to the group; when the bot may not write there
/// (they blocked it), the group is told how to get it, and gets no file.
#[tokio::test]
async fn an_export_with_whole_phones_goes_to_the_senders_private_chat_never_the_group() {
    let mut world = World::start(Setup {
        chatops: "export_full_phones = true",
        ..Setup::default()
    })
    .await;
    let command = format!("/export@{BOT_NAME} task:demo status:busy format:csv");
    world.tg.say(ALICE, OPS_GROUP, &command);
    let call = world.tg.wait_for("sendDocument", |_| true).await;
    assert_eq!(call.body["chat_id"], ALICE.id, "the file went to the group");
    // The private kind: whole phones.
    let attached = attached_part(&call.body, "document");
    let content = call.body[attached]["content"].as_str().unwrap();
    let busy = export_rows::records(&world.sim, 8);
    assert!(!busy.is_empty());
    assert!(
        busy.iter().all(|r| content.contains(r.number.as_str())),
        "{content}"
    );
    world.sent(ALICE.id, "Phones are whole in the file").await;

    // Alice blocks the bot; her next export typed in the group is not given to the group.
    world.tg.block(ALICE.id);
    world.tg.say(ALICE, OPS_GROUP, &command);
    let notice = world
        .sent(OPS_GROUP, &format!("open a private chat with @{BOT_NAME}"))
        .await;
    assert!(notice.body["reply_parameters"]["message_id"].is_i64());
    // Stopping finishes the update in flight: whatever it would send after the notice is sent.
    world.stop().await;
    let refused = world
        .tg
        .calls_of("sendMessage")
        .into_iter()
        .filter(|c| c.body["chat_id"] == ALICE.id && c.response["error_code"] == 403)
        .count();
    assert_eq!(refused, 1, "the private answer was tried");
    let files: Vec<_> = ["sendDocument", "sendPhoto"]
        .into_iter()
        .flat_map(|method| world.tg.calls_of(method))
        .map(|c| c.body["chat_id"].clone())
        .collect();
    assert_eq!(files, [ALICE.id], "files sent, by chat");
    for call in world.tg.calls_of("sendMessage") {
        if call.body["chat_id"] == OPS_GROUP {
            let text = call.body["text"].as_str().unwrap();
            assert!(
                !text.contains("Phones are whole") && !text.contains("Exported"),
                "the group got the answer: {text}"
            );
        }
    }
}

/// `upload_limit_bytes` of the `[telegram]` table is the engine's upload limit; without it, the
/// Bot API's 50 MB.
#[tokio::test]
async fn the_upload_limit_setting_reaches_the_engine() {
    let sim = agent_sim::start(agent_sim::SimConfig {
        size: 10,
        ..agent_sim::SimConfig::default()
    })
    .await
    .unwrap();
    let tg = FakeTelegram::start().await;
    let overrides = telegram_bot::Overrides::default();
    let set = settings_with_tables(
        &sim,
        &tg,
        &[],
        &overrides,
        None,
        "",
        "upload_limit_bytes = 1234",
    );
    assert_eq!(set.telegram.upload_limit, 1234);
    assert_eq!(
        telegram_bot::profile(&set.telegram).upload_limit,
        Some(1234)
    );
    let default = settings(&sim, &tg, &[], &overrides);
    assert_eq!(
        telegram_bot::profile(&default.telegram).upload_limit,
        Some(50_000_000)
    );
}

/// An export over the upload limit is sent gzipped, said so in the reply. (The busy numbers
/// of the simulator's demo task make a CSV of about 4.8 KB, about 2.3 KB gzipped.)
#[tokio::test]
async fn an_export_over_the_upload_limit_is_sent_as_a_csv_gz() {
    let mut world = World::start(Setup {
        telegram: "upload_limit_bytes = 4000",
        ..Setup::default()
    })
    .await;
    world
        .tg
        .say(ALICE, ALICE.id, "/export task:demo status:busy format:csv");
    let call = world.tg.wait_for("sendDocument", |_| true).await;
    let attached = attached_part(&call.body, "document");
    let document = &call.body[attached];
    let name = document["filename"].as_str().unwrap();
    assert!(
        name.starts_with("demo-busy-") && name.ends_with(".csv.gz"),
        "{name}"
    );
    // Gzip's magic (0x1f 0x8b; the fake keeps parts as text, so 0x8b is lost), not CSV text.
    let content = document["content"].as_str().unwrap();
    assert!(content.starts_with("\u{1f}\u{fffd}"), "{content:?}");
    world
        .sent(ALICE.id, "upload limit: it is sent gzipped (.gz)")
        .await;
    world.stop().await;
    assert_eq!(world.tg.calls_of("sendDocument").len(), 1, "one file");
}
