//! `/export`: every number of a filter as a file — CSV (the `csv` crate, UTF-8 with a byte-order
//! mark, formula-like cells neutralised) or Excel (`xlsx`: the workspace's `xlsx-stream` crate,
//! which deflates the worksheet into the zip as the rows come) — written row by row as `agent-core`'s
//! ordered stream delivers the pages, into a temporary file: memory stays flat whatever the
//! task's size. Progress is reported about every
//! `progress_every` with a Cancel button; a cancelled or failed export deletes its file. Every
//! export is audited (who, where, the filter, the rows, masked or whole phones) before the file
//! is delivered. A CSV over the transport's upload limit is sent gzipped, or split in parts.

mod file;
mod texts;

use std::path::Path;
use std::time::Instant;

use agent_core::NumberRecord;
use futures::StreamExt;
use futures::future::BoxFuture;
use tempfile::TempPath;
use tokio_util::sync::CancellationToken;

use crate::access::Role;
use crate::audit::{AuditEvent, AuditRecord};
use crate::catalogue::{CommandName, CommandSpec, Invocation, OptionKey, Text};
use crate::context::{Ctx, ProgressUpdate};
use crate::i18n::Lang;
use crate::messages::Msg;
use crate::outbound::Outbound;
use crate::reply::{Action, ActionStyle, Refusal, Reply, ReplyKind};
use crate::services::random_id;
use crate::text::{bad_input, describe_filter, upstream_error};
use crate::token::ActionToken;

pub use self::file::{
    COLUMNS, Cell, Column, ExportError, ExportFormat, neutralise, row, size_words,
};
use self::file::{Fitted, PAGE, Sheet, file_name, fit};
use self::texts::{ExportKey, ExportMsg};
use crate::texts::samples;

/// `/export`: its catalogue entry and handlers.
pub(crate) const COMMAND: CommandSpec = CommandSpec {
    slash: "export",
    aliases: &["csv", "xlsx"],
    name_zh: "导出",
    summary: Text::new(
        "A task's numbers as a CSV or Excel file",
        "将任务号码导出为 CSV 或 Excel 文件",
    ),
    help: Text::new(
        "every number of the filter as a file (csv or xlsx), with progress and a Cancel button",
        "将筛选出的全部号码导出为文件（csv 或 xlsx），显示进度，可取消",
    ),
    example: Some("/export task:demo status:retryable format:csv"),
    options: &[
        OptionKey::Task,
        OptionKey::Status,
        OptionKey::From,
        OptionKey::To,
        OptionKey::Sub,
        OptionKey::Format,
    ],
    role: Some(Role::Exporter),
    run: |cx, invocation| Box::pin(run(cx, invocation)),
    press: Some(press),
    texts: samples::<ExportKey>,
};

impl CommandName {
    /// `/export`: a task's numbers as a file.
    pub const EXPORT: Self = Self::of(&COMMAND);
}

/// An export's Cancel button.
fn press<'a>(cx: &'a Ctx<'a>, token: &'a ActionToken) -> Option<BoxFuture<'a, Reply>> {
    match token {
        ActionToken::StopExport(id) => {
            let reply = stop_export(cx, *id);
            Some(Box::pin(async move { reply }))
        }
        _ => None,
    }
}

/// Where an export is written: its format, the folder of its temporary file, and the mask of
/// its phones (none when whole phones are configured).
struct Target<'a> {
    format: ExportFormat,
    dir: &'a Path,
    mask: Option<&'a Outbound>,
}

/// How an export's writing ended.
enum Written {
    Done { path: TempPath, rows: u64 },
    Cancelled,
    Upstream(agent_core::Error),
    Failed(ExportError),
}

