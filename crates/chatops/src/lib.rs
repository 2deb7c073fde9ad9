//! The chat-ops engine: the behaviour of `/numbers`, `/stats`, `/reset` and `/help`, shared by every
//! transport (terminal, Telegram, Discord). Transports turn what their users do into a
//! [`Caller`] and a command line or [`Invocation`], hand it to the [`Engine`], and render the
//! [`Reply`] it returns (privately when [`Reply::private`] says so); a pressed button hands back
//! its [`Action::data`] to [`Engine::press`]. Suggestions as a user types come from
//! [`Engine::complete`], a transport's own situations are worded by [`Engine::notice`], and the
//! engine sweeps expired confirmations on its own timer until [`Engine::shutdown`].
//!
//! - [`catalogue`]: every command and option declared once, in English and Chinese, with the role
//!   it needs; the grammar, `/help`, Telegram's menu and Discord's registration derive from it;
//! - [`export`]: `/export`'s files (CSV, Excel), streamed to a temporary file;
//! - [`chart`]: a task's progress in figures, as a text bar chart and a PNG (`/stats`);
//! - [`command`]: the one grammar (`/numbers task:demo status:busy page:2`);
//! - [`reply`]: the transport-neutral reply model and its plain-text rendering;
//! - [`token`]: actions signed with HMAC, within Telegram's 64 bytes and Discord's 100 characters;
//! - [`access`]: roles `viewer` and `operator` granted to transport identities;
//! - [`audit`]: each reset requested, confirmed, cancelled, expired or failed, as a tracing event
//!   and a JSON line;
//! - [`messages`]: every text the engine and the transports say to chat users, keyed, in English
//!   and Chinese;
//! - [`store`]: where pending confirmations, page states and replay ids are kept (memory, an
//!   embedded file, or Redis shared by several replicas);
//! - [`watch`]: `/watch`, `/unwatch`, `/watches` and the scheduler every transport runs to post
//!   when a watched task is done, or its progress at a time or interval;
//! - [`config`]: the `[chatops]` and `[state]` settings; [`i18n`]: the reply languages.

pub mod access;
pub mod audit;
pub mod catalogue;
pub mod chart;
pub mod command;
mod commands;
pub mod config;
mod context;
mod counting;
pub mod i18n;
mod kernel;
pub mod messages;
pub mod outbound;
pub mod reply;
mod scope;
mod services;
mod state;
pub mod store;
pub mod text;
pub mod texts;
pub mod token;
mod transport;

pub use access::{Access, Caller, Role, Transport};
pub use catalogue::{CommandSpec, OptionSpec};
pub use command::{CommandName, Invocation, OptionKey, ParseError, parse};
pub use commands::{COMMANDS, every_sample, export, watch};
pub use config::{ChatopsSection, EngineConfig, Loaded, Places, SecretPolicy};
pub use context::{Progress, ProgressUpdate};
pub use i18n::Lang;
pub use kernel::{Clock, Engine, Notice, SWEEP_EVERY, Shutdown, Timings};
pub use messages::{Msg, MsgKey};
pub use outbound::Outbound;
pub use reply::{
    Action, ActionStyle, Align, Attachment, AttachmentData, AttachmentKind, Choice, Reply,
    ReplyKind, Table,
};
pub use store::{Namespace, StateStore, StateUrl, StoreError};
pub use transport::TransportProfile;
pub use watch::{TickReport, Undelivered, WatchPost, WatchRunner, WatchScheduler, When};
