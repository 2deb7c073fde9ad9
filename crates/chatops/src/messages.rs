//! Every text the chat-ops engine says to a chat user, in English and Simplified Chinese, keyed
//! in one place: [`Msg`], one variant per message with its typed arguments, and [`Msg::text`],
//! which holds both languages of every message side by side.
//!
//! The engine builds its replies from these keys, and the transports (terminal, Telegram,
//! Discord) word their own situations with them too, through [`crate::Engine::notice`], so no
//! transport crate holds a sentence of its own in either language. The command catalogue's
//! names and descriptions stay in the [catalogue](crate::catalogue), where each is declared once
//! with both languages.
//!
//! Why a Rust enum and not Fluent files: the messages are few (about a hundred), have two
//! languages and simple arguments, and are all known at compile time. An enum makes a message
//! with a missing argument, or a call site of a removed message, a compile error; Fluent would
//! move those mistakes to run time and add a parser and its bundle to every transport.
//!
//! [`MsgKey`] is the argument-free key of each message (derived with strum, so it cannot drift
//! from [`Msg`]); [`MsgKey::all`] iterates them and [`MsgKey::sample`] gives each with marker
//! arguments, which is how tests check that every message has both languages and that no
//! transport repeats one.

use agent_core::{CallStatus, StatusGroup};
use strum::{EnumDiscriminants, IntoEnumIterator};

use crate::access::Role;
use crate::catalogue::CommandName;
use crate::i18n::Lang;

/// English or Chinese: each argument is captured from the scope by name (`{task}`).
macro_rules! both {
    ($lang:expr, $en:literal, $zh:literal $(,)?) => {
        match $lang {
            Lang::En => format!($en),
            Lang::Zh => format!($zh),
        }
    };
}

