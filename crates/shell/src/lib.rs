//! The terminal transport of agent-ops, in the manner of Hubot's shell adapter: the chat-ops
//! engine answers `/numbers` and `/reset` in a terminal, with no chat service, on the built-in
//! simulator unless the `AGENT_*` variables (or a config file) point at the platform.
//!
//! - [`setup`]: which platform (the simulator by default), which engine settings, who you are;
//! - [`session`]: one line in, one rendered reply out; actions become numbered choices;
//! - [`render`]: a reply as terminal text;
//! - [`watch`]: printing what the watch scheduler posts.

pub mod render;
pub mod session;
pub mod setup;
pub mod watch;
