//! Configuration of the platform connection: the `[api]` table of the layered settings
//! ([`crate::settings`]: environment variables over the TOML file), with errors that name every
//! missing or bad setting (and never print the token).
//!
//! ```toml
//! [api]
//! base_url = "https://ai.api.longlonglong.cn"   # AGENT_API_BASE_URL
//! token = "..."                                 # AGENT_API_TOKEN (prefer the variable)
//! user_id = "5832d184-dd53-42a0-8ace-0bf8d660f4cc"  # AGENT_USER_ID
//! sub_user_id = "1181ffd3-e3ee-4d75-a45c-8b9be3deb330"  # AGENT_SUB_USER_ID (optional)
//! timeout_secs = 15
//! connect_timeout_secs = 5
//! concurrency = 8
//! page_size = 200
//!
//! [api.retry]
//! max_attempts = 4
//! initial_backoff_ms = 200
//! max_backoff_ms = 5000
//! budget_secs = 30
//! retry_reset_on_transient = false
//! ```

use std::path::Path;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::config_file::ConfigFile;
use crate::ids::{Id, PageSize};
use crate::retry::RetryPolicy;
use crate::settings::{Layers, Problems, Setting, SettingsError};

/// How the facade pages and retries.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// Retries of failed requests.
    pub retry: RetryPolicy,
    /// Pages fetched at once when streaming, and counts at once for a summary. The HTTP client's
    /// own limit (`http.max_in_flight`, set to the same by [`ApiConfig`]) bounds all requests
    /// of the client together.
    pub concurrency: usize,
    /// Numbers per page when streaming a whole filter.
    pub stream_page_size: PageSize,
    /// The underlying HTTP client's settings (timeouts, user agent).
    pub http: agent_api::ClientOptions,
    /// The sub-account used when a filter names none.
    pub default_sub_account: Option<Id>,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            concurrency: 8,
            stream_page_size: PageSize::of::<200>(),
            http: agent_api::ClientOptions::default(),
            default_sub_account: None,
        }
    }
}

/// The production base URL.
pub const DEFAULT_BASE_URL: &str = "https://ai.api.longlonglong.cn";

/// `AGENT_API_BASE_URL`: the platform.
pub const BASE_URL: Setting = Setting::new(
    "api.base_url",
    "AGENT_API_BASE_URL",
    "the agent-api (default https://ai.api.longlonglong.cn)",
);
/// `AGENT_API_TOKEN`: the bearer token.
pub const TOKEN: Setting = Setting::new(
    "api.token",
    "AGENT_API_TOKEN",
    "the bearer token copied from the web console (required; never logged)",
);
/// `AGENT_USER_ID`: the account.
pub const USER_ID: Setting = Setting::new(
    "api.user_id",
    "AGENT_USER_ID",
    "the id of the account whose tasks to work on (required)",
);
/// `AGENT_SUB_USER_ID`: the default sub-account.
pub const SUB_USER_ID: Setting = Setting::new(
    "api.sub_user_id",
    "AGENT_SUB_USER_ID",
    "a default sub-account (optional)",
);
/// The platform's settings that the environment can give, in the order of [`ApiConfig`]'s
/// fields.
pub const SETTINGS: &[Setting] = &[BASE_URL, TOKEN, USER_ID, SUB_USER_ID];

/// Everything needed to talk to the platform.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// The base URL, checked and without a trailing slash.
    pub base_url: String,
    /// The bearer token (its `Debug` output is redacted).
    pub token: SecretString,
    /// The main account's id (`{user_id}` in paths).
    pub user_id: String,
    /// Paging, retries, HTTP settings and the default sub-account.
    pub settings: ClientSettings,
}

/// The `[api]` table of a configuration file; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSection {
    /// See [`ApiConfig::base_url`].
    pub base_url: Option<String>,
    /// See [`ApiConfig::token`].
    pub token: Option<SecretString>,
    /// See [`ApiConfig::user_id`].
    pub user_id: Option<String>,
    /// The default sub-account.
    pub sub_user_id: Option<String>,
    /// Seconds allowed per request.
    pub timeout_secs: Option<f64>,
    /// Seconds allowed to connect.
    pub connect_timeout_secs: Option<f64>,
    /// Pages fetched at once.
    pub concurrency: Option<usize>,
    /// Numbers per page when streaming.
    pub page_size: Option<i64>,
    /// Retries.
    #[serde(default)]
    pub retry: RetrySection,
}

