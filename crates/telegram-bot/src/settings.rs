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
//! register_commands = true            # call setMyCommands (en and zh) at start
//! ```

use agent_core::ConfigFile;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use agent_chatops::EngineConfig;
use agent_chatops::config::LoadError;
use agent_core::ApiConfig;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use crate::redact::Redactor;

/// The default address of the webhook server.
pub const DEFAULT_LISTEN: &str = "0.0.0.0:8443";

/// The environment variables the bot reads itself (the engine reads `AGENT_*`).
pub const ENV_VARS: [&str; 5] = [
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_URL",
    "TELEGRAM_WEBHOOK_URL",
    "TELEGRAM_WEBHOOK_LISTEN",
    "TELEGRAM_WEBHOOK_SECRET",
];

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

/// A required setting that is not set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Missing {
    /// The environment variable.
    pub env: &'static str,
    /// What it is.
    pub what: &'static str,
}

/// Why the settings cannot be used; one line that names the settings, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// Required settings are missing.
    #[error("{}", missing_message(.0))]
    Missing(Vec<Missing>),
    /// A setting has a bad value.
    #[error("bad setting {setting}: {reason}")]
    Invalid {
        /// Which.
        setting: String,
        /// Why.
        reason: String,
    },
    /// The platform or engine settings.
    #[error(transparent)]
    Engine(#[from] LoadError),
}

fn missing_message(missing: &[Missing]) -> String {
    let list: Vec<String> = missing
        .iter()
        .map(|m| format!("{} ({})", m.env, m.what))
        .collect();
    format!(
        "missing {}; set {} in the environment (or in the config file given by --config or AGENT_OPS_CONFIG); see telegram-bot --help",
        list.join(", "),
        if missing.len() == 1 { "it" } else { "them" }
    )
}

fn invalid(setting: &str, reason: impl fmt::Display) -> SettingsError {
    SettingsError::Invalid {
        setting: setting.to_string(),
        reason: reason.to_string(),
    }
}

/// The `[telegram]` table of a configuration file (defaults when absent).
pub fn telegram_section(file: &ConfigFile) -> Result<TelegramSection, SettingsError> {
    file.section("telegram")
        .map_err(|e| SettingsError::Engine(LoadError::File(e)))
}

