//! The simulator against `openapi/agent-api.yaml`: every answer validates against the schema the
//! spec declares for its status, and the status is one the spec declares for the operation; a
//! request that breaks the spec's parameter or body schemas (judged by the spec itself, converted
//! to JSON Schema) is refused with a declared 4xx and changes nothing, and one that keeps to them
//! gets what an independent computation over the data says.
#![allow(clippy::unwrap_used)] // tests may panic

mod common;

use agent_api::types::NumberListResponse;
use agent_api::wire::PlatformDateTime;
use agent_sim::{
    DEMO_TASK_ID, DEMO_USER_ID, Fault, SUB_TASK_ID, SUB_USER_ID, SimConfig, SimHandle,
};
use common::{LIST, RESET, assert_conforms, block_on, encode_query, send, spec};
use proptest::prelude::*;
use proptest::sample::select;
use reqwest::Method;
use serde_json::{Value, json};

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

fn anchor() -> jiff::civil::DateTime {
    jiff::civil::date(2026, 11, 22).at(12, 0, 0, 0)
}

async fn sim() -> SimHandle {
    agent_sim::start(SimConfig {
        size: 120,
        anchor: Some(anchor()),
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
    let other_user = format!(
        "{}/agent-api/user/00000000-0000-4000-8000-000000000000/task/{DEMO_TASK_ID}/number?page=1",
        sim.base_url()
    );
    let demo = |query: &str| list_url(&sim, DEMO_TASK_ID, query);
    let sub = |query: &str| list_url(&sim, SUB_TASK_ID, query);
    let by_sub = format!("page=1&sub_user_id={SUB_USER_ID}");
    let cases: Vec<(String, Option<&str>, u16)> = vec![
        (demo("page=1&per_page=50"), token, 200),
        (demo("page=1&status%5B%5D=0&status%5B%5D=1"), token, 200),
        (
            demo("page=1&start_at=2026-11-01+00:00:00&end_at=2026/11/20+0:00&encryption=1"),
            token,
            200,
        ),
        (sub(&by_sub), token, 200),
        (demo("page=1"), None, 401),
        (demo("page=1"), Some("wrong"), 401),
        (list_url(&sim, "no-such-task", "page=1"), token, 404),
        (other_user, token, 404),
        (sub("page=1"), token, 404),
        (demo(&by_sub), token, 404),
        (demo("page=0&status%5B%5D=13&start_at=x"), token, 422),
        (demo("page=1&encryption=false"), token, 422),
    ];
    for (url, token, expected) in cases {
        let (status, headers, body) = send(Method::GET, &url, token, None).await;
        assert_eq!(
            status,
            expected,
            "{url}: {}",
            String::from_utf8_lossy(&body)
        );
        assert_eq!(headers["content-type"], "application/json");
        assert_conforms(&spec, LIST, "get", status, &body);
    }

    // An empty page: valid, and `data` is there, empty, as the platform writes it.
    for query in ["page=99", "page=1&start_at=2001-01-01&end_at=2001-01-02"] {
        let (status, _, body) = send(
            Method::GET,
            &list_url(&sim, DEMO_TASK_ID, query),
            token,
            None,
        )
        .await;
        assert_eq!(status, 200);
        assert_conforms(&spec, LIST, "get", status, &body);
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["data"], json!([]), "{query}");
        assert_eq!(
            body["meta"]["current_page"],
            if query == "page=99" { 99 } else { 1 }
        );
        if query != "page=99" {
            assert_eq!(
                body["meta"],
                json!({"has_pages": false, "total": 0, "last_page": 1, "current_page": 1, "per_page": 15})
            );
        }
    }

    // Other methods: Laravel's 405, declared.
    for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
        let (status, headers, body) = send(
            method.clone(),
            &list_url(&sim, DEMO_TASK_ID, "page=1"),
            token,
            None,
        )
        .await;
        assert_eq!(status, 405, "{method}");
        assert_eq!(headers["allow"], "GET, HEAD");
        assert_conforms(&spec, LIST, "get", status, &body);
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("The {method} method is not supported for route"))
        );
    }

    // Faults whose answers are JSON: declared statuses and schemas too.
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

    // Another route: Laravel's 404 `{message}`, an ApiError.
    let (status, _, body) = send(
        Method::GET,
        &format!("{}/agent-api/user/{DEMO_USER_ID}/tasks", sim.base_url()),
        token,
        None,
    )
    .await;
    assert_eq!(status, 404);
    let error = json!({ "$ref": "#/components/schemas/ApiError" });
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert!(common::validator(&spec, &error).is_valid(&body), "{body}");
    assert_eq!(
        body["message"],
        format!("The route agent-api/user/{DEMO_USER_ID}/tasks could not be found.")
    );
}

