//! The shared layer over the generated `agent-api` client that the bots, the shell and Rust users
//! call.
//!
//! - [`status`]: the 13 call statuses, parsed from codes, names, aliases or Chinese labels, and
//!   the named groups operations teams think in (`unreached`, `retryable`, `permanent`);
//! - [`time`]: creation-time bounds in China time (`2020-07-28`, `today`, `7d`...);
//! - [`phone`]: mainland phone validation and masking (`138****4148`);
//! - [`ids`]: validated task and sub-account ids, page numbers and page sizes;
//! - [`filter`]: the [`Scope`] of a request, and validated list and reset filters built on it
//!   (an unfiltered reset needs `all`);
//! - [`client`]: typed errors, retries with backoff, concurrent in-order paging, counts and
//!   per-status summaries;
//! - [`config`]: the platform connection ([`ApiConfig`]) from `AGENT_*` variables and a TOML
//!   file, every problem in one [`SettingsError`] (the configuration framework itself is the
//!   `agent-ops-settings` crate, the binaries');
//! - [`redact`]: phone-shaped text masked anywhere in a string.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use agent_core::{AgentClient, ApiConfig, Id, ListFilter, PageNumber, ResetFilter, Scope, StatusSet};
//! use futures::StreamExt;
//!
//! // A local simulator of the platform; `ApiConfig::from_env()` reads `AGENT_*` for the real one.
//! let sim = agent_sim::start(agent_sim::SimConfig { size: 300, ..Default::default() }).await.unwrap();
//! let client = AgentClient::new(&ApiConfig::from_lookup(sim.env()).unwrap()).unwrap();
//! let task = Id::task(agent_sim::DEMO_TASK_ID).unwrap();
//!
//! // A page, the counts per status, and every number of a filter in order.
//! let busy = Scope::new(task.clone()).with_statuses(StatusSet::parse_list("busy").unwrap());
//! let busy_numbers = ListFilter::new(busy.clone());
//! let page = client.numbers(&busy_numbers, PageNumber::FIRST).await.unwrap();
//! let summary = client.summary(&busy_numbers).await.unwrap();
//! assert_eq!(page.total, summary.total());
//! let streamed = client.stream(&busy_numbers).count().await;
//! assert_eq!(streamed as u64, page.total);
//!
//! // A reset: preview it, then send it; an unfiltered one is refused unless `everything`.
//! let reset = ResetFilter::new(busy);
//! assert_eq!(client.reset_preview(&reset).await.unwrap().total(), page.total);
//! client.reset(&reset).await.unwrap();
//! assert!(client.reset(&ResetFilter::new(task)).await.is_err());
//! # });
//! ```
#![warn(missing_docs)]

pub mod client;
pub mod config;
pub mod error;
pub mod filter;
pub mod ids;
pub mod phone;
pub mod redact;
pub mod retry;
pub mod status;
pub mod time;

/// The error of [`ApiConfig::from_env`] and its kin: every missing or bad setting, named by its
/// variable and file key, never with a value.
pub use agent_ops_settings::SettingsError;
pub use client::{AgentClient, ClientSettings, NumberStream, Page, ResetOutcome, StatusSummary};
pub use config::ApiConfig;
pub use error::{Category, Error, Retry};
pub use filter::{FilterError, ListFilter, ResetFilter, Scope};
pub use ids::{Id, IdError, PageError, PageNumber, PageSize};
pub use phone::{Phone, mask_number};
pub use redact::mask_phones_in;
pub use retry::RetryPolicy;
pub use status::{CallStatus, StatusGroup, StatusSet};
pub use time::{TimeRange, china_now};

/// The generated client's record type, re-exported for convenience.
pub use agent_api::types::NumberRecord;
