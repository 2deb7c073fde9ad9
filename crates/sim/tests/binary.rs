//! The `agent-sim` binary serves requests shaped like the seeds' curl examples and answers like
//! the seeds; it prints what a user needs at start and stops cleanly on SIGTERM/Ctrl-C.
#![allow(clippy::unwrap_used)] // tests may panic

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The running binary; killed when dropped (if a test failed before stopping it).
struct Running {
    child: Child,
    base: String,
    banner: Vec<String>,
    lines: mpsc::Receiver<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// Sends a signal and waits for the process to exit; returns whether it exited cleanly and
    /// what it printed after the banner.
    fn signal(&mut self, signal: &str) -> (bool, Vec<String>) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        let exit = loop {
            if let Some(exit) = self.child.try_wait().unwrap() {
                break exit;
            }
            assert!(Instant::now() < deadline, "still running after {signal}");
            std::thread::sleep(Duration::from_millis(20));
        };
        let rest = self.lines.try_iter().collect();
        (exit.success(), rest)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the binary and reads its banner (up to the `try:` line).
fn start(args: &[&str]) -> Running {
    let port = free_port().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_agent-sim"))
        .args(["--port", &port])
        .args(args)
        .env_remove("AGENT_SIM_TOKEN")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut banner = Vec::new();
    loop {
        let line = lines.recv_timeout(Duration::from_secs(30)).unwrap();
        let done = line.starts_with("try:");
        banner.push(line);
        if done {
            break;
        }
    }
    assert_eq!(
        banner[0],
        format!("agent-sim listening on http://127.0.0.1:{port}")
    );
    Running {
        child,
        base: format!("http://127.0.0.1:{port}"),
        banner,
        lines,
    }
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

/// The seed page's text.
fn seed(name: &str) -> String {
    std::fs::read_to_string(common::root().join("openapi/seeds").join(name)).unwrap()
}

/// The seed's cURL example: its method, URL (on `base` instead of the platform), headers and
/// body, verbatim.
fn curl_example(page: &str, base: &str) -> (String, String, Vec<(String, String)>, Option<String>) {
    let text = seed(page);
    let curl = &text[text.find("curl -X ").unwrap()..];
    let curl = &curl[..curl.find("\nGo\n").unwrap()];
    let method = curl["curl -X ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    let url = curl.split('"').nth(1).unwrap();
    let url = url.replace("https://ai.api.longlonglong.cn", base);
    let headers = curl
        .split("-H \"")
        .skip(1)
        .map(|h| {
            let h = &h[..h.find('"').unwrap()];
            let (name, value) = h.split_once(": ").unwrap();
            (name.to_string(), value.replace("YOUR_TOKEN", "sim-token"))
        })
        .collect();
    let body = curl
        .find("-d '")
        .map(|at| curl[at + 4..curl.rfind('\'').unwrap()].to_string());
    (method, url, headers, body)
}

async fn curl(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    agent_api::ensure_crypto_provider();
    let mut request = reqwest::Client::new().request(method.parse().unwrap(), url);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    if let Some(body) = body {
        request = request.body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.json().await.unwrap())
}

#[tokio::test]
async fn the_seeds_curl_examples_get_the_seeds_answers() {
    let sim = start(&["--size", "40"]);
    let spec = common::spec();
    assert_eq!(sim.banner[1], "token: sim-token");
    for id in [
        agent_sim::DEMO_USER_ID,
        agent_sim::DEMO_TASK_ID,
        agent_sim::SUB_USER_ID,
        agent_sim::SUB_TASK_ID,
        agent_sim::RESET_USER_ID,
        agent_sim::RESET_TASK_ID,
    ] {
        assert!(sim.banner.iter().any(|l| l.contains(id)), "{id} not shown");
    }

    // The list seed's request, verbatim: `encryption=false` is what Laravel's boolean rule
    // refuses, and so does the simulator — with Laravel's 422, which the spec declares.
    let (method, url, headers, body) = curl_example("number-list.txt", &sim.base);
    assert_eq!(method, "GET");
    assert!(
        url.ends_with("?page=1&per_page=15&encryption=false"),
        "{url}"
    );
    assert!(headers.contains(&("Authorization".into(), "Bearer sim-token".into())));
    let (status, _, answer) = curl(&method, &url, &headers, body.as_deref()).await;
    assert_eq!(status, 422);
    assert_eq!(
        answer["errors"]["encryption"][0],
        "The encryption field must be true or false."
    );
    common::assert_conforms(
        &spec,
        common::LIST,
        "get",
        status,
        answer.to_string().as_bytes(),
    );

    // The same with `encryption=0` (what the client sends): the seed's answer, shape for shape.
    let url = url.replace("encryption=false", "encryption=0");
    let (status, _, answer) = curl(&method, &url, &headers, None).await;
    assert_eq!(status, 200);
    let seed = common::fixture("number-list.response.json");
    let seed_record = shape(&seed["data"][0]);
    let records = answer["data"].as_array().unwrap();
    assert_eq!(records.len(), 15);
    assert!(
        records.iter().any(|r| r["status"] == 1),
        "a connected number, like the seed's"
    );
    for record in records {
        // The same fields; where both have a value, of the same type (the seed's record has
        // every call field of a dialled number; a number never dialled has nulls).
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
    let connected = records.iter().find(|r| r["status"] == 1).unwrap();
    assert_eq!(
        shape(connected)
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| !["is_blacklist", "extra", "customer_id"].contains(&k.as_str()))
            .collect::<Vec<_>>(),
        seed_record
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| !["is_blacklist", "extra", "customer_id"].contains(&k.as_str()))
            .collect::<Vec<_>>(),
        "a connected number has every call field, as the seed's"
    );
    assert_eq!(
        (&answer["code"], &answer["status"], &answer["message"]),
        (&seed["code"], &seed["status"], &seed["message"])
    );
    assert_eq!(shape(&answer["meta"]), shape(&seed["meta"]));
    assert_eq!(
        answer["meta"],
        serde_json::json!({"has_pages": true, "total": 40, "last_page": 3, "current_page": 1, "per_page": 15})
    );

    // The reset seed: its method, URL, headers and body verbatim; the answer is the seed's.
    let (method, url, headers, body) = curl_example("number-batch-reset.txt", &sim.base);
    assert_eq!(method, "PUT");
    let body = body.unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        common::fixture("number-batch-reset.request.json")
    );
    let (status, headers_back, answer) = curl(&method, &url, &headers, Some(&body)).await;
    assert_eq!(status, 200);
    assert_eq!(headers_back["content-type"], "application/json");
    assert_eq!(answer, common::fixture("number-batch-reset.response.json"));
}

#[tokio::test]
async fn flags_set_the_token_and_the_anchor_and_sigterm_stops_it_cleanly() {
    let mut sim = start(&[
        "--size",
        "300",
        "--token",
        "another-token",
        "--anchor",
        "2025-12-03 12:00:00",
    ]);
    assert_eq!(sim.banner[1], "token: another-token");
    let url = format!(
        "{}/agent-api/user/{}/task/{}/number",
        sim.base,
        agent_sim::DEMO_USER_ID,
        agent_sim::DEMO_TASK_ID
    );
    let header = |token: &str| vec![("Authorization".to_string(), format!("Bearer {token}"))];
    let (status, _, answer) =
        curl("GET", &format!("{url}?page=1"), &header("sim-token"), None).await;
    assert_eq!(
        (status, answer),
        (401, serde_json::json!({"message": "Unauthenticated."}))
    );
    // The documentation's own date forms find the numbers created on the anchor's day.
    let (status, _, answer) = curl(
        "GET",
        &format!("{url}?page=1&start_at=2025/12/3%200:00&end_at=2025/12/3%2023:59"),
        &header("another-token"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let total = answer["meta"]["total"].as_u64().unwrap();
    assert!(total > 0, "{answer}");
    for record in answer["data"].as_array().unwrap() {
        assert!(
            record["created_at"]
                .as_str()
                .unwrap()
                .starts_with("2025-12-03 "),
            "{record}"
        );
    }
    let (clean, rest) = sim.signal("TERM");
    assert!(clean, "exit status after SIGTERM");
    assert!(rest.iter().any(|l| l == "agent-sim: stopping"), "{rest:?}");
}

#[test]
fn ctrl_c_stops_it_cleanly() {
    let mut sim = start(&["--size", "10"]);
    let (clean, rest) = sim.signal("INT");
    assert!(clean);
    assert!(rest.iter().any(|l| l == "agent-sim: stopping"), "{rest:?}");
}

#[tokio::test]
async fn fault_flags_apply_to_the_api() {
    let sim = start(&[
        "--size",
        "10",
        "--rate-limit-rate",
        "1.0",
        "--retry-after",
        "7",
    ]);
    let url = format!(
        "{}/agent-api/user/{}/task/{}/number?page=1",
        sim.base,
        agent_sim::DEMO_USER_ID,
        agent_sim::DEMO_TASK_ID
    );
    let auth = vec![("Authorization".to_string(), "Bearer sim-token".to_string())];
    let (status, headers, answer) = curl("GET", &url, &auth, None).await;
    assert_eq!(status, 429);
    assert_eq!(headers["retry-after"], "7");
    assert_eq!(answer["message"], "Too Many Attempts.");
    // Only the API routes: another route is Laravel's 404.
    let (status, _, _) = curl("GET", &format!("{}/nope", sim.base), &auth, None).await;
    assert_eq!(status, 404);

    let sim = start(&["--size", "10", "--latency-ms", "200"]);
    let url = url.replace(&url[..url.find("/agent-api").unwrap()], &sim.base);
    let started = Instant::now();
    let (status, _, _) = curl("GET", &url, &auth, None).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(200));
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
        "--token",
        "--anchor",
        "--latency-ms",
        "--latency-max-ms",
        "--error-rate",
        "--rate-limit-rate",
        "--retry-after",
        "--html-rate",
        "--truncate-rate",
        "--soft-error-rate",
        "--fault-seed",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
    for (args, complaint) in [
        (
            vec!["--error-rate", "1.5"],
            "--error-rate must be between 0.0 and 1.0",
        ),
        (
            vec!["--latency-ms", "50", "--latency-max-ms", "10"],
            "--latency-max-ms (10) is below --latency-ms (50)",
        ),
        (
            vec!["--anchor", "yesterday"],
            "expected YYYY-MM-DD HH:MM:SS",
        ),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_agent-sim"))
            .args(["--port", &free_port().to_string()])
            .args(&args)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains(complaint), "{args:?}: {stderr}");
    }
}
