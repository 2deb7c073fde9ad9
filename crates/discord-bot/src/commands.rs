//! The slash commands: their registration (typed options, Chinese localisations), rendered from
//! the engine's command catalogue, and the mapping of a command's typed options onto the engine's
//! [`Invocation`].

use agent_chatops::COMMANDS;
use agent_chatops::catalogue::{CommandSpec, Completion, OptionKind, OptionSpec};
use agent_chatops::{CommandName, Invocation, Lang, Msg};
use serenity::builder::{CreateCommand, CreateCommandOption};
use serenity::http::Http;
use serenity::model::application::{
    CommandData, CommandDataOption, CommandDataOptionValue, CommandOptionType,
};

use serenity::model::id::GuildId;

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

impl Registration {
    /// The registration that `discord.register` (`auto`, `guild`, `global` or `none`) asks
    /// for, with the configured guild; or why there is none.
    pub fn choose(register: &str, guild: Option<GuildId>) -> Result<Self, &'static str> {
        match (register.trim().to_ascii_lowercase().as_str(), guild) {
            ("auto" | "guild", Some(guild)) => Ok(Self::Guild(guild)),
            ("auto", None) | ("global", _) => Ok(Self::Global),
            ("none" | "off" | "skip", _) => Ok(Self::Skip),
            ("guild", None) => Err("`guild` needs DISCORD_GUILD_ID (or discord.guild_id)"),
            (_, _) => Err("use auto, guild, global or none"),
        }
    }
}

/// The locale of the Chinese names and descriptions.
pub const ZH: &str = "zh-CN";

/// An option of the catalogue as a typed Discord option.
fn option(spec: &OptionSpec) -> CreateCommandOption {
    let kind = match spec.kind {
        OptionKind::Text => CommandOptionType::String,
        OptionKind::Integer { .. } => CommandOptionType::Integer,
        OptionKind::Flag => CommandOptionType::Boolean,
    };
    let mut option = CreateCommandOption::new(kind, spec.name, spec.description.en)
        .name_localized(ZH, spec.name_zh)
        .description_localized(ZH, spec.description.zh);
    if spec.required() {
        option = option.required(true);
    }
    match spec.completion {
        Completion::None => {}
        Completion::Autocomplete(_) => option = option.set_autocomplete(true),
        Completion::Choices(choices) => {
            for (value, label) in choices {
                option = option.add_string_choice_localized(label.en, *value, [(ZH, label.zh)]);
            }
        }
    }
    if let OptionKind::Integer { min: Some(min) } = spec.kind {
        option = option.min_int_value(u64::from(min));
    }
    option
}

/// A command of the catalogue as a Discord slash command.
fn command(spec: &CommandSpec) -> CreateCommand {
    CreateCommand::new(spec.slash)
        .name_localized(ZH, spec.name_zh)
        .description(spec.summary.en)
        .description_localized(ZH, spec.summary.zh)
        .set_options(spec.option_specs().map(option).collect())
}

/// The commands to register: every command of the catalogue.
pub fn commands() -> Vec<CreateCommand> {
    COMMANDS.iter().map(command).collect()
}

/// Registers the commands (a bulk overwrite: `PUT …/commands`); returns how many Discord now
/// holds.
pub async fn register(http: &Http, registration: Registration) -> Result<usize, serenity::Error> {
    let commands = commands();
    let registered = match registration {
        Registration::Skip => return Ok(0),
        Registration::Global => http.create_global_commands(&commands).await?,
        Registration::Guild(guild) => http.create_guild_commands(guild, &commands).await?,
    };
    tracing::info!(
        count = registered.len(),
        ?registration,
        "slash commands registered"
    );
    Ok(registered.len())
}

/// A command Discord sent that the bot cannot map (a stale registration). Its words are the
/// engine's ([`Msg::StaleCommand`], [`Msg::StaleOption`]), in English here; users read them in
/// their language through [`agent_chatops::Engine::notice`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    /// The command is not ours.
    #[error("{}", stale_command(.0))]
    UnknownCommand(String),
    /// An option is not ours, or has an unexpected type.
    #[error("{}", stale_option(.0))]
    UnknownOption(String),
}

fn stale_command(name: &str) -> String {
    Msg::StaleCommand { name }.text(Lang::En)
}

fn stale_option(name: &str) -> String {
    Msg::StaleOption { name }.text(Lang::En)
}

