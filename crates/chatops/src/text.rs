//! Words shared by the replies: filters, counts, durations, times, upstream errors.

use agent_core::time::format_platform;
use agent_core::{Category, Error, ResetFilter, StatusSet, StatusSummary, TimeRange, mask_number};
use jiff::civil::DateTime;

use crate::i18n::Lang;
use crate::messages::Msg;
use crate::reply::{Reply, ReplyKind};

/// A correlation id: ten lowercase letters (no digits, so masking never touches it), shown in
/// chat beside a failure and logged with its details.
pub(crate) fn correlation_id() -> String {
    let mut bytes = [0u8; 10];
    if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).is_err() {
        // Not a secret, only a handle to find a log line: a weaker source is fine here.
        bytes.iter_mut().for_each(|b| *b = fastrand::u8(..));
    }
    bytes.iter().map(|b| char::from(b'a' + b % 26)).collect()
}

/// `status=busy,no-answer from=2020-07-28 00:00:00 to=…` (or `all numbers`).
pub fn describe_filter(
    statuses: StatusSet,
    range: TimeRange,
    sub: Option<&str>,
    lang: Lang,
) -> String {
    let parts = filter_parts(statuses, range, sub, lang);
    if parts.is_empty() {
        Msg::AllNumbers.text(lang)
    } else {
        parts.join(" ")
    }
}

/// The words of each part of a filter that is set; none when nothing narrows it.
fn filter_parts(
    statuses: StatusSet,
    range: TimeRange,
    sub: Option<&str>,
    lang: Lang,
) -> Vec<String> {
    let mut parts = Vec::new();
    if !statuses.is_empty() {
        let names: Vec<&str> = match agent_core::StatusGroup::ALL
            .iter()
            .find(|g| g.statuses() == statuses)
        {
            Some(group) => vec![lang.group(*group)],
            None => statuses.iter().map(|s| lang.status(s)).collect(),
        };
        parts.push(
            Msg::FilterStatus {
                value: &names.join(","),
            }
            .text(lang),
        );
    }
    if let Some(start) = range.start() {
        parts.push(
            Msg::FilterFrom {
                value: &format_platform(start),
            }
            .text(lang),
        );
    }
    if let Some(end) = range.end() {
        parts.push(
            Msg::FilterTo {
                value: &format_platform(end),
            }
            .text(lang),
        );
    }
    if let Some(sub) = sub {
        parts.push(Msg::FilterSub { value: sub }.text(lang));
    }
    parts
}

/// A reset filter in words; phones masked unless `mask` is off.
pub fn describe_reset(filter: &ResetFilter, lang: Lang, mask: bool) -> String {
    if filter.is_everything() {
        return Msg::AllNumbersOfTask.text(lang);
    }
    let mut parts = filter_parts(
        filter.scope().statuses(),
        filter.scope().range(),
        filter.scope().sub_account().map(|s| s.as_str()),
        lang,
    );
    if !filter.phones().is_empty() {
        let phones: Vec<String> = filter
            .phones()
            .iter()
            .map(|p| if mask { mask_number(p) } else { p.clone() })
            .collect();
        parts.push(
            Msg::FilterPhones {
                value: &phones.join(","),
            }
            .text(lang),
        );
    }
    if let Some(keyword) = filter.keyword() {
        parts.push(Msg::FilterKeyword { value: keyword }.text(lang));
    }
    parts.join(" ")
}

/// `busy 12 · no-answer 3`, in the reply's language.
pub fn describe_summary(summary: &StatusSummary, lang: Lang) -> String {
    let parts: Vec<String> = summary
        .non_zero()
        .map(|(status, n)| format!("{} {}", lang.status(status), crate::messages::grouped(n)))
        .collect();
    if parts.is_empty() {
        Msg::NoCounts.text(lang)
    } else {
        parts.join(" · ")
    }
}

/// A call's length from milliseconds: `57s`, `2m05s`.
pub fn duration(ms: Option<i64>) -> String {
    match ms {
        None => "-".to_string(),
        Some(ms) => {
            let secs = (ms.max(0) + 500) / 1000;
            if secs < 60 {
                format!("{secs}s")
            } else {
                format!("{}m{:02}s", secs / 60, secs % 60)
            }
        }
    }
}

/// A platform time without seconds: `2020-10-13 18:07`.
pub fn short_time(time: Option<DateTime>) -> String {
    time.map_or_else(
        || "-".to_string(),
        |t| t.strftime("%Y-%m-%d %H:%M").to_string(),
    )
}

/// The reply for a failure of the platform, in words a user can act on: a short category, the
/// platform's own message when it sent one (masked on the way out, like every reply), and a
/// correlation id. The details — bodies, URLs, the HTTP stack's words — go to the log only, at
/// debug level, with the same id and phones masked.
pub fn upstream_error(err: &Error, task_label: &str, lang: Lang) -> Reply {
    let id = correlation_id();
    tracing::warn!(correlation = %id, category = ?err.category(), "the platform failed");
    tracing::debug!(correlation = %id, detail = %agent_core::mask_phones_in(&err.to_string(), &[]), "the platform failed: details");
    let category = match err.category() {
        Category::Unauthorized => Msg::PlatformUnauthorized,
        Category::NotFound => Msg::TaskNotFound { task: task_label },
        Category::RateLimited => Msg::PlatformBusy,
        Category::Unavailable => Msg::PlatformUnavailable,
        Category::Refused => match err {
            Error::Envelope { code, .. } => Msg::PlatformRefusedCode { code: *code },
            _ => Msg::PlatformRefused,
        },
        Category::Unreachable => Msg::PlatformUnreachable,
        Category::Timeout => Msg::PlatformTimeout,
        Category::Unreadable => Msg::PlatformUnreadable,
        Category::Invalid => Msg::RequestInvalid,
    };
    let mut reply =
        Reply::new(ReplyKind::Error, Msg::PlatformFailed.text(lang)).line(category.text(lang));
    if let Some(message) = err.platform_message() {
        reply = reply.line(
            Msg::PlatformSays {
                message: &clip(&message, 300),
            }
            .text(lang),
        );
    }
    reply.line(Msg::Reference { id: &id }.text(lang))
}

/// At most `max` characters of `text`, with `…` when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max).collect();
    out.push('…');
    out
}

/// The reply for input that cannot be used; names the option.
pub fn bad_input(option: &str, err: &dyn std::fmt::Display, lang: Lang) -> Reply {
    Reply::new(ReplyKind::Error, Msg::BadInput.text(lang)).line(format!("{option}: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration(Some(56_920)), "57s");
        assert_eq!(duration(Some(125_000)), "2m05s");
        assert_eq!(duration(Some(0)), "0s");
        assert_eq!(duration(None), "-");
    }
}
