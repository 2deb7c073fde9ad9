//! `/watch`, `/unwatch`, `/watches`, and the scheduler that posts what they ask for.
//!
//! A watch is one entry of the state store's [`ns::WATCHES`] namespace, keyed by task and
//! chat: who asked (the [`Caller`], so the post goes to their chat on their transport, in
//! their language), when it posts ([`When`]), when it was made and when it last posted. It
//! lives [`WATCH_TTL`] after it was made or last posted.
//!
//! Every transport runs a [`WatchScheduler`] beside its engine
//! ([`Engine::run_watches`](crate::Engine::run_watches)). Each
//! poll (`watch_poll_secs`) it lists the watches of its transport, groups them by task and
//! makes **one** count request per watched task (how many numbers still wait), shared by every
//! chat that watches it. A task with watches due also needs its counts per status (the shared
//! counts cache of `/stats`, counted when stale). A poll never makes more than
//! `watch_max_requests_per_poll` requests: the tasks left over are polled first at the next
//! poll. A task whose count fails is left alone for a while that doubles with each failure
//! (capped at [`MAX_BACKOFF`]).
//!
//! With a store shared by replicas (Redis), each replica's scheduler sees every watch. Before
//! counting a task it takes the task's lease for this poll (`poll/<transport>/<task>/<n>`, the
//! poll's number since the epoch), so the replicas count each watched task once a poll between
//! them; and before posting, it takes a lease `<task>/<chat>/<made>/<slot>`
//! with [`StateStore::insert_new`](crate::store::StateStore::insert_new), so exactly one replica
//! posts each due watch. A post that cannot be delivered gives its lease back and is tried
//! again at the next poll.

pub(crate) mod list;
mod scheduler;
mod texts;
pub(crate) mod unwatch;

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use self::texts::{WatchKey, WatchMsg};
use crate::access::{Caller, Role};
use crate::catalogue::{CommandName, CommandSpec, Invocation, OptionKey, Text};
use crate::context::Ctx;
use crate::i18n::Lang;
use crate::messages::Msg;
use crate::reply::{Refusal, Reply, ReplyKind};
use crate::services::store_failed;
use crate::store::{StoreError, ns};
use crate::texts::samples;

pub use self::scheduler::{TickReport, Undelivered, WatchPost, WatchRunner, WatchScheduler};

/// `/watch`: its catalogue entry and handlers.
pub(crate) const COMMAND: CommandSpec = CommandSpec {
    slash: "watch",
    aliases: &["subscribe"],
    name_zh: "关注",
    summary: Text::new(
        "Be told in this chat when a task is done, or its progress daily or every so often",
        "任务完成时在本会话通知，或每天定时、按间隔发送进度",
    ),
    help: Text::new(
        "posts here when the task is done (when:done), daily@HH:MM China time, or every:30m/2h/1d",
        "任务完成时（when:done）、每天北京时间 daily@HH:MM 或按间隔 every:30m/2h/1d 在此发送",
    ),
    example: Some("/watch task:demo when:done"),
    options: &[OptionKey::Task, OptionKey::When],
    role: Some(Role::Viewer),
    run: |cx, invocation| Box::pin(run(cx, invocation)),
    press: None,
    texts: samples::<WatchKey>,
};

impl CommandName {
    /// `/watch`: be told when a task is done, or its progress.
    pub const WATCH: Self = Self::of(&COMMAND);
}

/// How long a watch is kept after it was made or last posted.
pub const WATCH_TTL: Duration = Duration::from_secs(90 * 24 * 3600);
/// The shortest `every:`.
pub const MIN_EVERY: Duration = Duration::from_secs(5 * 60);
/// The longest `every:`.
pub const MAX_EVERY: Duration = Duration::from_secs(30 * 24 * 3600);
/// The longest a failing task is left alone.
pub const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// How long a lease on a due post is kept (longer than any replica takes to see the post).
const LEASE_TTL: Duration = Duration::from_secs(2 * 24 * 3600);
/// The most watches one chat may have.
pub const MAX_WATCHES_PER_CHAT: usize = 25;

/// When a watch posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Once, when no number of the task waits any more.
    Done,
    /// A summary every day at this time, China time.
    Daily {
        /// 0..=23.
        hour: i8,
        /// 0..=59.
        minute: i8,
    },
    /// A summary every so often (at least [`MIN_EVERY`]), counted from when the watch was made.
    Every(Duration),
}