async fn run(cx: &Ctx<'_>, invocation: &Invocation) -> Result<Reply, Refusal> {
    let (caller, lang, progress) = (cx.caller, cx.lang, cx.progress);
    let state = cx.authorized_state(invocation)?;
    let format = match invocation.get(OptionKey::Format) {
        None => ExportFormat::Csv,
        Some(given) => match ExportFormat::parse(given) {
            Some(format) => format,
            None => {
                return Err(bad_input(
                    "format",
                    &ExportMsg::UnknownFormat { given }.text(lang),
                    lang,
                )
                .into());
            }
        },
    };
    let filter = cx.list_filter(&state)?;
    let label = cx.task_label(&state.task);
    let described = describe_filter(
        state.statuses,
        filter.scope().range(),
        state.sub.as_deref(),
        lang,
    );
    let started = Instant::now();
    let total = cx.client().count(&filter).await;
    cx.waited(started.elapsed());
    let total = match total {
        Ok(0) => {
            return Ok(Reply::new(ReplyKind::Done, Msg::NoNumbersMatch.text(lang))
                .line(Msg::FilterLine { filter: &described }.text(lang)));
        }
        Ok(total) => total,
        Err(err) => return Ok(upstream_error(&err, &label, lang)),
    };
    let Ok(id) = random_id() else {
        tracing::error!("no system randomness: cannot make an export id");
        return Ok(failed(lang));
    };
    let running = cx.exports.start(id, caller.identity());
    let stop = cx
        .signer
        .sign(&ActionToken::StopExport(id))
        .ok()
        .map(|data| Action {
            label: ExportMsg::CancelExport.text(lang),
            data,
            style: ActionStyle::Danger,
        });
    let report = |done: u64| {
        if let Some(sink) = progress {
            let mut reply = Reply::new(ReplyKind::Info, ExportMsg::ExportingTitle.text(lang)).line(
                ExportMsg::ExportProgress {
                    task: &label,
                    done,
                    total: total.max(done),
                }
                .text(lang),
            );
            reply.actions.extend(stop.clone());
            sink(ProgressUpdate {
                done,
                total: total.max(done),
                reply,
            });
        }
    };
    let masked = !cx.config().export_full_phones;
    let mask = masked.then(|| Outbound::new(true, Some(caller)));
    let dir = cx
        .config()
        .export_dir
        .clone()
        .unwrap_or_else(std::env::temp_dir);
    let started = Instant::now();
    let written = write_export(
        cx,
        &filter,
        Target {
            format,
            dir: &dir,
            mask: mask.as_ref(),
        },
        &running.token,
        report,
    )
    .await;
    cx.waited(started.elapsed());
    drop(running);
    let (path, rows) = match written {
        Written::Done { path, rows } => (path, rows),
        Written::Cancelled => {
            tracing::info!(caller = %caller.identity(), task = %label, "export cancelled");
            return Ok(
                Reply::new(ReplyKind::Done, ExportMsg::ExportCancelled.text(lang))
                    .line(ExportMsg::ExportNoFileKept.text(lang)),
            );
        }
        Written::Upstream(err) => {
            let mut reply = upstream_error(&err, &label, lang);
            reply.lines.push(ExportMsg::ExportNoFileKept.text(lang));
            return Ok(reply);
        }
        Written::Failed(err) => {
            tracing::error!(%err, "export failed");
            return Ok(failed(lang));
        }
    };
    let name = file_name(&label, &state, cx.now(), format);
    let limit = cx.transport.upload_limit;
    let fitted = {
        let (name, dir) = (name.clone(), dir.clone());
        tokio::task::spawn_blocking(move || fit(path, &name, format, limit, &dir)).await
    };
    let (attachments, fitted) = match fitted {
        Ok(Ok(fitted)) => fitted,
        Ok(Err(None)) => {
            let limit = size_words(limit.unwrap_or_default());
            return Ok(
                Reply::new(ReplyKind::Error, ExportMsg::ExportFailed.text(lang))
                    .line(ExportMsg::ExportTooLarge { limit: &limit }.text(lang)),
            );
        }
        Ok(Err(Some(err))) => {
            tracing::error!(%err, "export could not be packed");
            return Ok(failed(lang));
        }
        Err(_) => return Ok(failed(lang)),
    };
    // Audited before it is delivered; without the line, nothing is delivered.
    let out = cx.outbound(caller);
    let audited = cx.audit.record(&AuditRecord {
        at: cx.now().to_string(),
        event: AuditEvent::Exported,
        request: format!("{id:016x}"),
        actor: caller.identity(),
        actor_name: out.text(&caller.name),
        chat: caller.chat_id.clone(),
        task: state.task.clone(),
        filter: out.text(&describe_filter(
            state.statuses,
            filter.scope().range(),
            state.sub.as_deref(),
            Lang::En,
        )),
        matched: rows,
        outcome: Some(format!(
            "{}, {} phones, {} file(s)",
            format.extension(),
            if masked { "masked" } else { "whole" },
            attachments.len()
        )),
    });
    if audited.is_err() {
        return Ok(
            Reply::new(ReplyKind::Error, ExportMsg::ExportFailed.text(lang))
                .line(Msg::AuditUnavailable.text(lang)),
        );
    }
    let mut reply = Reply::new(
        ReplyKind::Done,
        ExportMsg::ExportDone { task: &label, rows }.text(lang),
    )
    .line(Msg::FilterLine { filter: &described }.text(lang))
    .line(
        if masked {
            ExportMsg::ExportMasked
        } else {
            ExportMsg::ExportFullPhones
        }
        .text(lang),
    );
    let limit = size_words(limit.unwrap_or_default());
    match fitted {
        Fitted::AsIs => {}
        Fitted::Gzipped => reply
            .lines
            .push(ExportMsg::ExportGzipped { limit: &limit }.text(lang)),
        Fitted::Split(parts) => reply.lines.push(
            ExportMsg::ExportSplit {
                parts,
                limit: &limit,
            }
            .text(lang),
        ),
    }
    reply.attachments = attachments;
    // Whole phones go to the exporter alone, never to everyone in a group.
    reply.private = !masked;
    Ok(reply)
}

