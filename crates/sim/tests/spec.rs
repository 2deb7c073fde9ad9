//! Every answer of the simulator validates against the spec's schemas, with a status the spec
//! declares; requests that break the spec's parameter or body schemas are refused with a
//! declared 4xx and change nothing.
#![allow(clippy::unwrap_used)] // tests may panic

mod common;

use agent_sim::{
    DEMO_TASK_ID, DEMO_USER_ID, Fault, SUB_TASK_ID, SUB_USER_ID, SimConfig, SimHandle,
};
use common::{LIST, RESET, assert_conforms, send, spec};
use proptest::prelude::*;
use reqwest::Method;

fn list_url(sim: &SimHandle, task: &str, query: &str) -> String {
    format!(
        "{}/agent-api/user/{DEMO_USER_ID}/task/{task}/number?{query}",
        sim.base_url()
    )
}

fn reset_url(sim: &SimHandle, task: &str) -> String {
    format!(
        "{}/agent-api/user/{DEMO_USER_ID}/task/{task}/number-batch-reset",
        sim.base_url()
    )
}

async fn sim() -> SimHandle {
    agent_sim::start(SimConfig {
        size: 120,
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn list_answers_conform_to_the_spec() {
    let spec = spec();
    let sim = sim().await;
    let token = Some(sim.token().to_string());
    let token = token.as_deref();
    let cases: Vec<(String, Option<&str>, u16)> = vec![
        (
            list_url(&sim, DEMO_TASK_ID, "page=1&per_page=50"),
            token,
            200,
        ),
        (
            list_url(&sim, DEMO_TASK_ID, "page=1&status%5B%5D=0&status%5B%5D=1"),
            token,
            200,
        ),
        (list_url(&sim, DEMO_TASK_ID, "page=99"), token, 200),
        (
            list_url(
                &sim,
                DEMO_TASK_ID,
                "page=1&start_at=2001-01-01&end_at=2001-01-02",
            ),
            token,
            200,
        ),
        (
            list_url(
                &sim,
                SUB_TASK_ID,
                &format!("page=1&sub_user_id={SUB_USER_ID}"),
            ),
            token,
            200,
        ),
        (list_url(&sim, DEMO_TASK_ID, "page=1"), None, 401),
        (list_url(&sim, DEMO_TASK_ID, "page=1"), Some("wrong"), 401),
        (list_url(&sim, "no-such-task", "page=1"), token, 404),
        (list_url(&sim, SUB_TASK_ID, "page=1"), token, 404),
        (
            list_url(&sim, DEMO_TASK_ID, "page=0&status%5B%5D=13&start_at=x"),
            token,
            422,
        ),
    ];
    for (url, token, expected) in cases {
        let (status, _, body) = send(Method::GET, &url, token, None).await;
        assert_eq!(
            status,
            expected,
            "{url}: {}",
            String::from_utf8_lossy(&body)
        );
        assert_conforms(&spec, LIST, "get", status, &body);
    }
    let (status, headers, body) = send(
        Method::POST,
        &list_url(&sim, DEMO_TASK_ID, "page=1"),
        token,
        None,
    )
    .await;
    assert_eq!(status, 405);
    assert_eq!(headers["allow"], "GET, HEAD");
    assert_conforms(&spec, LIST, "get", status, &body);

    for (fault, expected) in [
        (
            Fault::RateLimited {
                retry_after_secs: 3,
            },
            429,
        ),
        (Fault::ServerError, 500),
        (Fault::SoftError, 200),
    ] {
        sim.inject(fault, 1);
        let (status, _, body) = send(
            Method::GET,
            &list_url(&sim, DEMO_TASK_ID, "page=1"),
            token,
            None,
        )
        .await;
        assert_eq!(status, expected);
        assert_conforms(&spec, LIST, "get", status, &body);
    }
}

#[tokio::test]
async fn reset_answers_conform_to_the_spec() {
    let spec = spec();
    let sim = sim().await;
    let token = Some(sim.token().to_string());
    let token = token.as_deref();
    let url = reset_url(&sim, DEMO_TASK_ID);
    let cases: Vec<(String, Option<&str>, Option<&str>, u16)> = vec![
        (url.clone(), token, Some(r#"{"status":[8]}"#), 200),
        (url.clone(), None, Some(r#"{"status":[8]}"#), 401),
        (
            reset_url(&sim, "no-such-task"),
            token,
            Some(r#"{"status":[8]}"#),
            404,
        ),
        (
            url.clone(),
            token,
            Some(r#"{"status":[99],"phones":"x"}"#),
            422,
        ),
        (url.clone(), token, Some(r#"{"status":"#), 422),
    ];
    for (url, token, body, expected) in cases {
        let (status, _, answer) = send(Method::PUT, &url, token, body).await;
        assert_eq!(
            status,
            expected,
            "{body:?}: {}",
            String::from_utf8_lossy(&answer)
        );
        assert_conforms(&spec, RESET, "put", status, &answer);
    }
    let (status, _, answer) = send(Method::GET, &url, token, None).await;
    assert_eq!(status, 405);
    assert_conforms(&spec, RESET, "put", status, &answer);
    sim.inject(
        Fault::RateLimited {
            retry_after_secs: 1,
        },
        1,
    );
    let (status, headers, answer) = send(Method::PUT, &url, token, Some("{\"status\":[8]}")).await;
    assert_eq!(
        (status, headers["retry-after"].to_str().unwrap()),
        (429, "1")
    );
    assert_conforms(&spec, RESET, "put", status, &answer);
}

/// A query value that breaks the spec's parameter schemas, with the parameter it breaks.
fn bad_query() -> impl Strategy<Value = String> {
    prop_oneof![
        prop_oneof![Just("0"), Just("-3"), Just("abc"), Just("1.5"), Just("")]
            .prop_map(|v| format!("page={v}")),
        prop_oneof![Just("0"), Just("x"), Just("-1")].prop_map(|v| format!("page=1&per_page={v}")),
        prop_oneof![Just("13"), Just("-1"), Just("busy"), Just("2.0")]
            .prop_map(|v| format!("page=1&status%5B%5D={v}")),
        prop_oneof![
            Just("2020-13-01"),
            Just("nope"),
            Just("2020/02/30"),
            Just("2020-07-28 25:00")
        ]
        .prop_map(|v| format!("page=1&start_at={}", v.replace(' ', "+"))),
        Just("page=1&start_at=2020-07-29&end_at=2020-07-28".to_string()),
        Just("page=1&encryption=maybe".to_string()),
    ]
}

/// A reset body that breaks the spec's body schema.
fn bad_body() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(r#"{"phones": [13934373090]}"#.to_string()),
        Just(r#"{"phones": "13934373090"}"#.to_string()),
        (13i64..1000).prop_map(|s| format!(r#"{{"status": [{s}]}}"#)),
        (-1000i64..0).prop_map(|s| format!(r#"{{"status": [{s}]}}"#)),
        Just(r#"{"status": "8"}"#.to_string()),
        Just(r#"{"keyword": {"a": 1}}"#.to_string()),
        Just(r#"{"start_at": "not a date"}"#.to_string()),
        Just(r#"{"start_at": "2020-07-29", "end_at": "2020-07-28"}"#.to_string()),
        Just(r#"{"encryption": "maybe"}"#.to_string()),
        Just("[1, 2]".to_string()),
        "[{\\[\"a-z]{1,10}".prop_map(|s| format!("{{{s}")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn requests_that_break_the_spec_are_refused_and_change_nothing(query in bad_query(), body in bad_body()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let spec = spec();
            let sim = sim().await;
            let before = sim.snapshot(DEMO_TASK_ID);
            let token = sim.token().to_string();
            let (status, _, answer) = send(Method::GET, &list_url(&sim, DEMO_TASK_ID, &query), Some(&token), None).await;
            assert_eq!(status, 422, "{query}");
            assert_conforms(&spec, LIST, "get", status, &answer);
            let (status, _, answer) = send(Method::PUT, &reset_url(&sim, DEMO_TASK_ID), Some(&token), Some(&body)).await;
            assert_eq!(status, 422, "{body}");
            assert_conforms(&spec, RESET, "put", status, &answer);
            assert_eq!(sim.snapshot(DEMO_TASK_ID), before, "a refused request changed the data");
        });
    }
}

#[test]
fn the_schema_check_is_not_vacuous() {
    // The seed's own example validates; the same with wrong types or formats does not.
    let spec = spec();
    let example = common::fixture("number-list.response.json");
    let schema = serde_json::json!({ "$ref": "#/components/schemas/NumberListResponse" });
    let validator = common::validator(&spec, &schema);
    assert!(validator.is_valid(&example));
    for (pointer, bad) in [
        ("/data/0/created_at", serde_json::json!("2020/07/28 14:37")),
        ("/data/0/status", serde_json::json!(13)),
        ("/data/0/bill", serde_json::json!("47280")),
        ("/data/0/number", serde_json::Value::Null),
        ("/meta/total", serde_json::json!("many")),
        ("/code", serde_json::json!("200")),
    ] {
        let mut broken = example.clone();
        *broken.pointer_mut(pointer).unwrap() = bad;
        assert!(!validator.is_valid(&broken), "{pointer} should be refused");
    }
    let mut missing = example.clone();
    missing["data"][0].as_object_mut().unwrap().remove("callid");
    assert!(
        !validator.is_valid(&missing),
        "a missing required field should be refused"
    );
}
