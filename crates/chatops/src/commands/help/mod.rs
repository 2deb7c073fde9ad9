//! `/help`: what the bot understands, and the caller's role.

mod texts;

use self::texts::{HelpKey, HelpMsg};
use crate::access::Caller;
use crate::catalogue::{CommandName, CommandSpec, Invocation, Text};
use crate::context::Ctx;
use crate::i18n::Lang;
use crate::reply::{Refusal, Reply, ReplyKind};
use crate::services::Services;
use crate::texts::samples;

/// `/help`: its catalogue entry and handlers.
pub(crate) const COMMAND: CommandSpec = CommandSpec {
    slash: "help",
    aliases: &["start", "?"],
    name_zh: "帮助",
    summary: Text::new(
        "What the bot understands, and your role",
        "使用说明及你的角色",
    ),
    help: Text::new("this text", "本说明"),
    example: None,
    options: &[],
    role: None,
    run: |cx, invocation| Box::pin(run(cx, invocation)),
    press: None,
    texts: samples::<HelpKey>,
};

impl CommandName {
    /// `/help`: what the bot understands.
    pub const HELP: Self = Self::of(&COMMAND);
}

async fn run(cx: &Ctx<'_>, _invocation: &Invocation) -> Result<Reply, Refusal> {
    Ok(reply(cx, cx.caller, cx.lang))
}

/// What the caller may do, for their eyes only ([`Reply::private`]: it names their role). A
/// stranger (no role) is told only how to get access.
pub(crate) fn reply(services: &Services, caller: &Caller, lang: Lang) -> Reply {
    let identity = caller.identity();
    let Some(role) = services.config().access.role_of(caller) else {
        let mut reply = Reply::new(ReplyKind::Info, HelpMsg::NoAccessTitle.text(lang)).line(
            HelpMsg::NoRole {
                identity: &identity,
            }
            .text(lang),
        );
        reply.private = true;
        return reply;
    };
    let aliases = services.task_aliases();
    let mut reply = Reply::new(ReplyKind::Info, HelpMsg::HelpTitle.text(lang));
    // The command lines come from the catalogue: a usage line, then what it does.
    let mut lines: Vec<String> = super::COMMANDS
        .iter()
        .flat_map(|spec| [spec.usage(lang), format!("    {}", spec.help.get(lang))])
        .collect();
    lines.extend(
        [
            HelpMsg::HelpTasks { aliases: &aliases },
            HelpMsg::HelpStatuses,
            HelpMsg::HelpGroups,
            HelpMsg::HelpTimes,
            HelpMsg::HelpYouAre {
                identity: &identity,
                role,
            },
        ]
        .map(|msg| msg.text(lang)),
    );
    reply.lines = lines;
    // It names the caller's role: for their eyes only, in every transport.
    reply.private = true;
    reply
}
