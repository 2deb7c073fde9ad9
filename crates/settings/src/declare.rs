//! One declaration per setting, and what is derived from it.
//!
//! [`section!`](crate::section) declares a table of the config file: for each setting its name
//! (the file key), its type, its default, its range, its environment variable, its flag and its
//! description (the doc comment); whether it is a secret follows from its type
//! (`SecretString`). From that one declaration come:
//!
//! - the table's serde type (`Option` fields, unknown keys refused) — "the section";
//! - its resolved values (defaults applied, ranges checked, a bad value named by where it came
//!   from and never quoted) — [`check`];
//! - the [`Setting`] list that the layering reads the environment by ([`crate::Layers::new`]),
//!   that "missing setting" messages quote, and that `--help` ([`crate::help`]), the reference
//!   ([`crate::reference`]) and the sample file ([`crate::sample`]) are written from.
//!
//! Why a macro of our own and not a crate: `confique` (the closest) derives a layered struct
//! and a TOML template, but stops at the first error (one `confique::Error`), names no
//! environment variable in its messages, and quotes the offending value in its deserialization
//! errors; `figment`, `config` and `twelf` declare no range, description or secrecy. What the
//! binaries promise — every problem at once, each named by its variable and file key, never a
//! value — is the part no crate does, so the declaration is ours (a `macro_rules!`, no
//! proc-macro crate) and figment does the layering under it.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

use crate::{Layers, Problems};

/// How a setting's default is shown in `--help`, the reference and the sample file.
#[derive(Clone, Copy)]
pub enum Shown {
    /// The typed default of the declaration, written as TOML.
    Value(fn() -> String),
    /// A default the code works out (it depends on the binary, or on other settings), in
    /// words.
    Words(&'static str),
}

/// One setting, as declared by [`section!`](crate::section): the data every derived text is
/// written from. Two settings are the same when their keys are.
#[derive(Clone, Copy)]
pub struct Setting {
    /// The file key, dotted (`api.token`).
    pub key: &'static str,
    /// The environment variable that gives it (`AGENT_API_TOKEN`), if any.
    pub env: Option<&'static str>,
    /// The command-line flag that gives it (`--listen`), if any.
    pub flag: Option<&'static str>,
    /// The doc comment (as written: lines joined, each with its leading space).
    pub doc: &'static str,
    /// What kind of value the file takes (`integer`, `text`, …).
    pub kind: &'static str,
    /// A secret: never shown, never logged (a `SecretString`).
    pub secret: bool,
    /// A table of its own (`[chatops.tasks]`) rather than a key.
    pub table: bool,
    /// A nested section, declared and documented on its own (`[api.retry]`).
    pub nested: bool,
    /// The default, if there is one.
    pub default: Option<Shown>,
    /// The range a value must lie in, in words.
    pub range: Option<fn() -> String>,
    /// An example value (TOML) for the sample file, where the default is none or says little.
    pub example: Option<&'static str>,
}

impl Setting {
    /// What it is: the doc comment on one line (for `--help` and "missing" messages).
    pub fn about(&self) -> String {
        self.doc.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// The environment variable, or the key when there is none (for `clap`'s `env`).
    pub const fn env_name(&self) -> &'static str {
        match self.env {
            Some(env) => env,
            None => self.key,
        }
    }

    /// The key within its table (`token` of `api.token`, `max_attempts` of
    /// `api.retry.max_attempts`).
    pub fn field(&self) -> &'static str {
        self.key
            .rsplit_once('.')
            .map_or(self.key, |(_, field)| field)
    }

    /// The default in words or TOML, if there is one.
    pub fn default_text(&self) -> Option<String> {
        match self.default? {
            Shown::Value(show) => Some(show()),
            Shown::Words(words) => Some(words.to_string()),
        }
    }

    /// The typed default as TOML (not one in words).
    pub fn default_toml(&self) -> Option<String> {
        match self.default? {
            Shown::Value(show) => Some(show()),
            Shown::Words(_) => None,
        }
    }

    /// The range in words, if there is one.
    pub fn range_text(&self) -> Option<String> {
        self.range.map(|range| range())
    }
}

