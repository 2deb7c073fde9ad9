//! What `/help` says: what the bot understands, and the caller's role or how to get one.
//!
//! Each message is declared once, in English and Chinese, in a [`texts!`](crate::texts) table;
//! the words several commands share are in [`crate::messages`].

use agent_core::{CallStatus, StatusGroup};

use crate::access::Role;
use crate::i18n::Lang;
use crate::texts::texts;

texts! {
    /// A message of `/help`, with its arguments. [`HelpMsg::text`] words it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum HelpMsg<'a>, key HelpKey;

    /// Title of the help of a caller with no role.
    NoAccessTitle => en "agent-ops: no access yet", zh "agent-ops：尚未授权";
    /// How a caller with no role gets one.
    NoRole {
        /// The caller's identity.
        identity: &'a str,
    } =>
        en "You ({identity}) have no role here. Ask an admin to add `{identity}` to the viewers or operators of the bot's [chatops] settings.",
        zh "你（{identity}）尚无任何角色。请联系管理员将 `{identity}` 加入机器人 [chatops] 配置的 viewers 或 operators。";
    /// Title of the help.
    HelpTitle => en "agent-ops: what I understand", zh "agent-ops 使用说明";
    /// The configured task aliases.
    HelpTasks {
        /// The aliases (none: use task ids).
        aliases: &'a [String],
    } => |lang| {
        match lang {
            Lang::En if aliases.is_empty() => "Tasks: (no aliases; use task ids)".to_string(),
            Lang::En => format!("Tasks: {}", aliases.join(", ")),
            Lang::Zh if aliases.is_empty() => "任务：（未配置别名，请使用任务 id）".to_string(),
            Lang::Zh => format!("任务：{}", aliases.join("、")),
        }
    };
    /// Every status.
    HelpStatuses => |lang| {
        let statuses = agent_core::status::ALL_STATUSES
            .iter()
            .map(|s: &CallStatus| format!("{} {} {}", s.code(), s.name_en(), s.label_zh()));
        match lang {
            Lang::En => format!("Statuses: {}", statuses.collect::<Vec<_>>().join(", ")),
            Lang::Zh => format!("状态：{}", statuses.collect::<Vec<_>>().join("，")),
        }
    };
    /// Every group of statuses.
    HelpGroups => |lang| {
        let groups = StatusGroup::ALL.iter();
        match lang {
            Lang::En => format!(
                "Groups: {}",
                groups
                    .map(|g| format!("{} ({})", g.name(), g.description()))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            Lang::Zh => format!(
                "分组：{}",
                groups
                    .map(|g| format!("{} {}", g.name(), g.name_zh()))
                    .collect::<Vec<_>>()
                    .join("，")
            ),
        }
    };
    /// The time formats accepted.
    HelpTimes =>
        let times = agent_core::time::ACCEPTED_TIMES;
        en "Times: {times}",
        zh "时间格式：{times}";
    /// Who the caller is, and their role.
    HelpYouAre {
        /// The caller's identity.
        identity: &'a str,
        /// Their role.
        role: Role = Role::Viewer,
    } =>
        let role = role.as_str();
        en "You are {identity} (role: {role}).",
        zh "你是 {identity}（角色：{role}）。";
}
