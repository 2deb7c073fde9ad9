//! Hand-written wire types that replace schemas of the spec in the generated code
//! (see `with_replacement` in `xtask/src/codegen.rs`).
//!
//! - [`PlatformDateTime`]: `YYYY-MM-DD HH:MM:SS`, China time, no zone (`PlatformDateTime` and
//!   `DateFilter` in the spec); progenitor's `date-time` would demand RFC 3339.
//! - [`QueryBool`]: a boolean that travels as `1`/`0` in a query string, because PHP reads the
//!   string `"false"` as true and Laravel's `boolean` rule rejects `"true"`.
//! - [`LenientInt`]: an integer the platform sometimes writes as a string (`meta.per_page: "15"`).
//! - [`LenientFlag`]: a flag written as `true`/`false` or `1`/`0`.

use std::fmt;
use std::str::FromStr;

use jiff::civil::DateTime;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A date and time as the platform writes and reads it: `2020-07-28 14:37:30`, China time
/// (UTC+8) with no zone in the text.
///
/// ```
/// use agent_api::wire::PlatformDateTime;
/// let at: PlatformDateTime = "2020-07-28 14:37:30".parse()?;
/// assert_eq!(at.to_string(), "2020-07-28 14:37:30");
/// assert_eq!(serde_json::to_string(&at)?, r#""2020-07-28 14:37:30""#);
/// assert!("2020-07-28T14:37:30+08:00".parse::<PlatformDateTime>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PlatformDateTime(DateTime);

impl PlatformDateTime {
    /// Wraps a civil (zone-less) date-time, understood as China time.
    pub const fn new(datetime: DateTime) -> Self {
        Self(datetime)
    }

    /// The civil date-time, China time.
    pub const fn datetime(self) -> DateTime {
        self.0
    }
}

impl From<DateTime> for PlatformDateTime {
    fn from(datetime: DateTime) -> Self {
        Self(datetime)
    }
}

/// The text is not `YYYY-MM-DD HH:MM:SS`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a platform date-time (expected YYYY-MM-DD HH:MM:SS)")]
pub struct DateTimeParseError {
    text: String,
}

impl FromStr for PlatformDateTime {
    type Err = DateTimeParseError;

    /// Exactly `YYYY-MM-DD HH:MM:SS` (read by position: pages of a thousand numbers carry five
    /// dates each).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || DateTimeParseError {
            text: text.chars().take(40).collect(),
        };
        let b = text.as_bytes();
        if b.len() != 19
            || b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b' '
            || b[13] != b':'
            || b[16] != b':'
        {
            return Err(error());
        }
        let num = |range: std::ops::Range<usize>| -> Result<i16, DateTimeParseError> {
            b[range].iter().try_fold(0i16, |acc, &d| {
                if d.is_ascii_digit() {
                    Ok(acc * 10 + i16::from(d - b'0'))
                } else {
                    Err(error())
                }
            })
        };
        let narrow = |v: i16| i8::try_from(v).map_err(|_| error());
        let date = jiff::civil::Date::new(num(0..4)?, narrow(num(5..7)?)?, narrow(num(8..10)?)?)
            .map_err(|_| error())?;
        let time = jiff::civil::Time::new(
            narrow(num(11..13)?)?,
            narrow(num(14..16)?)?,
            narrow(num(17..19)?)?,
            0,
        )
        .map_err(|_| error())?;
        Ok(Self(date.to_datetime(time)))
    }
}

impl TryFrom<&str> for PlatformDateTime {
    type Error = DateTimeParseError;
    fn try_from(text: &str) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl TryFrom<String> for PlatformDateTime {
    type Error = DateTimeParseError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl TryFrom<&String> for PlatformDateTime {
    type Error = DateTimeParseError;
    fn try_from(text: &String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl fmt::Display for PlatformDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            d.year(),
            d.month(),
            d.day(),
            d.hour(),
            d.minute(),
            d.second()
        )
    }
}

impl fmt::Debug for PlatformDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PlatformDateTime({self})")
    }
}

impl Serialize for PlatformDateTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PlatformDateTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(de::Error::custom)
    }
}

