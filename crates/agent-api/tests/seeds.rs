//! The seeds' JSON examples (the vendor's docs, `openapi/seeds/`) are the fixtures, verbatim with
//! their comments stripped, and they decode into the generated types without loss.
#![allow(clippy::unwrap_used)] // tests may panic

mod support;

use agent_api::types::{BatchResetRequest, Envelope, NumberListResponse};
use serde_json::Value;
use support::{fixture, seed, seed_json_examples};

#[test]
fn fixtures_are_the_seeds_examples_verbatim() {
    let list = seed_json_examples(&seed("number-list.txt"));
    assert_eq!(list, vec![fixture("number-list.response.json")]);
    let reset = seed_json_examples(&seed("number-batch-reset.txt"));
    assert_eq!(
        reset,
        vec![
            fixture("number-batch-reset.request.json"),
            fixture("number-batch-reset.response.json"),
        ]
    );
}

/// Decodes `text` as `T`, checks that encoding it again gives the same JSON value, and returns it.
fn decode_losslessly<T>(text: &str) -> T
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    let original: Value = serde_json::from_str(text).unwrap();
    let decoded: T = serde_json::from_str(text).unwrap();
    let again = serde_json::to_value(&decoded).unwrap();
    assert_eq!(
        again, original,
        "decoding then encoding lost or changed something"
    );
    decoded
}

#[test]
fn number_list_example_decodes_without_loss() {
    let decoded: NumberListResponse = decode_losslessly(&fixture("number-list.response.json"));
    assert_eq!(decoded.code, 200);
    let record = &decoded.data[0];
    assert_eq!(*record.status, 1);
    assert_eq!(record.is_blacklist, None);
    assert_eq!(record.area_code.as_deref(), Some("0319"));
    assert_eq!(decoded.meta.as_ref().unwrap().per_page.get(), 15);
    insta::assert_debug_snapshot!(decoded);
}

#[test]
fn batch_reset_examples_decode_without_loss() {
    let request: BatchResetRequest = decode_losslessly(&fixture("number-batch-reset.request.json"));
    assert_eq!(request.phones, vec!["13934373090".to_string()]);
    assert_eq!(request.start_at.unwrap().to_string(), "2020-07-28 10:00:00");
    insta::assert_debug_snapshot!("batch_reset_request", request);
    let response: Envelope = decode_losslessly(&fixture("number-batch-reset.response.json"));
    assert_eq!(response.message, "批量重置号码成功");
    insta::assert_debug_snapshot!("batch_reset_response", response);
}

#[test]
fn platform_variants_decode_too() {
    // `meta.per_page` as a string, a blacklist flag as 1, and a never-dialled number's nulls.
    let mut value: Value = serde_json::from_str(&fixture("number-list.response.json")).unwrap();
    value["meta"]["per_page"] = Value::from("15");
    let record = &mut value["data"][0];
    record["is_blacklist"] = Value::from(1);
    for field in [
        "callid",
        "calldate",
        "bill",
        "duration",
        "hangupcause",
        "hangupdate",
        "answerdate",
        "extra",
        "customer_id",
    ] {
        record[field] = Value::Null;
    }
    let decoded: NumberListResponse = serde_json::from_value(value).unwrap();
    assert_eq!(decoded.meta.unwrap().per_page.get(), 15);
    let record = &decoded.data[0];
    assert_eq!(record.is_blacklist.map(|f| f.0), Some(true));
    assert_eq!(record.calldate, None);
    assert_eq!(record.bill, None);
}

#[test]
fn error_envelopes_decode() {
    // The documented error envelope (data is an empty array) and Laravel's validation shape.
    let business: agent_api::types::ApiError = serde_json::from_str(
        r#"{"code":6007,"status":"error","message":"2.0任务启动中,请先停止任务","data":[]}"#,
    )
    .unwrap();
    assert_eq!(business.code, Some(6007));
    let laravel: agent_api::types::ApiError = serde_json::from_str(
        r#"{"message":"The given data was invalid.","errors":{"status.0":["The selected status.0 is invalid."]}}"#,
    )
    .unwrap();
    assert_eq!(laravel.errors["status.0"].len(), 1);
    // A soft failure (HTTP 200, code != 200) still decodes, so the caller can check the envelope.
    let soft: NumberListResponse = serde_json::from_str(
        r#"{"code":6007,"status":"error","message":"请先暂停任务","data":[]}"#,
    )
    .unwrap();
    assert_eq!((soft.code, soft.meta), (6007, None));
}
