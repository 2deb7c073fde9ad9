//! Delivering what the engine's watch scheduler posts ([`agent_chatops::watch`]): a message to
//! the watcher's chat, rendered like any reply (HTML, the actions as an inline keyboard).

use std::sync::Arc;

use agent_chatops::{Caller, Reply, Undelivered, WatchPost};
use teloxide::prelude::*;
use teloxide::types::{ChatId, ParseMode};

use crate::handlers::TgBot;
use crate::redact::{Redactor, error_chain};
use crate::render;

/// Sends each post to the watcher's chat (or, without one, their private chat).
pub fn watch_post(bot: TgBot, redactor: Redactor) -> WatchPost {
    Arc::new(move |caller: Caller, reply: Reply| {
        let bot = bot.clone();
        let redactor = redactor.clone();
        Box::pin(async move {
            let chat = caller
                .chat_id
                .as_deref()
                .unwrap_or(&caller.user_id)
                .parse::<i64>()
                .map_err(|_| Undelivered("not a Telegram chat id".into()))?;
            let request = bot
                .send_message(ChatId(chat), render::html(&reply))
                .parse_mode(ParseMode::Html);
            let sent = match render::keyboard(&reply.actions) {
                Some(keyboard) => request.reply_markup(keyboard).await,
                None => request.await,
            };
            sent.map(|_| ())
                .map_err(|err| Undelivered(redactor.redact(&error_chain(&err))))
        })
    })
}
