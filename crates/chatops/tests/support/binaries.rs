//! What the tests of the binaries (shell, telegram-bot, discord-bot) share, included by
//! `#[path]` as `redis_server.rs` is: their `--help` lists every declared setting, and a config
//! file a test writes.
#![allow(dead_code)] // each test file uses a part

use std::path::PathBuf;

use agent_chatops::config::{Table, declared};

/// `help` (a binary's `--help`) names every table, setting and variable declared by the
/// platform, the engine and the transport's `tables`, each variable with its file key: the list
/// is derived from the declarations.
pub fn assert_lists_every_setting(help: &str, tables: &[Table]) {
    for table in declared(tables) {
        assert!(help.contains(&format!("[{}]", table.name)), "{help}");
        for setting in table.settings {
            assert!(help.contains(setting.field()), "{}: {help}", setting.key);
            if let Some(env) = setting.env {
                assert!(
                    help.contains(env) && help.contains(&format!("[{}]", setting.key)),
                    "{env}: {help}"
                );
            }
        }
    }
}

/// A config file `ops.toml` holding `text`, in a folder of its own (kept as long as the first
/// value lives).
pub fn config_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ops.toml");
    std::fs::write(&config, text).unwrap();
    (dir, config)
}
