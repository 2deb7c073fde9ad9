//! Requests read the way Laravel reads them: PHP's query arrays, its date parsing, its validation
//! messages (HTTP 422 `{message, errors: {field: [..]}}`).

use std::collections::BTreeMap;

use jiff::civil::{Date, DateTime, Time};
use serde_json::Value;

/// The largest `per_page` the simulator serves (the platform documents none).
pub const MAX_PER_PAGE: u64 = 1000;

/// Validation errors, field → messages, as Laravel reports them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Invalid(pub BTreeMap<String, Vec<String>>);

impl Invalid {
    fn add(&mut self, field: &str, message: String) {
        self.0.entry(field.to_string()).or_default().push(message);
    }

    /// Whether nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Laravel's summary message: the first error, plus "(and N more errors)".
    pub fn message(&self) -> String {
        let mut all = self.0.values().flatten();
        let first = all
            .next()
            .cloned()
            .unwrap_or_else(|| "The given data was invalid.".to_string());
        let more = all.count();
        match more {
            0 => first,
            1 => format!("{first} (and 1 more error)"),
            n => format!("{first} (and {n} more errors)"),
        }
    }
}

/// Laravel's name of a field in messages: `per_page` → `per page`.
fn label(field: &str) -> String {
    field.replace('_', " ")
}

/// The filters both endpoints share.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Status codes (empty: any).
    pub statuses: Vec<u8>,
    /// Creation time lower bound (inclusive).
    pub start: Option<DateTime>,
    /// Creation time upper bound (inclusive).
    pub end: Option<DateTime>,
    /// The sub-account acted on.
    pub sub_user_id: Option<String>,
}

/// A list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// The page, from 1.
    pub page: u64,
    /// Numbers per page.
    pub per_page: u64,
    /// The filters.
    pub filters: Filters,
}

/// A reset request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResetQuery {
    /// The filters.
    pub filters: Filters,
    /// Exact numbers.
    pub phones: Vec<String>,
    /// A substring of the number.
    pub keyword: Option<String>,
}

/// Parses a date the way the platform accepts it: `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]`, and the
/// `2025/12/3 0:00` form its documentation shows. A date alone means its first second.
pub fn parse_date(text: &str) -> Option<DateTime> {
    let text = text.trim();
    let (date, time) = match text.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t.trim())),
        None => (text, None),
    };
    let separator = if date.contains('-') { '-' } else { '/' };
    let parts: Vec<&str> = date.split(separator).collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    let num = |s: &str, max_len: usize| -> Option<i16> {
        (!s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    if y.len() != 4 {
        return None;
    }
    let date = Date::new(
        num(y, 4)?,
        i8::try_from(num(m, 2)?).ok()?,
        i8::try_from(num(d, 2)?).ok()?,
    )
    .ok()?;
    let time = match time {
        None | Some("") => Time::midnight(),
        Some(time) => {
            let fields: Vec<&str> = time.split(':').collect();
            let (h, mi, s) = match fields.as_slice() {
                [h, mi] => (*h, *mi, "0"),
                [h, mi, s] => (*h, *mi, *s),
                _ => return None,
            };
            if mi.len() != 2 || (fields.len() == 3 && s.len() != 2) {
                return None;
            }
            Time::new(
                i8::try_from(num(h, 2)?).ok()?,
                i8::try_from(num(mi, 2)?).ok()?,
                i8::try_from(num(s, 2)?).ok()?,
                0,
            )
            .ok()?
        }
    };
    Some(date.to_datetime(time))
}

/// PHP's reading of a query string: `k[]=v` appends, `k[n]=v` sets index n, a repeated plain key
/// keeps the last value.
#[derive(Debug, Default)]
struct PhpQuery {
    scalars: BTreeMap<String, String>,
    arrays: BTreeMap<String, Vec<(Option<u64>, String)>>,
}

impl PhpQuery {
    fn parse(raw: &str) -> Self {
        let mut query = Self::default();
        for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
            let key = key.into_owned();
            let value = value.into_owned();
            match key.split_once('[') {
                Some((name, rest)) if rest.ends_with(']') => {
                    let index = rest.trim_end_matches(']');
                    let index = if index.is_empty() {
                        None
                    } else {
                        index.parse().ok()
                    };
                    query.scalars.remove(name);
                    query
                        .arrays
                        .entry(name.to_string())
                        .or_default()
                        .push((index, value));
                }
                _ => {
                    query.arrays.remove(&key);
                    query.scalars.insert(key, value);
                }
            }
        }
        query
    }

    /// An array parameter's values in PHP order (`k[]` appends after the highest index).
    fn array(&self, name: &str) -> Option<Vec<String>> {
        if let Some(items) = self.arrays.get(name) {
            let mut indexed: BTreeMap<u64, String> = BTreeMap::new();
            for (index, value) in items {
                let at = index.unwrap_or_else(|| indexed.keys().next_back().map_or(0, |k| k + 1));
                indexed.insert(at, value.clone());
            }
            return Some(indexed.into_values().collect());
        }
        // A scalar `status=2` is taken as a one-element array.
        self.scalars.get(name).map(|v| vec![v.clone()])
    }
}

