//! HTTP mode: Discord posts interactions to an axum route. Each request is checked (Ed25519
//! signature with serenity's verifier, and a timestamp no further than `max_request_age` from
//! now, which the verifier leaves to us) and answered in the response body; deferred work edits
//! the original response through the REST API later.
//!
//! Each interaction id is recorded in the engine's state store (set if absent, atomic) for as
//! long as the same signed request could still pass the timestamp check ([`seen_for`]): a signed
//! request sent again with the same id — a replay within the timestamp's window — is refused
//! with 401, on every replica sharing the store. Pending confirmations and
//! page states are in the same store, so with Redis any replica answers any request.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio_util::task::TaskTracker;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serenity::builder::CreateInteractionResponse;
use serenity::http::Http;
use serenity::interactions_endpoint::{InvalidKey, Verifier};
use serenity::model::application::Interaction;

use agent_chatops::Namespace;

use crate::bot::Bot;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "X-Signature-Ed25519";
/// The timestamp header (Unix seconds).
pub const TIMESTAMP_HEADER: &str = "X-Signature-Timestamp";

/// How long an interaction id is remembered at least: longer than an interaction's 15-minute
/// token (and than the default timestamp window). [`seen_for`] lengthens it for wider windows.
pub const SEEN_FOR: Duration = Duration::from_secs(20 * 60);

/// What the clocks of the replicas, of the store (Redis expires keys by its own clock) and of
/// Discord may differ by, on top of the window.
const CLOCK_SLACK: Duration = Duration::from_secs(60);

/// Discord interaction ids already answered (a replay is refused): this transport's own
/// namespace of the state store.
pub const SEEN: Namespace = Namespace::unlisted("discord-seen");

/// The most interaction ids a store in memory or in a file keeps.
pub const SEEN_CAP: usize = 100_000;

/// How long an interaction id is remembered when a request's timestamp may be `max_age` from
/// now. A request is accepted while its timestamp is within ±`max_age` of the receiving clock,
/// so the same signed bytes pass the timestamp check from `timestamp − max_age` until
/// `timestamp + max_age`: up to `2 × max_age` after the first copy arrived. The id must be
/// remembered at least that long (plus [`CLOCK_SLACK`]), else a replay sent after the memory
/// ended but within the window would be answered (`max_request_age_secs = 3600` allows replays
/// for two hours, far beyond [`SEEN_FOR`]); and never less than [`SEEN_FOR`].
pub fn seen_for(max_age: Duration) -> Duration {
    SEEN_FOR.max(max_age.saturating_mul(2).saturating_add(CLOCK_SLACK))
}

/// Why a request was turned away (all answered with 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// A header is missing or not text.
    #[error("the signature headers are missing")]
    MissingHeaders,
    /// The timestamp is not a number of seconds.
    #[error("the timestamp is not a number")]
    BadTimestamp,
    /// The timestamp is too far from now (a replay, or a wrong clock).
    #[error("the timestamp is {0} s from now")]
    Stale(u64),
    /// The signature does not match.
    #[error("the signature does not match")]
    BadSignature,
    /// This interaction id was already answered (a replayed request).
    #[error("this interaction was already received")]
    Replayed,
}

/// Checks a request's headers and body: a fresh timestamp and Discord's signature over
/// `timestamp ‖ body`.
pub fn check_request(
    verifier: &Verifier,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
    max_age: Duration,
) -> Result<(), Rejection> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(signature), Some(timestamp)) = (header(SIGNATURE_HEADER), header(TIMESTAMP_HEADER))
    else {
        return Err(Rejection::MissingHeaders);
    };
    let sent: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| Rejection::BadTimestamp)?;
    let now = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let skew = now.abs_diff(sent);
    if skew > max_age.as_secs() {
        return Err(Rejection::Stale(skew));
    }
    verifier
        .verify(signature, timestamp, body)
        .map_err(|()| Rejection::BadSignature)
}

/// The HTTP endpoint: the bot, the verifier, the REST client for deferred edits.
pub struct Endpoint {
    bot: Bot,
    verifier: Verifier,
    http: Arc<Http>,
    max_age: Duration,
    /// How long interaction ids are remembered ([`seen_for`] of `max_age`).
    seen_for: Duration,
    /// Deferred jobs still running.
    jobs: TaskTracker,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("bot", &self.bot)
            .field("max_age", &self.max_age)
            .field("seen_for", &self.seen_for)
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    /// An endpoint for the app with `public_key`; deferred work edits through `http`.
    pub fn new(
        bot: Bot,
        public_key: PublicKey,
        http: Arc<Http>,
        max_age: Duration,
    ) -> Result<Self, InvalidKey> {
        Ok(Self {
            bot,
            verifier: Verifier::try_new(public_key.0)?,
            http,
            max_age,
            seen_for: seen_for(max_age),
            jobs: TaskTracker::new(),
        })
    }

    /// The routes: `POST {path}` for Discord, `GET /healthz` for a load balancer.
    pub fn router(self: Arc<Self>, path: &str) -> Router {
        Router::new()
            .route(path, post(interactions))
            .route("/healthz", get(|| async { "ok" }))
            .with_state(self)
    }

    /// Deferred jobs still running.
    pub fn in_flight(&self) -> usize {
        self.jobs.len()
    }

    /// Waits until no deferred job runs, at most `within`; returns how many are left.
    pub async fn drain(&self, within: Duration) -> usize {
        self.jobs.close();
        let _ = tokio::time::timeout(within, self.jobs.wait()).await;
        self.jobs.len()
    }

