//! Requests read the way Laravel reads them — PHP's query arrays, its validation messages (HTTP
//! 422 `{message, errors: {field: [..]}}`) — and never looser than the spec: a value that breaks
//! a parameter or body schema of `openapi/agent-api.yaml` is refused.

use std::collections::BTreeMap;

use jiff::civil::{Date, DateTime, Time};
use serde_json::{Map, Value};

/// The largest `per_page` the simulator serves (the platform documents none); larger → 422.
pub const MAX_PER_PAGE: u64 = 1000;

/// The default `per_page`, Laravel's.
pub const DEFAULT_PER_PAGE: u64 = 15;

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
        match all.count() {
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
    /// Exact numbers (trimmed).
    pub phones: Vec<String>,
    /// A substring of the number.
    pub keyword: Option<String>,
}

/// Parses a creation-time bound in the forms the spec's `DateFilter` allows —
/// `^\d{4}([-/])\d{1,2}\1\d{1,2}( \d{1,2}:\d{2}(:\d{2})?)?$`: `2020-07-28 10:00:00`,
/// `2020-07-28`, `2020-07-28 10:00`, and the documentation's `2025/12/3 0:00` — and only real
/// calendar dates and times. A date alone means its first second.
pub fn parse_date(text: &str) -> Option<DateTime> {
    fn digits(s: &str, min: usize, max: usize) -> Option<i16> {
        (s.len() >= min && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    }
    let small = |s: &str, min: usize| digits(s, min, 2).and_then(|n| i8::try_from(n).ok());
    let (date, time) = match text.split_once(' ') {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    let separator = if date.contains('-') { '-' } else { '/' };
    let mut parts = date.split(separator);
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let date = Date::new(digits(y, 4, 4)?, small(m, 1)?, small(d, 1)?).ok()?;
    let time = match time {
        None => Time::midnight(),
        Some(time) => {
            let mut fields = time.split(':');
            let (Some(h), Some(mi), s, None) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                return None;
            };
            let s = match s {
                Some(s) => digits(s, 2, 2).and_then(|n| i8::try_from(n).ok())?,
                None => 0,
            };
            Time::new(
                small(h, 1)?,
                digits(mi, 2, 2).and_then(|n| i8::try_from(n).ok())?,
                s,
                0,
            )
            .ok()?
        }
    };
    Some(date.to_datetime(time))
}

/// One parameter of a query string as PHP reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Param {
    Scalar(String),
    Array(Vec<String>),
}

/// PHP's reading of a query string: `k[]=v` appends, `k[n]=v` sets index n, a repeated plain key
/// keeps the last value, and a later plain key replaces an earlier array (and the reverse).
fn php_query(raw: &str) -> BTreeMap<String, Param> {
    let mut arrays: BTreeMap<String, BTreeMap<u64, String>> = BTreeMap::new();
    let mut params: BTreeMap<String, Param> = BTreeMap::new();
    for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
        let value = value.into_owned();
        match key.split_once('[') {
            Some((name, rest)) if !name.is_empty() && rest.ends_with(']') => {
                let items = arrays.entry(name.to_string()).or_default();
                if matches!(params.get(name), Some(Param::Scalar(_))) {
                    items.clear();
                }
                let index = rest.trim_end_matches(']');
                let at = index
                    .parse()
                    .ok()
                    .unwrap_or_else(|| items.keys().next_back().map_or(0, |k| k + 1));
                items.insert(at, value);
                params.insert(
                    name.to_string(),
                    Param::Array(items.values().cloned().collect()),
                );
            }
            _ => {
                arrays.remove(key.as_ref());
                params.insert(key.into_owned(), Param::Scalar(value));
            }
        }
    }
    params
}

/// An integer as Laravel's `integer` rule reads text (PHP's `FILTER_VALIDATE_INT`: optional
/// surrounding blanks and minus sign, no leading zeros).
fn integer(text: &str) -> Option<i64> {
    let t = text.trim_matches([' ', '\t', '\n', '\r']);
    let digits = t.strip_prefix('-').unwrap_or(t);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    canonical.then(|| t.parse().ok()).flatten()
}

