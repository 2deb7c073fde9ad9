//! Fault injection: latency, 500s, 429 with `Retry-After`, a proxy's HTML error page, truncated
//! bodies, and HTTP 200 with a failure in the envelope. Random faults are reproducible from a
//! seed; scripted ones (`inject`) hit the next N requests exactly.

use std::collections::VecDeque;
use std::time::Duration;

/// How long each API request waits before it is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Latency {
    /// Answer at once.
    #[default]
    None,
    /// Always this long.
    Fixed(Duration),
    /// Uniformly between the two.
    Uniform {
        /// The shortest wait.
        min: Duration,
        /// The longest wait.
        max: Duration,
    },
}

/// One injected failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 500 with the error envelope; the request is not processed.
    ServerError,
    /// HTTP 429 `Too Many Attempts.` with `Retry-After`; not processed.
    RateLimited {
        /// Seconds in `Retry-After`.
        retry_after_secs: u64,
    },
    /// HTTP 502 with an nginx HTML page (a proxy in front of the platform); not processed.
    HtmlPage,
    /// Processed, but the JSON body is cut in the middle (the framing matches the cut body).
    Truncated,
    /// HTTP 200 with `code: 6007` in the envelope (a running 2.0 task); not processed.
    SoftError,
    /// Answered normally after this extra delay.
    Delay(Duration),
}

/// Random faults of a run. Rates are shares of API requests, 0.0 to 1.0.
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    /// Latency of every API request.
    pub latency: Latency,
    /// Share of HTTP 500s.
    pub error_rate: f64,
    /// Share of HTTP 429s.
    pub rate_limit_rate: f64,
    /// `Retry-After` of the 429s, in seconds.
    pub retry_after_secs: u64,
    /// Share of HTML error pages.
    pub html_rate: f64,
    /// Share of truncated bodies.
    pub truncate_rate: f64,
    /// Share of HTTP 200s with a failure in the envelope.
    pub soft_error_rate: f64,
    /// Seed of the random draws.
    pub seed: u64,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            latency: Latency::None,
            error_rate: 0.0,
            rate_limit_rate: 0.0,
            retry_after_secs: 1,
            html_rate: 0.0,
            truncate_rate: 0.0,
            soft_error_rate: 0.0,
            seed: 0,
        }
    }
}

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// Wait this long first.
    pub delay: Duration,
    /// Then fail this way, if at all.
    pub fault: Option<Fault>,
}

/// The fault state of a running simulator.
#[derive(Debug)]
pub struct FaultState {
    faults: Faults,
    rng: fastrand::Rng,
    script: VecDeque<Fault>,
}

impl FaultState {
    /// Random faults from `faults`, no script.
    pub fn new(faults: Faults) -> Self {
        Self {
            rng: fastrand::Rng::with_seed(faults.seed),
            faults,
            script: VecDeque::new(),
        }
    }

    /// Switches the random faults (and reseeds).
    pub fn set(&mut self, faults: Faults) {
        *self = Self {
            script: std::mem::take(&mut self.script),
            ..Self::new(faults)
        };
    }

    /// The next `count` requests get `fault` (replacing any earlier script; 0 clears it).
    pub fn inject(&mut self, fault: Fault, count: usize) {
        self.script = std::iter::repeat_n(fault, count).collect();
    }

    /// Decides the fate of the next request.
    pub fn decide(&mut self) -> Decision {
        let delay = match self.faults.latency {
            Latency::None => Duration::ZERO,
            Latency::Fixed(d) => d,
            Latency::Uniform { min, max } if max > min => {
                let span = u64::try_from((max - min).as_micros()).unwrap_or(u64::MAX);
                min + Duration::from_micros(self.rng.u64(0..=span))
            }
            Latency::Uniform { min, .. } => min,
        };
        if let Some(fault) = self.script.pop_front() {
            return Decision {
                delay,
                fault: Some(fault),
            };
        }
        let f = &self.faults;
        let roll = self.rng.f64();
        let mut edge = 0.0;
        let mut pick = None;
        for (rate, fault) in [
            (f.error_rate, Fault::ServerError),
            (
                f.rate_limit_rate,
                Fault::RateLimited {
                    retry_after_secs: f.retry_after_secs,
                },
            ),
            (f.html_rate, Fault::HtmlPage),
            (f.truncate_rate, Fault::Truncated),
            (f.soft_error_rate, Fault::SoftError),
        ] {
            edge += rate.clamp(0.0, 1.0);
            if pick.is_none() && roll < edge {
                pick = Some(fault);
            }
        }
        Decision { delay, fault: pick }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_faults_come_first_then_random_ones_at_their_rate() {
        let mut state = FaultState::new(Faults {
            error_rate: 0.25,
            seed: 3,
            ..Faults::default()
        });
        state.inject(Fault::HtmlPage, 2);
        assert_eq!(state.decide().fault, Some(Fault::HtmlPage));
        assert_eq!(state.decide().fault, Some(Fault::HtmlPage));
        let errors = (0..4000)
            .filter(|_| state.decide().fault == Some(Fault::ServerError))
            .count();
        assert!((800..1200).contains(&errors), "{errors}");
    }

    #[test]
    fn latency_stays_in_its_range() {
        let mut state = FaultState::new(Faults {
            latency: Latency::Uniform {
                min: Duration::from_millis(5),
                max: Duration::from_millis(10),
            },
            ..Faults::default()
        });
        for _ in 0..100 {
            let d = state.decide().delay;
            assert!(d >= Duration::from_millis(5) && d <= Duration::from_millis(10));
        }
    }
}
