//! One engine, three transports: the terminal, Telegram and Discord show the same reply — the
//! title, the counts, every row of the table, the footer and the same actions — each in its own
//! format and within its own limits. Nothing the engine says is lost on the way.
#![allow(clippy::unwrap_used)] // tests may panic

use agent_chatops::{Caller, Engine, EngineConfig, Reply, ReplyKind, Transport};
use agent_core::{AgentClient, ApiConfig};
use teloxide::types::InlineKeyboardButtonKind;
use teloxide::utils::html::escape;

async fn engine() -> (agent_sim::SimHandle, Engine) {
    let sim = agent_sim::start(agent_sim::SimConfig {
        size: 400,
        ..Default::default()
    })
    .await
    .unwrap();
    let api = ApiConfig::from_lookup(sim.env()).unwrap();
    let toml = format!(
        "[chatops]\nsecret = \"cross-crate-secret-0123\"\noperators = [\"*\"]\n[chatops.tasks]\ndemo = \"{}\"\n",
        agent_sim::DEMO_TASK_ID
    );
    let config = EngineConfig::from_text(&toml).unwrap();
    (sim, Engine::new(AgentClient::new(&api).unwrap(), config))
}

/// The lines every rendering must show: title, summary, table rows, free lines, footer.
fn essential_lines(reply: &Reply) -> Vec<String> {
    let mut lines = vec![reply.title.clone()];
    lines.extend(reply.summary.clone());
    if let Some(table) = &reply.table {
        lines.extend(table.to_monospace().lines().map(ToString::to_string));
    }
    lines.extend(reply.lines.iter().cloned());
    lines.extend(reply.footer.clone());
    lines
}

fn check_everywhere(reply: &Reply) {
    let essentials = essential_lines(reply);

    let terminal = agent_shell::render::render(reply, true);
    for line in &essentials {
        assert!(
            terminal.contains(line.as_str()),
            "terminal lost `{line}`:\n{terminal}"
        );
    }
    for (i, action) in reply.actions.iter().enumerate() {
        assert!(
            terminal.contains(&format!("[{}] {}", i + 1, action.label)),
            "{terminal}"
        );
    }

    let telegram = telegram_bot::render::html(reply);
    assert!(telegram_bot::render::telegram_len(&telegram) <= telegram_bot::render::MESSAGE_LIMIT);
    for line in &essentials {
        assert!(
            telegram.contains(&escape(line)),
            "Telegram lost `{line}`:\n{telegram}"
        );
    }
    if reply.table.is_some() {
        assert!(telegram.contains("<pre>"), "{telegram}");
    }
    let buttons: Vec<(String, String)> = telegram_bot::render::keyboard(&reply.actions)
        .map(|keyboard| {
            keyboard
                .inline_keyboard
                .into_iter()
                .flatten()
                .map(|button| match button.kind {
                    InlineKeyboardButtonKind::CallbackData(data) => (button.text, data),
                    other => panic!("not a callback button: {other:?}"),
                })
                .collect()
        })
        .unwrap_or_default();
    let expected: Vec<(String, String)> = reply
        .actions
        .iter()
        .map(|a| (a.label.clone(), a.data.clone()))
        .collect();
    assert_eq!(
        buttons, expected,
        "Telegram's buttons carry the engine's actions verbatim"
    );

    let discord = discord_bot::render(reply);
    let shown = format!(
        "{}\n{}\n{}",
        discord.title,
        discord.description,
        discord.footer.clone().unwrap_or_default()
    );
    // Discord shows markdown: title, summary and lines arrive escaped (user input cannot
    // format), the table in a code block, the footer (never markdown) as it is.
    let mut discord_lines = vec![discord_bot::render::escape_markdown(&reply.title)];
    discord_lines.extend(
        reply
            .summary
            .as_deref()
            .map(discord_bot::render::escape_markdown),
    );
    if let Some(table) = &reply.table {
        discord_lines.extend(table.to_monospace().lines().map(ToString::to_string));
    }
    discord_lines.extend(
        reply
            .lines
            .iter()
            .map(|l| discord_bot::render::escape_markdown(l)),
    );
    discord_lines.extend(reply.footer.clone());
    for line in &discord_lines {
        assert!(
            shown.contains(line.as_str()),
            "Discord lost `{line}`:\n{shown}"
        );
    }
    if reply.table.is_some() {
        assert!(
            discord.description.contains("```"),
            "{}",
            discord.description
        );
    }
    let buttons: Vec<(String, String)> = discord
        .rows
        .iter()
        .flatten()
        .map(|b| (b.label.clone(), b.custom_id.clone()))
        .collect();
    assert_eq!(
        buttons, expected,
        "Discord's buttons carry the engine's actions verbatim"
    );
    assert_eq!(discord.ephemeral, reply.private);
}

#[tokio::test]
async fn every_transport_shows_every_reply_alike() {
    let (_sim, engine) = engine().await;
    let english = Caller::new(Transport::Shell, "ops");
    let chinese = Caller {
        locale: Some("zh-CN".into()),
        ..Caller::new(Transport::Shell, "ops")
    };
    let mut kinds = Vec::new();
    for (caller, text) in [
        (&english, "/numbers task:demo status:busy"),
        (&chinese, "/numbers task:demo status:占线,关机"),
        (&english, "/numbers task:demo page:2"),
        (&english, "/reset task:demo status:retryable"),
        (&chinese, "/reset task:demo status:busy"),
        (&english, "/help"),
        (&chinese, "/help"),
        (&english, "/numbers task:demo status:bussy"),
        (&english, "/reset task:demo"),
    ] {
        let reply = engine.handle_text(caller, text).await;
        check_everywhere(&reply);
        kinds.push(reply.kind);
    }
    assert_eq!(
        kinds,
        [
            ReplyKind::Page,
            ReplyKind::Page,
            ReplyKind::Page,
            ReplyKind::Preview,
            ReplyKind::Preview,
            ReplyKind::Info,
            ReplyKind::Info,
            ReplyKind::Error,
            ReplyKind::Refused,
        ]
    );
    // A press's answer too: Next on the first page.
    let page = engine.handle_text(&english, "/numbers task:demo").await;
    let next = engine.press(&english, &page.actions[0].data).await;
    assert_eq!(next.kind, ReplyKind::Page);
    check_everywhere(&next);
}