/// A message to a chat user, with its arguments. [`Msg::text`] words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumDiscriminants)]
#[strum_discriminants(name(MsgKey), derive(Hash, PartialOrd, Ord, strum::EnumIter))]
#[strum_discriminants(doc = "The key of a [`Msg`], without its arguments.")]
pub enum Msg<'a> {
    // --- Admission: what every command and press passes first.
    /// Title: the engine is stopping.
    ShuttingDown,
    /// The engine is stopping: try later.
    Restarting,
    /// Title of a refusal for lack of a role, or of an anonymous sender.
    NotAllowed,
    /// A sender on behalf of a group or channel (Telegram's anonymous admins).
    AnonymousSender,
    /// Title: the caller's place is not served.
    NotHere,
    /// The caller's place is not served.
    PlaceNotServed,
    /// Title: the caller is over their rate.
    TooManyRequests,
    /// The caller is over their rate.
    RateLimited {
        /// Commands and presses allowed a minute.
        per_minute: u64,
    },
    /// The caller lacks the role a command needs.
    MayNot {
        /// The caller's identity (`telegram:user:42`).
        identity: &'a str,
        /// The role the command needs.
        role: Role,
    },

    // --- Commands as typed (the parser's errors).
    /// Title: what was typed is not a command the engine reads.
    CannotReadCommand,
    /// Nothing, or not a command.
    NotACommand {
        /// What was typed (cut).
        typed: &'a str,
    },
    /// An unknown command.
    UnknownCommand {
        /// The command as typed, without the slash.
        name: &'a str,
    },
    /// An option the command does not take.
    UnknownOption {
        /// The command.
        command: CommandName,
        /// The option as typed.
        key: &'a str,
        /// The options the command takes, comma-separated.
        accepted: &'a str,
    },
    /// An option given twice.
    DuplicateOption {
        /// The option.
        key: &'a str,
    },
    /// An option without a value.
    MissingValue {
        /// The option.
        key: &'a str,
    },
    /// A word that is neither an option nor the task.
    UnexpectedWord {
        /// The word.
        word: &'a str,
    },
    /// A quote that is not closed.
    UnclosedQuote {
        /// What follows the quote (cut).
        after: &'a str,
    },

    // --- Tasks and sub-accounts.
    /// Title: no task given and no default for the chat.
    NoTask,
    /// Which task? Names the aliases.
    WhichTask {
        /// The configured aliases.
        aliases: &'a [String],
    },
    /// Title: the task is not known.
    UnknownTask,
    /// Only configured tasks are served.
    OnlyConfiguredTasks {
        /// The configured aliases.
        aliases: &'a [String],
    },
    /// Neither an alias nor a task id.
    NotATask {
        /// What was given.
        given: &'a str,
        /// The configured aliases.
        aliases: &'a [String],
    },
    /// Title: the sub-account is not served.
    UnknownSub,
    /// Only configured sub-accounts are served.
    OnlyConfiguredSubs,
    /// Title: input that cannot be used.
    BadInput,
    /// A `page:` that is not a number.
    NotAPageNumber {
        /// What was given.
        given: &'a str,
    },

    // --- Help.
    /// Title of the help of a caller with no role.
    NoAccessTitle,
    /// How a caller with no role gets one.
    NoRole {
        /// The caller's identity.
        identity: &'a str,
    },
    /// Title of the help.
    HelpTitle,
    /// The configured task aliases.
    HelpTasks {
        /// The aliases (none: use task ids).
        aliases: &'a [String],
    },
    /// Every status.
    HelpStatuses,
    /// Every group of statuses.
    HelpGroups,
    /// The time formats accepted.
    HelpTimes,
    /// Who the caller is, and their role.
    HelpYouAre {
        /// The caller's identity.
        identity: &'a str,
        /// Their role.
        role: Role,
    },

    // --- Pages of numbers.
    /// Title of a page.
    NumbersTitle {
        /// The task's label.
        task: &'a str,
        /// The filter in words.
        filter: &'a str,
    },
    /// Counts per status.
    ByStatus {
        /// The counts in words.
        counts: &'a str,
    },
    /// An empty page.
    NoNumbersMatch,
    /// A page's footer.
    PageFooter {
        /// Numbers matching.
        total: u64,
        /// This page.
        page: u64,
        /// The last page.
        last: u64,
    },
    /// Button: the previous page.
    PrevPage,
    /// Button: the next page.
    NextPage,
    /// A paging button whose page state is gone.
    PageExpired,
    /// Run `/numbers` again.
    RunNumbersAgain,
    /// Column: phone.
    ColumnPhone,
    /// Column: status.
    ColumnStatus,
    /// Column: city.
    ColumnCity,
    /// Column: last call.
    ColumnLastCall,
    /// Column: call length.
    ColumnLength,

    // --- A task's progress (`/stats`).
    /// Title of `/stats`.
    StatsTitle {
        /// The task's label.
        task: &'a str,
        /// The filter in words.
        filter: &'a str,
    },
    /// How many numbers, dialled and waiting.
    StatsTotals {
        /// Numbers matching.
        total: u64,
        /// Numbers dialled (every status but waiting).
        dialled: u64,
        /// Numbers waiting.
        waiting: u64,
    },
    /// Connected numbers and the connect rate.
    StatsConnected {
        /// Numbers connected.
        connected: u64,
        /// Connected / dialled, as a percentage (or [`Msg::NoRate`]).
        rate: &'a str,
    },
    /// A rate of nothing (no number dialled yet).
    NoRate,
    /// The retryable and permanent groups.
    StatsGroups {
        /// Numbers worth another try.
        retryable: u64,
        /// Numbers another try will not help.
        permanent: u64,
    },
    /// When the counts were made, and how long they are shared.
    StatsCountedAt {
        /// China time (`HH:MM:SS`).
        at: &'a str,
        /// How long counts are shared.
        seconds: u64,
    },
    /// Button: count again.
    RefreshButton,
    /// Run `/stats` again.
    RunStatsAgain,
    /// Column: how many numbers.
    ColumnCount,
    /// Column: the share of the total.
    ColumnShare,
    /// `/numbers` without fresh counts: where to get them.
    CountsHint {
        /// The `/stats` command of the same filter.
        command: &'a str,
    },
    /// The chart's title.
    ChartTitle,
    /// The chart's last line.
    ChartCaption {
        /// Numbers matching.
        total: u64,
        /// Numbers dialled.
        dialled: u64,
        /// The connect rate.
        rate: &'a str,
    },

    // --- Filters in words.
    /// No filter.
    AllNumbers,
    /// A reset of the whole task.
    AllNumbersOfTask,
    /// No counts.
    NoCounts,
    /// `status=…`.
    FilterStatus {
        /// The statuses or group.
        value: &'a str,
    },
    /// `from=…`.
    FilterFrom {
        /// The time.
        value: &'a str,
    },
    /// `to=…`.
    FilterTo {
        /// The time.
        value: &'a str,
    },
    /// `sub=…`.
    FilterSub {
        /// The sub-account.
        value: &'a str,
    },
    /// `phones=…`.
    FilterPhones {
        /// The phones (masked).
        value: &'a str,
    },
    /// `keyword=…`.
    FilterKeyword {
        /// The keyword.
        value: &'a str,
    },
    /// A line naming the filter.
    FilterLine {
        /// The filter in words.
        filter: &'a str,
    },

    // --- Resets.
    /// Title of the progress of a long preview.
    Counting,
    /// The progress of a long preview.
    CountingProgress {
        /// The task's label.
        task: &'a str,
        /// Numbers checked.
        scanned: u64,
        /// Out of.
        total: u64,
    },
    /// Title: the preview missed its deadline.
    PreviewTooSlow,
    /// The preview missed its deadline.
    PreviewDeadline {
        /// The deadline in seconds.
        seconds: u64,
    },
    /// Title: nothing matches.
    NothingToReset,
    /// Nothing of the task matches the filter.
    NoMatch {
        /// The task's label.
        task: &'a str,
        /// The filter in words.
        filter: &'a str,
    },
    /// Title of a preview.
    PreviewTitle {
        /// The task's label.
        task: &'a str,
        /// Numbers that would be reset.
        total: u64,
    },
    /// Who may confirm, and until when.
    ConfirmWithin {
        /// The requester's name.
        name: &'a str,
        /// The confirmation's lifetime in minutes.
        minutes: u64,
        /// Its end, China time (`HH:MM:SS`).
        until: &'a str,
    },
    /// Button: confirm the reset.
    ConfirmButton,
    /// Button: cancel the reset.
    CancelButton,
    /// Title: a reset without a filter.
    ResetRefused,
    /// A reset without a filter needs `all`.
    Unfiltered,
    /// Title: no such pending reset.
    NothingToConfirm,
    /// The reset was confirmed, cancelled or expired.
    ConfirmGone,
    /// The reset was just confirmed by another press.
    AlreadyConfirmed,
    /// Title: someone else's reset.
    NotYoursToConfirm,
    /// Only the requester confirms.
    OnlyRequesterConfirms {
        /// The requester's name.
        name: &'a str,
    },
    /// Title: the confirmation is too late.
    ConfirmationExpired,
    /// Run `/reset` again.
    RunResetAgain,
    /// Title: the reset is done.
    ResetDone {
        /// Who confirmed.
        by: &'a str,
        /// The task's label.
        task: &'a str,
        /// Numbers reset.
        total: u64,
    },
    /// Counts per status before the reset.
    ByStatusBefore {
        /// The counts in words.
        counts: &'a str,
    },
    /// The platform's own message.
    PlatformFooter {
        /// The message.
        message: &'a str,
    },
    /// Title: the reset failed.
    ResetFailed,
    /// Title: the reset's fate is unknown.
    ResetOutcomeUnknown,
    /// Check before trying again.
    ResetMaybeApplied,
    /// Title: no such pending reset to cancel.
    NothingToCancel,
    /// The reset was confirmed, cancelled or expired.
    CancelGone,
    /// Title: someone else's reset.
    NotYoursToCancel,
    /// Only the requester cancels.
    OnlyRequesterCancels {
        /// The requester's name.
        name: &'a str,
    },
    /// Title: the reset was cancelled.
    ResetCancelled {
        /// Who cancelled.
        by: &'a str,
    },
    /// Title: no reset without an audit record.
    ResetNotPossible,
    /// The audit log cannot be written.
    AuditUnavailable,

    // --- Buttons.
    /// Title: a button that is not ours.
    ActionRefused,
    /// A button that is not ours, or altered.
    ForgedAction,

    // --- The platform's failures.
    /// Title: the platform failed.
    PlatformFailed,
    /// The platform refused our token.
    PlatformUnauthorized,
    /// The task is not found.
    TaskNotFound {
        /// The task's label.
        task: &'a str,
    },
    /// The platform is rate limiting us.
    PlatformBusy,
    /// The platform failed on its side.
    PlatformUnavailable,
    /// The platform refused the request with a code.
    PlatformRefusedCode {
        /// The envelope's code.
        code: i64,
    },
    /// The platform refused the request.
    PlatformRefused,
    /// The platform cannot be reached.
    PlatformUnreachable,
    /// The platform did not answer in time.
    PlatformTimeout,
    /// The platform's answer cannot be read.
    PlatformUnreadable,
    /// The request was invalid and not sent.
    RequestInvalid,
    /// What the platform said.
    PlatformSays {
        /// Its message (cut).
        message: &'a str,
    },
    /// The correlation id of a failure.
    Reference {
        /// The id.
        id: &'a str,
    },

    // --- Exports.
    /// Title of an export's progress.
    ExportingTitle,
    /// An export's progress.
    ExportProgress {
        /// The task's label.
        task: &'a str,
        /// Numbers written.
        done: u64,
        /// Out of.
        total: u64,
    },
    /// The button that stops an export.
    CancelExport,
    /// A Cancel press reached a running export.
    ExportCancelling,
    /// Title: an export was cancelled.
    ExportCancelled,
    /// A cancelled or failed export keeps nothing.
    ExportNoFileKept,
    /// A Cancel press for an export that has ended.
    ExportNotRunning,
    /// Only who started an export may cancel it.
    OnlyExporterCancels,
    /// Title: an export is ready.
    ExportDone {
        /// The task's label.
        task: &'a str,
        /// Numbers in the file.
        rows: u64,
    },
    /// The file's phones are masked.
    ExportMasked,
    /// The file's phones are whole.
    ExportFullPhones,
    /// The file was over the upload limit and is sent gzipped.
    ExportGzipped {
        /// The limit, in words (`50 MiB`).
        limit: &'a str,
    },
    /// The file was over the upload limit and is sent in parts.
    ExportSplit {
        /// How many parts.
        parts: u64,
        /// The limit, in words (`50 MiB`).
        limit: &'a str,
    },
    /// An Excel file over the upload limit.
    ExportTooLarge {
        /// The limit, in words (`50 MiB`).
        limit: &'a str,
    },
    /// Title: an export failed.
    ExportFailed,
    /// The export file could not be written.
    ExportWriteFailed,
    /// A `format:` that is not csv or xlsx.
    UnknownFormat {
        /// What was given.
        given: &'a str,
    },
    /// Where a file was written (the terminal).
    FileSaved {
        /// The path.
        path: &'a str,
    },
    /// Export column: the number's row id.
    ColumnId,
    /// Export column: the status code.
    ColumnStatusCode,
    /// Export column.
    ColumnProvince,
    /// Export column.
    ColumnCarrier,
    /// Export column.
    ColumnAreaCode,
    /// Export column.
    ColumnPostCode,
    /// Export column.
    ColumnCreatedAt,
    /// Export column.
    ColumnCallTime,
    /// Export column.
    ColumnAnswerTime,
    /// Export column.
    ColumnHangupTime,
    /// Export column.
    ColumnBilledSecs,
    /// Export column.
    ColumnDurationSecs,
    /// Export column.
    ColumnHangupCause,
    /// Export column.
    ColumnCallId,
    /// Export column.
    ColumnCustomerId,
    /// Export column.
    ColumnExtra,

    // --- Watches (`/watch`, `/unwatch`, `/watches`, and what the scheduler posts).
    /// `when:` cannot be read.
    BadWhen {
        /// What was given.
        given: &'a str,
    },
    /// `every:` shorter than the minimum.
    EveryTooShort {
        /// The minimum, in minutes.
        minutes: u64,
    },
    /// A watch needs a chat to post to.
    WatchNeedsChat,
    /// A watch was set (or replaced).
    WatchAdded {
        /// The task's label.
        task: &'a str,
        /// When it posts ([`Msg::WhenDone`]…).
        when: &'a str,
    },
    /// A watch was removed.
    WatchRemoved {
        /// The task's label.
        task: &'a str,
    },
    /// No watch of that task in this chat.
    WatchNotFound {
        /// The task's label.
        task: &'a str,
    },
    /// Title of `/watches`.
    WatchesTitle,
    /// This chat watches nothing.
    NoWatches,
    /// Too many watches in this chat.
    WatchLimit {
        /// The most a chat may have.
        max: u64,
    },
    /// A column of `/watches`.
    ColumnTask,
    /// A column of `/watches`.
    ColumnWhen,
    /// A column of `/watches`.
    ColumnLastPost,
    /// `when:done`, in words.
    WhenDone,
    /// `when:daily@HH:MM`, in words.
    WhenDaily {
        /// `09:00`.
        at: &'a str,
    },
    /// `when:every:…`, in words.
    WhenEvery {
        /// `30m`.
        every: &'a str,
    },
    /// Title of the post when a task is done.
    WatchDoneTitle {
        /// The task's label.
        task: &'a str,
    },
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
    },
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
    },
    /// Title of a scheduled summary.
    WatchSummaryTitle {
        /// The task's label.
        task: &'a str,
        /// When it posts ([`Msg::WhenDaily`]…).
        when: &'a str,
    },
    /// Numbers still waiting, in a summary.
    WatchWaiting {
        /// Numbers not dialled yet.
        waiting: u64,
    },
    /// The footer of a post: how to stop it.
    WatchFooter {
        /// The task's label.
        task: &'a str,
    },
    /// The button that lists the retryable numbers.
    ListRetryableButton,

    // --- What transports report (see [`crate::Notice`]).
    /// Title: the transport failed.
    InternalErrorTitle,
    /// The transport failed; details in its log.
    InternalError,
    /// An interaction the transport does not support.
    Unsupported,
    /// Title: a command the transport cannot map.
    UnknownCommandTitle,
    /// A command the chat service sent that is not registered any more.
    StaleCommand {
        /// The command.
        name: &'a str,
    },
    /// An option the chat service sent that is not registered any more.
    StaleOption {
        /// The option.
        name: &'a str,
    },
    /// The chat service asks to slow down.
    SlowDown {
        /// The chat service (`Telegram`).
        service: &'a str,
        /// How long to wait.
        seconds: u64,
    },
    /// The message could not be updated.
    NotUpdated,
    /// A private answer could not be delivered privately.
    OpenPrivateChat {
        /// The bot's name (`@agent_ops_bot`).
        bot: &'a str,
    },
}

