//! What `/export` says: its progress, the file, and the file's columns.
//!
//! Each message is declared once, in English and Chinese, in a [`texts!`](crate::texts) table;
//! the words several commands share are in [`crate::messages`].

use crate::messages::grouped;
use crate::texts::texts;

texts! {
    /// A message of `/export`, with its arguments. [`ExportMsg::text`] words it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum ExportMsg<'a>, key ExportKey;

    /// Title of an export's progress.
    ExportingTitle => en "Exporting", zh "正在导出";
    /// An export's progress.
    ExportProgress {
        /// The task's label.
        task: &'a str,
        /// Numbers written.
        done: u64,
        /// Out of.
        total: u64,
    } =>
        let (done, total) = (grouped(done), grouped(total));
        en "exported {done} of {total} numbers of {task}",
        zh "已导出 {task} 的 {done} / {total} 个号码";
    /// The button that stops an export.
    CancelExport => en "Cancel export", zh "取消导出";
    /// A Cancel press reached a running export.
    ExportCancelling => en "Cancelling the export…", zh "正在取消导出…";
    /// Title: an export was cancelled.
    ExportCancelled => en "Export cancelled", zh "导出已取消";
    /// A cancelled or failed export keeps nothing.
    ExportNoFileKept =>
        en "The partial file was deleted; nothing was sent.",
        zh "未完成的文件已删除，未发送任何文件。";
    /// A Cancel press for an export that has ended.
    ExportNotRunning => en "That export is not running any more.", zh "该导出已经结束。";
    /// Only who started an export may cancel it.
    OnlyExporterCancels =>
        en "Only the person who started the export can cancel it.",
        zh "只有发起导出的人可以取消。";
    /// Title: an export is ready.
    ExportDone {
        /// The task's label.
        task: &'a str,
        /// Numbers in the file.
        rows: u64,
    } =>
        let rows = grouped(rows);
        en "Exported {rows} numbers of {task}",
        zh "已导出 {task} 的 {rows} 个号码";
    /// The file's phones are masked.
    ExportMasked => en "Phones are masked in the file.", zh "文件中的号码已打码。";
    /// The file's phones are whole.
    ExportFullPhones =>
        en "Phones are whole in the file: handle it as personal data.",
        zh "文件中为完整号码：请按个人信息妥善保管。";
    /// The file was over the upload limit and is sent gzipped.
    ExportGzipped {
        /// The limit, in words (`50 MiB`).
        limit: &'a str,
    } =>
        en "The file is over the {limit} upload limit: it is sent gzipped (.gz).",
        zh "文件超过 {limit} 的上传限制，已压缩为 .gz 发送。";
    /// The file was over the upload limit and is sent in parts.
    ExportSplit {
        /// How many parts.
        parts: u64,
        /// The limit, in words (`50 MiB`).
        limit: &'a str,
    } =>
        en "The file is over the {limit} upload limit: it is sent in {parts} parts, each with the header row.",
        zh "文件超过 {limit} 的上传限制，已分为 {parts} 个文件发送，每个文件都有表头。";
    /// An Excel file over the upload limit.
    ExportTooLarge {
        /// The limit, in words (`50 MiB`).
        limit: &'a str,
    } =>
        en "The Excel file is over the {limit} upload limit: export as CSV (format:csv), which can be compressed or split, or narrow the filter.",
        zh "Excel 文件超过 {limit} 的上传限制：请导出为 CSV（format:csv，可压缩或分割），或缩小筛选范围。";
    /// Title: an export failed.
    ExportFailed => en "Export failed", zh "导出失败";
    /// The export file could not be written.
    ExportWriteFailed =>
        en "The file could not be written on the bot's side (details in its log).",
        zh "机器人无法写入导出文件（详见日志）。";
    /// A `format:` that is not csv or xlsx.
    UnknownFormat {
        /// What was given.
        given: &'a str,
    } =>
        en "unknown format `{given}`: use csv or xlsx",
        zh "未知格式 `{given}`：请使用 csv 或 xlsx";
    /// Export column: the number's row id.
    ColumnId => en "id", zh "号码 id";
    /// Export column: the status code.
    ColumnStatusCode => en "status code", zh "状态码";
    /// Export column.
    ColumnProvince => en "province", zh "省份";
    /// Export column.
    ColumnCarrier => en "carrier", zh "运营商";
    /// Export column.
    ColumnAreaCode => en "area code", zh "区号";
    /// Export column.
    ColumnPostCode => en "post code", zh "邮编";
    /// Export column.
    ColumnCreatedAt => en "created at", zh "创建时间";
    /// Export column.
    ColumnCallTime => en "call time", zh "呼叫时间";
    /// Export column.
    ColumnAnswerTime => en "answer time", zh "接听时间";
    /// Export column.
    ColumnHangupTime => en "hang-up time", zh "挂断时间";
    /// Export column.
    ColumnBilledSecs => en "billed seconds", zh "计费秒数";
    /// Export column.
    ColumnDurationSecs => en "duration seconds", zh "通话秒数";
    /// Export column.
    ColumnHangupCause => en "hang-up cause", zh "挂断原因";
    /// Export column.
    ColumnCallId => en "call id", zh "通话 id";
    /// Export column.
    ColumnCustomerId => en "customer id", zh "客户 id";
    /// Export column.
    ColumnExtra => en "extra", zh "额外数据";
}
