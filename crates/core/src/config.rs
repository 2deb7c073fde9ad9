//! Configuration of the platform connection: the `[api]` table of the layered settings
//! (environment variables over the TOML file, by `agent-ops-settings`), with errors that name
//! every missing or bad setting (and never print the token). Each setting is declared once,
//! below; `docs/configuration.md` is written from the declarations.

use std::path::Path;
use std::time::Duration;

use agent_ops_settings::{ConfigFile, Kind, Layers, Problems, Seconds, SettingsError, Table};
use secrecy::{ExposeSecret, SecretString};

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

agent_ops_settings::section! {
    /// The platform: where it is, who we are there, and how requests are paged and timed.
    pub struct ApiSection in "api" => ApiValues, ApiKeys {
        /// the agent-api (any host that resells the API)
        base_url: String = DEFAULT_BASE_URL, env "AGENT_API_BASE_URL";
        /// the bearer token copied from the web console (required; never logged)
        token: SecretString, env "AGENT_API_TOKEN";
        /// the id of the account whose tasks to work on (required)
        user_id: String, env "AGENT_USER_ID", example "\"5832d184-dd53-42a0-8ace-0bf8d660f4cc\"";
        /// a default sub-account (optional)
        sub_user_id: String, env "AGENT_SUB_USER_ID", example "\"1181ffd3-e3ee-4d75-a45c-8b9be3deb330\"";
        /// seconds allowed per request
        timeout_secs: Seconds = Seconds::of(agent_api::ClientOptions::default().timeout),
            range 0.0..=3600.0;
        /// seconds allowed to connect
        connect_timeout_secs: Seconds =
            Seconds::of(agent_api::ClientOptions::default().connect_timeout),
            range 0.0..=3600.0;
        /// pages fetched at once when streaming, counts at once for a summary, and the HTTP
        /// client's limit on requests in flight
        concurrency: usize = ClientSettings::default().concurrency, range 1..=64;
        /// numbers per page when streaming a whole filter
        page_size: PageSizeSetting = ClientSettings::default().stream_page_size;
        /// retries of failed requests
        retry: RetrySection;
    }
}

agent_ops_settings::section! {
    /// Retries of failed requests, with exponential backoff.
    pub struct RetrySection in "api.retry" => RetryValues, RetryKeys {
        /// tries of one request, the first included
        max_attempts: u32 = RetryPolicy::default().max_attempts, range 1..=20;
        /// milliseconds before the first retry
        initial_backoff_ms: u64 = millis(RetryPolicy::default().initial_backoff);
        /// the longest wait between tries, in milliseconds
        max_backoff_ms: u64 = millis(RetryPolicy::default().max_backoff);
        /// seconds all the tries of one request may take together
        budget_secs: Seconds = Seconds::of(RetryPolicy::default().budget), range 0.0..=3600.0;
        /// whether a transient error gives the request its attempts back
        retry_reset_on_transient: bool = RetryPolicy::default().retry_reset_on_transient;
    }
}

/// A page size as the file gives it: any integer, checked by [`PageSize::new`] (whose bounds
/// are the platform's) when the section is resolved, so that a bad one is named with its
/// setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct PageSizeSetting(pub i64);

impl PageSizeSetting {
    /// The size (the default when it is not one: resolving has reported it).
    pub fn get(self) -> PageSize {
        PageSize::new(self.0).unwrap_or_default()
    }
}

impl Kind for PageSizeSetting {
    const KIND: &'static str = "integer";
    type Declared = PageSize;
    const BOUNDS: Option<fn() -> String> = Some(|| format!("1 to {}", PageSize::MAX.get()));
    fn from_declared(declared: PageSize) -> Self {
        Self(i64::from(declared.get()))
    }
    fn show(declared: PageSize) -> String {
        declared.get().to_string()
    }
    fn validate(&self) -> Result<(), String> {
        PageSize::new(self.0).map(drop).map_err(|e| e.to_string())
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The platform's tables, as declared: `[api]` and `[api.retry]`.
pub const TABLES: [Table; 2] = [ApiSection::DECLARED, RetrySection::DECLARED];

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

impl ApiConfig {
    /// The settings of the layered `[api]` table; every problem is added to `problems` (and
    /// `None` returned when there is one).
    pub fn from_layers(layers: &Layers, problems: &mut Problems) -> Option<Self> {
        let before = problems.len();
        let keys = ApiSection::KEYS;
        let file = layers.values::<ApiSection>(problems);
        let retry = file.retry.unwrap_or_default().resolve(layers, problems);

        let base_url = match agent_api::normalize_base_url(&file.base_url) {
            Ok(url) => url,
            Err(err) => {
                layers.invalid(problems, keys.base_url.key, err.to_string());
                String::new()
            }
        };

        let token = file.token.filter(|t| !t.expose_secret().trim().is_empty());
        if token.is_none() {
            problems.missing(&keys.token);
        }

        let user_id = match file.user_id {
            None => {
                problems.missing(&keys.user_id);
                None
            }
            Some(id) => match Id::task(&id) {
                Ok(id) => Some(id.as_str().to_string()),
                Err(_) => {
                    layers.invalid(
                        problems,
                        keys.user_id.key,
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
                        keys.sub_user_id.key,
                        "not a sub-account id (1-64 letters, digits, `-` or `_`)",
                    );
                    None
                }
            },
        };

        let defaults = ClientSettings::default();
        let http = agent_api::ClientOptions {
            timeout: file.timeout_secs.duration(),
            connect_timeout: file.connect_timeout_secs.duration(),
            max_in_flight: Some(file.concurrency),
            ..defaults.http
        };
        let retry = RetryPolicy {
            max_attempts: retry.max_attempts,
            initial_backoff: Duration::from_millis(retry.initial_backoff_ms),
            max_backoff: Duration::from_millis(retry.max_backoff_ms),
            budget: retry.budget_secs.duration(),
            retry_reset_on_transient: retry.retry_reset_on_transient,
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
                concurrency: file.concurrency,
                stream_page_size: file.page_size.get(),
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
        Self::load(&Layers::from_env(&env, &TABLES))
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
            &TABLES,
        ))
    }

    /// Whether any of the `AGENT_*` variables is set (then the platform is meant, not a local
    /// stand-in).
    pub fn env_is_set(env: impl Fn(&str) -> Option<String>) -> bool {
        ApiSection::SETTINGS
            .iter()
            .filter_map(|setting| setting.env)
            .any(|name| env(name).is_some_and(|v| !v.trim().is_empty()))
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
        Layers::new(file, &env(pairs), &TABLES)
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
