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
//! exporters = ["telegram:user:42"] # who may /export (default: the operators)
//! export_full_phones = false # exports keep whole phones (said in the audit line)
//! export_dir = "/var/tmp"    # where exports are written while they run (default: the system's temp)
//! stats_ttl_secs = 60        # counts per status (/stats, /numbers' line) are shared this long
//! watch_poll_secs = 60       # how often the watch scheduler polls the watched tasks
//! watch_max_requests_per_poll = 100 # the most platform requests one poll may make
//!
//! [chatops.tasks]            # aliases, so nobody types UUIDs
//! demo = "f232d184-dd54-42a0-8ace-0bf8d660f4cc"
//!
//! [chatops.default_task]     # the task of a chat when a command names none
//! "telegram:chat:-100123" = "demo"
//!
//! [state]                    # AGENT_OPS_STATE_URL: where confirmations and page states are kept
//! url = "redb://discord-bot.redb"   # default: <bot>.redb; "memory:" (the shell's), "redis://host:6379/0", "rediss://…" (TLS)
//! # ca_file = "/etc/agent-ops/redis-ca.pem"   # AGENT_OPS_STATE_CA_FILE: a rediss:// server's CA
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use agent_core::settings::{Layers, Problems, Setting, SettingsError};
use agent_core::{ConfigFile, Id, PageSize};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::access::{Access, GrantError};
use crate::i18n::Lang;
use crate::store::StateUrl;

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
    /// How long counts per status are shared by every chat (`/stats`, the "by status" line of
    /// `/numbers`) before they are counted again.
    pub stats_ttl: Duration,
    /// How often the watch scheduler polls the watched tasks (`watch_poll_secs`).
    pub watch_poll: Duration,
    /// The most platform requests one poll of the watch scheduler makes
    /// (`watch_max_requests_per_poll`); tasks left over wait for the next poll.
    pub watch_max_requests_per_poll: u32,
    /// How often long work (a preview that scans the task) reports its progress.
    pub progress_every: Duration,
    /// The most page states kept for buttons (the oldest go first).
    pub page_store_cap: usize,
    /// The most filters whose counts are cached (the oldest go first).
    pub summary_cache_cap: usize,
    /// Whether exports keep whole phones (only exporters export; the audit line says so).
    pub export_full_phones: bool,
    /// Where exports are written while they run (`None`: the system's temporary folder).
    pub export_dir: Option<PathBuf>,
    /// The largest file the transport can deliver (set by the transport from its own settings:
    /// Telegram 50 MiB, Discord 10 MiB); `None`: no limit (the terminal). Larger CSV exports
    /// are gzipped or split.
    pub upload_limit: Option<u64>,
    /// Where each transport may be used (set by the transport from its own settings, e.g.
    /// Discord's guild); a transport without an entry may be used anywhere.
    pub places: BTreeMap<crate::access::Transport, Places>,
    /// Where the state is kept (`[state] url`); `None`: the binary's default (the bots: an
    /// embedded file, the shell: memory). See [`crate::store`].
    pub state: Option<StateUrl>,
}

/// The `[state]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateSection {
    /// See [`EngineConfig::state`]; may hold a password (never shown).
    pub url: Option<SecretString>,
    /// For `rediss://`: the PEM file of the CA that signed the server's certificate.
    pub ca_file: Option<std::path::PathBuf>,
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
    /// Exporters' grants; the operators when not set.
    pub exporters: Option<Vec<String>>,
    /// See [`EngineConfig::export_full_phones`].
    pub export_full_phones: Option<bool>,
    /// See [`EngineConfig::export_dir`].
    pub export_dir: Option<PathBuf>,
    /// See [`EngineConfig::stats_ttl`].
    pub stats_ttl_secs: Option<u64>,
    /// See [`EngineConfig::watch_poll`].
    pub watch_poll_secs: Option<u64>,
    /// See [`EngineConfig::watch_max_requests_per_poll`].
    pub watch_max_requests_per_poll: Option<u64>,
}