/// A boolean in a query string, sent as `1` or `0`.
///
/// ```
/// use agent_api::wire::QueryBool;
/// assert_eq!(QueryBool(true).to_string(), "1");
/// assert_eq!(serde_json::to_string(&QueryBool::from(false))?, "0");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct QueryBool(pub bool);

impl From<bool> for QueryBool {
    fn from(value: bool) -> Self {
        Self(value)
    }
}

impl fmt::Display for QueryBool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0 { "1" } else { "0" })
    }
}

impl Serialize for QueryBool {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(u8::from(self.0))
    }
}

impl<'de> Deserialize<'de> for QueryBool {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FlagVisitor).map(Self)
    }
}

/// A yes/no flag written as `true`/`false` or `1`/`0` (also as strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LenientFlag(pub bool);

impl Serialize for LenientFlag {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bool(self.0)
    }
}

impl<'de> Deserialize<'de> for LenientFlag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FlagVisitor).map(Self)
    }
}

struct FlagVisitor;

impl Visitor<'_> for FlagVisitor {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean, 0 or 1")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
        match v {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(E::invalid_value(de::Unexpected::Unsigned(v), &self)),
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
        u64::try_from(v)
            .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            .and_then(|v| self.visit_u64(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        match v {
            "1" | "true" => Ok(true),
            "0" | "false" => Ok(false),
            _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }
}

/// A non-negative integer that may arrive as a JSON number or as a string of digits.
///
/// ```
/// use agent_api::wire::LenientInt;
/// let per_page: LenientInt = serde_json::from_str(r#""15""#)?;
/// assert_eq!(per_page.get(), 15);
/// assert_eq!(serde_json::from_str::<LenientInt>("15")?, per_page);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct LenientInt(pub u64);

impl LenientInt {
    /// The value.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl From<u64> for LenientInt {
    fn from(value: u64) -> Self {
        Self(value)
    }
}

impl fmt::Display for LenientInt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for LenientInt {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.0)
    }
}

impl<'de> Deserialize<'de> for LenientInt {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IntVisitor;
        impl Visitor<'_> for IntVisitor {
            type Value = u64;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-negative integer, or a string of digits")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
                Ok(v)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
                u64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
                v.trim()
                    .parse()
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        deserializer.deserialize_any(IntVisitor).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_round_trip_in_the_platform_format() {
        let dt: PlatformDateTime = "2020-07-28 14:37:30".parse().unwrap();
        assert_eq!(dt.to_string(), "2020-07-28 14:37:30");
        assert_eq!(
            serde_json::to_string(&dt).unwrap(),
            "\"2020-07-28 14:37:30\""
        );
        let back: PlatformDateTime = serde_json::from_str("\"2020-07-28 14:37:30\"").unwrap();
        assert_eq!(back, dt);
    }

    #[test]
    fn other_datetime_forms_are_refused_with_the_text() {
        for bad in [
            "2020-07-28",
            "2020-07-28T14:37:30",
            "2020-07-28 14:37:30+08:00",
            "2020/7/28 1:00",
            "2020-02-30 00:00:00",
            "",
        ] {
            let err = bad.parse::<PlatformDateTime>().unwrap_err();
            assert!(err.to_string().contains(bad), "{err}");
        }
    }

    #[test]
    fn query_bools_travel_as_digits() {
        assert_eq!(QueryBool(true).to_string(), "1");
        assert_eq!(serde_json::to_string(&QueryBool(false)).unwrap(), "0");
    }

    #[test]
    fn lenient_values_accept_both_forms() {
        let n: LenientInt = serde_json::from_str("\"15\"").unwrap();
        assert_eq!(n.get(), 15);
        let n: LenientInt = serde_json::from_str("15").unwrap();
        assert_eq!(n.get(), 15);
        assert!(serde_json::from_str::<LenientInt>("\"-1\"").is_err());
        assert!(serde_json::from_str::<LenientInt>("-1").is_err());
        for (text, want) in [("1", true), ("0", false), ("true", true), ("\"0\"", false)] {
            let flag: LenientFlag = serde_json::from_str(text).unwrap();
            assert_eq!(flag.0, want, "{text}");
        }
        assert!(serde_json::from_str::<LenientFlag>("2").is_err());
    }
}
