//! One catalogue of commands: Telegram's menu (en, zh), Discord's registration (names, options,
//! types, required and autocomplete flags, zh-CN localisations), `/help` (en, zh) and the parser
//! list exactly the catalogue's commands and options. Every expectation here is derived from
//! `agent_chatops::catalogue`; nothing is compared with a hand-written list.
#![allow(clippy::unwrap_used)] // tests may panic

use std::collections::BTreeMap;

use agent_chatops::COMMANDS;
use agent_chatops::catalogue::{Completion, OPTIONS, OptionKind, Presence};
use agent_chatops::{Caller, Engine, EngineConfig, Lang, ParseError, Transport};
use agent_core::{AgentClient, ApiConfig};
use serde_json::Value;

const LANGS: [Lang; 2] = [Lang::En, Lang::Zh];

/// The catalogue's commands, each with its options' names in order.
fn catalogue() -> Vec<(&'static str, Vec<&'static str>)> {
    COMMANDS
        .iter()
        .map(|spec| (spec.slash, spec.option_specs().map(|o| o.name).collect()))
        .collect()
}

#[test]
fn telegrams_menu_lists_the_catalogues_commands_in_both_languages() {
    for lang in LANGS {
        let menu = telegram_bot::commands::bot_commands(lang);
        let names: Vec<&str> = menu.iter().map(|c| c.command.as_str()).collect();
        let expected: Vec<&str> = catalogue().into_iter().map(|(name, _)| name).collect();
        assert_eq!(names, expected, "{lang:?}");
        for (entry, spec) in menu.iter().zip(COMMANDS) {
            assert!(
                entry.description.starts_with(spec.summary.get(lang)),
                "{lang:?}: {entry:?}"
            );
            if let Some(example) = spec.example {
                assert!(entry.description.contains(example), "{entry:?}");
            }
            assert!((3..=256).contains(&entry.description.chars().count()));
        }
    }
}

/// Discord's type number of an option kind.
fn discord_type(kind: OptionKind) -> u64 {
    match kind {
        OptionKind::Text => 3,
        OptionKind::Integer { .. } => 4,
        OptionKind::Flag => 5,
    }
}

#[test]
fn discords_registration_lists_the_catalogues_commands_and_options() {
    let json = serde_json::to_value(discord_bot::commands()).unwrap();
    let registered = json.as_array().unwrap();
    let names: Vec<(&str, Vec<&str>)> = registered
        .iter()
        .map(|command| {
            let options = command["options"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["name"].as_str().unwrap())
                .collect();
            (command["name"].as_str().unwrap(), options)
        })
        .collect();
    assert_eq!(names, catalogue());

    for (command, spec) in registered.iter().zip(COMMANDS) {
        assert_eq!(command["name_localizations"]["zh-CN"], spec.name_zh);
        assert_eq!(command["description"], spec.summary.en);
        assert_eq!(
            command["description_localizations"]["zh-CN"],
            spec.summary.zh
        );
        for (option, option_spec) in command["options"]
            .as_array()
            .unwrap()
            .iter()
            .zip(spec.option_specs())
        {
            let name = option_spec.name;
            assert_eq!(option["type"], discord_type(option_spec.kind), "{name}");
            assert_eq!(option["required"], option_spec.required(), "{name}");
            assert_eq!(option["autocomplete"], option_spec.autocomplete(), "{name}");
            assert_eq!(option["description"], option_spec.description.en, "{name}");
            assert_eq!(
                option["description_localizations"]["zh-CN"],
                option_spec.description.zh
            );
            assert_eq!(option["name_localizations"]["zh-CN"], option_spec.name_zh);
            let min = match option_spec.kind {
                OptionKind::Integer { min } => min.map_or(Value::Null, Value::from),
                _ => Value::Null,
            };
            assert_eq!(option["min_value"], min, "{name}");
            let choices: Vec<&str> = match option_spec.completion {
                Completion::Choices(choices) => choices.iter().map(|(value, _)| *value).collect(),
                _ => Vec::new(),
            };
            let registered_choices: Vec<&str> = option["choices"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["value"].as_str().unwrap())
                .collect();
            assert_eq!(registered_choices, choices, "{name}");
        }
    }
}