/// `AGENT_OPS_ACTION_SECRET`: the key that signs buttons.
pub const ACTION_SECRET: Setting = Setting::new(
    "chatops.secret",
    "AGENT_OPS_ACTION_SECRET",
    "16 or more characters that sign the buttons, the same on every replica",
);
/// `AGENT_OPS_STATE_URL`: where the state is kept.
pub const STATE_URL: Setting = Setting::new(
    "state.url",
    "AGENT_OPS_STATE_URL",
    "where confirmations and page states are kept: redb://<file> (the bots' default: <bot>.redb in the working directory), memory: (the shell's), or redis://[:password@]host:port/db (rediss:// over TLS) shared by replicas",
);
/// `AGENT_OPS_STATE_CA_FILE`: the CA of a `rediss://` server.
pub const STATE_CA_FILE: Setting = Setting::new(
    "state.ca_file",
    "AGENT_OPS_STATE_CA_FILE",
    "for a rediss:// state url: the PEM file of the CA that signed the Redis server's certificate (default: the system's trusted roots)",
);
/// The engine's settings that the environment can give.
pub const SETTINGS: &[Setting] = &[ACTION_SECRET, STATE_URL, STATE_CA_FILE];

/// What to do when no signing key is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretPolicy {
    /// A missing key is a missing setting (bots: buttons must survive restarts and replicas).
    Required,
    /// A fresh random key (one process, one terminal: the shell).
    RandomIfUnset,
}

/// The settings every binary needs, from one set of layers: the platform, the engine, and the
/// transport's own (`T`). Problems in any of them are reported together.
#[derive(Debug, Clone)]
pub struct Loaded<T> {
    /// `[api]`.
    pub api: agent_core::ApiConfig,
    /// `[chatops]`.
    pub engine: EngineConfig,
    /// The transport's table.
    pub transport: T,
}

/// The declarations of a binary with the transport's own `settings`: the platform's, the
/// engine's, then the transport's.
pub fn declared(transport: &'static [Setting]) -> [&'static [Setting]; 3] {
    [agent_core::config::SETTINGS, SETTINGS, transport]
}

/// The `Environment:` block of a binary's `--help`, from the same declarations.
pub fn help(transport: &'static [Setting]) -> String {
    agent_core::settings::help(&declared(transport))
}

/// The layers of a binary: its config file (read here, parsed once) under the declared
/// environment variables.
pub fn layers(
    path: Option<&std::path::Path>,
    env: &dyn Fn(&str) -> Option<String>,
    transport: &'static [Setting],
) -> Result<Layers, SettingsError> {
    let file = ConfigFile::read(path)?;
    Ok(Layers::new(file, env, &declared(transport)))
}

/// Resolves `[api]`, `[chatops]` and the transport's table (by `transport`) from `layers`; every
/// missing or bad setting of the three is named in one error.
pub fn load<T>(
    layers: &Layers,
    secret: SecretPolicy,
    transport: impl FnOnce(&Layers, &mut Problems) -> Option<T>,
) -> Result<Loaded<T>, SettingsError> {
    let mut problems = Problems::new();
    let api = agent_core::ApiConfig::from_layers(layers, &mut problems);
    let section: ChatopsSection = layers.table("chatops", &mut problems);
    let engine = EngineConfig::from_section(section, layers, &mut problems, secret);
    let transport = transport(layers, &mut problems);
    match (problems.finish(())?, api, engine, transport) {
        ((), Some(api), Some(engine), Some(transport)) => Ok(Loaded {
            api,
            engine,
            transport,
        }),
        _ => Err(SettingsError::invalid("settings", "incomplete")),
    }
}

/// A fresh random secret, for a single process that nobody configured; an error when the
/// system has no secure randomness (never a weaker fallback).
pub fn random_secret() -> Result<SecretString, SettingsError> {
    let mut bytes = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).map_err(|_| {
        SettingsError::invalid(
            ACTION_SECRET.env,
            "not set, and the system has no secure randomness to make one: set it",
        )
    })?;
    Ok(SecretString::from(hex::encode(bytes)))
}

