//! The update handlers: a command message becomes `engine.handle_text`, a button press becomes
//! `engine.press` (authorization, the HMAC and the confirmation rules are the engine's), and the
//! reply becomes a message, an edit of the pressed message, or a callback answer. A reply the
//! engine made private goes to the sender alone: an alert for a press, their private chat for a
//! command typed in a group.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use agent_chatops::Namespace;
use agent_chatops::{
    AttachmentData, AttachmentKind, Caller, Engine, Notice, Reply, ReplyKind, Transport,
};
use teloxide::RequestError;
use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::types::{
    ChatId, InlineKeyboardMarkup, InputFile, Me, MessageId, ParseMode, ReplyParameters, ThreadId,
    User,
};
use teloxide::{ApiError, adaptors::Throttle};
use tokio::sync::Semaphore;

use crate::commands::{self, Route};
use crate::redact::Redactor;
use crate::render;

/// The bot as the handlers use it: sends are paced by teloxide's `Throttle`.
pub type TgBot = Throttle<Bot>;

/// What handlers return; they report their own failures (redacted), so nothing fails upward.
pub type HandlerResult = Result<(), Infallible>;

/// The longest `retry_after` an edit waits for before giving up (the press is answered with
/// "try again" instead).
pub const MAX_EDIT_WAIT: Duration = Duration::from_secs(10);

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The chat-ops engine.
    pub engine: Engine,
    /// Bounds the updates handled at once.
    pub permits: Arc<Semaphore>,
    /// Keeps secrets out of logged errors.
    pub redactor: Redactor,
}

impl AppState {
    /// The shared state, with at most `max_concurrent` updates in the engine at once.
    pub fn new(engine: Engine, max_concurrent: usize, redactor: Redactor) -> Self {
        Self {
            engine,
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            redactor,
        }
    }

    fn log_error(&self, what: &str, err: &RequestError) {
        tracing::warn!(error = %self.redactor.redact(&crate::redact::error_chain(err)), "{what} failed");
    }
}

/// How long an update's id is remembered: Telegram keeps an update it could not deliver for up
/// to 24 hours.
pub const UPDATE_SEEN_FOR: Duration = Duration::from_secs(24 * 60 * 60);

/// The handler tree: each update once, then messages and callback queries. Other updates are
/// left to the default handler.
pub fn schema() -> UpdateHandler<Infallible> {
    dptree::entry()
        .filter_async(first_sight)
        .branch(Update::filter_message().endpoint(on_message))
        .branch(Update::filter_callback_query().endpoint(on_callback))
}

/// Telegram updates already handled, by bot and update id (one delivered again is ignored):
/// this transport's own namespace of the state store.
pub const SEEN: Namespace = Namespace::unlisted("telegram-seen");

/// The most update ids a store in memory or in a file keeps.
pub const SEEN_CAP: usize = 100_000;

/// Whether this update is seen for the first time, across restarts and replicas (the engine's
/// state store, keyed by the bot and the update id). Telegram delivers an update again when a
/// webhook answered late or failed, possibly to another replica; long polling after a restart
/// may hand one out twice. If the store fails, the update is handled anyway (logged): a
/// duplicate command is less harm than a lost one, and whatever changes the platform needs a
/// confirmation that the store gives out once.
async fn first_sight(update: Update, me: Me, state: AppState) -> bool {
    let key = format!("{}:{}", me.user.id.0, update.id.0);
    match state.engine.first_sight(SEEN, &key, UPDATE_SEEN_FOR).await {
        Ok(true) => true,
        Ok(false) => {
            tracing::warn!(update = update.id.0, "an update delivered again: ignored");
            false
        }
        Err(err) => {
            tracing::error!(%err, update = update.id.0, "cannot record an update id; handling it anyway");
            true
        }
    }
}

/// The engine's caller for a Telegram user in a chat. Grants name `telegram:user:<from.id>` and
/// `telegram:chat:<chat.id>`.
pub fn caller_for(user: &User, chat: Option<ChatId>) -> Caller {
    let name = match &user.username {
        Some(username) => format!("@{username}"),
        None => user.first_name.clone(),
    };
    Caller {
        transport: Transport::Telegram,
        user_id: user.id.0.to_string(),
        name,
        roles: Vec::new(),
        place: None,
        anonymous: false,
        chat_id: chat.map(|c| c.0.to_string()),
        locale: user.language_code.clone(),
    }
}