fn status_code(value: &Value) -> Option<u8> {
    let code = match value {
        Value::Number(n) => n.as_i64(),
        _ => None,
    };
    code.and_then(|c| u8::try_from(c).ok()).filter(|c| *c <= 12)
}

fn statuses(values: &[Value], invalid: &mut Invalid) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, value) in values.iter().enumerate() {
        match status_code(value) {
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

fn not_boolean(field: &str, invalid: &mut Invalid) {
    invalid.add(
        field,
        format!("The {} field must be true or false.", label(field)),
    );
}

/// Reads and validates a list request's query string.
///
/// `page` defaults to 1 and `per_page` to 15 (at most [`MAX_PER_PAGE`]); `status[]=…` (also
/// `status[0]=…` and a scalar `status=2`) must be codes 0..12; `start_at`/`end_at` must be dates
/// (see [`parse_date`]) with `end_at` not before `start_at`; `encryption` must be `1` or `0`
/// — Laravel's `boolean` rule refuses the words `true`/`false`, and so does the simulator.
pub fn list_query(raw: &str) -> Result<ListQuery, Invalid> {
    let query = php_query(raw);
    let mut invalid = Invalid::default();
    let scalar = |field: &str, invalid: &mut Invalid, kind: &str| -> Option<String> {
        match query.get(field) {
            None => None,
            Some(Param::Scalar(value)) => Some(value.clone()),
            Some(Param::Array(_)) => {
                invalid.add(field, format!("The {} must be {kind}.", label(field)));
                None
            }
        }
    };
    let number = |field: &str, default: u64, max: Option<u64>, invalid: &mut Invalid| {
        let Some(text) = scalar(field, invalid, "an integer") else {
            return default;
        };
        match integer(&text) {
            None => {
                invalid.add(field, format!("The {} must be an integer.", label(field)));
                default
            }
            Some(n) if n < 1 => {
                invalid.add(field, format!("The {} must be at least 1.", label(field)));
                default
            }
            Some(n) => {
                let n = n.unsigned_abs();
                match max {
                    Some(max) if n > max => {
                        invalid.add(
                            field,
                            format!("The {} must not be greater than {max}.", label(field)),
                        );
                        default
                    }
                    _ => n,
                }
            }
        }
    };
    let page = number("page", 1, None, &mut invalid);
    let per_page = number(
        "per_page",
        DEFAULT_PER_PAGE,
        Some(MAX_PER_PAGE),
        &mut invalid,
    );
    let status_values: Vec<Value> = match query.get("status") {
        None => Vec::new(),
        // A scalar `status=2` is taken as a one-element array.
        Some(Param::Scalar(value)) => vec![value.clone()],
        Some(Param::Array(values)) => values.clone(),
    }
    .into_iter()
    .map(|text| integer(&text).map_or(Value::String(text), Value::from))
    .collect();
    let statuses = statuses(&status_values, &mut invalid);
    let start_text = scalar("start_at", &mut invalid, "a valid date");
    let end_text = scalar("end_at", &mut invalid, "a valid date");
    let (start, end) = dates(
        start_text.as_deref(),
        end_text.as_deref(),
        &mut invalid,
        false,
    );
    match query.get("encryption") {
        None => {}
        Some(Param::Scalar(flag)) if flag == "1" || flag == "0" => {}
        Some(_) => not_boolean("encryption", &mut invalid),
    }
    let sub_user_id = scalar("sub_user_id", &mut invalid, "a string").filter(|s| !s.is_empty());
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

/// A body field that must be a string when present (`null` is not a string: the spec does not
/// make these fields nullable).
fn string_field(object: &Map<String, Value>, field: &str, invalid: &mut Invalid) -> Option<String> {
    match object.get(field) {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            invalid.add(field, format!("The {} must be a string.", label(field)));
            None
        }
    }
}

fn array_field<'a>(
    object: &'a Map<String, Value>,
    field: &str,
    invalid: &mut Invalid,
) -> &'a [Value] {
    match object.get(field) {
        None => &[],
        Some(Value::Array(items)) => items,
        Some(_) => {
            invalid.add(field, format!("The {} must be an array.", label(field)));
            &[]
        }
    }
}

