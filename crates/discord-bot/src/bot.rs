//! The handlers, shared by the gateway and the HTTP endpoint: an interaction in, the first answer
//! out, within Discord's 3 seconds. When the engine is not done within the budget, the first
//! answer is a deferral and a [`Pending`] finishes the job later by editing the original response
//! (or posting an ephemeral follow-up when the result is private). A reply with files (an export,
//! a chart) is always finished that way: its files go in follow-ups of the deferred interaction
//! (a picture as an embed's image), which the first answer's JSON cannot carry.

use std::time::Duration;

use agent_chatops::{AttachmentKind, Caller, Engine, Notice, Reply, Transport};
use serenity::builder::{
    AutocompleteChoice, CreateAttachment, CreateAutocompleteResponse, CreateEmbed,
    CreateInteractionResponse, CreateInteractionResponseFollowup, CreateInteractionResponseMessage,
};
use serenity::http::Http;
use serenity::model::application::{
    CommandInteraction, ComponentInteraction, ComponentInteractionDataKind, Interaction,
};
use serenity::model::guild::Member;
use serenity::model::id::ChannelId;
use serenity::model::id::GuildId;
use serenity::model::user::User;
use tokio::task::JoinHandle;

use crate::commands::{MapError, command_name, invocation_of};
use crate::render::{clip, render};

/// How long after the first answer the interaction token stays usable (Discord: 15 minutes).
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(14 * 60);
/// Attempts at each follow-up call (the edit may race the first answer in HTTP mode).
const ATTEMPTS: u32 = 3;
/// Characters of an autocomplete choice's name and value.
const CHOICE_LIMIT: usize = 100;
/// Autocomplete choices per answer.
const CHOICES_LIMIT: usize = 25;

/// What went wrong talking to Discord.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    /// A Discord REST call failed.
    #[error("Discord API: {0}")]
    Discord(#[from] Box<serenity::Error>),
    /// The engine did not answer while the interaction token was valid.
    #[error("the engine did not answer within {0:?}; the interaction expired")]
    Expired(Duration),
    /// A reply's file could not be read.
    #[error("cannot read a file to upload: {0}")]
    File(std::io::Error),
}

impl From<serenity::Error> for BotError {
    fn from(err: serenity::Error) -> Self {
        Self::Discord(Box::new(err))
    }
}

/// What a deferred interaction is: a command's response, or the message of a pressed button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A slash command: the deferral shows "thinking…", the edit replaces it.
    Command,
    /// A button: the deferral changes nothing, the edit updates the button's message.
    Component,
}

/// Work still running after a deferral.
#[derive(Debug)]
pub struct Pending {
    token: String,
    target: Target,
    /// What to say if the engine's task fails.
    failed: Reply,
    work: JoinHandle<Reply>,
    /// The engine's progress of long work, shown by editing the deferred response.
    progress: Option<tokio::sync::mpsc::UnboundedReceiver<Reply>>,
}

/// How a [`Pending`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    /// The original response (or the pressed message) was edited.
    EditedOriginal,
    /// A private result went to an ephemeral follow-up; a deferred command's placeholder was
    /// deleted.
    PrivateFollowup,
}

/// The first answer to an interaction, and the rest of the work if it was deferred.
#[derive(Debug)]
pub struct Response {
    /// The interaction response (HTTP mode: the body; gateway: `POST …/callback`).
    pub initial: CreateInteractionResponse,
    /// Set when `initial` is a deferral.
    pub pending: Option<Pending>,
}

impl Response {
    fn now(initial: CreateInteractionResponse) -> Self {
        Self {
            initial,
            pending: None,
        }
    }
}

/// The caller behind an interaction: user id, display name, guild role ids, channel, locale.
pub fn caller_of(
    user: &User,
    member: Option<&Member>,
    guild_id: Option<GuildId>,
    channel_id: ChannelId,
    locale: &str,
) -> Caller {
    let name = member
        .and_then(|m| m.nick.clone())
        .or_else(|| user.global_name.clone())
        .unwrap_or_else(|| format!("@{}", user.name));
    Caller {
        transport: Transport::Discord,
        user_id: user.id.get().to_string(),
        name,
        roles: member
            .map(|m| m.roles.iter().map(|r| r.get().to_string()).collect())
            .unwrap_or_default(),
        place: guild_id.map(|g| g.get().to_string()),
        anonymous: false,
        chat_id: Some(channel_id.get().to_string()),
        locale: Some(locale.to_string()).filter(|l| !l.is_empty()),
    }
}

/// The first answer with a finished reply.
pub fn first_answer(reply: &Reply, target: Target) -> CreateInteractionResponse {
    let message = render(reply).message();
    match target {
        Target::Command => CreateInteractionResponse::Message(message),
        // A refusal of a press must not replace the message everyone sees.
        Target::Component if reply.private => CreateInteractionResponse::Message(message),
        Target::Component => CreateInteractionResponse::UpdateMessage(message),
    }
}

/// The deferral for a target.
pub fn deferral(target: Target) -> CreateInteractionResponse {
    match target {
        Target::Command => {
            CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new())
        }
        Target::Component => CreateInteractionResponse::Acknowledge,
    }
}

