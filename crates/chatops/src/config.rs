//! The engine's settings: the `[chatops]` table of the configuration file, plus
//! `AGENT_OPS_ACTION_SECRET` from the environment.
//!
//! ```toml
//! [chatops]
//! language = "en"            # replies when the transport does not say the user's locale: en, zh-CN
//! mask_phones = true         # show 138****4148 rather than the whole number
//! confirm_ttl_secs = 300     # how long a reset preview can be confirmed
//! page_size = 10             # rows of /numbers
//! audit_log = "agent-ops-audit.jsonl"
//! secret = "…"               # signs buttons; prefer AGENT_OPS_ACTION_SECRET; share it between replicas
//! operators = ["discord:role:123", "telegram:user:42", "shell:alice"]
//! viewers = ["telegram:chat:-100123", "discord:role:456"]
//! any_task = false           # only the aliases' tasks (and their ids)
//! sub_accounts = []          # what sub: may name
//! rate_limit_per_minute = 30 # commands and presses per caller (0: no limit)
//! preview_deadline_secs = 60 # a preview that scans the task gives up after this
//! shutdown_grace_secs = 10   # on SIGTERM, how long commands in flight may finish
//!
//! [chatops.tasks]            # aliases, so nobody types UUIDs
//! demo = "f232d184-dd54-42a0-8ace-0bf8d660f4cc"
//!
//! [chatops.default_task]     # the task of a chat when a command names none
//! "telegram:chat:-100123" = "demo"
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use agent_core::{ConfigFile, ConfigFileError, Id, PageSize};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::access::{Access, GrantError};
use crate::i18n::Lang;

/// The engine's settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The reply language when the caller's locale is unknown.
    pub language: Lang,
    /// Mask phone numbers in replies and the audit log.
    pub mask_phones: bool,
    /// How long a reset preview can be confirmed.
    pub confirm_ttl: Duration,
    /// Rows of a `/numbers` page.
    pub page_size: PageSize,
    /// The audit log file (JSON lines); `None`: tracing events only.
    pub audit_log: Option<PathBuf>,
    /// The key that signs actions. Replicas must share it.
    pub secret: SecretString,
    /// Task aliases → task ids.
    pub tasks: BTreeMap<String, String>,
    /// Chat keys (`telegram:chat:-100123`) → the task (alias or id) used when none is named.
    pub default_tasks: Vec<(String, String)>,
    /// Who may do what.
    pub access: Access,
    /// Whether commands may name any task id; otherwise only the configured aliases' tasks.
    pub any_task: bool,
    /// The sub-accounts `sub:` may name (all of them when `any_task`).
    pub sub_accounts: Vec<String>,
    /// Commands and presses one caller may make per minute (`None`: no limit).
    pub rate_limit_per_minute: Option<u32>,
    /// How long a reset preview that scans the task (phones, keyword) may take.
    pub preview_deadline: Duration,
    /// On shutdown, how long commands in flight may take to finish.
    pub shutdown_grace: Duration,
    /// How often long work (a preview that scans the task) reports its progress.
    pub progress_every: Duration,
    /// The most page states kept for buttons (the oldest go first).
    pub page_store_cap: usize,
    /// The most filters whose counts are cached (the oldest go first).
    pub summary_cache_cap: usize,
    /// Where each transport may be used (set by the transport from its own settings, e.g.
    /// Discord's guild); a transport without an entry may be used anywhere.
    pub places: BTreeMap<crate::access::Transport, Places>,
}

/// Where a transport may be used: its communities (Discord guilds) and whether direct
/// messages are answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Places {
    /// The community ids allowed (`None`: any).
    pub allowed: Option<Vec<String>>,
    /// Whether direct messages (no community) are answered.
    pub direct_messages: bool,
}

/// The `[chatops]` table; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatopsSection {
    /// See [`EngineConfig::language`].
    pub language: Option<String>,
    /// See [`EngineConfig::mask_phones`].
    pub mask_phones: Option<bool>,
    /// See [`EngineConfig::confirm_ttl`].
    pub confirm_ttl_secs: Option<u64>,
    /// See [`EngineConfig::page_size`].
    pub page_size: Option<i64>,
    /// See [`EngineConfig::audit_log`].
    pub audit_log: Option<PathBuf>,
    /// See [`EngineConfig::secret`].
    pub secret: Option<SecretString>,
    /// Operators' grants.
    #[serde(default)]
    pub operators: Vec<String>,
    /// Viewers' grants.
    #[serde(default)]
    pub viewers: Vec<String>,
    /// See [`EngineConfig::tasks`].
    #[serde(default)]
    pub tasks: BTreeMap<String, String>,
    /// See [`EngineConfig::default_tasks`].
    #[serde(default)]
    pub default_task: BTreeMap<String, String>,
    /// See [`EngineConfig::any_task`].
    pub any_task: Option<bool>,
    /// See [`EngineConfig::sub_accounts`].
    #[serde(default)]
    pub sub_accounts: Vec<String>,
    /// See [`EngineConfig::rate_limit_per_minute`]; 0 turns it off.
    pub rate_limit_per_minute: Option<u32>,
    /// See [`EngineConfig::preview_deadline`].
    pub preview_deadline_secs: Option<u64>,
    /// See [`EngineConfig::shutdown_grace`].
    pub shutdown_grace_secs: Option<u64>,
}

