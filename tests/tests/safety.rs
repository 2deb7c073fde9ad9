//! The outbound rule, end to end: whatever a user types and whatever the platform (or a broken
//! proxy in front of it) answers, no rendered reply — terminal, Telegram or Discord — carries a
//! phone number, the platform's raw body, a request URL, the account id or the HTTP stack's
//! words. Each case of the issue's "What was seen" is here, asserted on every transport.
#![allow(clippy::unwrap_used)] // tests may panic

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use agent_chatops::config::{ConfigFile, Layers};
use agent_chatops::{Caller, Engine, Reply, ReplyKind, Transport};
use agent_core::AgentClient;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::Response;
use proptest::prelude::*;

const USER_ID: &str = "5832d184-dd53-42a0-8ace-0bf8d660f4cc";
const TASK_ID: &str = "f232d184-dd54-42a0-8ace-0bf8d660f4cc";
const PHONE: &str = "13934373090";

/// What the hostile platform answers next: an HTTP status, a content type and a body, in which
/// `{url}` is replaced by the request's path and query (as an HTML error page would show it).
#[derive(Clone)]
struct Answer {
    status: u16,
    content_type: &'static str,
    body: String,
}

impl Answer {
    fn json(body: impl Into<String>) -> Self {
        Self {
            status: 200,
            content_type: "application/json",
            body: body.into(),
        }
    }
}

fn record(status: &str, calldate: &str, number: &str) -> String {
    format!(
        r#"{{"number":"{number}","city":"邢台","pro":"河北","mobile_type":"联通","area_code":"0319","post_code":"054000","extra":"x","id":258,"status_str":"等待呼叫","callid":"c","calldate":{calldate},"bill":47280,"duration":56920,"hangupcause":"NORMAL_CLEARING","hangupdate":null,"answerdate":null,"is_blacklist":null,"status":{status},"customer_id":"c","created_at":"2020-07-28 14:37:30"}}"#
    )
}

fn page(records: &[String], meta: &str) -> String {
    format!(
        r#"{{"code":200,"status":"success","message":"ok","data":[{}],"meta":{meta}}}"#,
        records.join(",")
    )
}

const META: &str = r#"{"has_pages":false,"total":1,"last_page":1,"current_page":1,"per_page":15}"#;