impl EngineConfig {
    /// The settings of a `[chatops]` table (taken from layers, where `AGENT_OPS_ACTION_SECRET`
    /// is over the file's `secret`); every problem is added to `problems` (and `None` returned
    /// when there is one).
    pub fn from_section(
        section: ChatopsSection,
        layers: &Layers,
        problems: &mut Problems,
        secret: SecretPolicy,
    ) -> Option<Self> {
        let before = problems.len();
        let language = match section.language.as_deref() {
            None => Lang::En,
            Some(tag) => Lang::from_locale(tag).unwrap_or_else(|| {
                layers.invalid(problems, "chatops.language", "use en or zh-CN");
                Lang::En
            }),
        };
        let secs = |problems: &mut Problems,
                    key: &str,
                    value: Option<u64>,
                    default: u64,
                    range: std::ops::RangeInclusive<u64>| {
            Duration::from_secs(layers.within(problems, key, value, range, default))
        };
        let confirm_ttl = secs(
            problems,
            "chatops.confirm_ttl_secs",
            section.confirm_ttl_secs,
            300,
            10..=86_400,
        );
        let page_size = match section.page_size {
            None => DEFAULT_PAGE_SIZE,
            Some(n) => match PageSize::new(n) {
                Ok(size) if n <= MAX_PAGE_SIZE => size,
                _ => {
                    layers.invalid(
                        problems,
                        "chatops.page_size",
                        format!("{n} is not between 1 and {MAX_PAGE_SIZE}"),
                    );
                    DEFAULT_PAGE_SIZE
                }
            },
        };
        let secret = match (section.secret, secret) {
            (Some(secret), _) => Some(secret),
            (None, SecretPolicy::Required) => {
                problems.missing(&ACTION_SECRET);
                None
            }
            (None, SecretPolicy::RandomIfUnset) => {
                tracing::debug!(
                    "no AGENT_OPS_ACTION_SECRET: buttons are signed with a random key and stop working after a restart"
                );
                match random_secret() {
                    Ok(secret) => Some(secret),
                    Err(err) => {
                        problems.extend(err);
                        None
                    }
                }
            }
        };
        if let Some(secret) = &secret
            && secret.expose_secret().len() < 16
        {
            layers.invalid(problems, ACTION_SECRET.key, "use at least 16 characters");
        }
        for (alias, id) in &section.tasks {
            if let Err(err) = Id::task(id) {
                layers.invalid(problems, &format!("chatops.tasks.{alias}"), err.to_string());
            }
            if alias.trim().is_empty() || alias.contains(char::is_whitespace) {
                layers.invalid(problems, "chatops.tasks", "an alias must be one word");
            }
        }
        let tasks = section
            .tasks
            .into_iter()
            .map(|(alias, id)| (alias.to_lowercase(), id))
            .collect();
        let access = match Access::new(&section.operators, &section.viewers).and_then(|access| {
            match &section.exporters {
                Some(exporters) => access.with_exporters(exporters),
                None => Ok(access),
            }
        }) {
            Ok(access) => Some(access),
            Err(GrantError(grant)) => {
                problems.invalid(
                    "chatops.operators/viewers/exporters",
                    format!("bad grant `{grant}`: use `*`, `<transport>:*`, `<transport>:user:<id>`, `discord:role:<id>`, `<transport>:chat:<id>` or `shell:<name>`"),
                );
                None
            }
        };
        for key in section.default_task.keys() {
            if Access::new(&[key.as_str()], &[]).is_err() {
                problems.invalid(
                    "chatops.default_task",
                    format!("bad chat key `{key}` (like telegram:chat:-100123)"),
                );
            }
        }
        for sub in &section.sub_accounts {
            if Id::sub_account(sub).is_err() {
                layers.invalid(
                    problems,
                    "chatops.sub_accounts",
                    "an entry is not a sub-account id (1-64 letters, digits, `-` or `_`)",
                );
            }
        }
        let preview_deadline = secs(
            problems,
            "chatops.preview_deadline_secs",
            section.preview_deadline_secs,
            60,
            1..=3_600,
        );
        let state_section: StateSection = layers.table("state", problems);
        let url_given = state_section.url.is_some();
        let state = match state_section.url {
            None => None,
            Some(url) => match StateUrl::parse(url.expose_secret()) {
                Ok(url) => Some(url),
                Err(err) => {
                    layers.invalid(problems, STATE_URL.key, err.to_string());
                    None
                }
            },
        };
        let state = match (state, state_section.ca_file) {
            (Some(url), Some(ca)) => match url.with_ca_file(ca) {
                Ok(url) => Some(url),
                Err(err) => {
                    layers.invalid(problems, STATE_CA_FILE.key, err.to_string());
                    None
                }
            },
            (None, Some(_)) if !url_given => {
                layers.invalid(
                    problems,
                    STATE_CA_FILE.key,
                    "a CA file is for a rediss:// state url, and none is set",
                );
                None
            }
            (state, _) => state,
        };
        let shutdown_grace = secs(
            problems,
            "chatops.shutdown_grace_secs",
            section.shutdown_grace_secs,
            10,
            0..=600,
        );
        let stats_ttl = secs(
            problems,
            "chatops.stats_ttl_secs",
            section.stats_ttl_secs,
            DEFAULT_STATS_TTL_SECS,
            1..=86_400,
        );
        let watch_poll = secs(
            problems,
            "chatops.watch_poll_secs",
            section.watch_poll_secs,
            DEFAULT_WATCH_POLL_SECS,
            1..=3_600,
        );
        let watch_max_requests_per_poll = layers.within(
            problems,
            "chatops.watch_max_requests_per_poll",
            section.watch_max_requests_per_poll,
            1..=100_000,
            DEFAULT_WATCH_MAX_REQUESTS,
        );
        if problems.len() > before {
            return None;
        }
        Some(Self {
            watch_poll,
            watch_max_requests_per_poll: u32::try_from(watch_max_requests_per_poll)
                .unwrap_or(u32::MAX),
            any_task: section.any_task.unwrap_or(false),
            sub_accounts: section.sub_accounts,
            rate_limit_per_minute: match section.rate_limit_per_minute {
                None => Some(30),
                Some(0) => None,
                Some(n) => Some(n),
            },
            preview_deadline,
            shutdown_grace,
            stats_ttl,
            progress_every: Duration::from_secs(2),
            page_store_cap: 10_000,
            summary_cache_cap: 1_000,
            places: BTreeMap::new(),
            export_full_phones: section.export_full_phones.unwrap_or(false),
            export_dir: section.export_dir,
            upload_limit: None,
            state,
            language,
            mask_phones: section.mask_phones.unwrap_or(true),
            confirm_ttl,
            page_size,
            audit_log: section.audit_log,
            secret: secret?,
            tasks,
            default_tasks: section.default_task.into_iter().collect(),
            access: access?,
        })
    }
}

