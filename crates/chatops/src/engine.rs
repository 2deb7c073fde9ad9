//! The engine: one place that answers `/numbers`, `/reset`, `/help` and button presses for every
//! transport.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use agent_core::{AgentClient, CallStatus, ResetFilter, StatusGroup, StatusSummary};
use jiff::Timestamp;
use secrecy::ExposeSecret;

use crate::access::{Caller, Role, chat_key_covers};
use crate::audit::{AuditEvent, AuditLog, AuditRecord};
use crate::command::{self, CommandName, Invocation};
use crate::config::EngineConfig;
use crate::i18n::Lang;
use crate::reply::{Reply, ReplyKind};
use crate::token::{ActionToken, PageState, Signer};

/// Where the engine reads the time (tests move it).
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// A reset waiting for its requester's confirmation.
#[derive(Debug, Clone)]
pub(crate) struct PendingReset {
    pub(crate) requester: Caller,
    pub(crate) filter: ResetFilter,
    pub(crate) task_label: String,
    pub(crate) preview: StatusSummary,
    pub(crate) expires: Timestamp,
}

/// Time spent in one command, split between the engine and the platform.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timings {
    /// From the command to the reply.
    pub total: Duration,
    /// Waiting for the platform (wall time of the upstream calls).
    pub upstream: Duration,
}

impl Timings {
    /// The engine's own time: total minus upstream.
    pub fn overhead(&self) -> Duration {
        self.total.saturating_sub(self.upstream)
    }
}

/// The chat-ops engine. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) client: AgentClient,
    pub(crate) config: EngineConfig,
    pub(crate) signer: Signer,
    pub(crate) audit: AuditLog,
    pub(crate) clock: Clock,
    pub(crate) pending: Mutex<HashMap<u64, PendingReset>>,
    pub(crate) stored_pages: Mutex<HashMap<u64, (PageState, Timestamp)>>,
    pub(crate) summaries: Mutex<HashMap<String, (Instant, StatusSummary)>>,
}