/// Streams the filter's numbers into a file, row by row; stops when `stop` is cancelled.
/// The rows are written on a blocking thread fed a page at a time, so that turning numbers
/// into CSV or Excel XML overlaps the wait for the next pages instead of adding to it.
async fn write_export(
    cx: &Ctx<'_>,
    filter: &agent_core::ListFilter,
    target: Target<'_>,
    stop: &CancellationToken,
    report: impl Fn(u64),
) -> Written {
    let Target { format, dir, mask } = target;
    let lang = cx.lang;
    let headers = COLUMNS.iter().map(|c| c.header(lang)).collect();
    let sheet = match Sheet::create(format, dir, headers) {
        Ok(sheet) => sheet,
        Err(err) => return Written::Failed(err),
    };
    // A few pages in flight between the stream and the writer: memory stays bounded.
    let (pages, mut to_write) = tokio::sync::mpsc::channel::<Vec<NumberRecord>>(4);
    let mask = mask.cloned();
    let writer = tokio::task::spawn_blocking(move || {
        let mut sheet = sheet;
        while let Some(page) = to_write.blocking_recv() {
            for record in &page {
                sheet.write(&row(record, lang, mask.as_ref()))?;
            }
        }
        Ok::<_, ExportError>(sheet)
    });
    let every = cx.config().progress_every;
    let mut last_report = Instant::now();
    let mut rows = 0u64;
    let mut page = Vec::with_capacity(PAGE);
    report(0);
    let mut numbers = cx.client().stream(filter);
    let ended = loop {
        let next = tokio::select! {
            biased;
            () = stop.cancelled() => break Some(Written::Cancelled),
            next = numbers.next() => next,
        };
        match next {
            None => break None,
            Some(Err(err)) => break Some(Written::Upstream(err)),
            Some(Ok(record)) => {
                page.push(record);
                rows += 1;
                if page.len() >= PAGE {
                    let full = std::mem::replace(&mut page, Vec::with_capacity(PAGE));
                    if pages.send(full).await.is_err() {
                        // The writer stopped: its error is the answer.
                        break None;
                    }
                }
                if last_report.elapsed() >= every {
                    last_report = Instant::now();
                    report(rows);
                }
            }
        }
    };
    if ended.is_none() && !page.is_empty() {
        // Fails only when the writer stopped, whose error is then the answer.
        let _ = pages.send(page).await;
    }
    drop(pages);
    let sheet = match writer.await {
        Ok(Ok(sheet)) => sheet,
        Ok(Err(err)) => return ended.unwrap_or(Written::Failed(err)),
        Err(_) => return ended.unwrap_or(Written::Failed(ExportError::Join)),
    };
    if let Some(ended) = ended {
        // Cancelled or failed upstream: the partial file goes with the sheet, now.
        drop(sheet);
        return ended;
    }
    if stop.is_cancelled() {
        return Written::Cancelled;
    }
    match sheet.finish().await {
        Ok(path) => Written::Done { path, rows },
        Err(err) => Written::Failed(err),
    }
}

/// A press of an export's Cancel button: only who started it may stop it.
fn stop_export(cx: &Ctx<'_>, id: u64) -> Reply {
    let lang = cx.lang;
    match cx.exports.stop(id, &cx.caller.identity()) {
        None => Reply::new(ReplyKind::Info, ExportMsg::ExportNotRunning.text(lang)),
        Some(false) => Reply::new(ReplyKind::Refused, Msg::NotAllowed.text(lang))
            .line(ExportMsg::OnlyExporterCancels.text(lang)),
        Some(true) => Reply::new(ReplyKind::Info, ExportMsg::ExportCancelling.text(lang)),
    }
}

fn failed(lang: Lang) -> Reply {
    Reply::new(ReplyKind::Error, ExportMsg::ExportFailed.text(lang))
        .line(ExportMsg::ExportWriteFailed.text(lang))
        .line(ExportMsg::ExportNoFileKept.text(lang))
}