    async fn answer(&self, headers: &HeaderMap, body: &[u8]) -> Response {
        if let Err(rejection) = check_request(
            &self.verifier,
            headers,
            body,
            SystemTime::now(),
            self.max_age,
        ) {
            tracing::warn!(%rejection, "request refused");
            return (StatusCode::UNAUTHORIZED, rejection.to_string()).into_response();
        }
        let interaction: Interaction = match serde_json::from_slice(body) {
            Ok(interaction) => interaction,
            Err(err) => {
                tracing::warn!(%err, "a signed request that is not an interaction");
                return (StatusCode::BAD_REQUEST, "not an interaction").into_response();
            }
        };
        // Once per interaction id, across replicas: a replayed request is refused.
        let id = interaction.id().get().to_string();
        match self
            .bot
            .engine()
            .first_sight(SEEN, &id, self.seen_for)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(interaction = %id, "request refused: a replay");
                return (StatusCode::UNAUTHORIZED, Rejection::Replayed.to_string()).into_response();
            }
            Err(err) => {
                // Fail closed: without the record, a replay could not be told.
                tracing::error!(%err, "cannot record an interaction id: refused");
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
        }
        let response = self.bot.respond(&interaction).await;
        if let Some(pending) = response.pending {
            let http = self.http.clone();
            self.jobs.spawn(async move {
                // Let the deferral reach Discord before the edit.
                tokio::time::sleep(Duration::from_millis(50)).await;
                if let Err(err) = pending.finish(&http).await {
                    tracing::error!(%err, "cannot deliver a deferred answer");
                }
            });
        }
        let body = match &response.initial {
            // Exactly what Discord's endpoint check expects.
            CreateInteractionResponse::Pong => Ok(b"{\"type\":1}".to_vec()),
            other => serde_json::to_vec(other),
        };
        match body {
            Ok(body) => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response(),
            Err(err) => {
                tracing::error!(%err, "cannot encode an interaction response");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

async fn interactions(
    State(endpoint): State<Arc<Endpoint>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    endpoint.answer(&headers, &body).await
}

/// Serves the endpoint on `listener` until `shutdown` resolves, then lets deferred jobs finish
/// (at most 30 s).
pub async fn serve(
    listener: tokio::net::TcpListener,
    endpoint: Arc<Endpoint>,
    path: &str,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = endpoint.clone().router(path);
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await?;
    let left = endpoint.drain(Duration::from_secs(30)).await;
    if left > 0 {
        tracing::warn!(left, "stopped with deferred answers still running");
    }
    Ok(())
}

/// The application's Ed25519 public key, as Discord shows it (64 hex digits).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(pub [u8; 32]);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", hex(&self.0))
    }
}

impl PublicKey {
    /// Parses 64 hex digits into a key Discord's signatures can be checked with.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let bytes = parse_hex::<32>(text)
            .ok_or_else(|| format!("expected 64 hex digits, got {} characters", text.len()))?;
        serenity::interactions_endpoint::Verifier::try_new(bytes)
            .map_err(|e| e.to_string())
            .map(|_| Self(bytes))
    }
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// Parses exactly `N` bytes of hex.
pub fn parse_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The public key of serenity's own doc example; its signatures are not ours, so only the
    // checks before the signature are exercised here (the end-to-end tests sign for real).
    const KEY: &str = "67c6bd767ca099e79efac9fcce4d2022a63bf7dea780e7f3d813f694c1597089";

    fn headers(signature: &str, timestamp: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(SIGNATURE_HEADER, signature.parse().unwrap());
        headers.insert(TIMESTAMP_HEADER, timestamp.parse().unwrap());
        headers
    }

    #[test]
    fn ids_are_remembered_while_a_replay_could_pass_the_timestamp_check() {
        // The default window (5 min): a replay passes for at most 10 min; 20 min it is.
        assert_eq!(seen_for(Duration::from_secs(300)), SEEN_FOR);
        assert_eq!(SEEN_FOR, Duration::from_secs(1200));
        // The widest window (1 h): a replay passes for up to 2 h; remembered 2 h and a minute.
        assert_eq!(
            seen_for(Duration::from_secs(3600)),
            Duration::from_secs(2 * 3600 + 60)
        );
    }

    #[test]
    fn timestamps_are_checked_before_signatures() {
        let verifier = Verifier::new(KEY);
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let age = Duration::from_secs(300);
        let sig = "00".repeat(64);
        assert_eq!(
            check_request(&verifier, &HeaderMap::new(), b"{}", now, age),
            Err(Rejection::MissingHeaders)
        );
        assert_eq!(
            check_request(&verifier, &headers(&sig, "yesterday"), b"{}", now, age),
            Err(Rejection::BadTimestamp)
        );
        assert_eq!(
            check_request(&verifier, &headers(&sig, "1699999000"), b"{}", now, age),
            Err(Rejection::Stale(1000))
        );
        assert_eq!(
            check_request(&verifier, &headers(&sig, "1700000900"), b"{}", now, age),
            Err(Rejection::Stale(900))
        );
        assert_eq!(
            check_request(&verifier, &headers(&sig, "1699999900"), b"{}", now, age),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            check_request(&verifier, &headers("zz", "1700000000"), b"{}", now, age),
            Err(Rejection::BadSignature)
        );
    }
}