/// The transport: the engine and how long to wait before deferring.
#[derive(Debug, Clone)]
pub struct Bot {
    engine: Engine,
    defer_after: Duration,
}

impl Bot {
    /// A bot over an engine; `defer_after` is the budget before a deferral (keep it under 3 s).
    pub fn new(engine: Engine, defer_after: Duration) -> Self {
        Self {
            engine,
            defer_after,
        }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The first answer to any interaction (PING gets PONG).
    pub async fn respond(&self, interaction: &Interaction) -> Response {
        match interaction {
            Interaction::Ping(_) => Response::now(CreateInteractionResponse::Pong),
            Interaction::Command(command) => self.command(command).await,
            Interaction::Autocomplete(command) => Response::now(self.autocomplete(command)),
            Interaction::Component(component) => self.press(component).await,
            Interaction::Modal(modal) => {
                let caller = caller_of(
                    &modal.user,
                    modal.member.as_ref(),
                    modal.guild_id,
                    modal.channel_id,
                    &modal.locale,
                );
                Response::now(self.unsupported(Some(&caller)))
            }
            _ => Response::now(self.unsupported(None)),
        }
    }

    fn unsupported(&self, caller: Option<&Caller>) -> CreateInteractionResponse {
        first_answer(
            &self.engine.notice(caller, Notice::Unsupported),
            Target::Command,
        )
    }

    /// Gateway mode: answers through `http` (`POST /interactions/{id}/{token}/callback`), then
    /// finishes deferred work.
    pub async fn dispatch(
        &self,
        http: &Http,
        interaction: &Interaction,
    ) -> Result<Option<Delivered>, BotError> {
        let response = self.respond(interaction).await;
        http.create_interaction_response(
            interaction.id(),
            interaction.token(),
            &response.initial,
            Vec::new(),
        )
        .await?;
        match response.pending {
            Some(pending) => pending.finish(http).await.map(Some),
            None => Ok(None),
        }
    }

    async fn command(&self, command: &CommandInteraction) -> Response {
        let caller = caller_of(
            &command.user,
            command.member.as_deref(),
            command.guild_id,
            command.channel_id,
            &command.locale,
        );
        let invocation = match invocation_of(&command.data) {
            Ok(invocation) => invocation,
            Err(err) => {
                let outbound = self.engine.outbound(&caller);
                tracing::warn!(err = %outbound.text(&err.to_string()), "a command the bot cannot map");
                let notice = match &err {
                    MapError::UnknownCommand(name) => Notice::StaleCommand(name),
                    MapError::UnknownOption(name) => Notice::StaleOption(name),
                };
                let reply = self.engine.notice(Some(&caller), notice);
                return Response::now(first_answer(&reply, Target::Command));
            }
        };
        tracing::info!(caller = %caller.identity(), command = %invocation.name, "command");
        let failed = self.engine.notice(Some(&caller), Notice::Internal);
        let engine = self.engine.clone();
        let (progress_tx, progress) = tokio::sync::mpsc::unbounded_channel();
        let sink: agent_chatops::Progress = std::sync::Arc::new(move |update| {
            // The receiver is gone once the answer was given without deferring.
            let _ = progress_tx.send(update.reply);
        });
        let work =
            tokio::spawn(
                async move { engine.handle_with_progress(&caller, invocation, sink).await },
            );
        let mut response = self
            .within_budget(work, Target::Command, &command.token, failed)
            .await;
        if let Some(pending) = &mut response.pending {
            pending.progress = Some(progress);
        }
        response
    }

    async fn press(&self, component: &ComponentInteraction) -> Response {
        let caller = caller_of(
            &component.user,
            component.member.as_ref(),
            component.guild_id,
            component.channel_id,
            &component.locale,
        );
        if !matches!(component.data.kind, ComponentInteractionDataKind::Button) {
            return Response::now(self.unsupported(Some(&caller)));
        }
        tracing::info!(caller = %caller.identity(), "button pressed");
        let failed = self.engine.notice(Some(&caller), Notice::Internal);
        let engine = self.engine.clone();
        let data = component.data.custom_id.clone();
        // The engine checks the signature, the caller's role, and who may confirm.
        let work = tokio::spawn(async move { engine.press(&caller, &data).await });
        self.within_budget(work, Target::Component, &component.token, failed)
            .await
    }

    async fn within_budget(
        &self,
        mut work: JoinHandle<Reply>,
        target: Target,
        token: &str,
        failed: Reply,
    ) -> Response {
        match tokio::time::timeout(self.defer_after, &mut work).await {
            Ok(Ok(reply)) if reply.attachments.is_empty() => {
                Response::now(first_answer(&reply, target))
            }
            Ok(Ok(reply)) => Response {
                // Files need the REST API: defer, and deliver the ready reply at once.
                initial: deferral(target),
                pending: Some(Pending {
                    token: token.to_string(),
                    target,
                    failed,
                    work: tokio::spawn(async move { reply }),
                    progress: None,
                }),
            },
            Ok(Err(err)) => {
                tracing::error!(%err, "the engine task failed");
                Response::now(first_answer(&failed, Target::Command))
            }
            Err(_) => {
                tracing::info!(budget = ?self.defer_after, ?target, "slow: deferring");
                Response {
                    initial: deferral(target),
                    pending: Some(Pending {
                        token: token.to_string(),
                        target,
                        failed,
                        work,
                        progress: None,
                    }),
                }
            }
        }
    }

    /// Suggestions for the focused option: the engine checks the caller and picks the
    /// completer from the catalogue; this keeps what Discord accepts.
    fn autocomplete(&self, command: &CommandInteraction) -> CreateInteractionResponse {
        let caller = caller_of(
            &command.user,
            command.member.as_deref(),
            command.guild_id,
            command.channel_id,
            &command.locale,
        );
        let choices = match (
            command_name(&command.data.name),
            command.data.autocomplete(),
        ) {
            (Some(name), Some(focused)) => self
                .engine
                .complete(&caller, name, focused.name, focused.value)
                .into_iter()
                .filter(|choice| {
                    !choice.value.is_empty() && choice.value.chars().count() <= CHOICE_LIMIT
                })
                .take(CHOICES_LIMIT)
                .map(|choice| {
                    AutocompleteChoice::new(clip(&choice.label, CHOICE_LIMIT), choice.value)
                })
                .collect(),
            _ => Vec::new(),
        };
        CreateInteractionResponse::Autocomplete(
            CreateAutocompleteResponse::new().set_choices(choices),
        )
    }
}

async fn with_retries<T, F, Fut>(what: &str, mut call: F) -> Result<T, BotError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, serenity::Error>>,
{
    let mut attempt = 1;
    loop {
        match call().await {
            Ok(value) => return Ok(value),
            Err(err) if attempt < ATTEMPTS => {
                tracing::warn!(%err, attempt, "{what} failed; retrying");
                tokio::time::sleep(Duration::from_millis(250 * u64::from(attempt))).await;
                attempt += 1;
            }
            Err(err) => return Err(err.into()),
        }
    }
}

impl Pending {
    /// Which kind of interaction was deferred.
    pub fn target(&self) -> Target {
        self.target
    }