impl fmt::Debug for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Setting")
            .field("key", &self.key)
            .field("env", &self.env)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Setting {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Setting {}

/// A table of the config file, as declared: its name, what it is for, its settings.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    /// `api`, `api.retry`, `chatops`…
    pub name: &'static str,
    /// The section's doc comment.
    pub doc: &'static str,
    /// Its settings, in declaration order.
    pub settings: &'static [Setting],
}

impl Table {
    /// The section's doc comment on one line.
    pub fn about(&self) -> String {
        self.doc.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// A type a setting can have: how the reference names it, how a declared default becomes a
/// value and is written as TOML, and how its range is checked.
pub trait Kind: Sized {
    /// How the reference names the type.
    const KIND: &'static str;
    /// Whether values are secrets (never shown).
    const SECRET: bool = false;
    /// Whether it is a table of its own in the file (`[chatops.tasks]`).
    const TABLE: bool = false;
    /// Whether it is a nested section with its own declaration.
    const NESTED: bool = false;
    /// How a default (and a range's ends) is written in a declaration.
    type Declared;
    /// The value of a declared default.
    fn from_declared(declared: Self::Declared) -> Self;
    /// A declared default as TOML.
    fn show(declared: Self::Declared) -> String;
    /// A range in words.
    fn show_range(low: Self::Declared, high: Self::Declared) -> String {
        format!("{} to {}", Self::show(low), Self::show(high))
    }
    /// Why `self` lies outside `low..=high` (never quoting a secret); `Ok` when it does not.
    fn within(&self, _low: Self::Declared, _high: Self::Declared) -> Result<(), String> {
        Ok(())
    }
    /// The type's own bounds in words (a page size's), shown when a declaration gives no
    /// range.
    const BOUNDS: Option<fn() -> String> = None;
    /// Why `self` is not a value of the type (a page size of 0); checked before any range.
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}

macro_rules! integers {
    ($($t:ty),*) => {$(
        impl Kind for $t {
            const KIND: &'static str = "integer";
            type Declared = $t;
            fn from_declared(declared: $t) -> Self {
                declared
            }
            fn show(declared: $t) -> String {
                declared.to_string()
            }
            fn within(&self, low: $t, high: $t) -> Result<(), String> {
                if (low..=high).contains(self) {
                    Ok(())
                } else {
                    Err(format!("{self} is not between {low} and {high}"))
                }
            }
        }
    )*};
}
integers!(u32, u64, usize, i64);

impl Kind for bool {
    const KIND: &'static str = "true/false";
    type Declared = bool;
    fn from_declared(declared: bool) -> Self {
        declared
    }
    fn show(declared: bool) -> String {
        declared.to_string()
    }
}

/// TOML's basic string of `text` (Rust's escapes of quotes, backslashes and control
/// characters are TOML's too, for the texts declared here).
fn toml_string(text: &str) -> String {
    format!("{text:?}")
}

impl Kind for String {
    const KIND: &'static str = "text";
    type Declared = &'static str;
    fn from_declared(declared: &'static str) -> Self {
        declared.to_string()
    }
    fn show(declared: &'static str) -> String {
        toml_string(declared)
    }
}

impl Kind for PathBuf {
    const KIND: &'static str = "path";
    type Declared = &'static str;
    fn from_declared(declared: &'static str) -> Self {
        PathBuf::from(declared)
    }
    fn show(declared: &'static str) -> String {
        toml_string(declared)
    }
}

impl Kind for SecretString {
    const KIND: &'static str = "text";
    const SECRET: bool = true;
    /// A secret has no default.
    type Declared = Infallible;
    fn from_declared(declared: Infallible) -> Self {
        match declared {}
    }
    fn show(declared: Infallible) -> String {
        match declared {}
    }
}

impl Kind for Vec<String> {
    const KIND: &'static str = "list of text";
    type Declared = &'static [&'static str];
    fn from_declared(declared: &'static [&'static str]) -> Self {
        declared.iter().map(ToString::to_string).collect()
    }
    fn show(declared: &'static [&'static str]) -> String {
        let items: Vec<String> = declared.iter().map(|s| toml_string(s)).collect();
        format!("[{}]", items.join(", "))
    }
}

