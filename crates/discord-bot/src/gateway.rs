//! Gateway mode: serenity's client with an event handler that registers the commands when the
//! gateway is ready and hands each interaction to [`Bot::dispatch`] with `&ctx.http`.

use std::sync::atomic::{AtomicBool, Ordering};

use serenity::all::GatewayIntents;
use serenity::async_trait;
use serenity::client::{Context, EventHandler};
use serenity::model::application::Interaction;
use serenity::model::gateway::Ready;

use crate::bot::Bot;
use crate::commands::register;
use crate::settings::{DiscordSettings, Registration};

/// serenity's event handler over a [`Bot`].
#[derive(Debug)]
pub struct Handler {
    bot: Bot,
    registration: Registration,
    registered: AtomicBool,
}

impl Handler {
    /// A handler that registers the commands at the first READY.
    pub fn new(bot: Bot, registration: Registration) -> Self {
        Self {
            bot,
            registration,
            registered: AtomicBool::new(false),
        }
    }
}

#[async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), "connected to the gateway");
        if self.registered.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Err(err) = register(&ctx.http, self.registration).await {
            tracing::error!(%err, "cannot register the slash commands");
            self.registered.store(false, Ordering::SeqCst);
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        if let Err(err) = self.bot.dispatch(&ctx.http, &interaction).await {
            tracing::error!(%err, "cannot answer an interaction");
        }
    }
}

/// Runs the gateway client until `shutdown` resolves (then closes the shards).
pub async fn run(
    bot: Bot,
    settings: &DiscordSettings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), serenity::Error> {
    // Interactions arrive without any privileged intent.
    // REST through the same client as HTTP mode (a configured proxy included).
    let mut client = serenity::client::ClientBuilder::new_with_http(
        crate::rest_client(settings),
        GatewayIntents::empty(),
    )
    .event_handler(Handler::new(bot, settings.registration))
    .await?;
    let shards = client.shard_manager.clone();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down the gateway connection");
        shards.shutdown_all().await;
    });
    client.start().await
}
