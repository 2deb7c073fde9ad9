//! The engine's settings: the `[chatops]` and `[state]` tables, each setting declared once
//! below (`docs/configuration.md` is written from the declarations), and the loader every
//! binary shares: [`Loaded::resolve`] takes the platform's `[api]` (declared by `agent-core`)
//! and the engine's tables from one set of layers, and a transport resolves its own table
//! beside it, in a straight line, before one [`Problems::conclude`] reports everything.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use agent_core::config::{ApiSection, RetrySection};
use agent_core::{Id, PageSize};
pub use agent_ops_settings::{
    ConfigFile, HttpUrl, Kind, Layers, ListenAddress, NumericId, Problems, Seconds, Section,
    Setting, SettingsError, Table,
};
use secrecy::{ExposeSecret, SecretString};

use crate::access::{Access, GrantError};
use crate::i18n::Lang;
use crate::store::StateUrl;

agent_ops_settings::section! {
    /// The chat-ops engine: languages, roles, tasks, limits and timings, shared by every
    /// transport.
    pub struct ChatopsSection in "chatops" => ChatopsValues, ChatopsKeys {
        /// replies when the transport does not say the user's locale: en or zh-CN
        language: String = "en";
        /// show 138****4148 rather than the whole number
        mask_phones: bool = true;
        /// seconds a reset preview can be confirmed
        confirm_ttl_secs: u64 = 300, range 10..=86_400;
        /// rows of a /numbers page
        page_size: i64 = i64::from(DEFAULT_PAGE_SIZE.get()), range 1..=MAX_PAGE_SIZE;
        /// the audit log, JSON lines
        audit_log: PathBuf,
            shown "none, audit events go to the log only; the shell: agent-ops-audit.jsonl",
            example "\"agent-ops-audit.jsonl\"";
        /// 16 or more characters that sign the buttons, the same on every replica
        secret: SecretString, env "AGENT_OPS_ACTION_SECRET",
            shown "none; the shell makes a random key per run";
        /// who may do everything: grants such as "discord:role:123", "telegram:user:42",
        /// "shell:alice"
        operators: Vec<String> = &[], example "[\"discord:role:123\", \"telegram:user:42\"]";
        /// who may look: grants such as "telegram:chat:-100123", "discord:role:456"
        viewers: Vec<String> = &[], example "[\"telegram:chat:-100123\"]";
        /// task aliases, so nobody types ids: alias = task id
        tasks: BTreeMap<String, String>,
            example "demo = \"f232d184-dd54-42a0-8ace-0bf8d660f4cc\"";
        /// the task of a chat when a command names none: chat key = task alias or id
        default_task: BTreeMap<String, String>,
            example "\"telegram:chat:-100123\" = \"demo\"";
        /// whether commands may name any task id, not only the aliases' tasks
        any_task: bool, shown "false; the shell: true", example "true";
        /// the sub-accounts that sub: may name (every one with any_task)
        sub_accounts: Vec<String> = &[];
        /// commands and presses per caller and minute (0: no limit)
        rate_limit_per_minute: u32 = 30;
        /// seconds a preview that scans the task may take before it gives up
        preview_deadline_secs: u64 = 60, range 1..=3_600;
        /// seconds commands in flight may take to finish after SIGTERM
        shutdown_grace_secs: u64 = 10, range 0..=600;
        /// who may /export: grants as for operators
        exporters: Vec<String>, shown "the operators", example "[\"telegram:user:42\"]";
        /// whether exports keep whole phones (the audit line says so)
        export_full_phones: bool = false;
        /// where exports are written while they run
        export_dir: PathBuf, shown "the system's temporary folder", example "\"/var/tmp\"";
        /// seconds the counts per status (/stats, /numbers' line) are shared
        stats_ttl_secs: u64 = DEFAULT_STATS_TTL_SECS, range 1..=86_400;
        /// seconds between two polls of the watched tasks
        watch_poll_secs: u64 = DEFAULT_WATCH_POLL_SECS, range 1..=3_600;
        /// the most platform requests one poll of the watches makes (tasks left over wait)
        watch_max_requests_per_poll: u64 = DEFAULT_WATCH_MAX_REQUESTS, range 1..=100_000;
    }
}

