//! `texts!`: a table of what the bots say to chat users, where each message is declared once,
//! with its doc comment, its arguments (their types and sample values), its English and its
//! Chinese text, and nothing else is written per message.
//!
//! ```ignore
//! texts! {
//!     /// A message to a chat user, with its arguments.
//!     #[derive(Debug, Clone, Copy, PartialEq, Eq)]
//!     pub enum Msg<'a>, key MsgKey;
//!
//!     /// Title: the engine is stopping.
//!     ShuttingDown => en "Shutting down", zh "正在停止服务";
//!     /// The caller is over their rate.
//!     RateLimited {
//!         /// Commands and presses allowed a minute.
//!         per_minute: u64,
//!     } =>
//!         en "You may send {per_minute} commands or presses a minute: …",
//!         zh "每分钟最多 {per_minute} 次命令或按钮操作，…";
//!     /// A count, written with separators: `let`s run before both languages.
//!     PageFooter { total: u64, page: u64 } =>
//!         let (total, page) = (grouped(total), grouped(page));
//!         en "{total} numbers · page {page}",
//!         zh "共 {total} 个号码 · 第 {page} 页";
//!     /// A language-dependent part: `|lang|` names the language for the `let`s.
//!     HelpTasks { aliases: &'a [String] } => |lang|
//!         let list = aliases.join(if lang == Lang::Zh { "、" } else { ", " });
//!         en "Tasks: {list}",
//!         zh "任务：{list}";
//!     /// Wording that needs code (a role, a list): a block that returns the `String`.
//!     MayNot { identity: &'a str, role: Role = Role::Operator } => |lang| {
//!         let role_name = role.as_str();
//!         match (lang, role) {
//!             (Lang::En, Role::Viewer) => format!("You ({identity}) may not list numbers: …"),
//!             (Lang::Zh, Role::Viewer) => format!("你（{identity}）没有查看号码的权限，…"),
//!             // … one arm per language and role
//!         }
//!     };
//! }
//! ```
//!
//! Each text is a `format!` string that captures the arguments by name (`{task}`), so an
//! argument misspelt in either language, a message without one of its arguments, or a call
//! site of a removed message is a compile error. An argument's sample value follows `=`; without
//! one it is its type's marker ([`Sample`]: [`SAMPLE_TEXT`] for text, [`SAMPLE_NUMBER`] for
//! numbers, no items for lists). From one invocation the macro generates:
//!
//! - the message enum, its variants with their docs and typed fields, and the attributes given
//!   (derives included);
//! - the key enum (`Debug`, `Clone`, `Copy`, `Eq`, `Hash`, `Ord`, in declaration order), one
//!   argument-free variant per message, with `all()` (every key) and `sample()` (the message
//!   with its sample arguments), and `From` the message;
//! - `key()` and `text(lang) -> String` on the message enum;
//! - [`TextKey`] for the key enum.
//!
//! # Why a table in Rust and not Fluent
//!
//! The bots speak two languages, kept by the developers; the messages are under two hundred,
//! with simple arguments, and all of them are known at compile time. In this table, a message
//! with a missing or misspelt argument, a text missing in either language, or a call site of a
//! removed message is a compile error, and wording a message is a `format!`: no parser, no
//! bundle, nothing to load at start. With Fluent (`.ftl` files through `fluent-bundle`) those
//! mistakes show at run time; `i18n-embed-fl`'s `fl!` checks message ids and arguments at
//! compile time, but only against the fallback language's files, so a Chinese message that is
//! missing or names a wrong argument still shows at run time (as the English text, or as the
//! raw argument), and every transport still carries the Fluent parser and its bundle. Fluent's
//! strengths (plural and gender rules of many languages, translators editing files without a
//! build) are not what two languages need here. Each message is still written exactly once per
//! language: a new message or a new wording is one edit per language.
//!
//! # Several tables
//!
//! The macro takes the names of the message and key enums, so each command module declares its
//! own table beside its handler (`commands/reset/texts.rs`: `texts! { pub(crate) enum
//! ResetMsg<'a>, key ResetKey; … }`), and a message lives with the code that says it; what
//! several commands, the kernel or the transports say is in the shared table,
//! [`messages`](crate::messages). Every key type implements [`TextKey`], and [`samples`] words
//! every message of a table with its sample arguments. A command names its table in its
//! catalogue entry (`texts: samples::<ResetKey>`), and `every_sample` (in `commands`, re-exported
//! at the crate's top) chains the shared table with each command's: that is what the tests
//! iterate (both languages, Chinese text, every argument in both, no transport holding a
//! sentence of any table), so a new command's texts are checked without another registration.