/// The catalogue's command registered as `name`.
pub fn command_name(name: &str) -> Option<CommandName> {
    CommandName::all().find(|c| c.as_str() == name)
}

/// The engine's invocation of a slash command: typed options become `key: value` (an integer
/// page as digits, `all: true` as the `all` flag, `all: false` left out).
pub fn invocation_of(data: &CommandData) -> Result<Invocation, MapError> {
    let name =
        command_name(&data.name).ok_or_else(|| MapError::UnknownCommand(data.name.clone()))?;
    let mut invocation = Invocation::new(name);
    for CommandDataOption {
        name: key, value, ..
    } in &data.options
    {
        let key_of = || {
            name.options()
                .iter()
                .copied()
                .find(|k| k.as_str() == key)
                .ok_or_else(|| MapError::UnknownOption(key.clone()))
        };
        let option = key_of()?;
        match value {
            CommandDataOptionValue::String(text) => invocation = invocation.with(option, text),
            CommandDataOptionValue::Integer(n) => {
                invocation = invocation.with(option, n.to_string());
            }
            CommandDataOptionValue::Boolean(true) => invocation = invocation.with(option, ""),
            CommandDataOptionValue::Boolean(false) => {}
            CommandDataOptionValue::Autocomplete { value, .. } => {
                invocation = invocation.with(option, value);
            }
            _ => return Err(MapError::UnknownOption(key.clone())),
        }
    }
    Ok(invocation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use agent_chatops::OptionKey;

    fn data(json: serde_json::Value) -> CommandData {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn typed_options_map_onto_the_grammar() {
        let inv = invocation_of(&data(serde_json::json!({
            "id": "1", "name": "reset", "type": 1,
            "options": [
                {"name": "task", "type": 3, "value": "demo"},
                {"name": "status", "type": 3, "value": "busy,no-answer"},
                {"name": "all", "type": 5, "value": true},
            ]
        })))
        .unwrap();
        assert_eq!(inv.name, CommandName::RESET);
        assert_eq!(inv.get(OptionKey::Task), Some("demo"));
        assert_eq!(inv.get(OptionKey::Status), Some("busy,no-answer"));
        assert!(inv.flag(OptionKey::All));

        let inv = invocation_of(&data(serde_json::json!({
            "id": "1", "name": "numbers", "type": 1,
            "options": [{"name": "page", "type": 4, "value": 3}]
        })))
        .unwrap();
        assert_eq!(inv.get(OptionKey::Page), Some("3"));

        let inv = invocation_of(&data(serde_json::json!({
            "id": "1", "name": "reset", "type": 1,
            "options": [{"name": "all", "type": 5, "value": false}]
        })))
        .unwrap();
        assert!(!inv.flag(OptionKey::All));
        assert!(inv.options.is_empty());
    }

    #[test]
    fn stale_registrations_are_named() {
        assert_eq!(
            invocation_of(&data(
                serde_json::json!({"id": "1", "name": "frobnicate", "type": 1})
            )),
            Err(MapError::UnknownCommand("frobnicate".into()))
        );
        assert_eq!(
            invocation_of(&data(serde_json::json!({
                "id": "1", "name": "numbers", "type": 1,
                "options": [{"name": "phones", "type": 3, "value": "13800000000"}]
            }))),
            Err(MapError::UnknownOption("phones".into()))
        );
    }

    #[test]
    fn every_command_and_option_is_registered_within_discord_limits() {
        let json = serde_json::to_value(commands()).unwrap();
        let registered = json.as_array().unwrap();
        assert_eq!(registered.len(), COMMANDS.len());
        for (command, spec) in registered.iter().zip(COMMANDS) {
            assert_eq!(command["name"], spec.slash);
            for key in ["description", "description_localizations"] {
                let texts = match &command[key] {
                    serde_json::Value::Object(map) => map.values().cloned().collect(),
                    other => vec![other.clone()],
                };
                for text in texts {
                    assert!(text.as_str().unwrap().chars().count() <= 100, "{text}");
                }
            }
            let options = command["options"].as_array().unwrap();
            assert_eq!(options.len(), spec.options.len());
            for option in options {
                for text in [
                    &option["description"],
                    &option["description_localizations"][ZH],
                ] {
                    assert!(text.as_str().unwrap().chars().count() <= 100, "{option}");
                }
                assert!(
                    option["name_localizations"][ZH]
                        .as_str()
                        .unwrap()
                        .chars()
                        .count()
                        <= 32
                );
            }
        }
    }
}