/// A bad engine setting; the message names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineConfigError {
    /// A setting has a bad value.
    #[error("bad setting {setting}: {reason}")]
    Invalid {
        /// Which.
        setting: String,
        /// Why.
        reason: String,
    },
    /// The file does not parse, or its `[chatops]` table holds a bad key; names the file, line
    /// and key, never a value.
    #[error(transparent)]
    File(#[from] ConfigFileError),
}

fn invalid(setting: &str, reason: impl ToString) -> EngineConfigError {
    EngineConfigError::Invalid {
        setting: setting.to_string(),
        reason: reason.to_string(),
    }
}

/// A fresh random secret, for a single process that nobody configured; an error when the
/// system has no secure randomness (never a weaker fallback).
pub fn random_secret() -> Result<SecretString, EngineConfigError> {
    let mut bytes = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).map_err(|_| {
        invalid(
            "AGENT_OPS_ACTION_SECRET",
            "not set, and the system has no secure randomness to make one: set it",
        )
    })?;
    Ok(SecretString::from(hex::encode(bytes)))
}

impl EngineConfig {
    /// The settings of a `[chatops]` table, with `AGENT_OPS_ACTION_SECRET` (via `env`) over the
    /// file's `secret`. Without either, a random secret is made: buttons then stop working
    /// after a restart and across replicas (a warning is logged).
    pub fn resolve(
        section: ChatopsSection,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, EngineConfigError> {
        let language = match section.language.as_deref() {
            None => Lang::En,
            Some(tag) => Lang::from_locale(tag)
                .ok_or_else(|| invalid("chatops.language", format!("`{tag}`: use en or zh-CN")))?,
        };
        let confirm_ttl = match section.confirm_ttl_secs {
            None => Duration::from_secs(300),
            Some(secs) if (10..=86_400).contains(&secs) => Duration::from_secs(secs),
            Some(secs) => {
                return Err(invalid(
                    "chatops.confirm_ttl_secs",
                    format!("{secs} is not between 10 and 86400"),
                ));
            }
        };
        let page_size = match section.page_size {
            None => PageSize::of::<10>(),
            Some(n) if (1..=50).contains(&n) => {
                PageSize::new(n).map_err(|e| invalid("chatops.page_size", e))?
            }
            Some(n) => {
                return Err(invalid(
                    "chatops.page_size",
                    format!("{n} is not between 1 and 50"),
                ));
            }
        };
        let secret = match env("AGENT_OPS_ACTION_SECRET").filter(|s| !s.trim().is_empty()) {
            Some(secret) => SecretString::from(secret),
            None => match section.secret {
                Some(secret) => secret,
                None => {
                    tracing::warn!(
                        "no AGENT_OPS_ACTION_SECRET: buttons are signed with a random key and stop working after a restart or on another replica"
                    );
                    random_secret()?
                }
            },
        };
        if secret.expose_secret().len() < 16 {
            return Err(invalid(
                "AGENT_OPS_ACTION_SECRET",
                "use at least 16 characters",
            ));
        }
        for (alias, id) in &section.tasks {
            Id::task(id).map_err(|e| invalid(&format!("chatops.tasks.{alias}"), e))?;
            if alias.trim().is_empty() || alias.contains(char::is_whitespace) {
                return Err(invalid(
                    "chatops.tasks",
                    format!("alias `{alias}` must be one word"),
                ));
            }
        }
        let tasks = section
            .tasks
            .into_iter()
            .map(|(alias, id)| (alias.to_lowercase(), id))
            .collect();
        let access = Access::new(&section.operators, &section.viewers)
            .map_err(|GrantError(grant)| invalid("chatops.operators/viewers", format!("bad grant `{grant}`: use `*`, `<transport>:*`, `<transport>:user:<id>`, `discord:role:<id>`, `<transport>:chat:<id>` or `shell:<name>`")))?;
        for key in section.default_task.keys() {
            Access::new(&[key.as_str()], &[]).map_err(|_| {
                invalid(
                    "chatops.default_task",
                    format!("bad chat key `{key}` (like telegram:chat:-100123)"),
                )
            })?;
        }
        for sub in &section.sub_accounts {
            Id::sub_account(sub).map_err(|_| {
                invalid(
                    "chatops.sub_accounts",
                    "an entry is not a sub-account id (1-64 letters, digits, `-` or `_`)",
                )
            })?;
        }
        let secs = |key: &str,
                    value: Option<u64>,
                    default: u64,
                    range: std::ops::RangeInclusive<u64>| match value {
            None => Ok(Duration::from_secs(default)),
            Some(secs) if range.contains(&secs) => Ok(Duration::from_secs(secs)),
            Some(secs) => Err(invalid(
                key,
                format!(
                    "{secs} is not between {} and {}",
                    range.start(),
                    range.end()
                ),
            )),
        };
        let preview_deadline = secs(
            "chatops.preview_deadline_secs",
            section.preview_deadline_secs,
            60,
            1..=3_600,
        )?;
        let shutdown_grace = secs(
            "chatops.shutdown_grace_secs",
            section.shutdown_grace_secs,
            10,
            0..=600,
        )?;
        Ok(Self {
            any_task: section.any_task.unwrap_or(false),
            sub_accounts: section.sub_accounts,
            rate_limit_per_minute: match section.rate_limit_per_minute {
                None => Some(30),
                Some(0) => None,
                Some(n) => Some(n),
            },
            preview_deadline,
            shutdown_grace,
            progress_every: Duration::from_secs(2),
            page_store_cap: 10_000,
            summary_cache_cap: 1_000,
            places: BTreeMap::new(),
            language,
            mask_phones: section.mask_phones.unwrap_or(true),
            confirm_ttl,
            page_size,
            audit_log: section.audit_log,
            secret,
            tasks,
            default_tasks: section.default_task.into_iter().collect(),
            access,
        })
    }

    /// The `[chatops]` table of a configuration file (defaults when absent).
    pub fn section(file: &ConfigFile) -> Result<ChatopsSection, EngineConfigError> {
        Ok(file.section("chatops")?)
    }
}

/// Why the settings of a bot could not be loaded; the message names the setting or the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The config file cannot be read or parsed.
    #[error(transparent)]
    File(#[from] ConfigFileError),
    /// The platform settings (`[api]`, `AGENT_*`).
    #[error(transparent)]
    Api(#[from] agent_core::ConfigError),
    /// The engine settings (`[chatops]`, `AGENT_OPS_ACTION_SECRET`).
    #[error(transparent)]
    Engine(#[from] EngineConfigError),
}

/// A config file, parsed, or an empty document without one.
pub fn read_config_file(path: Option<&std::path::Path>) -> Result<ConfigFile, LoadError> {
    Ok(ConfigFile::read(path)?)
}

/// The platform and engine settings of a bot: the `[api]` and `[chatops]` tables of a config
/// file's text, under the `AGENT_*` and `AGENT_OPS_ACTION_SECRET` variables read via `env`.
pub fn load(
    file: &ConfigFile,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(agent_core::ApiConfig, EngineConfig), LoadError> {
    let api_section = agent_core::config::api_section(file)?;
    let api = agent_core::ApiConfig::resolve(api_section, env)?;
    let engine = EngineConfig::resolve(EngineConfig::section(file)?, env)?;
    Ok((api, engine))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> ConfigFile {
        ConfigFile::parse(None, text).unwrap()
    }

    #[test]
    fn a_full_section() {
        let section = EngineConfig::section(&doc(r#"
            [chatops]
            language = "zh-CN"
            confirm_ttl_secs = 60
            operators = ["telegram:user:42"]
            viewers = ["telegram:*"]
            secret = "0123456789abcdef0123"
            [chatops.tasks]
            Demo = "f232d184-dd54-42a0-8ace-0bf8d660f4cc"
            [chatops.default_task]
            "telegram:chat:-100" = "demo"
            "#))
        .unwrap();
        let config = EngineConfig::resolve(section, |_| None).unwrap();
        assert_eq!(config.language, Lang::Zh);
        assert_eq!(config.confirm_ttl, Duration::from_secs(60));
        assert_eq!(config.tasks["demo"], "f232d184-dd54-42a0-8ace-0bf8d660f4cc");
        assert!(!format!("{config:?}").contains("0123456789abcdef0123"));
    }

    #[test]
    fn bots_load_both_tables_under_the_environment() {
        let text = "[api]\nuser_id = \"u-1\"\n[chatops]\noperators = [\"telegram:user:1\"]\n";
        let env = |name: &str| match name {
            "AGENT_API_TOKEN" => Some("tok".to_string()),
            "AGENT_OPS_ACTION_SECRET" => Some("0123456789abcdef!".to_string()),
            _ => None,
        };
        let (api, engine) = load(&doc(text), &env).unwrap();
        assert_eq!(api.user_id, "u-1");
        assert_eq!(engine.secret.expose_secret(), "0123456789abcdef!");
        let err = load(&doc(""), &|_| None).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("missing setting AGENT_API_TOKEN"),
            "{err}"
        );
    }

    #[test]
    fn bad_settings_are_named() {
        let resolve = |toml: &str| {
            EngineConfig::resolve(EngineConfig::section(&doc(toml)).unwrap(), |_| None)
        };
        let err = resolve("[chatops]\nlanguage = \"fr\"").unwrap_err();
        assert!(
            err.to_string().starts_with("bad setting chatops.language"),
            "{err}"
        );
        let err = resolve("[chatops]\noperators = [\"irc:bob\"]").unwrap_err();
        assert!(err.to_string().contains("irc:bob"), "{err}");
        let err = resolve("[chatops.tasks]\ndemo = \"not a uuid!\"").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("bad setting chatops.tasks.demo"),
            "{err}"
        );
        let err = resolve("[chatops]\nsecret = \"short\"").unwrap_err();
        assert!(err.to_string().contains("16 characters"), "{err}");
        assert!(EngineConfig::section(&doc("[chatops]\nlanguag = 1")).is_err());
    }
}
