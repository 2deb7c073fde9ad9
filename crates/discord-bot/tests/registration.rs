//! The registration JSON, as serenity sends it in `PUT …/commands`: names, options, types,
//! autocomplete flags, minimum values and the zh-CN localisations.
#![allow(clippy::unwrap_used)] // tests may panic

#[test]
fn the_registration_json_is_as_reviewed() {
    let json = serde_json::to_value(discord_bot::commands()).unwrap();
    insta::assert_json_snapshot!("commands", json);
}

#[test]
fn every_name_and_description_has_a_chinese_localisation() {
    let json = serde_json::to_value(discord_bot::commands()).unwrap();
    for command in json.as_array().unwrap() {
        assert!(
            command["name_localizations"]["zh-CN"].is_string(),
            "{command}"
        );
        assert!(
            command["description_localizations"]["zh-CN"].is_string(),
            "{command}"
        );
        for option in command["options"].as_array().unwrap() {
            assert!(
                option["name_localizations"]["zh-CN"].is_string(),
                "{option}"
            );
            assert!(
                option["description_localizations"]["zh-CN"].is_string(),
                "{option}"
            );
            let name = option["name"].as_str().unwrap();
            assert!(
                name.len() <= 32 && name.chars().all(|c| c.is_ascii_lowercase()),
                "{name}"
            );
        }
    }
}