/// Reads and validates a reset body.
///
/// The spec requires a body: none at all (nothing, or only blanks) is refused with a 422, so a
/// client that forgets the body never resets the whole task by accident. `{}` has no filter and
/// resets the whole task, as the platform would. A body must be a JSON object whose fields have
/// the spec's types:
/// `keyword`, `sub_user_id`, `start_at`, `end_at` strings (dates as in [`parse_date`], `end_at`
/// only with `start_at`), `phones` an array of strings, `status` an array of codes 0..12,
/// `encryption` a JSON boolean. Unknown fields are ignored.
pub fn reset_body(body: &[u8]) -> Result<ResetQuery, Invalid> {
    let mut invalid = Invalid::default();
    if body.iter().all(u8::is_ascii_whitespace) {
        invalid.add("body", "The request body is required.".to_string());
        return Err(invalid);
    }
    let object = match serde_json::from_slice(body) {
        Ok(Value::Object(object)) => object,
        Ok(_) => {
            invalid.add(
                "body",
                "The request body must be a JSON object.".to_string(),
            );
            return Err(invalid);
        }
        Err(_) => {
            invalid.add("body", "The request body must be valid JSON.".to_string());
            return Err(invalid);
        }
    };
    let keyword = string_field(&object, "keyword", &mut invalid)
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty());
    let sub_user_id = string_field(&object, "sub_user_id", &mut invalid).filter(|s| !s.is_empty());
    let start_text = string_field(&object, "start_at", &mut invalid);
    let end_text = string_field(&object, "end_at", &mut invalid);
    let (start, end) = dates(
        start_text.as_deref(),
        end_text.as_deref(),
        &mut invalid,
        true,
    );
    let mut phones = Vec::new();
    for (i, item) in array_field(&object, "phones", &mut invalid)
        .iter()
        .enumerate()
    {
        match item {
            Value::String(s) => phones.push(s.trim().to_string()),
            _ => invalid.add(
                &format!("phones.{i}"),
                format!("The phones.{i} must be a string."),
            ),
        }
    }
    let status_items = array_field(&object, "status", &mut invalid).to_vec();
    let statuses = statuses(&status_items, &mut invalid);
    if let Some(flag) = object.get("encryption")
        && !flag.is_boolean()
    {
        not_boolean("encryption", &mut invalid);
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
        let q = list_query("status=2").unwrap();
        assert_eq!(q.filters.statuses, vec![2]);
        // A repeated plain key keeps the last value, as PHP does.
        let q = list_query("page=1&status=3&status=5").unwrap();
        assert_eq!(q.filters.statuses, vec![5]);
        // A later plain key replaces an array, and the reverse.
        assert_eq!(
            list_query("status[]=1&status=5").unwrap().filters.statuses,
            vec![5]
        );
        assert_eq!(
            list_query("status=5&status[]=1").unwrap().filters.statuses,
            vec![1]
        );
        let q = list_query("page=3&page=4").unwrap();
        assert_eq!(q.page, 4);
        let q = list_query("").unwrap();
        assert_eq!((q.page, q.per_page), (1, 15));
    }

    #[test]
    fn dates_in_every_documented_form() {
        let d = |s| parse_date(s).map(|d| d.to_string());
        assert_eq!(d("2025/12/3 0:00").as_deref(), Some("2025-12-03T00:00:00"));
        assert_eq!(d("2025/12/3 23:59").as_deref(), Some("2025-12-03T23:59:00"));
        assert_eq!(
            d("2020-07-28 10:00:00").as_deref(),
            Some("2020-07-28T10:00:00")
        );
        assert_eq!(
            d("2020-07-28 10:00").as_deref(),
            Some("2020-07-28T10:00:00")
        );
        assert_eq!(d("2020-07-28").as_deref(), Some("2020-07-28T00:00:00"));
        assert_eq!(d("2020/7/28").as_deref(), Some("2020-07-28T00:00:00"));
        for bad in [
            "2020-13-01",
            "2020/02/30",
            "yesterday",
            "2020-07-28 25:00",
            "2020-07-28 10:0",
            "2020-07-28 10:00:0",
            "2020-07-28T10:00:00",
            "2020-07/28",
            " 2020-07-28",
            "2020-07-28 ",
            "2020-07-28  10:00",
            "20-7-28",
            "2020-007-28",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn integers_as_laravel_reads_them() {
        assert_eq!(integer("15"), Some(15));
        assert_eq!(integer(" 15 "), Some(15));
        assert_eq!(integer("-3"), Some(-3));
        assert_eq!(integer("0"), Some(0));
        for bad in [
            "",
            "015",
            "+5",
            "1.5",
            "1e2",
            "x",
            "-",
            "99999999999999999999",
        ] {
            assert_eq!(integer(bad), None, "{bad:?}");
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
        assert!(
            list_query("per_page[]=3")
                .unwrap_err()
                .0
                .contains_key("per_page")
        );
        assert!(
            list_query("sub_user_id[]=3")
                .unwrap_err()
                .0
                .contains_key("sub_user_id")
        );
        assert!(
            list_query("page=1&end_at=2020-07-28").is_ok(),
            "end_at alone lists"
        );
    }

    #[test]
    fn encryption_follows_laravels_boolean_rule() {
        assert!(list_query("page=1&encryption=1").is_ok());
        assert!(list_query("page=1&encryption=0").is_ok());
        for bad in ["false", "true", "yes", "", "2", "encryption[]=1"] {
            let query = if bad.contains('=') {
                format!("page=1&{bad}")
            } else {
                format!("page=1&encryption={bad}")
            };
            let err = list_query(&query).unwrap_err();
            assert_eq!(
                err.0["encryption"],
                ["The encryption field must be true or false."],
                "{query}"
            );
        }
        assert!(reset_body(br#"{"encryption": false, "status": [1]}"#).is_ok());
        for bad in ["\"false\"", "0", "null", "\"1\""] {
            let body = format!(r#"{{"encryption": {bad}}}"#);
            assert!(reset_body(body.as_bytes()).is_err(), "{body}");
        }
    }

    #[test]
    fn reset_bodies() {
        let q = reset_body(br#"{"keyword":" 139 ","phones":[" 13934373090"],"start_at":"2020-07-28 10:00:00","end_at":"2020-07-28 23:59:59","status":[0,2]}"#).unwrap();
        assert_eq!(q.filters.statuses, vec![0, 2]);
        assert_eq!(q.phones, vec!["13934373090"]);
        assert_eq!(q.keyword.as_deref(), Some("139"));
        assert_eq!(reset_body(b"{}").unwrap(), ResetQuery::default());
        let refused = |body: &[u8], field: &str| {
            let err = reset_body(body).unwrap_err();
            assert!(
                err.0.contains_key(field),
                "{}: {err:?}",
                String::from_utf8_lossy(body)
            );
        };
        refused(b"{\"phones\": [1]}", "phones.0");
        refused(b"{\"phones\": \"1\"}", "phones");
        refused(b"{\"phones\": null}", "phones");
        refused(b"{\"end_at\": \"2020-07-28\"}", "start_at");
        refused(b"{\"keyword\": 139}", "keyword");
        refused(b"{\"keyword\": null}", "keyword");
        refused(b"{\"status\": [\"2\"]}", "status.0");
        refused(b"{\"status\": [2.5]}", "status.0");
        refused(b"{\"status\": 2}", "status");
        refused(b"", "body");
        refused(b" \n", "body");
        refused(b"[1]", "body");
        refused(b"null", "body");
        refused(b"{\"status\": ", "body");
    }
}
