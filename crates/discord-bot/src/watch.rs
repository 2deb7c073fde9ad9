//! Delivering what the engine's watch scheduler posts ([`agent_chatops::watch`]): a message in
//! the watcher's channel, rendered like any reply (an embed, the actions as buttons).

use std::sync::Arc;

use agent_chatops::{Caller, Reply, Undelivered, WatchPost};
use serenity::http::Http;
use serenity::model::id::ChannelId;

use crate::render::render;

/// Sends each post to the channel the watch was made in (the caller's chat id).
pub fn watch_post(http: Arc<Http>) -> WatchPost {
    Arc::new(move |caller: Caller, reply: Reply| {
        let http = http.clone();
        Box::pin(async move {
            let channel = caller
                .chat_id
                .as_deref()
                .and_then(|id| id.parse::<u64>().ok())
                .filter(|id| *id != 0)
                .map(ChannelId::new)
                .ok_or_else(|| Undelivered("not a Discord channel id".into()))?;
            channel
                .send_message(&*http, render(&reply).channel_message())
                .await
                .map(|_| ())
                .map_err(|err| Undelivered(err.to_string()))
        })
    })
}