    /// Waits for the engine, then edits the original response; a private result goes to an
    /// ephemeral follow-up instead (a deferred command's public placeholder is deleted; a pressed
    /// message stays as it was).
    pub async fn finish(mut self, http: &Http) -> Result<Delivered, BotError> {
        let token = self.token.clone();
        let progress = self.progress.take();
        let work = async {
            let mut work = self.work;
            let Some(mut progress) = progress else {
                return work.await;
            };
            // Until the answer is ready, each progress update replaces the deferred "thinking".
            loop {
                tokio::select! {
                    done = &mut work => return done,
                    Some(update) = progress.recv() => {
                        let edit = render(&update).edit();
                        if let Err(err) = http.edit_original_interaction_response(&token, &edit, Vec::new()).await {
                            tracing::warn!(%err, "cannot show progress");
                        }
                    }
                }
            }
        };
        let reply = match tokio::time::timeout(TOKEN_LIFETIME, work).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(err)) => {
                tracing::error!(%err, "the engine task failed");
                self.failed
            }
            Err(_) => return Err(BotError::Expired(TOKEN_LIFETIME)),
        };
        let rendered = render(&reply);
        let token = self.token.as_str();
        if !reply.private {
            let edit = rendered.edit();
            with_retries("editing the original response", || {
                http.edit_original_interaction_response(token, &edit, Vec::new())
            })
            .await?;
            send_files(http, token, &reply).await?;
            return Ok(Delivered::EditedOriginal);
        }
        if self.target == Target::Command
            && let Err(err) = http.delete_original_interaction_response(token).await
        {
            tracing::warn!(%err, "cannot delete the deferred placeholder");
        }
        let followup = rendered.followup();
        with_retries("sending a private follow-up", || {
            http.create_followup_message(token, &followup, Vec::new())
        })
        .await?;
        send_files(http, token, &reply).await?;
        Ok(Delivered::PrivateFollowup)
    }
}

/// The reply's files, one follow-up each (ephemeral when the reply is private): a picture as
/// the image of an embed, anything else as an attachment. One per message keeps each request
/// within the upload limit the engine sized the files for.
async fn send_files(http: &Http, token: &str, reply: &Reply) -> Result<(), BotError> {
    for attachment in &reply.attachments {
        let bytes = attachment.data.read().map_err(BotError::File)?;
        let mut followup = CreateInteractionResponseFollowup::new()
            .ephemeral(reply.private)
            .allowed_mentions(serenity::builder::CreateAllowedMentions::new());
        if attachment.kind == AttachmentKind::Image {
            followup = followup
                .embed(CreateEmbed::new().image(format!("attachment://{}", attachment.name)));
        }
        let file = CreateAttachment::bytes(bytes, attachment.name.clone());
        with_retries("uploading a file", || {
            http.create_followup_message(token, &followup, vec![file.clone()])
        })
        .await?;
    }
    Ok(())
}
