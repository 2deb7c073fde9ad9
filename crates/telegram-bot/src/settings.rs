//! The bot's settings: command-line flags over environment variables over the config file's
//! `[telegram]` table, plus the engine's `[api]` and `[chatops]` settings.
//!
//! ```toml
//! [telegram]
//! token = "…"                         # TELEGRAM_BOT_TOKEN (prefer the variable)
//! api_url = "http://127.0.0.1:8081/"  # TELEGRAM_API_URL: a local Bot API server
//! webhook_url = "https://bot.example.com/telegram"  # --webhook-url / TELEGRAM_WEBHOOK_URL
//! listen = "0.0.0.0:8443"             # --listen / TELEGRAM_WEBHOOK_LISTEN
//! webhook_secret = "…"                # TELEGRAM_WEBHOOK_SECRET (prefer the variable)
//! set_webhook = true                  # call setWebhook at start (false: set it out of band)
//! poll_timeout_secs = 10              # long polling: seconds Telegram holds getUpdates
//! max_concurrent = 16                 # updates handled at once
//! upload_limit_bytes = 50000000       # the largest file sent (Bot API: 50 MB; a local server: more)
//! register_commands = true            # call setMyCommands (en and zh) at start
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use agent_chatops::{EngineConfig, SecretPolicy};
use agent_core::settings::{Layers, Problems, Setting};
use agent_core::{ApiConfig, ConfigFile, SettingsError};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use crate::redact::Redactor;

/// The default address of the webhook server.
pub const DEFAULT_LISTEN: &str = "0.0.0.0:8443";

/// The Bot API's limit on a file a bot sends: 50 MB (counted in decimal, to be safe).
pub const DEFAULT_UPLOAD_LIMIT: u64 = 50_000_000;

/// The `[telegram]` table of the config file; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramSection {
    /// The bot token (prefer `TELEGRAM_BOT_TOKEN`).
    pub token: Option<SecretString>,
    /// The Bot API server (default `https://api.telegram.org/`).
    pub api_url: Option<String>,
    /// The public URL Telegram posts updates to; webhook mode when set.
    pub webhook_url: Option<String>,
    /// Where the webhook server listens.
    pub listen: Option<String>,
    /// The `secret_token` Telegram sends in `X-Telegram-Bot-Api-Secret-Token`.
    pub webhook_secret: Option<SecretString>,
    /// Whether to call `setWebhook` at start.
    pub set_webhook: Option<bool>,
    /// Long polling timeout, 1 to 15 seconds.
    pub poll_timeout_secs: Option<u64>,
    /// Updates handled at once, 1 to 256.
    pub max_concurrent: Option<usize>,
    /// See [`TelegramSettings::upload_limit`].
    pub upload_limit_bytes: Option<u64>,
    /// Whether to publish the command menu at start.
    pub register_commands: Option<bool>,
}

/// Settings from the command line, which win over the environment and the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--webhook-url`.
    pub webhook_url: Option<String>,
    /// `--listen`.
    pub listen: Option<String>,
    /// `--no-set-webhook`.
    pub no_set_webhook: bool,
}

/// How updates arrive.
#[derive(Debug, Clone)]
pub enum Mode {
    /// Long polling with `getUpdates` (outbound connections only).
    Polling,
    /// Telegram posts updates to our HTTP server.
    Webhook(WebhookSettings),
}

/// Webhook mode.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// The public URL registered with Telegram; its path is the one served.
    pub url: Url,
    /// The local address to listen on.
    pub listen: SocketAddr,
    /// The fixed secret token (shared by every replica).
    pub secret: SecretString,
    /// Whether to call `setWebhook` at start (idempotent with a fixed secret).
    pub set_webhook: bool,
}

