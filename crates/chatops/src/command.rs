//! The one command grammar of every transport:
//!
//! ```text
//! /numbers task:<task> [status:<list>] [from:<time>] [to:<time>] [page:<n>] [sub:<sub-account>]
//! /reset   task:<task> [status:<list>] [phones:<list>] [keyword:<k>] [from:..] [to:..] [sub:..] [all]
//! /help
//! ```
//!
//! Options are `key:value` (or `key=value`), in any order; a value with spaces is quoted
//! (`from:"2020-07-28 10:00"`). A first bare word is the task (`/numbers demo`). Discord maps its
//! typed options straight onto [`Invocation`], skipping the text.
//!
//! Which commands and options exist, their spellings and which command takes which option come
//! from the [catalogue](crate::catalogue).

pub use crate::catalogue::{CommandName, Invocation, OptionKey};
use crate::catalogue::{CommandSpec, OptionKind};
use crate::commands::COMMANDS;
use crate::i18n::Lang;
use crate::messages::Msg;

/// Input that is not a command; the message names the offending part. Its words are the
/// [messages table](crate::messages)'s ([`ParseError::message`]): `Display` is the English text,
/// chat users read it in their language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Nothing, or not a command.
    NotACommand(String),
    /// An unknown command.
    UnknownCommand(String),
    /// An unknown option.
    UnknownOption {
        /// The command.
        command: CommandName,
        /// The offending key.
        key: String,
        /// What it takes.
        accepted: String,
    },
    /// An option given twice.
    Duplicate(&'static str),
    /// An option without a value.
    MissingValue(&'static str),
    /// A word that is neither an option nor the task.
    Unexpected(String),
    /// A quote that is not closed.
    UnclosedQuote(String),
}

impl ParseError {
    /// The error in `lang`, worded by the messages table.
    pub fn text(&self, lang: Lang) -> String {
        let hint = command_hint(lang);
        let msg = match self {
            Self::NotACommand(typed) => Msg::NotACommand { typed, hint: &hint },
            Self::UnknownCommand(name) => Msg::UnknownCommand { name, hint: &hint },
            Self::UnknownOption {
                command,
                key,
                accepted,
            } => Msg::UnknownOption {
                command: command.as_str(),
                key,
                accepted,
            },
            Self::Duplicate(key) => Msg::DuplicateOption { key },
            Self::MissingValue(key) => Msg::MissingValue { key },
            Self::Unexpected(word) => Msg::UnexpectedWord { word },
            Self::UnclosedQuote(after) => Msg::UnclosedQuote { after },
        };
        msg.text(lang)
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(Lang::En))
    }
}

impl std::error::Error for ParseError {}

impl CommandName {
    /// Every command, in the catalogue's order.
    pub fn all() -> impl Iterator<Item = Self> {
        COMMANDS.iter().map(CommandName::of)
    }

    /// The command typed as `name` (without the slash; any accepted spelling, any case).
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.to_ascii_lowercase();
        COMMANDS
            .iter()
            .find(|spec: &&CommandSpec| spec.slash == name || spec.aliases.contains(&name.as_str()))
            .map(CommandName::of)
    }
}

/// The catalogue's commands as a hint: `/numbers, /reset or /help` (`/numbers、/reset 或 /help`).
pub fn command_hint(lang: Lang) -> String {
    let names: Vec<String> = CommandName::all().map(|c| c.to_string()).collect();
    let (sep, or) = match lang {
        Lang::En => (", ", " or "),
        Lang::Zh => ("、", " 或 "),
    };
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{}{or}{last}", rest.join(sep)),
        _ => names.concat(),
    }
}

/// Splits text into words; quotes (`"…"`, `'…'`, `“…”`) keep spaces inside a word.
fn words(text: &str) -> Result<Vec<String>, ParseError> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in text.chars() {
        match quote {
            Some(close) if c == close => quote = None,
            Some(_) => current.push(c),
            None => match c {
                '"' | '\'' => {
                    quote = Some(c);
                    in_word = true;
                }
                '“' => {
                    quote = Some('”');
                    in_word = true;
                }
                c if c.is_whitespace() => {
                    if in_word {
                        words.push(std::mem::take(&mut current));
                        in_word = false;
                    }
                }
                c => {
                    current.push(c);
                    in_word = true;
                }
            },
        }
    }
    if quote.is_some() {
        return Err(ParseError::UnclosedQuote(
            current.chars().take(20).collect(),
        ));
    }
    if in_word {
        words.push(current);
    }
    Ok(words)
}