async fn on_message(bot: TgBot, msg: Message, me: Me, state: AppState) -> HandlerResult {
    let Some(text) = msg.text() else {
        return Ok(());
    };
    // Other bots are not served. A message on behalf of a group or channel (an anonymous admin)
    // comes from one of Telegram's bot accounts: it goes to the engine, which refuses it.
    let Some(from) = msg
        .from
        .as_ref()
        .filter(|from| !from.is_bot || msg.sender_chat.is_some())
    else {
        return Ok(());
    };
    if commands::route(text, me.user.username.as_deref(), msg.chat.is_private()) == Route::Ignore {
        tracing::trace!(chat = msg.chat.id.0, "message not for this bot");
        return Ok(());
    }
    let caller = Caller {
        // An anonymous admin or a channel: the engine refuses them.
        anonymous: msg.sender_chat.is_some(),
        ..caller_for(from, Some(msg.chat.id))
    };
    // Long work (a preview that scans the task) reports progress: one message, edited.
    let (progress_tx, mut progress) =
        tokio::sync::mpsc::unbounded_channel::<agent_chatops::Reply>();
    let shower = tokio::spawn({
        let bot = bot.clone();
        let chat = msg.chat.id;
        async move {
            let mut shown: Option<MessageId> = None;
            while let Some(update) = progress.recv().await {
                // With its buttons (an export's Cancel).
                match shown {
                    None => shown = message(&bot, chat, &update).await.ok().map(|m| m.id),
                    Some(id) => {
                        let _ = edit_with_retry(
                            &bot,
                            chat,
                            id,
                            render::html(&update),
                            render::keyboard(&update.actions),
                        )
                        .await;
                    }
                }
            }
            shown
        }
    });
    let sink: agent_chatops::Progress = Arc::new(move |update| {
        let _ = progress_tx.send(update.reply);
    });
    let reply = {
        let _permit = state.permits.acquire().await.ok();
        state
            .engine
            .handle_text_with_progress(&caller, text, sink)
            .await
    };
    // The progress message gives way to the answer.
    if let Ok(Some(shown)) = shower.await
        && let Err(err) = bot.delete_message(msg.chat.id, shown).await
    {
        state.log_error("deleteMessage", &err);
    }
    tracing::info!(
        user = %caller.identity(),
        chat = msg.chat.id.0,
        kind = ?reply.kind,
        "answered a command"
    );
    let mut reply = reply;
    // (An anonymous sender has no private chat: they are answered where they wrote.)
    if reply.private && !msg.chat.is_private() && !caller.anonymous {
        // Telegram has no message that only one member of a group sees: an answer the engine
        // made private goes to the sender's private chat. When the bot may not write there
        // (they never started it), the group is told how to get it, without the answer.
        match message(&bot, ChatId::from(from.id), &reply).await {
            Ok(_) => {
                send_attachments(&bot, &state, ChatId::from(from.id), None, &reply).await;
                return Ok(());
            }
            Err(err) => {
                state.log_error("sendMessage to a private chat", &err);
                let name = me
                    .user
                    .username
                    .as_deref()
                    .map_or_else(|| me.user.first_name.clone(), |name| format!("@{name}"));
                reply = state
                    .engine
                    .notice(Some(&caller), Notice::OpenPrivateChat { bot: &name });
            }
        }
    }
    let mut request = message(&bot, msg.chat.id, &reply);
    if !msg.chat.is_private() {
        // In a group, say whom this answers.
        request =
            request.reply_parameters(ReplyParameters::new(msg.id).allow_sending_without_reply());
    }
    let thread = msg.thread_id.filter(|_| msg.is_topic_message);
    if let Some(thread) = thread {
        request = request.message_thread_id(thread);
    }
    if let Err(err) = request.await {
        state.log_error("sendMessage", &err);
    }
    send_attachments(&bot, &state, msg.chat.id, thread, &reply).await;
    Ok(())
}

/// The reply's files after its text: a picture with `sendPhoto`, anything else with
/// `sendDocument` (multipart uploads), in the same chat and topic.
async fn send_attachments(
    bot: &TgBot,
    state: &AppState,
    chat: ChatId,
    thread: Option<ThreadId>,
    reply: &Reply,
) {
    for attachment in &reply.attachments {
        let file = match &attachment.data {
            AttachmentData::File(path) => InputFile::file(path.to_path_buf()),
            AttachmentData::Bytes(bytes) => InputFile::memory(bytes.to_vec()),
        }
        .file_name(attachment.name.clone());
        let sent = match attachment.kind {
            AttachmentKind::Image => {
                let mut request = bot.send_photo(chat, file);
                if let Some(thread) = thread {
                    request = request.message_thread_id(thread);
                }
                request.await.map(|_| ())
            }
            AttachmentKind::Document => {
                let mut request = bot.send_document(chat, file);
                if let Some(thread) = thread {
                    request = request.message_thread_id(thread);
                }
                request.await.map(|_| ())
            }
        };
        if let Err(err) = sent {
            state.log_error("sending a file", &err);
        }
    }
}

