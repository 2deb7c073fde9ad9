//! Words shared by the replies: filters, counts, durations, times, upstream errors.

use agent_core::time::format_platform;
use agent_core::{Category, Error, ResetFilter, StatusSet, StatusSummary, TimeRange, mask_number};
use jiff::civil::DateTime;

use crate::i18n::Lang;
use crate::reply::{Reply, ReplyKind};

/// `status=busy,no-answer from=2020-07-28 00:00:00 to=…` (or `all numbers`).
pub fn describe_filter(
    statuses: StatusSet,
    range: TimeRange,
    sub: Option<&str>,
    lang: Lang,
) -> String {
    let parts = filter_parts(statuses, range, sub, lang);
    if parts.is_empty() {
        lang.pick("all numbers", "全部号码").to_string()
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
        parts.push(format!(
            "{}={}",
            lang.pick("status", "状态"),
            names.join(",")
        ));
    }
    if let Some(start) = range.start() {
        parts.push(format!(
            "{}={}",
            lang.pick("from", "从"),
            format_platform(start)
        ));
    }
    if let Some(end) = range.end() {
        parts.push(format!(
            "{}={}",
            lang.pick("to", "到"),
            format_platform(end)
        ));
    }
    if let Some(sub) = sub {
        parts.push(format!("{}={sub}", lang.pick("sub", "子账户")));
    }
    parts
}

/// A reset filter in words; phones masked unless `mask` is off.
pub fn describe_reset(filter: &ResetFilter, lang: Lang, mask: bool) -> String {
    if filter.is_everything() {
        return lang
            .pick("all numbers of the task", "任务的全部号码")
            .to_string();
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
        parts.push(format!(
            "{}={}",
            lang.pick("phones", "号码"),
            phones.join(",")
        ));
    }
    if let Some(keyword) = filter.keyword() {
        parts.push(format!("{}={keyword}", lang.pick("keyword", "关键词")));
    }
    parts.join(" ")
}

/// `busy 12 · no-answer 3`, in the reply's language.
pub fn describe_summary(summary: &StatusSummary, lang: Lang) -> String {
    let parts: Vec<String> = summary
        .non_zero()
        .map(|(status, n)| format!("{} {n}", lang.status(status)))
        .collect();
    if parts.is_empty() {
        lang.pick("none", "无").to_string()
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
    let id = crate::engine::correlation_id();
    tracing::warn!(correlation = %id, category = ?err.category(), "the platform failed");
    tracing::debug!(correlation = %id, detail = %agent_core::mask_phones_in(&err.to_string(), &[]), "the platform failed: details");
    let title = lang.pick("The platform could not do it", "平台未能完成请求");
    let category = match (err.category(), lang) {
        (Category::Unauthorized, Lang::En) => {
            "The platform refused our token: ask an admin to check AGENT_API_TOKEN.".to_string()
        }
        (Category::Unauthorized, Lang::Zh) => {
            "平台拒绝了我们的令牌，请联系管理员检查 AGENT_API_TOKEN。".to_string()
        }
        (Category::NotFound, Lang::En) => {
            format!("Task {task_label} was not found for this account.")
        }
        (Category::NotFound, Lang::Zh) => format!("该账户下找不到任务 {task_label}。"),
        (Category::RateLimited, Lang::En) => {
            "The platform is busy (too many requests): try again in a minute.".to_string()
        }
        (Category::RateLimited, Lang::Zh) => "平台繁忙（请求过多），请稍后再试。".to_string(),
        (Category::Unavailable, Lang::En) => {
            "The platform failed on its side: try again in a moment.".to_string()
        }
        (Category::Unavailable, Lang::Zh) => "平台内部出错，请稍后再试。".to_string(),
        (Category::Refused, Lang::En) => match err {
            Error::Envelope { code, .. } => {
                format!("The platform refused the request (code {code}).")
            }
            _ => "The platform refused the request.".to_string(),
        },
        (Category::Refused, Lang::Zh) => match err {
            Error::Envelope { code, .. } => format!("平台拒绝了该请求（代码 {code}）。"),
            _ => "平台拒绝了该请求。".to_string(),
        },
        (Category::Unreachable, Lang::En) => {
            "The platform cannot be reached: try again in a moment.".to_string()
        }
        (Category::Unreachable, Lang::Zh) => "无法连接平台，请稍后再试。".to_string(),
        (Category::Timeout, Lang::En) => {
            "The platform did not answer in time: try again in a moment.".to_string()
        }
        (Category::Timeout, Lang::Zh) => "平台未及时响应，请稍后再试。".to_string(),
        (Category::Unreadable, Lang::En) => "The platform's answer could not be read.".to_string(),
        (Category::Unreadable, Lang::Zh) => "无法读取平台的响应。".to_string(),
        (Category::Invalid, Lang::En) => "The request was not sent: it was invalid.".to_string(),
        (Category::Invalid, Lang::Zh) => "请求无效，未发送。".to_string(),
    };
    let mut reply = Reply::new(ReplyKind::Error, title).line(category);
    if let Some(message) = err.platform_message() {
        reply = reply.line(format!(
            "{}: {}",
            lang.pick("The platform says", "平台消息"),
            clip(&message, 300)
        ));
    }
    reply.line(format!("{}: {id}", lang.pick("Reference", "参考编号")))
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
    Reply::new(ReplyKind::Error, lang.pick("Bad input", "输入有误"))
        .line(format!("{option}: {err}"))
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