agent_ops_settings::section! {
    /// Where the engine keeps its state (pending confirmations, page states, watches).
    pub struct StateSection in "state" => StateValues, StateKeys {
        /// where confirmations and page states are kept: redb://<file>, memory:, or
        /// redis://[:password@]host:port/db (rediss:// over TLS) shared by replicas
        url: SecretString, env "AGENT_OPS_STATE_URL",
            shown "redb://<bot>.redb in the working directory; the shell: memory:",
            example "\"redis://cache.internal:6379/0\"";
        /// for a rediss:// state url: the PEM file of the CA that signed the Redis server's
        /// certificate
        ca_file: PathBuf, env "AGENT_OPS_STATE_CA_FILE", shown "the system's trusted roots",
            example "\"/etc/agent-ops/redis-ca.pem\"";
    }
}

/// The tables every binary reads: the platform's, then the engine's.
pub const TABLES: [Table; 4] = [
    ApiSection::DECLARED,
    RetrySection::DECLARED,
    ChatopsSection::DECLARED,
    StateSection::DECLARED,
];

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
    /// Where each transport may be used (set by the transport from its own settings, e.g.
    /// Discord's guild); a transport without an entry may be used anywhere.
    pub places: BTreeMap<crate::access::Transport, Places>,
    /// Where the state is kept (`[state] url`); `None`: the binary's default (the bots: an
    /// embedded file, the shell: memory). See [`crate::store`].
    pub state: Option<StateUrl>,
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

/// What to do when no signing key is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretPolicy {
    /// A missing key is a missing setting (bots: buttons must survive restarts and replicas).
    Required,
    /// A fresh random key (one process, one terminal: the shell).
    RandomIfUnset,
}

/// The settings every binary needs: the platform and the engine.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// `[api]`.
    pub api: agent_core::ApiConfig,
    /// `[chatops]` and `[state]`.
    pub engine: EngineConfig,
}

impl Loaded {
    /// `[api]`, `[chatops]` and `[state]` from `layers`; every problem is added to `problems`
    /// (and `None` returned when there is one). A transport resolves its own table after, into
    /// the same `problems`.
    pub fn resolve(layers: &Layers, problems: &mut Problems, secret: SecretPolicy) -> Option<Self> {
        let api = agent_core::ApiConfig::from_layers(layers, problems);
        let section: ChatopsSection = layers.section(problems);
        let engine = EngineConfig::from_section(section, layers, problems, secret);
        Some(Self {
            api: api?,
            engine: engine?,
        })
    }
}

/// The tables of a binary with the transport's own: the platform's, the engine's, then the
/// transport's.
pub fn declared(transport: &[Table]) -> Vec<Table> {
    TABLES.iter().chain(transport).copied().collect()
}

/// The settings part of a binary's `--help`, from the same declarations.
pub fn help(transport: &[Table]) -> String {
    agent_ops_settings::help(&declared(transport))
}

/// The layers of a binary: its config file (read here, parsed once) under the declared
/// environment variables.
pub fn layers(
    path: Option<&std::path::Path>,
    env: &dyn Fn(&str) -> Option<String>,
    transport: &[Table],
) -> Result<Layers, SettingsError> {
    let file = ConfigFile::read(path)?;
    Ok(Layers::new(file, env, &declared(transport)))
}

/// The layers of a config file's text under an environment, for a binary with the
/// transport's tables (tests).
pub fn text_layers(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
    transport: &[Table],
) -> Result<Layers, SettingsError> {
    let file = ConfigFile::parse(None, text)?;
    Ok(Layers::new(file, env, &declared(transport)))
}

/// `[api]`, `[chatops]` and `[state]` from `layers`, every missing or bad setting named in one
/// error (a binary without a table of its own: the shell, tests, programs that embed the
/// engine).
pub fn load(layers: &Layers, secret: SecretPolicy) -> Result<Loaded, SettingsError> {
    let mut problems = Problems::new();
    let loaded = Loaded::resolve(layers, &mut problems, secret);
    problems.conclude(loaded)
}

