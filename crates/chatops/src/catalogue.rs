//! The command catalogue: every command declared once — its name and aliases, what it does, its
//! options (kind, whether required, completion, descriptions) in English and Chinese, and the
//! role it needs.
//!
//! Everything else that knows about commands is derived from here: the parser
//! ([`crate::command::parse`]: names, aliases, which options a command takes, the error that
//! lists them), `/help`'s command lines, Telegram's command menu and Discord's registration with
//! its zh-CN localisations, and the role the engine checks before running a command. Adding a
//! command is one [`CommandSpec`] in [`COMMANDS`] (with its [`CommandName`] variant) and its
//! handler in the engine; adding an option is one [`OptionSpec`] in [`OPTIONS`] and its key in the
//! commands that take it.
//!
//! (The shape follows poise's single command definition, which drives prefix commands, slash
//! commands and their localisations from one place.)

use std::fmt;

use futures::future::BoxFuture;

use crate::access::Role;
use crate::context::Ctx;
use crate::i18n::Lang;
use crate::reply::{Refusal, Reply};
use crate::texts::SampleText;
use crate::token::ActionToken;

/// A command's handler: the reply to an invocation, or the [`Refusal`] that stops it early.
pub(crate) type Handler =
    for<'a> fn(&'a Ctx<'a>, &'a Invocation) -> BoxFuture<'a, Result<Reply, Refusal>>;

/// A command's button handler: the answer to a press of one of its buttons, or `None` when
/// the (verified) token belongs to another command.
pub(crate) type PressHandler =
    for<'a> fn(&'a Ctx<'a>, &'a ActionToken) -> Option<BoxFuture<'a, Reply>>;

/// A text in both reply languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text {
    /// English.
    pub en: &'static str,
    /// Simplified Chinese.
    pub zh: &'static str,
}

impl Text {
    pub(crate) const fn new(en: &'static str, zh: &'static str) -> Self {
        Self { en, zh }
    }

    /// The text in `lang`.
    pub const fn get(self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.en,
            Lang::Zh => self.zh,
        }
    }
}

/// The options of the grammar. Each has one entry in [`OPTIONS`], at the index of its variant.
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
    /// `format:` — an export's file format.
    Format,
    /// `when:` — when a watch posts (`done`, `daily@HH:MM`, `every:<duration>`).
    When,
}

/// What an option's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// Free text (`status:busy,no-answer`).
    Text,
    /// A whole number, at least `min` when given.
    Integer {
        /// The smallest value accepted.
        min: Option<u32>,
    },
    /// A flag: present or not (`all`), no value.
    Flag,
}

/// Whether a command needs an option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// It must be given.
    Required,
    /// It is needed, but the engine fills it in when left out (the chat's default task), so a
    /// transport must not demand it.
    Defaulted,
    /// It may be left out.
    Optional,
}

/// How a transport with typed options helps fill an option in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// No help.
    None,
    /// Suggestions from the engine as the user types (Discord's autocomplete), by this
    /// completer ([`crate::Engine::complete`]).
    Autocomplete(Completer),
    /// A fixed list of values of a text option: `(value, label)`.
    Choices(&'static [(&'static str, Text)]),
}

/// What the engine suggests for an option as the user types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completer {
    /// The configured task aliases (and ids).
    Tasks,
    /// Statuses and groups; the last item of a comma-separated list is completed.
    Statuses,
}

/// One option, as every transport shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionSpec {
    /// Which option.
    pub key: OptionKey,
    /// The key as typed (`task`), lowercase ASCII.
    pub name: &'static str,
    /// Other spellings the parser accepts (`t`, `start_at`).
    pub aliases: &'static [&'static str],
    /// The name shown to Chinese users where a transport localises names (Discord).
    pub name_zh: &'static str,
    /// What its value is.
    pub kind: OptionKind,
    /// Whether commands need it.
    pub presence: Presence,
    /// Whether the first bare word of a command line is this option (`/numbers demo`).
    pub positional: bool,
    /// Suggestions or choices.
    pub completion: Completion,
    /// The placeholder of its value in a usage line (`task:<task>`).
    pub placeholder: Text,
    /// What it is, at most 100 characters (Discord's limit).
    pub description: Text,
}

impl OptionSpec {
    /// Whether a transport must demand it.
    pub const fn required(&self) -> bool {
        matches!(self.presence, Presence::Required)
    }

    /// Whether the engine suggests values as the user types.
    pub const fn autocomplete(&self) -> bool {
        matches!(self.completion, Completion::Autocomplete(_))
    }

