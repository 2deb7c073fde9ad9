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
    DEMO_TASK_ID, DEMO_USER_ID, Fault, Faults, SUB_TASK_ID, SUB_USER_ID, SimConfig, SimHandle,
};

async fn sim(size: usize) -> (SimHandle, Client) {
    let sim = agent_sim::start(SimConfig {
        size,
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
async fn an_empty_body_resets_the_whole_task_as_the_platform_would() {
    let (sim, _client) = sim(200).await;
    assert!(sim.snapshot(DEMO_TASK_ID).iter().any(|r| *r.status != 0));
    let url = format!(
        "{}/agent-api/user/{DEMO_USER_ID}/task/{DEMO_TASK_ID}/number-batch-reset",
        sim.base_url()
    );
    let (status, _, body) = common::send(reqwest::Method::PUT, &url, Some(sim.token()), None).await;
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
    let err = wrong
        .list_numbers()
        .user_id(DEMO_USER_ID)
        .task_id(DEMO_TASK_ID)
        .page(1u32)
        .send()
        .await
        .unwrap_err();
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

    let err = client
        .list_numbers()
        .user_id(DEMO_USER_ID)
        .task_id(DEMO_TASK_ID)
        .page(1u32)
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
    let list = || {
        client
            .list_numbers()
            .user_id(DEMO_USER_ID)
            .task_id(DEMO_TASK_ID)
            .page(1u32)
            .send()
    };

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
            let status = match client
                .list_numbers()
                .user_id(DEMO_USER_ID)
                .task_id(DEMO_TASK_ID)
                .page(1u32)
                .send()
                .await
            {
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
    for page in 1..=10u32 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let response = client
                .list_numbers()
                .user_id(DEMO_USER_ID)
                .task_id(DEMO_TASK_ID)
                .page(page)
                .per_page(100u32)
                .send()
                .await?;
            assert_eq!(response.data.len(), 100);
            assert_eq!(response.meta.as_ref().map(|m| m.total.get()), Some(1000));
            Ok(())
        }));
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
