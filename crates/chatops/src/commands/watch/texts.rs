//! What `/watch`, `/unwatch` and `/watches` say, and what the scheduler posts.
//!
//! Each message is declared once, in English and Chinese, in a [`texts!`](crate::texts) table;
//! the words several commands share are in [`crate::messages`].

use crate::messages::grouped;
use crate::texts::texts;

texts! {
    /// A message of the watches, with its arguments. [`WatchMsg::text`] words it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum WatchMsg<'a>, key WatchKey;

    /// `when:` cannot be read.
    BadWhen {
        /// What was given.
        given: &'a str,
    } =>
        en "`when:{given}` cannot be read: use done, daily@HH:MM (China time, like daily@09:00) or every:<duration> (like every:30m, every:2h, every:1d)",
        zh "无法识别 `when:{given}`：请用 done、daily@时:分（北京时间，如 daily@09:00）或 every:<间隔>（如 every:30m、every:2h、every:1d）";
    /// `every:` shorter than the minimum.
    EveryTooShort {
        /// The minimum, in minutes.
        minutes: u64,
    } => en "every: must be at least {minutes} minutes", zh "every: 间隔至少为 {minutes} 分钟";
    /// A watch needs a chat to post to.
    WatchNeedsChat =>
        en "A watch posts to a chat: use it in a chat or channel.",
        zh "关注会发送到会话：请在会话或频道中使用。";
    /// A watch was set (or replaced).
    WatchAdded {
        /// The task's label.
        task: &'a str,
        /// When it posts ([`WatchMsg::WhenDone`]…).
        when: &'a str,
    } =>
        en "Watching task {task} in this chat: {when}. /unwatch task:{task} stops it.",
        zh "已在本会话关注任务 {task}：{when}。/unwatch task:{task} 可取消。";
    /// A watch was removed.
    WatchRemoved {
        /// The task's label.
        task: &'a str,
    } => en "This chat no longer watches task {task}.", zh "本会话已取消关注任务 {task}。";
    /// No watch of that task in this chat.
    WatchNotFound {
        /// The task's label.
        task: &'a str,
    } => en "This chat does not watch task {task}.", zh "本会话未关注任务 {task}。";
    /// Title of `/watches`.
    WatchesTitle => en "Watches of this chat", zh "本会话的关注";
    /// This chat watches nothing.
    NoWatches =>
        en "This chat watches no task: /watch task:<task> starts one.",
        zh "本会话未关注任何任务：可用 /watch task:<任务> 关注。";
    /// Too many watches in this chat.
    WatchLimit {
        /// The most a chat may have.
        max: u64,
    } =>
        en "A chat may watch at most {max} tasks: /unwatch one first.",
        zh "每个会话最多关注 {max} 个任务：请先用 /unwatch 取消一个。";
    /// A column of `/watches`.
    ColumnTask => en "task", zh "任务";
    /// A column of `/watches`.
    ColumnWhen => en "posts", zh "发送时间";
    /// A column of `/watches`.
    ColumnLastPost => en "last post", zh "上次发送";
    /// `when:done`, in words.
    WhenDone => en "when it is done", zh "完成时";
    /// `when:daily@HH:MM`, in words.
    WhenDaily {
        /// `09:00`.
        at: &'a str,
    } => en "daily at {at} China time", zh "每天北京时间 {at}";
    /// `when:every:…`, in words.
    WhenEvery {
        /// `30m`.
        every: &'a str,
    } => en "every {every}", zh "每 {every}";
    /// Title of the post when a task is done.
    WatchDoneTitle {
        /// The task's label.
        task: &'a str,
    } =>
        en "Task {task} is done: no number is waiting",
        zh "任务 {task} 已完成：已无等待呼叫的号码";
    /// The figures of a task when it is done.
    WatchDone {
        /// Numbers dialled.
        dialled: u64,
        /// Numbers connected.
        connected: u64,
        /// Connected ÷ dialled (`22.2%`).
        rate: &'a str,
        /// Numbers worth another try.
        retryable: u64,
    } =>
        let (dialled, connected, retryable) =
            (grouped(dialled), grouped(connected), grouped(retryable));
        en "task done: {dialled} dialled, {connected} connected ({rate}), {retryable} retryable",
        zh "任务完成：已呼叫 {dialled}，已接通 {connected}（{rate}），可重呼 {retryable}";
    /// The figures of a task in a scheduled summary.
    WatchFigures {
        /// Numbers dialled.
        dialled: u64,
        /// Numbers connected.
        connected: u64,
        /// Connected ÷ dialled (`22.2%`).
        rate: &'a str,
        /// Numbers worth another try.
        retryable: u64,
    } =>
        let (dialled, connected, retryable) =
            (grouped(dialled), grouped(connected), grouped(retryable));
        en "{dialled} dialled, {connected} connected ({rate}), {retryable} retryable",
        zh "已呼叫 {dialled}，已接通 {connected}（{rate}），可重呼 {retryable}";
    /// Title of a scheduled summary.
    WatchSummaryTitle {
        /// The task's label.
        task: &'a str,
        /// When it posts ([`WatchMsg::WhenDaily`]…).
        when: &'a str,
    } => en "Progress of task {task} ({when})", zh "任务 {task} 进度（{when}）";
    /// Numbers still waiting, in a summary.
    WatchWaiting {
        /// Numbers not dialled yet.
        waiting: u64,
    } =>
        let waiting = grouped(waiting);
        en "{waiting} numbers still waiting",
        zh "仍有 {waiting} 个号码等待呼叫";
    /// The footer of a post: how to stop it.
    WatchFooter {
        /// The task's label.
        task: &'a str,
    } => en "/unwatch task:{task} stops these posts", zh "/unwatch task:{task} 可停止这些消息";
    /// The button that lists the retryable numbers.
    ListRetryableButton => en "List retryable numbers", zh "查看可重呼号码";
}
