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

use std::fmt;

/// The commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandName {
    /// A page of a task's numbers.
    Numbers,
    /// Reset numbers, after a preview and a confirmation.
    Reset,
    /// What the bot understands.
    Help,
}

impl CommandName {
    /// The command as typed, without the slash.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Numbers => "numbers",
            Self::Reset => "reset",
            Self::Help => "help",
        }
    }

    /// The options the command takes.
    pub const fn options(self) -> &'static [OptionKey] {
        use OptionKey::*;
        match self {
            Self::Numbers => &[Task, Status, From, To, Page, Sub],
            Self::Reset => &[Task, Status, Phones, Keyword, From, To, Sub, All],
            Self::Help => &[],
        }
    }
}

impl fmt::Display for CommandName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}", self.as_str())
    }
}

/// The options of the grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OptionKey {
    /// `task:` — an alias from the configuration or a task id.
    Task,
    /// `status:` — statuses and groups.
    Status,
    /// `from:` — creation time, lower bound.
    From,
    /// `to:` — creation time, upper bound.
    To,
    /// `page:` — page number.
    Page,
    /// `sub:` — sub-account id.
    Sub,
    /// `phones:` — phones to reset.
    Phones,
    /// `keyword:` — text the number contains.
    Keyword,
    /// `all` — reset the whole task (a flag, no value).
    All,
}

impl OptionKey {
    /// The key as typed.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Task => "task",
            Self::Status => "status",
            Self::From => "from",
            Self::To => "to",
            Self::Page => "page",
            Self::Sub => "sub",
            Self::Phones => "phones",
            Self::Keyword => "keyword",
            Self::All => "all",
        }
    }

    fn parse(key: &str) -> Option<Self> {
        Some(match key.to_ascii_lowercase().as_str() {
            "task" | "t" => Self::Task,
            "status" | "statuses" | "s" => Self::Status,
            "from" | "start" | "since" | "start_at" => Self::From,
            "to" | "end" | "until" | "end_at" => Self::To,
            "page" | "p" => Self::Page,
            "sub" | "sub_user" | "sub_user_id" | "subaccount" => Self::Sub,
            "phones" | "phone" => Self::Phones,
            "keyword" | "kw" => Self::Keyword,
            "all" => Self::All,
            _ => return None,
        })
    }
}

/// A command with its options, as typed or as mapped from a transport's typed options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// Which command.
    pub name: CommandName,
    /// The options given, each at most once, in the order given.
    pub options: Vec<(OptionKey, String)>,
}

impl Invocation {
    /// A command without options.
    pub fn new(name: CommandName) -> Self {
        Self {
            name,
            options: Vec::new(),
        }
    }

    /// Adds an option (transports with typed options use this).
    #[must_use]
    pub fn with(mut self, key: OptionKey, value: impl Into<String>) -> Self {
        self.options.push((key, value.into()));
        self
    }

    /// The value of an option.
    pub fn get(&self, key: OptionKey) -> Option<&str> {
        self.options
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether a flag (such as `all`) is set.
    pub fn flag(&self, key: OptionKey) -> bool {
        self.get(key)
            .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "" | "true" | "yes" | "1"))
    }
}

/// Input that is not a command; the message names the offending part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Nothing, or not a command.
    #[error("not a command: `{0}`; try /numbers, /reset or /help")]
    NotACommand(String),
    /// An unknown command.
    #[error("unknown command `/{0}`; try /numbers, /reset or /help")]
    UnknownCommand(String),
    /// An unknown option.
    #[error("unknown option `{key}` for {command}; it takes {accepted}")]
    UnknownOption {
        /// The command.
        command: CommandName,
        /// The offending key.
        key: String,
        /// What it takes.
        accepted: String,
    },
    /// An option given twice.
    #[error("option `{0}` is given twice")]
    Duplicate(&'static str),
    /// An option without a value.
    #[error("option `{0}` needs a value, like {0}:…")]
    MissingValue(&'static str),
    /// A word that is neither an option nor the task.
    #[error("unexpected `{0}`; options look like key:value")]
    Unexpected(String),
    /// A quote that is not closed.
    #[error("a quote is not closed after `{0}`")]
    UnclosedQuote(String),
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
    let name = match head.to_ascii_lowercase().as_str() {
        "numbers" | "number" | "list" | "ls" => CommandName::Numbers,
        "reset" => CommandName::Reset,
        "help" | "start" | "?" => CommandName::Help,
        "" => return Err(ParseError::NotACommand(text.chars().take(40).collect())),
        other => return Err(ParseError::UnknownCommand(other.chars().take(40).collect())),
    };
    let accepted = || {
        name.options()
            .iter()
            .map(|k| k.as_str())
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
        let option = match OptionKey::parse(key) {
            Some(option) if name.options().contains(&option) => option,
            Some(_) | None if value.is_some() || name == CommandName::Help => {
                return Err(ParseError::UnknownOption {
                    command: name,
                    key: key.chars().take(40).collect(),
                    accepted: accepted(),
                });
            }
            // A first bare word names the task.
            _ if i == 0 && name.options().contains(&OptionKey::Task) => {
                invocation.options.push((OptionKey::Task, word.clone()));
                continue;
            }
            _ => return Err(ParseError::Unexpected(word.chars().take(40).collect())),
        };
        if invocation.get(option).is_some() {
            return Err(ParseError::Duplicate(option.as_str()));
        }
        let value = match (option, value) {
            (OptionKey::All, value) => value.unwrap_or_default(),
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
        assert_eq!(inv.name, CommandName::Numbers);
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
        assert_eq!(inv.name, CommandName::Reset);
        assert!(inv.flag(OptionKey::All));
        assert_eq!(parse("/start").unwrap().name, CommandName::Help);
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