/// The marker [`MsgKey::sample`] puts in every text argument.
pub const SAMPLE_TEXT: &str = "\u{1}";
/// The marker [`MsgKey::sample`] puts in every number argument.
pub const SAMPLE_NUMBER: u64 = 987_654_321;

impl MsgKey {
    /// Every key.
    pub fn all() -> impl Iterator<Item = Self> {
        <Self as IntoEnumIterator>::iter()
    }

    /// The message of this key with marker arguments: [`SAMPLE_TEXT`] for text,
    /// [`SAMPLE_NUMBER`] for numbers, no aliases for lists (tests read the fixed parts of each
    /// text between the markers).
    pub fn sample(self) -> Msg<'static> {
        const T: &str = SAMPLE_TEXT;
        const N: u64 = SAMPLE_NUMBER;
        match self {
            Self::ShuttingDown => Msg::ShuttingDown,
            Self::Restarting => Msg::Restarting,
            Self::NotAllowed => Msg::NotAllowed,
            Self::AnonymousSender => Msg::AnonymousSender,
            Self::NotHere => Msg::NotHere,
            Self::PlaceNotServed => Msg::PlaceNotServed,
            Self::TooManyRequests => Msg::TooManyRequests,
            Self::RateLimited => Msg::RateLimited { per_minute: N },
            Self::MayNot => Msg::MayNot {
                identity: T,
                role: Role::Operator,
            },
            Self::CannotReadCommand => Msg::CannotReadCommand,
            Self::NotACommand => Msg::NotACommand { typed: T },
            Self::UnknownCommand => Msg::UnknownCommand { name: T },
            Self::UnknownOption => Msg::UnknownOption {
                command: CommandName::NUMBERS,
                key: T,
                accepted: T,
            },
            Self::DuplicateOption => Msg::DuplicateOption { key: T },
            Self::MissingValue => Msg::MissingValue { key: T },
            Self::UnexpectedWord => Msg::UnexpectedWord { word: T },
            Self::UnclosedQuote => Msg::UnclosedQuote { after: T },
            Self::NoTask => Msg::NoTask,
            Self::WhichTask => Msg::WhichTask { aliases: &[] },
            Self::UnknownTask => Msg::UnknownTask,
            Self::OnlyConfiguredTasks => Msg::OnlyConfiguredTasks { aliases: &[] },
            Self::NotATask => Msg::NotATask {
                given: T,
                aliases: &[],
            },
            Self::UnknownSub => Msg::UnknownSub,
            Self::OnlyConfiguredSubs => Msg::OnlyConfiguredSubs,
            Self::BadInput => Msg::BadInput,
            Self::NotAPageNumber => Msg::NotAPageNumber { given: T },
            Self::NoAccessTitle => Msg::NoAccessTitle,
            Self::NoRole => Msg::NoRole { identity: T },
            Self::HelpTitle => Msg::HelpTitle,
            Self::HelpTasks => Msg::HelpTasks { aliases: &[] },
            Self::HelpStatuses => Msg::HelpStatuses,
            Self::HelpGroups => Msg::HelpGroups,
            Self::HelpTimes => Msg::HelpTimes,
            Self::HelpYouAre => Msg::HelpYouAre {
                identity: T,
                role: Role::Viewer,
            },
            Self::NumbersTitle => Msg::NumbersTitle { task: T, filter: T },
            Self::ByStatus => Msg::ByStatus { counts: T },
            Self::NoNumbersMatch => Msg::NoNumbersMatch,
            Self::PageFooter => Msg::PageFooter {
                total: N,
                page: N,
                last: N,
            },
            Self::PrevPage => Msg::PrevPage,
            Self::NextPage => Msg::NextPage,
            Self::PageExpired => Msg::PageExpired,
            Self::RunNumbersAgain => Msg::RunNumbersAgain,
            Self::ColumnPhone => Msg::ColumnPhone,
            Self::ColumnStatus => Msg::ColumnStatus,
            Self::ColumnCity => Msg::ColumnCity,
            Self::ColumnLastCall => Msg::ColumnLastCall,
            Self::ColumnLength => Msg::ColumnLength,
            Self::StatsTitle => Msg::StatsTitle { task: T, filter: T },
            Self::StatsTotals => Msg::StatsTotals {
                total: N,
                dialled: N,
                waiting: N,
            },
            Self::StatsConnected => Msg::StatsConnected {
                connected: N,
                rate: T,
            },
            Self::NoRate => Msg::NoRate,
            Self::StatsGroups => Msg::StatsGroups {
                retryable: N,
                permanent: N,
            },
            Self::StatsCountedAt => Msg::StatsCountedAt { at: T, seconds: N },
            Self::RefreshButton => Msg::RefreshButton,
            Self::RunStatsAgain => Msg::RunStatsAgain,
            Self::ColumnCount => Msg::ColumnCount,
            Self::ColumnShare => Msg::ColumnShare,
            Self::CountsHint => Msg::CountsHint { command: T },
            Self::ChartTitle => Msg::ChartTitle,
            Self::ChartCaption => Msg::ChartCaption {
                total: N,
                dialled: N,
                rate: T,
            },
            Self::AllNumbers => Msg::AllNumbers,
            Self::AllNumbersOfTask => Msg::AllNumbersOfTask,
            Self::NoCounts => Msg::NoCounts,
            Self::FilterStatus => Msg::FilterStatus { value: T },
            Self::FilterFrom => Msg::FilterFrom { value: T },
            Self::FilterTo => Msg::FilterTo { value: T },
            Self::FilterSub => Msg::FilterSub { value: T },
            Self::FilterPhones => Msg::FilterPhones { value: T },
            Self::FilterKeyword => Msg::FilterKeyword { value: T },
            Self::FilterLine => Msg::FilterLine { filter: T },
            Self::Counting => Msg::Counting,
            Self::CountingProgress => Msg::CountingProgress {
                task: T,
                scanned: N,
                total: N,
            },
            Self::PreviewTooSlow => Msg::PreviewTooSlow,
            Self::PreviewDeadline => Msg::PreviewDeadline { seconds: N },
            Self::NothingToReset => Msg::NothingToReset,
            Self::NoMatch => Msg::NoMatch { task: T, filter: T },
            Self::PreviewTitle => Msg::PreviewTitle { task: T, total: N },
            Self::ConfirmWithin => Msg::ConfirmWithin {
                name: T,
                minutes: N,
                until: T,
            },
            Self::ConfirmButton => Msg::ConfirmButton,
            Self::CancelButton => Msg::CancelButton,
            Self::ResetRefused => Msg::ResetRefused,
            Self::Unfiltered => Msg::Unfiltered,
            Self::NothingToConfirm => Msg::NothingToConfirm,
            Self::ConfirmGone => Msg::ConfirmGone,
            Self::AlreadyConfirmed => Msg::AlreadyConfirmed,
            Self::NotYoursToConfirm => Msg::NotYoursToConfirm,
            Self::OnlyRequesterConfirms => Msg::OnlyRequesterConfirms { name: T },
            Self::ConfirmationExpired => Msg::ConfirmationExpired,
            Self::RunResetAgain => Msg::RunResetAgain,
            Self::ResetDone => Msg::ResetDone {
                by: T,
                task: T,
                total: N,
            },
            Self::ByStatusBefore => Msg::ByStatusBefore { counts: T },
            Self::PlatformFooter => Msg::PlatformFooter { message: T },
            Self::ResetFailed => Msg::ResetFailed,
            Self::ResetOutcomeUnknown => Msg::ResetOutcomeUnknown,
            Self::ResetMaybeApplied => Msg::ResetMaybeApplied,
            Self::NothingToCancel => Msg::NothingToCancel,
            Self::CancelGone => Msg::CancelGone,
            Self::NotYoursToCancel => Msg::NotYoursToCancel,
            Self::OnlyRequesterCancels => Msg::OnlyRequesterCancels { name: T },
            Self::ResetCancelled => Msg::ResetCancelled { by: T },
            Self::ResetNotPossible => Msg::ResetNotPossible,
            Self::AuditUnavailable => Msg::AuditUnavailable,
            Self::ActionRefused => Msg::ActionRefused,
            Self::ForgedAction => Msg::ForgedAction,
            Self::PlatformFailed => Msg::PlatformFailed,
            Self::PlatformUnauthorized => Msg::PlatformUnauthorized,
            Self::TaskNotFound => Msg::TaskNotFound { task: T },
            Self::PlatformBusy => Msg::PlatformBusy,
            Self::PlatformUnavailable => Msg::PlatformUnavailable,
            Self::PlatformRefusedCode => Msg::PlatformRefusedCode {
                code: N.cast_signed(),
            },
            Self::PlatformRefused => Msg::PlatformRefused,
            Self::PlatformUnreachable => Msg::PlatformUnreachable,
            Self::PlatformTimeout => Msg::PlatformTimeout,
            Self::PlatformUnreadable => Msg::PlatformUnreadable,
            Self::RequestInvalid => Msg::RequestInvalid,
            Self::PlatformSays => Msg::PlatformSays { message: T },
            Self::Reference => Msg::Reference { id: T },
            Self::ExportingTitle => Msg::ExportingTitle,
            Self::ExportProgress => Msg::ExportProgress {
                task: T,
                done: N,
                total: N,
            },
            Self::CancelExport => Msg::CancelExport,
            Self::ExportCancelling => Msg::ExportCancelling,
            Self::ExportCancelled => Msg::ExportCancelled,
            Self::ExportNoFileKept => Msg::ExportNoFileKept,
            Self::ExportNotRunning => Msg::ExportNotRunning,
            Self::OnlyExporterCancels => Msg::OnlyExporterCancels,
            Self::ExportDone => Msg::ExportDone { task: T, rows: N },
            Self::ExportMasked => Msg::ExportMasked,
            Self::ExportFullPhones => Msg::ExportFullPhones,
            Self::ExportGzipped => Msg::ExportGzipped { limit: T },
            Self::ExportSplit => Msg::ExportSplit { parts: N, limit: T },
            Self::ExportTooLarge => Msg::ExportTooLarge { limit: T },
            Self::ExportFailed => Msg::ExportFailed,
            Self::ExportWriteFailed => Msg::ExportWriteFailed,
            Self::UnknownFormat => Msg::UnknownFormat { given: T },
            Self::FileSaved => Msg::FileSaved { path: T },
            Self::ColumnId => Msg::ColumnId,
            Self::ColumnStatusCode => Msg::ColumnStatusCode,
            Self::ColumnProvince => Msg::ColumnProvince,
            Self::ColumnCarrier => Msg::ColumnCarrier,
            Self::ColumnAreaCode => Msg::ColumnAreaCode,
            Self::ColumnPostCode => Msg::ColumnPostCode,
            Self::ColumnCreatedAt => Msg::ColumnCreatedAt,
            Self::ColumnCallTime => Msg::ColumnCallTime,
            Self::ColumnAnswerTime => Msg::ColumnAnswerTime,
            Self::ColumnHangupTime => Msg::ColumnHangupTime,
            Self::ColumnBilledSecs => Msg::ColumnBilledSecs,
            Self::ColumnDurationSecs => Msg::ColumnDurationSecs,
            Self::ColumnHangupCause => Msg::ColumnHangupCause,
            Self::ColumnCallId => Msg::ColumnCallId,
            Self::ColumnCustomerId => Msg::ColumnCustomerId,
            Self::ColumnExtra => Msg::ColumnExtra,
            Self::BadWhen => Msg::BadWhen { given: T },
            Self::EveryTooShort => Msg::EveryTooShort { minutes: N },
            Self::WatchNeedsChat => Msg::WatchNeedsChat,
            Self::WatchAdded => Msg::WatchAdded { task: T, when: T },
            Self::WatchRemoved => Msg::WatchRemoved { task: T },
            Self::WatchNotFound => Msg::WatchNotFound { task: T },
            Self::WatchesTitle => Msg::WatchesTitle,
            Self::NoWatches => Msg::NoWatches,
            Self::WatchLimit => Msg::WatchLimit { max: N },
            Self::ColumnTask => Msg::ColumnTask,
            Self::ColumnWhen => Msg::ColumnWhen,
            Self::ColumnLastPost => Msg::ColumnLastPost,
            Self::WhenDone => Msg::WhenDone,
            Self::WhenDaily => Msg::WhenDaily { at: T },
            Self::WhenEvery => Msg::WhenEvery { every: T },
            Self::WatchDoneTitle => Msg::WatchDoneTitle { task: T },
            Self::WatchDone => Msg::WatchDone {
                dialled: N,
                connected: N,
                rate: T,
                retryable: N,
            },
            Self::WatchFigures => Msg::WatchFigures {
                dialled: N,
                connected: N,
                rate: T,
                retryable: N,
            },
            Self::WatchSummaryTitle => Msg::WatchSummaryTitle { task: T, when: T },
            Self::WatchWaiting => Msg::WatchWaiting { waiting: N },
            Self::WatchFooter => Msg::WatchFooter { task: T },
            Self::ListRetryableButton => Msg::ListRetryableButton,
            Self::InternalErrorTitle => Msg::InternalErrorTitle,
            Self::InternalError => Msg::InternalError,
            Self::Unsupported => Msg::Unsupported,
            Self::UnknownCommandTitle => Msg::UnknownCommandTitle,
            Self::StaleCommand => Msg::StaleCommand { name: T },
            Self::StaleOption => Msg::StaleOption { name: T },
            Self::SlowDown => Msg::SlowDown {
                service: T,
                seconds: N,
            },
            Self::NotUpdated => Msg::NotUpdated,
            Self::OpenPrivateChat => Msg::OpenPrivateChat { bot: T },
        }
    }
}

