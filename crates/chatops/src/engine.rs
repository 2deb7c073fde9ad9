//! The engine: one place that answers `/numbers`, `/reset`, `/help` and button presses for every
//! transport.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use agent_core::{AgentClient, CallStatus, ResetFilter, StatusGroup};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use jiff::Timestamp;
use secrecy::ExposeSecret;
use tokio_util::task::{TaskTracker, task_tracker::TaskTrackerToken};

use crate::access::{Caller, Role, chat_key_covers};
use crate::audit::{AuditEvent, AuditLog, AuditRecord};
use crate::command::{self, CommandName, Invocation, OptionKey};
use crate::config::EngineConfig;
use crate::i18n::Lang;
use crate::outbound::Outbound;
use crate::reply::{Reply, ReplyKind};
use crate::state::{PageStore, PendingReset, PendingResets, SummaryCache};
use crate::token::{ActionToken, PageState, Signer};

/// Where the engine reads the time (tests move it).
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// How long counts per status are reused while someone pages through the same filter.
const SUMMARY_TTL: Duration = Duration::from_secs(30);

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

/// How far long work is, for transports that show it (an edited message, a progress bar).
#[derive(Debug, Clone)]
pub struct ProgressUpdate {
    /// Done so far (numbers scanned).
    pub done: u64,
    /// Out of.
    pub total: u64,
    /// The progress as a reply, already through the outbound rule.
    pub reply: Reply,
}

/// Where long work reports its progress, about every `progress_every`.
pub type Progress = Arc<dyn Fn(ProgressUpdate) + Send + Sync>;

/// What [`Engine::shutdown`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shutdown {
    /// Whether every command in flight finished within the grace period.
    pub drained: bool,
    /// Pending confirmations audited as expired.
    pub expired: usize,
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
    pub(crate) pending: PendingResets,
    pub(crate) pages: PageStore,
    pub(crate) summaries: SummaryCache,
    limiter: Option<DefaultKeyedRateLimiter<String>>,
    tracker: TaskTracker,
    closing: AtomicBool,
}

/// A random id for pending resets and stored pages, from the system's secure generator.
pub(crate) fn random_id() -> Result<u64, ring::error::Unspecified> {
    let mut bytes = [0u8; 8];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)?;
    Ok(u64::from_le_bytes(bytes))
}

