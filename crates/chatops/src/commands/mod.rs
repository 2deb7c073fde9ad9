//! The commands: each a module of its own that holds its catalogue entry ([`CommandSpec`]: name,
//! options, role, descriptions in English and Chinese), its handler and its button handlers.
//!
//! A handler is a free function that takes a [`Ctx`](crate::context::Ctx) (the caller, their language, the
//! engine's services: client, store, clock, audit log, signer) and the [`Invocation`], and
//! returns the reply or a [`Refusal`](crate::context::Refusal). A button handler takes the
//! verified [`ActionToken`](crate::token::ActionToken) and answers `None` when the token is
//! not its command's. The kernel admits the caller, finds the command, runs it, and passes the
//! reply through the outbound rule.
//!
//! Adding a command is a module here and one line in [`COMMANDS`] (see
//! `docs/dev/adding-a-command.md`).
//! Pieces several commands share are modules they call, not other commands:
//! [`crate::scope`] (which task, sub-account and filter a command names) and
//! [`crate::counting`] (counts per status and their cache).

use crate::catalogue::CommandSpec;

pub mod export;
pub(crate) mod help;
pub(crate) mod numbers;
pub(crate) mod reset;
pub(crate) mod stats;
pub mod watch;

/// Every command, one line each, in the order menus and `/help` show them.
pub const COMMANDS: &[CommandSpec] = &[
    numbers::COMMAND,
    stats::COMMAND,
    reset::COMMAND,
    export::COMMAND,
    watch::COMMAND,
    watch::unwatch::COMMAND,
    watch::list::COMMAND,
    help::COMMAND,
];
