//! `/reset`: a preview with counts per status, then Confirm (only by the requester, before the
//! confirmation expires, once) or Cancel.

mod texts;

use std::time::Instant;

use agent_core::phone::parse_phone_list;
use agent_core::{FilterError, ResetFilter, Scope, StatusSet, TimeRange};
use futures::future::BoxFuture;
use jiff::tz::TimeZone;

use self::texts::{ResetKey, ResetMsg};
use crate::access::{Caller, Role};
use crate::audit::{AuditEvent, AuditRecord};
use crate::catalogue::{CommandName, CommandSpec, Invocation, OptionKey, Text};
use crate::context::{Ctx, ProgressUpdate};
use crate::i18n::Lang;
use crate::messages::Msg;
use crate::outbound::Outbound;
use crate::reply::{Action, ActionStyle, Refusal, Reply, ReplyKind};
use crate::services::{Services, random_id, store_failed};
use crate::state::PendingReset;
use crate::text::{bad_input, describe_reset, describe_summary, upstream_error};
use crate::texts::samples;
use crate::token::ActionToken;

/// `/reset`: its catalogue entry and handlers.
pub(crate) const COMMAND: CommandSpec = CommandSpec {
    slash: "reset",
    aliases: &[],
    name_zh: "重置",
    summary: Text::new(
        "Put numbers back to waiting, after a preview and your confirmation",
        "预览并确认后，将号码恢复为等待呼叫",
    ),
    help: Text::new(
        "previews, then after your confirmation puts the numbers back to waiting; without a filter, say `all`",
        "先预览，确认后将号码恢复为等待呼叫；不带筛选条件时须明确写 all",
    ),
    example: Some("/reset task:demo status:busy"),
    options: &[
        OptionKey::Task,
        OptionKey::Status,
        OptionKey::Phones,
        OptionKey::Keyword,
        OptionKey::From,
        OptionKey::To,
        OptionKey::Sub,
        OptionKey::All,
    ],
    role: Some(Role::Operator),
    run: |cx, invocation| Box::pin(run(cx, invocation)),
    press: Some(press),
    texts: samples::<ResetKey>,
};

impl CommandName {
    /// `/reset`: numbers back to waiting, after a preview and a confirmation.
    pub const RESET: Self = Self::of(&COMMAND);
}

/// Confirm and Cancel of a preview.
fn press<'a>(cx: &'a Ctx<'a>, token: &'a ActionToken) -> Option<BoxFuture<'a, Reply>> {
    match token {
        ActionToken::Confirm(id) => Some(Box::pin(confirm(cx, *id))),
        ActionToken::Cancel(id) => Some(Box::pin(cancel(cx, *id))),
        _ => None,
    }
}