/// A correlation id: ten lowercase letters (no digits, so masking never touches it), shown in
/// chat beside a failure and logged with its details.
pub(crate) fn correlation_id() -> String {
    let mut bytes = [0u8; 10];
    if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).is_err() {
        // Not a secret, only a handle to find a log line: a weaker source is fine here.
        bytes.iter_mut().for_each(|b| *b = fastrand::u8(..));
    }
    bytes.iter().map(|b| char::from(b'a' + b % 26)).collect()
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
        let limiter = config
            .rate_limit_per_minute
            .and_then(NonZeroU32::new)
            .map(|n| RateLimiter::keyed(Quota::per_minute(n)));
        Self {
            inner: Arc::new(Inner {
                pages: PageStore::new(config.page_store_cap),
                summaries: SummaryCache::new(config.summary_cache_cap, SUMMARY_TTL),
                client,
                config,
                signer,
                audit,
                clock,
                pending: PendingResets::default(),
                limiter,
                tracker: TaskTracker::new(),
                closing: AtomicBool::new(false),
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

    /// The outbound rule for a reply to `caller` (see [`crate::outbound`]).
    pub fn outbound(&self, caller: &Caller) -> Outbound {
        Outbound::new(self.inner.config.mask_phones, Some(caller))
    }

    /// Answers a command line (`/numbers task:demo status:busy`).
    pub async fn handle_text(&self, caller: &Caller, text: &str) -> Reply {
        match command::parse(text) {
            Ok(invocation) => self.handle(caller, invocation).await,
            Err(err) => {
                let lang = self.lang_for(caller);
                // What was typed is echoed in the error: mask every digit run of it.
                self.outbound(caller).typed(text).reply(
                    Reply::new(
                        ReplyKind::Error,
                        lang.pick("Cannot read that command", "无法识别该命令"),
                    )
                    .line(err.to_string()),
                )
            }
        }
    }

    /// Answers a parsed command.
    pub async fn handle(&self, caller: &Caller, invocation: Invocation) -> Reply {
        self.handle_timed(caller, invocation).await.0
    }

    /// Answers a parsed command and says where the time went.
    pub async fn handle_timed(&self, caller: &Caller, invocation: Invocation) -> (Reply, Timings) {
        self.run(caller, invocation, None).await
    }

    /// Answers a parsed command, reporting the progress of long work to `progress`.
    pub async fn handle_with_progress(
        &self,
        caller: &Caller,
        invocation: Invocation,
        progress: Progress,
    ) -> Reply {
        self.run(caller, invocation, Some(progress)).await.0
    }

    /// Answers a command line, reporting the progress of long work to `progress`.
    pub async fn handle_text_with_progress(
        &self,
        caller: &Caller,
        text: &str,
        progress: Progress,
    ) -> Reply {
        match command::parse(text) {
            Ok(invocation) => self.run(caller, invocation, Some(progress)).await.0,
            Err(_) => self.handle_text(caller, text).await,
        }
    }

    async fn run(
        &self,
        caller: &Caller,
        invocation: Invocation,
        progress: Option<Progress>,
    ) -> (Reply, Timings) {
        let started = Instant::now();
        let mut upstream = Duration::ZERO;
        let mut outbound = self.outbound(caller);
        for key in [OptionKey::Phones, OptionKey::Keyword] {
            if let Some(typed) = invocation.get(key) {
                outbound = outbound.typed(typed);
            }
        }
        let lang = self.lang_for(caller);
        // Progress replies leave the engine too: through the same rule.
        let progress = progress.map(|sink| {
            let outbound = outbound.clone();
            Arc::new(move |update: ProgressUpdate| {
                sink(ProgressUpdate {
                    reply: outbound.reply(update.reply),
                    ..update
                });
            }) as Progress
        });
        let reply = match self.admit(caller, lang) {
            Err(refusal) => *refusal,
            Ok(_in_flight) => {
                self.sweep_expired();
                match invocation.name {
                    CommandName::Help => self.help_reply(caller),
                    CommandName::Numbers => {
                        self.numbers_command(caller, &invocation, lang, &mut upstream)
                            .await
                    }
                    CommandName::Reset => {
                        self.reset_command(
                            caller,
                            &invocation,
                            lang,
                            &mut upstream,
                            progress.as_ref(),
                        )
                        .await
                    }
                }
            }
        };
        (
            outbound.reply(reply),
            Timings {
                total: started.elapsed(),
                upstream,
            },
        )
    }

    /// Answers a button press: `data` is the action's signed token. Authorization is checked
    /// again on every press.
    pub async fn press(&self, caller: &Caller, data: &str) -> Reply {
        let lang = self.lang_for(caller);
        let mut outbound = self.outbound(caller);
        let reply = match self.admit(caller, lang) {
            Err(refusal) => *refusal,
            Ok(_in_flight) => {
                let token = self.inner.signer.verify(data);
                if let Ok(ActionToken::Confirm(id) | ActionToken::Cancel(id)) = &token
                    && let Some(pending) = self.inner.pending.peek(*id)
                {
                    outbound = typed_of(outbound, &pending.filter);
                }
                let reply = self.press_inner(caller, token, lang).await;
                // After the press, so that a late confirmation is told it expired.
                self.sweep_expired();
                reply
            }
        };
        outbound.reply(reply)
    }

    /// Lets a command in, or says why not: the engine is shutting down, the caller's place is
    /// not served, or the caller is over their rate. The token keeps shutdown waiting for the
    /// command.
    fn admit(&self, caller: &Caller, lang: Lang) -> Result<TaskTrackerToken, Box<Reply>> {
        if self.inner.closing.load(Ordering::SeqCst) {
            return Err(Box::new(
                Reply::new(ReplyKind::Error, lang.pick("Shutting down", "正在停止服务")).line(
                    lang.pick(
                        "The bot is restarting: try again in a minute.",
                        "机器人正在重启，请稍后再试。",
                    ),
                ),
            ));
        }
        if caller.anonymous {
            return Err(Box::new(
                Reply::new(ReplyKind::Refused, lang.pick("Not allowed", "无权限")).line(lang.pick(
                    "Send commands as yourself, not anonymously or as a channel.",
                    "请以个人身份发送命令，而不是匿名或以频道身份。",
                )),
            ));
        }
        if let Some(places) = self.inner.config.places.get(&caller.transport) {
            let served = match &caller.place {
                None => places.direct_messages,
                Some(place) => places
                    .allowed
                    .as_ref()
                    .is_none_or(|allowed| allowed.contains(place)),
            };
            if !served {
                tracing::warn!(caller = %caller.identity(), place = caller.place.as_deref().unwrap_or("direct"), "refused: place not served");
                return Err(Box::new(
                    Reply::new(ReplyKind::Refused, lang.pick("Not here", "此处不可用")).line(
                        lang.pick(
                            "This bot answers only in the places it was set up for.",
                            "本机器人仅在配置的服务器或会话中使用。",
                        ),
                    ),
                ));
            }
        }
        if let Some(limiter) = &self.inner.limiter
            && limiter.check_key(&caller.identity()).is_err()
        {
            tracing::warn!(caller = %caller.identity(), "refused: rate limit");
            return Err(Box::new(
                Reply::new(ReplyKind::Refused, lang.pick("Too many requests", "请求过于频繁"))
                    .line(match lang {
                        Lang::En => format!(
                            "You may send {} commands or presses a minute: wait a little and try again.",
                            self.inner.config.rate_limit_per_minute.unwrap_or_default()
                        ),
                        Lang::Zh => format!(
                            "每分钟最多 {} 次命令或按钮操作，请稍后再试。",
                            self.inner.config.rate_limit_per_minute.unwrap_or_default()
                        ),
                    }),
            ));
        }
        // Forget callers whose quota is full again, so the map stays small.
        if let Some(limiter) = &self.inner.limiter
            && limiter.len() > 10_000
        {
            limiter.retain_recent();
        }
        Ok(self.inner.tracker.token())
    }

    /// Stops taking commands, lets those in flight finish within `shutdown_grace`, and audits
    /// every pending confirmation as expired. Every transport calls it on Ctrl-C or SIGTERM.
    pub async fn shutdown(&self) -> Shutdown {
        self.inner.closing.store(true, Ordering::SeqCst);
        self.inner.tracker.close();
        let drained =
            tokio::time::timeout(self.inner.config.shutdown_grace, self.inner.tracker.wait())
                .await
                .is_ok();
        if !drained {
            tracing::warn!(grace = ?self.inner.config.shutdown_grace, "commands still in flight at shutdown");
        }
        let pending = self.inner.pending.take_all();
        for (id, pending) in &pending {
            self.audit(AuditEvent::Expired, *id, &pending.requester, pending, None)
                .ok();
        }
        Shutdown {
            drained,
            expired: pending.len(),
        }
    }

    /// Whether [`Engine::shutdown`] was called.
    pub fn is_closing(&self) -> bool {
        self.inner.closing.load(Ordering::SeqCst)
    }

    async fn press_inner(
        &self,
        caller: &Caller,
        token: Result<ActionToken, crate::token::TokenError>,
        lang: Lang,
    ) -> Reply {
        let token = match token {
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
            ActionToken::StoredPage(id) => match self.inner.pages.get(id, self.now()) {
                Some(state) => self.page_press(caller, state, lang, &mut upstream).await,
                None => Reply::new(
                    ReplyKind::Error,
                    lang.pick("This page has expired", "该页面已过期"),
                )
                .line(lang.pick("Run /numbers again.", "请重新执行 /numbers。")),
            },
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
        // A page belongs to `/numbers`: it needs that command's role.
        if let Some(refusal) = self.refuse_unless(caller, CommandName::Numbers, lang) {
            return refusal;
        }
        self.show_page(state, lang, upstream).await
    }

    /// The refusal reply when the caller lacks the role `command` needs (from the catalogue).
    pub(crate) fn refuse_unless(
        &self,
        caller: &Caller,
        command: CommandName,
        lang: Lang,
    ) -> Option<Reply> {
        let role = command.role()?;
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

    /// What every command checks first: the role the catalogue says it needs, then the task it
    /// names (or the chat's default). Returns `(task id, label)`, or the refusal or error to
    /// answer.
    pub(crate) fn authorize_task(
        &self,
        caller: &Caller,
        invocation: &Invocation,
        lang: Lang,
    ) -> Result<(String, String), Box<Reply>> {
        if let Some(refusal) = self.refuse_unless(caller, invocation.name, lang) {
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
        if let Some((alias, id)) = config.tasks.iter().find(|(_, id)| **id == wanted) {
            return Ok((id.clone(), alias.clone()));
        }
        if !config.any_task {
            let known = self.task_aliases().join(", ");
            let text = match lang {
                Lang::En => format!(
                    "This bot works on its configured tasks only ({known}); ask an admin to add an alias, or to set any_task = true."
                ),
                Lang::Zh => format!(
                    "本机器人只处理已配置的任务（{known}）；请联系管理员添加别名，或设置 any_task = true。"
                ),
            };
            return Err(Box::new(
                Reply::new(ReplyKind::Refused, lang.pick("Unknown task", "未知任务")).line(text),
            ));
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

    /// The sub-account `sub:` names, if this engine may act on it.
    pub(crate) fn allowed_sub(
        &self,
        given: &str,
        lang: Lang,
    ) -> Result<agent_core::Id, Box<Reply>> {
        let sub = agent_core::Id::sub_account(given)
            .map_err(|e| Box::new(crate::text::bad_input("sub", &e, lang)))?;
        let config = &self.inner.config;
        if config.any_task || config.sub_accounts.iter().any(|s| s == sub.as_str()) {
            return Ok(sub);
        }
        Err(Box::new(
            Reply::new(
                ReplyKind::Refused,
                lang.pick("Unknown sub-account", "未知子账户"),
            )
            .line(lang.pick(
                "This bot works on its configured sub-accounts only (chatops.sub_accounts).",
                "本机器人只处理已配置的子账户（chatops.sub_accounts）。",
            )),
        ))
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

    /// Task aliases starting with `prefix` (Discord's autocomplete): `(alias, task id)`. A
    /// stranger (no role) gets none: task aliases are not for them.
    pub fn complete_task(&self, caller: &Caller, prefix: &str) -> Vec<(String, String)> {
        if self.inner.config.access.role_of(caller).is_none() {
            return Vec::new();
        }
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
    pub fn complete_status(&self, caller: &Caller, typed: &str) -> Vec<(String, String)> {
        if self.inner.config.access.role_of(caller).is_none() {
            return Vec::new();
        }
        let lang = self.lang_for(caller);
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
        let expired = self.inner.pending.take_expired(now);
        for (id, pending) in &expired {
            // An expiry that cannot be audited is logged by the audit log itself.
            self.audit(AuditEvent::Expired, *id, &pending.requester, pending, None)
                .ok();
        }
        self.inner.pages.sweep(now);
        expired.len()
    }

    /// How many page states and cached counts the engine holds (they are capped).
    pub fn held(&self) -> (usize, usize) {
        (self.inner.pages.len(), self.inner.summaries.len())
    }

    /// How many resets wait for confirmation.
    pub fn pending_resets(&self) -> usize {
        self.inner.pending.len()
    }

    /// Writes an audit record: every text in it passes the outbound rule. Fails when the audit
    /// file cannot be written (a reset is then not sent).
    pub(crate) fn audit(
        &self,
        event: AuditEvent,
        id: u64,
        actor: &Caller,
        pending: &PendingReset,
        outcome: Option<String>,
    ) -> std::io::Result<()> {
        let out = typed_of(self.outbound(actor), &pending.filter);
        self.inner.audit.record(&AuditRecord {
            at: self.now().to_string(),
            event,
            request: format!("{id:016x}"),
            actor: actor.identity(),
            actor_name: out.text(&actor.name),
            chat: actor.chat_id.clone(),
            task: pending.filter.scope().task().as_str().to_string(),
            filter: out.text(&crate::text::describe_reset(
                &pending.filter,
                Lang::En,
                self.inner.config.mask_phones,
            )),
            matched: pending.preview.total(),
            outcome: outcome.map(|o| out.text(&o)),
        })
    }

    /// The help reply: what the caller may do, for their eyes only. A stranger (no role) is
    /// told only how to get access.
    pub fn help(&self, caller: &Caller) -> Reply {
        let lang = self.lang_for(caller);
        match self.admit(caller, lang) {
            Err(refusal) => self.outbound(caller).reply(*refusal),
            Ok(_in_flight) => self.outbound(caller).reply(self.help_reply(caller)),
        }
    }

    fn help_reply(&self, caller: &Caller) -> Reply {
        let lang = self.lang_for(caller);
        let Some(role) = self.inner.config.access.role_of(caller) else {
            let mut reply = Reply::new(
                ReplyKind::Info,
                lang.pick("agent-ops: no access yet", "agent-ops：尚未授权"),
            )
            .line(match lang {
                Lang::En => format!(
                    "You ({}) have no role here. Ask an admin to add `{}` to the viewers or operators of the bot's [chatops] settings.",
                    caller.identity(),
                    caller.identity()
                ),
                Lang::Zh => format!(
                    "你（{}）尚无任何角色。请联系管理员将 `{}` 加入机器人 [chatops] 配置的 viewers 或 operators。",
                    caller.identity(),
                    caller.identity()
                ),
            });
            reply.private = true;
            return reply;
        };
        let role = role.as_str();
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
        // The command lines come from the catalogue: a usage line, then what it does.
        let mut lines: Vec<String> = crate::catalogue::COMMANDS
            .iter()
            .flat_map(|spec| [spec.usage(lang), format!("    {}", spec.help.get(lang))])
            .collect();
        lines.extend(match lang {
            Lang::En => [
                format!(
                    "Tasks: {}",
                    if aliases.is_empty() {
                        "(no aliases; use task ids)".to_string()
                    } else {
                        aliases.join(", ")
                    }
                ),
                format!("Statuses: {}", statuses.join(", ")),
                format!("Groups: {}", groups.join("; ")),
                format!("Times: {}", agent_core::time::ACCEPTED_TIMES),
                format!("You are {} (role: {role}).", caller.identity()),
            ],
            Lang::Zh => [
                format!(
                    "任务：{}",
                    if aliases.is_empty() {
                        "（未配置别名，请使用任务 id）".to_string()
                    } else {
                        aliases.join("、")
                    }
                ),
                format!("状态：{}", statuses.join("，")),
                format!(
                    "分组：{}",
                    StatusGroup::ALL
                        .iter()
                        .map(|g| format!("{} {}", g.name(), g.name_zh()))
                        .collect::<Vec<_>>()
                        .join("，")
                ),
                format!("时间格式：{}", agent_core::time::ACCEPTED_TIMES),
                format!("你是 {}（角色：{role}）。", caller.identity()),
            ],
        });
        reply.lines = lines;
        // It names the caller's role: for their eyes only, in every transport.
        reply.private = true;
        reply
    }
}

/// The rule `outbound` with what was typed into a reset's `phones:` and `keyword:`.
pub(crate) fn typed_of(mut outbound: Outbound, filter: &ResetFilter) -> Outbound {
    for phone in filter.phones() {
        outbound = outbound.typed(phone);
    }
    if let Some(keyword) = filter.keyword() {
        outbound = outbound.typed(keyword);
    }
    outbound
}
