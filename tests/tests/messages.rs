//! One home for every text: the transports (terminal, Telegram, Discord) word nothing the
//! engine's texts tables say. Each message of every table (the shared `agent_chatops::messages`
//! and each command's), in English and in Chinese, is cut at its arguments into fixed parts; no
//! transport source file may contain one. Every message is taken from
//! `agent_chatops::every_sample`, which reaches each command's table through the command list,
//! so a new message or a new command is checked without editing this.
#![allow(clippy::unwrap_used)] // tests may panic

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use agent_chatops::every_sample;
use agent_chatops::messages::{SAMPLE_NUMBER, SAMPLE_TEXT};

/// The transports' source directories, from the workspace's top.
const TRANSPORTS: [&str; 3] = [
    "crates/shell/src",
    "crates/telegram-bot/src",
    "crates/discord-bot/src",
];

fn is_chinese(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// Whether a fixed part of a message says something: Chinese words, or English that is a
/// phrase (short single words such as `status` or `Cancel` are everywhere in code).
fn telling(part: &str) -> bool {
    let chinese = part.chars().filter(|c| is_chinese(*c)).count();
    let length = part.chars().count();
    chinese >= 2 || (length >= 8 && part.contains(' ')) || length >= 12
}

/// The fixed parts of every message of every table in both languages.
fn message_parts() -> BTreeSet<String> {
    let number = SAMPLE_NUMBER.to_string();
    let mut parts = BTreeSet::new();
    for sample in every_sample() {
        for text in [&sample.en, &sample.zh] {
            for part in text
                .split(SAMPLE_TEXT)
                .flat_map(|p| p.split(number.as_str()))
            {
                let part = part.trim();
                if telling(part) {
                    parts.insert(part.to_string());
                }
            }
        }
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A source file without its unit tests (the `#[cfg(test)]` module at its end), whose fixtures
/// may well quote the engine.
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    match text.find("\n#[cfg(test)]") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

#[test]
fn no_transport_holds_a_text_of_the_messages_table() {
    let parts = message_parts();
    // The parts are really the tables', in both languages: the shared one and the commands'.
    for expected in [
        "Something went wrong",
        "出错了",
        "Send commands as yourself, not anonymously or as a channel.",
        "asks to slow down: try again in",
        "要求放慢速度：请",
        "Only the person who started the export can cancel it.",
        "该重置已被确认。",
        "This chat watches no task: /watch task:<task> starts one.",
    ] {
        assert!(
            parts.contains(expected),
            "`{expected}` not among {parts:#?}"
        );
    }

    let top = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in TRANSPORTS {
        rust_files(&top.join(dir), &mut files);
    }
    let names: Vec<String> = files
        .iter()
        .filter_map(|f| f.file_name()?.to_str().map(ToString::to_string))
        .collect();
    for expected in ["handlers.rs", "bot.rs", "session.rs"] {
        assert!(names.iter().any(|n| n == expected), "{names:?}");
    }

    let mut found = Vec::new();
    for file in &files {
        let code = code_of(file);
        for part in &parts {
            if code.contains(part.as_str()) {
                found.push(format!("{}: `{part}`", file.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "transports word what the texts tables say; use agent_chatops::Msg or Engine::notice:\n{}",
        found.join("\n")
    );
}