async fn run(cx: &Ctx<'_>, invocation: &Invocation) -> Result<Reply, Refusal> {
    let (caller, lang, progress) = (cx.caller, cx.lang, cx.progress);
    let (task, label) = cx.authorize_task(invocation)?;
    let filter = reset_filter(cx, &task, invocation)?;
    let started = Instant::now();
    // A preview that scans the task (phones, keyword) has a deadline; a partial count is
    // never offered for confirmation.
    let deadline = cx.config().preview_deadline;
    let every = cx.config().progress_every;
    let mut last_report = Instant::now();
    let report = |scanned: u64, total: u64| {
        if let Some(sink) = progress
            && last_report.elapsed() >= every
        {
            last_report = Instant::now();
            sink(ProgressUpdate {
                done: scanned,
                total,
                reply: Reply::new(ReplyKind::Info, ResetMsg::Counting.text(lang)).line(
                    ResetMsg::CountingProgress {
                        task: &label,
                        scanned,
                        total,
                    }
                    .text(lang),
                ),
            });
        }
    };
    let preview = tokio::time::timeout(
        deadline,
        cx.client().reset_preview_with_progress(&filter, report),
    )
    .await;
    cx.waited(started.elapsed());
    let preview = match preview {
        Ok(Ok(preview)) => preview,
        Ok(Err(err)) => return Ok(upstream_error(&err, &label, lang)),
        Err(_) => {
            return Ok(
                Reply::new(ReplyKind::Error, ResetMsg::PreviewTooSlow.text(lang)).line(
                    ResetMsg::PreviewDeadline {
                        seconds: deadline.as_secs(),
                    }
                    .text(lang),
                ),
            );
        }
    };
    let described = describe_reset(&filter, lang, cx.config().mask_phones);
    if preview.total() == 0 {
        return Ok(
            Reply::new(ReplyKind::Done, ResetMsg::NothingToReset.text(lang)).line(
                ResetMsg::NoMatch {
                    task: &label,
                    filter: &described,
                }
                .text(lang),
            ),
        );
    }

    let Ok(id) = random_id() else {
        tracing::error!("no system randomness: cannot make a confirmation id");
        return Ok(audit_unavailable(lang));
    };
    let now = cx.now();
    let ttl = cx.config().confirm_ttl;
    let expires = now
        .checked_add(
            jiff::SignedDuration::try_from(ttl).unwrap_or(jiff::SignedDuration::from_mins(5)),
        )
        .unwrap_or(now);
    let pending = PendingReset {
        requester: caller.clone(),
        filter,
        task_label: label.clone(),
        preview,
        expires,
    };
    // Kept first, so that no `requested` line is written for a preview that cannot be
    // confirmed; taken back if the audit cannot be written.
    if let Err(err) = cx.pending.insert(id, &pending, now).await {
        return Ok(store_failed(&err, lang));
    }
    if audit(cx, AuditEvent::Requested, id, caller, &pending, None).is_err() {
        if let Err(err) = cx.pending.take(id).await {
            tracing::error!(%err, "cannot withdraw a confirmation whose audit failed");
        }
        return Ok(audit_unavailable(lang));
    }

    let total = preview.total();
    let mut reply = Reply::new(
        ReplyKind::Preview,
        ResetMsg::PreviewTitle {
            task: &label,
            total,
        }
        .text(lang),
    );
    reply.summary = Some(
        Msg::ByStatus {
            counts: &describe_summary(&preview, lang),
        }
        .text(lang),
    );
    reply
        .lines
        .push(Msg::FilterLine { filter: &described }.text(lang));
    let expires_at = expires
        .to_zoned(TimeZone::fixed(agent_core::time::CHINA_OFFSET))
        .strftime("%H:%M:%S");
    let minutes = ttl.as_secs().div_ceil(60);
    reply.footer = Some(
        ResetMsg::ConfirmWithin {
            name: &caller.name,
            minutes,
            until: &expires_at.to_string(),
        }
        .text(lang),
    );
    let signer = &cx.signer;
    for (token, label, style) in [
        (
            ActionToken::Confirm(id),
            ResetMsg::ConfirmButton,
            ActionStyle::Danger,
        ),
        (
            ActionToken::Cancel(id),
            ResetMsg::CancelButton,
            ActionStyle::Secondary,
        ),
    ] {
        if let Ok(data) = signer.sign(&token) {
            reply.actions.push(Action {
                label: label.text(lang),
                data,
                style,
            });
        }
    }
    Ok(reply)
}

fn reset_filter(cx: &Ctx<'_>, task: &str, invocation: &Invocation) -> Result<ResetFilter, Refusal> {
    let lang = cx.lang;
    let task = agent_core::Id::task(task).map_err(|e| bad_input("task", &e, lang))?;
    let mut scope = Scope::new(task);
    if let Some(text) = invocation.get(OptionKey::Status) {
        let statuses = StatusSet::parse_list(text).map_err(|e| bad_input("status", &e, lang))?;
        scope = scope.with_statuses(statuses);
    }
    let now = cx
        .now()
        .to_zoned(TimeZone::fixed(agent_core::time::CHINA_OFFSET))
        .datetime();
    let range = TimeRange::parse(
        invocation.get(OptionKey::From),
        invocation.get(OptionKey::To),
        now,
    )
    .map_err(|e| bad_input("from/to", &e, lang))?;
    let scope = scope.with_range(range);
    let mut filter = if invocation.flag(OptionKey::All) {
        ResetFilter::everything(scope)
    } else {
        ResetFilter::new(scope)
    };
    if let Some(text) = invocation.get(OptionKey::Phones) {
        let phones = parse_phone_list(text).map_err(|e| bad_input("phones", &e, lang))?;
        filter = filter
            .with_phones(phones)
            .map_err(|e| bad_input("phones", &e, lang))?;
    }
    if let Some(keyword) = invocation.get(OptionKey::Keyword) {
        filter = filter
            .with_keyword(keyword)
            .map_err(|e| bad_input("keyword", &e, lang))?;
    }
    if let Some(sub) = invocation.get(OptionKey::Sub) {
        let sub = cx.allowed_sub(sub)?;
        filter = filter.map_scope(|scope| scope.with_sub_account(Some(sub)));
    }
    match filter.check() {
        Ok(()) => Ok(filter),
        Err(FilterError::Unfiltered) => Err(Reply::new(
            ReplyKind::Refused,
            ResetMsg::ResetRefused.text(lang),
        )
        .line(ResetMsg::Unfiltered.text(lang))
        .into()),
        Err(err) => Err(bad_input("all", &err, lang).into()),
    }
}