/// Whether a webhook secret is one Telegram accepts: 1–256 of `A-Z a-z 0-9 _ -`.
pub fn valid_webhook_secret(secret: &str) -> bool {
    (1..=256).contains(&secret.len())
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// An http(s) URL; the Bot API base gets a trailing slash (teloxide joins method paths to it).
fn parse_url(setting: &str, text: &str, base: bool) -> Result<Url, SettingsError> {
    // The value is never quoted: a URL may carry a token in its path.
    let mut url =
        Url::parse(text.trim()).map_err(|e| invalid(setting, format!("not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid(setting, "not an http(s) URL"));
    }
    if base && !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// [`load_file`] from a config file's text (tests).
pub fn load(
    toml_text: &str,
    env: &dyn Fn(&str) -> Option<String>,
    overrides: &Overrides,
) -> Result<Settings, SettingsError> {
    let file = ConfigFile::parse(None, toml_text)
        .map_err(|e| SettingsError::Engine(LoadError::File(e)))?;
    load_file(&file, env, overrides)
}

/// Loads every setting: `overrides` (the command line) over `env` over the config file.
/// All missing required settings are named at once.
pub fn load_file(
    file: &ConfigFile,
    env: &dyn Fn(&str) -> Option<String>,
    overrides: &Overrides,
) -> Result<Settings, SettingsError> {
    let env = |name: &str| {
        env(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let section = telegram_section(file)?;
    let api_section = agent_core::config::api_section(file).map_err(LoadError::File)?;
    let chatops_section = EngineConfig::section(file).map_err(LoadError::Engine)?;

    let webhook_url = overrides
        .webhook_url
        .clone()
        .map(|v| ("--webhook-url", v))
        .or_else(|| env("TELEGRAM_WEBHOOK_URL").map(|v| ("TELEGRAM_WEBHOOK_URL", v)))
        .or_else(|| {
            section
                .webhook_url
                .clone()
                .map(|v| ("telegram.webhook_url", v))
        });
    let listen = overrides
        .listen
        .clone()
        .map(|v| ("--listen", v))
        .or_else(|| env("TELEGRAM_WEBHOOK_LISTEN").map(|v| ("TELEGRAM_WEBHOOK_LISTEN", v)))
        .or_else(|| section.listen.clone().map(|v| ("telegram.listen", v)));

    let token = env("TELEGRAM_BOT_TOKEN")
        .map(SecretString::from)
        .or_else(|| section.token.clone());
    let webhook_secret = env("TELEGRAM_WEBHOOK_SECRET")
        .map(SecretString::from)
        .or_else(|| section.webhook_secret.clone());

    let mut missing = Vec::new();
    if token.is_none() {
        missing.push(Missing {
            env: "TELEGRAM_BOT_TOKEN",
            what: "the bot's token from @BotFather",
        });
    }
    if env("AGENT_API_TOKEN").is_none() && api_section.token.is_none() {
        missing.push(Missing {
            env: "AGENT_API_TOKEN",
            what: "the agent-api bearer token from the web console",
        });
    }
    if env("AGENT_USER_ID").is_none() && api_section.user_id.is_none() {
        missing.push(Missing {
            env: "AGENT_USER_ID",
            what: "the account whose tasks to work on",
        });
    }
    if env("AGENT_OPS_ACTION_SECRET").is_none() && chatops_section.secret.is_none() {
        missing.push(Missing {
            env: "AGENT_OPS_ACTION_SECRET",
            what: "16 or more characters that sign the buttons, the same on every replica",
        });
    }
    if webhook_url.is_some() && webhook_secret.is_none() {
        missing.push(Missing {
            env: "TELEGRAM_WEBHOOK_SECRET",
            what: "the webhook's secret token, 1-256 of A-Z a-z 0-9 _ -",
        });
    }
    let (Some(token), true) = (token, missing.is_empty()) else {
        return Err(SettingsError::Missing(missing));
    };

    if token.expose_secret().contains(char::is_whitespace) || !token.expose_secret().contains(':') {
        return Err(invalid(
            "TELEGRAM_BOT_TOKEN",
            "a bot token looks like 123456789:AA… (digits, a colon, then the secret)",
        ));
    }
    let api_url = match env("TELEGRAM_API_URL")
        .map(|v| ("TELEGRAM_API_URL", v))
        .or_else(|| section.api_url.clone().map(|v| ("telegram.api_url", v)))
    {
        Some((setting, text)) => Some(parse_url(setting, &text, true)?),
        None => None,
    };

    let mode = match webhook_url {
        None => {
            if let Some((setting, _)) = listen {
                return Err(invalid(
                    setting,
                    "only used in webhook mode: also set --webhook-url",
                ));
            }
            Mode::Polling
        }
        Some((setting, text)) => {
            let url = parse_url(setting, &text, false)?;
            let (listen_setting, listen_text) =
                listen.unwrap_or(("--listen", DEFAULT_LISTEN.to_string()));
            let listen: SocketAddr = listen_text.trim().parse().map_err(|_| {
                invalid(
                    listen_setting,
                    format!("`{listen_text}` is not an address like 0.0.0.0:8443"),
                )
            })?;
            let secret = webhook_secret.unwrap_or_else(|| SecretString::from(String::new()));
            if !valid_webhook_secret(secret.expose_secret()) {
                return Err(invalid(
                    "TELEGRAM_WEBHOOK_SECRET",
                    "use 1-256 characters of A-Z a-z 0-9 _ -",
                ));
            }
            Mode::Webhook(WebhookSettings {
                url,
                listen,
                secret,
                set_webhook: !overrides.no_set_webhook && section.set_webhook.unwrap_or(true),
            })
        }
    };

    let poll_timeout = match section.poll_timeout_secs {
        None => Duration::from_secs(10),
        Some(secs) if (1..=15).contains(&secs) => Duration::from_secs(secs),
        Some(secs) => {
            return Err(invalid(
                "telegram.poll_timeout_secs",
                format!("{secs} is not between 1 and 15"),
            ));
        }
    };
    let max_concurrent = match section.max_concurrent {
        None => 16,
        Some(n) if (1..=256).contains(&n) => n,
        Some(n) => {
            return Err(invalid(
                "telegram.max_concurrent",
                format!("{n} is not between 1 and 256"),
            ));
        }
    };

    let (api, engine) = agent_chatops::config::load(file, &|name: &str| env(name))?;
    Ok(Settings {
        telegram: TelegramSettings {
            token,
            api_url,
            mode,
            poll_timeout,
            max_concurrent,
            register_commands: section.register_commands.unwrap_or(true),
        },
        api,
        engine,
    })
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
        assert!(
            text.starts_with(
                "missing TELEGRAM_BOT_TOKEN (the bot's token from @BotFather), AGENT_API_TOKEN"
            ),
            "{text}"
        );
        for name in ["AGENT_USER_ID", "AGENT_OPS_ACTION_SECRET"] {
            assert!(text.contains(name), "{text}");
        }
        assert!(!text.contains("TELEGRAM_WEBHOOK_SECRET"), "{text}");

        // Only the token missing; the file may hold the others.
        let file = "[api]\ntoken = \"t-123456\"\nuser_id = \"5832d184-dd53-42a0-8ace-0bf8d660f4cc\"\n[chatops]\nsecret = \"0123456789abcdef0\"\n";
        let err = load(file, &env(&[]), &Overrides::default()).unwrap_err();
        assert_eq!(
            err,
            SettingsError::Missing(vec![Missing {
                env: "TELEGRAM_BOT_TOKEN",
                what: "the bot's token from @BotFather"
            }])
        );
        assert!(err.to_string().contains("set it in the environment"));
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
            err.to_string().contains("missing TELEGRAM_WEBHOOK_SECRET"),
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
                .starts_with("config file (text), line 2, key `telegram.tokn`: unknown field")
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