impl Kind for BTreeMap<String, String> {
    const KIND: &'static str = "table of text";
    const TABLE: bool = true;
    /// A table's default is empty, said in words.
    type Declared = Infallible;
    fn from_declared(declared: Infallible) -> Self {
        match declared {}
    }
    fn show(declared: Infallible) -> String {
        match declared {}
    }
}

/// A duration in seconds, fractions allowed (`timeout_secs = 2.5`). Its range excludes the
/// low end: no duration is 0 seconds long.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct Seconds(pub f64);

impl Seconds {
    /// The duration.
    pub fn duration(self) -> Duration {
        Duration::from_secs_f64(self.0)
    }

    /// A duration's seconds, for declared defaults taken from code.
    pub fn of(duration: Duration) -> f64 {
        duration.as_secs_f64()
    }
}

impl Kind for Seconds {
    const KIND: &'static str = "seconds";
    type Declared = f64;
    fn from_declared(declared: f64) -> Self {
        Self(declared)
    }
    fn show(declared: f64) -> String {
        declared.to_string()
    }
    fn show_range(low: f64, high: f64) -> String {
        format!("more than {low}, at most {high}")
    }
    fn within(&self, low: f64, high: f64) -> Result<(), String> {
        let v = self.0;
        if v.is_finite() && v > low && v <= high {
            Ok(())
        } else {
            Err(format!("{v} is not between {low} and {high} seconds"))
        }
    }
}

/// An http(s) URL with a host. A URL may carry a token or a password: a bad one is never
/// quoted.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct HttpUrl(pub String);

impl fmt::Debug for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HttpUrl(…)")
    }
}

impl HttpUrl {
    /// The URL, or why it is not an http(s) one.
    pub fn parse(&self) -> Result<url::Url, String> {
        let url = url::Url::parse(self.0.trim()).map_err(|e| format!("not a URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err("not an http(s) URL".to_string());
        }
        Ok(url)
    }

    /// The URL as a base that paths are joined to: with a trailing slash.
    pub fn base(&self) -> Result<url::Url, String> {
        let mut url = self.parse()?;
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(url)
    }
}

impl Kind for HttpUrl {
    const KIND: &'static str = "http(s) URL";
    type Declared = &'static str;
    fn from_declared(declared: &'static str) -> Self {
        Self(declared.to_string())
    }
    fn show(declared: &'static str) -> String {
        toml_string(declared)
    }
    fn validate(&self) -> Result<(), String> {
        self.parse().map(drop)
    }
}

/// An address to listen on, `host:port` (`0.0.0.0:8443`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct ListenAddress(pub String);

impl ListenAddress {
    /// The address, or why it is not one.
    pub fn parse(&self) -> Result<std::net::SocketAddr, String> {
        self.0
            .trim()
            .parse()
            .map_err(|_| "not an address like 0.0.0.0:8443".to_string())
    }
}

impl Kind for ListenAddress {
    const KIND: &'static str = "host:port";
    type Declared = &'static str;
    fn from_declared(declared: &'static str) -> Self {
        Self(declared.to_string())
    }
    fn show(declared: &'static str) -> String {
        toml_string(declared)
    }
    fn validate(&self) -> Result<(), String> {
        self.parse().map(drop)
    }
}

/// A numeric id (a Discord snowflake) as a TOML integer or a string of digits; 0 is none.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum NumericId {
    /// `application_id = 1234`.
    Number(u64),
    /// `application_id = "1234"`.
    Text(String),
}

impl NumericId {
    /// The id, when it is one (digits, not 0).
    pub fn get(&self) -> Option<u64> {
        match self {
            Self::Number(n) => Some(*n),
            Self::Text(t) => t.trim().parse::<u64>().ok(),
        }
        .filter(|n| *n > 0)
    }
}