/// Why a `when:` cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WhenError {
    /// Not `done`, `daily@HH:MM` or `every:<duration>`.
    #[error("use done, daily@HH:MM or every:<duration>")]
    Unreadable,
    /// `every:` shorter than [`MIN_EVERY`].
    #[error("every: is shorter than the minimum")]
    TooShort,
}

fn two_digits(text: &str, max: i8) -> Option<i8> {
    if text.is_empty() || text.len() > 2 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<i8>().ok().filter(|n| (0..=max).contains(n))
}

impl When {
    /// Reads `done`, `daily@09:00` (China time) or `every:30m` / `every:2h` / `every:1d`.
    pub fn parse(text: &str) -> Result<Self, WhenError> {
        let text = text.trim().to_ascii_lowercase();
        if text == "done" {
            return Ok(Self::Done);
        }
        if let Some(at) = text.strip_prefix("daily@") {
            let (hour, minute) = at.split_once(':').ok_or(WhenError::Unreadable)?;
            let hour = two_digits(hour, 23).ok_or(WhenError::Unreadable)?;
            if minute.len() != 2 {
                return Err(WhenError::Unreadable);
            }
            let minute = two_digits(minute, 59).ok_or(WhenError::Unreadable)?;
            return Ok(Self::Daily { hour, minute });
        }
        if let Some(every) = text.strip_prefix("every:") {
            let unit = match every.chars().last() {
                Some('m') => 60,
                Some('h') => 3600,
                Some('d') => 86_400,
                _ => return Err(WhenError::Unreadable),
            };
            let digits = &every[..every.len() - 1];
            if digits.is_empty() || digits.len() > 6 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(WhenError::Unreadable);
            }
            let n: u64 = digits.parse().map_err(|_| WhenError::Unreadable)?;
            let every = Duration::from_secs(n.saturating_mul(unit));
            if every < MIN_EVERY {
                return Err(WhenError::TooShort);
            }
            if every > MAX_EVERY {
                return Err(WhenError::Unreadable);
            }
            return Ok(Self::Every(every));
        }
        Err(WhenError::Unreadable)
    }

    /// In words, in `lang` (`when it is done`, `daily at 09:00 China time`, `every 30m`).
    pub fn describe(&self, lang: Lang) -> String {
        match self {
            Self::Done => WatchMsg::WhenDone.text(lang),
            Self::Daily { hour, minute } => WatchMsg::WhenDaily {
                at: &format!("{hour:02}:{minute:02}"),
            }
            .text(lang),
            Self::Every(every) => WatchMsg::WhenEvery {
                every: &short_duration(*every),
            }
            .text(lang),
        }
    }
}

/// `30m`, `2h`, `1d`.
fn short_duration(every: Duration) -> String {
    let secs = every.as_secs();
    if secs.is_multiple_of(86_400) {
        format!("{}d", secs / 86_400)
    } else if secs.is_multiple_of(3600) {
        format!("{}h", secs / 3600)
    } else {
        format!("{}m", secs / 60)
    }
}

impl fmt::Display for When {
    /// As typed: `done`, `daily@09:00`, `every:30m`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Done => f.write_str("done"),
            Self::Daily { hour, minute } => write!(f, "daily@{hour:02}:{minute:02}"),
            Self::Every(every) => write!(f, "every:{}", short_duration(*every)),
        }
    }
}

/// A watch as the store keeps it (JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredWatch {
    /// The task id.
    task: String,
    /// Who asked, where: the post goes to their chat, in their language.
    caller: Caller,
    /// As typed (`daily@09:00`).
    when: String,
    /// When it was made (Unix ms).
    made_ms: i64,
    /// When it last posted (Unix ms).
    last_post_ms: Option<i64>,
}

/// A watch read back from the store.
struct Watch {
    key: String,
    stored: StoredWatch,
    when: When,
}

/// The chat a caller is in, as part of a key: `telegram:-100123` (or `telegram:user:42` when
/// the transport names no chat).
fn chat_key(caller: &Caller) -> String {
    match &caller.chat_id {
        Some(chat) => format!("{}:{chat}", caller.transport),
        None => format!("{}:user:{}", caller.transport, caller.user_id),
    }
}

fn watch_key(task: &str, caller: &Caller) -> String {
    format!("{task}/{}", chat_key(caller))
}

