//! Shared by the agent-api tests: a loopback HTTP server that records requests, and the seeds'
//! JSON examples.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The token the tests give the client.
pub const TOKEN: &str = "test-token-do-not-print";

/// One request as it reached the server.
#[derive(Debug, Clone)]
pub struct Captured {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Captured {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A stable, readable rendering for snapshots: the token and the port are redacted.
    pub fn render(&self) -> String {
        let mut out = format!("{} {}\n", self.method, self.target);
        let mut headers = self.headers.clone();
        headers.sort();
        for (name, value) in headers {
            let value = match name.as_str() {
                "authorization" => value.replace(TOKEN, "[token]"),
                "host" => "[loopback]".to_string(),
                _ => value,
            };
            out.push_str(&format!("{name}: {value}\n"));
        }
        if !self.body.is_empty() {
            out.push('\n');
            out.push_str(&self.body);
            out.push('\n');
        }
        out
    }
}

/// A loopback server that answers every request with one canned response and records it.
pub struct Recorder {
    pub base_url: String,
    requests: Arc<Mutex<Vec<Captured>>>,
}

impl Recorder {
    pub async fn start(status: u16, content_type: &str, body: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let response = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nretry-after: 7\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let captured = loop {
                    let n = socket.read(&mut chunk).await.unwrap();
                    if n == 0 {
                        break None;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(captured) = parse(&buf) {
                        break Some(captured);
                    }
                };
                if let Some(captured) = captured {
                    seen.lock().unwrap().push(captured);
                }
                socket.write_all(response.as_bytes()).await.unwrap();
                socket.shutdown().await.ok();
            }
        });
        Self { base_url, requests }
    }

    pub fn requests(&self) -> Vec<Captured> {
        self.requests.lock().unwrap().clone()
    }

    pub fn only_request(&self) -> Captured {
        let requests = self.requests();
        assert_eq!(requests.len(), 1, "{requests:#?}");
        requests[0].clone()
    }
}

/// Parses a complete request from `buf`, or returns None while more bytes are needed.
fn parse(buf: &[u8]) -> Option<Captured> {
    let text = std::str::from_utf8(buf).ok()?;
    let (head, rest) = text.split_once("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_string();
    let target = request_line.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    if rest.len() < length {
        return None;
    }
    Some(Captured {
        method,
        target,
        headers,
        body: rest[..length].to_string(),
    })
}

/// A client of the recorder, with the test token.
pub fn client(base_url: &str) -> agent_api::Client {
    agent_api::connect(base_url, TOKEN.into(), &agent_api::ClientOptions::default()).unwrap()
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The text of a seed page (the vendor's docs, kept in `openapi/seeds/`).
pub fn seed(name: &str) -> String {
    std::fs::read_to_string(workspace_root().join("openapi/seeds").join(name)).unwrap()
}

/// A fixture file of this crate's tests.
pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

/// The JSON examples of a seed page, in order, with their `// comments` stripped: each block
/// follows a line `json` and runs until its braces balance.
pub fn seed_json_examples(seed_text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut lines = seed_text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() != "json" {
            continue;
        }
        while lines.peek().is_some_and(|l| l.trim().is_empty()) {
            lines.next();
        }
        let mut block = Vec::new();
        let mut depth = 0i32;
        for line in lines.by_ref() {
            let stripped = strip_comment(line);
            depth += brace_balance(&stripped);
            block.push(stripped.trim_end().to_string());
            if depth == 0 {
                break;
            }
        }
        blocks.push(block.join("\n") + "\n");
    }
    blocks
}

/// The characters of `line` outside JSON strings (quotes included in the string), each with
/// its index among the line's characters.
fn outside_strings(line: &str) -> Vec<(usize, char)> {
    let mut in_string = false;
    let mut escaped = false;
    let mut outside = Vec::new();
    for (i, c) in line.chars().enumerate() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else {
            outside.push((i, c));
        }
    }
    outside
}

/// Removes a `//` comment that is outside a JSON string.
fn strip_comment(line: &str) -> String {
    let outside = outside_strings(line);
    match outside
        .windows(2)
        .find(|w| w[0].1 == '/' && w[1] == (w[0].0 + 1, '/'))
    {
        Some(w) => line.chars().take(w[0].0).collect(),
        None => line.to_string(),
    }
}

fn brace_balance(line: &str) -> i32 {
    outside_strings(line)
        .iter()
        .map(|(_, c)| match c {
            '{' | '[' => 1,
            '}' | ']' => -1,
            _ => 0,
        })
        .sum()
}
