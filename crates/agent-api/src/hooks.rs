//! Hooks that the generated client calls around every request (progenitor's `ClientHooks`).
//!
//! - At most [`ClientOptions::max_in_flight`](crate::ClientOptions::max_in_flight) requests wait
//!   for the platform at once, across every clone and every operation of a client; the permit
//!   is held from sending the request until the answer's headers arrive, so reading and decoding
//!   bodies does not hold the platform's slots.
//! - Every exchange is a `tracing` debug event: operation, method, path, status, time. Never the
//!   query, the body or the headers, so neither the token nor phone numbers reach the logs.
//! - An error answer whose body is not the documented JSON (an HTML page from a proxy, plain
//!   text) would otherwise surface as a decoding error that forgot the HTTP status. Such a body is
//!   replaced by an [`ApiError`](crate::types::ApiError) whose `message` quotes the start of the
//!   original, so callers see `Error::ErrorResponse` with the real status and headers
//!   (`Retry-After` included).

use std::sync::Arc;
use std::time::Instant;

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use tokio::sync::Semaphore;

use crate::Client;
use crate::types::ApiError;

/// How much of a non-JSON error body is quoted.
const SNIPPET_CHARS: usize = 200;

/// What the generated client carries for its hooks (progenitor's inner type).
#[derive(Debug, Clone, Default)]
pub struct ClientState {
    limiter: Option<Arc<Semaphore>>,
    limit: Option<usize>,
}

impl ClientState {
    /// No limit on requests in flight.
    pub fn unlimited() -> Self {
        Self::default()
    }

    /// At most `max_in_flight` requests wait for the platform at once (at least 1).
    pub fn limited(max_in_flight: usize) -> Self {
        let limit = max_in_flight.max(1);
        Self {
            limiter: Some(Arc::new(Semaphore::new(limit))),
            limit: Some(limit),
        }
    }

    /// The limit, if any.
    pub fn max_in_flight(&self) -> Option<usize> {
        self.limit
    }
}

impl ClientHooks<ClientState> for Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let method = request.method().clone();
        let path = request.url().path().to_string();
        let permit = match &self.inner().limiter {
            Some(limiter) => limiter.clone().acquire_owned().await.ok(),
            None => None,
        };
        let started = Instant::now();
        let result = self.client().execute(request).await;
        drop(permit);
        let elapsed_ms = started.elapsed().as_millis();
        match result {
            Err(err) => {
                tracing::debug!(operation = info.operation_id, %method, %path, elapsed_ms, error = %err, "agent-api request failed");
                Err(err)
            }
            Ok(response) => {
                let status = response.status();
                tracing::debug!(operation = info.operation_id, %method, %path, elapsed_ms, status = status.as_u16(), "agent-api response");
                if status.is_success() {
                    Ok(response)
                } else {
                    normalize_error_body(response).await
                }
            }
        }
    }
}

/// The `status` of an `ApiError` made by this crate from an error answer whose body was not the
/// API's JSON: its `message` quotes that body (for logs), and is not the platform's own words.
pub const UNREADABLE_BODY: &str = "agent-api:unreadable-body";

/// Keeps an error answer as it is when its body is the documented JSON; otherwise replaces the
/// body by an `ApiError` that quotes it (and says so with [`UNREADABLE_BODY`]).
async fn normalize_error_body(response: reqwest::Response) -> reqwest::Result<reqwest::Response> {
    let status = response.status();
    let version = response.version();
    let mut headers = response.headers().clone();
    let body = response.bytes().await?;
    let body = if serde_json::from_slice::<ApiError>(&body).is_ok() {
        body
    } else {
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("no content type")
            .to_string();
        let replacement = ApiError {
            code: None,
            data: Vec::new(),
            errors: Default::default(),
            message: format!(
                "HTTP {status} with a body that is not the API's JSON ({content_type}): {}",
                snippet(&body)
            ),
            status: Some(UNREADABLE_BODY.to_string()),
        };
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.remove(CONTENT_LENGTH);
        // An ApiError always serializes.
        serde_json::to_vec(&replacement).unwrap_or_default().into()
    };
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    Ok(reqwest::Response::from(rebuilt))
}

/// The start of a body as readable text: markup tags dropped, whitespace collapsed.
pub fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::new();
    let mut in_tag = false;
    let mut last_space = true;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
            }
            _ if in_tag => {}
            c if c.is_whitespace() => {
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
            }
            c => {
                out.push(c);
                last_space = false;
            }
        }
        if out.chars().count() >= SNIPPET_CHARS {
            out.push('…');
            break;
        }
    }
    let out = out.trim().to_string();
    if out.is_empty() {
        "(empty body)".to_string()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::snippet;

    #[test]
    fn snippets_are_short_readable_text() {
        assert_eq!(
            snippet(
                b"<html><head><title>502 Bad Gateway</title></head>\n<body>nginx</body></html>"
            ),
            "502 Bad Gateway nginx"
        );
        assert_eq!(snippet(b""), "(empty body)");
        let long = "x".repeat(1000);
        assert_eq!(snippet(long.as_bytes()).chars().count(), 201);
    }
}