/// The `[api.retry]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrySection {
    /// See [`RetryPolicy::max_attempts`].
    pub max_attempts: Option<u32>,
    /// See [`RetryPolicy::initial_backoff`], in milliseconds.
    pub initial_backoff_ms: Option<u64>,
    /// See [`RetryPolicy::max_backoff`], in milliseconds.
    pub max_backoff_ms: Option<u64>,
    /// See [`RetryPolicy::budget`], in seconds.
    pub budget_secs: Option<f64>,
    /// See [`RetryPolicy::retry_reset_on_transient`].
    pub retry_reset_on_transient: Option<bool>,
}

/// Seconds in (0, 3600], or the default; a bad value is added to `problems`.
fn seconds(
    layers: &Layers,
    problems: &mut Problems,
    key: &str,
    value: Option<f64>,
    default: Duration,
) -> Duration {
    match value {
        None => default,
        Some(v) if v.is_finite() && v > 0.0 && v <= 3600.0 => Duration::from_secs_f64(v),
        Some(v) => {
            layers.invalid(
                problems,
                key,
                format!("{v} is not between 0 and 3600 seconds"),
            );
            default
        }
    }
}

impl ApiConfig {
    /// The settings of the layered `[api]` table; every problem is added to `problems` (and
    /// `None` returned when there is one).
    pub fn from_layers(layers: &Layers, problems: &mut Problems) -> Option<Self> {
        let before = problems.len();
        let file: ApiSection = layers.table("api", problems);

        let base_url = file
            .base_url
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        let base_url = match agent_api::normalize_base_url(&base_url) {
            Ok(url) => url,
            Err(err) => {
                layers.invalid(problems, BASE_URL.key, err.to_string());
                String::new()
            }
        };

        let token = file.token.filter(|t| !t.expose_secret().trim().is_empty());
        if token.is_none() {
            problems.missing(&TOKEN);
        }

        let user_id = match file.user_id {
            None => {
                problems.missing(&USER_ID);
                None
            }
            Some(id) => match Id::task(&id) {
                Ok(id) => Some(id.as_str().to_string()),
                Err(_) => {
                    layers.invalid(
                        problems,
                        USER_ID.key,
                        "not an account id (1-64 letters, digits, `-` or `_`)",
                    );
                    None
                }
            },
        };

        let default_sub_account = match file.sub_user_id {
            None => None,
            Some(value) => match Id::sub_account(&value) {
                Ok(id) => Some(id),
                Err(_) => {
                    layers.invalid(
                        problems,
                        SUB_USER_ID.key,
                        "not a sub-account id (1-64 letters, digits, `-` or `_`)",
                    );
                    None
                }
            },
        };

        let defaults = ClientSettings::default();
        let concurrency = layers.within(
            problems,
            "api.concurrency",
            file.concurrency,
            1..=64,
            defaults.concurrency,
        );
        let http = agent_api::ClientOptions {
            timeout: seconds(
                layers,
                problems,
                "api.timeout_secs",
                file.timeout_secs,
                defaults.http.timeout,
            ),
            connect_timeout: seconds(
                layers,
                problems,
                "api.connect_timeout_secs",
                file.connect_timeout_secs,
                defaults.http.connect_timeout,
            ),
            max_in_flight: Some(concurrency),
            ..defaults.http
        };
        let stream_page_size = match file.page_size {
            None => defaults.stream_page_size,
            Some(n) => PageSize::new(n).unwrap_or_else(|e| {
                layers.invalid(problems, "api.page_size", e.to_string());
                defaults.stream_page_size
            }),
        };
        let retry_defaults = RetryPolicy::default();
        let retry = RetryPolicy {
            max_attempts: layers.within(
                problems,
                "api.retry.max_attempts",
                file.retry.max_attempts,
                1..=20,
                retry_defaults.max_attempts,
            ),
            initial_backoff: file
                .retry
                .initial_backoff_ms
                .map_or(retry_defaults.initial_backoff, Duration::from_millis),
            max_backoff: file
                .retry
                .max_backoff_ms
                .map_or(retry_defaults.max_backoff, Duration::from_millis),
            budget: seconds(
                layers,
                problems,
                "api.retry.budget_secs",
                file.retry.budget_secs,
                retry_defaults.budget,
            ),
            retry_reset_on_transient: file
                .retry
                .retry_reset_on_transient
                .unwrap_or(retry_defaults.retry_reset_on_transient),
        };
        if problems.len() > before {
            return None;
        }
        Some(Self {
            base_url,
            token: token?,
            user_id: user_id?,
            settings: ClientSettings {
                retry,
                concurrency,
                stream_page_size,
                http,
                default_sub_account,
            },
        })
    }

    /// From the layered settings alone.
    pub fn load(layers: &Layers) -> Result<Self, SettingsError> {
        let mut problems = Problems::new();
        let config = Self::from_layers(layers, &mut problems);
        problems
            .finish(config)?
            .ok_or_else(|| SettingsError::invalid("[api]", "incomplete"))
    }

