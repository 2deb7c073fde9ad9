//! The simulator through the generated `agent-api` client over real HTTP: paging, filters,
//! resets, error shapes, every fault, and concurrency.
#![allow(clippy::unwrap_used)] // tests may panic

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use agent_api::types::{BatchResetRequest, CallStatus, NumberRecord};
use agent_api::wire::PlatformDateTime;
use agent_api::{Client, ClientOptions, Error, connect};
use agent_sim::{
    DEMO_TASK_ID, DEMO_USER_ID, Fault, Faults, Latency, RESET_TASK_ID, RESET_USER_ID,
    SECOND_TASK_ID, SUB_TASK_ID, SUB_USER_ID, SimConfig, SimHandle,
};
use reqwest::Method;
use serde_json::Value;

fn anchor() -> jiff::civil::DateTime {
    jiff::civil::date(2026, 11, 22).at(12, 0, 0, 0)
}

async fn sim(size: usize) -> (SimHandle, Client) {
    let sim = agent_sim::start(SimConfig {
        size,
        anchor: Some(anchor()),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let client = connect(
        sim.base_url(),
        sim.token().into(),
        &ClientOptions::default(),
    )
    .unwrap();
    (sim, client)
}

/// The request for the first page of the demo task's numbers, more filters to be added.
fn first_page(client: &Client) -> agent_api::builder::ListNumbers<'_> {
    client
        .list_numbers()
        .user_id(DEMO_USER_ID)
        .task_id(DEMO_TASK_ID)
        .page(1u32)
}

fn statuses(codes: &[i64]) -> Vec<CallStatus> {
    codes
        .iter()
        .map(|c| CallStatus::try_from(*c).unwrap())
        .collect()
}

/// Every page of a listing, with the given filters applied by `build`.
async fn all_pages(
    client: &Client,
    task: &str,
    per_page: u32,
    build: impl Fn(agent_api::builder::ListNumbers<'_>) -> agent_api::builder::ListNumbers<'_>,
) -> Vec<NumberRecord> {
    let mut out = Vec::new();
    let mut page = 1u32;
    loop {
        let request = client
            .list_numbers()
            .user_id(DEMO_USER_ID)
            .task_id(task)
            .page(page)
            .per_page(per_page);
        let response = build(request).send().await.unwrap().into_inner();
        assert_eq!(response.code, 200);
        let meta = response.meta.unwrap();
        assert_eq!(meta.current_page.get(), u64::from(page));
        assert_eq!(meta.per_page.get(), u64::from(per_page));
        assert_eq!(meta.has_pages, meta.last_page.get() > 1);
        out.extend(response.data);
        if u64::from(page) >= meta.last_page.get() {
            assert_eq!(out.len() as u64, meta.total.get());
            return out;
        }
        page += 1;
    }
}

#[tokio::test]
async fn paging_covers_every_number_exactly_once() {
    let (sim, client) = sim(503).await;
    let listed = all_pages(&client, DEMO_TASK_ID, 7, |r| r).await;
    let ids: Vec<i64> = listed.iter().map(|r| r.id).collect();
    let unique: BTreeSet<i64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "a number was listed twice");
    assert_eq!(listed, sim.snapshot(DEMO_TASK_ID));
    // Past the last page: empty data, Laravel style.
    let past = client
        .list_numbers()
        .user_id(DEMO_USER_ID)
        .task_id(DEMO_TASK_ID)
        .page(1000u32)
        .send()
        .await
        .unwrap();
    assert!(past.data.is_empty());
    assert_eq!(past.meta.as_ref().unwrap().total.get(), 503);
}

#[tokio::test]
async fn filters_match_an_independent_computation() {
    let (sim, client) = sim(800).await;
    let all = sim.snapshot(DEMO_TASK_ID);

    let wanted = [4i64, 8];
    let by_status = all_pages(&client, DEMO_TASK_ID, 50, |r| r.status(statuses(&wanted))).await;
    let expected: Vec<_> = all
        .iter()
        .filter(|r| wanted.contains(&*r.status))
        .cloned()
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(by_status, expected);

    let mut times: Vec<PlatformDateTime> = all.iter().map(|r| r.created_at).collect();
    times.sort();
    let (from, to) = (times[200], times[600]);
    let by_time = all_pages(&client, DEMO_TASK_ID, 50, |r| r.start_at(from).end_at(to)).await;
    let expected: Vec<_> = all
        .iter()
        .filter(|r| r.created_at >= from && r.created_at <= to)
        .cloned()
        .collect();
    assert_eq!(by_time, expected);

    let both = all_pages(&client, DEMO_TASK_ID, 50, |r| {
        r.start_at(from).end_at(to).status(statuses(&wanted))
    })
    .await;
    let expected: Vec<_> = all
        .iter()
        .filter(|r| r.created_at >= from && r.created_at <= to && wanted.contains(&*r.status))
        .cloned()
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(both, expected);

    let sub = all_pages(&client, SUB_TASK_ID, 100, |r| r.sub_user_id(SUB_USER_ID)).await;
    assert_eq!(sub, sim.snapshot(SUB_TASK_ID));
}

#[tokio::test]
async fn reset_puts_matching_numbers_back_to_waiting_and_leaves_the_rest() {
    let (sim, client) = sim(600).await;
    let before = sim.snapshot(DEMO_TASK_ID);
    let mut times: Vec<PlatformDateTime> = before.iter().map(|r| r.created_at).collect();
    times.sort();
    let (from, to) = (times[100], times[500]);
    let hit = |r: &NumberRecord| {
        (*r.status == 8 || *r.status == 4) && r.created_at >= from && r.created_at <= to
    };
    assert!(before.iter().any(hit));
    let answer = client
        .batch_reset_numbers()
        .user_id(DEMO_USER_ID)
        .task_id(DEMO_TASK_ID)
        .body(BatchResetRequest {
            status: statuses(&[4, 8]),
            start_at: Some(from),
            end_at: Some(to),
            ..Default::default()
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (answer.code, answer.message.as_str()),
        (200, "批量重置号码成功")
    );
    let after = all_pages(&client, DEMO_TASK_ID, 100, |r| r).await;
    for (old, new) in before.iter().zip(&after) {
        if hit(old) {
            assert_eq!(*new.status, 0);
            assert_eq!(new.status_str, "等待呼叫");
            assert!(
                new.callid.is_none()
                    && new.calldate.is_none()
                    && new.bill.is_none()
                    && new.duration.is_none()
            );
            assert!(
                new.hangupcause.is_none() && new.hangupdate.is_none() && new.answerdate.is_none()
            );
            assert_eq!((&new.number, new.created_at), (&old.number, old.created_at));
        } else {
            assert_eq!(new, old);
        }
    }
}

#[tokio::test]
async fn phones_and_keyword_combine_with_and() {
    let (sim, client) = sim(300).await;
    let before = sim.snapshot(DEMO_TASK_ID);
    let dialled: Vec<&NumberRecord> = before.iter().filter(|r| *r.status != 0).take(3).collect();
    let phones: Vec<String> = dialled.iter().map(|r| r.number.clone()).collect();
    // The keyword matches only the first phone: only it is reset.
    let keyword = dialled[0].number[..9].to_string();
    client
        .batch_reset_numbers()
        .user_id(DEMO_USER_ID)
        .task_id(DEMO_TASK_ID)
        .body_map(|b| b.phones(phones.clone()).keyword(keyword.clone()))
        .send()
        .await
        .unwrap();
    let after = sim.snapshot(DEMO_TASK_ID);
    let changed: Vec<&str> = before
        .iter()
        .zip(&after)
        .filter(|(b, a)| b != a)
        .map(|(b, _)| b.number.as_str())
        .collect();
    let expected: Vec<&str> = phones
        .iter()
        .filter(|p| p.contains(&keyword))
        .map(String::as_str)
        .collect();
    assert_eq!(changed, expected);
}

#[tokio::test]
async fn no_body_is_refused_and_an_empty_object_resets_the_whole_task() {
    let (sim, _client) = sim(200).await;
    let before = sim.snapshot(DEMO_TASK_ID);
    assert!(before.iter().any(|r| *r.status != 0));
    let url = format!(
        "{}/agent-api/user/{DEMO_USER_ID}/task/{DEMO_TASK_ID}/number-batch-reset",
        sim.base_url()
    );
    // No body at all: the spec requires one, so it is refused and nothing changes.
    let (status, _, body) = common::send(reqwest::Method::PUT, &url, Some(sim.token()), None).await;
    assert_eq!(status, 422, "{}", String::from_utf8_lossy(&body));
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["errors"]["body"][0], "The request body is required.");
    assert!(sim.snapshot(DEMO_TASK_ID) == before);
    // `{}`: no filter, the whole task, as the platform would.
    let (status, _, body) =
        common::send(reqwest::Method::PUT, &url, Some(sim.token()), Some("{}")).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(sim.snapshot(DEMO_TASK_ID).iter().all(|r| *r.status == 0));
    // Other tasks are untouched.
    assert!(
        sim.snapshot(agent_sim::SECOND_TASK_ID)
            .iter()
            .any(|r| *r.status != 0)
    );
}

#[tokio::test]
async fn error_shapes_through_the_client() {
    let (sim, _) = sim(50).await;
    let wrong = connect(
        sim.base_url(),
        "wrong-token".into(),
        &ClientOptions::default(),
    )
    .unwrap();
    let err = first_page(&wrong).send().await.unwrap_err();
    let Error::ErrorResponse(response) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (response.status().as_u16(), response.message.as_str()),
        (401, "Unauthenticated.")
    );

    let client = connect(
        sim.base_url(),
        sim.token().into(),
        &ClientOptions::default(),
    )
    .unwrap();
    let err = client
        .list_numbers()
        .user_id(DEMO_USER_ID)
        .task_id("nope")
        .page(1u32)
        .send()
        .await
        .unwrap_err();
    let Error::ErrorResponse(response) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (
            response.status().as_u16(),
            response.code,
            response.data.len()
        ),
        (404, Some(404), 0)
    );

    let err = first_page(&client)
        .start_at("2020-07-29 00:00:00")
        .end_at("2020-07-28 00:00:00")
        .send()
        .await
        .unwrap_err();
    let Error::ErrorResponse(response) = err else {
        panic!("{err:?}")
    };
    assert_eq!(response.status().as_u16(), 422);
    assert_eq!(
        response.errors["end_at"],
        ["The end at must be a date after or equal to start at."]
    );
}