async fn on_callback(bot: TgBot, query: CallbackQuery, state: AppState) -> HandlerResult {
    let Some(data) = query.data.as_deref() else {
        answer(&bot, &state, &query, None, false).await;
        return Ok(());
    };
    let chat = query.message.as_ref().map(|m| m.chat().id);
    let caller = caller_for(&query.from, chat);
    let reply = {
        let _permit = state.permits.acquire().await.ok();
        state.engine.press(&caller, data).await
    };
    tracing::info!(user = %caller.identity(), chat = ?chat.map(|c| c.0), kind = ?reply.kind, "answered a button press");

    // Refusals and private errors go to the presser alone; the message stays as it is.
    if reply.private || reply.kind == ReplyKind::Refused {
        answer(&bot, &state, &query, Some(render::alert_text(&reply)), true).await;
        return Ok(());
    }
    let Some(message) = query.message.as_ref() else {
        // No message to edit (too old, or an inline message): say it in the answer.
        answer(&bot, &state, &query, Some(render::alert_text(&reply)), true).await;
        return Ok(());
    };
    let edited = edit_with_retry(
        &bot,
        message.chat().id,
        message.id(),
        render::html(&reply),
        render::keyboard(&reply.actions),
    )
    .await;
    match edited {
        Ok(()) => {
            send_attachments(&bot, &state, message.chat().id, None, &reply).await;
            let toast = (reply.kind == ReplyKind::Done)
                .then(|| render::clip(&reply.title, render::ALERT_LIMIT));
            answer(&bot, &state, &query, toast, false).await;
        }
        Err(err) => {
            state.log_error("editMessageText", &err);
            let notice = match &err {
                RequestError::RetryAfter(secs) => Notice::SlowDown {
                    service: "Telegram",
                    seconds: u64::from(secs.seconds()),
                },
                _ => Notice::NotUpdated,
            };
            let text = render::alert_text(&state.engine.notice(Some(&caller), notice));
            // The press itself was handled (a reset may be done): say so too.
            let text = if reply.kind == ReplyKind::Done {
                format!("{}\n{text}", reply.title)
            } else {
                text
            };
            answer(
                &bot,
                &state,
                &query,
                Some(render::clip(&text, render::ALERT_LIMIT)),
                true,
            )
            .await;
        }
    }
    Ok(())
}

/// A reply as a message to `chat`: HTML, with its actions as an inline keyboard.
fn message(bot: &TgBot, chat: ChatId, reply: &Reply) -> <TgBot as Requester>::SendMessage {
    let request = bot
        .send_message(chat, render::html(reply))
        .parse_mode(ParseMode::Html);
    match render::keyboard(&reply.actions) {
        Some(keyboard) => request.reply_markup(keyboard),
        None => request,
    }
}

/// Answers a callback query (stops the client's spinner); `text` as a toast, or an alert.
async fn answer(
    bot: &TgBot,
    state: &AppState,
    query: &CallbackQuery,
    text: Option<String>,
    alert: bool,
) {
    let mut request = bot.answer_callback_query(query.id.clone());
    if let Some(text) = text {
        request = request.text(text);
        if alert {
            request = request.show_alert(true);
        }
    }
    if let Err(err) = request.await {
        // A late answer (the query is too old) changes nothing for the user.
        if matches!(err, RequestError::Api(ApiError::InvalidQueryId)) {
            tracing::debug!("callback query answered too late");
        } else {
            state.log_error("answerCallbackQuery", &err);
        }
    }
}

/// Edits a message's text and keyboard (`None` removes the keyboard). "Message is not
/// modified" counts as success; a 429 (`RetryAfter`, which Throttle does not handle for edits)
/// is waited out and retried once, unless it asks for more than [`MAX_EDIT_WAIT`].
pub async fn edit_with_retry(
    bot: &TgBot,
    chat: ChatId,
    message: MessageId,
    html: String,
    keyboard: Option<InlineKeyboardMarkup>,
) -> Result<(), RequestError> {
    let mut retried = false;
    loop {
        let mut request = bot
            .edit_message_text(chat, message, html.clone())
            .parse_mode(ParseMode::Html);
        if let Some(keyboard) = keyboard.clone() {
            request = request.reply_markup(keyboard);
        }
        match request.await {
            Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => return Ok(()),
            Err(RequestError::RetryAfter(secs)) if !retried && secs.duration() <= MAX_EDIT_WAIT => {
                tracing::info!(
                    seconds = secs.seconds(),
                    "Telegram rate limit on an edit: waiting once"
                );
                tokio::time::sleep(secs.duration()).await;
                retried = true;
            }
            Err(err) => return Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(json: serde_json::Value) -> User {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn callers_carry_user_chat_name_and_locale() {
        let alice = user(serde_json::json!({
            "id": 1001, "is_bot": false, "first_name": "Alice", "username": "alice", "language_code": "zh-hans"
        }));
        let caller = caller_for(&alice, Some(ChatId(-100500)));
        assert_eq!(caller.transport, Transport::Telegram);
        assert_eq!(caller.user_id, "1001");
        assert_eq!(caller.name, "@alice");
        assert_eq!(caller.chat_id.as_deref(), Some("-100500"));
        assert_eq!(caller.locale.as_deref(), Some("zh-hans"));
        assert_eq!(caller.identity(), "telegram:user:1001");

        let bob = user(serde_json::json!({"id": 7, "is_bot": false, "first_name": "Bob"}));
        let caller = caller_for(&bob, None);
        assert_eq!(caller.name, "Bob");
        assert_eq!(caller.chat_id, None);
        assert_eq!(caller.locale, None);
    }
}