fn integer(text: &str) -> Option<i64> {
    let t = text.trim();
    (!t.is_empty()
        && t.bytes()
            .enumerate()
            .all(|(i, b)| b.is_ascii_digit() || (i == 0 && b == b'-')))
    .then(|| t.parse().ok())
    .flatten()
}

fn statuses(values: &[Value], invalid: &mut Invalid) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, value) in values.iter().enumerate() {
        let code = match value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => integer(s),
            _ => None,
        };
        match code.and_then(|c| u8::try_from(c).ok()).filter(|c| *c <= 12) {
            Some(code) => out.push(code),
            None => invalid.add(
                &format!("status.{i}"),
                format!("The selected status.{i} is invalid."),
            ),
        }
    }
    out
}

fn dates(
    start: Option<&str>,
    end: Option<&str>,
    invalid: &mut Invalid,
    end_needs_start: bool,
) -> (Option<DateTime>, Option<DateTime>) {
    let mut parse = |field: &str, text: Option<&str>| {
        let text = text?;
        let parsed = parse_date(text);
        if parsed.is_none() {
            invalid.add(field, format!("The {} is not a valid date.", label(field)));
        }
        parsed
    };
    let start_at = parse("start_at", start);
    let end_at = parse("end_at", end);
    if end_needs_start && end.is_some() && start.is_none() {
        invalid.add(
            "start_at",
            "The start at field is required when end at is present.".to_string(),
        );
    }
    if let (Some(s), Some(e)) = (start_at, end_at)
        && e < s
    {
        invalid.add(
            "end_at",
            "The end at must be a date after or equal to start at.".to_string(),
        );
    }
    (start_at, end_at)
}

fn boolean(field: &str, value: &Value, invalid: &mut Invalid) {
    let ok = match value {
        Value::Bool(_) => true,
        Value::Number(n) => matches!(n.as_i64(), Some(0 | 1)),
        // In a query string every value is text. The platform's own examples send `false`,
        // so the words are taken too; anything else is refused.
        Value::String(s) => matches!(s.as_str(), "0" | "1" | "true" | "false"),
        _ => false,
    };
    if !ok {
        invalid.add(
            field,
            format!("The {} field must be true or false.", label(field)),
        );
    }
}

/// Reads and validates a list request's query string.
pub fn list_query(raw: &str) -> Result<ListQuery, Invalid> {
    let query = PhpQuery::parse(raw);
    let mut invalid = Invalid::default();
    let mut number = |field: &str, default: u64, max: Option<u64>| -> u64 {
        let Some(text) = query.scalars.get(field) else {
            return default;
        };
        match integer(text) {
            None => {
                invalid.add(field, format!("The {} must be an integer.", label(field)));
                default
            }
            Some(n) if n < 1 => {
                invalid.add(field, format!("The {} must be at least 1.", label(field)));
                default
            }
            Some(n) => match max {
                Some(max) if n as u64 > max => {
                    invalid.add(
                        field,
                        format!("The {} must not be greater than {max}.", label(field)),
                    );
                    default
                }
                _ => n as u64,
            },
        }
    };
    let page = number("page", 1, None);
    let per_page = number("per_page", 15, Some(MAX_PER_PAGE));
    if query.arrays.contains_key("page") || query.arrays.contains_key("per_page") {
        invalid.add("page", "The page must be an integer.".to_string());
    }
    let statuses = match query.array("status") {
        Some(values) => statuses(
            &values.into_iter().map(Value::String).collect::<Vec<_>>(),
            &mut invalid,
        ),
        None => Vec::new(),
    };
    let (start, end) = dates(
        query.scalars.get("start_at").map(String::as_str),
        query.scalars.get("end_at").map(String::as_str),
        &mut invalid,
        false,
    );
    if let Some(flag) = query.scalars.get("encryption") {
        boolean("encryption", &Value::String(flag.clone()), &mut invalid);
    }
    let sub_user_id = query
        .scalars
        .get("sub_user_id")
        .filter(|s| !s.is_empty())
        .cloned();
    if invalid.is_empty() {
        Ok(ListQuery {
            page,
            per_page,
            filters: Filters {
                statuses,
                start,
                end,
                sub_user_id,
            },
        })
    } else {
        Err(invalid)
    }
}

