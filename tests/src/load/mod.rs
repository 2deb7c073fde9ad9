//! The load test of the bots as replicas: signed Discord interactions and Telegram webhook
//! updates, many at once, against two replicas of each bot sharing one Redis, in front of the
//! simulator. Everything listens on loopback; the chat services are local fakes.
//!
//! Each request asks `/numbers` for its own page, so the one platform request it causes is
//! known by its `page` (the [`Platform`] times every request it serves). The bot's own time of
//! a request is its whole time (sent → answered, as the chat service sees it) less the
//! platform's time for that page.
//!
//! `cargo bench -p agent-ops-tests --bench load` runs it at full size (10,000 of each at 50 at
//! once); `tests/tests/load.rs` runs a small one in every test run.

mod discord;
mod platform;
mod telegram;

use std::fmt;
use std::time::Duration;

pub use discord::run as discord;
pub use platform::Platform;
pub use telegram::run as telegram;

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Requests sent (each asks for its own page: pages 1..=count).
    pub count: usize,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// The Redis both replicas share (`redis://127.0.0.1:<port>/0`).
    pub redis_url: String,
    /// The longest the run may take; past it the run stops and counts what is missing as lost.
    pub deadline: Duration,
    /// Telegram: every `redeliver_every`-th update is delivered again to the other replica,
    /// as Telegram does when a webhook answered late (0: never).
    pub redeliver_every: usize,
    /// Each replica's `[api] concurrency`: platform requests in flight at once (`None`: the
    /// default, 8). Requests beyond it wait for a slot, and that wait is the bot's time.
    pub api_concurrency: Option<u32>,
}

/// Users the requests come from, in turn (each stays within the engine's per-user rate limit).
pub const USERS: u64 = 1000;

/// Numbers on a page (`page_size`).
pub const PAGE_SIZE: usize = 10;

/// What a run found.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// `discord` or `telegram`.
    pub transport: &'static str,
    /// Requests sent.
    pub sent: usize,
    /// Requests answered with their page, once.
    pub answered: usize,
    /// Requests that failed (status, wrong answer), with the first few reasons.
    pub errors: usize,
    /// The first reasons.
    pub reasons: Vec<String>,
    /// Answers beyond the first for one request (a redelivered update handled twice).
    pub duplicates: usize,
    /// Requests never answered (by the deadline).
    pub lost: usize,
    /// Extra deliveries sent (Telegram's redeliveries; Discord's replays), all to be refused.
    pub redelivered: usize,
    /// Replays refused (Discord: status 401), or redeliveries not answered (Telegram).
    pub refused: usize,
    /// Answers that came deferred (a follow-up edit, not the HTTP answer).
    pub deferred: usize,
    /// Requests the platform served during the run.
    pub platform_requests: u64,
    /// Wall time of the run.
    pub wall: Duration,
    /// Whole time per answered request (as the chat service sees it).
    pub whole: Vec<Duration>,
    /// The platform's time per answered request.
    pub platform: Vec<Duration>,
    /// The bot's own time per answered request (whole − platform).
    pub bot: Vec<Duration>,
}

impl Outcome {
    pub(crate) fn new(transport: &'static str) -> Self {
        Self {
            transport,
            ..Self::default()
        }
    }

    pub(crate) fn error(&mut self, reason: String) {
        self.errors += 1;
        if self.reasons.len() < 5 {
            self.reasons.push(reason);
        }
    }

    pub(crate) fn timed(&mut self, whole: Duration, platform: Duration) {
        self.whole.push(whole);
        self.platform.push(platform);
        self.bot.push(whole.saturating_sub(platform));
    }

    /// No error, nothing lost or answered twice, every redelivery refused, one platform request
    /// per request.
    pub fn clean(&self) -> bool {
        self.errors == 0
            && self.lost == 0
            && self.duplicates == 0
            && self.answered == self.sent
            && self.refused == self.redelivered
            && self.platform_requests == self.sent as u64
    }
}

/// The `q`-quantile (0..=1) of `samples` (nearest rank); zero for none.
pub fn quantile(samples: &[Duration], q: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )] // a rank within the slice
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rate = self.answered as f64 / self.wall.as_secs_f64().max(f64::EPSILON);
        writeln!(
            f,
            "{}: {} sent, {} answered, {} errors, {} lost, {} answered twice, {} deferred · \
             {}/{} redeliveries refused · {} platform requests · {:.1} s ({rate:.0}/s)",
            self.transport,
            self.sent,
            self.answered,
            self.errors,
            self.lost,
            self.duplicates,
            self.deferred,
            self.refused,
            self.redelivered,
            self.platform_requests,
            self.wall.as_secs_f64(),
        )?;
        writeln!(f, "  ms          p50      p99      max")?;
        for (name, samples) in [
            ("whole", &self.whole),
            ("platform", &self.platform),
            ("bot", &self.bot),
        ] {
            writeln!(
                f,
                "  {name:<9} {:>7}  {:>7}  {:>7}",
                ms(quantile(samples, 0.5)),
                ms(quantile(samples, 0.99)),
                ms(quantile(samples, 1.0)),
            )?;
        }
        for reason in &self.reasons {
            writeln!(f, "  error: {reason}")?;
        }
        Ok(())
    }
}

/// The page a reply shows, read from its footer (`… · page 1,234/10,000`).
pub(crate) fn page_of(text: &str) -> Option<usize> {
    let after = text.rsplit("page ").next()?;
    let page = after.split('/').next()?;
    page.replace(',', "").trim().parse().ok()
}

/// What is wrong with an answer's text for `page`: another page, or a whole phone (a run of
/// eleven digits: the engine masks phones in everything a chat sees).
pub(crate) fn check_answer(text: &str, page: usize) -> Result<(), String> {
    if page_of(text) != Some(page) {
        return Err(format!("page {page} answered with {:?}", page_of(text)));
    }
    let mut run = 0;
    for c in text.chars() {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        if run >= 11 {
            return Err(format!("page {page}: a whole phone in the answer"));
        }
    }
    Ok(())
}

/// A replica's config file: `[api] concurrency` when set, and `[chatops]` with `page_size` 10,
/// the demo task and `operators`.
pub(crate) fn config_toml(config: &LoadConfig, operators: &str) -> String {
    let api = config
        .api_concurrency
        .map(|n| format!("[api]\nconcurrency = {n}\n"))
        .unwrap_or_default();
    format!(
        r#"
        {api}
        [chatops]
        page_size = {PAGE_SIZE}
        operators = [{operators}]
        [chatops.tasks]
        demo = "{}"
        "#,
        agent_sim::DEMO_TASK_ID
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_by_nearest_rank() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(quantile(&samples, 0.5), Duration::from_millis(50));
        assert_eq!(quantile(&samples, 0.99), Duration::from_millis(99));
        assert_eq!(quantile(&samples, 1.0), Duration::from_millis(100));
        assert_eq!(quantile(&[], 0.5), Duration::ZERO);
    }

    #[test]
    fn the_page_is_read_from_a_footer() {
        assert_eq!(page_of("10,000 numbers · page 1,234/1,000"), Some(1234));
        assert_eq!(page_of("3 numbers · page 1/1"), Some(1));
        assert_eq!(page_of("no footer"), None);
    }
}