/// A platform that answers whatever the test says, to any request.
async fn hostile_platform(answer: Arc<Mutex<Answer>>) -> SocketAddr {
    let app = axum::Router::new().fallback(move |request: Request<Body>| {
        let answer = answer.lock().unwrap().clone();
        async move {
            let url = request
                .uri()
                .path_and_query()
                .map(ToString::to_string)
                .unwrap_or_default();
            Response::builder()
                .status(StatusCode::from_u16(answer.status).unwrap())
                .header(header::CONTENT_TYPE, answer.content_type)
                .body(Body::from(answer.body.replace("{url}", &url)))
                .unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

fn engine_at(base_url: &str) -> Engine {
    let file = ConfigFile::parse(
        None,
        format!(
            "[api]\nbase_url = \"{base_url}\"\ntoken = \"tok-s3cret\"\nuser_id = \"{USER_ID}\"\ntimeout_secs = 5\n[api.retry]\nmax_attempts = 1\n[chatops]\nsecret = \"safety-secret-0123456789\"\noperators = [\"*\"]\n[chatops.tasks]\ndemo = \"{TASK_ID}\"\n"
        ),
    )
    .unwrap();
    let layers = Layers::new(file, &|_| None, &agent_chatops::config::declared(&[]));
    let loaded =
        agent_chatops::config::load(&layers, agent_chatops::SecretPolicy::Required).unwrap();
    let (api, config) = (loaded.api, loaded.engine);
    Engine::new(AgentClient::new(&api).unwrap(), config)
}

/// The reply as each transport shows it: terminal, Telegram HTML, Discord embed.
fn rendered(reply: &Reply) -> Vec<(&'static str, String)> {
    let discord = discord_bot::render(reply);
    let buttons: Vec<String> = reply.actions.iter().map(|a| a.label.clone()).collect();
    vec![
        ("terminal", agent_shell::render::render(reply, true)),
        ("telegram", telegram_bot::render::html(reply)),
        (
            "discord",
            format!(
                "{}\n{}\n{}\n{}",
                discord.title,
                discord.description,
                discord.footer.unwrap_or_default(),
                buttons.join("\n")
            ),
        ),
    ]
}

/// Digits only, so that `139 3437 3090` and `139-3437-3090` are caught too.
fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

fn assert_no_phones(reply: &Reply, phones: &[&str], context: &str) {
    for (transport, text) in rendered(reply) {
        for phone in phones {
            assert!(
                !text.contains(phone) && !digits(&text).contains(phone),
                "{context}: {transport} shows the phone {phone}:\n{text}"
            );
        }
    }
}

/// No phone, and none of the platform's raw body, URL, account id, token or HTTP stack's words.
fn assert_clean(reply: &Reply, phones: &[&str], context: &str) {
    assert_no_phones(reply, phones, context);
    for (transport, text) in rendered(reply) {
        for leak in [
            "127.0.0.1",
            USER_ID,
            TASK_ID,
            "for url",
            "<html",
            "tok-s3cret",
            "agent-api/user",
        ] {
            assert!(
                !text.contains(leak),
                "{context}: {transport} shows `{leak}`:\n{text}"
            );
        }
    }
}

fn ops() -> Caller {
    Caller::new(Transport::Shell, "ops")
}

#[tokio::test]
async fn hostile_platform_answers_never_reach_a_chat() {
    let answer = Arc::new(Mutex::new(Answer::json("")));
    let addr = hostile_platform(answer.clone()).await;
    let engine = engine_at(&format!("http://{addr}"));
    let html = format!(
        "<html><body><h1>500 Internal Server Error</h1><p>GET http://{addr}{{url}} for {PHONE}</p></body></html>"
    );
    let cases: Vec<(&str, Answer)> = vec![
        (
            "a record with status 13",
            Answer::json(page(&[record("13", "null", PHONE)], META)),
        ),
        (
            "a MySQL zero date",
            Answer::json(page(&[record("1", "\"0000-00-00 00:00:00\"", PHONE)], META)),
        ),
        ("a body cut short", {
            let body = page(&[record("1", "null", PHONE)], META);
            Answer::json(body[..body.len() / 2].to_string())
        }),
        (
            "an HTML 500 page quoting the URL",
            Answer {
                status: 500,
                content_type: "text/html",
                body: html.clone(),
            },
        ),
        (
            "an envelope 6007 naming a phone",
            Answer::json(format!(
                r#"{{"code":6007,"status":"error","message":"号码 {PHONE} 所在任务为2.0任务，请先暂停","data":[]}}"#
            )),
        ),
        (
            "a 422 naming a phone",
            Answer {
                status: 422,
                content_type: "application/json",
                body: format!(
                    r#"{{"message":"号码 {PHONE} 无效","errors":{{"phones.0":["{PHONE} is not valid"]}}}}"#
                ),
            },
        ),
    ];
    for (name, case) in cases {
        *answer.lock().unwrap() = case;
        for command in [
            "/numbers task:demo",
            "/numbers task:demo status:busy page:2",
            &format!("/reset task:demo phones:{PHONE}"),
        ] {
            let reply = engine.handle_text(&ops(), command).await;
            assert_eq!(reply.kind, ReplyKind::Error, "{name}: {reply:#?}");
            assert_clean(&reply, &[PHONE], &format!("{name} / {command}"));
            let text = reply.to_plain_text();
            assert!(
                text.contains("Reference: "),
                "{name}: a failure carries a correlation id: {text}"
            );
        }
    }
    // The platform's own message is shown, masked.
    *answer.lock().unwrap() = Answer::json(format!(
        r#"{{"code":6007,"status":"error","message":"号码 {PHONE} 所在任务为2.0任务，请先暂停","data":[]}}"#
    ));
    let reply = engine.handle_text(&ops(), "/numbers task:demo").await;
    assert!(
        reply
            .to_plain_text()
            .contains("号码 139****3090 所在任务为2.0任务"),
        "{reply:#?}"
    );
    assert!(reply.to_plain_text().contains("code 6007"), "{reply:#?}");
}

#[tokio::test]
async fn an_unreachable_platform_is_a_category_not_reqwests_words() {
    // A port nobody listens on: reqwest's error names the URL.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let engine = engine_at(&format!("http://{addr}"));
    let reply = engine.handle_text(&ops(), "/numbers task:demo").await;
    assert_eq!(reply.kind, ReplyKind::Error);
    assert!(
        reply
            .to_plain_text()
            .contains("The platform cannot be reached"),
        "{reply:#?}"
    );
    assert_clean(&reply, &[], "unreachable");
}

#[tokio::test]
async fn absurd_paging_numbers_do_not_panic() {
    let answer = Arc::new(Mutex::new(Answer::json(page(
        &[record("1", "null", PHONE)],
        r#"{"has_pages":true,"total":99999999999,"last_page":99999999999,"current_page":2,"per_page":"10"}"#,
    ))));
    let addr = hostile_platform(answer.clone()).await;
    let engine = engine_at(&format!("http://{addr}"));
    let reply = engine
        .handle_text(&ops(), "/numbers task:demo page:2")
        .await;
    assert_eq!(reply.kind, ReplyKind::Page, "{reply:#?}");
    assert_clean(&reply, &[PHONE], "absurd meta");
    // Both buttons work, and pressing them does not panic either.
    assert_eq!(reply.actions.len(), 2, "{reply:#?}");
    for action in &reply.actions {
        let pressed = engine.press(&ops(), &action.data).await;
        assert_eq!(pressed.kind, ReplyKind::Page, "{pressed:#?}");
    }
}

/// A hostile `meta`: any integers, negative, huge, or strings.
fn meta_strategy() -> impl Strategy<Value = String> {
    let int = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        Just("99999999999".to_string()),
        Just("0".to_string()),
        Just("-1".to_string()),
        any::<u32>().prop_map(|n| format!("\"{n}\"")),
    ];
    (int.clone(), int.clone(), int.clone(), int).prop_map(|(total, last, current, per)| {
        format!(
            r#"{{"has_pages":true,"total":{total},"last_page":{last},"current_page":{current},"per_page":{per}}}"#
        )
    })
}

/// Garbage around phones: bits of JSON, HTML, separators, other digits.
fn garbage_strategy() -> impl Strategy<Value = (String, Vec<String>)> {
    let phone = "1[3-9][0-9]{9}";
    let shape = prop_oneof![Just(0u8), Just(1u8), Just(2u8), Just(3u8),];
    let piece = prop_oneof![
        "[a-z{}\\[\\]\":,<>/ ]{0,12}",
        Just("<html><body>".to_string()),
        Just(r#"{"code":6007,"message":""#.to_string()),
        Just("}".to_string()),
    ];
    proptest::collection::vec((piece, phone, shape), 1..4).prop_map(|parts| {
        let mut body = String::new();
        let mut phones = Vec::new();
        for (piece, phone, shape) in parts {
            body.push_str(&piece);
            let shown = match shape {
                0 => phone.clone(),
                1 => format!("+86 {} {} {}", &phone[..3], &phone[3..7], &phone[7..]),
                2 => format!("{}-{}-{}", &phone[..3], &phone[3..7], &phone[7..]),
                _ => format!("86{phone}"),
            };
            body.push_str(&shown);
            body.push(' ');
            phones.push(phone);
        }
        (body, phones)
    })
}

fn command_strategy() -> impl Strategy<Value = (String, Vec<String>)> {
    let phone = "1[3-9][0-9]{9}";
    (
        prop_oneof![
            Just("/numbers task:demo status:"),
            Just("/reset task:demo phones:"),
            Just("/reset task:demo keyword:"),
            Just("/numbers task:"),
            Just("/reset task:demo status:busy phones:12,"),
            Just("/numbers task:demo page:"),
        ],
        phone,
    )
        .prop_map(|(prefix, phone)| (format!("{prefix}{phone}"), vec![phone]))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random commands against random platform answers (garbage bodies with phones in them,
    /// envelopes, statuses): no rendered reply shows a phone from the input or the platform.
    #[test]
    fn no_reply_shows_a_phone_from_the_input_or_the_platform(
        (command, typed) in command_strategy(),
        (garbage, platform_phones) in garbage_strategy(),
        status in prop_oneof![Just(200u16), Just(422u16), Just(500u16), Just(502u16), Just(404u16)],
        as_envelope in any::<bool>(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let body = if as_envelope {
                serde_json::json!({"code": 6007, "status": "error", "message": garbage, "data": []}).to_string()
            } else {
                garbage.clone()
            };
            let answer = Arc::new(Mutex::new(Answer { status, content_type: "application/json", body }));
            let addr = hostile_platform(answer).await;
            let engine = engine_at(&format!("http://{addr}"));
            let reply = engine.handle_text(&ops(), &command).await;
            let phones: Vec<&str> = typed.iter().chain(&platform_phones).map(String::as_str).collect();
            // (An envelope's message is the platform's own words and is shown, masked.)
            assert_no_phones(&reply, &phones, &format!("{command} against {garbage}"));
        });
    }

    /// Hostile paging numbers never panic the engine, and a page still renders.
    #[test]
    fn hostile_meta_never_panics(meta in meta_strategy(), page in 1u32..5) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let answer = Arc::new(Mutex::new(Answer::json(page_body(&meta))));
            let addr = hostile_platform(answer).await;
            let engine = engine_at(&format!("http://{addr}"));
            let reply = engine.handle_text(&ops(), &format!("/numbers task:demo page:{page}")).await;
            assert!(matches!(reply.kind, ReplyKind::Page | ReplyKind::Error), "{reply:#?}");
            for action in &reply.actions {
                let pressed = engine.press(&ops(), &action.data).await;
                assert!(matches!(pressed.kind, ReplyKind::Page | ReplyKind::Error), "{pressed:#?}");
            }
            assert_clean(&reply, &[PHONE], "hostile meta");
        });
    }
}

fn page_body(meta: &str) -> String {
    page(&[record("1", "null", PHONE)], meta)
}

/// An engine on the simulator (`size` numbers), its audit file in `audit` when given.
async fn engine_on_sim(
    size: usize,
    audit: Option<&std::path::Path>,
) -> (agent_sim::SimHandle, Engine) {
    let sim = agent_sim::start(agent_sim::SimConfig {
        size,
        ..Default::default()
    })
    .await
    .unwrap();
    let audit = audit
        .map(|path| format!("audit_log = \"{}\"\n", path.display()))
        .unwrap_or_default();
    let file = ConfigFile::parse(
        None,
        format!(
            "[chatops]\nsecret = \"safety-secret-0123456789\"\noperators = [\"*\"]\n{audit}[chatops.tasks]\ndemo = \"{}\"\n",
            agent_sim::DEMO_TASK_ID
        ),
    )
    .unwrap();
    let layers = Layers::new(file, &sim.env(), &agent_chatops::config::declared(&[]));
    let loaded =
        agent_chatops::config::load(&layers, agent_chatops::SecretPolicy::Required).unwrap();
    let (api, config) = (loaded.api, loaded.engine);
    let engine = Engine::new(AgentClient::new(&api).unwrap(), config);
    (sim, engine)
}

#[tokio::test]
async fn typed_phones_and_keywords_are_masked_in_replies_and_audit() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let (sim, engine) = engine_on_sim(300, Some(&audit)).await;

    // The keyword a user typed is masked in the reply ...
    let reply = engine
        .handle_text(&ops(), &format!("/reset task:demo keyword:{PHONE}"))
        .await;
    assert_clean(&reply, &[PHONE], "keyword");
    assert!(reply.to_plain_text().contains("139****3090"), "{reply:#?}");
    // ... and so are a status and a bad phone entry echoed in errors.
    for command in [
        "/numbers task:demo status:13698765432".to_string(),
        "/reset task:demo phones:13698765432,1369876543".to_string(),
        format!("/reset task:demo phones:{PHONE},12345x6789012"),
    ] {
        let reply = engine.handle_text(&ops(), &command).await;
        assert_eq!(reply.kind, ReplyKind::Error, "{command}: {reply:#?}");
        assert_clean(
            &reply,
            &["13698765432", "1369876543", PHONE, "6789012"],
            &command,
        );
    }
    // A phones: reset, confirmed: neither "Reset done" nor the audit line shows the phones.
    let numbers: Vec<String> = sim
        .snapshot(agent_sim::DEMO_TASK_ID)
        .iter()
        .map(|r| r.number.clone())
        .filter(|n| n.len() == 11 && n.bytes().all(|b| b.is_ascii_digit()))
        .take(2)
        .collect();
    let shown: Vec<&str> = numbers.iter().map(String::as_str).collect();
    let preview = engine
        .handle_text(
            &ops(),
            &format!("/reset task:demo phones:{}", numbers.join(",")),
        )
        .await;
    assert_eq!(preview.kind, ReplyKind::Preview, "{preview:#?}");
    assert_clean(&preview, &shown, "phones preview");
    let confirm = preview.actions.first().unwrap();
    let done = engine.press(&ops(), &confirm.data).await;
    assert_eq!(done.kind, ReplyKind::Done, "{done:#?}");
    assert_clean(&done, &shown, "phones reset done");
    let written = std::fs::read_to_string(&audit).unwrap();
    assert_eq!(
        written.lines().count(),
        3,
        "requested, confirmed, done: {written}"
    );
    for phone in shown.iter().chain([&PHONE]) {
        assert!(!written.contains(phone), "{written}");
    }
}

