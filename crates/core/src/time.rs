//! Times as the platform understands them: China time (UTC+8, no daylight saving since 1991),
//! whatever the zone of the machine that runs us.

use std::fmt;

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{Offset, TimeZone};
use jiff::{Timestamp, ToSpan};

/// The platform's offset from UTC: Asia/Shanghai, +08:00 all year.
pub const CHINA_OFFSET: Offset = Offset::constant(8);

/// The current wall-clock time in China.
pub fn china_now() -> DateTime {
    Timestamp::now()
        .to_zoned(TimeZone::fixed(CHINA_OFFSET))
        .datetime()
}

/// Which end of a range a time is for: a date alone means its first second as a start and its
/// last second as an end (`to:2020-07-28` includes the whole day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// The lower bound (`from`).
    Start,
    /// The upper bound (`to`).
    End,
}

/// What the time parser accepts, for error messages and help.
pub const ACCEPTED_TIMES: &str = "YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS], YYYY/M/D [H:MM], today, yesterday, now, 7d (days ago), 12h (hours ago)";

/// A time that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a time ({reason}); use {ACCEPTED_TIMES}")]
pub struct TimeParseError {
    /// The offending text.
    pub input: String,
    reason: String,
}

impl TimeParseError {
    fn new(input: &str, reason: impl fmt::Display) -> Self {
        Self {
            input: input.chars().take(40).collect(),
            reason: reason.to_string(),
        }
    }
}

/// Parses a time for one edge of a range, relative to `now` (China time).
pub fn parse_time(text: &str, edge: Edge, now: DateTime) -> Result<DateTime, TimeParseError> {
    let input = text.trim();
    let lower = input.to_lowercase();
    let day_edge = |date: Date| match edge {
        Edge::Start => date.to_datetime(Time::midnight()),
        Edge::End => date.to_datetime(Time::constant(23, 59, 59, 0)),
    };
    match lower.as_str() {
        "" => return Err(TimeParseError::new(text, "it is empty")),
        "now" | "现在" => return Ok(now.with().subsec_nanosecond(0).build().unwrap_or(now)),
        "today" | "今天" => return Ok(day_edge(now.date())),
        "yesterday" | "昨天" => {
            return now
                .date()
                .yesterday()
                .map(day_edge)
                .map_err(|e| TimeParseError::new(text, e));
        }
        _ => {}
    }
    if let Some(ago) = parse_ago(&lower) {
        let ago = ago.map_err(|reason| TimeParseError::new(text, reason))?;
        let then = now
            .checked_sub(ago)
            .map_err(|e| TimeParseError::new(text, e))?;
        return Ok(then.with().subsec_nanosecond(0).build().unwrap_or(then));
    }
    parse_absolute(input, edge).map_err(|reason| TimeParseError::new(text, reason))
}

/// `7d`, `12h`, `30m` (also `7 days`): a span back from now.
fn parse_ago(text: &str) -> Option<Result<jiff::Span, String>> {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    let unit = text[digits.len()..].trim();
    let unit = match unit {
        "d" | "day" | "days" | "天" => 'd',
        "h" | "hour" | "hours" | "小时" => 'h',
        "m" | "min" | "mins" | "minutes" | "分钟" => 'm',
        _ => return None,
    };
    let amount = match digits.parse::<i64>() {
        Ok(n) if n <= 3660 * 24 * 60 => n,
        _ => return Some(Err("too far back".to_string())),
    };
    Some(Ok(match unit {
        'd' => amount.days(),
        'h' => amount.hours(),
        _ => amount.minutes(),
    }))
}

