//! `telegram-bot` (issue 6: being built).

fn main() {}
