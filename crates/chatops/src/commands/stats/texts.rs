//! What `/stats` says: a task's progress in figures.
//!
//! Each message is declared once, in English and Chinese, in a [`texts!`](crate::texts) table;
//! the words several commands share are in [`crate::messages`].

use crate::messages::grouped;
use crate::texts::texts;

texts! {
    /// A message of `/stats`, with its arguments. [`StatsMsg::text`] words it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum StatsMsg<'a>, key StatsKey;

    /// Title of `/stats`.
    StatsTitle {
        /// The task's label.
        task: &'a str,
        /// The filter in words.
        filter: &'a str,
    } => en "Progress of task {task} · {filter}", zh "任务进度 {task} · {filter}";
    /// How many numbers, dialled and waiting.
    StatsTotals {
        /// Numbers matching.
        total: u64,
        /// Numbers dialled (every status but waiting).
        dialled: u64,
        /// Numbers waiting.
        waiting: u64,
    } =>
        let (total, dialled, waiting) = (grouped(total), grouped(dialled), grouped(waiting));
        en "{total} numbers: {dialled} dialled, {waiting} waiting",
        zh "共 {total} 个号码：已呼叫 {dialled}，等待呼叫 {waiting}";
    /// Connected numbers and the connect rate.
    StatsConnected {
        /// Numbers connected.
        connected: u64,
        /// Connected / dialled, as a percentage (or [`Msg::NoRate`](crate::Msg::NoRate)).
        rate: &'a str,
    } =>
        let connected = grouped(connected);
        en "Connected: {connected} · connect rate {rate} of dialled",
        zh "已接通 {connected} · 接通率 {rate}（占已呼叫）";
    /// When the counts were made, and how long they are shared.
    StatsCountedAt {
        /// China time (`HH:MM:SS`).
        at: &'a str,
        /// How long counts are shared.
        seconds: u64,
    } =>
        en "Counted at {at} China time; shared with every chat for {seconds} s",
        zh "统计于北京时间 {at}；{seconds} 秒内各会话共用";
    /// Button: count again.
    RefreshButton => en "↻ Refresh", zh "↻ 刷新";
    /// Run `/stats` again.
    RunStatsAgain => en "Run /stats again.", zh "请重新执行 /stats。";
}