async fn engine() -> (agent_sim::SimHandle, Engine) {
    let sim = agent_sim::start(agent_sim::SimConfig {
        size: 10,
        ..Default::default()
    })
    .await
    .unwrap();
    let api = ApiConfig::from_lookup(sim.env()).unwrap();
    let toml = format!(
        "[chatops]\nsecret = \"catalogue-test-secret-0123\"\noperators = [\"*\"]\n[chatops.tasks]\ndemo = \"{}\"\n",
        agent_sim::DEMO_TASK_ID
    );
    let config = EngineConfig::from_text(&toml).unwrap();
    (sim, Engine::new(AgentClient::new(&api).unwrap(), config))
}

/// The commands `/help` shows: each line that starts with a slash, read back into the command
/// and its options (`key:<…>`, `[key:<…>]`, `[flag]`), with whether each is shown as optional.
fn help_commands(lines: &[String]) -> BTreeMap<String, Vec<(String, bool)>> {
    lines
        .iter()
        .filter_map(|line| line.strip_prefix('/'))
        .map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next().unwrap().to_string();
            let options = words
                .map(|word| {
                    let optional = word.starts_with('[') && word.ends_with(']');
                    let word = word.trim_start_matches('[').trim_end_matches(']');
                    let key = word.split_once(':').map_or(word, |(key, _)| key);
                    (key.to_string(), optional)
                })
                .collect();
            (name, options)
        })
        .collect()
}

#[tokio::test]
async fn help_lists_the_catalogues_commands_and_options_in_both_languages() {
    let (_sim, engine) = engine().await;
    let expected: BTreeMap<String, Vec<(String, bool)>> = COMMANDS
        .iter()
        .map(|spec| {
            let options = spec
                .option_specs()
                .map(|o| (o.name.to_string(), o.presence == Presence::Optional))
                .collect();
            (spec.slash.to_string(), options)
        })
        .collect();
    for (lang, locale) in [(Lang::En, "en-US"), (Lang::Zh, "zh-CN")] {
        let caller = Caller {
            locale: Some(locale.into()),
            ..Caller::new(Transport::Shell, "ops")
        };
        let reply = engine.help(&caller);
        assert_eq!(help_commands(&reply.lines), expected, "{lang:?}");
        // Each usage line is followed by what the command does, in the caller's language.
        for spec in COMMANDS {
            let slash = format!("/{}", spec.slash);
            let at = reply
                .lines
                .iter()
                .position(|line| line.split_whitespace().next() == Some(slash.as_str()))
                .unwrap();
            assert_eq!(reply.lines[at + 1].trim(), spec.help.get(lang), "{lang:?}");
        }
        // The same text through the command, as every transport sends it.
        let typed = engine.handle_text(&caller, "/help").await;
        assert_eq!(typed.lines, reply.lines);
    }
}

#[test]
fn the_parser_takes_exactly_the_catalogues_options() {
    for spec in COMMANDS {
        assert_eq!(
            agent_chatops::parse(&format!("/{}", spec.slash))
                .unwrap()
                .name,
            spec.name()
        );
        for alias in spec.aliases {
            assert_eq!(
                agent_chatops::parse(&format!("/{alias}")).unwrap().name,
                spec.name()
            );
        }
        for option in OPTIONS {
            let typed = match option.kind {
                OptionKind::Flag => option.name.to_string(),
                _ => format!("{}:1", option.name),
            };
            let parsed = agent_chatops::parse(&format!("/{} {typed}", spec.slash));
            if spec.options.contains(&option.key) {
                assert!(parsed.unwrap().get(option.key).is_some(), "{typed}");
            } else if option.kind != OptionKind::Flag || spec.positional().is_none() {
                // A bare word that is not an option is the task where a command takes one.
                let Err(ParseError::UnknownOption { accepted, .. }) = parsed else {
                    panic!("/{} {typed}: {parsed:?}", spec.slash);
                };
                let listed: Vec<&str> = spec.option_specs().map(|o| o.name).collect();
                assert_eq!(accepted, listed.join(", "));
            }
        }
    }
}
