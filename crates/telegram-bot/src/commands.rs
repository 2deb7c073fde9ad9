//! Which messages are commands for this bot, and the command list published with
//! `setMyCommands`. The grammar itself (options, `/numbers@BotName`, `/start`) is the engine's.

use agent_chatops::{Lang, ParseError};
use teloxide::types::BotCommand;

/// What to do with a message's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Hand the text to the engine, which answers it (also with an error for a bad command).
    Engine,
    /// Not for us: another bot's command, or chatter in a group.
    Ignore,
}

/// Decides whether a message is for this bot.
///
/// - `/cmd@OtherBot` is another bot's: ignored (the bot name is compared case-insensitively).
/// - `/cmd@our_bot` is ours, known or not (an unknown one gets the engine's error).
/// - `/cmd` without a bot name in a group is ours only when the engine knows the command, so
///   other bots' commands in the same group are left alone.
/// - In a private chat every text goes to the engine (it also reads `numbers demo` without the
///   slash, and answers anything else with a hint).
pub fn route(text: &str, our_username: Option<&str>, private_chat: bool) -> Route {
    let text = text.trim_start();
    let first = text.split_whitespace().next().unwrap_or_default();
    if let Some((_, addressee)) = first.strip_prefix('/').and_then(|c| c.split_once('@')) {
        let ours = our_username.is_some_and(|name| {
            let name = name.trim_start_matches('@');
            !name.is_empty() && addressee.eq_ignore_ascii_case(name)
        });
        return if ours { Route::Engine } else { Route::Ignore };
    }
    if private_chat {
        return Route::Engine;
    }
    if !first.starts_with('/') {
        return Route::Ignore;
    }
    match agent_chatops::parse(text) {
        Err(ParseError::UnknownCommand(_) | ParseError::NotACommand(_)) => Route::Ignore,
        _ => Route::Engine,
    }
}

/// The commands shown in Telegram's menu, in English (the default list) or Chinese (the list
/// for users whose app is in Chinese, `language_code` "zh"): the catalogue's commands, each with
/// its summary and, where it has one, an example.
pub fn bot_commands(lang: Lang) -> Vec<BotCommand> {
    agent_chatops::COMMANDS
        .iter()
        .map(|spec| {
            let summary = spec.summary.get(lang);
            let description = match spec.example {
                Some(example) => format!("{summary}: {example}"),
                None => summary.to_string(),
            };
            BotCommand::new(spec.slash, description)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOT: Option<&str> = Some("agent_ops_bot");

    #[test]
    fn commands_for_other_bots_are_ignored() {
        assert_eq!(route("/numbers@OtherBot demo", BOT, false), Route::Ignore);
        assert_eq!(route("/numbers@OtherBot demo", BOT, true), Route::Ignore);
        assert_eq!(
            route("/numbers@Agent_Ops_Bot demo", BOT, false),
            Route::Engine
        );
        assert_eq!(
            route("/frobnicate@agent_ops_bot", BOT, false),
            Route::Engine
        );
        // Without knowing our name, an addressed command is not known to be ours.
        assert_eq!(route("/numbers@agent_ops_bot", None, false), Route::Ignore);
    }

    #[test]
    fn groups_get_answers_to_our_commands_only() {
        assert_eq!(
            route("/numbers demo status:busy", BOT, false),
            Route::Engine
        );
        assert_eq!(route("  /reset demo all", BOT, false), Route::Engine);
        assert_eq!(route("/help", BOT, false), Route::Engine);
        assert_eq!(route("/start", BOT, false), Route::Engine);
        // A bad option of our command is still ours: the engine names it.
        assert_eq!(route("/numbers demo colour:red", BOT, false), Route::Engine);
        assert_eq!(route("/weather", BOT, false), Route::Ignore);
        assert_eq!(route("good morning", BOT, false), Route::Ignore);
        assert_eq!(route("numbers demo", BOT, false), Route::Ignore);
    }

    #[test]
    fn private_chats_hand_everything_to_the_engine() {
        assert_eq!(route("numbers demo", BOT, true), Route::Engine);
        assert_eq!(route("/weather", BOT, true), Route::Engine);
        assert_eq!(route("hello", BOT, true), Route::Engine);
    }

    #[test]
    fn the_menu_in_two_languages() {
        for lang in [Lang::En, Lang::Zh] {
            let commands = bot_commands(lang);
            let names: Vec<&str> = commands.iter().map(|c| c.command.as_str()).collect();
            let catalogue: Vec<&str> = agent_chatops::CommandName::all()
                .map(|c| c.as_str())
                .collect();
            assert_eq!(names, catalogue);
            for command in &commands {
                let len = command.description.chars().count();
                assert!((3..=256).contains(&len), "{command:?}");
            }
        }
        assert!(bot_commands(Lang::Zh)[0].description.contains("任务号码"));
    }
}