/// A fresh random secret, for a single process that nobody configured; an error when the
/// system has no secure randomness (never a weaker fallback).
pub fn random_secret() -> Result<SecretString, SettingsError> {
    let mut bytes = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).map_err(|_| {
        let secret = ChatopsSection::KEYS.secret;
        SettingsError::invalid(
            secret.env.unwrap_or(secret.key),
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
        let keys = ChatopsSection::KEYS;
        let section = section.resolve(layers, problems);
        let language = Lang::from_locale(&section.language).unwrap_or_else(|| {
            layers.invalid(problems, keys.language.key, "use en or zh-CN");
            Lang::En
        });
        let page_size = PageSize::new(section.page_size).unwrap_or(DEFAULT_PAGE_SIZE);
        let secret = match (section.secret, secret) {
            (Some(secret), _) => Some(secret),
            (None, SecretPolicy::Required) => {
                problems.missing(&keys.secret);
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
            layers.invalid(problems, keys.secret.key, "use at least 16 characters");
        }
        let aliases = section.tasks.unwrap_or_default();
        for (alias, id) in &aliases {
            if let Err(err) = Id::task(id) {
                layers.invalid(
                    problems,
                    &format!("{}.{alias}", keys.tasks.key),
                    err.to_string(),
                );
            }
            if alias.trim().is_empty() || alias.contains(char::is_whitespace) {
                layers.invalid(problems, keys.tasks.key, "an alias must be one word");
            }
        }
        let tasks = aliases
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
        let default_tasks = section.default_task.unwrap_or_default();
        for key in default_tasks.keys() {
            if Access::new(&[key.as_str()], &[]).is_err() {
                problems.invalid(
                    keys.default_task.key,
                    format!("bad chat key `{key}` (like telegram:chat:-100123)"),
                );
            }
        }
        for sub in &section.sub_accounts {
            if Id::sub_account(sub).is_err() {
                layers.invalid(
                    problems,
                    keys.sub_accounts.key,
                    "an entry is not a sub-account id (1-64 letters, digits, `-` or `_`)",
                );
            }
        }
        let state = state(layers, problems);
        if problems.len() > before {
            return None;
        }
        Some(Self {
            watch_poll: Duration::from_secs(section.watch_poll_secs),
            watch_max_requests_per_poll: u32::try_from(section.watch_max_requests_per_poll)
                .unwrap_or(u32::MAX),
            any_task: section.any_task.unwrap_or(false),
            sub_accounts: section.sub_accounts,
            rate_limit_per_minute: Some(section.rate_limit_per_minute).filter(|n| *n > 0),
            preview_deadline: Duration::from_secs(section.preview_deadline_secs),
            shutdown_grace: Duration::from_secs(section.shutdown_grace_secs),
            stats_ttl: Duration::from_secs(section.stats_ttl_secs),
            progress_every: Duration::from_secs(2),
            page_store_cap: 10_000,
            summary_cache_cap: 1_000,
            places: BTreeMap::new(),
            export_full_phones: section.export_full_phones,
            export_dir: section.export_dir,
            state: state?,
            language,
            mask_phones: section.mask_phones,
            confirm_ttl: Duration::from_secs(section.confirm_ttl_secs),
            page_size,
            audit_log: section.audit_log,
            secret: secret?,
            tasks,
            default_tasks: default_tasks.into_iter().collect(),
            access: access?,
        })
    }
}

/// The `[state]` table: `Some(None)` when no url is set (the binary's default), `None` when
/// there is a problem (added to `problems`).
fn state(layers: &Layers, problems: &mut Problems) -> Option<Option<StateUrl>> {
    let keys = StateSection::KEYS;
    let section = layers
        .section::<StateSection>(problems)
        .resolve(layers, problems);
    let Some(url) = section.url else {
        if section.ca_file.is_some() {
            layers.invalid(
                problems,
                keys.ca_file.key,
                "a CA file is for a rediss:// state url, and none is set",
            );
            return None;
        }
        return Some(None);
    };
    let url = StateUrl::parse(url.expose_secret())
        .map_err(|err| layers.invalid(problems, keys.url.key, err.to_string()))
        .ok()?;
    match section.ca_file {
        None => Some(Some(url)),
        Some(ca) => match url.with_ca_file(ca) {
            Ok(url) => Some(Some(url)),
            Err(err) => {
                layers.invalid(problems, keys.ca_file.key, err.to_string());
                None
            }
        },
    }
}

impl EngineConfig {
    /// The `[chatops]` table of a config file's text, without the environment; a random
    /// signing key unless the text sets `secret`. For tests and programs that embed the engine.
    pub fn from_text(toml: &str) -> Result<Self, SettingsError> {
        let layers = Layers::new(ConfigFile::parse(None, toml)?, &|_| None, &[]);
        let mut problems = Problems::new();
        let section: ChatopsSection = layers.section(&mut problems);
        let config =
            Self::from_section(section, &layers, &mut problems, SecretPolicy::RandomIfUnset);
        problems.conclude(config)
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
        let loaded = load(&layers_of(text, &env), SecretPolicy::Required).unwrap();
        assert_eq!(loaded.api.user_id, "u-1");
        assert_eq!(loaded.engine.secret.expose_secret(), "0123456789abcdef!");
        // Nothing set: the three required settings in one error.
        let err = load(&layers_of("", &|_| None), SecretPolicy::Required).unwrap_err();
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
