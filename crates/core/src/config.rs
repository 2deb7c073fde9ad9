//! Configuration of the platform connection: environment variables over a TOML file's `[api]`
//! table, with errors that name the missing or bad setting (and never print the token).
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

use crate::ids::{Id, PageSize};
use crate::retry::RetryPolicy;

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

/// The environment variables read, in the order of [`ApiConfig`]'s fields.
pub const ENV_VARS: [&str; 4] = [
    "AGENT_API_BASE_URL",
    "AGENT_API_TOKEN",
    "AGENT_USER_ID",
    "AGENT_SUB_USER_ID",
];

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

/// A setting that is missing or wrong. Messages name the setting, never the token's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required setting is not set.
    #[error("missing setting {env} (or `{key}` under [api] in the config file): {what}")]
    Missing {
        /// The environment variable.
        env: &'static str,
        /// The file key.
        key: &'static str,
        /// What it is.
        what: &'static str,
    },
    /// A setting has a bad value.
    #[error("bad setting {setting}: {reason}")]
    Invalid {
        /// The environment variable or file key.
        setting: String,
        /// Why.
        reason: String,
    },
    /// The file cannot be read or parsed; names the file, line and key, never a value.
    #[error(transparent)]
    File(#[from] crate::config_file::ConfigFileError),
}

fn invalid(setting: &str, reason: impl ToString) -> ConfigError {
    ConfigError::Invalid {
        setting: setting.to_string(),
        reason: reason.to_string(),
    }
}

fn seconds(setting: &str, value: Option<f64>, default: Duration) -> Result<Duration, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) if v.is_finite() && v > 0.0 && v <= 3600.0 => Ok(Duration::from_secs_f64(v)),
        Some(v) => Err(invalid(
            setting,
            format!("{v} is not between 0 and 3600 seconds"),
        )),
    }
}

impl ApiConfig {
    /// Combines a file's `[api]` table with the environment (which wins), via `env` so tests need
    /// not touch the process environment.
    pub fn resolve(
        file: ApiSection,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let env = |name: &str| {
            env(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };

        let (base_setting, base_url) = match env("AGENT_API_BASE_URL") {
            Some(url) => ("AGENT_API_BASE_URL", url),
            None => (
                "api.base_url",
                file.base_url
                    .unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
            ),
        };
        let base_url =
            agent_api::normalize_base_url(&base_url).map_err(|e| invalid(base_setting, e))?;

        let token = match env("AGENT_API_TOKEN") {
            Some(token) => SecretString::from(token),
            None => file.token.ok_or(ConfigError::Missing {
                env: "AGENT_API_TOKEN",
                key: "token",
                what: "the bearer token copied from the web console",
            })?,
        };
        if token.expose_secret().trim().is_empty() {
            return Err(invalid("AGENT_API_TOKEN", "it is empty"));
        }

        let (user_setting, user_id) = match env("AGENT_USER_ID") {
            Some(id) => ("AGENT_USER_ID", id),
            None => (
                "api.user_id",
                file.user_id.ok_or(ConfigError::Missing {
                    env: "AGENT_USER_ID",
                    key: "user_id",
                    what: "the id of the account whose tasks to work on",
                })?,
            ),
        };
        let user_id = Id::task(&user_id)
            .map_err(|_| invalid(user_setting, format!("`{user_id}` is not an account id")))?
            .as_str()
            .to_string();

        let default_sub_account = match env("AGENT_SUB_USER_ID")
            .map(|v| ("AGENT_SUB_USER_ID", v))
            .or(file.sub_user_id.map(|v| ("api.sub_user_id", v)))
        {
            Some((setting, value)) => {
                Some(Id::sub_account(&value).map_err(|e| invalid(setting, e))?)
            }
            None => None,
        };

        let defaults = ClientSettings::default();
        let http = agent_api::ClientOptions {
            timeout: seconds("api.timeout_secs", file.timeout_secs, defaults.http.timeout)?,
            connect_timeout: seconds(
                "api.connect_timeout_secs",
                file.connect_timeout_secs,
                defaults.http.connect_timeout,
            )?,
            ..defaults.http
        };
        let concurrency = match file.concurrency {
            None => defaults.concurrency,
            Some(n) if (1..=64).contains(&n) => n,
            Some(n) => {
                return Err(invalid(
                    "api.concurrency",
                    format!("{n} is not between 1 and 64"),
                ));
            }
        };
        let http = agent_api::ClientOptions {
            max_in_flight: Some(concurrency),
            ..http
        };
        let stream_page_size = match file.page_size {
            None => defaults.stream_page_size,
            Some(n) => PageSize::new(n).map_err(|e| invalid("api.page_size", e))?,
        };
        let retry_defaults = RetryPolicy::default();
        let retry = RetryPolicy {
            max_attempts: match file.retry.max_attempts {
                None => retry_defaults.max_attempts,
                Some(n) if (1..=20).contains(&n) => n,
                Some(n) => {
                    return Err(invalid(
                        "api.retry.max_attempts",
                        format!("{n} is not between 1 and 20"),
                    ));
                }
            },
            initial_backoff: file
                .retry
                .initial_backoff_ms
                .map_or(retry_defaults.initial_backoff, Duration::from_millis),
            max_backoff: file
                .retry
                .max_backoff_ms
                .map_or(retry_defaults.max_backoff, Duration::from_millis),
            budget: seconds(
                "api.retry.budget_secs",
                file.retry.budget_secs,
                retry_defaults.budget,
            )?,
            retry_reset_on_transient: file
                .retry
                .retry_reset_on_transient
                .unwrap_or(retry_defaults.retry_reset_on_transient),
        };
        Ok(Self {
            base_url,
            token,
            user_id,
            settings: ClientSettings {
                retry,
                concurrency,
                stream_page_size,
                http,
                default_sub_account,
            },
        })
    }

    /// From the process environment alone.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::resolve(ApiSection::default(), |name| std::env::var(name).ok())
    }

