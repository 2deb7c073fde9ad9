//! `/watches`: the tasks this chat watches, when each posts and when it last did.

use agent_core::time::CHINA_OFFSET;
use jiff::{Timestamp, tz::TimeZone};

use super::texts::{WatchKey, WatchMsg};
use super::{Watch, chat_key, decode};
use crate::access::Role;
use crate::catalogue::{CommandName, CommandSpec, Invocation, Text};
use crate::context::Ctx;
use crate::reply::{Align, Refusal, Reply, ReplyKind, Table};
use crate::services::store_failed;
use crate::store::ns;
use crate::texts::samples;

/// `/watches`: its catalogue entry and handlers.
pub(crate) const COMMAND: CommandSpec = CommandSpec {
    slash: "watches",
    aliases: &["subscriptions"],
    name_zh: "关注列表",
    summary: Text::new("The tasks this chat watches", "本会话关注的任务"),
    help: Text::new(
        "lists the watches of this chat, when each posts and when it last did",
        "列出本会话的关注、发送时间及上次发送时间",
    ),
    example: Some("/watches"),
    options: &[],
    role: Some(Role::Viewer),
    run: |cx, invocation| Box::pin(run(cx, invocation)),
    press: None,
    texts: samples::<WatchKey>,
};

impl CommandName {
    /// `/watches`: the tasks this chat watches.
    pub const WATCHES: Self = Self::of(&COMMAND);
}

async fn run(cx: &Ctx<'_>, _invocation: &Invocation) -> Result<Reply, Refusal> {
    let (caller, lang) = (cx.caller, cx.lang);
    if let Some(refusal) = cx.refuse_unless(CommandName::WATCHES) {
        return Err(refusal.into());
    }
    let listed = match cx.store().list(ns::WATCHES).await {
        Ok(listed) => listed,
        Err(err) => return Err(store_failed(&err, lang).into()),
    };
    let chat = chat_key(caller);
    let mut watches: Vec<Watch> = listed
        .into_iter()
        .filter_map(|(key, bytes)| decode(key, &bytes))
        .filter(|watch| chat_key(&watch.stored.caller) == chat)
        .collect();
    if watches.is_empty() {
        return Ok(
            Reply::new(ReplyKind::Info, WatchMsg::WatchesTitle.text(lang))
                .line(WatchMsg::NoWatches.text(lang)),
        );
    }
    watches.sort_by_key(|watch| cx.task_label(&watch.stored.task));
    let zone = TimeZone::fixed(CHINA_OFFSET);
    let rows = watches
        .iter()
        .map(|watch| {
            let last = watch
                .stored
                .last_post_ms
                .and_then(|ms| Timestamp::from_millisecond(ms).ok())
                .map_or_else(
                    || "-".to_string(),
                    |at| {
                        at.to_zoned(zone.clone())
                            .strftime("%m-%d %H:%M")
                            .to_string()
                    },
                );
            vec![
                cx.task_label(&watch.stored.task),
                watch.when.describe(lang),
                last,
            ]
        })
        .collect();
    let mut reply = Reply::new(ReplyKind::Info, WatchMsg::WatchesTitle.text(lang));
    reply.table = Some(Table {
        columns: vec![
            (WatchMsg::ColumnTask.text(lang), Align::Left),
            (WatchMsg::ColumnWhen.text(lang), Align::Left),
            (WatchMsg::ColumnLastPost.text(lang), Align::Left),
        ],
        rows,
    });
    Ok(reply)
}