/// Locks a mutex, recovering from a panic elsewhere (the data stay usable).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// A random id for pending resets and stored pages.
pub(crate) fn random_id() -> u64 {
    let mut bytes = [0u8; 8];
    let rng = ring::rand::SystemRandom::new();
    if ring::rand::SecureRandom::fill(&rng, &mut bytes).is_err() {
        return fastrand::u64(..);
    }
    u64::from_le_bytes(bytes)
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("client", &self.inner.client)
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine over a client, with the system clock.
    pub fn new(client: AgentClient, config: EngineConfig) -> Self {
        Self::with_clock(client, config, Arc::new(Timestamp::now))
    }

    /// An engine with its own clock (tests).
    pub fn with_clock(client: AgentClient, config: EngineConfig, clock: Clock) -> Self {
        let signer = Signer::new(config.secret.expose_secret().as_bytes());
        let audit = AuditLog::new(config.audit_log.as_deref());
        Self {
            inner: Arc::new(Inner {
                client,
                config,
                signer,
                audit,
                clock,
                pending: Mutex::new(HashMap::new()),
                stored_pages: Mutex::new(HashMap::new()),
                summaries: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// The platform client.
    pub fn client(&self) -> &AgentClient {
        &self.inner.client
    }

    /// The audit log.
    pub fn audit_log(&self) -> &AuditLog {
        &self.inner.audit
    }

    pub(crate) fn now(&self) -> Timestamp {
        (self.inner.clock)()
    }

    /// The language to answer this caller in: their locale when known, else the configured one.
    pub fn lang_for(&self, caller: &Caller) -> Lang {
        caller
            .locale
            .as_deref()
            .and_then(Lang::from_locale)
            .unwrap_or(self.inner.config.language)
    }

    /// Answers a command line (`/numbers task:demo status:busy`).
    pub async fn handle_text(&self, caller: &Caller, text: &str) -> Reply {
        match command::parse(text) {
            Ok(invocation) => self.handle(caller, invocation).await,
            Err(err) => {
                let lang = self.lang_for(caller);
                Reply::new(
                    ReplyKind::Error,
                    lang.pick("Cannot read that command", "无法识别该命令"),
                )
                .line(err.to_string())
            }
        }
    }

    /// Answers a parsed command.
    pub async fn handle(&self, caller: &Caller, invocation: Invocation) -> Reply {
        self.handle_timed(caller, invocation).await.0
    }

    /// Answers a parsed command and says where the time went.
    pub async fn handle_timed(&self, caller: &Caller, invocation: Invocation) -> (Reply, Timings) {
        let started = Instant::now();
        let mut upstream = Duration::ZERO;
        self.sweep_expired();
        let lang = self.lang_for(caller);
        let reply = match invocation.name {
            CommandName::Help => self.help(caller),
            CommandName::Numbers => {
                self.numbers_command(caller, &invocation, lang, &mut upstream)
                    .await
            }
            CommandName::Reset => {
                self.reset_command(caller, &invocation, lang, &mut upstream)
                    .await
            }
        };
        (
            reply,
            Timings {
                total: started.elapsed(),
                upstream,
            },
        )
    }

    /// Answers a button press: `data` is the action's signed token. Authorization is checked
    /// again on every press.
    pub async fn press(&self, caller: &Caller, data: &str) -> Reply {
        let reply = self.press_inner(caller, data).await;
        // After the press, so that a late confirmation is told it expired.
        self.sweep_expired();
        reply
    }

    async fn press_inner(&self, caller: &Caller, data: &str) -> Reply {
        let lang = self.lang_for(caller);
        let token = match self.inner.signer.verify(data) {
            Ok(token) => token,
            Err(err) => {
                tracing::warn!(caller = %caller.identity(), %err, "refused an action");
                return Reply::new(
                    ReplyKind::Refused,
                    lang.pick("Action refused", "操作被拒绝"),
                )
                .line(lang.pick(
                    "This button was not made by this bot, or it was altered.",
                    "该按钮不是本机器人生成的，或已被篡改。",
                ));
            }
        };
        let mut upstream = Duration::ZERO;
        match token {
            ActionToken::Page(state) => self.page_press(caller, state, lang, &mut upstream).await,
            ActionToken::StoredPage(id) => {
                let state = lock(&self.inner.stored_pages)
                    .get(&id)
                    .map(|(s, _)| s.clone());
                match state {
                    Some(state) => self.page_press(caller, state, lang, &mut upstream).await,
                    None => Reply::new(
                        ReplyKind::Error,
                        lang.pick("This page has expired", "该页面已过期"),
                    )
                    .line(lang.pick("Run /numbers again.", "请重新执行 /numbers。")),
                }
            }
            ActionToken::Confirm(id) => self.confirm(caller, id, lang).await,
            ActionToken::Cancel(id) => self.cancel(caller, id, lang),
        }
    }

    async fn page_press(
        &self,
        caller: &Caller,
        state: PageState,
        lang: Lang,
        upstream: &mut Duration,
    ) -> Reply {
        if let Some(refusal) = self.refuse_unless(caller, Role::Viewer, lang) {
            return refusal;
        }
        self.show_page(state, lang, upstream).await
    }

    /// The refusal reply when the caller lacks `role`.
    pub(crate) fn refuse_unless(&self, caller: &Caller, role: Role, lang: Lang) -> Option<Reply> {
        if self.inner.config.access.allows(caller, role) {
            return None;
        }
        tracing::warn!(caller = %caller.identity(), needed = role.as_str(), "refused: not authorized");
        let what = match role {
            Role::Viewer => lang.pick("list numbers", "查看号码"),
            Role::Operator => lang.pick("reset numbers", "重置号码"),
        };
        let text = match lang {
            Lang::En => format!(
                "You ({}) may not {what}: ask an admin for the {} role.",
                caller.identity(),
                role.as_str()
            ),
            Lang::Zh => format!(
                "你（{}）没有{what}的权限，请联系管理员授予 {} 角色。",
                caller.identity(),
                role.as_str()
            ),
        };
        Some(Reply::new(ReplyKind::Refused, lang.pick("Not allowed", "无权限")).line(text))
    }

    /// What every command checks first: the caller's role, then the task it names (or the
    /// chat's default). Returns `(task id, label)`, or the refusal or error to answer.
    pub(crate) fn authorize_task(
        &self,
        caller: &Caller,
        invocation: &Invocation,
        role: Role,
        lang: Lang,
    ) -> Result<(String, String), Box<Reply>> {
        if let Some(refusal) = self.refuse_unless(caller, role, lang) {
            return Err(Box::new(refusal));
        }
        self.resolve_task(
            caller,
            invocation.get(crate::command::OptionKey::Task),
            lang,
        )
    }

    /// Resolves a task alias or id, or the chat's default task. Returns `(task id, label)`.
    pub(crate) fn resolve_task(
        &self,
        caller: &Caller,
        given: Option<&str>,
        lang: Lang,
    ) -> Result<(String, String), Box<Reply>> {
        let config = &self.inner.config;
        let wanted = match given {
            Some(task) => task.to_string(),
            None => match config
                .default_tasks
                .iter()
                .find(|(key, _)| chat_key_covers(key, caller))
            {
                Some((_, task)) => task.clone(),
                None => {
                    let known = self.task_aliases().join(", ");
                    let text = match lang {
                        Lang::En => {
                            format!("Which task? Add task:<alias or id> (aliases: {known}).")
                        }
                        Lang::Zh => format!("请指定任务：task:<别名或 id>（别名：{known}）。"),
                    };
                    return Err(Box::new(
                        Reply::new(ReplyKind::Error, lang.pick("No task", "缺少任务")).line(text),
                    ));
                }
            },
        };
        if let Some(id) = config.tasks.get(&wanted.to_lowercase()) {
            return Ok((id.clone(), wanted.to_lowercase()));
        }
        match agent_core::Id::task(&wanted) {
            Ok(id) => Ok((id.as_str().to_string(), self.task_label(id.as_str()))),
            Err(_) => {
                let known = self.task_aliases().join(", ");
                let text = match lang {
                    Lang::En => {
                        format!("`{wanted}` is neither a task alias ({known}) nor a task id.")
                    }
                    Lang::Zh => format!("`{wanted}` 既不是任务别名（{known}），也不是任务 id。"),
                };
                Err(Box::new(
                    Reply::new(ReplyKind::Error, lang.pick("Unknown task", "未知任务")).line(text),
                ))
            }
        }
    }

    /// The alias of a task id, or a shortened id.
    pub(crate) fn task_label(&self, task_id: &str) -> String {
        self.inner
            .config
            .tasks
            .iter()
            .find(|(_, id)| id.as_str() == task_id)
            .map(|(alias, _)| alias.clone())
            .unwrap_or_else(|| task_id.to_string())
    }

    /// The configured aliases.
    pub fn task_aliases(&self) -> Vec<String> {
        self.inner.config.tasks.keys().cloned().collect()
    }

    /// Task aliases starting with `prefix` (Discord's autocomplete): `(alias, task id)`.
    pub fn complete_task(&self, prefix: &str) -> Vec<(String, String)> {
        let prefix = prefix.trim().to_lowercase();
        self.inner
            .config
            .tasks
            .iter()
            .filter(|(alias, id)| alias.starts_with(&prefix) || id.starts_with(&prefix))
            .take(25)
            .map(|(alias, id)| (alias.clone(), id.clone()))
            .collect()
    }

    /// Statuses and groups matching what is typed so far (Discord's autocomplete). The last
    /// item of a comma-separated list is completed; `(label, value)`.
    pub fn complete_status(&self, typed: &str, lang: Lang) -> Vec<(String, String)> {
        let (done, last) = match typed.rfind(',') {
            Some(at) => (&typed[..=at], typed[at + 1..].trim()),
            None => ("", typed.trim()),
        };
        let last = last.to_lowercase();
        let groups = StatusGroup::ALL
            .iter()
            .map(|g| (lang.group(*g).to_string(), g.name().to_string()));
        let statuses = agent_core::status::ALL_STATUSES.iter().map(|s| {
            (
                format!("{} {}", s.code(), lang.status(*s)),
                s.name_en().to_string(),
            )
        });
        groups
            .chain(statuses)
            .filter(|(label, value)| {
                last.is_empty() || value.starts_with(&last) || label.to_lowercase().contains(&last)
            })
            .take(25)
            .map(|(label, value)| (format!("{done}{label}"), format!("{done}{value}")))
            .collect()
    }

    /// Forgets pending resets whose time is up, auditing each as expired; returns how many.
    /// Runs at every command and press; transports may also call it on a timer.
    pub fn sweep_expired(&self) -> usize {
        let now = self.now();
        let expired: Vec<(u64, PendingReset)> = {
            let mut pending = lock(&self.inner.pending);
            let ids: Vec<u64> = pending
                .iter()
                .filter(|(_, p)| p.expires <= now)
                .map(|(id, _)| *id)
                .collect();
            ids.into_iter()
                .filter_map(|id| pending.remove(&id).map(|p| (id, p)))
                .collect()
        };
        for (id, pending) in &expired {
            self.audit(AuditEvent::Expired, *id, &pending.requester, pending, None);
        }
        lock(&self.inner.stored_pages).retain(|_, (_, expires)| *expires > now);
        expired.len()
    }

    /// Writes an audit record.
    pub(crate) fn audit(
        &self,
        event: AuditEvent,
        id: u64,
        actor: &Caller,
        pending: &PendingReset,
        outcome: Option<String>,
    ) {
        self.inner.audit.record(&AuditRecord {
            at: self.now().to_string(),
            event,
            request: format!("{id:016x}"),
            actor: actor.identity(),
            actor_name: actor.name.clone(),
            chat: actor.chat_id.clone(),
            task: pending.filter.task().as_str().to_string(),
            filter: crate::text::describe_reset(
                &pending.filter,
                Lang::En,
                self.inner.config.mask_phones,
            ),
            matched: pending.preview.total(),
            outcome,
        });
    }

    /// The help reply.
    pub fn help(&self, caller: &Caller) -> Reply {
        let lang = self.lang_for(caller);
        let role = self
            .inner
            .config
            .access
            .role_of(caller)
            .map_or(lang.pick("none", "无"), |r| r.as_str());
        let aliases = self.task_aliases();
        let groups: Vec<String> = StatusGroup::ALL
            .iter()
            .map(|g| format!("{} ({})", g.name(), g.description()))
            .collect();
        let statuses: Vec<String> = agent_core::status::ALL_STATUSES
            .iter()
            .map(|s: &CallStatus| format!("{} {} {}", s.code(), s.name_en(), s.label_zh()))
            .collect();
        let mut reply = Reply::new(
            ReplyKind::Info,
            lang.pick("agent-ops: what I understand", "agent-ops 使用说明"),
        );
        let lines = match lang {
            Lang::En => vec![
                "/numbers task:<task> [status:<list>] [from:<time>] [to:<time>] [page:<n>] [sub:<sub-account>]".to_string(),
                "    a page of the task's numbers, with counts per status".to_string(),
                "/reset task:<task> [status:<list>] [phones:<list>] [keyword:<k>] [from:..] [to:..] [all]".to_string(),
                "    previews, then after your confirmation puts the numbers back to waiting; without a filter, say `all`".to_string(),
                "/help  this text".to_string(),
                format!("Tasks: {}", if aliases.is_empty() { "(no aliases; use task ids)".to_string() } else { aliases.join(", ") }),
                format!("Statuses: {}", statuses.join(", ")),
                format!("Groups: {}", groups.join("; ")),
                format!("Times: {}", agent_core::time::ACCEPTED_TIMES),
                format!("You are {} (role: {role}).", caller.identity()),
            ],
            Lang::Zh => vec![
                "/numbers task:<任务> [status:<状态列表>] [from:<时间>] [to:<时间>] [page:<页码>] [sub:<子账户>]".to_string(),
                "    查看任务号码（分页），并按状态计数".to_string(),
                "/reset task:<任务> [status:<状态列表>] [phones:<号码列表>] [keyword:<关键词>] [from:..] [to:..] [all]".to_string(),
                "    先预览，确认后将号码恢复为等待呼叫；不带筛选条件时须明确写 all".to_string(),
                "/help  本说明".to_string(),
                format!("任务：{}", if aliases.is_empty() { "（未配置别名，请使用任务 id）".to_string() } else { aliases.join("、") }),
                format!("状态：{}", statuses.join("，")),
                format!("分组：{}", StatusGroup::ALL.iter().map(|g| format!("{} {}", g.name(), g.name_zh())).collect::<Vec<_>>().join("，")),
                format!("时间格式：{}", agent_core::time::ACCEPTED_TIMES),
                format!("你是 {}（角色：{role}）。", caller.identity()),
            ],
        };
        reply.lines = lines;
        reply
    }
}