    /// From a TOML file's `[api]` table (other tables are left to their owners) and the process
    /// environment.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let file = crate::config_file::ConfigFile::read(Some(path))?;
        Self::resolve(api_section(&file)?, |name| std::env::var(name).ok())
    }

    /// Whether any of the four `AGENT_*` variables is set (then the platform is meant, not a
    /// local stand-in).
    pub fn env_is_set(env: impl Fn(&str) -> Option<String>) -> bool {
        ENV_VARS
            .iter()
            .any(|name| env(name).is_some_and(|v| !v.trim().is_empty()))
    }
}

/// The `[api]` table of a configuration file (empty when absent).
pub fn api_section(
    file: &crate::config_file::ConfigFile,
) -> Result<ApiSection, crate::config_file::ConfigFileError> {
    file.section("api")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn the_environment_alone_is_enough() {
        let config = ApiConfig::resolve(
            ApiSection::default(),
            env(&[
                ("AGENT_API_TOKEN", "tok"),
                ("AGENT_USER_ID", "u-1"),
                ("AGENT_SUB_USER_ID", "s-1"),
            ]),
        )
        .unwrap();
        assert_eq!(config.base_url, DEFAULT_BASE_URL);
        assert_eq!(config.user_id, "u-1");
        assert_eq!(config.settings.default_sub_account.unwrap().as_str(), "s-1");
    }

    #[test]
    fn missing_settings_are_named() {
        let err =
            ApiConfig::resolve(ApiSection::default(), env(&[("AGENT_USER_ID", "u")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "missing setting AGENT_API_TOKEN (or `token` under [api] in the config file): the bearer token copied from the web console"
        );
        let err = ApiConfig::resolve(ApiSection::default(), env(&[("AGENT_API_TOKEN", "t")]))
            .unwrap_err();
        assert!(err.to_string().contains("AGENT_USER_ID"), "{err}");
    }

    #[test]
    fn bad_settings_are_named_and_the_token_never_shown() {
        let err = ApiConfig::resolve(
            ApiSection::default(),
            env(&[
                ("AGENT_API_TOKEN", "sekrit"),
                ("AGENT_USER_ID", "u"),
                ("AGENT_API_BASE_URL", "ftp://x"),
            ]),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("bad setting AGENT_API_BASE_URL"),
            "{err}"
        );
        let config = ApiConfig::resolve(
            ApiSection::default(),
            env(&[("AGENT_API_TOKEN", "sekrit"), ("AGENT_USER_ID", "u")]),
        )
        .unwrap();
        assert!(!format!("{config:?}").contains("sekrit"));
    }

    fn doc(text: &str) -> crate::ConfigFile {
        crate::ConfigFile::parse(None, text).unwrap()
    }

    #[test]
    fn files_and_environment_combine() {
        let section = api_section(&doc(r#"
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
            "#))
        .unwrap();
        let config = ApiConfig::resolve(section, env(&[("AGENT_USER_ID", "u-env")])).unwrap();
        assert_eq!(config.base_url, "http://10.0.0.7:19999");
        assert_eq!(config.token.expose_secret(), "from-file");
        assert_eq!(config.user_id, "u-env");
        assert_eq!(config.settings.concurrency, 4);
        assert_eq!(config.settings.http.max_in_flight, Some(4));
        assert_eq!(config.settings.stream_page_size.get(), 500);
        assert_eq!(config.settings.retry.max_attempts, 2);

        let err = api_section(&doc("[api]\nconcurrancy = 3\n")).unwrap_err();
        assert!(err.to_string().contains("concurrancy"), "{err}");
        let section = api_section(&doc("[api]\npage_size = 0\ntoken='t'\nuser_id='u'\n")).unwrap();
        let err = ApiConfig::resolve(section, env(&[])).unwrap_err();
        assert!(
            err.to_string().starts_with("bad setting api.page_size"),
            "{err}"
        );
    }

    #[test]
    fn env_detection() {
        assert!(!ApiConfig::env_is_set(env(&[])));
        assert!(!ApiConfig::env_is_set(env(&[("AGENT_API_TOKEN", " ")])));
        assert!(ApiConfig::env_is_set(env(&[("AGENT_USER_ID", "u")])));
    }
}