/// `2020-07-28`, `2020/7/28 0:00`, `2020-07-28 10:00:00`, `2020-07-28T10:00`.
fn parse_absolute(text: &str, edge: Edge) -> Result<DateTime, String> {
    let (date_text, time_text) = match text.split_once([' ', 'T', 't']) {
        Some((d, t)) => (d, Some(t.trim())),
        None => (text, None),
    };
    let separator = if date_text.contains('-') { '-' } else { '/' };
    let parts: Vec<&str> = date_text.split(separator).collect();
    let [year, month, day] = parts.as_slice() else {
        return Err("expected a date like 2020-07-28".to_string());
    };
    let number = |part: &str, max_len: usize, what: &str| -> Result<i16, String> {
        if part.is_empty() || part.len() > max_len || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("bad {what} `{part}`"));
        }
        part.parse::<i16>()
            .map_err(|_| format!("bad {what} `{part}`"))
    };
    if year.len() != 4 {
        return Err(format!("bad year `{year}`"));
    }
    let year = number(year, 4, "year")?;
    let month = i8::try_from(number(month, 2, "month")?).map_err(|e| e.to_string())?;
    let day = i8::try_from(number(day, 2, "day")?).map_err(|e| e.to_string())?;
    let date = Date::new(year, month, day).map_err(|e| e.to_string())?;
    let Some(time_text) = time_text.filter(|t| !t.is_empty()) else {
        return Ok(match edge {
            Edge::Start => date.to_datetime(Time::midnight()),
            Edge::End => date.to_datetime(Time::constant(23, 59, 59, 0)),
        });
    };
    let fields: Vec<&str> = time_text.split(':').collect();
    let (hour, minute, second) = match fields.as_slice() {
        [h, m] => (
            *h,
            *m,
            match edge {
                Edge::Start => None,
                Edge::End => Some(59),
            },
        ),
        [h, m, s] => (
            *h,
            *m,
            Some(i8::try_from(number(s, 2, "second")?).map_err(|e| e.to_string())?),
        ),
        _ => return Err(format!("bad time of day `{time_text}`")),
    };
    let hour = i8::try_from(number(hour, 2, "hour")?).map_err(|e| e.to_string())?;
    if minute.len() != 2 {
        return Err(format!("bad minute `{minute}`"));
    }
    let minute = i8::try_from(number(minute, 2, "minute")?).map_err(|e| e.to_string())?;
    let time = Time::new(hour, minute, second.unwrap_or(0), 0).map_err(|e| e.to_string())?;
    Ok(date.to_datetime(time))
}

/// Formats a time as the platform wants it: `YYYY-MM-DD HH:MM:SS`.
pub fn format_platform(datetime: DateTime) -> String {
    datetime.strftime("%Y-%m-%d %H:%M:%S").to_string()
}

/// A creation-time range; either end may be open. Never ends before it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeRange {
    start: Option<DateTime>,
    end: Option<DateTime>,
}

/// A range whose end is before its start, or whose ends cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeRangeError {
    /// One end is not a time.
    #[error("{edge}: {source}")]
    Parse {
        /// `from` or `to`.
        edge: &'static str,
        /// Why.
        #[source]
        source: TimeParseError,
    },
    /// The end is before the start.
    #[error("`to` ({end}) is before `from` ({start})")]
    EndBeforeStart {
        /// The start, formatted.
        start: String,
        /// The end, formatted.
        end: String,
    },
}

impl TimeRange {
    /// No bounds.
    pub const fn unbounded() -> Self {
        Self {
            start: None,
            end: None,
        }
    }

    /// A range from two optional bounds; refuses an end before the start.
    pub fn new(start: Option<DateTime>, end: Option<DateTime>) -> Result<Self, TimeRangeError> {
        if let (Some(start), Some(end)) = (start, end)
            && end < start
        {
            return Err(TimeRangeError::EndBeforeStart {
                start: format_platform(start),
                end: format_platform(end),
            });
        }
        Ok(Self { start, end })
    }

    /// Parses `from` and `to` as typed by a user, relative to `now` (China time).
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        now: DateTime,
    ) -> Result<Self, TimeRangeError> {
        let start = from
            .map(|t| parse_time(t, Edge::Start, now))
            .transpose()
            .map_err(|source| TimeRangeError::Parse {
                edge: "from",
                source,
            })?;
        let end = to
            .map(|t| parse_time(t, Edge::End, now))
            .transpose()
            .map_err(|source| TimeRangeError::Parse { edge: "to", source })?;
        Self::new(start, end)
    }

    /// The lower bound.
    pub const fn start(&self) -> Option<DateTime> {
        self.start
    }

    /// The upper bound.
    pub const fn end(&self) -> Option<DateTime> {
        self.end
    }

    /// Whether neither end is set.
    pub const fn is_unbounded(&self) -> bool {
        self.start.is_none() && self.end.is_none()
    }

    /// The range with `floor` as its start when it has an end but no start (or the end itself,
    /// when the end is earlier than `floor`, so that it never ends before it starts).
    #[must_use]
    pub fn with_start_floor(self, floor: DateTime) -> Self {
        match (self.start, self.end) {
            (None, Some(end)) => Self {
                start: Some(floor.min(end)),
                end: Some(end),
            },
            _ => self,
        }
    }

    /// Whether a time falls in the range (both ends inclusive).
    pub fn contains(&self, datetime: DateTime) -> bool {
        self.start.is_none_or(|s| datetime >= s) && self.end.is_none_or(|e| datetime <= e)
    }
}