use std::fmt::Debug;
use std::hash::Hash;

use crate::i18n::Lang;

/// The marker a table's `sample()` puts in every text argument.
pub const SAMPLE_TEXT: &str = "\u{1}";
/// The marker a table's `sample()` puts in every number argument.
pub const SAMPLE_NUMBER: u64 = 987_654_321;

/// The sample value of an argument of this type, when its declaration names none: tests read
/// the fixed parts of each text between the markers.
pub trait Sample {
    /// The marker.
    fn sample() -> Self;
}

impl Sample for &str {
    fn sample() -> Self {
        SAMPLE_TEXT
    }
}

impl Sample for u64 {
    fn sample() -> Self {
        SAMPLE_NUMBER
    }
}

impl Sample for i64 {
    fn sample() -> Self {
        SAMPLE_NUMBER.cast_signed()
    }
}

/// A list (the configured task aliases): none.
impl Sample for &[String] {
    fn sample() -> Self {
        &[]
    }
}

/// The key type of a table made by `texts!`: what a test needs to check any table.
pub trait TextKey: Copy + Eq + Ord + Hash + Debug + 'static {
    /// The name of the table's message type (`Msg`).
    const TABLE: &'static str;
    /// Every key, in declaration order.
    fn keys() -> impl Iterator<Item = Self>;
    /// The key's message with its sample arguments, in `lang`.
    fn sample_text(self, lang: Lang) -> String;
}

/// One message of a table with its sample arguments, worded in both languages: what the tests
/// of every table read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleText {
    /// The table's message type (`Msg`, `ResetMsg`).
    pub table: &'static str,
    /// The message's key (`ShuttingDown`).
    pub key: String,
    /// The English text.
    pub en: String,
    /// The Chinese text.
    pub zh: String,
}

/// Every message of the table of `K`, in declaration order, with its sample arguments.
pub fn samples<K: TextKey>() -> Vec<SampleText> {
    K::keys()
        .map(|key| SampleText {
            table: K::TABLE,
            key: format!("{key:?}"),
            en: key.sample_text(Lang::En),
            zh: key.sample_text(Lang::Zh),
        })
        .collect()
}