#[tokio::test]
async fn every_injected_fault_is_observable() {
    let (sim, client) = sim(50).await;
    let list = || first_page(&client).send();

    sim.inject(Fault::ServerError, 1);
    let Error::ErrorResponse(r) = list().await.unwrap_err() else {
        panic!()
    };
    assert_eq!(
        (r.status().as_u16(), r.message.as_str()),
        (500, "Server Error")
    );

    sim.inject(
        Fault::RateLimited {
            retry_after_secs: 9,
        },
        1,
    );
    let Error::ErrorResponse(r) = list().await.unwrap_err() else {
        panic!()
    };
    assert_eq!(
        (
            r.status().as_u16(),
            r.headers()["retry-after"].to_str().unwrap()
        ),
        (429, "9")
    );

    sim.inject(Fault::HtmlPage, 1);
    let Error::ErrorResponse(r) = list().await.unwrap_err() else {
        panic!()
    };
    assert_eq!(r.status().as_u16(), 502);
    assert!(
        r.message.contains("(text/html): 502 Bad Gateway"),
        "{}",
        r.message
    );

    sim.inject(Fault::Truncated, 1);
    let err = list().await.unwrap_err();
    assert!(matches!(err, Error::InvalidResponsePayload(..)), "{err:?}");

    sim.inject(Fault::SoftError, 1);
    let soft = list().await.unwrap().into_inner();
    assert_eq!(
        (soft.code, soft.status.as_str(), soft.meta),
        (6007, "error", None)
    );

    sim.inject(Fault::Delay(Duration::from_millis(300)), 1);
    let started = Instant::now();
    list().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));

    // After the script, normal again.
    assert_eq!(list().await.unwrap().code, 200);
    assert_eq!(sim.requests(), 7);
}

