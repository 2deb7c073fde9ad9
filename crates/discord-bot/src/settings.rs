//! The bot's own settings, the `[discord]` table (each declared once below; the platform's and
//! the engine's are `agent-core`'s and `agent-chatops`'), and loading them all in one go.

use std::net::SocketAddr;
use std::time::Duration;

use agent_chatops::config::{HttpUrl, Layers, ListenAddress, Loaded, NumericId, Problems};
use agent_chatops::config::{SettingsError, Table, text_layers};
use agent_chatops::{EngineConfig, SecretPolicy};
use agent_core::ApiConfig;
use secrecy::{ExposeSecret, SecretString};
use serenity::model::id::{ApplicationId, GuildId};

pub use crate::commands::Registration;
pub use crate::endpoint::{PublicKey, hex, parse_hex};

agent_ops_settings::section! {
    /// The Discord bot: its token, the application (HTTP mode), where commands are registered,
    /// the interactions endpoint, limits.
    pub struct DiscordSection in "discord" => DiscordValues, DiscordKeys {
        /// the bot token (required; never logged)
        token: SecretString, env "DISCORD_TOKEN";
        /// the application id (required with --http; gateway mode learns it at READY)
        application_id: NumericId, env "DISCORD_APPLICATION_ID", example "\"1234567890\"";
        /// the application's public key, 64 hex digits (required with --http)
        public_key: String, env "DISCORD_PUBLIC_KEY", example "\"67c6bd…\"";
        /// the guild served; commands are registered there only (fast)
        guild_id: NumericId, env "DISCORD_GUILD_ID", shown "none: every guild", example "\"5678\"";
        /// auto (guild if DISCORD_GUILD_ID, else global), guild, global or none
        register: String = "auto", env "DISCORD_REGISTER";
        /// with --http: where the endpoint listens
        listen: ListenAddress = "0.0.0.0:8080", env "DISCORD_LISTEN", flag "--listen";
        /// with --http: the endpoint's path
        path: String = "/interactions";
        /// milliseconds before a slow answer is deferred (Discord waits 3 s for the first one)
        defer_after_ms: u64 = 2000, range 100..=2500;
        /// seconds a signed request's timestamp may be from now (older or newer is refused)
        max_request_age_secs: u64 = 300, range 5..=3600;
        /// whether direct messages to the bot are answered
        allow_dms: bool = false;
        /// a REST proxy in front of discord.com (nirn-proxy, twilight-http-proxy) shared by
        /// replicas
        api_url: HttpUrl, env "DISCORD_API_URL", shown "https://discord.com",
            example "\"http://127.0.0.1:8080\"";
        /// the largest file the bot uploads, in bytes (Discord's limit without boosts: 10 MiB)
        upload_limit_bytes: u64 = 10 << 20, range 1_024..=(500 << 20);
    }
}

/// The bot's table.
pub const TABLES: &[Table] = &[DiscordSection::DECLARED];

/// How the bot receives interactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A gateway connection (serenity's client); the default.
    Gateway,
    /// An HTTPS interactions endpoint that Discord posts to.
    Http,
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
    /// Where REST calls go instead of `https://discord.com` (serenity's rate limiter is then off).
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

/// [`load_layers`] from a config file's text and an environment (tests).
pub fn load(
    toml_text: &str,
    env: &dyn Fn(&str) -> Option<String>,
    mode: Mode,
    listen: Option<String>,
) -> Result<Settings, SettingsError> {
    load_layers(&text_layers(toml_text, env, TABLES)?, mode, listen)
}

/// Every setting for `mode` from the layers (file, environment), `listen` (the `--listen` flag)
/// over both: the platform's and the engine's, then the bot's; every missing or bad one is
/// named in one error.
pub fn load_layers(
    layers: &Layers,
    mode: Mode,
    listen: Option<String>,
) -> Result<Settings, SettingsError> {
    let layers = layers
        .clone()
        .with_flag(&DiscordSection::KEYS.listen, listen);
    let mut problems = Problems::new();
    // Buttons must keep working across restarts and replicas: no random signing key here.
    let shared = Loaded::resolve(&layers, &mut problems, SecretPolicy::Required);
    let discord = DiscordSettings::resolve(&layers, &mut problems, mode);
    let (Loaded { api, mut engine }, (discord, places)) = problems.conclude(shared.zip(discord))?;
    // Interactions from another guild than the configured one are refused by the engine, and
    // direct messages unless allowed.
    engine
        .places
        .insert(agent_chatops::Transport::Discord, places);
    Ok(Settings {
        api,
        engine,
        discord,
    })
}

impl DiscordSettings {
    /// The `[discord]` table of the layers, and where the engine may be used; problems go to
    /// `problems`, which the caller concludes (a value out of range stands as its default).
    fn resolve(
        layers: &Layers,
        problems: &mut Problems,
        mode: Mode,
    ) -> Option<(Self, agent_chatops::Places)> {
        let keys = DiscordSection::KEYS;
        // Bad ids, URLs and addresses have been reported by `values`: their types check them.
        let values = layers.values::<DiscordSection>(problems);
        let token = values
            .token
            .filter(|t| !t.expose_secret().trim().is_empty());
        match &token {
            None => problems.missing(&keys.token),
            Some(token) if token.expose_secret().contains(char::is_whitespace) => {
                let why = "it contains spaces: give the bot token alone, without `Bot `";
                layers.invalid(problems, keys.token.key, why);
            }
            Some(_) => {}
        }
        let public_key = values.public_key.and_then(|text| {
            let key = PublicKey::parse(&text);
            key.map_err(|e| layers.invalid(problems, keys.public_key.key, e))
                .ok()
        });
        if mode == Mode::Http {
            for setting in [keys.application_id, keys.public_key] {
                if !layers.is_set(setting.key) {
                    problems.missing(&setting);
                }
            }
        }
        let guild = values.guild_id.and_then(|id| id.get()).map(GuildId::new);
        let registration = Registration::choose(&values.register, guild)
            .map_err(|why| layers.invalid(problems, keys.register.key, why));
        if !values.path.starts_with('/') || values.path.contains(char::is_whitespace) {
            layers.invalid(problems, keys.path.key, "must start with /");
        }
        let places = agent_chatops::Places {
            allowed: guild.map(|g| vec![g.get().to_string()]),
            direct_messages: values.allow_dms,
        };
        let discord = Self {
            token: token?,
            application_id: values
                .application_id
                .and_then(|id| id.get())
                .map(ApplicationId::new),
            public_key,
            registration: registration.ok()?,
            listen: values.listen.parse().ok()?,
            path: values.path,
            defer_after: Duration::from_millis(values.defer_after_ms),
            max_request_age: Duration::from_secs(values.max_request_age_secs),
            api_url: values.api_url.and_then(|url| url.parse().ok()),
            upload_limit: values.upload_limit_bytes,
        };
        Some((discord, places))
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