/// Declares a table of messages: see [the module](self).
macro_rules! texts {
    // An argument's sample value: the one declared, or its type's marker.
    (@sample $sample:expr) => {
        $sample
    };
    (@sample) => {
        $crate::texts::Sample::sample()
    };
    // The message type with arguments that live forever (what `sample()` returns).
    (@static $name:ident $lt:lifetime) => {
        $name<'static>
    };
    (@static $name:ident) => {
        $name
    };

    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident $(<$lt:lifetime>)?, key $key:ident;
        $(
            $(#[$attr:meta])*
            $variant:ident $({
                $( $(#[$fattr:meta])* $field:ident : $fty:ty $(= $sample:expr)? ),* $(,)?
            })?
            => $(|$lang:ident|)?
            $(let $p:pat = $e:expr;)*
            $(en $en:literal, zh $zh:literal)?
            $($body:block)?
            ;
        )*
    ) => {
        $(#[$meta])*
        $vis enum $name $(<$lt>)? {
            $(
                $(#[$attr])*
                $variant $({ $( $(#[$fattr])* $field: $fty, )* })?,
            )*
        }

        #[doc = concat!("The key of a [`", stringify!($name), "`], without its arguments.")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $key {
            $(
                #[doc = concat!("[`", stringify!($name), "::", stringify!($variant), "`]")]
                $variant,
            )*
        }

        impl $key {
            /// Every key, in declaration order.
            pub fn all() -> impl Iterator<Item = Self> {
                [$(Self::$variant),*].into_iter()
            }

            /// The message of this key with its sample arguments: each declared one, or the
            /// marker of its type (`SAMPLE_TEXT` for text, `SAMPLE_NUMBER` for numbers, no
            /// items for lists), so that tests read the fixed parts of each text between the
            /// markers.
            pub fn sample(self) -> $crate::texts::texts!(@static $name $($lt)?) {
                match self {
                    $(
                        Self::$variant => $name::$variant {
                            $($( $field: $crate::texts::texts!(@sample $($sample)?), )*)?
                        },
                    )*
                }
            }
        }

        impl $(<$lt>)? $name $(<$lt>)? {
            /// The key of this message.
            pub fn key(&self) -> $key {
                match self {
                    $( Self::$variant { .. } => $key::$variant, )*
                }
            }

            /// The message in `lang`.
            pub fn text(&self, lang: $crate::i18n::Lang) -> String {
                match *self {
                    $(
                        Self::$variant { $($($field,)*)? } => {
                            $(let $lang = lang;)?
                            $(let $p = $e;)*
                            $(match lang {
                                $crate::i18n::Lang::En => format!($en),
                                $crate::i18n::Lang::Zh => format!($zh),
                            })?
                            $($body)?
                        }
                    )*
                }
            }
        }

        impl $(<$lt>)? From<&$name $(<$lt>)?> for $key {
            fn from(msg: &$name $(<$lt>)?) -> Self {
                msg.key()
            }
        }

        impl $(<$lt>)? From<$name $(<$lt>)?> for $key {
            fn from(msg: $name $(<$lt>)?) -> Self {
                msg.key()
            }
        }

        impl $crate::texts::TextKey for $key {
            const TABLE: &'static str = stringify!($name);

            fn keys() -> impl Iterator<Item = Self> {
                Self::all()
            }

            fn sample_text(self, lang: $crate::i18n::Lang) -> String {
                self.sample().text(lang)
            }
        }
    };
}

pub(crate) use texts;

#[cfg(test)]
mod tests {
    use super::*;

    // A table of its own, as a command module will declare one: no borrowed argument (so no
    // lifetime), a `let`, a declared sample and a block.
    texts! {
        /// A small table.
        #[derive(Debug, PartialEq)]
        enum Tiny, key TinyKey;

        /// A greeting.
        Hello => en "Hello", zh "你好";
        /// How many are left.
        Left {
            /// The count.
            n: u64,
        } =>
            let n = n + 1;
            en "{n} left", zh "还剩 {n} 个";
        /// Yes or no.
        Answer {
            /// Which.
            yes: bool = true,
        } => |lang| {
            match (lang, yes) {
                (Lang::En, true) => "yes".to_string(),
                (Lang::En, false) => "no".to_string(),
                (Lang::Zh, true) => "是".to_string(),
                (Lang::Zh, false) => "否".to_string(),
            }
        };
    }

    #[test]
    fn a_table_declares_its_messages_keys_and_samples() {
        assert_eq!(
            TinyKey::all().collect::<Vec<_>>(),
            [TinyKey::Hello, TinyKey::Left, TinyKey::Answer]
        );
        assert!(
            TinyKey::Hello < TinyKey::Answer,
            "keys are ordered as declared"
        );
        assert_eq!(Tiny::Left { n: 2 }.key(), TinyKey::Left);
        assert_eq!(TinyKey::from(Tiny::Hello), TinyKey::Hello);
        assert_eq!(Tiny::Left { n: 2 }.text(Lang::En), "3 left");
        assert_eq!(Tiny::Left { n: 2 }.text(Lang::Zh), "还剩 3 个");
        assert_eq!(Tiny::Answer { yes: false }.text(Lang::Zh), "否");
        assert_eq!(TinyKey::Left.sample(), Tiny::Left { n: SAMPLE_NUMBER });
        assert_eq!(TinyKey::Answer.sample(), Tiny::Answer { yes: true });
        assert_eq!(TinyKey::TABLE, "Tiny");
        assert_eq!(TinyKey::Hello.sample_text(Lang::Zh), "你好");
        assert_eq!(TinyKey::keys().count(), 3);
        let samples = samples::<TinyKey>();
        assert_eq!(samples.len(), 3);
        assert_eq!(
            samples[1],
            SampleText {
                table: "Tiny",
                key: "Left".to_string(),
                en: format!("{} left", SAMPLE_NUMBER + 1),
                zh: format!("还剩 {} 个", SAMPLE_NUMBER + 1),
            }
        );
    }
}
