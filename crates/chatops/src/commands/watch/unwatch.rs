//! `/unwatch`: stop watching a task in this chat.

use super::texts::{WatchKey, WatchMsg};
use super::watch_key;
use crate::access::Role;
use crate::catalogue::{CommandName, CommandSpec, Invocation, OptionKey, Text};
use crate::context::Ctx;
use crate::reply::{Refusal, Reply, ReplyKind};
use crate::services::store_failed;
use crate::store::ns;
use crate::texts::samples;

/// `/unwatch`: its catalogue entry and handlers.
pub(crate) const COMMAND: CommandSpec = CommandSpec {
    slash: "unwatch",
    aliases: &["unsubscribe"],
    name_zh: "取消关注",
    summary: Text::new("Stop watching a task in this chat", "在本会话取消关注任务"),
    help: Text::new(
        "stops the watch of this task in this chat",
        "取消本会话对该任务的关注",
    ),
    example: Some("/unwatch task:demo"),
    options: &[OptionKey::Task],
    role: Some(Role::Viewer),
    run: |cx, invocation| Box::pin(run(cx, invocation)),
    press: None,
    texts: samples::<WatchKey>,
};

impl CommandName {
    /// `/unwatch`: stop watching a task in this chat.
    pub const UNWATCH: Self = Self::of(&COMMAND);
}

async fn run(cx: &Ctx<'_>, invocation: &Invocation) -> Result<Reply, Refusal> {
    let (caller, lang) = (cx.caller, cx.lang);
    let (task, label) = cx.authorize_task(invocation)?;
    let removed = cx
        .store()
        .remove(ns::WATCHES, &watch_key(&task, caller))
        .await;
    Ok(match removed {
        Ok(true) => {
            tracing::info!(caller = %caller.identity(), task = %label, "watch removed");
            Reply::new(
                ReplyKind::Done,
                WatchMsg::WatchRemoved { task: &label }.text(lang),
            )
        }
        Ok(false) => Reply::new(
            ReplyKind::Info,
            WatchMsg::WatchNotFound { task: &label }.text(lang),
        ),
        Err(err) => store_failed(&err, lang),
    })
}