async fn confirm(cx: &Ctx<'_>, id: u64) -> Reply {
    let (caller, lang) = (cx.caller, cx.lang);
    let pending = match cx.pending.peek(id).await {
        Ok(Some(pending)) => {
            typed_into(cx, &pending.filter);
            pending
        }
        Ok(None) => {
            return Reply::new(ReplyKind::Error, ResetMsg::NothingToConfirm.text(lang))
                .line(ResetMsg::ConfirmGone.text(lang));
        }
        Err(err) => return cx.store_refused(&err, caller, id, lang),
    };
    if !caller.same_person(&pending.requester) {
        tracing::warn!(caller = %caller.identity(), requester = %pending.requester.identity(), "refused: confirmation by someone else");
        return Reply::new(ReplyKind::Refused, ResetMsg::NotYoursToConfirm.text(lang)).line(
            ResetMsg::OnlyRequesterConfirms {
                name: &pending.requester.name,
            }
            .text(lang),
        );
    }
    if let Some(refusal) = cx.refuse_unless(CommandName::RESET) {
        return refusal;
    }
    // Single use: whoever takes it runs it (on any replica sharing the store).
    let pending = match cx.pending.take(id).await {
        Ok(Some(pending)) => pending,
        Ok(None) => {
            return Reply::new(ReplyKind::Error, ResetMsg::NothingToConfirm.text(lang))
                .line(ResetMsg::AlreadyConfirmed.text(lang));
        }
        Err(err) => return cx.store_refused(&err, caller, id, lang),
    };
    if pending.expires <= cx.now() {
        audit(
            cx,
            AuditEvent::Expired,
            id,
            &pending.requester,
            &pending,
            None,
        )
        .ok();
        return Reply::new(ReplyKind::Error, ResetMsg::ConfirmationExpired.text(lang))
            .line(ResetMsg::RunResetAgain.text(lang));
    }
    // Fail closed: no reset is sent unless its confirmation is on record.
    if audit(cx, AuditEvent::Confirmed, id, caller, &pending, None).is_err() {
        if let Err(err) = cx.pending.restore(id, &pending, cx.now()).await {
            tracing::error!(%err, "cannot put back a confirmation whose audit failed");
        }
        return audit_unavailable(lang);
    }
    let described = describe_reset(&pending.filter, lang, cx.config().mask_phones);
    let label = pending.task_label.clone();
    let result = cx.client().reset(&pending.filter).await;
    cx.forget_counts(pending.filter.scope().task().as_str());
    match result {
        Ok(outcome) => {
            audit(
                cx,
                AuditEvent::Done,
                id,
                caller,
                &pending,
                Some(outcome.message.clone()),
            )
            .ok();
            let total = pending.preview.total();
            let mut reply = Reply::new(
                ReplyKind::Done,
                ResetMsg::ResetDone {
                    by: &caller.name,
                    task: &label,
                    total,
                }
                .text(lang),
            );
            reply.summary = Some(
                ResetMsg::ByStatusBefore {
                    counts: &describe_summary(&pending.preview, lang),
                }
                .text(lang),
            );
            reply
                .lines
                .push(Msg::FilterLine { filter: &described }.text(lang));
            reply.footer = Some(
                ResetMsg::PlatformFooter {
                    message: &outcome.message,
                }
                .text(lang),
            );
            reply
        }
        Err(err) => {
            // A timeout or a cut connection may have reached the platform: the reset's
            // fate is unknown, not failed.
            let unsure = matches!(
                err,
                agent_core::Error::Timeout { .. }
                    | agent_core::Error::Transport { connect: false, .. }
            ) || matches!(err, agent_core::Error::Http { status, .. } if status >= 500);
            let mut reply = upstream_error(&err, &label, lang);
            let reference = reply.lines.last().cloned().unwrap_or_default();
            audit(
                cx,
                if unsure {
                    AuditEvent::Unknown
                } else {
                    AuditEvent::Failed
                },
                id,
                caller,
                &pending,
                Some(format!("{:?}; {reference}", err.category())),
            )
            .ok();
            reply.title = ResetMsg::ResetFailed.text(lang);
            reply.private = false;
            if unsure {
                reply.title = ResetMsg::ResetOutcomeUnknown.text(lang);
                reply.lines.push(ResetMsg::ResetMaybeApplied.text(lang));
            }
            reply
        }
    }
}