/// Reads and validates a reset body. An empty body (or `{}`, or `null`) has no filter: it resets
/// the whole task, as the platform would.
pub fn reset_body(body: &[u8]) -> Result<ResetQuery, Invalid> {
    let mut invalid = Invalid::default();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(ResetQuery::default());
    }
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(_) => {
            invalid.add("body", "The request body must be valid JSON.".to_string());
            return Err(invalid);
        }
    };
    let object = match value {
        Value::Null => return Ok(ResetQuery::default()),
        Value::Object(object) => object,
        _ => {
            invalid.add(
                "body",
                "The request body must be a JSON object.".to_string(),
            );
            return Err(invalid);
        }
    };
    let text = |field: &str, invalid: &mut Invalid| -> Option<String> {
        match object.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(_) => {
                invalid.add(field, format!("The {} must be a string.", label(field)));
                None
            }
        }
    };
    let keyword = text("keyword", &mut invalid).filter(|k| !k.is_empty());
    let sub_user_id = text("sub_user_id", &mut invalid).filter(|s| !s.is_empty());
    let start_text = text("start_at", &mut invalid);
    let end_text = text("end_at", &mut invalid);
    let (start, end) = dates(
        start_text.as_deref(),
        end_text.as_deref(),
        &mut invalid,
        true,
    );
    let mut phones = Vec::new();
    match object.get("phones") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(s) => phones.push(s.trim().to_string()),
                    _ => invalid.add(
                        &format!("phones.{i}"),
                        format!("The phones.{i} must be a string."),
                    ),
                }
            }
        }
        Some(_) => invalid.add("phones", "The phones must be an array.".to_string()),
    }
    let statuses = match object.get("status") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => statuses(items, &mut invalid),
        Some(_) => {
            invalid.add("status", "The status must be an array.".to_string());
            Vec::new()
        }
    };
    if let Some(flag) = object.get("encryption").filter(|v| !v.is_null()) {
        boolean("encryption", flag, &mut invalid);
    }
    if invalid.is_empty() {
        Ok(ResetQuery {
            filters: Filters {
                statuses,
                start,
                end,
                sub_user_id,
            },
            phones,
            keyword,
        })
    } else {
        Err(invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn php_arrays() {
        let q = list_query("page=2&status%5B%5D=0&status%5B%5D=2").unwrap();
        assert_eq!((q.page, q.filters.statuses.clone()), (2, vec![0, 2]));
        let q = list_query("page=1&status[1]=4&status[0]=8").unwrap();
        assert_eq!(q.filters.statuses, vec![8, 4]);
        // A repeated plain key keeps the last value, as PHP does.
        let q = list_query("page=1&status=3&status=5").unwrap();
        assert_eq!(q.filters.statuses, vec![5]);
        assert_eq!(list_query("").unwrap().per_page, 15);
    }

    #[test]
    fn dates_in_every_documented_form() {
        let d = |s| parse_date(s).map(|d| d.to_string());
        assert_eq!(d("2025/12/3 0:00").as_deref(), Some("2025-12-03T00:00:00"));
        assert_eq!(
            d("2020-07-28 10:00:00").as_deref(),
            Some("2020-07-28T10:00:00")
        );
        assert_eq!(d("2020-07-28").as_deref(), Some("2020-07-28T00:00:00"));
        assert_eq!(d("2020/7/28").as_deref(), Some("2020-07-28T00:00:00"));
        for bad in ["2020-13-01", "yesterday", "2020-07-28 25:00", "20-7-28", ""] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn laravel_validation_messages() {
        let err = list_query("page=0&per_page=5000&status[]=13&start_at=x").unwrap_err();
        assert_eq!(err.0["page"], ["The page must be at least 1."]);
        assert_eq!(
            err.0["per_page"],
            ["The per page must not be greater than 1000."]
        );
        assert_eq!(err.0["status.0"], ["The selected status.0 is invalid."]);
        assert_eq!(err.0["start_at"], ["The start at is not a valid date."]);
        assert_eq!(
            err.message(),
            "The page must be at least 1. (and 3 more errors)"
        );
        let err = list_query("page=1&start_at=2020-07-29&end_at=2020-07-28").unwrap_err();
        assert!(err.0.contains_key("end_at"));
        assert!(list_query("page=1&encryption=yes").is_err());
        assert!(list_query("page=1&encryption=false").is_ok());
    }

    #[test]
    fn reset_bodies() {
        let q = reset_body(br#"{"keyword":"139","phones":["13934373090"],"start_at":"2020-07-28 10:00:00","end_at":"2020-07-28 23:59:59","status":[0,2]}"#).unwrap();
        assert_eq!(q.filters.statuses, vec![0, 2]);
        assert_eq!(q.phones, vec!["13934373090"]);
        assert_eq!(reset_body(b"").unwrap(), ResetQuery::default());
        assert_eq!(reset_body(b"{}").unwrap(), ResetQuery::default());
        assert!(
            reset_body(b"{\"phones\": [1]}")
                .unwrap_err()
                .0
                .contains_key("phones.0")
        );
        assert!(
            reset_body(b"{\"end_at\": \"2020-07-28\"}")
                .unwrap_err()
                .0
                .contains_key("start_at")
        );
        assert!(reset_body(b"[1]").is_err());
        assert!(reset_body(b"{\"status\": ").is_err());
        assert!(reset_body(b"{\"status\": [\"busy\"]}").is_err());
    }
}