/// The Telegram side of the settings.
#[derive(Debug, Clone)]
pub struct TelegramSettings {
    /// The bot token (redacted in `Debug`).
    pub token: SecretString,
    /// The Bot API server; `None`: Telegram's.
    pub api_url: Option<Url>,
    /// Polling or webhook.
    pub mode: Mode,
    /// How long Telegram holds a `getUpdates` call.
    pub poll_timeout: Duration,
    /// Updates handled at once.
    pub max_concurrent: usize,
    /// The largest file the bot sends (the Bot API's 50 MB unless configured): a larger
    /// export is gzipped or split.
    pub upload_limit: u64,
    /// Whether to publish the command menu at start.
    pub register_commands: bool,
}

/// Everything the bot needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Telegram.
    pub telegram: TelegramSettings,
    /// The platform.
    pub api: ApiConfig,
    /// The engine.
    pub engine: EngineConfig,
}

impl Settings {
    /// A redactor of every secret in the settings, for logs.
    pub fn redactor(&self) -> Redactor {
        let mut secrets = vec![
            self.telegram.token.expose_secret().to_string(),
            self.api.token.expose_secret().to_string(),
            self.engine.secret.expose_secret().to_string(),
        ];
        if let Mode::Webhook(webhook) = &self.telegram.mode {
            secrets.push(webhook.secret.expose_secret().to_string());
        }
        Redactor::new(secrets)
    }
}

/// `TELEGRAM_BOT_TOKEN`.
pub const TOKEN: Setting = Setting::new(
    "telegram.token",
    "TELEGRAM_BOT_TOKEN",
    "the bot's token from @BotFather (required; never logged)",
);
/// `TELEGRAM_API_URL`.
pub const API_URL: Setting = Setting::new(
    "telegram.api_url",
    "TELEGRAM_API_URL",
    "a Bot API server other than Telegram's (e.g. a local telegram-bot-api)",
);
/// `TELEGRAM_WEBHOOK_URL` (also `--webhook-url`).
pub const WEBHOOK_URL: Setting = Setting::new(
    "telegram.webhook_url",
    "TELEGRAM_WEBHOOK_URL",
    "webhook mode: the public HTTPS URL Telegram posts updates to (as --webhook-url)",
);
/// `TELEGRAM_WEBHOOK_LISTEN` (also `--listen`).
pub const LISTEN: Setting = Setting::new(
    "telegram.listen",
    "TELEGRAM_WEBHOOK_LISTEN",
    "webhook mode: the local address to listen on (as --listen; default 0.0.0.0:8443)",
);
/// `TELEGRAM_WEBHOOK_SECRET`.
pub const WEBHOOK_SECRET: Setting = Setting::new(
    "telegram.webhook_secret",
    "TELEGRAM_WEBHOOK_SECRET",
    "the webhook's secret token, 1-256 of A-Z a-z 0-9 _ - (required in webhook mode)",
);
/// The bot's own settings that the environment can give (the engine's are declared by
/// `agent_core` and `agent_chatops`).
pub const SETTINGS: &[Setting] = &[TOKEN, API_URL, WEBHOOK_URL, LISTEN, WEBHOOK_SECRET];