    /// The option in a usage line: `task:<task>`, `[status:<list>]`, `[all]`.
    pub fn usage(&self, lang: Lang) -> String {
        let word = match self.kind {
            OptionKind::Flag => self.name.to_string(),
            OptionKind::Text | OptionKind::Integer { .. } => {
                format!("{}:<{}>", self.name, self.placeholder.get(lang))
            }
        };
        match self.presence {
            Presence::Required | Presence::Defaulted => word,
            Presence::Optional => format!("[{word}]"),
        }
    }
}

/// One command: what every transport shows of it (declared in its module under
/// [`crate::commands`]) and the handlers that run it.
#[derive(Debug, Clone, Copy)]
pub struct CommandSpec {
    /// The command as typed, without the slash; lowercase ASCII.
    pub slash: &'static str,
    /// Other spellings the parser accepts (`ls`, `/start`).
    pub aliases: &'static [&'static str],
    /// The name shown to Chinese users where a transport localises names (Discord).
    pub name_zh: &'static str,
    /// What it does, in a line of at most 100 characters (menus, Discord's description).
    pub summary: Text,
    /// What `/help` says under the usage line.
    pub help: Text,
    /// A typical use, shown beside the summary where a menu has room (Telegram).
    pub example: Option<&'static str>,
    /// The options it takes, in the order they are shown.
    pub options: &'static [OptionKey],
    /// The role it needs; `None` for anyone.
    pub role: Option<Role>,
    /// What runs it.
    pub(crate) run: Handler,
    /// What answers a press of one of its buttons, if it has any.
    pub(crate) press: Option<PressHandler>,
    /// Its texts: the messages of its module's [`texts!`](crate::texts) table with their
    /// samples (`samples::<ResetKey>`), so that the tests of every text reach it through
    /// [`COMMANDS`](crate::COMMANDS). Commands of one module share its table (`/watch`,
    /// `/unwatch`, `/watches`).
    pub(crate) texts: fn() -> Vec<SampleText>,
}

impl PartialEq for CommandSpec {
    fn eq(&self, other: &Self) -> bool {
        self.slash == other.slash
    }
}

impl Eq for CommandSpec {}

impl CommandSpec {
    /// The handle of this entry.
    pub const fn name(&'static self) -> CommandName {
        CommandName(self)
    }

    /// The options' entries, in the command's order.
    pub fn option_specs(&self) -> impl Iterator<Item = &'static OptionSpec> + use<> {
        self.options.iter().map(|key| key.spec())
    }

    /// The usage line: `/numbers task:<task> [status:<list>] …`.
    pub fn usage(&self, lang: Lang) -> String {
        let mut line = format!("/{}", self.slash);
        for option in self.option_specs() {
            line.push(' ');
            line.push_str(&option.usage(lang));
        }
        line
    }

    /// The option typed as `key` (any accepted spelling, any case), if this command takes it.
    pub fn option(&self, key: &str) -> Option<OptionKey> {
        OptionKey::parse(key).filter(|option| self.options.contains(option))
    }

    /// The option given by a first bare word, if any.
    pub fn positional(&self) -> Option<OptionKey> {
        self.option_specs()
            .find(|option| option.positional)
            .map(|option| option.key)
    }
}

