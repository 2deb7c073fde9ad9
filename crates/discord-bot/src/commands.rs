//! The slash commands: their registration (typed options, Chinese localisations) and the mapping
//! of a command's typed options onto the engine's [`Invocation`].

use agent_chatops::{CommandName, Invocation, OptionKey};
use serenity::builder::{CreateCommand, CreateCommandOption};
use serenity::http::Http;
use serenity::model::application::{
    CommandData, CommandDataOption, CommandDataOptionValue, CommandOptionType,
};

use crate::settings::Registration;

/// The locale of the Chinese names and descriptions.
pub const ZH: &str = "zh-CN";

/// One typed option as Discord shows it.
struct OptionSpec {
    key: OptionKey,
    kind: CommandOptionType,
    name_zh: &'static str,
    description: &'static str,
    description_zh: &'static str,
    autocomplete: bool,
}

const OPTIONS: [OptionSpec; 9] = [
    OptionSpec {
        key: OptionKey::Task,
        kind: CommandOptionType::String,
        name_zh: "任务",
        description: "Task alias or id",
        description_zh: "任务别名或 id",
        autocomplete: true,
    },
    OptionSpec {
        key: OptionKey::Status,
        kind: CommandOptionType::String,
        name_zh: "状态",
        description: "Statuses or groups, comma-separated (busy,no-answer or retryable)",
        description_zh: "状态或分组，逗号分隔（如 busy,no-answer 或 retryable）",
        autocomplete: true,
    },
    OptionSpec {
        key: OptionKey::From,
        kind: CommandOptionType::String,
        name_zh: "开始时间",
        description: "Created from (2020-07-28, 2020-07-28 10:00, today, 7d = 7 days ago)",
        description_zh: "创建时间起（2020-07-28、2020-07-28 10:00、today、7d 即 7 天前）",
        autocomplete: false,
    },
    OptionSpec {
        key: OptionKey::To,
        kind: CommandOptionType::String,
        name_zh: "结束时间",
        description: "Created until (2020-07-29, 2020-07-29 18:00, now)",
        description_zh: "创建时间止（2020-07-29、2020-07-29 18:00、now）",
        autocomplete: false,
    },
    OptionSpec {
        key: OptionKey::Page,
        kind: CommandOptionType::Integer,
        name_zh: "页码",
        description: "Page number, from 1",
        description_zh: "页码，从 1 开始",
        autocomplete: false,
    },
    OptionSpec {
        key: OptionKey::Phones,
        kind: CommandOptionType::String,
        name_zh: "手机号",
        description: "Phone numbers to reset, comma-separated",
        description_zh: "要重置的手机号，逗号分隔",
        autocomplete: false,
    },
    OptionSpec {
        key: OptionKey::Keyword,
        kind: CommandOptionType::String,
        name_zh: "关键词",
        description: "Reset numbers containing this text",
        description_zh: "重置包含该文字的号码",
        autocomplete: false,
    },
    OptionSpec {
        key: OptionKey::Sub,
        kind: CommandOptionType::String,
        name_zh: "子账户",
        description: "Sub-account id",
        description_zh: "子账户 id",
        autocomplete: false,
    },
    OptionSpec {
        key: OptionKey::All,
        kind: CommandOptionType::Boolean,
        name_zh: "全部",
        description: "Reset the whole task (needed when no other filter is given)",
        description_zh: "重置整个任务（不带其他筛选条件时必须选择）",
        autocomplete: false,
    },
];

fn spec(key: OptionKey) -> Option<&'static OptionSpec> {
    OPTIONS.iter().find(|s| s.key == key)
}

fn option(spec: &OptionSpec) -> CreateCommandOption {
    let mut option = CreateCommandOption::new(spec.kind, spec.key.as_str(), spec.description)
        .name_localized(ZH, spec.name_zh)
        .description_localized(ZH, spec.description_zh);
    if spec.autocomplete {
        option = option.set_autocomplete(true);
    }
    if spec.key == OptionKey::Page {
        option = option.min_int_value(1);
    }
    option
}

fn command(
    name: CommandName,
    name_zh: &str,
    description: &str,
    description_zh: &str,
) -> CreateCommand {
    CreateCommand::new(name.as_str())
        .name_localized(ZH, name_zh)
        .description(description)
        .description_localized(ZH, description_zh)
        .set_options(
            name.options()
                .iter()
                .filter_map(|key| spec(*key))
                .map(option)
                .collect(),
        )
}

/// The commands to register: `/numbers`, `/reset` and `/help`.
pub fn commands() -> Vec<CreateCommand> {
    vec![
        command(
            CommandName::Numbers,
            "号码",
            "A page of a task's numbers, with counts per status",
            "分页查看任务号码，并按状态计数",
        ),
        command(
            CommandName::Reset,
            "重置",
            "Put numbers back to waiting, after a preview and your confirmation",
            "预览并确认后，将号码恢复为等待呼叫",
        ),
        command(
            CommandName::Help,
            "帮助",
            "What the bot understands, and your role",
            "使用说明及你的角色",
        ),
    ]
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

/// A command Discord sent that the bot cannot map (a stale registration).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    /// The command is not ours.
    #[error("unknown command `/{0}`: the registered commands are out of date")]
    UnknownCommand(String),
    /// An option is not ours, or has an unexpected type.
    #[error("unexpected option `{0}`: the registered commands are out of date")]
    UnknownOption(String),
}

fn command_name(name: &str) -> Option<CommandName> {
    [CommandName::Numbers, CommandName::Reset, CommandName::Help]
        .into_iter()
        .find(|c| c.as_str() == name)
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
        assert_eq!(inv.name, CommandName::Reset);
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
    fn every_option_of_the_grammar_is_registered_within_discord_limits() {
        for command in [CommandName::Numbers, CommandName::Reset] {
            for key in command.options() {
                let spec = spec(*key).unwrap();
                assert!(spec.description.chars().count() <= 100);
                assert!(spec.description_zh.chars().count() <= 100);
                assert!(spec.name_zh.chars().count() <= 32);
            }
        }
        let json = serde_json::to_value(commands()).unwrap();
        for command in json.as_array().unwrap() {
            assert!(command["description"].as_str().unwrap().chars().count() <= 100);
        }
    }
}
