//! Words shared by the replies: filters, counts, durations, times, upstream errors.

use agent_core::time::format_platform;
use agent_core::{Error, ResetFilter, StatusSet, StatusSummary, TimeRange, mask_number};
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
    if parts.is_empty() {
        lang.pick("all numbers", "全部号码").to_string()
    } else {
        parts.join(" ")
    }
}

/// A reset filter in words; phones masked unless `mask` is off.
pub fn describe_reset(filter: &ResetFilter, lang: Lang, mask: bool) -> String {
    if filter.is_everything() {
        return lang
            .pick("all numbers of the task", "任务的全部号码")
            .to_string();
    }
    let mut text = describe_filter(
        filter.status_set(),
        filter.range(),
        filter.sub_account_id().map(|s| s.as_str()),
        lang,
    );
    if text == lang.pick("all numbers", "全部号码") {
        text.clear();
    }
    let mut parts: Vec<String> = if text.is_empty() {
        Vec::new()
    } else {
        vec![text]
    };
    if !filter.phone_list().is_empty() {
        let phones: Vec<String> = filter
            .phone_list()
            .iter()
            .map(|p| if mask { mask_number(p) } else { p.clone() })
            .collect();
        parts.push(format!(
            "{}={}",
            lang.pick("phones", "号码"),
            phones.join(",")
        ));
    }
    if let Some(keyword) = filter.keyword_text() {
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

/// The reply for a failure of the platform, in words a user can act on.
pub fn upstream_error(err: &Error, task_label: &str, lang: Lang) -> Reply {
    let title = lang.pick("The platform could not do it", "平台未能完成请求");
    let detail = match err {
        Error::Http { status: 401, .. } => lang
            .pick(
                "The platform refused our token (HTTP 401): ask an admin to check AGENT_API_TOKEN.",
                "平台拒绝了我们的令牌（HTTP 401），请联系管理员检查 AGENT_API_TOKEN。",
            )
            .to_string(),
        Error::Http { status: 404, .. } => match lang {
            Lang::En => format!("Task {task_label} was not found for this account (HTTP 404)."),
            Lang::Zh => format!("该账户下找不到任务 {task_label}（HTTP 404）。"),
        },
        Error::Timeout { .. } | Error::Transport { .. } => match lang {
            Lang::En => format!("{err}. Try again in a moment."),
            Lang::Zh => format!("无法连接平台：{err}。请稍后再试。"),
        },
        _ => err.to_string(),
    };
    Reply::new(ReplyKind::Error, title).line(detail)
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