/// Whether a webhook secret is one Telegram accepts: 1–256 of `A-Z a-z 0-9 _ -`.
pub fn valid_webhook_secret(secret: &str) -> bool {
    (1..=256).contains(&secret.len())
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// An http(s) URL; the Bot API base gets a trailing slash (teloxide joins method paths to it).
/// The reason never quotes the value: a URL may carry a token in its path.
fn parse_url(text: &str, base: bool) -> Result<Url, String> {
    let mut url = Url::parse(text.trim()).map_err(|e| format!("not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("not an http(s) URL".to_string());
    }
    if base && !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// [`load_layers`] from a config file's text and an environment (tests).
pub fn load(
    toml_text: &str,
    env: &dyn Fn(&str) -> Option<String>,
    overrides: &Overrides,
) -> Result<Settings, SettingsError> {
    let file = ConfigFile::parse(None, toml_text)?;
    load_layers(
        &Layers::new(file, env, &agent_chatops::config::declared(SETTINGS)),
        overrides,
    )
}

/// Loads every setting from the layers (file, environment) with `overrides` (the command line)
/// over them. Every missing or bad setting — the bot's, the platform's, the engine's — is
/// named in one error.
pub fn load_layers(layers: &Layers, overrides: &Overrides) -> Result<Settings, SettingsError> {
    let layers = layers
        .clone()
        .with_flag(
            WEBHOOK_URL.key,
            "--webhook-url",
            overrides.webhook_url.clone(),
        )
        .with_flag(LISTEN.key, "--listen", overrides.listen.clone());
    let loaded =
        agent_chatops::config::load(&layers, SecretPolicy::Required, |layers, problems| {
            TelegramSettings::from_layers(layers, problems, overrides.no_set_webhook)
        })?;
    let mut engine = loaded.engine;
    engine.upload_limit = Some(loaded.transport.upload_limit);
    Ok(Settings {
        telegram: loaded.transport,
        api: loaded.api,
        engine,
    })
}

impl TelegramSettings {
    /// The `[telegram]` table of the layers; problems go to `problems`.
    fn from_layers(layers: &Layers, problems: &mut Problems, no_set_webhook: bool) -> Option<Self> {
        let before = problems.len();
        let section: TelegramSection = layers.table("telegram", problems);
        let token = section
            .token
            .filter(|t| !t.expose_secret().trim().is_empty());
        match &token {
            None => problems.missing(&TOKEN),
            Some(token)
                if token.expose_secret().contains(char::is_whitespace)
                    || !token.expose_secret().contains(':') =>
            {
                layers.invalid(
                    problems,
                    TOKEN.key,
                    "a bot token looks like 123456789:AA… (digits, a colon, then the secret)",
                );
            }
            Some(_) => {}
        }
        let api_url = section.api_url.as_deref().and_then(|text| {
            parse_url(text, true)
                .map_err(|reason| layers.invalid(problems, API_URL.key, reason))
                .ok()
        });
        let mode = match section.webhook_url {
            None => {
                if section.listen.is_some() {
                    layers.invalid(
                        problems,
                        LISTEN.key,
                        "only used in webhook mode: also set --webhook-url",
                    );
                }
                Some(Mode::Polling)
            }
            Some(text) => {
                let url = parse_url(&text, false)
                    .map_err(|reason| layers.invalid(problems, WEBHOOK_URL.key, reason))
                    .ok();
                let listen_text = section.listen.unwrap_or_else(|| DEFAULT_LISTEN.to_string());
                let listen = listen_text
                    .trim()
                    .parse::<SocketAddr>()
                    .map_err(|_| {
                        layers.invalid(problems, LISTEN.key, "not an address like 0.0.0.0:8443");
                    })
                    .ok();
                let secret = match section.webhook_secret {
                    None => {
                        problems.missing(&WEBHOOK_SECRET);
                        None
                    }
                    Some(secret) if !valid_webhook_secret(secret.expose_secret()) => {
                        layers.invalid(
                            problems,
                            WEBHOOK_SECRET.key,
                            "use 1-256 characters of A-Z a-z 0-9 _ -",
                        );
                        None
                    }
                    Some(secret) => Some(secret),
                };
                match (url, listen, secret) {
                    (Some(url), Some(listen), Some(secret)) => {
                        Some(Mode::Webhook(WebhookSettings {
                            url,
                            listen,
                            secret,
                            set_webhook: !no_set_webhook && section.set_webhook.unwrap_or(true),
                        }))
                    }
                    _ => None,
                }
            }
        };
        let poll_timeout = Duration::from_secs(layers.within(
            problems,
            "telegram.poll_timeout_secs",
            section.poll_timeout_secs,
            1..=15,
            10,
        ));
        let max_concurrent = layers.within(
            problems,
            "telegram.max_concurrent",
            section.max_concurrent,
            1..=256,
            16,
        );
        let upload_limit = layers.within(
            problems,
            "telegram.upload_limit_bytes",
            section.upload_limit_bytes,
            1_024..=(2 << 30),
            DEFAULT_UPLOAD_LIMIT,
        );
        if problems.len() > before {
            return None;
        }
        Some(Self {
            token: token?,
            api_url,
            mode: mode?,
            poll_timeout,
            max_concurrent,
            upload_limit,
            register_commands: section.register_commands.unwrap_or(true),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const TOKEN: &str = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn full_env(extra: &[(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let mut pairs = vec![
            ("TELEGRAM_BOT_TOKEN", TOKEN),
            ("AGENT_API_TOKEN", "platform-token-123"),
            ("AGENT_USER_ID", "5832d184-dd53-42a0-8ace-0bf8d660f4cc"),
            ("AGENT_OPS_ACTION_SECRET", "0123456789abcdef-secret"),
        ];
        pairs.extend_from_slice(extra);
        env(&pairs)
    }

    #[test]
    fn nothing_set_names_everything_missing_in_one_line() {
        let err = load("", &env(&[]), &Overrides::default()).unwrap_err();
        let text = err.to_string();
        assert!(!text.contains('\n'), "{text}");
        assert_eq!(
            err.missing(),
            vec![
                "AGENT_API_TOKEN",
                "AGENT_USER_ID",
                "AGENT_OPS_ACTION_SECRET",
                "TELEGRAM_BOT_TOKEN"
            ]
        );
        for name in [
            "`api.token`",
            "`chatops.secret`",
            "`telegram.token`",
            "@BotFather",
        ] {
            assert!(text.contains(name), "{text}");
        }
        assert!(!text.contains("TELEGRAM_WEBHOOK_SECRET"), "{text}");

        // Only the token missing; the file may hold the others.
        let file = "[api]\ntoken = \"t-123456\"\nuser_id = \"5832d184-dd53-42a0-8ace-0bf8d660f4cc\"\n[chatops]\nsecret = \"0123456789abcdef0\"\n";
        let err = load(file, &env(&[]), &Overrides::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "missing setting TELEGRAM_BOT_TOKEN (or `telegram.token` in the config file): the bot's token from @BotFather (required; never logged)"
        );
    }

    #[test]
    fn polling_by_default_and_secrets_stay_out_of_debug() {
        let settings = load("", &full_env(&[]), &Overrides::default()).unwrap();
        assert!(matches!(settings.telegram.mode, Mode::Polling));
        assert_eq!(settings.telegram.api_url, None);
        assert_eq!(settings.telegram.poll_timeout, Duration::from_secs(10));
        assert!(settings.telegram.register_commands);
        let debug = format!("{settings:?}");
        assert!(!debug.contains(TOKEN), "{debug}");
        assert!(!debug.contains("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"));
        assert!(!debug.contains("0123456789abcdef-secret"));
        let redactor = settings.redactor();
        assert_eq!(
            redactor.redact(&format!(
                "{TOKEN} platform-token-123 0123456789abcdef-secret"
            )),
            "[redacted] [redacted] [redacted]"
        );
    }

    #[test]
    fn a_local_bot_api_url_gets_its_trailing_slash() {
        let settings = load(
            "",
            &full_env(&[("TELEGRAM_API_URL", "http://127.0.0.1:8081/tg")]),
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(
            settings.telegram.api_url.unwrap().as_str(),
            "http://127.0.0.1:8081/tg/"
        );
        let err = load(
            "",
            &full_env(&[("TELEGRAM_API_URL", "ftp://example.com")]),
            &Overrides::default(),
        )
        .unwrap_err();
        assert!(
            err.to_string().starts_with("bad setting TELEGRAM_API_URL"),
            "{err}"
        );
    }

    #[test]
    fn webhook_mode_needs_a_valid_fixed_secret() {
        let overrides = Overrides {
            webhook_url: Some("https://bot.example.com/tg/hook".into()),
            ..Overrides::default()
        };
        let err = load("", &full_env(&[]), &overrides).unwrap_err();
        assert!(
            err.to_string()
                .contains("missing setting TELEGRAM_WEBHOOK_SECRET"),
            "{err}"
        );

        let err = load(
            "",
            &full_env(&[("TELEGRAM_WEBHOOK_SECRET", "has spaces!")]),
            &overrides,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("bad setting TELEGRAM_WEBHOOK_SECRET"),
            "{err}"
        );

        let settings = load(
            "[telegram]\nlisten = \"127.0.0.1:9000\"\nset_webhook = false\n",
            &full_env(&[("TELEGRAM_WEBHOOK_SECRET", "s3cret_value-1")]),
            &overrides,
        )
        .unwrap();
        let Mode::Webhook(webhook) = &settings.telegram.mode else {
            panic!("webhook mode expected");
        };
        assert_eq!(webhook.url.path(), "/tg/hook");
        assert_eq!(webhook.listen, "127.0.0.1:9000".parse().unwrap());
        assert!(!webhook.set_webhook);
        assert!(!format!("{settings:?}").contains("s3cret_value-1"));
        assert_eq!(settings.redactor().redact("s3cret_value-1"), "[redacted]");

        // The command line wins over the file.
        let settings = load(
            "[telegram]\nlisten = \"127.0.0.1:9000\"\n",
            &full_env(&[("TELEGRAM_WEBHOOK_SECRET", "s3cret")]),
            &Overrides {
                listen: Some("127.0.0.1:9100".into()),
                ..overrides.clone()
            },
        )
        .unwrap();
        let Mode::Webhook(webhook) = &settings.telegram.mode else {
            panic!("webhook mode expected");
        };
        assert_eq!(webhook.listen.port(), 9100);
        assert!(webhook.set_webhook);
    }

    #[test]
    fn bad_values_are_named() {
        let bad = |file: &str, extra: &[(&'static str, &'static str)], overrides: &Overrides| {
            load(file, &full_env(extra), overrides)
                .unwrap_err()
                .to_string()
        };
        let none = Overrides::default();
        assert!(
            bad("[telegram]\npoll_timeout_secs = 60\n", &[], &none)
                .starts_with("bad setting telegram.poll_timeout_secs")
        );
        assert!(
            bad("[telegram]\nmax_concurrent = 0\n", &[], &none)
                .starts_with("bad setting telegram.max_concurrent")
        );
        assert!(
            bad("[telegram]\ntokn = \"x\"\n", &[], &none)
                .starts_with("config file (text), line 2, key `telegram.tokn`: unknown key")
        );
        assert!(
            bad("", &[("TELEGRAM_BOT_TOKEN", "not a token")], &none)
                .starts_with("bad setting TELEGRAM_BOT_TOKEN")
        );
        assert!(
            bad("", &[("TELEGRAM_WEBHOOK_LISTEN", "0.0.0.0:1")], &none)
                .starts_with("bad setting TELEGRAM_WEBHOOK_LISTEN: only used in webhook mode")
        );
        let webhook = Overrides {
            webhook_url: Some("https://bot.example.com/hook".into()),
            listen: Some("nowhere".into()),
            ..Overrides::default()
        };
        assert!(
            bad("", &[("TELEGRAM_WEBHOOK_SECRET", "abc")], &webhook)
                .starts_with("bad setting --listen")
        );
        // The engine's own settings are checked too.
        assert!(bad("[chatops]\noperators = [\"irc:bob\"]\n", &[], &none).contains("irc:bob"));
        // No secret in any message.
        let text = bad("[telegram]\npoll_timeout_secs = 60\n", &[], &none);
        assert!(!text.contains("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"));
    }

    #[test]
    fn webhook_secrets_follow_telegrams_rules() {
        assert!(valid_webhook_secret("abc_DEF-123"));
        assert!(!valid_webhook_secret(""));
        assert!(!valid_webhook_secret("a b"));
        assert!(!valid_webhook_secret(&"a".repeat(257)));
    }
}
