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

use std::net::SocketAddr;
use std::time::Duration;

use agent_chatops::{EngineConfig, SecretPolicy};
use agent_core::settings::{Layers, Problems, Setting};
use agent_core::{ApiConfig, ConfigFile, SettingsError};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serenity::model::id::{ApplicationId, GuildId};

/// `DISCORD_TOKEN`.
pub const TOKEN: Setting = Setting::new(
    "discord.token",
    "DISCORD_TOKEN",
    "the bot token (required; never logged)",
);
/// `DISCORD_APPLICATION_ID`.
pub const APPLICATION_ID: Setting = Setting::new(
    "discord.application_id",
    "DISCORD_APPLICATION_ID",
    "the application id (required with --http)",
);
/// `DISCORD_PUBLIC_KEY`.
pub const PUBLIC_KEY: Setting = Setting::new(
    "discord.public_key",
    "DISCORD_PUBLIC_KEY",
    "the application's public key, 64 hex digits (required with --http)",
);
/// `DISCORD_GUILD_ID`.
pub const GUILD_ID: Setting = Setting::new(
    "discord.guild_id",
    "DISCORD_GUILD_ID",
    "the guild served; commands are registered there only (fast)",
);
/// `DISCORD_REGISTER`.
pub const REGISTER: Setting = Setting::new(
    "discord.register",
    "DISCORD_REGISTER",
    "auto (guild if DISCORD_GUILD_ID, else global), guild, global or none",
);
/// `DISCORD_LISTEN` (also `--listen`).
pub const LISTEN: Setting = Setting::new(
    "discord.listen",
    "DISCORD_LISTEN",
    "with --http: where the endpoint listens (as --listen; default 0.0.0.0:8080)",
);
/// `DISCORD_API_URL`.
pub const API_URL: Setting = Setting::new(
    "discord.api_url",
    "DISCORD_API_URL",
    "a REST proxy in front of discord.com (nirn-proxy, twilight-http-proxy) shared by replicas",
);
/// The bot's own settings that the environment can give (the engine's are declared by
/// `agent_core` and `agent_chatops`).
pub const SETTINGS: &[Setting] = &[
    TOKEN,
    APPLICATION_ID,
    PUBLIC_KEY,
    GUILD_ID,
    REGISTER,
    LISTEN,
    API_URL,
];

/// Discord's limit on a file a bot uploads without boosts: 10 MiB.
pub const DEFAULT_UPLOAD_LIMIT: u64 = 10 << 20;

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
    /// Where REST calls go instead of `https://discord.com` (a proxy that shares rate limits
    /// between replicas; tests: a local fake). serenity's own rate limiter is then off: the
    /// proxy keeps the limits.
    pub api_url: Option<url::Url>,
    /// The largest file the bot uploads (10 MiB unless the server is boosted).
    pub upload_limit: u64,
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
    /// See [`DiscordSettings::api_url`].
    pub api_url: Option<String>,
    /// See [`DiscordSettings::upload_limit`].
    pub upload_limit_bytes: Option<u64>,
}

fn snowflake(text: &str) -> Option<u64> {
    text.trim().parse::<u64>().ok().filter(|n| *n > 0)
}

/// [`load_layers`] from a config file's text and an environment (tests).
pub fn load(
    toml_text: &str,
    env: &dyn Fn(&str) -> Option<String>,
    mode: Mode,
    listen: Option<String>,
) -> Result<Settings, SettingsError> {
    let file = ConfigFile::parse(None, toml_text)?;
    load_layers(
        &Layers::new(file, env, &agent_chatops::config::declared(SETTINGS)),
        mode,
        listen,
    )
}

/// Loads every setting for `mode` from the layers (file, environment); `listen` (the
/// `--listen` flag) wins over both. Every missing or bad setting — the bot's, the platform's,
/// the engine's — is named in one error.
pub fn load_layers(
    layers: &Layers,
    mode: Mode,
    listen: Option<String>,
) -> Result<Settings, SettingsError> {
    let layers = layers.clone().with_flag(LISTEN.key, "--listen", listen);
    // Buttons must keep working across restarts and replicas: no random signing key here.
    let loaded =
        agent_chatops::config::load(&layers, SecretPolicy::Required, |layers, problems| {
            DiscordSettings::from_layers(layers, problems, mode)
        })?;
    let (discord, places) = loaded.transport;
    let mut engine = loaded.engine;
    engine.upload_limit = Some(discord.upload_limit);
    // Interactions from another guild than the configured one are refused by the engine, and
    // direct messages unless allowed.
    engine
        .places
        .insert(agent_chatops::Transport::Discord, places);
    Ok(Settings {
        api: loaded.api,
        engine,
        discord,
    })
}

