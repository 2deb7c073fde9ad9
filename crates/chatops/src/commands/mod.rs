//! The commands: each a module of its own that holds its catalogue entry ([`CommandSpec`]: name,
//! options, role, descriptions in English and Chinese), its handler and its button handlers.
//!
//! A handler is a free function that takes a [`Ctx`](crate::context::Ctx) (the caller, their language, the
//! engine's services: client, store, clock, audit log, signer) and the [`Invocation`], and
//! returns the reply or a [`Refusal`](crate::reply::Refusal). A button handler takes the
//! verified [`ActionToken`](crate::token::ActionToken) and answers `None` when the token is
//! not its command's. The kernel admits the caller, finds the command, runs it, and passes the
//! reply through the outbound rule.
//!
//! A command's texts are a [`texts!`](crate::texts) table of its own (`reset/texts.rs`), named
//! in its entry; [`every_sample`] chains them with the shared table ([`crate::messages`]) for
//! the tests of every text.
//!
//! Adding a command is a module here and one line in the `commands!` list below (see
//! `docs/dev/adding-a-command.md`).
//! Pieces several commands share are modules they call, not other commands:
//! [`crate::scope`] (which task, sub-account and filter a command names) and
//! [`crate::counting`] (counts per status and their cache).

use std::collections::BTreeSet;

use crate::catalogue::CommandSpec;
use crate::messages::MsgKey;
use crate::texts::{SampleText, samples};

/// Declares each command module and lists its commands: one line a module (a module may hold
/// several commands: `watch` holds `/watch`, `/unwatch` and `/watches`), in the order menus and
/// `/help` show them. A new command is its module and its line here; nothing else.
macro_rules! commands {
    ($($module:ident: [$($command:path),+],)*) => {
        $(pub mod $module;)*

        /// Every command, in the order menus and `/help` show them.
        pub const COMMANDS: &[CommandSpec] = &[$($($command),+),*];
    };
}

commands! {
    numbers: [numbers::COMMAND],
    stats: [stats::COMMAND],
    reset: [reset::COMMAND],
    export: [export::COMMAND],
    watch: [watch::COMMAND, watch::unwatch::COMMAND, watch::list::COMMAND],
    help: [help::COMMAND],
}

/// Every message the engine and the transports say, with its sample arguments in English and
/// Chinese: the shared table ([`crate::messages`]) and then each command's, in the order of
/// [`COMMANDS`], each table once. The tests of every text iterate this: a new command's texts
/// are in it through its entry.
pub fn every_sample() -> Vec<SampleText> {
    let mut all = samples::<MsgKey>();
    let mut tables = BTreeSet::from([all[0].table]);
    for command in COMMANDS {
        let table = (command.texts)();
        // `/watch`, `/unwatch` and `/watches` share one table: it is taken once.
        if table
            .first()
            .is_some_and(|first| tables.insert(first.table))
        {
            all.extend(table);
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::texts::{SAMPLE_NUMBER, SAMPLE_TEXT};

    fn has_chinese(text: &str) -> bool {
        text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    /// Each table is in [`every_sample`], once: the shared one and each command's (a table two
    /// commands name is the same table, not two tables of one name).
    #[test]
    fn every_table_is_sampled_once() {
        let mut by_table: BTreeMap<&str, Vec<SampleText>> = BTreeMap::new();
        for command in COMMANDS {
            let table = (command.texts)();
            assert!(!table.is_empty(), "/{} names an empty table", command.slash);
            let name = table[0].table;
            assert!(table.iter().all(|sample| sample.table == name));
            if let Some(seen) = by_table.insert(name, table.clone()) {
                assert_eq!(seen, table, "two tables are named {name}");
            }
        }
        let all = every_sample();
        let tables: BTreeSet<&str> = all.iter().map(|sample| sample.table).collect();
        let expected: BTreeSet<&str> = by_table.keys().copied().chain(["Msg"]).collect();
        assert_eq!(tables, expected);
        let keys: BTreeSet<(&str, &str)> = all.iter().map(|s| (s.table, s.key.as_str())).collect();
        assert_eq!(keys.len(), all.len(), "a message is sampled twice");
        for table in ["Msg", "ResetMsg", "ExportMsg", "WatchMsg", "HelpMsg"] {
            assert!(tables.contains(table), "{table} is not sampled: {tables:?}");
        }
    }

    /// Every message of every table is worded in English and in Chinese, differently, the
    /// Chinese in Chinese characters.
    #[test]
    fn every_message_has_english_and_chinese_text() {
        let all = every_sample();
        assert!(all.len() > 150, "{} messages", all.len());
        for SampleText { table, key, en, zh } in &all {
            assert!(!en.trim().is_empty(), "{table}::{key} has no English text");
            assert!(!zh.trim().is_empty(), "{table}::{key} has no Chinese text");
            assert_ne!(en, zh, "{table}::{key} is not translated");
            assert!(has_chinese(zh), "{table}::{key}: `{zh}` is not Chinese");
        }
    }

    /// Each argument appears as often in the English text as in the Chinese one: a sentence
    /// that drops an argument in one language shows here (the compiler only checks that each
    /// argument a text names exists).
    #[test]
    fn both_languages_say_every_argument() {
        let number = SAMPLE_NUMBER.to_string();
        let grouped_number = crate::messages::grouped(SAMPLE_NUMBER);
        let markers = |text: &str| {
            (
                text.matches(SAMPLE_TEXT).count(),
                text.matches(number.as_str()).count()
                    + text.matches(grouped_number.as_str()).count(),
            )
        };
        for SampleText { table, key, en, zh } in every_sample() {
            assert_eq!(
                markers(&en),
                markers(&zh),
                "{table}::{key}: `{en}` and `{zh}`"
            );
        }
    }
}
