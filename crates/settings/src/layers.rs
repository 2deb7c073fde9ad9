//! The layering: the config file (parsed once by [`ConfigFile::parse`]), the declared
//! environment variables over it, command-line flags over both, by [`figment`]; each owner takes
//! its table (`[api]`, `[chatops]`, `[telegram]`, `[discord]`…) as its declared section and
//! resolves it, and every problem found on the way — missing settings, bad values, bad keys — is
//! collected into one [`SettingsError`] that names each setting's environment variable and file
//! key, and never a value.
//!
//! Environment values are trimmed, empty ones count as unset, and they stay strings (figment's
//! own `Env` provider would turn `AGENT_API_TOKEN=12345` into a number): a setting read from the
//! environment is a string in its section.

use std::collections::BTreeMap;
use std::fmt;

use figment::Figment;
use figment::providers::Serialized;
use serde::de::DeserializeOwned;

use crate::declare::{Section, Setting, Table};
use crate::file::{ConfigFile, ConfigFileError};

/// One thing wrong with the settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A required setting is set nowhere.
    Missing(Setting),
    /// A setting has a bad value; `setting` is where it came from (a variable, a flag or a file
    /// key), `reason` never quotes the value.
    Invalid {
        /// The variable, flag or file key.
        setting: String,
        /// Why.
        reason: String,
    },
    /// The file is unreadable, not TOML, or a table holds a bad key or value: names the file,
    /// line and key.
    File(ConfigFileError),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing(setting) => match setting.env {
                Some(env) => write!(
                    f,
                    "missing setting {env} (or `{}` in the config file): {}",
                    setting.key,
                    setting.about()
                ),
                None => write!(f, "missing setting `{}`: {}", setting.key, setting.about()),
            },
            Self::Invalid { setting, reason } => write!(f, "bad setting {setting}: {reason}"),
            Self::File(err) => write!(f, "{err}"),
        }
    }
}

/// Every problem found in the settings, at once (never empty).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SettingsError {
    problems: Vec<Problem>,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.as_slice() {
            [one] => write!(f, "{one}"),
            many => {
                write!(f, "{} settings need attention: ", many.len())?;
                for (i, problem) in many.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{problem}")?;
                }
                Ok(())
            }
        }
    }
}

impl SettingsError {
    /// What is wrong, in the order found.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The environment variables of the missing settings.
    pub fn missing(&self) -> Vec<&'static str> {
        self.problems
            .iter()
            .filter_map(|p| match p {
                Problem::Missing(setting) => setting.env,
                _ => None,
            })
            .collect()
    }

    /// One problem.
    pub fn invalid(setting: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            problems: vec![Problem::Invalid {
                setting: setting.into(),
                reason: reason.into(),
            }],
        }
    }
}

impl From<ConfigFileError> for SettingsError {
    fn from(err: ConfigFileError) -> Self {
        Self {
            problems: vec![Problem::File(err)],
        }
    }
}

/// Collects problems while settings are resolved, so all are reported together.
#[derive(Debug, Default)]
pub struct Problems {
    list: Vec<Problem>,
    /// Tables that did not deserialize (their defaults stood in): a setting of theirs is not
    /// reported missing, since the table's own problem is the one to fix.
    broken: Vec<String>,
}

impl Problems {
    /// None yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A required setting is set nowhere.
    pub fn missing(&mut self, setting: &Setting) {
        let table = setting.key.split_once('.').map_or(setting.key, |(t, _)| t);
        if self.broken.iter().any(|b| b == table) {
            return;
        }
        self.list.push(Problem::Missing(*setting));
    }

    /// A bad value of `setting` (as [`Layers::origin`] names it).
    pub fn invalid(&mut self, setting: impl Into<String>, reason: impl Into<String>) {
        self.list.push(Problem::Invalid {
            setting: setting.into(),
            reason: reason.into(),
        });
    }

    /// Adds every problem of another error.
    pub fn extend(&mut self, err: SettingsError) {
        self.list.extend(err.problems);
    }

