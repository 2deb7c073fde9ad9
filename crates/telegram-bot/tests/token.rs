//! The token stays out of what the bot prints: teloxide's `Bot` prints it in `Debug` (so the
//! bot's own types never derive `Debug` over it), and logged errors go through the redactor.
#![allow(clippy::unwrap_used)] // tests may panic

mod support;

use agent_chatops::Engine;
use agent_core::AgentClient;
use secrecy::SecretString;
use support::*;
use telegram_bot::redact::error_chain;
use telegram_bot::settings::Overrides;
use telegram_bot::{Redactor, Service, make_bot};
use teloxide::adaptors::throttle::Limits;
use teloxide::prelude::*;

const SECRET_PART: &str = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

#[tokio::test]
async fn debug_output_and_logged_errors_never_show_the_token() {
    let sim = agent_sim::start(agent_sim::SimConfig {
        size: 10,
        ..Default::default()
    })
    .await
    .unwrap();
    let tg = FakeTelegram::start().await;
    let settings = settings(&sim, &tg, &[], &Overrides::default());
    let bot = make_bot(
        &settings.telegram.token,
        settings.telegram.api_url.as_ref(),
        Limits::default(),
    )
    .unwrap();
    assert!(
        format!("{bot:?}").contains(SECRET_PART),
        "teloxide's Bot no longer prints its token"
    );
    let engine = Engine::new(
        AgentClient::new(&settings.api).unwrap(),
        settings.engine.clone(),
    );
    let service = Service::new(bot, engine, &settings.telegram, settings.redactor());
    for debug in [
        format!("{service:?}"),
        format!("{settings:?}"),
        format!("{:?}", settings.redactor()),
    ] {
        assert!(!debug.contains(SECRET_PART), "{debug}");
    }

    // A failed call, as the bot logs it: the error and its causes, redacted.
    // Nothing listens on port 1 (a port freed by a test could be taken by another test).
    let closed = "127.0.0.1:1";
    let url = url::Url::parse(&format!("http://{closed}/")).unwrap();
    let bot = make_bot(&SecretString::from(TOKEN), Some(&url), Limits::default()).unwrap();
    let err = bot.get_me().await.unwrap_err();
    let logged = Redactor::new([TOKEN]).redact(&error_chain(&err));
    assert!(logged.contains("Connection refused"), "{logged}");
    assert!(!logged.contains(SECRET_PART));
}
