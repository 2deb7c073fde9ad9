//! The bot's own settings, the `[telegram]` table (each declared once below; the platform's
//! and the engine's are `agent-core`'s and `agent-chatops`'), and loading them all in one go.

use std::net::SocketAddr;
use std::time::Duration;

use agent_chatops::config::{HttpUrl, Layers, ListenAddress, Loaded, Problems, SettingsError};
use agent_chatops::config::{Table, text_layers};
use agent_chatops::{EngineConfig, SecretPolicy};
use agent_core::ApiConfig;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::service::valid_webhook_secret;

agent_ops_settings::section! {
    /// The Telegram bot: its token, how updates arrive (long polling, or a webhook), limits.
    pub struct TelegramSection in "telegram" => TelegramValues, TelegramKeys {
        /// the bot's token from @BotFather (required; never logged)
        token: SecretString, env "TELEGRAM_BOT_TOKEN";
        /// a Bot API server other than Telegram's (e.g. a local telegram-bot-api)
        api_url: HttpUrl, env "TELEGRAM_API_URL", shown "https://api.telegram.org/",
            example "\"http://127.0.0.1:8081/\"";
        /// webhook mode: the public HTTPS URL Telegram posts updates to
        webhook_url: HttpUrl, env "TELEGRAM_WEBHOOK_URL", flag "--webhook-url",
            shown "none, long polling", example "\"https://bot.example.com/telegram\"";
        /// webhook mode: the local address to listen on
        listen: ListenAddress = "0.0.0.0:8443", env "TELEGRAM_WEBHOOK_LISTEN", flag "--listen";
        /// the webhook's secret token, 1-256 of A-Z a-z 0-9 _ - (required in webhook mode)
        webhook_secret: SecretString, env "TELEGRAM_WEBHOOK_SECRET";
        /// webhook mode: call setWebhook at start (false: it is set out of band; also
        /// --no-set-webhook)
        set_webhook: bool = true;
        /// long polling: seconds Telegram holds a getUpdates call
        poll_timeout_secs: u64 = 10, range 1..=15;
        /// updates handled at once
        max_concurrent: usize = 16, range 1..=256;
        /// the largest file the bot sends, in bytes (a larger export is gzipped or split); the
        /// Bot API's limit is 50 MB, counted in decimal to be safe
        upload_limit_bytes: u64 = 50_000_000, range 1_024..=(2 << 30);
        /// publish the command menu (en and zh) with setMyCommands at start
        register_commands: bool = true;
    }
}

/// The bot's table.
pub const TABLES: &[Table] = &[TelegramSection::DECLARED];

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
    /// The largest file the bot sends (the Bot API's 50 MB unless configured).
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

/// [`load_layers`] from a config file's text and an environment (tests).
pub fn load(
    toml_text: &str,
    env: &dyn Fn(&str) -> Option<String>,
    overrides: &Overrides,
) -> Result<Settings, SettingsError> {
    load_layers(&text_layers(toml_text, env, TABLES)?, overrides)
}

/// Every setting from the layers (file, environment) with `overrides` (the command line) over
/// them: the platform's and the engine's, then the bot's; every missing or bad one is named in
/// one error.
pub fn load_layers(layers: &Layers, overrides: &Overrides) -> Result<Settings, SettingsError> {
    let keys = TelegramSection::KEYS;
    let layers = layers
        .clone()
        .with_flag(&keys.webhook_url, overrides.webhook_url.clone())
        .with_flag(&keys.listen, overrides.listen.clone());
    let mut problems = Problems::new();
    let shared = Loaded::resolve(&layers, &mut problems, SecretPolicy::Required);
    let telegram = TelegramSettings::resolve(&layers, &mut problems, overrides.no_set_webhook);
    let (Loaded { api, engine }, telegram) = problems.conclude(shared.zip(telegram))?;
    Ok(Settings {
        telegram,
        api,
        engine,
    })
}

impl TelegramSettings {
    /// The `[telegram]` table of the layers; problems go to `problems`, which the caller
    /// concludes (a value out of range stands here as its default).
    fn resolve(layers: &Layers, problems: &mut Problems, no_set_webhook: bool) -> Option<Self> {
        let keys = TelegramSection::KEYS;
        let values = layers.values::<TelegramSection>(problems);
        let token = values
            .token
            .filter(|t| !t.expose_secret().trim().is_empty());
        match token.as_ref().map(ExposeSecret::expose_secret) {
            None => problems.missing(&keys.token),
            Some(token) if token.contains(char::is_whitespace) || !token.contains(':') => {
                let why = "a bot token looks like 123456789:AA… (digits, a colon, then the secret)";
                layers.invalid(problems, keys.token.key, why);
            }
            Some(_) => {}
        }
        let api_url = values.api_url.and_then(|url| url.base().ok());
        // A bad URL or address has been reported by `values`: their types check them.
        let mode = match values.webhook_url {
            None if layers.is_set(keys.listen.key) => {
                let why = "only used in webhook mode: also set --webhook-url";
                layers.invalid(problems, keys.listen.key, why);
                None
            }
            None => Some(Mode::Polling),
            Some(url) => {
                let secret = values.webhook_secret;
                match secret.as_ref().map(ExposeSecret::expose_secret) {
                    None => problems.missing(&keys.webhook_secret),
                    Some(secret) if !valid_webhook_secret(secret) => {
                        let why = "use 1-256 characters of A-Z a-z 0-9 _ -";
                        layers.invalid(problems, keys.webhook_secret.key, why);
                    }
                    Some(_) => {}
                }
                Some(Mode::Webhook(WebhookSettings {
                    url: url.parse().ok()?,
                    listen: values.listen.parse().ok()?,
                    secret: secret?,
                    set_webhook: !no_set_webhook && values.set_webhook,
                }))
            }
        };
        Some(Self {
            token: token?,
            api_url,
            mode: mode?,
            poll_timeout: Duration::from_secs(values.poll_timeout_secs),
            max_concurrent: values.max_concurrent,
            upload_limit: values.upload_limit_bytes,
            register_commands: values.register_commands,
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
