//! The Telegram transport of agent-ops: `/numbers`, `/reset` and `/help` as Telegram commands,
//! answered by the chat-ops engine ([`agent_chatops::Engine`]) and rendered as HTML messages
//! with inline keyboards.
//!
//! - [`settings`]: `TELEGRAM_*` variables, the `[telegram]` table and the engine's settings;
//! - [`commands`]: which messages are ours (`/numbers@OtherBot` is not) and the command menu;
//! - [`render`]: replies as HTML within 4096 characters, actions as inline keyboards;
//! - [`handlers`]: the teloxide handler tree ([`handlers::schema`]);
//! - [`service`]: the bot ([`service::make_bot`]), long polling or a webhook, graceful stop;
//! - [`watch`]: delivering the posts of the engine's watch scheduler to their chats;
//! - [`redact`]: keeping the bot token out of logs.

pub mod commands;
pub mod handlers;
pub mod redact;
pub mod render;
pub mod service;
pub mod settings;
pub mod watch;

pub use agent_core::SettingsError;
pub use handlers::{AppState, TgBot, caller_for, schema};
pub use redact::{RedactingMakeWriter, Redactor};
pub use service::{RunError, Service, make_bot, register_commands};
pub use settings::{Mode, Overrides, Settings, TelegramSettings, WebhookSettings};

/// What the Telegram transport registers with its engine: the ids of updates already handled
/// ([`handlers::SEEN`]), callback data of up to 64 bytes, and the upload limit.
pub fn profile(settings: &TelegramSettings) -> agent_chatops::TransportProfile {
    agent_chatops::TransportProfile {
        namespaces: vec![(handlers::SEEN, handlers::SEEN_CAP)],
        max_action_bytes: agent_chatops::token::MAX_TOKEN_BYTES,
        upload_limit: Some(settings.upload_limit),
    }
}