/// Parses a command line: `/numbers task:demo status:busy`. The command may carry a bot name
/// (`/numbers@agent_ops_bot`, as Telegram groups send it) and the slash may be left out.
pub fn parse(text: &str) -> Result<Invocation, ParseError> {
    let words = words(text.trim())?;
    let Some((head, rest)) = words.split_first() else {
        return Err(ParseError::NotACommand(String::new()));
    };
    let head = head.strip_prefix('/').unwrap_or(head);
    let head = head.split_once('@').map_or(head, |(name, _bot)| name);
    let name = match CommandName::parse(head) {
        Some(name) => name,
        None if head.is_empty() => {
            return Err(ParseError::NotACommand(text.chars().take(40).collect()));
        }
        None => {
            return Err(ParseError::UnknownCommand(
                head.to_ascii_lowercase().chars().take(40).collect(),
            ));
        }
    };
    let spec = name.spec();
    let accepted = || {
        spec.option_specs()
            .map(|option| option.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut invocation = Invocation::new(name);
    for (i, word) in rest.iter().enumerate() {
        let split = word
            .find([':', '=', '：'])
            .map(|at| (&word[..at], word[at..].chars().skip(1).collect::<String>()));
        let (key, value) = match split {
            Some((key, value)) => (key, Some(value)),
            None => (word.as_str(), None),
        };
        let option = match spec.option(key) {
            Some(option) => option,
            None if value.is_some() || spec.options.is_empty() => {
                return Err(ParseError::UnknownOption {
                    command: name,
                    key: key.chars().take(40).collect(),
                    accepted: accepted(),
                });
            }
            // A first bare word names the positional option (the task).
            None => match spec.positional() {
                Some(positional) if i == 0 => {
                    invocation.options.push((positional, word.clone()));
                    continue;
                }
                _ => return Err(ParseError::Unexpected(word.chars().take(40).collect())),
            },
        };
        if invocation.get(option).is_some() {
            return Err(ParseError::Duplicate(option.as_str()));
        }
        let value = match (option.spec().kind, value) {
            (OptionKind::Flag, value) => value.unwrap_or_default(),
            (_, Some(value)) if !value.trim().is_empty() => value.trim().to_string(),
            _ => return Err(ParseError::MissingValue(option.as_str())),
        };
        invocation.options.push((option, value));
    }
    Ok(invocation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_with_options() {
        let inv =
            parse("/numbers task:demo status:busy,no-answer from:\"2020-07-28 10:00\" page=2")
                .unwrap();
        assert_eq!(inv.name, CommandName::NUMBERS);
        assert_eq!(inv.get(OptionKey::Task), Some("demo"));
        assert_eq!(inv.get(OptionKey::Status), Some("busy,no-answer"));
        assert_eq!(inv.get(OptionKey::From), Some("2020-07-28 10:00"));
        assert_eq!(inv.get(OptionKey::Page), Some("2"));
    }

    #[test]
    fn telegram_forms_and_shortcuts() {
        let inv = parse("/numbers@agent_ops_bot demo status:占线").unwrap();
        assert_eq!(inv.get(OptionKey::Task), Some("demo"));
        assert_eq!(inv.get(OptionKey::Status), Some("占线"));
        let inv = parse("reset task：demo all").unwrap();
        assert_eq!(inv.name, CommandName::RESET);
        assert!(inv.flag(OptionKey::All));
        assert_eq!(parse("/start").unwrap().name, CommandName::HELP);
    }

    #[test]
    fn the_hint_names_every_command_in_both_languages() {
        assert_eq!(
            command_hint(Lang::En),
            "/numbers, /stats, /reset, /export, /watch, /unwatch, /watches or /help"
        );
        assert_eq!(
            command_hint(Lang::Zh),
            "/numbers、/stats、/reset、/export、/watch、/unwatch、/watches 或 /help"
        );
    }

    #[test]
    fn errors_name_the_offending_part() {
        assert_eq!(
            parse("/numbers task:demo colour:red")
                .unwrap_err()
                .to_string(),
            "unknown option `colour` for /numbers; it takes task, status, from, to, page, sub"
        );
        assert_eq!(
            parse("/numbers task:demo phones:1")
                .unwrap_err()
                .to_string(),
            "unknown option `phones` for /numbers; it takes task, status, from, to, page, sub"
        );
        assert_eq!(
            parse("/numbers task:a task:b").unwrap_err(),
            ParseError::Duplicate("task")
        );
        assert_eq!(
            parse("/numbers status:").unwrap_err(),
            ParseError::MissingValue("status")
        );
        assert_eq!(
            parse("/numbers demo extra").unwrap_err(),
            ParseError::Unexpected("extra".into())
        );
        assert_eq!(
            parse("/frobnicate").unwrap_err(),
            ParseError::UnknownCommand("frobnicate".into())
        );
        assert!(matches!(
            parse("/numbers from:\"2020"),
            Err(ParseError::UnclosedQuote(_))
        ));
        assert!(matches!(parse("   "), Err(ParseError::NotACommand(_))));
    }
}