#[tokio::test]
async fn reset_answers_conform_to_the_spec() {
    let spec = spec();
    let sim = sim().await;
    let token = Some(sim.token().to_string());
    let token = token.as_deref();
    let url = reset_url(&sim, DEMO_TASK_ID);
    let sub_body = format!(r#"{{"status":[8],"sub_user_id":"{SUB_USER_ID}"}}"#);
    let cases: Vec<(String, Option<&str>, Option<&str>, u16)> = vec![
        (url.clone(), token, Some(r#"{"status":[8]}"#), 200),
        (reset_url(&sim, SUB_TASK_ID), token, Some(&sub_body), 200),
        (url.clone(), None, Some(r#"{"status":[8]}"#), 401),
        (url.clone(), Some("nope"), Some(r#"{"status":[8]}"#), 401),
        (
            reset_url(&sim, "no-such-task"),
            token,
            Some(r#"{"status":[8]}"#),
            404,
        ),
        (
            reset_url(&sim, SUB_TASK_ID),
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
        (url.clone(), token, Some(r#"{"end_at":"2020-07-28"}"#), 422),
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
    for method in [Method::GET, Method::POST, Method::DELETE] {
        let (status, headers, answer) = send(method, &url, token, None).await;
        assert_eq!(status, 405);
        assert_eq!(headers["allow"], "PUT");
        assert_conforms(&spec, RESET, "put", status, &answer);
    }
    for fault in [
        Fault::RateLimited {
            retry_after_secs: 1,
        },
        Fault::ServerError,
        Fault::SoftError,
    ] {
        sim.inject(fault, 1);
        let (status, headers, answer) =
            send(Method::PUT, &url, token, Some("{\"status\":[8]}")).await;
        if status == 429 {
            assert_eq!(headers["retry-after"], "1");
        }
        assert_conforms(&spec, RESET, "put", status, &answer);
    }
}

/// Creation-time bounds: the text sent, and the instant it means (None: not a real date).
const DATES: &[(&str, Option<&str>)] = &[
    ("2026-10-30 00:00:00", Some("2026-10-30 00:00:00")),
    ("2026-11-05", Some("2026-11-05 00:00:00")),
    ("2026/11/12 8:30", Some("2026-11-12 08:30:00")),
    ("2026-11-18 23:59", Some("2026-11-18 23:59:00")),
    ("2026/11/20", Some("2026-11-20 00:00:00")),
    ("2026-11-31", None),
    ("2026-11-05 24:00", None),
    ("2026-11-05T00:00:00", None),
    ("yesterday", None),
    ("", None),
];

/// The instant a date text means (the pool's, or a record's own `created_at`).
fn meaning(text: &str) -> PlatformDateTime {
    if let Ok(exact) = text.parse() {
        return exact;
    }
    if let Some(canonical) = DATES.iter().find(|(t, _)| *t == text).and_then(|(_, c)| *c) {
        return canonical.parse().unwrap();
    }
    // Any other form the spec's pattern allows: `Y-M-D[ H:M[:S]]` with `-` or `/`, padded here.
    let (date, time) = text.split_once(' ').unwrap_or((text, "0:00"));
    let date: Vec<&str> = date.split(['-', '/']).collect();
    let mut time: Vec<&str> = time.split(':').collect();
    time.resize(3, "0");
    let n = |s: &str| {
        s.parse::<u32>()
            .unwrap_or_else(|_| panic!("{text:?} was accepted as a date"))
    };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        n(date[0]),
        n(date[1]),
        n(date[2]),
        n(time[0]),
        n(time[1]),
        n(time[2])
    )
    .parse()
    .unwrap_or_else(|_| panic!("{text:?} was accepted as a date"))
}

/// Damaged and reshaped forms of a date text (`YYYY-MM-DD HH:MM:SS`): other separators, parts
/// left out, and days, months and times just past what the calendar has.
fn date_variants(example: &str) -> Vec<String> {
    let Some((date, time)) = example.split_once(' ') else {
        return vec![example.to_string()];
    };
    let (year, rest) = date.split_at(4);
    let hm = time.get(..5).unwrap_or(time);
    vec![
        example.to_string(),
        date.to_string(),
        format!("{date} {hm}"),
        example.replace('-', "/"),
        format!("{year}/2/9 {}", time.trim_start_matches('0')),
        format!("{date}T{time}"),
        format!("{year}-02-29"),
        "2024-02-29 23:59:59".to_string(),
        "2023-02-29".to_string(),
        "2000-02-29".to_string(),
        "1900-02-29".to_string(),
        format!("{year}-04-31"),
        format!("{year}-13{}", &rest[3..]),
        format!("{year}-00{}", &rest[3..]),
        format!("{date} 24:00"),
        format!("{date} 23:60"),
        format!("{date} 7:05"),
        format!("{date} 7:5"),
        format!("{year}-1-1 0:00:00"),
        format!("{year}-01/01"),
        format!(" {example}"),
    ]
}

/// Candidate values for a schema of the spec, derived from the schema alone (JSON values): its
/// examples and default, its enum's members and their neighbours, its bounds and their
/// neighbours, reshaped forms of a patterned string's examples, and values of other types.
fn candidates(spec: &Value, schema: &Value, examples: &[&Value]) -> Vec<Value> {
    let schema = follow(spec, schema);
    let mut out: Vec<Value> = Vec::new();
    let mut push = |v: Value| {
        if !out.contains(&v) {
            out.push(v);
        }
    };
    let mut seeds: Vec<Value> = examples.iter().map(|v| (*v).clone()).collect();
    seeds.extend([schema["example"].clone(), schema["default"].clone()]);
    seeds.retain(|v| !v.is_null());
    match schema["type"].as_str() {
        Some("integer") => {
            let mut ints: Vec<i64> = schema["enum"]
                .as_array()
                .map(|e| e.iter().filter_map(Value::as_i64).collect())
                .unwrap_or_default();
            ints.extend(seeds.iter().filter_map(Value::as_i64));
            if let Some(min) = schema["minimum"].as_i64() {
                ints.extend([min, min + 1, min + 98]);
            }
            if let Some(max) = schema["maximum"].as_i64() {
                ints.extend([max, max + 1]);
            }
            let (lo, hi) = (ints.iter().min().copied(), ints.iter().max().copied());
            ints.extend(lo.map(|l| l - 1).into_iter().chain(hi.map(|h| h + 1)));
            for i in ints {
                push(json!(i));
            }
            for other in [
                json!("x"),
                json!(1.5),
                json!(true),
                json!(false),
                json!("7"),
            ] {
                push(other);
            }
        }
        Some("string") => {
            for seed in &seeds {
                if let Some(text) = seed.as_str() {
                    if schema.get("pattern").is_some() {
                        for variant in date_variants(text) {
                            push(json!(variant));
                        }
                    } else {
                        push(json!(text));
                    }
                }
            }
            for other in [json!(""), json!("x"), json!(139), Value::Null] {
                push(other);
            }
        }
        Some("boolean") => {
            for other in [
                json!(true),
                json!(false),
                json!("false"),
                json!(0),
                Value::Null,
            ] {
                push(other);
            }
        }
        Some("array") => {
            let items = candidates(spec, &schema["items"], &[]);
            for seed in &seeds {
                push(seed.clone());
            }
            for item in items.iter().take(6) {
                push(json!([item]));
            }
            push(json!([]));
            push(json!("x"));
            push(Value::Null);
        }
        _ => {}
    }
    out
}

/// Follows `$ref` and a single-entry `allOf`.
fn follow<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    let schema = common::resolved(spec, schema);
    match schema.get("allOf").and_then(Value::as_array) {
        Some(all) if all.len() == 1 => follow(spec, &all[0]),
        _ => schema,
    }
}

/// A query value as text.
fn query_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// List queries whose every parameter and value comes from the spec: each query parameter of
/// the list operation, present or not, with a value drawn from its schema's candidates (an
/// array parameter repeats its name, `status[]`, once per item).
fn spec_list_pairs() -> BoxedStrategy<Vec<(String, String)>> {
    let spec = spec();
    let mut strategy: BoxedStrategy<Vec<(String, String)>> = Just(Vec::new()).boxed();
    for param in spec["paths"][LIST]["get"]["parameters"].as_array().unwrap() {
        let param = common::resolved(&spec, param);
        if param["in"] != "query" {
            continue;
        }
        let name = param["name"].as_str().unwrap().to_string();
        let schema = follow(&spec, &param["schema"]);
        let values: Vec<Vec<String>> = if schema["type"] == "array" {
            candidates(&spec, &schema["items"], &[])
                .iter()
                .map(|item| vec![query_text(item)])
                .collect()
        } else {
            candidates(&spec, schema, &[&param["example"]])
                .iter()
                .filter(|v| !v.is_null())
                .map(|v| vec![query_text(v)])
                .collect()
        };
        let picks = if schema["type"] == "array" {
            proptest::collection::vec(select(values), 0..4)
                .prop_map(|items| items.concat())
                .boxed()
        } else {
            proptest::option::weighted(0.5, select(values))
                .prop_map(Option::unwrap_or_default)
                .boxed()
        };
        strategy = (strategy, picks)
            .prop_map(move |(mut pairs, values)| {
                pairs.extend(values.into_iter().map(|v| (name.clone(), v)));
                pairs
            })
            .boxed();
    }
    strategy
}

/// Reset bodies whose every field and value comes from the spec's body schema, each field
/// present or not; sometimes no body at all, or one that is not an object.
fn spec_body() -> BoxedStrategy<String> {
    let spec = spec();
    let schema = follow(
        &spec,
        &spec["paths"][RESET]["put"]["requestBody"]["content"]["application/json"]["schema"],
    )
    .clone();
    let example =
        spec["paths"][RESET]["put"]["requestBody"]["content"]["application/json"]["example"]
            .clone();
    let mut strategy: BoxedStrategy<serde_json::Map<String, Value>> =
        Just(serde_json::Map::new()).boxed();
    for (name, prop) in schema["properties"].as_object().unwrap() {
        let values = candidates(&spec, prop, &[&example[name]]);
        let name = name.clone();
        strategy = (strategy, proptest::option::weighted(0.4, select(values)))
            .prop_map(move |(mut body, value)| {
                if let Some(value) = value {
                    body.insert(name.clone(), value);
                }
                body
            })
            .boxed();
    }
    prop_oneof![
        12 => strategy.prop_map(|body| Value::Object(body).to_string()),
        1 => select(vec!["", "[]", "null", "\"status\""]).prop_map(str::to_string),
    ]
    .boxed()
}

/// `@N` stands for the creation time of the task's N-th number (to hit bounds exactly).
fn resolve_date(text: &str, before: &[agent_api::types::NumberRecord]) -> String {
    match text.strip_prefix('@') {
        Some(i) => before[i.parse::<usize>().unwrap()].created_at.to_string(),
        None => text.to_string(),
    }
}

const RECORD_DATES: [&str; 6] = ["@0", "@17", "@45", "@60", "@99", "@119"];

/// Mostly values the spec allows, sometimes one it does not.
fn mostly(valid: Vec<&'static str>, invalid: Vec<&'static str>) -> BoxedStrategy<&'static str> {
    prop_oneof![4 => select(valid), 1 => select(invalid)].boxed()
}

/// A list query as `(key, value)` pairs (a `[]` prefix sends the key as an array), mixing
/// values the spec allows and values it does not.
fn list_pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    let page = mostly(
        vec!["1", "2", "3", "99", " 2"],
        vec!["0", "-1", "abc", "", "1.5", "01", "+1", "[]1"],
    );
    let per_page = mostly(
        vec!["10", "15", "50", "1000", "1001"],
        vec!["0", "x", "-5", "[]5"],
    );
    let status = mostly(
        vec!["0", "1", "2", "4", "8", "12"],
        vec!["13", "-1", "busy", "", "2.5"],
    );
    let date = mostly(
        DATES
            .iter()
            .map(|(t, _)| *t)
            .take(5)
            .chain(RECORD_DATES)
            .collect(),
        DATES.iter().map(|(t, _)| *t).skip(5).collect(),
    );
    let encryption = mostly(vec!["0", "1"], vec!["false", "true", "yes", "", "[]1"]);
    let sub = mostly(vec!["", SUB_USER_ID], vec!["[]x"]);
    (
        proptest::option::weighted(0.8, page),
        proptest::option::weighted(0.5, per_page),
        proptest::collection::vec(status, 0..3),
        proptest::option::weighted(0.4, date.clone()),
        proptest::option::weighted(0.4, date),
        proptest::option::weighted(0.4, encryption),
        proptest::option::weighted(0.15, sub),
    )
        .prop_map(|(page, per_page, status, start, end, encryption, sub)| {
            let mut pairs = Vec::new();
            let mut put = |key: &str, value: Option<&str>| {
                if let Some(value) = value {
                    match value.strip_prefix("[]") {
                        Some(item) => pairs.push((format!("{key}[]"), item.to_string())),
                        None => pairs.push((key.to_string(), value.to_string())),
                    }
                }
            };
            put("page", page);
            put("per_page", per_page);
            put("start_at", start);
            put("end_at", end);
            put("encryption", encryption);
            put("sub_user_id", sub);
            for s in status {
                pairs.push(("status[]".to_string(), s.to_string()));
            }
            pairs
        })
}

/// A reset body: an object of the fields below, or a body that is not an object.
#[derive(Debug, Clone)]
enum BodyPlan {
    Object(ObjectPlan),
    Raw(&'static str),
}

/// The JSON value of each field of a reset body (indexes into the task's numbers stand for
/// phones).
#[derive(Debug, Clone)]
struct ObjectPlan {
    keyword: Option<u8>,
    phones: Option<(u8, Vec<(usize, bool)>)>,
    status: Option<(u8, Vec<i64>)>,
    start_at: Option<Value>,
    end_at: Option<Value>,
    encryption: Option<Value>,
    sub_user_id: Option<Value>,
    unknown: bool,
    keyword_from: usize,
}

fn date_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => select(DATES.iter().map(|(t, _)| *t).take(5).chain(RECORD_DATES).collect::<Vec<_>>())
            .prop_map(Value::from),
        2 => select(DATES.iter().map(|(t, _)| *t).skip(5).collect::<Vec<_>>()).prop_map(Value::from),
        1 => Just(json!(20261105)),
        1 => Just(Value::Null),
    ]
}

/// A field variant: mostly `0..valid` (allowed by the spec), sometimes `valid..all`.
fn kind(valid: u8, all: u8) -> impl Strategy<Value = u8> {
    prop_oneof![4 => 0..valid, 1 => valid..all]
}

prop_compose! {
    fn object_plan()(
        keyword in proptest::option::weighted(0.3, kind(3, 5)),
        phones in proptest::option::weighted(
            0.5,
            (
                kind(3, 6),
                proptest::collection::vec((0usize..120, any::<bool>()), 1..4),
            ),
        ),
        status in proptest::option::weighted(
            0.6,
            (kind(3, 6), proptest::collection::vec(0i64..=12, 1..4)),
        ),
        start_at in proptest::option::weighted(0.35, date_value()),
        end_at in proptest::option::weighted(0.3, date_value()),
        encryption in proptest::option::weighted(
            0.2,
            prop_oneof![
                4 => select(vec![json!(true), json!(false)]),
                1 => select(vec![json!("false"), json!(0), json!("1"), Value::Null]),
            ],
        ),
        sub_user_id in proptest::option::weighted(0.1, select(vec![json!(SUB_USER_ID), json!(""), json!(123)])),
        unknown in any::<bool>(),
        keyword_from in 0usize..120,
    ) -> ObjectPlan {
        ObjectPlan {
            keyword,
            phones,
            status,
            start_at,
            end_at,
            encryption,
            sub_user_id,
            unknown,
            keyword_from,
        }
    }
}

fn body_plan() -> impl Strategy<Value = BodyPlan> {
    prop_oneof![
        12 => object_plan().prop_map(BodyPlan::Object),
        1 => select(vec!["", " ", "[1, 2]", "\"phones\"", "5", "null", "true", "{\"status\": [1", "{phones: []}"])
            .prop_map(BodyPlan::Raw),
    ]
}

/// The body's text.
fn render(plan: &BodyPlan, before: &[agent_api::types::NumberRecord]) -> String {
    match plan {
        BodyPlan::Object(object) => object.render(before),
        BodyPlan::Raw(raw) => (*raw).to_string(),
    }
}

impl ObjectPlan {
    /// The object's text.
    fn render(&self, before: &[agent_api::types::NumberRecord]) -> String {
        let numbers: Vec<&String> = before.iter().map(|r| &r.number).collect();
        let mut body = serde_json::Map::new();
        let number = numbers[self.keyword_from];
        if let Some(kind) = self.keyword {
            body.insert(
                "keyword".into(),
                match kind {
                    0 => json!(number[3..number.len().min(8)]),
                    1 => json!(format!(" {number} ")),
                    2 => json!(""),
                    3 => json!(139),
                    _ => Value::Null,
                },
            );
        }
        if let Some((kind, picks)) = &self.phones {
            let listed: Vec<Value> = picks
                .iter()
                .map(|(i, pad)| {
                    let n = numbers[*i];
                    json!(if *pad { format!(" {n}") } else { n.clone() })
                })
                .collect();
            body.insert(
                "phones".into(),
                match kind {
                    0 | 1 => Value::Array(listed),
                    2 => json!(["10000000000"]),
                    3 => json!([13934373090u64]),
                    4 => json!("13934373090"),
                    _ => Value::Null,
                },
            );
        }
        if let Some((kind, codes)) = &self.status {
            body.insert(
                "status".into(),
                match kind {
                    0 | 1 => json!(codes),
                    2 => json!([]),
                    3 => json!([13]),
                    4 => json!(["2"]),
                    _ => json!(2),
                },
            );
        }
        for (key, value) in [
            ("start_at", &self.start_at),
            ("end_at", &self.end_at),
            ("encryption", &self.encryption),
            ("sub_user_id", &self.sub_user_id),
        ] {
            if let Some(value) = value {
                let value = match value.as_str() {
                    Some(text) => json!(resolve_date(text, before)),
                    None => value.clone(),
                };
                body.insert(key.into(), value);
            }
        }
        if self.unknown {
            body.insert("is_new_task".into(), json!(false));
        }
        Value::Object(body).to_string()
    }
}

/// What a reset asking `body` does to `before`, computed without the simulator.
fn expected_after(
    before: &[agent_api::types::NumberRecord],
    body: &Value,
) -> Vec<agent_api::types::NumberRecord> {
    let statuses: Vec<i64> = body["status"]
        .as_array()
        .map(|a| a.iter().map(|v| v.as_i64().unwrap()).collect())
        .unwrap_or_default();
    let phones: Vec<String> = body["phones"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| v.as_str().unwrap().trim().to_string())
                .collect()
        })
        .unwrap_or_default();
    let keyword = body["keyword"].as_str().map(str::trim).unwrap_or("");
    let start = body["start_at"].as_str().map(meaning);
    let end = body["end_at"].as_str().map(meaning);
    before
        .iter()
        .map(|r| {
            let hit = (statuses.is_empty() || statuses.contains(&*r.status))
                && start.is_none_or(|s| r.created_at >= s)
                && end.is_none_or(|e| r.created_at <= e)
                && (phones.is_empty() || phones.contains(&r.number))
                && r.number.contains(keyword);
            let mut r = r.clone();
            if hit {
                r.status = agent_api::types::CallStatus::try_from(0).unwrap();
                r.status_str = "等待呼叫".to_string();
                r.callid = None;
                r.calldate = None;
                r.answerdate = None;
                r.hangupdate = None;
                r.hangupcause = None;
                r.bill = None;
                r.duration = None;
            }
            r
        })
        .collect()
}

/// Sends a list query to a fresh simulator and holds the answer to the spec: refused (422) when
/// the spec calls the query invalid, else what an independent computation over the data says.
fn judge_list_query(pairs: Vec<(String, String)>) {
    block_on(async {
        let spec = spec();
        let sim = sim().await;
        let snapshot = sim.snapshot(DEMO_TASK_ID);
        let pairs: Vec<(String, String)> = pairs
            .into_iter()
            .map(|(k, v)| {
                let v = if k.ends_with("_at") {
                    resolve_date(&v, &snapshot)
                } else {
                    v
                };
                (k, v)
            })
            .collect();
        let (instance, schema) = common::list_query_instance(&spec, &pairs);
        let valid = common::validator(&spec, &schema).is_valid(&instance);
        let query = encode_query(&pairs);
        let (status, _, answer) = send(
            Method::GET,
            &list_url(&sim, DEMO_TASK_ID, &query),
            Some(sim.token()),
            None,
        )
        .await;
        assert_conforms(&spec, LIST, "get", status, &answer);
        let text = String::from_utf8_lossy(&answer);
        if !valid {
            assert_eq!(
                status, 422,
                "breaks the spec, yet {status}: {query} {instance} {text}"
            );
            return;
        }
        let sub = instance["sub_user_id"].as_str().unwrap_or("");
        let page = instance["page"].as_u64().unwrap_or(1);
        let per_page = instance["per_page"].as_u64().unwrap_or(15);
        let statuses: Vec<i64> = instance["status[]"]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_i64().unwrap()).collect())
            .unwrap_or_default();
        let text_of = |key: &str| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let start = text_of("start_at").map(meaning);
        let end = text_of("end_at").map(meaning);
        match status {
            200 => assert!(sub.is_empty(), "{query}"),
            404 => {
                assert!(!sub.is_empty(), "{query} {text}");
                return;
            }
            // Valid by the schemas, refused only by what one schema cannot say: the dates
            // out of order, or more than the simulator's 1000 numbers a page (the platform
            // documents no maximum, so the spec states none).
            422 => {
                let disordered = matches!((start, end), (Some(s), Some(e)) if e < s);
                assert!(
                    disordered || per_page > 1000,
                    "the spec allows it, yet 422: {query} {text}"
                );
                return;
            }
            _ => panic!("{status} for {query}: {text}"),
        }
        let matching: Vec<_> = snapshot
            .into_iter()
            .filter(|r| statuses.is_empty() || statuses.contains(&*r.status))
            .filter(|r| {
                start.is_none_or(|s| r.created_at >= s) && end.is_none_or(|e| r.created_at <= e)
            })
            .collect();
        let expected: Vec<_> = matching
            .iter()
            .skip(usize::try_from((page - 1) * per_page).unwrap())
            .take(usize::try_from(per_page).unwrap())
            .cloned()
            .collect();
        let answer: NumberListResponse = serde_json::from_slice(&answer).unwrap();
        assert_eq!(answer.data, expected, "{query}");
        let meta = answer.meta.unwrap();
        let last_page = (matching.len() as u64).div_ceil(per_page).max(1);
        assert_eq!(
            (
                meta.total.get(),
                meta.last_page.get(),
                meta.current_page.get(),
                meta.per_page.get(),
                meta.has_pages
            ),
            (
                matching.len() as u64,
                last_page,
                page,
                per_page,
                last_page > 1
            ),
            "{query}"
        );
    });
}

/// Sends a reset body (rendered from the task's numbers) to a fresh simulator and holds the
/// answer to the spec: refused and nothing changed when the spec calls it invalid, else exactly
/// the numbers an independent computation says reset.
fn judge_reset_body(render_body: impl FnOnce(&[agent_api::types::NumberRecord]) -> String) {
    block_on(async {
        let spec = spec();
        let sim = sim().await;
        let before = sim.snapshot(DEMO_TASK_ID);
        let body = render_body(&before);
        let parsed: Option<Value> = serde_json::from_str(&body).ok();
        let schema = common::reset_body_schema(&spec);
        let valid = parsed
            .as_ref()
            .is_some_and(|v| common::validator(&spec, &schema).is_valid(v));
        let (status, _, answer) = send(
            Method::PUT,
            &reset_url(&sim, DEMO_TASK_ID),
            Some(sim.token()),
            Some(&body),
        )
        .await;
        assert_conforms(&spec, RESET, "put", status, &answer);
        let after = sim.snapshot(DEMO_TASK_ID);
        let text = String::from_utf8_lossy(&answer);
        if !valid {
            assert_eq!(status, 422, "breaks the spec, yet {status}: {body} {text}");
            assert!(
                after == before,
                "a refused request changed the data: {body}"
            );
            return;
        }
        let body_value = parsed.unwrap();
        let sub = body_value["sub_user_id"].as_str().unwrap_or("");
        match status {
            200 => {
                assert!(sub.is_empty(), "{body}");
                let expected = expected_after(&before, &body_value);
                assert!(
                    after == expected,
                    "{body}: the reset did not do what was asked"
                );
            }
            404 => {
                assert!(!sub.is_empty(), "{body} {text}");
                assert!(after == before);
            }
            // Valid by the schemas, refused only by what one schema cannot say: `end_at`
            // needs `start_at`, and the dates in order.
            422 => {
                assert!(after == before, "{body}");
                let start = body_value["start_at"].as_str().map(meaning);
                let end = body_value["end_at"].as_str().map(meaning);
                let explained = match (start, end) {
                    (None, Some(_)) => true,
                    (Some(s), Some(e)) => e < s,
                    _ => false,
                };
                assert!(explained, "the spec allows it, yet 422: {body} {text}");
            }
            _ => panic!("{status} for {body}: {text}"),
        }
    });
}

/// A query value for an example of a parameter: a JSON scalar as text.
fn example_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The `(name, text)` pairs that send a parameter's example in a query (an array: one pair per
/// item, under the parameter's own name, `status[]`).
fn example_pairs(name: &str, example: &Value) -> Vec<(String, String)> {
    match example {
        Value::Array(items) => items
            .iter()
            .map(|item| (name.to_string(), example_text(item)))
            .collect(),
        other => vec![(name.to_string(), example_text(other))],
    }
}

#[tokio::test]
async fn every_example_in_the_spec_is_accepted_by_the_simulator() {
    let spec = spec();
    let sim = sim().await;
    let token = Some(sim.token());

    // Every parameter example fits its own schema.
    for (route, method) in [(LIST, "get"), (RESET, "put")] {
        for param in spec["paths"][route][method]["parameters"]
            .as_array()
            .unwrap()
        {
            let param = common::resolved(&spec, param);
            let example = &param["example"];
            assert!(
                !example.is_null(),
                "{route}: {} has no example",
                param["name"]
            );
            assert!(
                common::validator(&spec, &param["schema"]).is_valid(example),
                "{route}: the example of {} breaks its schema",
                param["name"]
            );
        }
    }

    // The list: the path examples with every query example at once (but the sub-account's,
    // which names another account's task) answer 200; the sub-account's example on its task too.
    let path_example = |route: &str, method: &str, name: &str| {
        example_text(&common::parameter(&spec, route, method, name)["example"])
    };
    let (user, task) = (
        path_example(LIST, "get", "user_id"),
        path_example(LIST, "get", "task_id"),
    );
    let mut pairs = Vec::new();
    let mut sub = Vec::new();
    for param in spec["paths"][LIST]["get"]["parameters"].as_array().unwrap() {
        let param = common::resolved(&spec, param);
        if param["in"] != "query" {
            continue;
        }
        let name = param["name"].as_str().unwrap();
        let these = example_pairs(name, &param["example"]);
        if name == "sub_user_id" {
            sub = these;
        } else {
            pairs.extend(these);
        }
    }
    assert!(pairs.iter().any(|(k, v)| k == "encryption" && v == "0"));
    let (instance, schema) = common::list_query_instance(&spec, &pairs);
    assert!(common::validator(&spec, &schema).is_valid(&instance));
    let base = sim.base_url();
    for (task, pairs) in [
        (task.as_str(), pairs.clone()),
        (SUB_TASK_ID, [pairs, sub].concat()),
    ] {
        let url = format!(
            "{base}/agent-api/user/{user}/task/{task}/number?{}",
            encode_query(&pairs)
        );
        let (status, _, body) = send(Method::GET, &url, token, None).await;
        assert_eq!(status, 200, "{url}: {}", String::from_utf8_lossy(&body));
        assert_conforms(&spec, LIST, "get", status, &body);
    }

    // The reset: the path examples and the body example.
    let op = &spec["paths"][RESET]["put"];
    let body = &op["requestBody"]["content"]["application/json"]["example"];
    assert!(common::validator(&spec, &common::reset_body_schema(&spec)).is_valid(body));
    let url = format!(
        "{base}/agent-api/user/{}/task/{}/number-batch-reset",
        path_example(RESET, "put", "user_id"),
        path_example(RESET, "put", "task_id"),
    );
    let (status, _, answer) = send(Method::PUT, &url, token, Some(&body.to_string())).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    assert_conforms(&spec, RESET, "put", status, &answer);

    // Every response example fits the schema it illustrates.
    for (route, method) in [(LIST, "get"), (RESET, "put")] {
        for (code, response) in spec["paths"][route][method]["responses"]
            .as_object()
            .unwrap()
        {
            let response = common::resolved(&spec, response);
            let media = &response["content"]["application/json"];
            if let Some(example) = media.get("example") {
                let valid = common::validator(&spec, &media["schema"]).is_valid(example);
                assert!(
                    valid,
                    "{method} {route} {code}: the example breaks its schema"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    /// The spec judges the query; the simulator must refuse what it refuses, and answer what it
    /// allows as an independent computation says. Values picked to hit the data's bounds.
    #[test]
    fn list_queries_are_judged_by_the_spec(pairs in list_pairs()) {
        judge_list_query(pairs);
    }

    /// The same, with every value generated from the spec's own parameter schemas.
    #[test]
    fn list_queries_generated_from_the_spec_are_judged_by_it(pairs in spec_list_pairs()) {
        judge_list_query(pairs);
    }

    /// The spec judges the body; the simulator must refuse (and change nothing for) what it
    /// refuses, and reset exactly what an independent computation says for what it allows.
    #[test]
    fn reset_bodies_are_judged_by_the_spec(plan in body_plan()) {
        judge_reset_body(|before| render(&plan, before));
    }

    /// The same, with every field generated from the spec's own body schema.
    #[test]
    fn reset_bodies_generated_from_the_spec_are_judged_by_it(body in spec_body()) {
        judge_reset_body(|_| body);
    }
}

#[test]
fn the_schema_checks_are_not_vacuous() {
    // The seed's own example validates; the same with wrong types or formats does not.
    let spec = spec();
    let example = common::fixture("number-list.response.json");
    let schema = json!({ "$ref": "#/components/schemas/NumberListResponse" });
    let validator = common::validator(&spec, &schema);
    assert!(validator.is_valid(&example));
    for (pointer, bad) in [
        ("/data/0/created_at", json!("2020/07/28 14:37")),
        ("/data/0/status", json!(13)),
        ("/data/0/bill", json!("47280")),
        ("/data/0/number", Value::Null),
        ("/data/0/is_blacklist", json!(2)),
        ("/meta/total", json!("many")),
        ("/meta/per_page", json!(-1)),
        ("/code", json!("200")),
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
    let mut nulls = example.clone();
    nulls["data"][0]["calldate"] = Value::Null;
    nulls["data"][0]["is_blacklist"] = json!(1);
    nulls["meta"]["per_page"] = json!("15");
    assert!(
        validator.is_valid(&nulls),
        "nullable fields and lenient ints"
    );

    // Query parameters, read as the tests read them.
    let query = |pairs: &[(&str, &str)]| {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let (instance, schema) = common::list_query_instance(&spec, &pairs);
        common::validator(&spec, &schema).is_valid(&instance)
    };
    assert!(query(&[
        ("page", "2"),
        ("per_page", "50"),
        ("status[]", "0"),
        ("status[]", "12"),
        ("encryption", "0"),
        ("start_at", "2025/12/3 0:00"),
        ("end_at", "2025-12-03 23:59:59"),
        ("sub_user_id", SUB_USER_ID),
    ]));
    // Every parameter is optional; query booleans are the integers the wire carries.
    assert!(query(&[]));
    assert!(query(&[("encryption", "1"), ("start_at", "2024-02-29")]));
    for bad in [
        [("page", "0")],
        [("page", "abc")],
        [("page", "01")],
        [("page[]", "1")],
        [("per_page", "0")],
        [("status[]", "13")],
        [("status[]", "busy")],
        [("encryption", "false")],
        [("encryption", "true")],
        [("encryption", "2")],
        [("start_at", "2026-11-31")],
        [("start_at", "2023-02-29")],
        [("start_at", "2026-11-05 24:00")],
        [("start_at", "2026-13-01")],
        [("start_at", "2025-12/03")],
        [("start_at", "2025-12-03T00:00:00")],
        [("end_at", "yesterday")],
    ] {
        assert!(!query(&bad), "{bad:?} should break the spec");
    }

    // The reset body.
    let body = common::validator(&spec, &common::reset_body_schema(&spec));
    assert!(body.is_valid(&common::fixture("number-batch-reset.request.json")));
    assert!(body.is_valid(&json!({})));
    for bad in [
        json!({"phones": [1]}),
        json!({"phones": null}),
        json!({"keyword": 139}),
        json!({"status": [13]}),
        json!({"status": ["2"]}),
        json!({"encryption": "false"}),
        json!({"start_at": "2020-07-28T10:00:00"}),
        json!([1]),
        Value::Null,
    ] {
        assert!(!body.is_valid(&bad), "{bad} should break the spec");
    }
}

#[test]
fn values_generated_from_the_spec_fall_on_both_sides_of_it() {
    // Every constrained query parameter and every body field gets values the spec allows and
    // values it refuses, so the generated proptests test both refusal and acceptance.
    let spec = spec();
    for name in [
        "page",
        "per_page",
        "encryption",
        "status[]",
        "start_at",
        "end_at",
    ] {
        let param = common::parameter(&spec, LIST, "get", name);
        let schema = follow(&spec, &param["schema"]);
        let values = if schema["type"] == "array" {
            candidates(&spec, &schema["items"], &[])
        } else {
            candidates(&spec, schema, &[&param["example"]])
        };
        let judged: Vec<bool> = values
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| {
                let pairs = vec![(name.to_string(), query_text(v))];
                let (instance, schema) = common::list_query_instance(&spec, &pairs);
                common::validator(&spec, &schema).is_valid(&instance)
            })
            .collect();
        assert!(
            judged.contains(&true) && judged.contains(&false),
            "{name}: {values:?}"
        );
    }
    let body = spec["paths"][RESET]["put"]["requestBody"]["content"]["application/json"].clone();
    let schema = follow(&spec, &body["schema"]);
    let validator = common::validator(&spec, &common::reset_body_schema(&spec));
    for (name, prop) in schema["properties"].as_object().unwrap() {
        let judged: Vec<bool> = candidates(&spec, prop, &[&body["example"][name]])
            .into_iter()
            .map(|v| validator.is_valid(&json!({ name: v })))
            .collect();
        assert!(judged.contains(&true) && judged.contains(&false), "{name}");
    }
}
