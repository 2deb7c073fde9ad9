//! Running the bot: the dispatcher over the handlers, long polling or a webhook server, the
//! command menu, and a graceful stop. (Expired confirmations are swept by the engine itself.)

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use agent_chatops::{Engine, Lang};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use teloxide::RequestError;
use teloxide::adaptors::throttle::Limits;
use teloxide::dispatching::{Dispatcher, ShutdownToken};
use teloxide::error_handlers::ErrorHandler;
use teloxide::prelude::*;
use teloxide::types::AllowedUpdate;
use teloxide::update_listeners::{Polling, UpdateListener, webhooks};
use tokio::net::TcpListener;
use url::Url;

use crate::commands;
use crate::handlers::{AppState, TgBot, schema};
use crate::redact::{Redactor, error_chain};
use crate::settings::{TelegramSettings, WebhookSettings};

/// The header Telegram sends the webhook's secret token in.
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// Whether a webhook secret is one Telegram accepts: 1–256 of `A-Z a-z 0-9 _ -`.
pub fn valid_webhook_secret(secret: &str) -> bool {
    (1..=256).contains(&secret.len())
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Why the bot could not start or run. Messages never contain the token.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The HTTP client for the Bot API cannot be built.
    #[error("cannot build the HTTP client for the Bot API: {0}")]
    Client(String),
    /// A Bot API call at start failed.
    #[error("Telegram's {call} failed: {reason}")]
    Telegram {
        /// The Bot API method.
        call: &'static str,
        /// Why (redacted).
        reason: String,
    },
    /// The webhook server.
    #[error("webhook server: {0}")]
    Webhook(String),
}

/// The bot: teloxide's `Bot` on `api_url` (Telegram's by default), wrapped in `Throttle` with
/// `limits` (use `Limits::default()`: Telegram's published limits). Needs a Tokio runtime
/// (Throttle spawns its worker).
pub fn make_bot(
    token: &SecretString,
    api_url: Option<&Url>,
    limits: Limits,
) -> Result<TgBot, RunError> {
    let client = teloxide::net::default_reqwest_settings()
        .build()
        .map_err(|e| RunError::Client(e.to_string()))?;
    let mut bot = Bot::with_client(token.expose_secret(), client);
    if let Some(url) = api_url {
        bot = bot.set_api_url(url.clone());
    }
    Ok(bot.throttle(limits))
}

/// Publishes the command menu: English as the default list, Chinese for `language_code` "zh".
pub async fn register_commands(bot: &TgBot) -> Result<(), RequestError> {
    bot.set_my_commands(commands::bot_commands(Lang::En))
        .await?;
    bot.set_my_commands(commands::bot_commands(Lang::Zh))
        .language_code("zh")
        .await?;
    Ok(())
}

/// The running parts of the bot.
pub struct Service {
    bot: TgBot,
    state: AppState,
    dispatcher: Dispatcher<TgBot, Infallible, ()>,
    api_url: Option<Url>,
    poll_timeout: Duration,
    register_commands: bool,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the bot: teloxide's `Bot` prints its token in `Debug`.
        f.debug_struct("Service")
            .field("poll_timeout", &self.poll_timeout)
            .field("register_commands", &self.register_commands)
            .finish_non_exhaustive()
    }
}

impl Service {
    /// The dispatcher over [`schema`]. Updates are handled concurrently (no per-chat queue), so
    /// a slow platform call never holds up the next message or button press of the same chat;
    /// at most `settings.max_concurrent` are in the engine at once.
    pub fn new(
        bot: TgBot,
        engine: Engine,
        settings: &TelegramSettings,
        redactor: Redactor,
    ) -> Self {
        let state = AppState::new(engine, settings.max_concurrent, redactor);
        let dispatcher = Dispatcher::builder(bot.clone(), schema())
            .dependencies(dptree::deps![state.clone()])
            .distribution_function(|_| None::<()>)
            .default_handler(|update| async move {
                tracing::debug!(update = update.id.0, "update of a kind this bot ignores");
            })
            .build();
        Self {
            bot,
            state,
            dispatcher,
            api_url: settings.api_url.clone(),
            poll_timeout: settings.poll_timeout,
            register_commands: settings.register_commands,
        }
    }

    /// Stops the bot: no new updates are taken, the ones in flight are finished, then `run_*`
    /// returns. (`shutdown()` fails while the bot is still starting; retry.)
    pub fn shutdown_token(&self) -> ShutdownToken {
        self.dispatcher.shutdown_token()
    }

    fn telegram_error(&self, call: &'static str, err: &RequestError) -> RunError {
        let api = self
            .api_url
            .as_ref()
            .map_or("https://api.telegram.org/", Url::as_str);
        RunError::Telegram {
            call,
            reason: self
                .state
                .redactor
                .redact(&format!("{} (Bot API at {api})", error_chain(err))),
        }
    }