/// Every option; at the index of its [`OptionKey`].
pub const OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        key: OptionKey::Task,
        name: "task",
        aliases: &["t"],
        name_zh: "任务",
        kind: OptionKind::Text,
        presence: Presence::Defaulted,
        positional: true,
        completion: Completion::Autocomplete(Completer::Tasks),
        placeholder: Text::new("task", "任务"),
        description: Text::new("Task alias or id", "任务别名或 id"),
    },
    OptionSpec {
        key: OptionKey::Status,
        name: "status",
        aliases: &["statuses", "s"],
        name_zh: "状态",
        kind: OptionKind::Text,
        presence: Presence::Optional,
        positional: false,
        completion: Completion::Autocomplete(Completer::Statuses),
        placeholder: Text::new("list", "状态列表"),
        description: Text::new(
            "Statuses or groups, comma-separated (busy,no-answer or retryable)",
            "状态或分组，逗号分隔（如 busy,no-answer 或 retryable）",
        ),
    },
    OptionSpec {
        key: OptionKey::From,
        name: "from",
        aliases: &["start", "since", "start_at"],
        name_zh: "开始时间",
        kind: OptionKind::Text,
        presence: Presence::Optional,
        positional: false,
        completion: Completion::None,
        placeholder: Text::new("time", "时间"),
        description: Text::new(
            "Created from (2020-07-28, 2020-07-28 10:00, today, 7d = 7 days ago)",
            "创建时间起（2020-07-28、2020-07-28 10:00、today、7d 即 7 天前）",
        ),
    },
    OptionSpec {
        key: OptionKey::To,
        name: "to",
        aliases: &["end", "until", "end_at"],
        name_zh: "结束时间",
        kind: OptionKind::Text,
        presence: Presence::Optional,
        positional: false,
        completion: Completion::None,
        placeholder: Text::new("time", "时间"),
        description: Text::new(
            "Created until (2020-07-29, 2020-07-29 18:00, now)",
            "创建时间止（2020-07-29、2020-07-29 18:00、now）",
        ),
    },
    OptionSpec {
        key: OptionKey::Page,
        name: "page",
        aliases: &["p"],
        name_zh: "页码",
        kind: OptionKind::Integer { min: Some(1) },
        presence: Presence::Optional,
        positional: false,
        completion: Completion::None,
        placeholder: Text::new("n", "页码"),
        description: Text::new("Page number, from 1", "页码，从 1 开始"),
    },
    OptionSpec {
        key: OptionKey::Sub,
        name: "sub",
        aliases: &["sub_user", "sub_user_id", "subaccount"],
        name_zh: "子账户",
        kind: OptionKind::Text,
        presence: Presence::Optional,
        positional: false,
        completion: Completion::None,
        placeholder: Text::new("sub-account", "子账户"),
        description: Text::new("Sub-account id", "子账户 id"),
    },
    OptionSpec {
        key: OptionKey::Phones,
        name: "phones",
        aliases: &["phone"],
        name_zh: "手机号",
        kind: OptionKind::Text,
        presence: Presence::Optional,
        positional: false,
        completion: Completion::None,
        placeholder: Text::new("list", "号码列表"),
        description: Text::new(
            "Phone numbers to reset, comma-separated",
            "要重置的手机号，逗号分隔",
        ),
    },
    OptionSpec {
        key: OptionKey::Keyword,
        name: "keyword",
        aliases: &["kw"],
        name_zh: "关键词",
        kind: OptionKind::Text,
        presence: Presence::Optional,
        positional: false,
        completion: Completion::None,
        placeholder: Text::new("k", "关键词"),
        description: Text::new("Reset numbers containing this text", "重置包含该文字的号码"),
    },
    OptionSpec {
        key: OptionKey::All,
        name: "all",
        aliases: &[],
        name_zh: "全部",
        kind: OptionKind::Flag,
        presence: Presence::Optional,
        positional: false,
        completion: Completion::None,
        placeholder: Text::new("", ""),
        description: Text::new(
            "Reset the whole task (needed when no other filter is given)",
            "重置整个任务（不带其他筛选条件时必须选择）",
        ),
    },
    OptionSpec {
        key: OptionKey::Format,
        name: "format",
        aliases: &["f"],
        name_zh: "格式",
        kind: OptionKind::Text,
        presence: Presence::Optional,
        positional: false,
        completion: Completion::Choices(&[
            (
                "csv",
                Text::new(
                    "CSV (UTF-8, opens in Excel)",
                    "CSV（UTF-8，可用 Excel 打开）",
                ),
            ),
            (
                "xlsx",
                Text::new("Excel workbook (.xlsx)", "Excel 工作簿（.xlsx）"),
            ),
        ]),
        placeholder: Text::new("csv|xlsx", "csv|xlsx"),
        description: Text::new(
            "File format: csv (default) or xlsx",
            "文件格式：csv（默认）或 xlsx",
        ),
    },
    OptionSpec {
        key: OptionKey::When,
        name: "when",
        aliases: &["w", "schedule"],
        name_zh: "时间",
        kind: OptionKind::Text,
        presence: Presence::Optional,
        positional: false,
        completion: Completion::None,
        placeholder: Text::new("done|daily@HH:MM|every:30m", "done|daily@时:分|every:30m"),
        description: Text::new(
            "done (default), daily@09:00 (China time) or every:30m, 2h, 1d (at least 5m)",
            "done（默认，完成时）、daily@09:00（北京时间）或 every:30m、2h、1d（至少 5m）",
        ),
    },
];

// Each option sits at the index of its variant, so `spec()` is a plain lookup.
const _: () = {
    let mut i = 0;
    while i < OPTIONS.len() {
        assert!(OPTIONS[i].key as usize == i);
        i += 1;
    }
    assert!(OPTIONS.len() == OptionKey::When as usize + 1);
};