impl DiscordSettings {
    /// The `[discord]` table of the layers, and where the engine may be used; problems go to
    /// `problems`.
    fn from_layers(
        layers: &Layers,
        problems: &mut Problems,
        mode: Mode,
    ) -> Option<(Self, agent_chatops::Places)> {
        let before = problems.len();
        let discord: DiscordSection = layers.table("discord", problems);
        let token = discord
            .token
            .filter(|t| !t.expose_secret().trim().is_empty());
        match &token {
            None => problems.missing(&TOKEN),
            Some(token) if token.expose_secret().contains(char::is_whitespace) => layers.invalid(
                problems,
                TOKEN.key,
                "it contains spaces: give the bot token alone, without `Bot `",
            ),
            Some(_) => {}
        }
        let application_id = discord.application_id.and_then(|value| {
            snowflake(&value.text())
                .map(ApplicationId::new)
                .or_else(|| {
                    layers.invalid(problems, APPLICATION_ID.key, "not a Discord id (digits)");
                    None
                })
        });
        let public_key = discord.public_key.and_then(|text| {
            PublicKey::parse(&text)
                .map_err(|e| layers.invalid(problems, PUBLIC_KEY.key, e))
                .ok()
        });
        if mode == Mode::Http {
            if !layers.is_set(APPLICATION_ID.key) {
                problems.missing(&APPLICATION_ID);
            }
            if !layers.is_set(PUBLIC_KEY.key) {
                problems.missing(&PUBLIC_KEY);
            }
        }
        let guild = discord.guild_id.and_then(|value| {
            snowflake(&value.text()).map(GuildId::new).or_else(|| {
                layers.invalid(problems, GUILD_ID.key, "not a Discord id (digits)");
                None
            })
        });
        let register = discord.register.unwrap_or_else(|| "auto".to_string());
        let registration = match (register.trim().to_ascii_lowercase().as_str(), guild) {
            ("auto", Some(guild)) | ("guild", Some(guild)) => Some(Registration::Guild(guild)),
            ("auto", None) | ("global", _) => Some(Registration::Global),
            ("none" | "off" | "skip", _) => Some(Registration::Skip),
            ("guild", None) => {
                layers.invalid(
                    problems,
                    REGISTER.key,
                    "`guild` needs DISCORD_GUILD_ID (or discord.guild_id)",
                );
                None
            }
            (_, _) => {
                layers.invalid(problems, REGISTER.key, "use auto, guild, global or none");
                None
            }
        };
        let listen = match discord.listen {
            Some(text) => text
                .trim()
                .parse()
                .map_err(|_| {
                    layers.invalid(problems, LISTEN.key, "not host:port");
                })
                .ok(),
            None => Some(SocketAddr::from(([0, 0, 0, 0], 8080))),
        };
        let path = discord.path.unwrap_or_else(|| "/interactions".to_string());
        if !path.starts_with('/') || path.contains(char::is_whitespace) {
            layers.invalid(problems, "discord.path", "must start with /");
        }
        // Discord waits 3 s for the first answer.
        let defer_after = Duration::from_millis(layers.within(
            problems,
            "discord.defer_after_ms",
            discord.defer_after_ms,
            100..=2500,
            2000,
        ));
        let max_request_age = Duration::from_secs(layers.within(
            problems,
            "discord.max_request_age_secs",
            discord.max_request_age_secs,
            5..=3600,
            300,
        ));
        let api_url = discord.api_url.and_then(|text| {
            match url::Url::parse(text.trim()) {
                Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Some(url),
                // The value is not repeated: a URL may carry credentials.
                _ => {
                    layers.invalid(problems, API_URL.key, "not an http(s) URL");
                    None
                }
            }
        });
        let upload_limit = layers.within(
            problems,
            "discord.upload_limit_bytes",
            discord.upload_limit_bytes,
            1_024..=(500 << 20),
            DEFAULT_UPLOAD_LIMIT,
        );
        if problems.len() > before {
            return None;
        }
        let places = agent_chatops::Places {
            allowed: guild.map(|g| vec![g.get().to_string()]),
            direct_messages: discord.allow_dms.unwrap_or(false),
        };
        Some((
            Self {
                token: token?,
                application_id,
                public_key,
                registration: registration?,
                listen: listen?,
                path,
                defer_after,
                max_request_age,
                api_url,
                upload_limit,
            },
            places,
        ))
    }
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

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
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
        assert_eq!(
            err.missing(),
            vec![
                "AGENT_API_TOKEN",
                "AGENT_USER_ID",
                "AGENT_OPS_ACTION_SECRET",
                "DISCORD_TOKEN",
                "DISCORD_APPLICATION_ID",
                "DISCORD_PUBLIC_KEY"
            ],
            "{text}"
        );
        assert!(text.starts_with("6 settings need attention: "), "{text}");
        let err = load("", &|_| None, Mode::Gateway, None).unwrap_err();
        assert_eq!(
            err.missing(),
            vec![
                "AGENT_API_TOKEN",
                "AGENT_USER_ID",
                "AGENT_OPS_ACTION_SECRET",
                "DISCORD_TOKEN"
            ],
            "{err}"
        );
        let mut env = full_env();
        env.retain(|(k, _)| *k != "DISCORD_PUBLIC_KEY");
        let err = load("", &env_of(&env), Mode::Http, None).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "missing setting DISCORD_PUBLIC_KEY (or `discord.public_key` in the config file)"
            ),
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
        let settings = load(toml, &env, Mode::Gateway, Some(listen.to_string())).unwrap();
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
