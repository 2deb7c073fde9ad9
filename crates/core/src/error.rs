//! The typed errors of the client facade, mapped from what the generated client reports.

use std::collections::BTreeMap;
use std::time::Duration;

use agent_api::types::ApiError;

use crate::filter::FilterError;

/// What went wrong talking to the platform.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request could not be sent or its answer not received (connection refused, reset,
    /// DNS...). `connect` says whether it failed before reaching the server.
    #[error("cannot reach the platform: {message}")]
    Transport {
        /// What the HTTP stack said.
        message: String,
        /// The failure happened while connecting: the request surely did not reach the server.
        connect: bool,
    },
    /// No answer in time.
    #[error("the platform did not answer within {}s", after.as_secs_f32())]
    Timeout {
        /// The time allowed.
        after: Duration,
    },
    /// An HTTP error status, with the message of the body.
    #[error("the platform answered HTTP {status}: {message}")]
    Http {
        /// The HTTP status.
        status: u16,
        /// The body's message (or a quote of a body that is not the API's JSON).
        message: String,
        /// The `Retry-After` delay, when the answer gave one.
        retry_after: Option<Duration>,
        /// `message` quotes a body that is not the API's JSON (an HTML error page, a proxy's
        /// text): for logs only, never the platform's own words.
        quoted: bool,
    },
    /// Laravel refused the request's parameters, field by field (HTTP 422 with `errors`).
    #[error("the platform refused the request: {message}{}", fields_text(.fields))]
    Validation {
        /// The body's message.
        message: String,
        /// Field → messages.
        fields: BTreeMap<String, Vec<String>>,
    },
    /// HTTP 2xx, but the envelope says failure (`code != 200` or `status: error`), e.g. code
    /// 6007: a 2.0 task must be paused before its numbers are reset.
    #[error("the platform refused the request (code {code}): {message}")]
    Envelope {
        /// The envelope's code.
        code: i64,
        /// The envelope's message.
        message: String,
    },
    /// The answer could not be decoded; `snippet` quotes its start.
    #[error("the platform's answer could not be read ({detail}): {snippet}")]
    Decode {
        /// Why decoding failed.
        detail: String,
        /// The start of the body.
        snippet: String,
    },
    /// The request was not sent: a parameter is invalid.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The filter is refused (e.g. an unfiltered reset).
    #[error(transparent)]
    Filter(#[from] FilterError),
}

fn fields_text(fields: &BTreeMap<String, Vec<String>>) -> String {
    if fields.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = fields
        .iter()
        .map(|(field, messages)| format!("{field}: {}", messages.join(" ")))
        .collect();
    format!(" ({})", parts.join("; "))
}

/// What kind of failure an [`Error`] is, for people (see [`Error::category`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// The platform refused our token (401/403).
    Unauthorized,
    /// The task (or account) is not there (404).
    NotFound,
    /// Too many requests (429).
    RateLimited,
    /// The platform failed (5xx).
    Unavailable,
    /// The platform refused the request (another 4xx, a validation error, an envelope's code).
    Refused,
    /// The platform could not be reached.
    Unreachable,
    /// The platform did not answer in time.
    Timeout,
    /// The platform's answer could not be read.
    Unreadable,
    /// The request was not sent: it was invalid.
    Invalid,
}

/// How safe it is to try a failed request again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Not worth it: the answer will be the same.
    Never,
    /// The request surely did not reach the server (the connection was never established):
    /// safe even for a reset.
    NotSent,
    /// A transient failure of a request the server may have seen: a timeout, a cut connection,
    /// 5xx, 408, or 429 (refused before any work, as rate limiters do, but it did reach the
    /// server). Retried for reads; for a reset only when configured.
    Transient,
}

impl Error {
    /// How safe a retry is.
    pub fn retry(&self) -> Retry {
        match self {
            Self::Transport { connect: true, .. } => Retry::NotSent,
            Self::Transport { .. } | Self::Timeout { .. } => Retry::Transient,
            Self::Http { status, .. }
                if (500..600).contains(status) || matches!(*status, 408 | 429) =>
            {
                Retry::Transient
            }
            _ => Retry::Never,
        }
    }

    /// The delay the server asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// What kind of failure this is, in a word a chat can show; the details (bodies, URLs,
    /// the HTTP stack's words) are for logs only.
    pub fn category(&self) -> Category {
        match self {
            Self::Http {
                status: 401 | 403, ..
            } => Category::Unauthorized,
            Self::Http { status: 404, .. } => Category::NotFound,
            Self::Http { status: 429, .. } => Category::RateLimited,
            Self::Http { status, .. } if *status >= 500 => Category::Unavailable,
            Self::Http { .. } | Self::Validation { .. } | Self::Envelope { .. } => {
                Category::Refused
            }
            Self::Transport { .. } => Category::Unreachable,
            Self::Timeout { .. } => Category::Timeout,
            Self::Decode { .. } => Category::Unreadable,
            Self::InvalidRequest(_) | Self::Filter(_) => Category::Invalid,
        }
    }

