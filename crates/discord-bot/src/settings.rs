//! The bot's settings: the environment over a TOML file's `[api]`, `[chatops]` and `[discord]`
//! tables. Missing settings are reported together, in one line; tokens never show in `Debug`
//! output or messages.
//!
//! ```toml
//! [discord]
//! token = "…"                 # DISCORD_TOKEN (prefer the variable)
//! application_id = "1234…"    # DISCORD_APPLICATION_ID (HTTP mode; gateway mode learns it at READY)
//! public_key = "67c6bd…"      # DISCORD_PUBLIC_KEY (HTTP mode): the app's Ed25519 key, 64 hex digits
//! guild_id = "5678…"          # DISCORD_GUILD_ID: register the commands in this guild only (fast)
//! register = "auto"           # DISCORD_REGISTER: auto (guild if guild_id, else global), guild, global, none
//! listen = "0.0.0.0:8080"     # --listen / DISCORD_LISTEN (HTTP mode)
//! path = "/interactions"      # the endpoint's path (HTTP mode)
//! defer_after_ms = 2000       # answer with a deferral when the engine takes longer than this
//! max_request_age_secs = 300  # reject signed requests whose timestamp is older (or newer) than this
//! ```

use agent_core::ConfigFile;
use std::net::SocketAddr;
use std::time::Duration;

use agent_chatops::EngineConfig;
use agent_chatops::config::LoadError;
use agent_core::ApiConfig;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serenity::model::id::{ApplicationId, GuildId};

/// The bot token.
pub const ENV_TOKEN: &str = "DISCORD_TOKEN";
/// The application id.
pub const ENV_APPLICATION_ID: &str = "DISCORD_APPLICATION_ID";
/// The application's public key (HTTP mode).
pub const ENV_PUBLIC_KEY: &str = "DISCORD_PUBLIC_KEY";
/// The development guild.
pub const ENV_GUILD_ID: &str = "DISCORD_GUILD_ID";
/// Where to register the commands.
pub const ENV_REGISTER: &str = "DISCORD_REGISTER";
/// The engine's signing key.
pub const ENV_ACTION_SECRET: &str = "AGENT_OPS_ACTION_SECRET";

/// How the bot receives interactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A gateway connection (serenity's client); the default.
    Gateway,
    /// An HTTPS interactions endpoint that Discord posts to.
    Http,
}

/// Where the slash commands are registered at start (a bulk overwrite, so it is idempotent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// In one guild: visible at once (development).
    Guild(GuildId),
    /// Everywhere the app is installed.
    Global,
    /// Not at all (another replica or a deploy step does it).
    Skip,
}

/// The application's Ed25519 public key, as Discord shows it (64 hex digits).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(pub [u8; 32]);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", hex(&self.0))
    }
}

impl PublicKey {
    /// Parses 64 hex digits into a key Discord's signatures can be checked with.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let bytes = parse_hex::<32>(text)
            .ok_or_else(|| format!("expected 64 hex digits, got {} characters", text.len()))?;
        serenity::interactions_endpoint::Verifier::try_new(bytes)
            .map_err(|e| e.to_string())
            .map(|_| Self(bytes))
    }
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// Parses exactly `N` bytes of hex.
pub fn parse_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

/// The Discord settings.
#[derive(Debug, Clone)]
pub struct DiscordSettings {
    /// The bot token (redacted in `Debug`).
    pub token: SecretString,
    /// The application id (required in HTTP mode).
    pub application_id: Option<ApplicationId>,
    /// The public key (HTTP mode).
    pub public_key: Option<PublicKey>,
    /// Where the commands are registered.
    pub registration: Registration,
    /// Where the HTTP endpoint listens.
    pub listen: SocketAddr,
    /// The HTTP endpoint's path.
    pub path: String,
    /// When to answer with a deferral rather than wait for the engine (under Discord's 3 s).
    pub defer_after: Duration,
    /// How far a signed request's timestamp may be from now.
    pub max_request_age: Duration,
}