/// A count with thousands separators (`1,000,000`): easier to read, and never a run of seven
/// digits that the outbound rule would take for a phone.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The catalogue's commands as a hint: `/numbers, /reset or /help` (`/numbers、/reset 或 /help`).
pub fn command_hint(lang: Lang) -> String {
    let names: Vec<String> = CommandName::all().map(|c| c.to_string()).collect();
    let (sep, or) = match lang {
        Lang::En => (", ", " or "),
        Lang::Zh => ("、", " 或 "),
    };
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{}{or}{last}", rest.join(sep)),
        _ => names.concat(),
    }
}

impl Msg<'_> {
    /// The key of this message.
    pub fn key(&self) -> MsgKey {
        MsgKey::from(self)
    }

    /// The message in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        match *self {
            Msg::ShuttingDown => both!(lang, "Shutting down", "正在停止服务"),
            Msg::Restarting => both!(
                lang,
                "The bot is restarting: try again in a minute.",
                "机器人正在重启，请稍后再试。"
            ),
            Msg::NotAllowed => both!(lang, "Not allowed", "无权限"),
            Msg::AnonymousSender => both!(
                lang,
                "Send commands as yourself, not anonymously or as a channel.",
                "请以个人身份发送命令，而不是匿名或以频道身份。"
            ),
            Msg::NotHere => both!(lang, "Not here", "此处不可用"),
            Msg::PlaceNotServed => both!(
                lang,
                "This bot answers only in the places it was set up for.",
                "本机器人仅在配置的服务器或会话中使用。"
            ),
            Msg::TooManyRequests => both!(lang, "Too many requests", "请求过于频繁"),
            Msg::RateLimited { per_minute } => both!(
                lang,
                "You may send {per_minute} commands or presses a minute: wait a little and try again.",
                "每分钟最多 {per_minute} 次命令或按钮操作，请稍后再试。"
            ),
            Msg::MayNot { identity, role } => {
                let role_name = role.as_str();
                match (lang, role) {
                    (Lang::En, Role::Viewer) => format!(
                        "You ({identity}) may not list numbers: ask an admin for the {role_name} role."
                    ),
                    (Lang::En, Role::Operator) => format!(
                        "You ({identity}) may not reset numbers: ask an admin for the {role_name} role."
                    ),
                    (Lang::Zh, Role::Viewer) => format!(
                        "你（{identity}）没有查看号码的权限，请联系管理员授予 {role_name} 角色。"
                    ),
                    (Lang::Zh, Role::Operator) => format!(
                        "你（{identity}）没有重置号码的权限，请联系管理员授予 {role_name} 角色。"
                    ),
                    (Lang::En, Role::Exporter) => format!(
                        "You ({identity}) may not export numbers: ask an admin for the {role_name} role."
                    ),
                    (Lang::Zh, Role::Exporter) => format!(
                        "你（{identity}）没有导出号码的权限，请联系管理员授予 {role_name} 角色。"
                    ),
                }
            }

            Msg::CannotReadCommand => both!(lang, "Cannot read that command", "无法识别该命令"),
            Msg::NotACommand { typed } => {
                let hint = command_hint(lang);
                both!(
                    lang,
                    "not a command: `{typed}`; try {hint}",
                    "不是命令：`{typed}`；请尝试 {hint}"
                )
            }
            Msg::UnknownCommand { name } => {
                let hint = command_hint(lang);
                both!(
                    lang,
                    "unknown command `/{name}`; try {hint}",
                    "未知命令 `/{name}`；请尝试 {hint}"
                )
            }
            Msg::UnknownOption {
                command,
                key,
                accepted,
            } => both!(
                lang,
                "unknown option `{key}` for {command}; it takes {accepted}",
                "{command} 没有选项 `{key}`；可用的选项：{accepted}"
            ),
            Msg::DuplicateOption { key } => both!(
                lang,
                "option `{key}` is given twice",
                "选项 `{key}` 重复出现"
            ),
            Msg::MissingValue { key } => both!(
                lang,
                "option `{key}` needs a value, like {key}:…",
                "选项 `{key}` 需要一个值，例如 {key}:…"
            ),
            Msg::UnexpectedWord { word } => both!(
                lang,
                "unexpected `{word}`; options look like key:value",
                "无法识别 `{word}`；选项的格式为 key:value"
            ),
            Msg::UnclosedQuote { after } => both!(
                lang,
                "a quote is not closed after `{after}`",
                "`{after}` 之后的引号没有闭合"
            ),

            Msg::NoTask => both!(lang, "No task", "缺少任务"),
            Msg::WhichTask { aliases } => {
                let known = aliases.join(", ");
                both!(
                    lang,
                    "Which task? Add task:<alias or id> (aliases: {known}).",
                    "请指定任务：task:<别名或 id>（别名：{known}）。"
                )
            }
            Msg::UnknownTask => both!(lang, "Unknown task", "未知任务"),
            Msg::OnlyConfiguredTasks { aliases } => {
                let known = aliases.join(", ");
                both!(
                    lang,
                    "This bot works on its configured tasks only ({known}); ask an admin to add an alias, or to set any_task = true.",
                    "本机器人只处理已配置的任务（{known}）；请联系管理员添加别名，或设置 any_task = true。"
                )
            }
            Msg::NotATask { given, aliases } => {
                let known = aliases.join(", ");
                both!(
                    lang,
                    "`{given}` is neither a task alias ({known}) nor a task id.",
                    "`{given}` 既不是任务别名（{known}），也不是任务 id。"
                )
            }
            Msg::UnknownSub => both!(lang, "Unknown sub-account", "未知子账户"),
            Msg::OnlyConfiguredSubs => both!(
                lang,
                "This bot works on its configured sub-accounts only (chatops.sub_accounts).",
                "本机器人只处理已配置的子账户（chatops.sub_accounts）。"
            ),
            Msg::BadInput => both!(lang, "Bad input", "输入有误"),
            Msg::NotAPageNumber { given } => both!(
                lang,
                "`{given}` is not a page number (1, 2, 3…)",
                "`{given}` 不是页码（1、2、3…）"
            ),

            Msg::NoAccessTitle => both!(lang, "agent-ops: no access yet", "agent-ops：尚未授权"),
            Msg::NoRole { identity } => both!(
                lang,
                "You ({identity}) have no role here. Ask an admin to add `{identity}` to the viewers or operators of the bot's [chatops] settings.",
                "你（{identity}）尚无任何角色。请联系管理员将 `{identity}` 加入机器人 [chatops] 配置的 viewers 或 operators。"
            ),
            Msg::HelpTitle => both!(lang, "agent-ops: what I understand", "agent-ops 使用说明"),
            Msg::HelpTasks { aliases } => match lang {
                Lang::En if aliases.is_empty() => "Tasks: (no aliases; use task ids)".to_string(),
                Lang::En => format!("Tasks: {}", aliases.join(", ")),
                Lang::Zh if aliases.is_empty() => "任务：（未配置别名，请使用任务 id）".to_string(),
                Lang::Zh => format!("任务：{}", aliases.join("、")),
            },
            Msg::HelpStatuses => {
                let statuses = agent_core::status::ALL_STATUSES
                    .iter()
                    .map(|s: &CallStatus| format!("{} {} {}", s.code(), s.name_en(), s.label_zh()));
                match lang {
                    Lang::En => format!("Statuses: {}", statuses.collect::<Vec<_>>().join(", ")),
                    Lang::Zh => format!("状态：{}", statuses.collect::<Vec<_>>().join("，")),
                }
            }
            Msg::HelpGroups => {
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
            }
            Msg::HelpTimes => {
                let times = agent_core::time::ACCEPTED_TIMES;
                both!(lang, "Times: {times}", "时间格式：{times}")
            }
            Msg::HelpYouAre { identity, role } => {
                let role = role.as_str();
                both!(
                    lang,
                    "You are {identity} (role: {role}).",
                    "你是 {identity}（角色：{role}）。"
                )
            }

            Msg::NumbersTitle { task, filter } => both!(
                lang,
                "Numbers of task {task} · {filter}",
                "任务号码 {task} · {filter}"
            ),
            Msg::ByStatus { counts } => both!(lang, "By status: {counts}", "按状态: {counts}"),
            Msg::NoNumbersMatch => both!(lang, "No numbers match.", "没有符合条件的号码。"),
            Msg::PageFooter { total, page, last } => {
                let total = grouped(total);
                let page = grouped(page);
                let last = grouped(last);
                both!(
                    lang,
                    "{total} numbers · page {page}/{last}",
                    "共 {total} 个号码 · 第 {page}/{last} 页"
                )
            }
            Msg::PrevPage => both!(lang, "◀ Prev", "◀ 上一页"),
            Msg::NextPage => both!(lang, "Next ▶", "下一页 ▶"),
            Msg::PageExpired => both!(lang, "This page has expired", "该页面已过期"),
            Msg::RunNumbersAgain => both!(lang, "Run /numbers again.", "请重新执行 /numbers。"),
            Msg::ColumnPhone => both!(lang, "phone", "号码"),
            Msg::ColumnStatus => both!(lang, "status", "状态"),
            Msg::ColumnCity => both!(lang, "city", "城市"),
            Msg::ColumnLastCall => both!(lang, "last call", "最近呼叫"),
            Msg::ColumnLength => both!(lang, "length", "时长"),
            Msg::ExportingTitle => both!(lang, "Exporting", "正在导出"),
            Msg::ExportProgress { task, done, total } => {
                let done = grouped(done);
                let total = grouped(total);
                both!(
                    lang,
                    "exported {done} of {total} numbers of {task}",
                    "已导出 {task} 的 {done} / {total} 个号码"
                )
            }
            Msg::CancelExport => both!(lang, "Cancel export", "取消导出"),
            Msg::ExportCancelling => both!(lang, "Cancelling the export…", "正在取消导出…"),
            Msg::ExportCancelled => both!(lang, "Export cancelled", "导出已取消"),
            Msg::ExportNoFileKept => both!(
                lang,
                "The partial file was deleted; nothing was sent.",
                "未完成的文件已删除，未发送任何文件。"
            ),
            Msg::ExportNotRunning => both!(
                lang,
                "That export is not running any more.",
                "该导出已经结束。"
            ),
            Msg::OnlyExporterCancels => both!(
                lang,
                "Only the person who started the export can cancel it.",
                "只有发起导出的人可以取消。"
            ),
            Msg::ExportDone { task, rows } => {
                let rows = grouped(rows);
                both!(
                    lang,
                    "Exported {rows} numbers of {task}",
                    "已导出 {task} 的 {rows} 个号码"
                )
            }
            Msg::ExportMasked => both!(
                lang,
                "Phones are masked in the file.",
                "文件中的号码已打码。"
            ),
            Msg::ExportFullPhones => both!(
                lang,
                "Phones are whole in the file: handle it as personal data.",
                "文件中为完整号码：请按个人信息妥善保管。"
            ),
            Msg::ExportGzipped { limit } => both!(
                lang,
                "The file is over the {limit} upload limit: it is sent gzipped (.gz).",
                "文件超过 {limit} 的上传限制，已压缩为 .gz 发送。"
            ),
            Msg::ExportSplit { parts, limit } => both!(
                lang,
                "The file is over the {limit} upload limit: it is sent in {parts} parts, each with the header row.",
                "文件超过 {limit} 的上传限制，已分为 {parts} 个文件发送，每个文件都有表头。"
            ),
            Msg::ExportTooLarge { limit } => both!(
                lang,
                "The Excel file is over the {limit} upload limit: export as CSV (format:csv), which can be compressed or split, or narrow the filter.",
                "Excel 文件超过 {limit} 的上传限制：请导出为 CSV（format:csv，可压缩或分割），或缩小筛选范围。"
            ),
            Msg::ExportFailed => both!(lang, "Export failed", "导出失败"),
            Msg::ExportWriteFailed => both!(
                lang,
                "The file could not be written on the bot's side (details in its log).",
                "机器人无法写入导出文件（详见日志）。"
            ),
            Msg::UnknownFormat { given } => both!(
                lang,
                "unknown format `{given}`: use csv or xlsx",
                "未知格式 `{given}`：请使用 csv 或 xlsx"
            ),
            Msg::FileSaved { path } => both!(lang, "saved {path}", "已保存 {path}"),
            Msg::ColumnId => both!(lang, "id", "号码 id"),
            Msg::ColumnStatusCode => both!(lang, "status code", "状态码"),
            Msg::ColumnProvince => both!(lang, "province", "省份"),
            Msg::ColumnCarrier => both!(lang, "carrier", "运营商"),
            Msg::ColumnAreaCode => both!(lang, "area code", "区号"),
            Msg::ColumnPostCode => both!(lang, "post code", "邮编"),
            Msg::ColumnCreatedAt => both!(lang, "created at", "创建时间"),
            Msg::ColumnCallTime => both!(lang, "call time", "呼叫时间"),
            Msg::ColumnAnswerTime => both!(lang, "answer time", "接听时间"),
            Msg::ColumnHangupTime => both!(lang, "hang-up time", "挂断时间"),
            Msg::ColumnBilledSecs => both!(lang, "billed seconds", "计费秒数"),
            Msg::ColumnDurationSecs => both!(lang, "duration seconds", "通话秒数"),
            Msg::ColumnHangupCause => both!(lang, "hang-up cause", "挂断原因"),
            Msg::ColumnCallId => both!(lang, "call id", "通话 id"),
            Msg::ColumnCustomerId => both!(lang, "customer id", "客户 id"),
            Msg::ColumnExtra => both!(lang, "extra", "额外数据"),

            Msg::StatsTitle { task, filter } => both!(
                lang,
                "Progress of task {task} · {filter}",
                "任务进度 {task} · {filter}"
            ),
            Msg::StatsTotals {
                total,
                dialled,
                waiting,
            } => {
                let total = grouped(total);
                let dialled = grouped(dialled);
                let waiting = grouped(waiting);
                both!(
                    lang,
                    "{total} numbers: {dialled} dialled, {waiting} waiting",
                    "共 {total} 个号码：已呼叫 {dialled}，等待呼叫 {waiting}"
                )
            }
            Msg::StatsConnected { connected, rate } => {
                let connected = grouped(connected);
                both!(
                    lang,
                    "Connected: {connected} · connect rate {rate} of dialled",
                    "已接通 {connected} · 接通率 {rate}（占已呼叫）"
                )
            }
            Msg::NoRate => both!(lang, "n/a", "暂无"),
            Msg::StatsGroups {
                retryable,
                permanent,
            } => {
                let retryable = grouped(retryable);
                let permanent = grouped(permanent);
                both!(
                    lang,
                    "Worth another try (retryable): {retryable} · permanent failures: {permanent}",
                    "可重呼：{retryable} · 无效（重呼无用）：{permanent}"
                )
            }
            Msg::StatsCountedAt { at, seconds } => both!(
                lang,
                "Counted at {at} China time; shared with every chat for {seconds} s",
                "统计于北京时间 {at}；{seconds} 秒内各会话共用"
            ),
            Msg::RefreshButton => both!(lang, "↻ Refresh", "↻ 刷新"),
            Msg::RunStatsAgain => both!(lang, "Run /stats again.", "请重新执行 /stats。"),
            Msg::ColumnCount => both!(lang, "numbers", "号码数"),
            Msg::ColumnShare => both!(lang, "share", "占比"),
            Msg::CountsHint { command } => both!(
                lang,
                "Counts per status: run {command}",
                "按状态计数：请执行 {command}"
            ),
            Msg::ChartTitle => both!(lang, "Numbers by status", "各状态号码数"),
            Msg::ChartCaption {
                total,
                dialled,
                rate,
            } => {
                let total = grouped(total);
                let dialled = grouped(dialled);
                both!(
                    lang,
                    "{total} numbers · {dialled} dialled · connect rate {rate}",
                    "共 {total} 个号码 · 已呼叫 {dialled} · 接通率 {rate}"
                )
            }

            Msg::AllNumbers => both!(lang, "all numbers", "全部号码"),
            Msg::AllNumbersOfTask => both!(lang, "all numbers of the task", "任务的全部号码"),
            Msg::NoCounts => both!(lang, "none", "无"),
            Msg::FilterStatus { value } => both!(lang, "status={value}", "状态={value}"),
            Msg::FilterFrom { value } => both!(lang, "from={value}", "从={value}"),
            Msg::FilterTo { value } => both!(lang, "to={value}", "到={value}"),
            Msg::FilterSub { value } => both!(lang, "sub={value}", "子账户={value}"),
            Msg::FilterPhones { value } => both!(lang, "phones={value}", "号码={value}"),
            Msg::FilterKeyword { value } => both!(lang, "keyword={value}", "关键词={value}"),
            Msg::FilterLine { filter } => both!(lang, "Filter: {filter}", "筛选条件: {filter}"),

            Msg::Counting => both!(
                lang,
                "Counting the numbers to reset…",
                "正在统计待重置的号码…"
            ),
            Msg::CountingProgress {
                task,
                scanned,
                total,
            } => {
                let scanned = grouped(scanned);
                let total = grouped(total);
                both!(
                    lang,
                    "Task {task}: {scanned} of {total} numbers checked.",
                    "任务 {task}：已检查 {scanned} / {total} 个号码。"
                )
            }
            Msg::PreviewTooSlow => both!(lang, "The preview took too long", "预览超时"),
            Msg::PreviewDeadline { seconds } => both!(
                lang,
                "Counting the numbers to reset did not finish within {seconds} s, so nothing can be confirmed. Narrow the filter (status:, from:, to:) and try again.",
                "统计待重置号码未能在 {seconds} 秒内完成，因此无法确认。请缩小筛选范围（status:、from:、to:）后重试。"
            ),
            Msg::NothingToReset => both!(lang, "Nothing to reset", "无需重置"),
            Msg::NoMatch { task, filter } => both!(
                lang,
                "No number of task {task} matches {filter}.",
                "任务 {task} 中没有符合 {filter} 的号码。"
            ),
            Msg::PreviewTitle { task, total } => {
                let total = grouped(total);
                both!(
                    lang,
                    "Reset preview · task {task}: {total} numbers would go back to waiting",
                    "重置预览 · 任务 {task}：{total} 个号码将恢复为等待呼叫"
                )
            }
            Msg::ConfirmWithin {
                name,
                minutes,
                until,
            } => both!(
                lang,
                "Only {name} can confirm, within {minutes} min (until {until} China time).",
                "仅 {name} 可在 {minutes} 分钟内（北京时间 {until} 前）确认。"
            ),
            Msg::ConfirmButton => both!(lang, "Confirm reset", "确认重置"),
            Msg::CancelButton => both!(lang, "Cancel", "取消"),
            Msg::ResetRefused => both!(lang, "Reset refused", "拒绝重置"),
            Msg::Unfiltered => both!(
                lang,
                "Without a filter this would reset every number of the task. Add status:, phones:, keyword:, from: or to:, or say `all` to reset the whole task.",
                "不带筛选条件将重置该任务的全部号码。请添加 status:、phones:、keyword:、from: 或 to:，或明确写 all 以重置整个任务。"
            ),
            Msg::NothingToConfirm => both!(lang, "Nothing to confirm", "没有待确认的重置"),
            Msg::ConfirmGone => both!(
                lang,
                "This reset was already confirmed, cancelled or expired; run /reset again if needed.",
                "该重置已被确认、取消或已过期；如有需要请重新执行 /reset。"
            ),
            Msg::AlreadyConfirmed => both!(
                lang,
                "This reset was already confirmed.",
                "该重置已被确认。"
            ),
            Msg::NotYoursToConfirm => both!(lang, "Not yours to confirm", "无法确认他人的重置"),
            Msg::OnlyRequesterConfirms { name } => both!(
                lang,
                "Only {name}, who asked for this reset, can confirm it.",
                "只有发起人 {name} 可以确认此重置。"
            ),
            Msg::ConfirmationExpired => both!(lang, "Confirmation expired", "确认已过期"),
            Msg::RunResetAgain => both!(lang, "Run /reset again.", "请重新执行 /reset。"),
            Msg::ResetDone { by, task, total } => {
                let total = grouped(total);
                both!(
                    lang,
                    "Reset done by {by}: task {task}, {total} numbers back to waiting",
                    "{by} 已完成重置：任务 {task}，{total} 个号码恢复为等待呼叫"
                )
            }
            Msg::ByStatusBefore { counts } => both!(
                lang,
                "By status before the reset: {counts}",
                "重置前按状态: {counts}"
            ),
            Msg::PlatformFooter { message } => {
                both!(lang, "Platform: {message}", "平台: {message}")
            }
            Msg::ResetFailed => both!(lang, "Reset failed", "重置失败"),
            Msg::ResetOutcomeUnknown => both!(lang, "Reset outcome unknown", "重置结果未知"),
            Msg::ResetMaybeApplied => both!(
                lang,
                "The reset may or may not have been applied: check with /numbers before trying again.",
                "无法确定重置是否已生效：请先用 /numbers 查看，再决定是否重试。"
            ),
            Msg::NothingToCancel => both!(lang, "Nothing to cancel", "没有可取消的重置"),
            Msg::CancelGone => both!(
                lang,
                "This reset was already confirmed, cancelled or expired.",
                "该重置已被确认、取消或已过期。"
            ),
            Msg::NotYoursToCancel => both!(lang, "Not yours to cancel", "无法取消他人的重置"),
            Msg::OnlyRequesterCancels { name } => both!(
                lang,
                "Only {name}, who asked for this reset, can cancel it.",
                "只有发起人 {name} 可以取消此重置。"
            ),
            Msg::ResetCancelled { by } => both!(
                lang,
                "Reset cancelled by {by}: nothing was changed",
                "{by} 已取消重置：未做任何更改"
            ),
            Msg::ResetNotPossible => both!(lang, "Reset not possible now", "暂时无法重置"),
            Msg::AuditUnavailable => both!(
                lang,
                "The audit log cannot be written, and no reset is made without a record: nothing was changed. Ask an admin to check the audit file.",
                "无法写入审计日志，而没有记录的重置一律不执行：未做任何更改。请联系管理员检查审计文件。"
            ),

            Msg::ActionRefused => both!(lang, "Action refused", "操作被拒绝"),
            Msg::ForgedAction => both!(
                lang,
                "This button was not made by this bot, or it was altered.",
                "该按钮不是本机器人生成的，或已被篡改。"
            ),

            Msg::PlatformFailed => both!(lang, "The platform could not do it", "平台未能完成请求"),
            Msg::PlatformUnauthorized => both!(
                lang,
                "The platform refused our token: ask an admin to check AGENT_API_TOKEN.",
                "平台拒绝了我们的令牌，请联系管理员检查 AGENT_API_TOKEN。"
            ),
            Msg::TaskNotFound { task } => both!(
                lang,
                "Task {task} was not found for this account.",
                "该账户下找不到任务 {task}。"
            ),
            Msg::PlatformBusy => both!(
                lang,
                "The platform is busy (too many requests): try again in a minute.",
                "平台繁忙（请求过多），请稍后再试。"
            ),
            Msg::PlatformUnavailable => both!(
                lang,
                "The platform failed on its side: try again in a moment.",
                "平台内部出错，请稍后再试。"
            ),
            Msg::PlatformRefusedCode { code } => both!(
                lang,
                "The platform refused the request (code {code}).",
                "平台拒绝了该请求（代码 {code}）。"
            ),
            Msg::PlatformRefused => both!(
                lang,
                "The platform refused the request.",
                "平台拒绝了该请求。"
            ),
            Msg::PlatformUnreachable => both!(
                lang,
                "The platform cannot be reached: try again in a moment.",
                "无法连接平台，请稍后再试。"
            ),
            Msg::PlatformTimeout => both!(
                lang,
                "The platform did not answer in time: try again in a moment.",
                "平台未及时响应，请稍后再试。"
            ),
            Msg::PlatformUnreadable => both!(
                lang,
                "The platform's answer could not be read.",
                "无法读取平台的响应。"
            ),
            Msg::RequestInvalid => both!(
                lang,
                "The request was not sent: it was invalid.",
                "请求无效，未发送。"
            ),
            Msg::PlatformSays { message } => {
                both!(lang, "The platform says: {message}", "平台消息: {message}")
            }
            Msg::Reference { id } => both!(lang, "Reference: {id}", "参考编号: {id}"),

            Msg::BadWhen { given } => both!(
                lang,
                "`when:{given}` cannot be read: use done, daily@HH:MM (China time, like daily@09:00) or every:<duration> (like every:30m, every:2h, every:1d)",
                "无法识别 `when:{given}`：请用 done、daily@时:分（北京时间，如 daily@09:00）或 every:<间隔>（如 every:30m、every:2h、every:1d）"
            ),
            Msg::EveryTooShort { minutes } => both!(
                lang,
                "every: must be at least {minutes} minutes",
                "every: 间隔至少为 {minutes} 分钟"
            ),
            Msg::WatchNeedsChat => both!(
                lang,
                "A watch posts to a chat: use it in a chat or channel.",
                "关注会发送到会话：请在会话或频道中使用。"
            ),
            Msg::WatchAdded { task, when } => both!(
                lang,
                "Watching task {task} in this chat: {when}. /unwatch task:{task} stops it.",
                "已在本会话关注任务 {task}：{when}。/unwatch task:{task} 可取消。"
            ),
            Msg::WatchRemoved { task } => both!(
                lang,
                "This chat no longer watches task {task}.",
                "本会话已取消关注任务 {task}。"
            ),
            Msg::WatchNotFound { task } => both!(
                lang,
                "This chat does not watch task {task}.",
                "本会话未关注任务 {task}。"
            ),
            Msg::WatchesTitle => both!(lang, "Watches of this chat", "本会话的关注"),
            Msg::NoWatches => both!(
                lang,
                "This chat watches no task: /watch task:<task> starts one.",
                "本会话未关注任何任务：可用 /watch task:<任务> 关注。"
            ),
            Msg::WatchLimit { max } => both!(
                lang,
                "A chat may watch at most {max} tasks: /unwatch one first.",
                "每个会话最多关注 {max} 个任务：请先用 /unwatch 取消一个。"
            ),
            Msg::ColumnTask => both!(lang, "task", "任务"),
            Msg::ColumnWhen => both!(lang, "posts", "发送时间"),
            Msg::ColumnLastPost => both!(lang, "last post", "上次发送"),
            Msg::WhenDone => both!(lang, "when it is done", "完成时"),
            Msg::WhenDaily { at } => both!(lang, "daily at {at} China time", "每天北京时间 {at}"),
            Msg::WhenEvery { every } => both!(lang, "every {every}", "每 {every}"),
            Msg::WatchDoneTitle { task } => both!(
                lang,
                "Task {task} is done: no number is waiting",
                "任务 {task} 已完成：已无等待呼叫的号码"
            ),
            Msg::WatchDone {
                dialled,
                connected,
                rate,
                retryable,
            } => {
                let (dialled, connected, retryable) =
                    (grouped(dialled), grouped(connected), grouped(retryable));
                both!(
                    lang,
                    "task done: {dialled} dialled, {connected} connected ({rate}), {retryable} retryable",
                    "任务完成：已呼叫 {dialled}，已接通 {connected}（{rate}），可重呼 {retryable}"
                )
            }
            Msg::WatchFigures {
                dialled,
                connected,
                rate,
                retryable,
            } => {
                let (dialled, connected, retryable) =
                    (grouped(dialled), grouped(connected), grouped(retryable));
                both!(
                    lang,
                    "{dialled} dialled, {connected} connected ({rate}), {retryable} retryable",
                    "已呼叫 {dialled}，已接通 {connected}（{rate}），可重呼 {retryable}"
                )
            }
            Msg::WatchSummaryTitle { task, when } => both!(
                lang,
                "Progress of task {task} ({when})",
                "任务 {task} 进度（{when}）"
            ),
            Msg::WatchWaiting { waiting } => {
                let waiting = grouped(waiting);
                both!(
                    lang,
                    "{waiting} numbers still waiting",
                    "仍有 {waiting} 个号码等待呼叫"
                )
            }
            Msg::WatchFooter { task } => both!(
                lang,
                "/unwatch task:{task} stops these posts",
                "/unwatch task:{task} 可停止这些消息"
            ),
            Msg::ListRetryableButton => both!(lang, "List retryable numbers", "查看可重呼号码"),
            Msg::InternalErrorTitle => both!(lang, "Something went wrong", "出错了"),
            Msg::InternalError => both!(
                lang,
                "The bot failed while answering; the details are in its log.",
                "机器人处理时出错，详情见日志。"
            ),
            Msg::Unsupported => both!(lang, "Not supported", "不支持的操作"),
            Msg::UnknownCommandTitle => both!(lang, "Unknown command", "未知命令"),
            Msg::StaleCommand { name } => both!(
                lang,
                "unknown command `/{name}`: the registered commands are out of date",
                "未知命令 `/{name}`：已注册的命令已过时"
            ),
            Msg::StaleOption { name } => both!(
                lang,
                "unexpected option `{name}`: the registered commands are out of date",
                "无法识别选项 `{name}`：已注册的命令已过时"
            ),
            Msg::SlowDown { service, seconds } => both!(
                lang,
                "{service} asks to slow down: try again in {seconds} s.",
                "{service} 要求放慢速度：请 {seconds} 秒后再试。"
            ),
            Msg::NotUpdated => both!(
                lang,
                "Could not update the message; run the command again.",
                "无法更新该消息，请重新执行命令。"
            ),
            Msg::OpenPrivateChat { bot } => both!(
                lang,
                "This answer is for you alone and cannot be sent to you privately: open a private chat with {bot}, press Start, then send the command there.",
                "此回复仅限你本人查看，但无法私信发送给你：请先打开与 {bot} 的私聊并点击“开始”，再在私聊中发送该命令。"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has_chinese(text: &str) -> bool {
        text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    #[test]
    fn every_message_has_english_and_chinese_text() {
        let mut count = 0;
        for key in MsgKey::all() {
            let msg = key.sample();
            assert_eq!(msg.key(), key, "the sample of {key:?} is another message");
            let en = msg.text(Lang::En);
            let zh = msg.text(Lang::Zh);
            assert!(!en.trim().is_empty(), "{key:?} has no English text");
            assert!(!zh.trim().is_empty(), "{key:?} has no Chinese text");
            assert_ne!(en, zh, "{key:?} is not translated");
            assert!(has_chinese(&zh), "{key:?}: `{zh}` is not Chinese");
            count += 1;
        }
        assert!(count > 100, "{count} keys");
    }

    #[test]
    fn arguments_go_where_both_languages_say() {
        let msg = Msg::PageFooter {
            total: 300,
            page: 1,
            last: 30,
        };
        assert_eq!(msg.text(Lang::En), "300 numbers · page 1/30");
        assert_eq!(msg.text(Lang::Zh), "共 300 个号码 · 第 1/30 页");
        assert_eq!(
            command_hint(Lang::En),
            "/numbers, /stats, /reset, /export, /watch, /unwatch, /watches or /help"
        );
        assert_eq!(
            command_hint(Lang::Zh),
            "/numbers、/stats、/reset、/export、/watch、/unwatch、/watches 或 /help"
        );
        assert_eq!(grouped(1_000_000), "1,000,000");
        // A task of a million numbers: its counts stay readable through the masking step,
        // which masks any run of seven digits.
        let footer = Msg::PageFooter {
            total: 1_234_567,
            page: 1,
            last: 123_457,
        }
        .text(Lang::En);
        assert_eq!(
            crate::Outbound::new(true, None).text(&footer),
            "1,234,567 numbers · page 1/123,457"
        );
        assert_eq!(grouped(999), "999");
    }
}