/// A command: a handle on its catalogue entry. Each command's module names its own
/// (`CommandName::NUMBERS` in [`crate::commands`]); [`CommandName::all`] lists them.
#[derive(Clone, Copy)]
pub struct CommandName(&'static CommandSpec);

impl CommandName {
    /// The handle of a command's entry (each command's module makes its own).
    pub(crate) const fn of(spec: &'static CommandSpec) -> Self {
        Self(spec)
    }

    /// The command's catalogue entry.
    pub const fn spec(self) -> &'static CommandSpec {
        self.0
    }

    /// The command as typed, without the slash.
    pub const fn as_str(self) -> &'static str {
        self.0.slash
    }

    /// The options the command takes.
    pub const fn options(self) -> &'static [OptionKey] {
        self.0.options
    }

    /// The role the command needs; `None` for anyone.
    pub const fn role(self) -> Option<Role> {
        self.0.role
    }
}

impl PartialEq for CommandName {
    fn eq(&self, other: &Self) -> bool {
        self.0.slash == other.0.slash
    }
}

impl Eq for CommandName {}

impl std::hash::Hash for CommandName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.slash.hash(state);
    }
}

impl fmt::Debug for CommandName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CommandName(/{})", self.0.slash)
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

impl fmt::Display for CommandName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}", self.as_str())
    }
}

impl OptionKey {
    /// The option's catalogue entry.
    pub const fn spec(self) -> &'static OptionSpec {
        &OPTIONS[self as usize]
    }

    /// The key as typed.
    pub const fn as_str(self) -> &'static str {
        self.spec().name
    }

    /// The option typed as `key` (any accepted spelling, any case), whichever command takes it.
    pub fn parse(key: &str) -> Option<Self> {
        let key = key.to_ascii_lowercase();
        OPTIONS
            .iter()
            .find(|spec| spec.name == key || spec.aliases.contains(&key.as_str()))
            .map(|spec| spec.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::command_hint as hint;
    use crate::commands::COMMANDS;

    fn command_hint() -> String {
        hint(Lang::En)
    }

    #[test]
    fn names_and_aliases_are_unique_and_fit_every_transport() {
        let mut seen = std::collections::HashSet::new();
        for spec in COMMANDS {
            for name in std::iter::once(&spec.slash).chain(spec.aliases) {
                assert!(seen.insert(*name), "command `{name}` twice");
            }
            assert!(spec.slash.len() <= 32 && spec.slash.chars().all(|c| c.is_ascii_lowercase()));
            for text in [spec.summary, spec.help] {
                for lang in [Lang::En, Lang::Zh] {
                    let len = text.get(lang).chars().count();
                    assert!((3..=100).contains(&len), "{spec:?}");
                }
            }
            assert!(spec.options.iter().filter(|k| k.spec().positional).count() <= 1);
        }
        let mut seen = std::collections::HashSet::new();
        for spec in OPTIONS {
            for name in std::iter::once(&spec.name).chain(spec.aliases) {
                assert!(seen.insert(*name), "option `{name}` twice");
            }
            assert!(spec.name.len() <= 32 && spec.name.chars().all(|c| c.is_ascii_lowercase()));
            assert!(spec.name_zh.chars().count() <= 32);
            if let Completion::Choices(choices) = spec.completion {
                assert_eq!(spec.kind, OptionKind::Text, "choices are for text options");
                assert!(!choices.is_empty() && choices.len() <= 25);
            }
            for lang in [Lang::En, Lang::Zh] {
                assert!(spec.description.get(lang).chars().count() <= 100);
            }
        }
    }

    #[test]
    fn lookups_agree_with_the_entries() {
        for spec in COMMANDS {
            assert_eq!(CommandName::of(spec).spec(), spec);
            assert_eq!(CommandName::parse(spec.slash), Some(CommandName::of(spec)));
        }
        for spec in OPTIONS {
            assert_eq!(OptionKey::parse(&spec.name.to_uppercase()), Some(spec.key));
        }
        assert_eq!(CommandName::parse("ls"), Some(CommandName::NUMBERS));
        assert_eq!(OptionKey::parse("start_at"), Some(OptionKey::From));
        assert_eq!(
            command_hint(),
            "/numbers, /stats, /reset, /export, /watch, /unwatch, /watches or /help"
        );
    }

    #[test]
    fn usage_lines() {
        assert_eq!(
            CommandName::NUMBERS.spec().usage(Lang::En),
            "/numbers task:<task> [status:<list>] [from:<time>] [to:<time>] [page:<n>] [sub:<sub-account>]"
        );
        assert!(
            CommandName::RESET
                .spec()
                .usage(Lang::Zh)
                .ends_with(" [all]")
        );
        assert_eq!(CommandName::HELP.spec().usage(Lang::En), "/help");
    }
}