fn decode(key: String, bytes: &[u8]) -> Option<Watch> {
    let stored: StoredWatch = serde_json::from_slice(bytes).ok()?;
    let when = When::parse(&stored.when).ok()?;
    Some(Watch { key, stored, when })
}

async fn run(cx: &Ctx<'_>, invocation: &Invocation) -> Result<Reply, Refusal> {
    let (caller, lang) = (cx.caller, cx.lang);
    let (task, label) = cx.authorize_task(invocation)?;
    let when = match invocation.get(OptionKey::When).map(When::parse) {
        None => When::Done,
        Some(Ok(when)) => when,
        Some(Err(err)) => {
            let given = invocation.get(OptionKey::When).unwrap_or_default();
            let line = match err {
                WhenError::Unreadable => WatchMsg::BadWhen { given }.text(lang),
                WhenError::TooShort => WatchMsg::EveryTooShort {
                    minutes: MIN_EVERY.as_secs() / 60,
                }
                .text(lang),
            };
            return Err(Reply::new(ReplyKind::Error, Msg::BadInput.text(lang))
                .line(line)
                .into());
        }
    };
    let key = watch_key(&task, caller);
    let chat = chat_key(caller);
    let store = cx.store();
    let mine = match store.list(ns::WATCHES).await {
        Ok(listed) => listed
            .iter()
            .filter(|(k, _)| *k != key && k.ends_with(&format!("/{chat}")))
            .count(),
        Err(err) => return Err(store_failed(&err, lang).into()),
    };
    if mine >= MAX_WATCHES_PER_CHAT {
        return Err(Reply::new(ReplyKind::Refused, Msg::NotAllowed.text(lang))
            .line(
                WatchMsg::WatchLimit {
                    max: u64::try_from(MAX_WATCHES_PER_CHAT).unwrap_or(u64::MAX),
                }
                .text(lang),
            )
            .into());
    }
    let stored = StoredWatch {
        task,
        caller: caller.clone(),
        when: when.to_string(),
        made_ms: cx.now().as_millisecond(),
        last_post_ms: None,
    };
    let bytes = match serde_json::to_vec(&stored) {
        Ok(bytes) => bytes,
        Err(_) => return Err(store_failed(&StoreError::Corrupt(ns::WATCHES.name), lang).into()),
    };
    if let Err(err) = store.put(ns::WATCHES, &key, &bytes, WATCH_TTL).await {
        return Err(store_failed(&err, lang).into());
    }
    tracing::info!(caller = %caller.identity(), task = %label, %when, "watch set");
    Ok(Reply::new(
        ReplyKind::Done,
        WatchMsg::WatchAdded {
            task: &label,
            when: &when.describe(lang),
        }
        .text(lang),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_reads_the_three_forms_and_refuses_the_rest() {
        assert_eq!(When::parse("done"), Ok(When::Done));
        assert_eq!(When::parse(" DONE "), Ok(When::Done));
        assert_eq!(
            When::parse("daily@09:30"),
            Ok(When::Daily {
                hour: 9,
                minute: 30
            })
        );
        assert_eq!(
            When::parse("daily@9:05"),
            Ok(When::Daily { hour: 9, minute: 5 })
        );
        assert_eq!(
            When::parse("every:30m"),
            Ok(When::Every(Duration::from_secs(1800)))
        );
        assert_eq!(
            When::parse("every:2h"),
            Ok(When::Every(Duration::from_secs(7200)))
        );
        assert_eq!(
            When::parse("every:1d"),
            Ok(When::Every(Duration::from_secs(86_400)))
        );
        assert_eq!(When::parse("every:4m"), Err(WhenError::TooShort));
        assert_eq!(When::parse("every:0m"), Err(WhenError::TooShort));
        for bad in [
            "",
            "daily",
            "daily@24:00",
            "daily@12:60",
            "daily@12:5",
            "daily@-1:00",
            "every:",
            "every:m",
            "every:10",
            "every:10s",
            "every:+10m",
            "every:31d",
            "every:9999999d",
            "weekly",
            "daily@12:00:00",
        ] {
            assert_eq!(When::parse(bad), Err(WhenError::Unreadable), "{bad}");
        }
        for text in [
            "done",
            "daily@09:30",
            "every:30m",
            "every:2h",
            "every:1d",
            "every:90m",
        ] {
            assert_eq!(When::parse(text).unwrap().to_string(), text);
        }
    }
}