async fn cancel(cx: &Ctx<'_>, id: u64) -> Reply {
    let (caller, lang) = (cx.caller, cx.lang);
    let requester = match cx.pending.peek(id).await {
        Ok(Some(pending)) => {
            typed_into(cx, &pending.filter);
            pending.requester
        }
        Ok(None) => {
            return Reply::new(ReplyKind::Error, ResetMsg::NothingToCancel.text(lang))
                .line(ResetMsg::CancelGone.text(lang));
        }
        Err(err) => return cx.store_refused(&err, caller, id, lang),
    };
    if !caller.same_person(&requester) {
        return Reply::new(ReplyKind::Refused, ResetMsg::NotYoursToCancel.text(lang)).line(
            ResetMsg::OnlyRequesterCancels {
                name: &requester.name,
            }
            .text(lang),
        );
    }
    let pending = match cx.pending.take(id).await {
        Ok(Some(pending)) => pending,
        Ok(None) => return Reply::new(ReplyKind::Error, ResetMsg::NothingToCancel.text(lang)),
        Err(err) => return cx.store_refused(&err, caller, id, lang),
    };
    audit(cx, AuditEvent::Cancelled, id, caller, &pending, None).ok();
    Reply::new(
        ReplyKind::Done,
        ResetMsg::ResetCancelled { by: &caller.name }.text(lang),
    )
}

/// The reply when the audit log cannot be written: nothing is reset unless it is on record.
fn audit_unavailable(lang: Lang) -> Reply {
    Reply::new(ReplyKind::Error, ResetMsg::ResetNotPossible.text(lang))
        .line(Msg::AuditUnavailable.text(lang))
}

/// Writes an audit record: every text in it passes the outbound rule. Fails when the audit
/// file cannot be written (a reset is then not sent).
pub(crate) fn audit(
    services: &Services,
    event: AuditEvent,
    id: u64,
    actor: &Caller,
    pending: &PendingReset,
    outcome: Option<String>,
) -> std::io::Result<()> {
    let out = typed_of(services.outbound(actor), &pending.filter);
    services.audit.record(&AuditRecord {
        at: services.now().to_string(),
        event,
        request: format!("{id:016x}"),
        actor: actor.identity(),
        actor_name: out.text(&actor.name),
        chat: actor.chat_id.clone(),
        task: pending.filter.scope().task().as_str().to_string(),
        filter: out.text(&crate::text::describe_reset(
            &pending.filter,
            Lang::En,
            services.config().mask_phones,
        )),
        matched: pending.preview.total(),
        outcome: outcome.map(|o| out.text(&o)),
    })
}

/// Says to the outbound rule what was typed into a pending reset's `phones:` and `keyword:`.
fn typed_into(cx: &Ctx<'_>, filter: &ResetFilter) {
    for phone in filter.phones() {
        cx.typed(phone);
    }
    if let Some(keyword) = filter.keyword() {
        cx.typed(keyword);
    }
}

/// The rule `outbound` with what was typed into a reset's `phones:` and `keyword:`.
fn typed_of(mut outbound: Outbound, filter: &ResetFilter) -> Outbound {
    for phone in filter.phones() {
        outbound = outbound.typed(phone);
    }
    if let Some(keyword) = filter.keyword() {
        outbound = outbound.typed(keyword);
    }
    outbound
}
