//! The `agent-sim` binary serves requests shaped like the seeds' curl examples and answers like
//! the seeds.
#![allow(clippy::unwrap_used)] // tests may panic

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the binary and waits for its "listening" line.
fn start(args: &[&str]) -> (Running, String) {
    let port = free_port().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_agent-sim"))
        .args(["--port", &port])
        .args(args)
        .env_remove("AGENT_SIM_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().unwrap().unwrap();
    assert_eq!(
        first,
        format!("agent-sim listening on http://127.0.0.1:{port}")
    );
    let token = lines.next().unwrap().unwrap();
    assert_eq!(token, "token: sim-token");
    std::thread::spawn(move || for _ in lines {});
    (Running(child), format!("http://127.0.0.1:{port}"))
}

/// The JSON type of every key, recursively (arrays by their first item): the shape of a body.
fn shape(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().take(1).map(shape).collect()),
        Value::Null => Value::from("null"),
        Value::Bool(_) => Value::from("bool"),
        Value::Number(_) => Value::from("number"),
        Value::String(_) => Value::from("string"),
    }
}

#[tokio::test]
async fn the_seeds_curl_examples_get_the_seeds_answers() {
    let (_sim, base) = start(&["--size", "40"]);
    // The list seed's URL, verbatim (encryption=false as the vendor sends it), its headers too.
    let url = format!(
        "{base}/agent-api/user/5832d184-dd53-42a0-8ace-0bf8d660f4cc/task/f232d184-dd54-42a0-8ace-0bf8d660f4cc/number?page=1&per_page=15&encryption=false"
    );
    agent_api::ensure_crypto_provider();
    let http = reqwest::Client::new();
    let response = http
        .get(&url)
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer sim-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let seed = common::fixture("number-list.response.json");
    let seed_record = shape(&seed["data"][0]);
    let records = body["data"].as_array().unwrap();
    assert!(
        records.iter().any(|r| r["status"] == 1),
        "a connected number, like the seed's"
    );
    for record in records {
        // The same fields; where both have a value, of the same type (the seed's example has
        // every call field of a dialled number, ours may be never dialled: nulls).
        let record = shape(record);
        let (ours, theirs) = (
            record.as_object().unwrap(),
            seed_record.as_object().unwrap(),
        );
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            theirs.keys().collect::<Vec<_>>()
        );
        for (key, kind) in ours {
            if kind != "null" && theirs[key] != "null" {
                assert_eq!(kind, &theirs[key], "{key}");
            }
        }
    }
    assert_eq!(body["code"], 200);
    assert_eq!(body["status"], "success");
    assert_eq!(body["message"], seed["message"]);
    assert_eq!(shape(&body["meta"]), shape(&seed["meta"]));
    assert_eq!(body["meta"]["per_page"], 15);
    assert_eq!(body["meta"]["total"], 40);
    assert_eq!(body["data"].as_array().unwrap().len(), 15);
    // `encryption=0`, the form the client sends, works too.
    let status = http
        .get(url.replace("encryption=false", "encryption=0"))
        .header("Authorization", "Bearer sim-token")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);

    // The reset seed: its URL, headers and body verbatim; the answer is the seed's, exactly.
    let answer = http
        .put(format!(
            "{base}/agent-api/user/4d99d91c-f5d9-49da-88da-758977cc58a9/task/b15b7392-a83f-4e0e-9570-31dd2ec8f85c/number-batch-reset"
        ))
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer sim-token")
        .body(serde_json::to_string(&common::fixture("number-batch-reset.request.json")).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(answer, common::fixture("number-batch-reset.response.json"));
}

#[test]
fn help_and_bad_flags() {
    let output = Command::new(env!("CARGO_BIN_EXE_agent-sim"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for flag in [
        "--port",
        "--size",
        "--latency-ms",
        "--error-rate",
        "--rate-limit-rate",
        "--html-rate",
        "--truncate-rate",
        "--soft-error-rate",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
    let output = Command::new(env!("CARGO_BIN_EXE_agent-sim"))
        .args(["--port", &free_port().to_string(), "--error-rate", "1.5"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("--error-rate must be between 0.0 and 1.0")
    );
}