/// Everything the bot needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The platform.
    pub api: ApiConfig,
    /// The engine.
    pub engine: EngineConfig,
    /// Discord.
    pub discord: DiscordSettings,
}

/// A Discord snowflake, as a TOML integer or string.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum IdValue {
    /// `application_id = 1234`.
    Number(u64),
    /// `application_id = "1234"`.
    Text(String),
}

impl IdValue {
    fn text(&self) -> String {
        match self {
            Self::Number(n) => n.to_string(),
            Self::Text(t) => t.clone(),
        }
    }
}

/// The `[discord]` table; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscordSection {
    /// See [`DiscordSettings::token`].
    pub token: Option<SecretString>,
    /// See [`DiscordSettings::application_id`].
    pub application_id: Option<IdValue>,
    /// See [`DiscordSettings::public_key`].
    pub public_key: Option<String>,
    /// The development guild.
    pub guild_id: Option<IdValue>,
    /// `auto`, `guild`, `global` or `none`.
    pub register: Option<String>,
    /// See [`DiscordSettings::listen`].
    pub listen: Option<String>,
    /// See [`DiscordSettings::path`].
    pub path: Option<String>,
    /// See [`DiscordSettings::defer_after`], in milliseconds.
    pub defer_after_ms: Option<u64>,
    /// See [`DiscordSettings::max_request_age`], in seconds.
    pub max_request_age_secs: Option<u64>,
    /// Whether direct messages to the bot are answered (default: no).
    pub allow_dms: Option<bool>,
}

/// Why the settings cannot be used; the message is one line and names the settings.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// Required settings are not set.
    #[error(
        "missing {}: {} (set them in the environment, or in the config file given by --config or AGENT_OPS_CONFIG; `discord-bot --help` lists every setting)",
        if .0.len() == 1 { "setting" } else { "settings" },
        .0.join(", ")
    )]
    Missing(Vec<&'static str>),
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
    Load(#[from] LoadError),
}

fn invalid(setting: &str, reason: impl ToString) -> SettingsError {
    SettingsError::Invalid {
        setting: setting.to_string(),
        reason: reason.to_string(),
    }
}

/// The `[discord]` table of a configuration file (defaults when absent).
pub fn discord_section(file: &ConfigFile) -> Result<DiscordSection, SettingsError> {
    file.section("discord")
        .map_err(|e| SettingsError::Load(LoadError::File(e)))
}

fn snowflake(setting: &str, text: &str) -> Result<u64, SettingsError> {
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| invalid(setting, "not a Discord id (digits)"))
}

/// [`load_file`] from a config file's text (tests).
pub fn load(
    toml_text: &str,
    env: &dyn Fn(&str) -> Option<String>,
    mode: Mode,
    listen: Option<SocketAddr>,
) -> Result<Settings, SettingsError> {
    let file =
        ConfigFile::parse(None, toml_text).map_err(|e| SettingsError::Load(LoadError::File(e)))?;
    load_file(&file, env, mode, listen)
}

