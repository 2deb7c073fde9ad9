//! `/reset`: a preview with counts per status, then Confirm (only by the requester, before the
//! confirmation expires, once) or Cancel.

use std::time::{Duration, Instant};

use agent_core::phone::parse_phone_list;
use agent_core::{FilterError, ResetFilter, Scope, StatusSet, TimeRange};
use jiff::tz::TimeZone;

use crate::access::Caller;
use crate::audit::AuditEvent;
use crate::command::{CommandName, Invocation, OptionKey};
use crate::engine::{Engine, Progress, ProgressUpdate, random_id, store_failed};
use crate::i18n::Lang;
use crate::messages::Msg;
use crate::reply::{Action, ActionStyle, Reply, ReplyKind};
use crate::state::PendingReset;
use crate::text::{bad_input, describe_reset, describe_summary, upstream_error};
use crate::token::ActionToken;

impl Engine {
    pub(crate) async fn reset_command(
        &self,
        caller: &Caller,
        invocation: &Invocation,
        lang: Lang,
        upstream: &mut Duration,
        progress: Option<&Progress>,
    ) -> Reply {
        let (task, label) = match self.authorize_task(caller, invocation, lang) {
            Ok(task) => task,
            Err(reply) => return *reply,
        };
        let filter = match self.reset_filter(&task, invocation, lang) {
            Ok(filter) => filter,
            Err(reply) => return *reply,
        };
        let started = Instant::now();
        // A preview that scans the task (phones, keyword) has a deadline; a partial count is
        // never offered for confirmation.
        let deadline = self.config().preview_deadline;
        let every = self.config().progress_every;
        let mut last_report = Instant::now();
        let report = |scanned: u64, total: u64| {
            if let Some(sink) = progress
                && last_report.elapsed() >= every
            {
                last_report = Instant::now();
                sink(ProgressUpdate {
                    done: scanned,
                    total,
                    reply: Reply::new(ReplyKind::Info, Msg::Counting.text(lang)).line(
                        Msg::CountingProgress {
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
            self.client().reset_preview_with_progress(&filter, report),
        )
        .await;
        *upstream += started.elapsed();
        let preview = match preview {
            Ok(Ok(preview)) => preview,
            Ok(Err(err)) => return upstream_error(&err, &label, lang),
            Err(_) => {
                return Reply::new(ReplyKind::Error, Msg::PreviewTooSlow.text(lang)).line(
                    Msg::PreviewDeadline {
                        seconds: deadline.as_secs(),
                    }
                    .text(lang),
                );
            }
        };
        let described = describe_reset(&filter, lang, self.config().mask_phones);
        if preview.total() == 0 {
            return Reply::new(ReplyKind::Done, Msg::NothingToReset.text(lang)).line(
                Msg::NoMatch {
                    task: &label,
                    filter: &described,
                }
                .text(lang),
            );
        }

        let Ok(id) = random_id() else {
            tracing::error!("no system randomness: cannot make a confirmation id");
            return audit_unavailable(lang);
        };
        let now = self.now();
        let ttl = self.config().confirm_ttl;
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
        if let Err(err) = self.inner.pending.insert(id, &pending, now).await {
            return store_failed(&err, lang);
        }
        if self
            .audit(AuditEvent::Requested, id, caller, &pending, None)
            .is_err()
        {
            if let Err(err) = self.inner.pending.take(id).await {
                tracing::error!(%err, "cannot withdraw a confirmation whose audit failed");
            }
            return audit_unavailable(lang);
        }

        let total = preview.total();
        let mut reply = Reply::new(
            ReplyKind::Preview,
            Msg::PreviewTitle {
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
            Msg::ConfirmWithin {
                name: &caller.name,
                minutes,
                until: &expires_at.to_string(),
            }
            .text(lang),
        );
        let signer = &self.inner.signer;
        for (token, label, style) in [
            (
                ActionToken::Confirm(id),
                Msg::ConfirmButton,
                ActionStyle::Danger,
            ),
            (
                ActionToken::Cancel(id),
                Msg::CancelButton,
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
        reply
    }

    fn reset_filter(
        &self,
        task: &str,
        invocation: &Invocation,
        lang: Lang,
    ) -> Result<ResetFilter, Box<Reply>> {
        let task = agent_core::Id::task(task).map_err(|e| Box::new(bad_input("task", &e, lang)))?;
        let mut scope = Scope::new(task);
        if let Some(text) = invocation.get(OptionKey::Status) {
            let statuses =
                StatusSet::parse_list(text).map_err(|e| Box::new(bad_input("status", &e, lang)))?;
            scope = scope.with_statuses(statuses);
        }
        let now = self
            .now()
            .to_zoned(TimeZone::fixed(agent_core::time::CHINA_OFFSET))
            .datetime();
        let range = TimeRange::parse(
            invocation.get(OptionKey::From),
            invocation.get(OptionKey::To),
            now,
        )
        .map_err(|e| Box::new(bad_input("from/to", &e, lang)))?;
        let scope = scope.with_range(range);
        let mut filter = if invocation.flag(OptionKey::All) {
            ResetFilter::everything(scope)
        } else {
            ResetFilter::new(scope)
        };
        if let Some(text) = invocation.get(OptionKey::Phones) {
            let phones =
                parse_phone_list(text).map_err(|e| Box::new(bad_input("phones", &e, lang)))?;
            filter = filter
                .with_phones(phones)
                .map_err(|e| Box::new(bad_input("phones", &e, lang)))?;
        }
        if let Some(keyword) = invocation.get(OptionKey::Keyword) {
            filter = filter
                .with_keyword(keyword)
                .map_err(|e| Box::new(bad_input("keyword", &e, lang)))?;
        }
        if let Some(sub) = invocation.get(OptionKey::Sub) {
            let sub = self.allowed_sub(sub, lang)?;
            filter = filter.map_scope(|scope| scope.with_sub_account(Some(sub)));
        }
        match filter.check() {
            Ok(()) => Ok(filter),
            Err(FilterError::Unfiltered) => Err(Box::new(
                Reply::new(ReplyKind::Refused, Msg::ResetRefused.text(lang))
                    .line(Msg::Unfiltered.text(lang)),
            )),
            Err(err) => Err(Box::new(bad_input("all", &err, lang))),
        }
    }

    pub(crate) async fn confirm(&self, caller: &Caller, id: u64, lang: Lang) -> Reply {
        let pending = match self.inner.pending.peek(id).await {
            Ok(Some(pending)) => pending,
            Ok(None) => {
                return Reply::new(ReplyKind::Error, Msg::NothingToConfirm.text(lang))
                    .line(Msg::ConfirmGone.text(lang));
            }
            Err(err) => return self.store_refused(&err, caller, id, lang),
        };
        if !caller.same_person(&pending.requester) {
            tracing::warn!(caller = %caller.identity(), requester = %pending.requester.identity(), "refused: confirmation by someone else");
            return Reply::new(ReplyKind::Refused, Msg::NotYoursToConfirm.text(lang)).line(
                Msg::OnlyRequesterConfirms {
                    name: &pending.requester.name,
                }
                .text(lang),
            );
        }
        if let Some(refusal) = self.refuse_unless(caller, CommandName::Reset, lang) {
            return refusal;
        }
        // Single use: whoever takes it runs it (on any replica sharing the store).
        let pending = match self.inner.pending.take(id).await {
            Ok(Some(pending)) => pending,
            Ok(None) => {
                return Reply::new(ReplyKind::Error, Msg::NothingToConfirm.text(lang))
                    .line(Msg::AlreadyConfirmed.text(lang));
            }
            Err(err) => return self.store_refused(&err, caller, id, lang),
        };
        if pending.expires <= self.now() {
            self.audit(AuditEvent::Expired, id, &pending.requester, &pending, None)
                .ok();
            return Reply::new(ReplyKind::Error, Msg::ConfirmationExpired.text(lang))
                .line(Msg::RunResetAgain.text(lang));
        }
        // Fail closed: no reset is sent unless its confirmation is on record.
        if self
            .audit(AuditEvent::Confirmed, id, caller, &pending, None)
            .is_err()
        {
            if let Err(err) = self.inner.pending.restore(id, &pending, self.now()).await {
                tracing::error!(%err, "cannot put back a confirmation whose audit failed");
            }
            return audit_unavailable(lang);
        }
        let described = describe_reset(&pending.filter, lang, self.config().mask_phones);
        let label = pending.task_label.clone();
        let result = self.client().reset(&pending.filter).await;
        self.forget_counts(pending.filter.scope().task().as_str());
        match result {
            Ok(outcome) => {
                self.audit(
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
                    Msg::ResetDone {
                        by: &caller.name,
                        task: &label,
                        total,
                    }
                    .text(lang),
                );
                reply.summary = Some(
                    Msg::ByStatusBefore {
                        counts: &describe_summary(&pending.preview, lang),
                    }
                    .text(lang),
                );
                reply
                    .lines
                    .push(Msg::FilterLine { filter: &described }.text(lang));
                reply.footer = Some(
                    Msg::PlatformFooter {
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
                self.audit(
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
                reply.title = Msg::ResetFailed.text(lang);
                reply.private = false;
                if unsure {
                    reply.title = Msg::ResetOutcomeUnknown.text(lang);
                    reply.lines.push(Msg::ResetMaybeApplied.text(lang));
                }
                reply
            }
        }
    }

    pub(crate) async fn cancel(&self, caller: &Caller, id: u64, lang: Lang) -> Reply {
        let requester = match self.inner.pending.peek(id).await {
            Ok(Some(pending)) => pending.requester,
            Ok(None) => {
                return Reply::new(ReplyKind::Error, Msg::NothingToCancel.text(lang))
                    .line(Msg::CancelGone.text(lang));
            }
            Err(err) => return self.store_refused(&err, caller, id, lang),
        };
        if !caller.same_person(&requester) {
            return Reply::new(ReplyKind::Refused, Msg::NotYoursToCancel.text(lang)).line(
                Msg::OnlyRequesterCancels {
                    name: &requester.name,
                }
                .text(lang),
            );
        }
        let pending = match self.inner.pending.take(id).await {
            Ok(Some(pending)) => pending,
            Ok(None) => return Reply::new(ReplyKind::Error, Msg::NothingToCancel.text(lang)),
            Err(err) => return self.store_refused(&err, caller, id, lang),
        };
        self.audit(AuditEvent::Cancelled, id, caller, &pending, None)
            .ok();
        Reply::new(
            ReplyKind::Done,
            Msg::ResetCancelled { by: &caller.name }.text(lang),
        )
    }
}

/// The reply when the audit log cannot be written: nothing is reset unless it is on record.
fn audit_unavailable(lang: Lang) -> Reply {
    Reply::new(ReplyKind::Error, Msg::ResetNotPossible.text(lang))
        .line(Msg::AuditUnavailable.text(lang))
}