#[tokio::test]
async fn a_whole_task_reset_by_another_name_needs_all() {
    let (_sim, engine) = engine_on_sim(200, None).await;
    for command in [
        "/reset task:demo status:all",
        "/reset task:demo status:0,1,2,3,4,5,6,7,8,9,10,11,12",
        "/reset task:demo status:unreached,0,1",
        "/reset task:demo all:no",
        "/reset task:demo all:false",
    ] {
        let reply = engine.handle_text(&ops(), command).await;
        assert_eq!(reply.kind, ReplyKind::Refused, "{command}: {reply:#?}");
        assert!(reply.actions.is_empty(), "{command}: no Confirm");
        for (transport, text) in rendered(&reply) {
            assert!(text.contains("Reset refused"), "{transport}: {text}");
        }
    }
    // With `all`, said explicitly, the whole task can be previewed.
    let reply = engine.handle_text(&ops(), "/reset task:demo all").await;
    assert_eq!(reply.kind, ReplyKind::Preview, "{reply:#?}");
    // A keyword is digits only, and SQL wildcards are refused with the reason.
    for (keyword, why) in [
        ("139%", "wildcards"),
        ("139_", "wildcards"),
        ("[Verify](https://evil.example)", "digits"),
    ] {
        let reply = engine
            .handle_text(&ops(), &format!("/reset task:demo keyword:\"{keyword}\""))
            .await;
        assert_eq!(reply.kind, ReplyKind::Error, "{keyword}: {reply:#?}");
        assert!(reply.to_plain_text().contains(why), "{reply:#?}");
        for (transport, text) in rendered(&reply) {
            assert!(!text.contains("](https://"), "{transport}: {text}");
        }
    }
}

#[tokio::test]
async fn discord_shows_no_markdown_from_user_input() {
    let reply = Reply::new(ReplyKind::Error, "Unknown task ``` **x**")
        .line("`te`st``` [Verify](https://evil.example) is neither a task alias nor a task id.");
    let discord = discord_bot::render(&reply);
    assert!(
        !discord.description.contains("[Verify]("),
        "{}",
        discord.description
    );
    assert!(
        discord.description.contains("\\[Verify\\]"),
        "{}",
        discord.description
    );
    // Every backtick is escaped: nothing can open or close a code span.
    let unescaped = discord
        .description
        .match_indices('`')
        .filter(|(at, _)| !discord.description[..*at].ends_with('\\'))
        .count();
    assert_eq!(unescaped, 0, "{}", discord.description);
    assert!(!discord.title.contains("**x**"), "{}", discord.title);
}
