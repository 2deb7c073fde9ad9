//! `/reset`: a preview with counts per status, then Confirm (only by the requester, before the
//! confirmation expires, once) or Cancel.

use std::time::{Duration, Instant};

use agent_core::phone::parse_phone_list;
use agent_core::{FilterError, ResetFilter, Scope, StatusSet, TimeRange};
use jiff::tz::TimeZone;

use crate::access::Caller;
use crate::audit::AuditEvent;
use crate::command::{CommandName, Invocation, OptionKey};
use crate::engine::{Engine, Progress, ProgressUpdate, random_id};
use crate::i18n::Lang;
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
                    reply: Reply::new(
                        ReplyKind::Info,
                        lang.pick("Counting the numbers to reset…", "正在统计待重置的号码…"),
                    )
                    .line(match lang {
                        Lang::En => format!("Task {label}: {scanned} of {total} numbers checked."),
                        Lang::Zh => format!("任务 {label}：已检查 {scanned} / {total} 个号码。"),
                    }),
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
                return Reply::new(
                    ReplyKind::Error,
                    lang.pick("The preview took too long", "预览超时"),
                )
                .line(match lang {
                    Lang::En => format!(
                        "Counting the numbers to reset did not finish within {} s, so nothing can be confirmed. Narrow the filter (status:, from:, to:) and try again.",
                        deadline.as_secs()
                    ),
                    Lang::Zh => format!(
                        "统计待重置号码未能在 {} 秒内完成，因此无法确认。请缩小筛选范围（status:、from:、to:）后重试。",
                        deadline.as_secs()
                    ),
                });
            }
        };
        let described = describe_reset(&filter, lang, self.config().mask_phones);
        if preview.total() == 0 {
            return Reply::new(ReplyKind::Done, lang.pick("Nothing to reset", "无需重置")).line(
                match lang {
                    Lang::En => format!("No number of task {label} matches {described}."),
                    Lang::Zh => format!("任务 {label} 中没有符合 {described} 的号码。"),
                },
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
        if self
            .audit(AuditEvent::Requested, id, caller, &pending, None)
            .is_err()
        {
            return audit_unavailable(lang);
        }
        self.inner.pending.insert(id, pending);

        let total = preview.total();
        let mut reply = Reply::new(
            ReplyKind::Preview,
            match lang {
                Lang::En => format!(
                    "Reset preview · task {label}: {total} numbers would go back to waiting"
                ),
                Lang::Zh => format!("重置预览 · 任务 {label}：{total} 个号码将恢复为等待呼叫"),
            },
        );
        reply.summary = Some(format!(
            "{}: {}",
            lang.pick("By status", "按状态"),
            describe_summary(&preview, lang)
        ));
        reply
            .lines
            .push(format!("{}: {described}", lang.pick("Filter", "筛选条件")));
        let expires_at = expires
            .to_zoned(TimeZone::fixed(agent_core::time::CHINA_OFFSET))
            .strftime("%H:%M:%S");
        let minutes = ttl.as_secs().div_ceil(60);
        reply.footer = Some(match lang {
            Lang::En => format!(
                "Only {} can confirm, within {minutes} min (until {expires_at} China time).",
                caller.name
            ),
            Lang::Zh => format!(
                "仅 {} 可在 {minutes} 分钟内（北京时间 {expires_at} 前）确认。",
                caller.name
            ),
        });
        let signer = &self.inner.signer;
        for (token, label, style) in [
            (
                ActionToken::Confirm(id),
                lang.pick("Confirm reset", "确认重置"),
                ActionStyle::Danger,
            ),
            (
                ActionToken::Cancel(id),
                lang.pick("Cancel", "取消"),
                ActionStyle::Secondary,
            ),
        ] {
            if let Ok(data) = signer.sign(&token) {
                reply.actions.push(Action {
                    label: label.to_string(),
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
            Err(FilterError::Unfiltered) => Err(Box::new(Reply::new(ReplyKind::Refused, lang.pick("Reset refused", "拒绝重置")).line(
                lang.pick(
                    "Without a filter this would reset every number of the task. Add status:, phones:, keyword:, from: or to:, or say `all` to reset the whole task.",
                    "不带筛选条件将重置该任务的全部号码。请添加 status:、phones:、keyword:、from: 或 to:，或明确写 all 以重置整个任务。",
                ),
            ))),
            Err(err) => Err(Box::new(bad_input("all", &err, lang))),
        }
    }

    pub(crate) async fn confirm(&self, caller: &Caller, id: u64, lang: Lang) -> Reply {
        let Some(pending) = self.inner.pending.peek(id) else {
            return Reply::new(ReplyKind::Error, lang.pick("Nothing to confirm", "没有待确认的重置")).line(lang.pick(
                "This reset was already confirmed, cancelled or expired; run /reset again if needed.",
                "该重置已被确认、取消或已过期；如有需要请重新执行 /reset。",
            ));
        };
        if !caller.same_person(&pending.requester) {
            tracing::warn!(caller = %caller.identity(), requester = %pending.requester.identity(), "refused: confirmation by someone else");
            return Reply::new(
                ReplyKind::Refused,
                lang.pick("Not yours to confirm", "无法确认他人的重置"),
            )
            .line(match lang {
                Lang::En => format!(
                    "Only {}, who asked for this reset, can confirm it.",
                    pending.requester.name
                ),
                Lang::Zh => format!("只有发起人 {} 可以确认此重置。", pending.requester.name),
            });
        }
        if let Some(refusal) = self.refuse_unless(caller, CommandName::Reset, lang) {
            return refusal;
        }
        // Single use: whoever takes it runs it.
        let Some(pending) = self.inner.pending.take(id) else {
            return Reply::new(
                ReplyKind::Error,
                lang.pick("Nothing to confirm", "没有待确认的重置"),
            )
            .line(lang.pick("This reset was already confirmed.", "该重置已被确认。"));
        };
        if pending.expires <= self.now() {
            self.audit(AuditEvent::Expired, id, &pending.requester, &pending, None)
                .ok();
            return Reply::new(
                ReplyKind::Error,
                lang.pick("Confirmation expired", "确认已过期"),
            )
            .line(lang.pick("Run /reset again.", "请重新执行 /reset。"));
        }
        // Fail closed: no reset is sent unless its confirmation is on record.
        if self
            .audit(AuditEvent::Confirmed, id, caller, &pending, None)
            .is_err()
        {
            self.inner.pending.restore(id, pending);
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
                    match lang {
                        Lang::En => format!(
                            "Reset done by {}: task {label}, {total} numbers back to waiting",
                            caller.name
                        ),
                        Lang::Zh => format!(
                            "{} 已完成重置：任务 {label}，{total} 个号码恢复为等待呼叫",
                            caller.name
                        ),
                    },
                );
                reply.summary = Some(format!(
                    "{}: {}",
                    lang.pick("By status before the reset", "重置前按状态"),
                    describe_summary(&pending.preview, lang)
                ));
                reply
                    .lines
                    .push(format!("{}: {described}", lang.pick("Filter", "筛选条件")));
                reply.footer = Some(format!(
                    "{}: {}",
                    lang.pick("Platform", "平台"),
                    outcome.message
                ));
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
                reply.title = lang.pick("Reset failed", "重置失败").to_string();
                reply.private = false;
                if unsure {
                    reply.title = lang
                        .pick("Reset outcome unknown", "重置结果未知")
                        .to_string();
                    reply.lines.push(lang.pick(
                        "The reset may or may not have been applied: check with /numbers before trying again.",
                        "无法确定重置是否已生效：请先用 /numbers 查看，再决定是否重试。",
                    ).to_string());
                }
                reply
            }
        }
    }

    pub(crate) fn cancel(&self, caller: &Caller, id: u64, lang: Lang) -> Reply {
        let requester = self.inner.pending.peek(id).map(|p| p.requester);
        let Some(requester) = requester else {
            return Reply::new(
                ReplyKind::Error,
                lang.pick("Nothing to cancel", "没有可取消的重置"),
            )
            .line(lang.pick(
                "This reset was already confirmed, cancelled or expired.",
                "该重置已被确认、取消或已过期。",
            ));
        };
        if !caller.same_person(&requester) {
            return Reply::new(
                ReplyKind::Refused,
                lang.pick("Not yours to cancel", "无法取消他人的重置"),
            )
            .line(match lang {
                Lang::En => format!(
                    "Only {}, who asked for this reset, can cancel it.",
                    requester.name
                ),
                Lang::Zh => format!("只有发起人 {} 可以取消此重置。", requester.name),
            });
        }
        let Some(pending) = self.inner.pending.take(id) else {
            return Reply::new(
                ReplyKind::Error,
                lang.pick("Nothing to cancel", "没有可取消的重置"),
            );
        };
        self.audit(AuditEvent::Cancelled, id, caller, &pending, None)
            .ok();
        Reply::new(
            ReplyKind::Done,
            match lang {
                Lang::En => format!("Reset cancelled by {}: nothing was changed", caller.name),
                Lang::Zh => format!("{} 已取消重置：未做任何更改", caller.name),
            },
        )
    }
}

/// The reply when the audit log cannot be written: nothing is reset unless it is on record.
fn audit_unavailable(lang: Lang) -> Reply {
    Reply::new(
        ReplyKind::Error,
        lang.pick("Reset not possible now", "暂时无法重置"),
    )
    .line(lang.pick(
        "The audit log cannot be written, and no reset is made without a record: nothing was changed. Ask an admin to check the audit file.",
        "无法写入审计日志，而没有记录的重置一律不执行：未做任何更改。请联系管理员检查审计文件。",
    ))
}
