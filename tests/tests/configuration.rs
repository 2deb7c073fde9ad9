//! The configuration reference, `docs/configuration.md`, is written from the settings'
//! declarations (`agent-core`'s `[api]`, `agent-chatops`' `[chatops]` and `[state]`, each bot's
//! own table): this test writes it again and fails when the committed file differs, in the
//! manner of rust-analyzer's generated docs. Its sample file is checked to load with every
//! binary, to the same settings as no file: the defaults it shows are the ones the code applies.
//!
//! To write the file again: `UPDATE_EXPECT=1 cargo test -p agent-ops-tests --test configuration`.
#![allow(clippy::unwrap_used)] // tests may panic

use std::collections::HashMap;
use std::path::Path;

use agent_chatops::SecretPolicy;
use agent_chatops::config::{Layers, Table, declared};
use agent_ops_settings::{Binary, ConfigFile, reference, sample};

const UPDATE: &str = "UPDATE_EXPECT=1 cargo test -p agent-ops-tests --test configuration";

fn binaries() -> Vec<Binary> {
    vec![
        Binary {
            name: "agent-shell",
            tables: declared(&[]),
        },
        Binary {
            name: "telegram-bot",
            tables: declared(telegram_bot::settings::TABLES),
        },
        Binary {
            name: "discord-bot",
            tables: declared(discord_bot::settings::TABLES),
        },
    ]
}

#[test]
fn the_configuration_reference_is_fresh() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/configuration.md");
    let fresh = reference(&binaries(), UPDATE);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed == fresh {
        return;
    }
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        eprintln!("{} written again", path.display());
        return;
    }
    let first = committed
        .lines()
        .zip(fresh.lines())
        .position(|(a, b)| a != b)
        .unwrap_or(committed.lines().count().min(fresh.lines().count()));
    panic!(
        "docs/configuration.md is stale (first difference on line {}): run `{UPDATE}`",
        first + 1
    );
}

#[test]
fn every_setting_is_declared_once() {
    let mut keys = HashMap::new();
    let mut variables = HashMap::new();
    let all: Vec<Table> = binaries().into_iter().flat_map(|b| b.tables).collect();
    for table in &all {
        for setting in table.settings {
            assert!(
                setting.key.starts_with(&format!("{}.", table.name)),
                "{}",
                setting.key
            );
            assert!(
                !setting.about().is_empty(),
                "{} has no description",
                setting.key
            );
            let previous = keys.insert(setting.key, table.name);
            assert!(
                previous.is_none_or(|t| t == table.name),
                "{} declared twice",
                setting.key
            );
            if let Some(env) = setting.env {
                let previous = variables.insert(env, setting.key);
                assert!(
                    previous.is_none_or(|k| k == setting.key),
                    "{env} gives two settings"
                );
            }
        }
    }
    // Secrets are typed as such, whatever their name.
    for key in [
        "api.token",
        "chatops.secret",
        "state.url",
        "telegram.token",
        "telegram.webhook_secret",
        "discord.token",
    ] {
        let setting = all
            .iter()
            .flat_map(|t| t.settings)
            .find(|s| s.key == key)
            .unwrap();
        assert!(setting.secret, "{key} is not a secret");
    }
}

/// An environment with what every binary requires.
fn env(name: &str) -> Option<String> {
    let value = match name {
        "AGENT_API_TOKEN" => "platform-token",
        "AGENT_USER_ID" => "5832d184-dd53-42a0-8ace-0bf8d660f4cc",
        "AGENT_OPS_ACTION_SECRET" => "0123456789abcdef-secret",
        "TELEGRAM_BOT_TOKEN" => "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        "TELEGRAM_WEBHOOK_SECRET" => "webhook_secret-1",
        "DISCORD_TOKEN" => "discord-bot-token",
        "DISCORD_APPLICATION_ID" => "777",
        "DISCORD_PUBLIC_KEY" => "67c6bd767ca099e79efac9fcce4d2022a63bf7dea780e7f3d813f694c1597089",
        _ => return None,
    };
    Some(value.to_string())
}

/// Each binary's settings from a config file's text, as `Debug` shows them (no secret).
fn loaded(text: &str) -> Result<[String; 3], String> {
    let shell = {
        let file = ConfigFile::parse(None, text).map_err(|e| e.to_string())?;
        let layers = Layers::new(file, &env, &declared(&[]));
        agent_chatops::config::load(&layers, SecretPolicy::RandomIfUnset)
            .map_err(|e| e.to_string())?
    };
    let overrides = telegram_bot::settings::Overrides {
        webhook_url: Some("https://bot.example.com/telegram".into()),
        ..Default::default()
    };
    let telegram =
        telegram_bot::settings::load(text, &env, &overrides).map_err(|e| e.to_string())?;
    let discord = discord_bot::settings::load(text, &env, discord_bot::Mode::Http, None)
        .map_err(|e| e.to_string())?;
    Ok([
        format!("{shell:?}"),
        format!("{telegram:?}"),
        format!("{discord:?}"),
    ])
}

#[test]
fn the_sample_file_loads_and_every_default_it_shows_is_the_default() {
    let tables: Vec<Table> = binaries().into_iter().flat_map(|b| b.tables).collect();
    let mut unique: Vec<Table> = Vec::new();
    for table in tables {
        if !unique.iter().any(|t| t.name == table.name) {
            unique.push(table);
        }
    }
    let sample = sample(&unique);
    let defaults = loaded("").unwrap();
    assert_eq!(loaded(&sample).unwrap(), defaults);
    // Each default the sample shows, uncommented alone, changes nothing.
    let mut checked = 0;
    for setting in unique.iter().flat_map(|t| t.settings) {
        let Some(default) = setting.default_toml() else {
            continue;
        };
        let line = format!("# {} = {default}\n", setting.field());
        let header = format!("[{}]\n", setting.key.rsplit_once('.').unwrap().0);
        let at = sample.find(&header).unwrap();
        let Some(found) = sample[at..].find(&line) else {
            panic!("{}: the sample has no `{}`", setting.key, line.trim());
        };
        let uncommented = format!(
            "{}{}{}",
            &sample[..at + found],
            &line[2..],
            &sample[at + found + line.len()..]
        );
        assert_eq!(
            loaded(&uncommented).map_err(|e| format!("{}: {e}", setting.key)),
            Ok(defaults.clone()),
            "{} = {default}",
            setting.key
        );
        checked += 1;
    }
    assert!(checked > 30, "{checked}");
}
