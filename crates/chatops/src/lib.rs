//! The chat-ops engine: the behaviour of every command (`/numbers`, `/stats`, `/reset`,
//! `/export`, `/watch`, `/unwatch`, `/watches`, `/help`), shared by every transport (terminal,
//! Telegram, Discord). Transports turn what their users do into a [`Caller`] and a command line
//! or [`Invocation`], hand it to the [`Engine`], and render the [`Reply`] it returns (privately
//! when [`Reply::private`] says so); a pressed button hands back its [`Action::data`] to
//! [`Engine::press`]. Suggestions as a user types come from [`Engine::complete`], a transport's
//! own situations are worded by [`Engine::notice`], and the engine sweeps expired confirmations
//! on its own timer until [`Engine::shutdown`]. A transport registers what is its own (its
//! store namespaces, its buttons' size, its upload limit) as a [`TransportProfile`].
//!
//! The shape (`docs/dev/architecture.md`): a small kernel (admission, dispatch, signed actions,
//! lifecycle), the commands — each a module under `commands/` with its catalogue entry, its
//! handler taking a context, its button handler and its texts, listed one line a module — and
//! the modules both call (scope resolution, counting, services).
//!
//! - [`catalogue`]: the declarations every transport derives from (commands' entries, options);
//! - [`command`]: the one grammar (`/numbers task:demo status:busy page:2`);
//! - [`export`], [`watch`]: the public parts of those commands (file formats, the scheduler);
//! - [`chart`]: a task's progress in figures, as a text bar chart and a PNG (`/stats`);
//! - [`reply`]: the transport-neutral reply model and its plain-text rendering;
//! - [`outbound`]: the rule every outbound text passes (phones masked);
//! - [`token`]: actions signed with HMAC, within the transport's size limit;
//! - [`access`]: roles granted to transport identities;
//! - [`audit`]: resets and exports, as tracing events and JSON lines;
//! - [`messages`], [`texts`]: the texts several commands and the transports share, and the
//!   `texts!` table each message is declared once in (English and Chinese);
//! - [`store`]: where pending confirmations, page states, watches and a transport's records
//!   are kept (memory, an embedded file, or Redis shared by several replicas), sealed;
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