impl EngineConfig {
    /// The `[chatops]` table of a config file's text, without the environment; a random
    /// signing key unless the text sets `secret`. For tests and programs that embed the engine.
    pub fn from_text(toml: &str) -> Result<Self, SettingsError> {
        let layers = Layers::new(ConfigFile::parse(None, toml)?, &|_| None, &[]);
        let mut problems = Problems::new();
        let section: ChatopsSection = layers.table("chatops", &mut problems);
        let config =
            Self::from_section(section, &layers, &mut problems, SecretPolicy::RandomIfUnset);
        problems
            .finish(config)?
            .ok_or_else(|| SettingsError::invalid("[chatops]", "incomplete"))
    }
}

/// How often the watch scheduler polls unless configured (`watch_poll_secs`).
pub const DEFAULT_WATCH_POLL_SECS: u64 = 60;
/// The most requests one poll of the watch scheduler makes unless configured
/// (`watch_max_requests_per_poll`).
pub const DEFAULT_WATCH_MAX_REQUESTS: u64 = 100;

/// How long counts per status are shared unless configured (`stats_ttl_secs`).
pub const DEFAULT_STATS_TTL_SECS: u64 = 60;

/// Rows of a `/numbers` page unless configured.
pub const DEFAULT_PAGE_SIZE: PageSize = PageSize::of::<10>();
/// The most rows of a `/numbers` page (a chat message must stay readable).
pub const MAX_PAGE_SIZE: i64 = 50;

#[cfg(test)]
mod tests {
    use super::*;