/// Loads every setting for `mode` from a config file and the environment (`env`, so tests
/// need not touch the process environment). `listen` (the `--listen` flag) wins over the file.
pub fn load_file(
    file: &ConfigFile,
    env: &dyn Fn(&str) -> Option<String>,
    mode: Mode,
    listen: Option<SocketAddr>,
) -> Result<Settings, SettingsError> {
    let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let api_section = agent_core::config::api_section(file).map_err(LoadError::File)?;
    let chatops = EngineConfig::section(file).map_err(LoadError::from)?;
    let discord = discord_section(file)?;

    // Everything required, named together.
    let mut missing = Vec::new();
    if env(ENV_TOKEN).is_none() && discord.token.is_none() {
        missing.push(ENV_TOKEN);
    }
    if mode == Mode::Http {
        if env(ENV_APPLICATION_ID).is_none() && discord.application_id.is_none() {
            missing.push(ENV_APPLICATION_ID);
        }
        if env(ENV_PUBLIC_KEY).is_none() && discord.public_key.is_none() {
            missing.push(ENV_PUBLIC_KEY);
        }
    }
    if env("AGENT_API_TOKEN").is_none() && api_section.token.is_none() {
        missing.push("AGENT_API_TOKEN");
    }
    if env("AGENT_USER_ID").is_none() && api_section.user_id.is_none() {
        missing.push("AGENT_USER_ID");
    }
    // Buttons must keep working across restarts and replicas: no random signing key here.
    if env(ENV_ACTION_SECRET).is_none() && chatops.secret.is_none() {
        missing.push(ENV_ACTION_SECRET);
    }
    if !missing.is_empty() {
        return Err(SettingsError::Missing(missing));
    }

    let (api, mut engine) = agent_chatops::config::load(file, &env)?;

    let token = match env(ENV_TOKEN) {
        Some(token) => SecretString::from(token.trim().to_string()),
        None => discord
            .token
            .unwrap_or_else(|| SecretString::from(String::new())),
    };
    if token.expose_secret().trim().is_empty() {
        return Err(invalid(ENV_TOKEN, "it is empty"));
    }
    if token.expose_secret().contains(char::is_whitespace) {
        return Err(invalid(
            ENV_TOKEN,
            "it contains spaces: give the bot token alone, without `Bot `",
        ));
    }

    let application_id = match env(ENV_APPLICATION_ID)
        .map(|v| (ENV_APPLICATION_ID, v))
        .or(discord
            .application_id
            .map(|v| ("discord.application_id", v.text())))
    {
        Some((setting, text)) => Some(ApplicationId::new(snowflake(setting, &text)?)),
        None => None,
    };
    let public_key = match env(ENV_PUBLIC_KEY)
        .map(|v| (ENV_PUBLIC_KEY, v))
        .or(discord.public_key.map(|v| ("discord.public_key", v)))
    {
        Some((setting, text)) => Some(PublicKey::parse(&text).map_err(|e| invalid(setting, e))?),
        None => None,
    };
    let guild = match env(ENV_GUILD_ID)
        .map(|v| (ENV_GUILD_ID, v))
        .or(discord.guild_id.map(|v| ("discord.guild_id", v.text())))
    {
        Some((setting, text)) => Some(GuildId::new(snowflake(setting, &text)?)),
        None => None,
    };
    let (register_setting, register) = match env(ENV_REGISTER) {
        Some(v) => (ENV_REGISTER, v),
        None => (
            "discord.register",
            discord.register.unwrap_or_else(|| "auto".to_string()),
        ),
    };
    let registration = match (register.trim().to_ascii_lowercase().as_str(), guild) {
        ("auto", Some(guild)) | ("guild", Some(guild)) => Registration::Guild(guild),
        ("auto", None) | ("global", _) => Registration::Global,
        ("none" | "off" | "skip", _) => Registration::Skip,
        ("guild", None) => {
            return Err(invalid(
                register_setting,
                "`guild` needs DISCORD_GUILD_ID (or discord.guild_id)",
            ));
        }
        (other, _) => {
            return Err(invalid(
                register_setting,
                format!("`{other}`: use auto, guild, global or none"),
            ));
        }
    };
    // Interactions from another guild than the configured one are refused by the engine, and
    // direct messages unless allowed.
    engine.places.insert(
        agent_chatops::Transport::Discord,
        agent_chatops::Places {
            allowed: guild.map(|g| vec![g.get().to_string()]),
            direct_messages: discord.allow_dms.unwrap_or(false),
        },
    );
    let listen = match listen {
        Some(addr) => addr,
        None => match discord.listen {
            Some(text) => text
                .trim()
                .parse()
                .map_err(|_| invalid("discord.listen", format!("`{text}` is not host:port")))?,
            None => SocketAddr::from(([0, 0, 0, 0], 8080)),
        },
    };
    let path = discord.path.unwrap_or_else(|| "/interactions".to_string());
    if !path.starts_with('/') || path.contains(char::is_whitespace) {
        return Err(invalid(
            "discord.path",
            format!("`{path}` must start with /"),
        ));
    }
    let defer_after = match discord.defer_after_ms {
        None => Duration::from_millis(2000),
        Some(ms) if (100..=2500).contains(&ms) => Duration::from_millis(ms),
        Some(ms) => {
            return Err(invalid(
                "discord.defer_after_ms",
                format!("{ms} is not between 100 and 2500 (Discord waits 3 s)"),
            ));
        }
    };
    let max_request_age = match discord.max_request_age_secs {
        None => Duration::from_secs(300),
        Some(secs) if (5..=3600).contains(&secs) => Duration::from_secs(secs),
        Some(secs) => {
            return Err(invalid(
                "discord.max_request_age_secs",
                format!("{secs} is not between 5 and 3600"),
            ));
        }
    };
    Ok(Settings {
        api,
        engine,
        discord: DiscordSettings {
            token,
            application_id,
            public_key,
            registration,
            listen,
            path,
            defer_after,
            max_request_age,
        },
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_engine_serves_the_configured_guild_and_dms_only_when_allowed() {
        let env = |name: &str| match name {
            "DISCORD_TOKEN" => Some("tok".to_string()),
            "AGENT_API_TOKEN" => Some("t".to_string()),
            "AGENT_USER_ID" => Some("u".to_string()),
            "AGENT_OPS_ACTION_SECRET" => Some("0123456789abcdef!".to_string()),
            "DISCORD_GUILD_ID" => Some("900".to_string()),
            _ => None,
        };
        let settings = load("", &env, Mode::Gateway, None).unwrap();
        let places = &settings.engine.places[&agent_chatops::Transport::Discord];
        assert_eq!(places.allowed, Some(vec!["900".to_string()]));
        assert!(!places.direct_messages);
        let settings = load("[discord]\nallow_dms = true\n", &env, Mode::Gateway, None).unwrap();
        assert!(settings.engine.places[&agent_chatops::Transport::Discord].direct_messages);
    }

    use super::*;

    const KEY: &str = "67c6bd767ca099e79efac9fcce4d2022a63bf7dea780e7f3d813f694c1597089";

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    fn full_env() -> Vec<(&'static str, &'static str)> {
        vec![
            ("DISCORD_TOKEN", "bot-token-value-xyz"),
            ("DISCORD_APPLICATION_ID", "777"),
            ("DISCORD_PUBLIC_KEY", KEY),
            ("AGENT_API_TOKEN", "api-token-value"),
            ("AGENT_USER_ID", "5832d184-dd53-42a0-8ace-0bf8d660f4cc"),
            ("AGENT_OPS_ACTION_SECRET", "0123456789abcdef0123"),
        ]
    }

    #[test]
    fn every_missing_setting_is_named_in_one_line() {
        let err = load("", &|_| None, Mode::Http, None).unwrap_err();
        let text = err.to_string();
        assert!(!text.contains('\n'), "{text}");
        assert!(
            text.starts_with(
                "missing settings: DISCORD_TOKEN, DISCORD_APPLICATION_ID, DISCORD_PUBLIC_KEY, AGENT_API_TOKEN, AGENT_USER_ID, AGENT_OPS_ACTION_SECRET"
            ),
            "{text}"
        );
        let err = load("", &|_| None, Mode::Gateway, None).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "missing settings: DISCORD_TOKEN, AGENT_API_TOKEN, AGENT_USER_ID, AGENT_OPS_ACTION_SECRET"
            ),
            "{err}"
        );
        let mut env = full_env();
        env.retain(|(k, _)| *k != "DISCORD_PUBLIC_KEY");
        let err = load("", &env_of(&env), Mode::Http, None).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("missing setting: DISCORD_PUBLIC_KEY ("),
            "{err}"
        );
    }

    #[test]
    fn the_file_fills_in_and_the_environment_wins() {
        let toml = r#"
            [api]
            user_id = "5832d184-dd53-42a0-8ace-0bf8d660f4cc"
            token = "file-api-token"
            [chatops]
            secret = "file-secret-0123456789"
            viewers = ["discord:*"]
            [discord]
            token = "file-bot-token"
            application_id = 42
            guild_id = "99"
            defer_after_ms = 1500
            listen = "127.0.0.1:9000"
        "#;
        let settings = load(toml, &|_| None, Mode::Gateway, None).unwrap();
        assert_eq!(settings.discord.token.expose_secret(), "file-bot-token");
        assert_eq!(
            settings.discord.application_id,
            Some(ApplicationId::new(42))
        );
        assert_eq!(
            settings.discord.registration,
            Registration::Guild(GuildId::new(99))
        );
        assert_eq!(settings.discord.defer_after, Duration::from_millis(1500));
        assert_eq!(settings.discord.listen.to_string(), "127.0.0.1:9000");

        let env = env_of(&[
            ("DISCORD_TOKEN", "env-bot-token"),
            ("DISCORD_REGISTER", "global"),
        ]);
        let listen: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let settings = load(toml, &env, Mode::Gateway, Some(listen)).unwrap();
        assert_eq!(settings.discord.token.expose_secret(), "env-bot-token");
        assert_eq!(settings.discord.registration, Registration::Global);
        assert_eq!(settings.discord.listen, listen);
    }

    #[test]
    fn tokens_never_show_in_debug_output() {
        let settings = load("", &env_of(&full_env()), Mode::Http, None).unwrap();
        let debug = format!("{settings:?}");
        for secret in [
            "bot-token-value-xyz",
            "api-token-value",
            "0123456789abcdef0123",
        ] {
            assert!(!debug.contains(secret), "{secret} leaks: {debug}");
        }
        assert_eq!(
            settings.discord.public_key.map(|k| hex(&k.0)).as_deref(),
            Some(KEY)
        );
        assert_eq!(settings.discord.registration, Registration::Global);
        assert_eq!(settings.discord.path, "/interactions");
        assert_eq!(settings.discord.max_request_age, Duration::from_secs(300));
    }

    #[test]
    fn bad_values_are_named() {
        let check = |extra: (&'static str, &'static str), needle: &str| {
            let mut env = full_env();
            env.retain(|(k, _)| *k != extra.0);
            env.push(extra);
            let err = load("", &env_of(&env), Mode::Http, None).unwrap_err();
            assert!(err.to_string().contains(needle), "{err}");
        };
        check(
            ("DISCORD_PUBLIC_KEY", "abc"),
            "bad setting DISCORD_PUBLIC_KEY",
        );
        check(
            ("DISCORD_APPLICATION_ID", "app"),
            "bad setting DISCORD_APPLICATION_ID",
        );
        check(("DISCORD_GUILD_ID", "-1"), "bad setting DISCORD_GUILD_ID");
        check(("DISCORD_REGISTER", "guild"), "needs DISCORD_GUILD_ID");
        check(
            ("DISCORD_REGISTER", "sometimes"),
            "use auto, guild, global or none",
        );
        check(("DISCORD_TOKEN", "Bot abc"), "without `Bot `");
        check(("AGENT_OPS_ACTION_SECRET", "short"), "16 characters");
        let err = load(
            "[discord]\ndefer_after_ms = 5000",
            &env_of(&full_env()),
            Mode::Http,
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("discord.defer_after_ms"), "{err}");
        let err = load(
            "[discord]\ncolour = 1",
            &env_of(&full_env()),
            Mode::Http,
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("colour"), "{err}");
    }
}
