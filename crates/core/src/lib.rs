//! The shared layer over the generated `agent-api` client that the bots, the shell and Rust users
//! call.
//!
//! - [`status`]: the 13 call statuses, parsed from codes, names, aliases or Chinese labels, and
//!   the named groups operations teams think in (`unreached`, `retryable`, `permanent`);
//! - [`time`]: creation-time bounds in China time (`2020-07-28`, `today`, `7d`...);
//! - [`phone`]: mainland phone validation and masking (`138****4148`);
//! - [`filter`]: validated list and reset filters (an unfiltered reset needs `all`);
//! - [`client`]: typed errors, retries with backoff, concurrent in-order paging, counts and
//!   per-status summaries;
//! - [`config`]: settings from `AGENT_*` variables and a TOML file.

pub mod client;
pub mod config;
pub mod config_file;
pub mod error;
pub mod filter;
pub mod phone;
pub mod redact;
pub mod retry;
pub mod status;
pub mod time;

pub use client::{AgentClient, ClientSettings, NumberStream, Page, ResetOutcome, StatusSummary};
pub use config::{ApiConfig, ConfigError};
pub use config_file::{ConfigFile, ConfigFileError};
pub use error::{Category, Error, Retry};
pub use filter::{FilterError, Id, ListFilter, PageNumber, PageSize, ResetFilter};
pub use phone::{Phone, mask_number};
pub use redact::mask_phones_in;
pub use retry::RetryPolicy;
pub use status::{CallStatus, StatusGroup, StatusSet};
pub use time::{TimeRange, china_now};

/// The generated client's record type, re-exported for convenience.
pub use agent_api::types::NumberRecord;
