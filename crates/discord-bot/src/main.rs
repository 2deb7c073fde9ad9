//! `discord-bot` (issue 7: being built).

fn main() {}