#[tokio::test]
async fn faults_that_refuse_a_reset_do_not_apply_it_and_a_truncated_answer_does() {
    let (sim, client) = sim(100).await;
    let reset = || {
        client
            .batch_reset_numbers()
            .user_id(DEMO_USER_ID)
            .task_id(DEMO_TASK_ID)
            .body_map(|b| b.status(statuses(&[1])))
            .send()
    };
    let connected = |sim: &SimHandle| {
        sim.snapshot(DEMO_TASK_ID)
            .iter()
            .filter(|r| *r.status == 1)
            .count()
    };
    let before = connected(&sim);
    assert!(before > 0);
    for fault in [
        Fault::ServerError,
        Fault::RateLimited {
            retry_after_secs: 1,
        },
        Fault::HtmlPage,
        Fault::SoftError,
    ] {
        sim.inject(fault, 1);
        let _ = reset().await;
        assert_eq!(connected(&sim), before, "{fault:?} must not reset");
    }
    sim.inject(Fault::Truncated, 1);
    assert!(reset().await.is_err());
    assert_eq!(
        connected(&sim),
        0,
        "a truncated answer comes after the work"
    );
}

#[tokio::test]
async fn random_faults_follow_their_rates_reproducibly() {
    let (sim, client) = sim(20).await;
    let mut outcomes = Vec::new();
    for round in 0..2 {
        sim.set_faults(Faults {
            error_rate: 0.3,
            rate_limit_rate: 0.1,
            seed: 42,
            ..Faults::default()
        });
        let mut codes = Vec::new();
        for _ in 0..300 {
            let status = match first_page(&client).send().await {
                Ok(r) => r.status().as_u16(),
                Err(e) => e.status().map_or(0, |s| s.as_u16()),
            };
            codes.push(status);
        }
        let errors = codes.iter().filter(|&&c| c == 500).count();
        let limited = codes.iter().filter(|&&c| c == 429).count();
        assert!(
            (60..=120).contains(&errors),
            "round {round}: {errors} errors of 300 at 30%"
        );
        assert!(
            (12..=50).contains(&limited),
            "round {round}: {limited} 429s of 300 at 10%"
        );
        outcomes.push(codes);
    }
    assert_eq!(
        outcomes[0], outcomes[1],
        "the same seed gives the same faults"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_lists_and_resets_stay_consistent() {
    let (sim, client) = sim(1000).await;
    let before = sim.snapshot(DEMO_TASK_ID);
    let targets: Vec<String> = before
        .iter()
        .filter(|r| *r.status != 0)
        .map(|r| r.number.clone())
        .take(80)
        .collect();
    let client = std::sync::Arc::new(client);
    let mut tasks = Vec::new();
    for chunk in targets.chunks(10) {
        let client = client.clone();
        let phones = chunk.to_vec();
        tasks.push(tokio::spawn(async move {
            client
                .batch_reset_numbers()
                .user_id(DEMO_USER_ID)
                .task_id(DEMO_TASK_ID)
                .body_map(|b| b.phones(phones))
                .send()
                .await
                .map(|_| ())
        }));
    }
    let shared_before = std::sync::Arc::new(before.clone());
    for round in 0..3u32 {
        for page in 1..=10u32 {
            let client = client.clone();
            let before = shared_before.clone();
            tasks.push(tokio::spawn(async move {
                let response = client
                    .list_numbers()
                    .user_id(DEMO_USER_ID)
                    .task_id(DEMO_TASK_ID)
                    .page(page)
                    .per_page(100u32)
                    .status(if round == 0 {
                        Vec::new()
                    } else {
                        statuses(&[0])
                    })
                    .send()
                    .await?;
                let total = response.meta.as_ref().map_or(0, |m| m.total.get());
                if round == 0 {
                    assert_eq!((response.data.len(), total), (100, 1000));
                }
                // Every record is whole: as it was, or entirely reset — never half of each.
                for record in &response.data {
                    let old = before.iter().find(|r| r.id == record.id).unwrap();
                    let reset_whole = *record.status == 0
                        && record.status_str == "等待呼叫"
                        && record.callid.is_none()
                        && record.bill.is_none()
                        && record.hangupdate.is_none()
                        && record.number == old.number;
                    assert!(record == old || reset_whole, "{record:?}");
                }
                Ok(())
            }));
        }
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let after = sim.snapshot(DEMO_TASK_ID);
    for (old, new) in before.iter().zip(&after) {
        if targets.contains(&old.number) {
            assert_eq!(*new.status, 0);
        } else {
            assert_eq!(new, old);
        }
    }
}

fn list_url(sim: &SimHandle, task: &str, query: &str) -> String {
    format!(
        "{}/agent-api/user/{DEMO_USER_ID}/task/{task}/number?{query}",
        sim.base_url()
    )
}

/// The ids a raw list request returns (and its total).
async fn ids(sim: &SimHandle, query: &str) -> (Vec<i64>, u64) {
    let (status, _, body) = common::send(
        Method::GET,
        &list_url(sim, DEMO_TASK_ID, query),
        Some(sim.token()),
        None,
    )
    .await;
    assert_eq!(status, 200, "{query}: {}", String::from_utf8_lossy(&body));
    let body: Value = serde_json::from_slice(&body).unwrap();
    let ids = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    (ids, body["meta"]["total"].as_u64().unwrap())
}

#[tokio::test]
async fn every_query_form_of_the_platform_means_the_same() {
    let (sim, _) = sim(400).await;
    let all = sim.snapshot(DEMO_TASK_ID);
    // Statuses: PHP arrays, indexed arrays, a scalar, and a repeated plain key (last wins).
    let busy: Vec<i64> = all
        .iter()
        .filter(|r| *r.status == 8)
        .map(|r| r.id)
        .collect();
    assert!(!busy.is_empty());
    for query in [
        "page=1&per_page=1000&status%5B%5D=8",
        "page=1&per_page=1000&status[]=8",
        "page=1&per_page=1000&status%5B0%5D=8",
        "page=1&per_page=1000&status=8",
        "page=1&per_page=1000&status=3&status=8",
    ] {
        assert_eq!(ids(&sim, query).await.0, busy, "{query}");
    }
    // Dates: the canonical form, a date alone, minutes only, and the documentation's form.
    let day = |r: &NumberRecord| r.created_at.to_string()[..10].to_string();
    let some_day = day(&all[200]);
    let on_day: Vec<i64> = all
        .iter()
        .filter(|r| day(r) == some_day)
        .map(|r| r.id)
        .collect();
    let (y, m, d) = (&some_day[..4], &some_day[5..7], &some_day[8..10]);
    let slashed = format!(
        "{y}/{}/{}",
        m.trim_start_matches('0'),
        d.trim_start_matches('0')
    );
    for (start, end) in [
        (
            format!("{some_day} 00:00:00"),
            format!("{some_day} 23:59:59"),
        ),
        (format!("{some_day} 0:00"), format!("{some_day} 23:59:59")),
        (format!("{slashed} 0:00"), format!("{slashed} 23:59:59")),
    ] {
        let query = format!(
            "page=1&per_page=1000&start_at={}&end_at={}",
            start.replace(' ', "+"),
            end.replace(' ', "+")
        );
        assert_eq!(ids(&sim, &query).await.0, on_day, "{query}");
    }
    let (_, from_day) = ids(&sim, &format!("page=1&start_at={some_day}")).await;
    assert_eq!(
        from_day as usize,
        all.iter().filter(|r| day(r) >= some_day).count()
    );
    // Both bounds are inclusive: a number's own creation time finds it.
    let exact = all[123].created_at.to_string().replace(' ', "+");
    let (found, total) = ids(&sim, &format!("page=1&start_at={exact}&end_at={exact}")).await;
    assert!(found.contains(&all[123].id));
    assert_eq!(
        total as usize,
        all.iter()
            .filter(|r| r.created_at == all[123].created_at)
            .count()
    );
    // `encryption` as the client sends it (1/0) is accepted and changes nothing.
    assert_eq!(
        ids(&sim, "page=1&encryption=1").await,
        ids(&sim, "page=1").await
    );
}

#[tokio::test]
async fn sub_accounts_scope_lists_and_resets() {
    let (sim, client) = sim(150).await;
    let list = |task: &'static str, sub: Option<&'static str>| {
        let mut request = client
            .list_numbers()
            .user_id(DEMO_USER_ID)
            .task_id(task)
            .page(1u32);
        if let Some(sub) = sub {
            request = request.sub_user_id(sub);
        }
        request.send()
    };
    let status = |r: Result<_, Error<_>>| match r {
        Ok(_) => 200,
        Err(e) => e.status().unwrap().as_u16(),
    };
    assert_eq!(status(list(SUB_TASK_ID, Some(SUB_USER_ID)).await), 200);
    assert_eq!(status(list(SUB_TASK_ID, None).await), 404);
    assert_eq!(status(list(DEMO_TASK_ID, Some(SUB_USER_ID)).await), 404);
    assert_eq!(status(list(DEMO_TASK_ID, None).await), 200);

    // A reset with a foreign sub-account changes nothing; with the right one, only its task.
    let before_main = sim.snapshot(DEMO_TASK_ID);
    let before_sub = sim.snapshot(SUB_TASK_ID);
    let err = client
        .batch_reset_numbers()
        .user_id(DEMO_USER_ID)
        .task_id(DEMO_TASK_ID)
        .body_map(|b| b.sub_user_id(SUB_USER_ID.to_string()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().unwrap().as_u16(), 404);
    assert_eq!(sim.snapshot(DEMO_TASK_ID), before_main);
    client
        .batch_reset_numbers()
        .user_id(DEMO_USER_ID)
        .task_id(SUB_TASK_ID)
        .body_map(|b| {
            b.sub_user_id(SUB_USER_ID.to_string())
                .status(statuses(&[1]))
        })
        .send()
        .await
        .unwrap();
    let after_sub = sim.snapshot(SUB_TASK_ID);
    assert!(before_sub.iter().any(|r| *r.status == 1));
    assert!(after_sub.iter().all(|r| *r.status != 1));
    assert_eq!(sim.snapshot(DEMO_TASK_ID), before_main);
}

#[tokio::test]
async fn unknown_users_and_tasks_are_404_envelopes() {
    let (sim, _) = sim(20).await;
    for (url, message) in [
        (
            format!(
                "{}/agent-api/user/00000000-0000-4000-8000-000000000000/task/{DEMO_TASK_ID}/number?page=1",
                sim.base_url()
            ),
            "用户不存在",
        ),
        (list_url(&sim, "nope", "page=1"), "任务不存在"),
        (
            format!(
                "{}/agent-api/user/{DEMO_USER_ID}/task/{RESET_TASK_ID}/number?page=1",
                sim.base_url()
            ),
            "任务不存在",
        ),
    ] {
        let (status, _, body) = common::send(Method::GET, &url, Some(sim.token()), None).await;
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(status, 404);
        assert_eq!(
            body,
            serde_json::json!({"code": 404, "status": "error", "message": message, "data": []})
        );
    }
    // The reset documentation's task belongs to the reset documentation's user.
    let url = format!(
        "{}/agent-api/user/{RESET_USER_ID}/task/{RESET_TASK_ID}/number?page=1",
        sim.base_url()
    );
    let (status, _, _) = common::send(Method::GET, &url, Some(sim.token()), None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn validation_errors_are_laravels() {
    let (sim, _) = sim(20).await;
    let (status, _, body) = common::send(
        Method::GET,
        &list_url(
            &sim,
            DEMO_TASK_ID,
            "page=0&per_page=1001&status%5B%5D=13&start_at=nope&encryption=false",
        ),
        Some(sim.token()),
        None,
    )
    .await;
    assert_eq!(status, 422);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "code": 422,
            "status": "error",
            "message": "The encryption field must be true or false. (and 4 more errors)",
            "data": [],
            "errors": {
                "encryption": ["The encryption field must be true or false."],
                "page": ["The page must be at least 1."],
                "per_page": ["The per page must not be greater than 1000."],
                "start_at": ["The start at is not a valid date."],
                "status.0": ["The selected status.0 is invalid."],
            }
        })
    );
    let reset = format!(
        "{}/agent-api/user/{DEMO_USER_ID}/task/{DEMO_TASK_ID}/number-batch-reset",
        sim.base_url()
    );
    for (body, field) in [
        (r#"{"end_at":"2026-11-01"}"#, "start_at"),
        (r#"{"phones":[13934373090]}"#, "phones.0"),
        (r#"{"status":["2"]}"#, "status.0"),
        (r#"{"encryption":"false"}"#, "encryption"),
        ("[]", "body"),
        ("{", "body"),
    ] {
        let (status, _, answer) =
            common::send(Method::PUT, &reset, Some(sim.token()), Some(body)).await;
        let answer: Value = serde_json::from_slice(&answer).unwrap();
        assert_eq!(status, 422, "{body}");
        assert!(answer["errors"][field].is_array(), "{body}: {answer}");
    }
}

#[tokio::test]
async fn latency_is_observable() {
    let (sim, client) = sim(20).await;
    let list = || first_page(&client).send();
    list().await.unwrap();
    sim.set_faults(Faults {
        latency: Latency::Fixed(Duration::from_millis(150)),
        ..Faults::default()
    });
    let started = Instant::now();
    list().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150));
    sim.set_faults(Faults {
        latency: Latency::Uniform {
            min: Duration::from_millis(40),
            max: Duration::from_millis(90),
        },
        seed: 5,
        ..Faults::default()
    });
    for _ in 0..5 {
        let started = Instant::now();
        list().await.unwrap();
        let took = started.elapsed();
        // Only the lower bound is a guarantee: a loaded machine may always add time.
        assert!(took >= Duration::from_millis(40), "{took:?}");
    }
}

#[tokio::test]
async fn every_random_fault_kind_comes_at_its_rate() {
    let (sim, _) = sim(20).await;
    let faults = Faults {
        error_rate: 0.15,
        rate_limit_rate: 0.1,
        retry_after_secs: 4,
        html_rate: 0.1,
        truncate_rate: 0.1,
        soft_error_rate: 0.1,
        seed: 99,
        ..Faults::default()
    };
    let mut runs = Vec::new();
    for _ in 0..2 {
        sim.set_faults(faults.clone());
        let mut seen = std::collections::BTreeMap::<&str, usize>::new();
        let mut kinds = Vec::new();
        for _ in 0..500 {
            let (status, headers, body) = common::send(
                Method::GET,
                &list_url(&sim, DEMO_TASK_ID, "page=1"),
                Some(sim.token()),
                None,
            )
            .await;
            let json: Option<Value> = serde_json::from_slice(&body).ok();
            let kind = match (status, json) {
                (500, Some(b)) if b["message"] == "Server Error" => "500",
                (429, Some(_)) if headers["retry-after"] == "4" => "429",
                (502, None) if headers["content-type"] == "text/html" => "html",
                (200, None) => {
                    assert_eq!(headers["content-length"], body.len().to_string().as_str());
                    "truncated"
                }
                (200, Some(b)) if b["code"] == 6007 => "soft",
                (200, Some(b)) if b["code"] == 200 => "ok",
                (status, _) => panic!("unexpected {status}"),
            };
            *seen.entry(kind).or_default() += 1;
            kinds.push(kind);
        }
        for (kind, low, high) in [
            ("500", 45, 105),
            ("429", 25, 80),
            ("html", 25, 80),
            ("truncated", 25, 80),
            ("soft", 25, 80),
            ("ok", 160, 290),
        ] {
            let n = seen.get(kind).copied().unwrap_or(0);
            assert!((low..=high).contains(&n), "{kind}: {n} of 500 ({seen:?})");
        }
        runs.push(kinds);
    }
    assert_eq!(runs[0], runs[1], "the same seed, the same faults");
    assert_eq!(sim.requests(), 1000);
}

#[tokio::test]
async fn seeded_data_is_deterministic_and_realistic() {
    let config = SimConfig {
        anchor: Some(anchor()),
        ..SimConfig::default()
    };
    let a = agent_sim::start(config.clone()).await.unwrap();
    let b = agent_sim::start(config.clone()).await.unwrap();
    let c = agent_sim::start(SimConfig { seed: 1, ..config })
        .await
        .unwrap();
    assert_eq!(a.snapshot(DEMO_TASK_ID), b.snapshot(DEMO_TASK_ID));
    assert_ne!(a.snapshot(DEMO_TASK_ID), c.snapshot(DEMO_TASK_ID));

    // Several tasks, 3000 numbers each by default, ids increasing and unique across tasks.
    let tasks = a.tasks();
    assert_eq!(tasks.len(), 4);
    assert!(tasks.iter().all(|t| t.size == 3000));
    assert!(
        tasks
            .iter()
            .any(|t| t.task_id == DEMO_TASK_ID && t.user_id == DEMO_USER_ID)
    );
    assert!(
        tasks
            .iter()
            .any(|t| t.task_id == RESET_TASK_ID && t.user_id == RESET_USER_ID)
    );
    assert!(tasks.iter().any(|t| t.task_id == SUB_TASK_ID
        && t.user_id == DEMO_USER_ID
        && t.sub_user_id.as_deref() == Some(SUB_USER_ID)));
    let mut all_ids = BTreeSet::new();
    for task in &tasks {
        let records = a.snapshot(&task.task_id);
        assert!(records.windows(2).all(|w| w[0].id < w[1].id));
        let numbers: BTreeSet<&str> = records.iter().map(|r| r.number.as_str()).collect();
        assert_eq!(numbers.len(), records.len(), "numbers unique in a task");
        all_ids.extend(records.iter().map(|r| r.id));
    }
    assert_eq!(all_ids.len(), 12_000);

    let records = a.snapshot(DEMO_TASK_ID);
    let mut per_status = [0usize; 13];
    for r in &records {
        per_status[usize::try_from(*r.status).unwrap()] += 1;
        assert_eq!(
            r.status_str,
            agent_sim::STATUS_LABELS[usize::try_from(*r.status).unwrap()]
        );
        let place = agent_sim::PLACES
            .iter()
            .find(|p| Some(p.city) == r.city.as_deref())
            .unwrap();
        assert_eq!(r.pro.as_deref(), Some(place.province));
        assert_eq!(r.area_code.as_deref(), Some(place.area_code));
        assert_eq!(r.post_code.as_deref(), Some(place.post_code));
        let age = anchor().duration_since(r.created_at.datetime());
        assert!(
            age >= jiff::SignedDuration::ZERO && age <= jiff::SignedDuration::from_hours(30 * 24)
        );
        match *r.status {
            0 => assert!(
                r.callid.is_none()
                    && r.calldate.is_none()
                    && r.answerdate.is_none()
                    && r.hangupdate.is_none()
                    && r.hangupcause.is_none()
                    && r.bill.is_none()
                    && r.duration.is_none()
            ),
            1 => assert!(
                r.callid.is_some()
                    && r.answerdate.is_some()
                    && r.bill.unwrap() > 0
                    && r.duration.unwrap() >= r.bill.unwrap()
                    && r.hangupcause.is_some()
            ),
            _ => assert!(
                r.callid.is_some()
                    && r.calldate.is_some()
                    && r.hangupdate.is_some()
                    && r.hangupcause.is_some()
                    && r.duration.is_some()
                    && r.answerdate.is_none()
                    && r.bill == Some(0)
            ),
        }
    }
    // A realistic mix: every status, waiting and connected the most common.
    assert!(per_status.iter().all(|&n| n > 0), "{per_status:?}");
    assert!(per_status[0] > 600 && per_status[1] > 400, "{per_status:?}");
    assert!(
        records.iter().any(|r| r.number.starts_with('0')),
        "landlines"
    );
    assert!(
        records.iter().any(|r| r.number.contains('_')),
        "suffixed numbers"
    );
    for field in [
        records.iter().any(|r| r.extra.is_none()) && records.iter().any(|r| r.extra.is_some()),
        records.iter().any(|r| r.customer_id.is_none())
            && records.iter().any(|r| r.customer_id.is_some()),
        records.iter().any(|r| r.is_blacklist.is_none())
            && records.iter().any(|r| r.is_blacklist.is_some()),
    ] {
        assert!(field, "nullable fields are sometimes null");
    }
    // "The last 7 days" finds data.
    let week_ago = anchor() - jiff::SignedDuration::from_hours(7 * 24);
    let recent = records
        .iter()
        .filter(|r| r.created_at.datetime() >= week_ago)
        .count();
    assert!(recent > 300, "{recent}");

    // Unpinned, the anchor is now in China time.
    let now = agent_sim::start(SimConfig {
        size: 500,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let newest = now
        .snapshot(DEMO_TASK_ID)
        .last()
        .unwrap()
        .created_at
        .datetime();
    let china_now = agent_sim::china_now();
    assert!(newest <= china_now && newest > china_now - jiff::SignedDuration::from_hours(24));
}

#[tokio::test]
async fn a_started_simulator_shuts_down_and_frees_its_port() {
    let (sim, client) = sim(20).await;
    let base = sim.base_url().to_string();
    assert!(base.starts_with("http://127.0.0.1:") && !base.ends_with('/'));
    first_page(&client).send().await.unwrap();
    sim.shutdown().await;
    agent_api::ensure_crypto_provider();
    let refused = reqwest::Client::new()
        .get(format!("{base}/agent-api/user/x/task/y/number"))
        .send()
        .await;
    assert!(refused.is_err(), "still serving after shutdown");
}

#[test]
fn a_simulator_with_its_own_runtime_outlives_the_callers_runtimes() {
    agent_api::ensure_crypto_provider();
    let sim = agent_sim::spawn_blocking_runtime(SimConfig {
        size: 30,
        ..SimConfig::default()
    })
    .unwrap();
    let url = list_url(&sim, SECOND_TASK_ID, "page=1");
    let token = sim.token().to_string();
    // Two callers' runtimes come and go; the simulator keeps serving.
    for _ in 0..2 {
        let status = common::block_on(async {
            reqwest::Client::new()
                .get(&url)
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .status()
        });
        assert_eq!(status, 200);
    }
    assert_eq!(sim.requests(), 2);
    sim.shutdown_blocking();
    let refused = common::block_on(async { reqwest::Client::new().get(&url).send().await });
    assert!(refused.is_err(), "still serving after shutdown_blocking");
}

#[tokio::test]
async fn a_simulator_with_its_own_runtime_shuts_down_from_async_code() {
    let sim = agent_sim::spawn_blocking_runtime(SimConfig {
        size: 10,
        ..SimConfig::default()
    })
    .unwrap();
    let url = list_url(&sim, DEMO_TASK_ID, "page=1");
    let (status, _, _) = common::send(Method::GET, &url, Some(sim.token()), None).await;
    assert_eq!(status, 200);
    tokio::time::timeout(Duration::from_secs(10), sim.shutdown())
        .await
        .unwrap();
    agent_api::ensure_crypto_provider();
    assert!(reqwest::Client::new().get(&url).send().await.is_err());
}