    /// The platform's own message, when its answer was the API's JSON (an envelope's
    /// `message`, Laravel's validation messages): words meant for a user, though they may
    /// still name a phone (mask them). `None` for bodies that are not the API's JSON, decode
    /// failures and transport errors, whose text is for logs only.
    pub fn platform_message(&self) -> Option<String> {
        match self {
            Self::Envelope { message, .. }
            | Self::Http {
                message,
                quoted: false,
                ..
            } => Some(message.clone()).filter(|m| !m.trim().is_empty()),
            Self::Validation { message, fields } => {
                Some(format!("{message}{}", fields_text(fields)))
            }
            _ => None,
        }
    }

    /// Maps an error of the generated client.
    pub(crate) async fn from_api(err: agent_api::Error<ApiError>, timeout: Duration) -> Self {
        use agent_api::Error as E;
        match err {
            E::InvalidRequest(message) => Self::InvalidRequest(message),
            E::CommunicationError(e) | E::ResponseBodyError(e) | E::InvalidUpgrade(e) => {
                Self::from_reqwest(&e, timeout)
            }
            E::ErrorResponse(response) => {
                let status = response.status().as_u16();
                let retry_after = retry_after(response.headers());
                let body = response.into_inner();
                if status == 422 && !body.errors.is_empty() {
                    Self::Validation {
                        message: body.message,
                        fields: body.errors.into_iter().collect(),
                    }
                } else {
                    Self::Http {
                        status,
                        quoted: body.status.as_deref() == Some(agent_api::UNREADABLE_BODY),
                        message: body.message,
                        retry_after,
                    }
                }
            }
            E::InvalidResponsePayload(bytes, err) => Self::Decode {
                detail: err.to_string(),
                snippet: agent_api::snippet(&bytes),
            },
            E::UnexpectedResponse(response) => {
                let status = response.status().as_u16();
                let retry_after = retry_after(response.headers());
                let message = match response.bytes().await {
                    Ok(bytes) => agent_api::snippet(&bytes),
                    Err(e) => e.to_string(),
                };
                Self::Http {
                    status,
                    message,
                    retry_after,
                    quoted: true,
                }
            }
            E::Custom(message) => Self::Transport {
                message,
                connect: false,
            },
        }
    }

    fn from_reqwest(err: &reqwest::Error, timeout: Duration) -> Self {
        if err.is_timeout() && !err.is_connect() {
            return Self::Timeout { after: timeout };
        }
        // The chain of causes says what really happened ("connection refused").
        let mut message = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            message = format!("{message}: {cause}");
            source = cause.source();
        }
        Self::Transport {
            message,
            connect: err.is_connect(),
        }
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not used by Laravel).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_for_humans() {
        let err = Error::Validation {
            message: "The given data was invalid.".into(),
            fields: [(
                "status.0".to_string(),
                vec!["The selected status.0 is invalid.".to_string()],
            )]
            .into_iter()
            .collect(),
        };
        assert_eq!(
            err.to_string(),
            "the platform refused the request: The given data was invalid. (status.0: The selected status.0 is invalid.)"
        );
        let err = Error::Timeout {
            after: Duration::from_millis(1500),
        };
        assert_eq!(err.to_string(), "the platform did not answer within 1.5s");
    }

    #[tokio::test]
    async fn laravel_validation_errors_are_mapped_field_by_field() {
        let body: ApiError = serde_json::from_str(
            r#"{"message":"The given data was invalid.","errors":{"status.0":["The selected status.0 is invalid."],"page":["The page must be at least 1."]}}"#,
        )
        .unwrap();
        let response = agent_api::ResponseValue::new(
            body,
            reqwest::StatusCode::UNPROCESSABLE_ENTITY,
            reqwest::header::HeaderMap::new(),
        );
        let err = Error::from_api(
            agent_api::Error::ErrorResponse(response),
            Duration::from_secs(1),
        )
        .await;
        let Error::Validation { message, fields } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(message, "The given data was invalid.");
        assert_eq!(fields.len(), 2);
        assert_eq!(fields["page"], ["The page must be at least 1."]);
        assert_eq!(err.retry(), Retry::Never);

        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, "12".parse().unwrap());
        let limited = agent_api::ResponseValue::new(
            serde_json::from_str::<ApiError>(r#"{"message":"Too Many Attempts."}"#).unwrap(),
            reqwest::StatusCode::TOO_MANY_REQUESTS,
            headers,
        );
        let err = Error::from_api(
            agent_api::Error::ErrorResponse(limited),
            Duration::from_secs(1),
        )
        .await;
        assert_eq!(err.retry_after(), Some(Duration::from_secs(12)));
        let err = Error::from_api(
            agent_api::Error::InvalidRequest("page was not initialized".into()),
            Duration::from_secs(1),
        )
        .await;
        assert_eq!(err.to_string(), "invalid request: page was not initialized");
    }

    #[test]
    fn retry_classes() {
        let http = |status| Error::Http {
            status,
            message: String::new(),
            retry_after: None,
            quoted: false,
        };
        assert_eq!(http(429).retry(), Retry::Transient);
        assert_eq!(http(503).retry(), Retry::Transient);
        assert_eq!(http(404).retry(), Retry::Never);
        assert_eq!(
            Error::Envelope {
                code: 6007,
                message: String::new()
            }
            .retry(),
            Retry::Never
        );
        assert_eq!(
            Error::Transport {
                message: String::new(),
                connect: true
            }
            .retry(),
            Retry::NotSent
        );
    }
}
