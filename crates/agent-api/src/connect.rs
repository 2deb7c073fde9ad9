//! Building a [`Client`] from a base URL and a bearer token.

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::{Client, ClientState};

/// The user agent sent unless [`ClientOptions::user_agent`] says otherwise.
pub const DEFAULT_USER_AGENT: &str = concat!("agent-ops/", env!("CARGO_PKG_VERSION"));

/// Settings of the underlying HTTP client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Time allowed for a whole request, from connect to the last byte of the body.
    pub timeout: Duration,
    /// Time allowed to open the connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// At most this many requests wait for the platform at once (`None`: no limit). Being
    /// polite: the platform documents no rate limits.
    pub max_in_flight: Option<usize>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(5),
            user_agent: DEFAULT_USER_AGENT.to_string(),
            max_in_flight: Some(8),
        }
    }
}

/// Why a client could not be built. Never carries the token.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The base URL is not an absolute `http`/`https` URL.
    #[error("invalid base URL `{url}`: {reason}")]
    InvalidBaseUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The token is empty or holds characters an HTTP header cannot carry.
    #[error("invalid API token: {0}")]
    InvalidToken(&'static str),
    /// The user agent holds characters an HTTP header cannot carry.
    #[error("invalid user agent: {0}")]
    InvalidUserAgent(String),
    /// reqwest could not build the client (TLS setup).
    #[error("cannot build the HTTP client: {0}")]
    Http(#[source] reqwest::Error),
}

/// Builds a client for `base_url` (e.g. `https://ai.api.longlonglong.cn`, or any host that resells
/// the API, over http or https) that sends `Authorization: Bearer <token>` on every request.
///
/// TLS is rustls with the ring provider. The token is a sensitive header value, so neither the
/// client's `Debug` output nor reqwest's logs show it.
///
/// Against the simulator (`agent-sim`), as the examples do:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use agent_api::{ClientOptions, connect, types::CallStatus};
///
/// let sim = agent_sim::start(agent_sim::SimConfig { size: 40, ..Default::default() }).await?;
/// let client = connect(sim.base_url(), sim.token().to_string().into(), &ClientOptions::default())?;
/// let page = client
///     .list_numbers()
///     .user_id(agent_sim::DEMO_USER_ID)
///     .task_id(agent_sim::DEMO_TASK_ID)
///     .page(1u32)
///     .status(vec![CallStatus::try_from(8)?])
///     .send()
///     .await?
///     .into_inner();
/// assert_eq!(page.code, 200); // the envelope: check it, a failure may come with HTTP 200
/// assert!(page.data.iter().all(|n| *n.status == 8));
/// # Ok(()) }
/// ```
///
/// A token an HTTP header cannot carry is refused before anything is sent:
///
/// ```
/// use agent_api::{ClientOptions, ConnectError, connect};
/// let refused = connect("https://ai.api.longlonglong.cn", "".to_string().into(), &ClientOptions::default());
/// assert!(matches!(refused, Err(ConnectError::InvalidToken(_))));
/// ```
pub fn connect(
    base_url: &str,
    token: SecretString,
    options: &ClientOptions,
) -> Result<Client, ConnectError> {
    let base = normalize_base_url(base_url)?;
    let token = token.expose_secret().trim();
    if token.is_empty() {
        return Err(ConnectError::InvalidToken("it is empty"));
    }
    let mut auth = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| ConnectError::InvalidToken("it holds characters a header cannot carry"))?;
    auth.set_sensitive(true);
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, auth);

    ensure_crypto_provider();

    let http = reqwest::Client::builder()
        .default_headers(headers)
        .timeout(options.timeout)
        .connect_timeout(options.connect_timeout)
        .user_agent(
            HeaderValue::from_str(&options.user_agent)
                .map_err(|_| ConnectError::InvalidUserAgent(options.user_agent.clone()))?,
        )
        .build()
        .map_err(ConnectError::Http)?;
    let state = match options.max_in_flight {
        Some(limit) => ClientState::limited(limit),
        None => ClientState::unlimited(),
    };
    Ok(Client::new_with_client(&base, http, state))
}

/// Installs rustls's ring provider as the process default, unless one is installed already.
///
/// reqwest 0.13 is built here without a default crypto provider (so that the whole workspace
/// shares rustls with ring instead of also building aws-lc), and then panics when a client is
/// built before a provider is installed. [`connect`] calls this; call it yourself before building
/// another `reqwest::Client` (tests do).
pub fn ensure_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Checks a base URL (absolute, http or https, no query) and drops trailing slashes (generated
/// paths start with `/`).
///
/// ```
/// use agent_api::normalize_base_url;
/// assert_eq!(normalize_base_url("https://ai.api.longlonglong.cn/")?, "https://ai.api.longlonglong.cn");
/// assert_eq!(normalize_base_url("http://10.0.0.5:8080/api//")?, "http://10.0.0.5:8080/api");
/// assert!(normalize_base_url("ftp://example.com").is_err());
/// assert!(normalize_base_url("ai.api.longlonglong.cn").is_err());
/// # Ok::<(), agent_api::ConnectError>(())
/// ```
pub fn normalize_base_url(url: &str) -> Result<String, ConnectError> {
    let invalid = |reason: &str| ConnectError::InvalidBaseUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let parsed = reqwest::Url::parse(url.trim()).map_err(|err| invalid(&err.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it has no host"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid("it must not carry a query or a fragment"));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ClientInfo;

    #[test]
    fn base_urls_are_checked_and_normalized() {
        assert_eq!(
            normalize_base_url("https://ai.api.longlonglong.cn/").unwrap(),
            "https://ai.api.longlonglong.cn"
        );
        assert_eq!(
            normalize_base_url("http://10.0.0.7:19999/prefix/").unwrap(),
            "http://10.0.0.7:19999/prefix"
        );
        for bad in [
            "",
            "ai.api.longlonglong.cn",
            "ftp://x",
            "https://x/?a=1",
            "http://",
        ] {
            let err = normalize_base_url(bad).unwrap_err();
            assert!(err.to_string().contains("invalid base URL"), "{bad}: {err}");
        }
    }

    #[test]
    fn tokens_are_checked_and_never_printed() {
        let options = ClientOptions::default();
        let err = connect("http://127.0.0.1:1", "  ".into(), &options).unwrap_err();
        assert_eq!(err.to_string(), "invalid API token: it is empty");
        let err = connect("http://127.0.0.1:1", "se\ncret".into(), &options).unwrap_err();
        assert!(!format!("{err} {err:?}").contains("se\ncret"));

        let client = connect("http://127.0.0.1:1/", "s3cr3t-token".into(), &options).unwrap();
        assert_eq!(client.baseurl(), "http://127.0.0.1:1");
        let debug = format!("{client:?}");
        assert!(!debug.contains("s3cr3t-token"), "{debug}");
    }
}