    /// The engine's watch scheduler, posting through this bot until the returned runner is
    /// dropped (when `run_*` returns) or the engine shuts down.
    fn run_watches(&self) -> agent_chatops::WatchRunner {
        self.state.engine.run_watches(
            agent_chatops::Transport::Telegram,
            crate::watch::watch_post(self.bot.clone(), self.state.redactor.clone()),
        )
    }

    /// `getMe` (fails fast on a bad token or an unreachable API) and the command menu.
    async fn start(&self) -> Result<(), RunError> {
        let me = self
            .bot
            .get_me()
            .await
            .map_err(|e| self.telegram_error("getMe", &e))?;
        tracing::info!(bot = ?me.user.username, "connected to the Bot API");
        if self.register_commands
            && let Err(err) = register_commands(&self.bot).await
        {
            tracing::warn!(error = %self.state.redactor.redact(&error_chain(&err)), "setMyCommands failed; the command menu may be stale");
        }
        Ok(())
    }

    /// Dispatches the listener's updates until it stops. The dispatcher's one call of its own,
    /// `getMe`, is what can fail here.
    async fn dispatch<L, E>(&mut self, listener: L, on_error: Arc<E>) -> Result<(), RunError>
    where
        L: UpdateListener + Send,
        L::Err: std::fmt::Debug,
        E: ErrorHandler<L::Err> + Send + Sync,
    {
        let result = self
            .dispatcher
            .try_dispatch_with_listener(listener, on_error)
            .await;
        result.map_err(|e| self.telegram_error("getMe", &e))
    }

    /// Runs with long polling until shut down (any webhook is deleted first: Telegram allows
    /// one or the other).
    pub async fn run_polling(mut self) -> Result<(), RunError> {
        self.start().await?;
        let listener = Polling::builder(self.bot.clone())
            .timeout(self.poll_timeout)
            .delete_webhook()
            .await
            .build();
        let redactor = self.state.redactor.clone();
        let on_error = Arc::new(move |err: RequestError| {
            let text = redactor.redact(&error_chain(&err));
            async move {
                tracing::warn!(error = %text, "getUpdates failed; retrying with backoff");
            }
        });
        tracing::info!("taking updates by long polling");
        let _watches = self.run_watches();
        self.dispatch(listener, on_error).await?;
        tracing::info!("stopped");
        Ok(())
    }

    /// Runs a webhook server on `tcp` until shut down. Telegram's POSTs to the URL's path are
    /// dispatched only with the fixed secret in `X-Telegram-Bot-Api-Secret-Token` (compared in
    /// constant time); others get 401. `setWebhook` is called at start when configured (with
    /// the same secret, so replicas agree); the webhook is never deleted on stop.
    pub async fn run_webhook(
        mut self,
        tcp: TcpListener,
        webhook: &WebhookSettings,
    ) -> Result<(), RunError> {
        let secret = webhook.secret.expose_secret().to_string();
        if !valid_webhook_secret(&secret) {
            return Err(RunError::Webhook(
                "the secret must be 1-256 of A-Z a-z 0-9 _ -".into(),
            ));
        }
        self.start().await?;
        if webhook.set_webhook {
            self.bot
                .set_webhook(webhook.url.clone())
                .secret_token(secret.clone())
                .allowed_updates(vec![AllowedUpdate::Message, AllowedUpdate::CallbackQuery])
                .await
                .map_err(|e| self.telegram_error("setWebhook", &e))?;
        }
        let address = tcp
            .local_addr()
            .map_err(|e| RunError::Webhook(e.to_string()))?;
        let options = webhooks::Options::new(address, webhook.url.clone()).secret_token(secret);
        let (listener, stop, router) = webhooks::axum_no_setup(options);
        let router = router.layer(axum::middleware::from_fn_with_state(
            Arc::new(webhook.secret.clone()),
            require_secret,
        ));
        let server =
            tokio::spawn(
                async move { axum::serve(tcp, router).with_graceful_shutdown(stop).await },
            );
        tracing::info!(%address, path = webhook.url.path(), "taking updates by webhook");
        let on_error = Arc::new(|err: Infallible| async move { match err {} });
        let _watches = self.run_watches();
        self.dispatch(listener, on_error).await?;
        match server.await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => return Err(RunError::Webhook(err.to_string())),
            Err(err) => return Err(RunError::Webhook(err.to_string())),
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Equal bytes, in time that depends on the lengths only.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    bool::from(subtle::ConstantTimeEq::ct_eq(a, b))
}

/// Lets a webhook request through only with the right secret token.
async fn require_secret(
    State(secret): State<Arc<SecretString>>,
    request: Request,
    next: Next,
) -> Response {
    let given = request.headers().get(SECRET_HEADER).map(|v| v.as_bytes());
    let with_header = given.is_some();
    let right =
        given.is_some_and(|given| constant_time_eq(given, secret.expose_secret().as_bytes()));
    if right {
        return next.run(request).await;
    }
    tracing::warn!(
        path = request.uri().path(),
        with_header,
        "webhook request without the right secret token: refused"
    );
    StatusCode::UNAUTHORIZED.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
    }
}