impl fmt::Display for TimeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.start, self.end) {
            (None, None) => f.write_str("any time"),
            (Some(s), None) => write!(f, "from {}", format_platform(s)),
            (None, Some(e)) => write!(f, "to {}", format_platform(e)),
            (Some(s), Some(e)) => write!(f, "{} – {}", format_platform(s), format_platform(e)),
        }
    }
}

/// Converts to the generated client's date type.
pub fn to_wire(datetime: DateTime) -> agent_api::wire::PlatformDateTime {
    let whole_second = datetime
        .with()
        .subsec_nanosecond(0)
        .build()
        .unwrap_or(datetime);
    agent_api::wire::PlatformDateTime::new(whole_second)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn now() -> DateTime {
        date(2026, 11, 22).at(15, 4, 5, 0)
    }

    fn start(text: &str) -> String {
        format_platform(parse_time(text, Edge::Start, now()).unwrap())
    }

    fn end(text: &str) -> String {
        format_platform(parse_time(text, Edge::End, now()).unwrap())
    }

    #[test]
    fn accepted_forms() {
        assert_eq!(start("2020-07-28"), "2020-07-28 00:00:00");
        assert_eq!(end("2020-07-28"), "2020-07-28 23:59:59");
        assert_eq!(start("2020-07-28 10:00"), "2020-07-28 10:00:00");
        assert_eq!(end("2020-07-28 10:00"), "2020-07-28 10:00:59");
        assert_eq!(start("2020-07-28 10:00:07"), "2020-07-28 10:00:07");
        assert_eq!(start("2020/7/28"), "2020-07-28 00:00:00");
        assert_eq!(start("2025/12/3 0:00"), "2025-12-03 00:00:00");
        assert_eq!(end("2025/12/3 23:59"), "2025-12-03 23:59:59");
        assert_eq!(start("2020-07-28T10:00:00"), "2020-07-28 10:00:00");
        assert_eq!(start("today"), "2026-11-22 00:00:00");
        assert_eq!(end("Today"), "2026-11-22 23:59:59");
        assert_eq!(start("yesterday"), "2026-11-21 00:00:00");
        assert_eq!(end("昨天"), "2026-11-21 23:59:59");
        assert_eq!(start("7d"), "2026-11-15 15:04:05");
        assert_eq!(start("12h"), "2026-11-22 03:04:05");
        assert_eq!(start("now"), "2026-11-22 15:04:05");
    }

    #[test]
    fn refused_forms_name_the_input() {
        for bad in [
            "2020-13-01",
            "2020-02-30",
            "20-07-28",
            "2020-07",
            "2020-07-28 25:00",
            "2020-07-28 10:0",
            "2020-07-28 10:00:60",
            "last week",
            "7x",
            "",
            "99999999999d",
        ] {
            let err = parse_time(bad, Edge::Start, now()).unwrap_err();
            assert!(err.to_string().contains(&format!("`{bad}`")), "{err}");
            assert!(err.to_string().contains("today"), "{err}");
        }
    }

    #[test]
    fn ranges_refuse_an_end_before_the_start() {
        let err = TimeRange::parse(Some("2020-07-29"), Some("2020-07-28"), now()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`to` (2020-07-28 23:59:59) is before `from` (2020-07-29 00:00:00)"
        );
        let same_day = TimeRange::parse(Some("2020-07-28"), Some("2020-07-28"), now()).unwrap();
        assert!(same_day.contains(date(2020, 7, 28).at(12, 0, 0, 0)));
        assert!(!same_day.contains(date(2020, 7, 29).at(0, 0, 0, 0)));
        let err = TimeRange::parse(Some("soon"), None, now()).unwrap_err();
        assert!(
            err.to_string().starts_with("from: `soon` is not a time"),
            "{err}"
        );
    }

    #[test]
    fn china_time_is_utc_plus_8() {
        let utc = Timestamp::now().to_zoned(TimeZone::UTC).datetime();
        let china = china_now();
        let diff = china.since(utc).unwrap().total(jiff::Unit::Minute).unwrap();
        assert!((diff - 480.0).abs() < 1.0, "{diff}");
    }
}
