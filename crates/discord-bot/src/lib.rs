//! The Discord transport of agent-ops: `/numbers`, `/reset` and `/help` as slash commands with
//! typed options and Chinese localisations, over the chat-ops engine. A thin layer: the engine
//! decides, this crate maps interactions onto it and renders its replies.
//!
//! - [`settings`]: the environment over the config file's `[api]`, `[chatops]`, `[discord]`;
//! - [`commands`]: the registration JSON and the mapping of typed options onto the grammar;
//! - [`render`]: replies as embeds with a code-block table, actions as buttons;
//! - [`bot`]: the handlers, shared by both modes, with the 3-second budget and deferrals;
//! - [`endpoint`]: HTTP mode (signed requests, PING, stale timestamps);
//! - [`gateway`]: gateway mode (serenity's client);
//! - [`watch`]: delivering the posts of the engine's watch scheduler as channel messages.

pub mod bot;
pub mod commands;
pub mod endpoint;
pub mod gateway;
pub mod render;
pub mod settings;
pub mod watch;

use secrecy::ExposeSecret;
use serenity::http::{Http, HttpBuilder};

pub use agent_core::SettingsError;
pub use bot::{Bot, BotError, Delivered, Pending, Response, Target};
pub use commands::{commands, invocation_of, register};
pub use endpoint::{Endpoint, check_request, serve};
pub use render::{Rendered, render};
pub use settings::{DiscordSettings, Mode, Registration, Settings};

/// What the Discord transport registers with its engine: the ids of interactions already
/// answered ([`endpoint::SEEN`]), custom ids of up to 100 characters, and the upload limit.
pub fn profile(settings: &DiscordSettings) -> agent_chatops::TransportProfile {
    agent_chatops::TransportProfile {
        namespaces: vec![(endpoint::SEEN, endpoint::SEEN_CAP)],
        max_action_bytes: 100,
        upload_limit: Some(settings.upload_limit),
    }
}

/// serenity's REST client for these settings (with the application id when known).
pub fn rest_client(settings: &DiscordSettings) -> Http {
    let mut builder = HttpBuilder::new(settings.token.expose_secret());
    if let Some(id) = settings.application_id {
        builder = builder.application_id(id);
    }
    if let Some(url) = &settings.api_url {
        // serenity ignores a proxy while its own rate limiter is on; the proxy keeps the
        // limits (shared by every replica).
        builder = builder
            .proxy(url.as_str().trim_end_matches('/'))
            .ratelimiter_disabled(true);
    }
    builder.build()
}
