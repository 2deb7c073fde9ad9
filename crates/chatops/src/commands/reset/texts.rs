//! What `/reset` says: the preview, the confirmation and the outcome.
//!
//! Each message is declared once, in English and Chinese, in a [`texts!`](crate::texts) table;
//! the words several commands share are in [`crate::messages`].

use crate::messages::grouped;
use crate::texts::texts;

texts! {
    /// A message of `/reset`, with its arguments. [`ResetMsg::text`] words it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum ResetMsg<'a>, key ResetKey;

    /// Title of the progress of a long preview.
    Counting => en "Counting the numbers to reset…", zh "正在统计待重置的号码…";
    /// The progress of a long preview.
    CountingProgress {
        /// The task's label.
        task: &'a str,
        /// Numbers checked.
        scanned: u64,
        /// Out of.
        total: u64,
    } =>
        let (scanned, total) = (grouped(scanned), grouped(total));
        en "Task {task}: {scanned} of {total} numbers checked.",
        zh "任务 {task}：已检查 {scanned} / {total} 个号码。";
    /// Title: the preview missed its deadline.
    PreviewTooSlow => en "The preview took too long", zh "预览超时";
    /// The preview missed its deadline.
    PreviewDeadline {
        /// The deadline in seconds.
        seconds: u64,
    } =>
        en "Counting the numbers to reset did not finish within {seconds} s, so nothing can be confirmed. Narrow the filter (status:, from:, to:) and try again.",
        zh "统计待重置号码未能在 {seconds} 秒内完成，因此无法确认。请缩小筛选范围（status:、from:、to:）后重试。";
    /// Title: nothing matches.
    NothingToReset => en "Nothing to reset", zh "无需重置";
    /// Nothing of the task matches the filter.
    NoMatch {
        /// The task's label.
        task: &'a str,
        /// The filter in words.
        filter: &'a str,
    } =>
        en "No number of task {task} matches {filter}.",
        zh "任务 {task} 中没有符合 {filter} 的号码。";
    /// Title of a preview.
    PreviewTitle {
        /// The task's label.
        task: &'a str,
        /// Numbers that would be reset.
        total: u64,
    } =>
        let total = grouped(total);
        en "Reset preview · task {task}: {total} numbers would go back to waiting",
        zh "重置预览 · 任务 {task}：{total} 个号码将恢复为等待呼叫";
    /// Who may confirm, and until when.
    ConfirmWithin {
        /// The requester's name.
        name: &'a str,
        /// The confirmation's lifetime in minutes.
        minutes: u64,
        /// Its end, China time (`HH:MM:SS`).
        until: &'a str,
    } =>
        en "Only {name} can confirm, within {minutes} min (until {until} China time).",
        zh "仅 {name} 可在 {minutes} 分钟内（北京时间 {until} 前）确认。";
    /// Button: confirm the reset.
    ConfirmButton => en "Confirm reset", zh "确认重置";
    /// Button: cancel the reset.
    CancelButton => en "Cancel", zh "取消";
    /// Title: a reset without a filter.
    ResetRefused => en "Reset refused", zh "拒绝重置";
    /// A reset without a filter needs `all`.
    Unfiltered =>
        en "Without a filter this would reset every number of the task. Add status:, phones:, keyword:, from: or to:, or say `all` to reset the whole task.",
        zh "不带筛选条件将重置该任务的全部号码。请添加 status:、phones:、keyword:、from: 或 to:，或明确写 all 以重置整个任务。";
    /// Title: no such pending reset.
    NothingToConfirm => en "Nothing to confirm", zh "没有待确认的重置";
    /// The reset was confirmed, cancelled or expired.
    ConfirmGone =>
        en "This reset was already confirmed, cancelled or expired; run /reset again if needed.",
        zh "该重置已被确认、取消或已过期；如有需要请重新执行 /reset。";
    /// The reset was just confirmed by another press.
    AlreadyConfirmed => en "This reset was already confirmed.", zh "该重置已被确认。";
    /// Title: someone else's reset.
    NotYoursToConfirm => en "Not yours to confirm", zh "无法确认他人的重置";
    /// Only the requester confirms.
    OnlyRequesterConfirms {
        /// The requester's name.
        name: &'a str,
    } =>
        en "Only {name}, who asked for this reset, can confirm it.",
        zh "只有发起人 {name} 可以确认此重置。";
    /// Title: the confirmation is too late.
    ConfirmationExpired => en "Confirmation expired", zh "确认已过期";
    /// Run `/reset` again.
    RunResetAgain => en "Run /reset again.", zh "请重新执行 /reset。";
    /// Title: the reset is done.
    ResetDone {
        /// Who confirmed.
        by: &'a str,
        /// The task's label.
        task: &'a str,
        /// Numbers reset.
        total: u64,
    } =>
        let total = grouped(total);
        en "Reset done by {by}: task {task}, {total} numbers back to waiting",
        zh "{by} 已完成重置：任务 {task}，{total} 个号码恢复为等待呼叫";
    /// Counts per status before the reset.
    ByStatusBefore {
        /// The counts in words.
        counts: &'a str,
    } => en "By status before the reset: {counts}", zh "重置前按状态: {counts}";
    /// The platform's own message.
    PlatformFooter {
        /// The message.
        message: &'a str,
    } => en "Platform: {message}", zh "平台: {message}";
    /// Title: the reset failed.
    ResetFailed => en "Reset failed", zh "重置失败";
    /// Title: the reset's fate is unknown.
    ResetOutcomeUnknown => en "Reset outcome unknown", zh "重置结果未知";
    /// Check before trying again.
    ResetMaybeApplied =>
        en "The reset may or may not have been applied: check with /numbers before trying again.",
        zh "无法确定重置是否已生效：请先用 /numbers 查看，再决定是否重试。";
    /// Title: no such pending reset to cancel.
    NothingToCancel => en "Nothing to cancel", zh "没有可取消的重置";
    /// The reset was confirmed, cancelled or expired.
    CancelGone =>
        en "This reset was already confirmed, cancelled or expired.",
        zh "该重置已被确认、取消或已过期。";
    /// Title: someone else's reset.
    NotYoursToCancel => en "Not yours to cancel", zh "无法取消他人的重置";
    /// Only the requester cancels.
    OnlyRequesterCancels {
        /// The requester's name.
        name: &'a str,
    } =>
        en "Only {name}, who asked for this reset, can cancel it.",
        zh "只有发起人 {name} 可以取消此重置。";
    /// Title: the reset was cancelled.
    ResetCancelled {
        /// Who cancelled.
        by: &'a str,
    } => en "Reset cancelled by {by}: nothing was changed", zh "{by} 已取消重置：未做任何更改";
    /// Title: no reset without an audit record.
    ResetNotPossible => en "Reset not possible now", zh "暂时无法重置";
}