    /// How many problems so far.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether nothing is wrong so far.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// `value` when nothing is wrong and it is complete; else every problem (the parts of a
    /// value are `None` when a problem was found in them).
    pub fn conclude<T>(self, value: Option<T>) -> Result<T, SettingsError> {
        self.finish(value)?
            .ok_or_else(|| SettingsError::invalid("settings", "incomplete"))
    }

    /// `value` when nothing is wrong, else every problem.
    pub fn finish<T>(self, value: T) -> Result<T, SettingsError> {
        if self.list.is_empty() {
            Ok(value)
        } else {
            Err(SettingsError {
                problems: self.list,
            })
        }
    }

    /// A check on the way: `Err` with everything so far when something is wrong.
    pub fn check(&mut self) -> Result<(), SettingsError> {
        if self.list.is_empty() {
            Ok(())
        } else {
            Err(SettingsError {
                problems: std::mem::take(&mut self.list),
            })
        }
    }
}

/// Where a key's value came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// A flag (or the variable clap read for it).
    Flag(&'static str),
    /// An environment variable.
    Env(&'static str),
}

/// The layered settings: file, then environment, then flags. Built once per binary; each owner
/// takes its table with [`Layers::table`].
#[derive(Clone)]
pub struct Layers {
    file: ConfigFile,
    figment: Figment,
    origins: BTreeMap<&'static str, Origin>,
}

impl fmt::Debug for Layers {
    /// The file's path and which keys the environment or flags set; never a value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Layers")
            .field("file", &self.file)
            .field("overridden", &self.origins.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Layers {
    /// The file, with the declared environment variables (read through `env`, so tests need not
    /// touch the process environment) over it.
    pub fn new(file: ConfigFile, env: &dyn Fn(&str) -> Option<String>, declared: &[Table]) -> Self {
        let mut layers = Self {
            figment: Figment::from(Serialized::defaults(file.table().clone())),
            file,
            origins: BTreeMap::new(),
        };
        for setting in declared.iter().flat_map(|table| table.settings) {
            if let Some(name) = setting.env
                && let Some(value) = env(name)
            {
                layers.set(setting.key, Origin::Env(name), value);
            }
        }
        layers
    }

    /// No file: the environment alone.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>, declared: &[Table]) -> Self {
        Self::new(ConfigFile::default(), env, declared)
    }

    /// A command-line flag's value (when given) over the environment and the file; messages
    /// name it by the setting's declared flag (`--listen`).
    #[must_use]
    pub fn with_flag(mut self, setting: &Setting, value: Option<String>) -> Self {
        if let Some(value) = value {
            self.set(
                setting.key,
                Origin::Flag(setting.flag.unwrap_or(setting.key)),
                value,
            );
        }
        self
    }

    fn set(&mut self, key: &'static str, origin: Origin, value: String) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        self.figment = std::mem::take(&mut self.figment).merge(Serialized::default(key, value));
        self.origins.insert(key, origin);
    }

    /// The config file.
    pub fn file(&self) -> &ConfigFile {
        &self.file
    }

    /// Whether `key` (`api.token`) has a value in any layer.
    pub fn is_set(&self, key: &str) -> bool {
        self.figment.contains(key)
    }

    /// How messages name the source of `key`'s value: the flag or variable that set it, else
    /// the file key.
    pub fn origin(&self, key: &str) -> String {
        match self.origins.get(key) {
            Some(Origin::Flag(flag)) => (*flag).to_string(),
            Some(Origin::Env(env)) => (*env).to_string(),
            None => key.to_string(),
        }
    }

    /// A bad value of `key`, named by where it came from; for a file key, the file and line.
    pub fn invalid(&self, problems: &mut Problems, key: &str, reason: impl Into<String>) {
        let reason = reason.into();
        if self.origins.contains_key(key) {
            problems.invalid(self.origin(key), reason);
            return;
        }
        let (table, field) = key.split_once('.').unwrap_or((key, ""));
        match self.file.path() {
            Some(_) => problems.list.push(Problem::File(ConfigFileError::Invalid {
                file: self.file.describe(),
                line: self.file.line_of(table, field),
                key: Some(key.to_string()),
                reason,
            })),
            None => problems.invalid(key, reason),
        }
    }

    /// The declared section `T` (defaults when its table is absent); see [`Layers::table`].
    pub fn section<T: Section>(&self, problems: &mut Problems) -> T {
        self.table(T::DECLARED.name, problems)
    }

    /// The declared section `T`, resolved: defaults applied, ranges checked (every problem
    /// added to `problems`).
    pub fn values<T: Section>(&self, problems: &mut Problems) -> T::Values {
        self.section::<T>(problems).resolve(self, problems)
    }

    /// The table `name` as its owner's type (defaults when absent); a bad key or value is added
    /// to `problems` (named by its variable or file key and line, never its value) and the
    /// defaults are returned.
    pub fn table<T: DeserializeOwned + Default>(&self, name: &str, problems: &mut Problems) -> T {
        let Ok(value) = self.figment.find_value(name) else {
            return T::default();
        };
        match value.deserialize::<T>() {
            Ok(section) => section,
            Err(errors) => {
                problems.broken.push(name.to_string());
                for err in errors {
                    let mut path: Vec<String> = err.path.clone();
                    if path.first().map(String::as_str) != Some(name) {
                        path.insert(0, name.to_string());
                    }
                    let reason = describe_kind(&err.kind, &mut path);
                    let key = path.join(".");
                    if self.origins.contains_key(key.as_str()) {
                        problems.invalid(self.origin(&key), reason);
                    } else {
                        let field = path.get(1..).map(|p| p.join(".")).unwrap_or_default();
                        let line = path
                            .last()
                            .and_then(|last| self.file.line_of(name, last))
                            .or_else(|| self.file.line_of(name, &field));
                        problems.list.push(Problem::File(ConfigFileError::Invalid {
                            file: self.file.describe(),
                            line,
                            key: Some(key),
                            reason,
                        }));
                    }
                }
                T::default()
            }
        }
    }
}

/// A figment error's kind in words, never with the offending value; an unknown key is appended
/// to `path`.
fn describe_kind(kind: &figment::error::Kind, path: &mut Vec<String>) -> String {
    use figment::error::{Actual, Kind};
    let what = |actual: &Actual| match actual {
        Actual::Bool(_) => "true/false",
        Actual::Unsigned(_) | Actual::Signed(_) | Actual::Float(_) => "a number",
        Actual::Char(_) | Actual::Str(_) => "text",
        Actual::Seq => "a list",
        Actual::Map => "a table",
        _ => "another kind of value",
    };
    match kind {
        Kind::InvalidType(actual, expected) => {
            format!("expected {expected}, found {}", what(actual))
        }
        Kind::InvalidValue(_, expected) => format!("expected {expected}"),
        Kind::InvalidLength(len, expected) => format!("{len} items, expected {expected}"),
        Kind::UnknownVariant(_, expected) => format!("expected one of {}", expected.join(", ")),
        Kind::UnknownField(field, expected) => {
            if path.last() != Some(field) {
                path.push(field.clone());
            }
            format!("unknown key; the table takes {}", expected.join(", "))
        }
        Kind::MissingField(field) => format!("`{field}` is required"),
        Kind::DuplicateField(field) => format!("`{field}` is given twice"),
        Kind::ISizeOutOfRange(_) | Kind::USizeOutOfRange(_) => "out of range".to_string(),
        Kind::Unsupported(actual) => format!("{} is not supported here", what(actual)),
        Kind::UnsupportedKey(..) => "an unsupported key".to_string(),
        // Custom messages (ours and the types') may quote the value: keep their first words.
        Kind::Message(message) => crate::file::scrub(message),
    }
}

#[cfg(test)]
#[allow(dead_code)] // the test tables' values are not all read
mod tests {
    use super::*;

    crate::section! {
        /// A test table.
        struct Api in "api" => ApiValues, ApiKeys {
            /// the token
            token: String, env "T_TOKEN";
            /// the user
            user_id: String, env "T_USER";
            /// requests at once
            concurrency: u32;
        }
    }
    crate::section! {
        /// Another.
        struct Bot in "bot" => BotValues, BotKeys {
            /// the bot's token
            token: String, env "T_BOT";
            /// the chat
            chat: String, env "T_CHAT";
        }
    }
    const A: Setting = Api::KEYS.token;
    const C: Setting = Bot::KEYS.token;
    const D: Setting = Bot::KEYS.chat;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn environment_over_file_and_flags_over_both_values_stay_text() {
        let file = ConfigFile::parse(None, "[api]\ntoken = 'file'\nuser_id = 'u-file'\n").unwrap();
        let layers = Layers::new(file, &env(&[("T_TOKEN", " 12345 ")]), &[Api::DECLARED]);
        let mut problems = Problems::new();
        let api: Api = layers.table("api", &mut problems);
        assert!(problems.is_empty());
        assert_eq!(api.token.as_deref(), Some("12345"));
        assert_eq!(api.user_id.as_deref(), Some("u-file"));
        assert_eq!(layers.origin("api.token"), "T_TOKEN");
        assert_eq!(layers.origin("api.user_id"), "api.user_id");
        let user = Setting {
            flag: Some("--user"),
            ..Api::KEYS.user_id
        };
        let layers = layers.with_flag(&user, Some("u-flag".into()));
        let api: Api = layers.table("api", &mut problems);
        assert_eq!(api.user_id.as_deref(), Some("u-flag"));
        assert_eq!(layers.origin("api.user_id"), "--user");
    }

    #[test]
    fn every_problem_at_once_named_never_valued() {
        let file = ConfigFile::parse(
            Some(std::path::Path::new("ops.toml")),
            "[api]\nconcurrency = 'sekrit-value'\ntokn = 'x'\n",
        )
        .unwrap();
        let layers = Layers::new(file, &env(&[]), &[Api::DECLARED, Bot::DECLARED]);
        let mut problems = Problems::new();
        let _: Api = layers.table("api", &mut problems);
        // The broken table's own settings are not reported missing (its problem comes
        // first); the others are.
        problems.missing(&A);
        problems.missing(&C);
        problems.missing(&D);
        let err = problems.finish(()).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("3 settings need attention: "), "{text}");
        assert!(text.contains("T_BOT") && text.contains("T_CHAT"), "{text}");
        assert!(text.contains("`bot.token`"), "{text}");
        assert!(
            text.contains("ops.toml, line 2, key `api.concurrency`"),
            "{text}"
        );
        assert!(!text.contains("sekrit"), "{text}");
        assert_eq!(err.missing(), vec!["T_BOT", "T_CHAT"]);
    }

    #[test]
    fn a_bad_value_in_a_table_names_its_file_line_and_key_never_the_value() {
        let layers = |text: &str| {
            let file = ConfigFile::parse(Some(std::path::Path::new("ops.toml")), text).unwrap();
            Layers::new(file, &env(&[]), &[Api::DECLARED])
        };
        let mut problems = Problems::new();
        let api: Api = layers("[api]\nuser_id = 'u'\nconcurrency = \"s3cr3t-token\"\n")
            .table("api", &mut problems);
        assert!(api.concurrency.is_none());
        let shown = problems.finish(()).unwrap_err().to_string();
        assert!(
            shown.starts_with("config file ops.toml, line 3, key `api.concurrency`: "),
            "{shown}"
        );
        assert!(!shown.contains("s3cr3t"), "{shown}");
        let mut problems = Problems::new();
        let _: Api = layers("[api]\ntokn = \"s3cr3t\"\n").table("api", &mut problems);
        let shown = problems.finish(()).unwrap_err().to_string();
        assert!(
            shown.starts_with("config file ops.toml, line 2, key `api.tokn`: unknown key"),
            "{shown}"
        );
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }

    #[test]
    fn help_lists_every_variable_with_its_key_and_every_table_its_keys() {
        let help = crate::help(&[Api::DECLARED, Bot::DECLARED]);
        assert!(
            help.contains("T_TOKEN") && help.contains("the user [api.user_id]"),
            "{help}"
        );
        assert!(
            help.contains("[api]  token, user_id, concurrency\n"),
            "{help}"
        );
    }
}