impl Kind for NumericId {
    const KIND: &'static str = "id (digits)";
    type Declared = Infallible;
    fn from_declared(declared: Infallible) -> Self {
        match declared {}
    }
    fn show(declared: Infallible) -> String {
        match declared {}
    }
    fn validate(&self) -> Result<(), String> {
        self.get()
            .map(drop)
            .ok_or_else(|| "not an id (digits)".to_string())
    }
}

/// `value` when it lies in `range`; else `None` and a problem for `key`, named by where the
/// value came from (never quoting it).
pub fn check<T: Kind>(
    layers: &Layers,
    problems: &mut Problems,
    key: &str,
    value: Option<T>,
    range: Option<(T::Declared, T::Declared)>,
) -> Option<T> {
    let value = value?;
    if let Err(reason) = value.validate() {
        layers.invalid(problems, key, reason);
        return None;
    }
    let Some((low, high)) = range else {
        return Some(value);
    };
    match value.within(low, high) {
        Ok(()) => Some(value),
        Err(reason) => {
            layers.invalid(problems, key, reason);
            None
        }
    }
}

/// Declares a table of the config file once: its serde section, its resolved values, its
/// [`Setting`]s. See [the module](crate::declare) for what is derived.
///
/// ```
/// agent_ops_settings::section! {
///     /// The `[demo]` table.
///     pub struct DemoSection in "demo" => DemoValues, DemoKeys {
///         /// the bearer token (required; never logged)
///         token: secrecy::SecretString, env "DEMO_TOKEN";
///         /// requests at once
///         concurrency: u32 = 8, range 1..=64;
///     }
/// }
/// let file = agent_ops_settings::ConfigFile::parse(None, "[demo]\nconcurrency = 65\n").unwrap();
/// let layers = agent_ops_settings::Layers::new(file, &|_| None, &[DemoSection::DECLARED]);
/// let mut problems = agent_ops_settings::Problems::new();
/// let values = layers.section::<DemoSection>(&mut problems).resolve(&layers, &mut problems);
/// assert_eq!(values.concurrency, 8);
/// problems.missing(&DemoSection::KEYS.token);
/// let err = problems.finish(()).unwrap_err().to_string();
/// assert!(err.contains("demo.concurrency: 65 is not between 1 and 64"), "{err}");
/// assert!(err.contains("missing setting DEMO_TOKEN (or `demo.token` in the config file)"), "{err}");
/// ```
///
/// Each setting is `/// description`, then `name: Type`, then in this order, each optional:
/// `= default`, `, range low..=high`, `, env "VARIABLE"`, `, flag "--flag"`,
/// `, shown "a default in words"` (one the code works out), `, example "TOML value"`.
#[macro_export]
macro_rules! section {
    (
        $(#[doc = $sdoc:literal])*
        $vis:vis struct $Section:ident in $table:literal => $Values:ident, $Keys:ident {
            $(
                $(#[doc = $doc:literal])+
                $field:ident : $ty:ty
                $(= $default:expr)?
                $(, range $low:tt ..= $high:tt)?
                $(, env $env:literal)?
                $(, flag $flag:literal)?
                $(, shown $shown:literal)?
                $(, example $example:literal)?
                ;
            )*
        }
    ) => {
        $(#[doc = $sdoc])*
        ///
        /// As the file and the environment give it: every key optional, unknown keys refused.
        #[derive(Debug, Clone, Default, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        $vis struct $Section {
            $( $(#[doc = $doc])+ pub $field: Option<$ty>, )*
        }

        $(#[doc = $sdoc])*
        ///
        /// Resolved: defaults applied, ranges checked.
        #[derive(Debug, Clone)]
        $vis struct $Values {
            $( $(#[doc = $doc])+ pub $field: $crate::section!(@value_ty $ty $(, $default)?), )*
        }

        /// The declarations of the settings of
        #[doc = concat!("`[", $table, "]`.")]
        #[derive(Debug, Clone, Copy)]
        $vis struct $Keys {
            $( $(#[doc = $doc])+ pub $field: $crate::Setting, )*
        }

        impl $Section {
            /// Its table's name.
            pub const TABLE: &'static str = $table;
            /// Each setting's declaration, by name.
            pub const KEYS: $Keys = $Keys {
                $( $field: $crate::Setting {
                    key: concat!($table, ".", stringify!($field)),
                    env: $crate::section!(@opt $($env)?),
                    flag: $crate::section!(@opt $($flag)?),
                    doc: concat!($($doc),+),
                    kind: <$ty as $crate::Kind>::KIND,
                    secret: <$ty as $crate::Kind>::SECRET,
                    table: <$ty as $crate::Kind>::TABLE,
                    nested: <$ty as $crate::Kind>::NESTED,
                    default: $crate::section!(@shown $ty; [$($shown)?] $(, $default)?),
                    range: $crate::section!(@range_shown $ty; $($low, $high)?),
                    example: $crate::section!(@opt $($example)?),
                }, )*
            };
            /// Every setting, in declaration order.
            pub const SETTINGS: &'static [$crate::Setting] = &[ $( Self::KEYS.$field ),* ];
            /// The table as declared.
            pub const DECLARED: $crate::Table = $crate::Table {
                name: $table,
                doc: concat!("" $(, $sdoc)*),
                settings: Self::SETTINGS,
            };

            /// The values with the declared defaults applied and ranges checked; a value out
            /// of range is a problem (named by its variable, flag or file key and line) and
            /// its default stands in.
            pub fn resolve(
                self,
                layers: &$crate::Layers,
                problems: &mut $crate::Problems,
            ) -> $Values {
                $Values {
                    $( $field: $crate::section!(
                        @resolve layers, problems, Self::KEYS.$field.key, self.$field, $ty,
                        [$($low, $high)?] $(, $default)?
                    ), )*
                }
            }
        }

        impl $crate::Section for $Section {
            const DECLARED: $crate::Table = Self::DECLARED;
            type Values = $Values;
            fn resolve(
                self,
                layers: &$crate::Layers,
                problems: &mut $crate::Problems,
            ) -> $Values {
                $Section::resolve(self, layers, problems)
            }
        }

        impl $crate::Kind for $Section {
            const KIND: &'static str = "table";
            const NESTED: bool = true;
            type Declared = ::std::convert::Infallible;
            fn from_declared(declared: ::std::convert::Infallible) -> Self {
                match declared {}
            }
            fn show(declared: ::std::convert::Infallible) -> String {
                match declared {}
            }
        }
    };
    (@value_ty $ty:ty) => { Option<$ty> };
    (@value_ty $ty:ty, $default:expr) => { $ty };
    (@opt) => { None };
    (@opt $value:expr) => { Some($value) };
    (@shown $ty:ty; [$shown:literal] $(, $default:expr)?) => {
        Some($crate::Shown::Words($shown))
    };
    (@shown $ty:ty; []) => { None };
    (@shown $ty:ty; [], $default:expr) => {
        Some($crate::Shown::Value(|| <$ty as $crate::Kind>::show($default)))
    };
    (@range_shown $ty:ty;) => { <$ty as $crate::Kind>::BOUNDS };
    (@range_shown $ty:ty; $low:tt, $high:tt) => {
        Some(|| <$ty as $crate::Kind>::show_range($low, $high))
    };
    (@resolve $layers:ident, $problems:ident, $key:expr, $value:expr, $ty:ty,
        [$($low:tt, $high:tt)?]) => {
        $crate::check::<$ty>($layers, $problems, $key, $value, $crate::section!(@opt $(($low, $high))?))
    };
    (@resolve $layers:ident, $problems:ident, $key:expr, $value:expr, $ty:ty,
        [$($low:tt, $high:tt)?], $default:expr) => {
        $crate::check::<$ty>($layers, $problems, $key, $value, $crate::section!(@opt $(($low, $high))?))
            .unwrap_or_else(|| <$ty as $crate::Kind>::from_declared($default))
    };
}

/// A table declared by [`section!`](crate::section).
pub trait Section: serde::de::DeserializeOwned + Default {
    /// The table as declared.
    const DECLARED: Table;
    /// The values, resolved.
    type Values;
    /// The values with the declared defaults applied and ranges checked.
    fn resolve(self, layers: &Layers, problems: &mut Problems) -> Self::Values;
}