    /// From environment variables read through `env` (a simulator's `env()`, or a test's), no
    /// file.
    pub fn from_lookup(env: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        Self::load(&Layers::from_env(&env, &[SETTINGS]))
    }

    /// From the process environment alone.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// From a TOML file's `[api]` table (other tables are left to their owners) under the
    /// process environment.
    pub fn from_file(path: &Path) -> Result<Self, SettingsError> {
        let file = ConfigFile::read(Some(path))?;
        Self::load(&Layers::new(
            file,
            &|name| std::env::var(name).ok(),
            &[SETTINGS],
        ))
    }

    /// Whether any of the `AGENT_*` variables is set (then the platform is meant, not a local
    /// stand-in).
    pub fn env_is_set(env: impl Fn(&str) -> Option<String>) -> bool {
        SETTINGS
            .iter()
            .any(|setting| env(setting.env).is_some_and(|v| !v.trim().is_empty()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn the_environment_alone_is_enough() {
        let config = ApiConfig::from_lookup(env(&[
            ("AGENT_API_TOKEN", "tok"),
            ("AGENT_USER_ID", "u-1"),
            ("AGENT_SUB_USER_ID", "s-1"),
        ]))
        .unwrap();
        assert_eq!(config.base_url, DEFAULT_BASE_URL);
        assert_eq!(config.user_id, "u-1");
        assert_eq!(config.settings.default_sub_account.unwrap().as_str(), "s-1");
    }

    #[test]
    fn missing_settings_are_named() {
        let err = ApiConfig::from_lookup(env(&[("AGENT_USER_ID", "u")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "missing setting AGENT_API_TOKEN (or `api.token` in the config file): the bearer token copied from the web console (required; never logged)"
        );
        let err = ApiConfig::from_lookup(env(&[("AGENT_API_TOKEN", "t")])).unwrap_err();
        assert!(err.to_string().contains("AGENT_USER_ID"), "{err}");
        // Both at once, in one error.
        let err = ApiConfig::from_lookup(env(&[])).unwrap_err();
        assert_eq!(err.missing(), vec!["AGENT_API_TOKEN", "AGENT_USER_ID"]);
    }

    #[test]
    fn bad_settings_are_named_and_the_token_never_shown() {
        let err = ApiConfig::from_lookup(env(&[
            ("AGENT_API_TOKEN", "sekrit"),
            ("AGENT_USER_ID", "u"),
            ("AGENT_API_BASE_URL", "ftp://x"),
        ]))
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("bad setting AGENT_API_BASE_URL"),
            "{err}"
        );
        let config = ApiConfig::from_lookup(env(&[
            ("AGENT_API_TOKEN", "sekrit"),
            ("AGENT_USER_ID", "u"),
        ]))
        .unwrap();
        assert!(!format!("{config:?}").contains("sekrit"));
    }

    fn layers(text: &str, pairs: &[(&str, &str)]) -> Layers {
        let file = ConfigFile::parse(Some(Path::new("ops.toml")), text).unwrap();
        Layers::new(file, &env(pairs), &[SETTINGS])
    }

    #[test]
    fn files_and_environment_combine() {
        let config = ApiConfig::load(&layers(
            r#"
            [api]
            base_url = "http://10.0.0.7:19999/"
            token = "from-file"
            user_id = "u-file"
            concurrency = 4
            page_size = 500
            [api.retry]
            max_attempts = 2
            [telegram]
            anything = "is left to its owner"
            "#,
            &[("AGENT_USER_ID", "u-env")],
        ))
        .unwrap();
        assert_eq!(config.base_url, "http://10.0.0.7:19999");
        assert_eq!(config.token.expose_secret(), "from-file");
        assert_eq!(config.user_id, "u-env");
        assert_eq!(config.settings.concurrency, 4);
        assert_eq!(config.settings.http.max_in_flight, Some(4));
        assert_eq!(config.settings.stream_page_size.get(), 500);
        assert_eq!(config.settings.retry.max_attempts, 2);

        let err = ApiConfig::load(&layers("[api]\nconcurrancy = 3\n", &[])).unwrap_err();
        assert!(err.to_string().contains("concurrancy"), "{err}");
        let err = ApiConfig::load(&layers(
            "[api]\npage_size = 0\ntoken='t'\nuser_id='u'\n",
            &[],
        ))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "config file ops.toml, line 2, key `api.page_size`: page size must be between 1 and 1000, not 0"
        );
    }

    #[test]
    fn env_detection() {
        assert!(!ApiConfig::env_is_set(env(&[])));
        assert!(!ApiConfig::env_is_set(env(&[("AGENT_API_TOKEN", " ")])));
        assert!(ApiConfig::env_is_set(env(&[("AGENT_USER_ID", "u")])));
    }
}