    fn layers_of(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Layers {
        Layers::new(ConfigFile::parse(None, text).unwrap(), env, &declared(&[]))
    }

    fn resolve(text: &str) -> Result<EngineConfig, SettingsError> {
        resolve_with(text, &|_| None)
    }

    /// The engine's settings from a file's `text` under the environment `env`.
    fn resolve_with(
        text: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<EngineConfig, SettingsError> {
        let layers = layers_of(text, env);
        let mut problems = Problems::new();
        let section: ChatopsSection = layers.table("chatops", &mut problems);
        let config = EngineConfig::from_section(
            section,
            &layers,
            &mut problems,
            SecretPolicy::RandomIfUnset,
        );
        problems.finish(config).map(|c| c.unwrap())
    }

    #[test]
    fn a_full_section() {
        let config = resolve(
            r#"
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
            "#,
        )
        .unwrap();
        assert_eq!(config.language, Lang::Zh);
        assert_eq!(config.confirm_ttl, Duration::from_secs(60));
        assert_eq!(config.page_size, DEFAULT_PAGE_SIZE);
        assert_eq!(
            config.stats_ttl,
            Duration::from_secs(DEFAULT_STATS_TTL_SECS)
        );
        let short = resolve("[chatops]\nstats_ttl_secs = 5").unwrap();
        assert_eq!(short.stats_ttl, Duration::from_secs(5));
        assert_eq!(config.tasks["demo"], "f232d184-dd54-42a0-8ace-0bf8d660f4cc");
        assert!(!format!("{config:?}").contains("0123456789abcdef0123"));
        assert_eq!(config.state, None);
    }

    #[test]
    fn the_state_url_comes_from_the_file_or_the_environment_and_hides_its_password() {
        let config = resolve("[state]\nurl = \"redb://data/ops.redb\"").unwrap();
        assert_eq!(
            config.state,
            Some(StateUrl::Embedded("data/ops.redb".into()))
        );
        let env = |name: &str| {
            (name == "AGENT_OPS_STATE_URL")
                .then(|| "redis://:hunter2-pass@10.0.0.5:6379/1".to_string())
        };
        let config = resolve_with("[state]\nurl = \"memory:\"", &env).unwrap();
        let Some(StateUrl::Redis { url, .. }) = &config.state else {
            panic!("{:?}", config.state);
        };
        assert!(url.expose_secret().contains("hunter2-pass"));
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn a_rediss_url_takes_a_ca_file_from_the_file_or_the_environment_and_nothing_else_does() {
        let config =
            resolve("[state]\nurl = \"rediss://cache.internal:6380/0\"\nca_file = \"ca.pem\"")
                .unwrap();
        assert_eq!(
            config.state,
            Some(StateUrl::Redis {
                url: SecretString::from("rediss://cache.internal:6380/0"),
                ca_file: Some("ca.pem".into()),
            })
        );
        let env = |name: &str| {
            (name == "AGENT_OPS_STATE_CA_FILE").then(|| "/etc/agent-ops/ca.pem".to_string())
        };
        let config = resolve_with(
            "[state]\nurl = \"rediss://:hunter2-pw@cache.internal\"",
            &env,
        )
        .unwrap();
        let Some(StateUrl::Redis { ca_file, .. }) = &config.state else {
            panic!("{:?}", config.state);
        };
        assert_eq!(
            ca_file.as_deref(),
            Some(std::path::Path::new("/etc/agent-ops/ca.pem"))
        );
        // A CA file without TLS, or without a url: named, never with the url's password.
        for text in [
            "[state]\nurl = \"redis://:hunter2-pw@cache.internal\"\nca_file = \"ca.pem\"",
            "[state]\nca_file = \"ca.pem\"",
        ] {
            let err = resolve(text).unwrap_err();
            assert!(err.to_string().contains("state.ca_file"), "{err}");
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
    }

    #[test]
    fn bots_load_both_tables_under_the_environment() {
        let text = "[api]\nuser_id = \"u-1\"\n[chatops]\noperators = [\"telegram:user:1\"]\n";
        let env = |name: &str| match name {
            "AGENT_API_TOKEN" => Some("tok".to_string()),
            "AGENT_OPS_ACTION_SECRET" => Some("0123456789abcdef!".to_string()),
            _ => None,
        };
        let loaded = load(&layers_of(text, &env), SecretPolicy::Required, |_, _| {
            Some(())
        })
        .unwrap();
        assert_eq!(loaded.api.user_id, "u-1");
        assert_eq!(loaded.engine.secret.expose_secret(), "0123456789abcdef!");
        // Nothing set: the three required settings in one error.
        let err = load(&layers_of("", &|_| None), SecretPolicy::Required, |_, _| {
            Some(())
        })
        .unwrap_err();
        assert_eq!(
            err.missing(),
            vec![
                "AGENT_API_TOKEN",
                "AGENT_USER_ID",
                "AGENT_OPS_ACTION_SECRET"
            ]
        );
    }

    #[test]
    fn bad_settings_are_named() {
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
        let err = resolve("[state]\nurl = \"mysql://:hunter2@db\"").unwrap_err();
        assert!(err.to_string().contains("state.url"), "{err}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let err = resolve("[chatops]\nsecret = \"short\"").unwrap_err();
        assert!(err.to_string().contains("16 characters"), "{err}");
        let err = resolve("[chatops]\npage_size = 51").unwrap_err();
        assert!(err.to_string().contains("between 1 and 50"), "{err}");
        assert!(resolve("[chatops]\nlanguag = 1").is_err());
        let err = resolve("[chatops]\nstats_ttl_secs = 0").unwrap_err();
        assert!(err.to_string().contains("chatops.stats_ttl_secs"), "{err}");
        // Several problems, one error.
        let err = resolve("[chatops]\nlanguage = \"fr\"\nconfirm_ttl_secs = 1").unwrap_err();
        assert_eq!(err.problems().len(), 2, "{err}");
    }
}
