//! The facade against the simulator over real HTTP: pages, streams, counts, resets, and how each
//! fault class maps to a typed error or is retried.
#![allow(clippy::unwrap_used)] // tests may panic

use std::time::{Duration, Instant};

use agent_core::{
    AgentClient, ApiConfig, CallStatus, Error, Id, ListFilter, PageNumber, PageSize, ResetFilter,
    RetryPolicy, Scope, StatusSet, TimeRange,
};
use agent_sim::{DEMO_TASK_ID, DEMO_USER_ID, Fault, SimConfig, SimHandle};
use futures::StreamExt;

fn fast_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        budget: Duration::from_secs(10),
        retry_reset_on_transient: false,
    }
}

fn client_for(base_url: &str, token: &str, tweak: impl FnOnce(&mut ApiConfig)) -> AgentClient {
    let mut config = ApiConfig::from_lookup(|name| match name {
        "AGENT_API_BASE_URL" => Some(base_url.to_string()),
        "AGENT_API_TOKEN" => Some(token.to_string()),
        "AGENT_USER_ID" => Some(DEMO_USER_ID.to_string()),
        _ => None,
    })
    .unwrap();
    config.settings.retry = fast_retries(3);
    tweak(&mut config);
    AgentClient::new(&config).unwrap()
}

async fn world(size: usize) -> (SimHandle, AgentClient) {
    let sim = agent_sim::start(SimConfig {
        size,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let client = client_for(sim.base_url(), sim.token(), |_| {});
    (sim, client)
}

fn demo() -> Id {
    Id::task(DEMO_TASK_ID).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_yields_each_number_of_a_100k_task_once_in_order() {
    let sim = agent_sim::start(SimConfig {
        size: 100_000,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let client = client_for(sim.base_url(), sim.token(), |c| {
        c.settings.stream_page_size = PageSize::new(1000).unwrap();
        c.settings.concurrency = 8;
    });
    let before = sim.requests();
    let mut stream = client.stream(&ListFilter::new(demo()));
    let mut ids = Vec::with_capacity(100_000);
    while let Some(record) = stream.next().await {
        ids.push(record.unwrap().id);
    }
    let expected: Vec<i64> = sim.snapshot(DEMO_TASK_ID).iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), 100_000);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order, no repeats");
    assert_eq!(ids, expected);
    assert_eq!(
        sim.requests() - before,
        100,
        "one request per page, none wasted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_stream_cancels_the_pages_still_in_flight() {
    let (sim, _) = world(10_000).await;
    let client = client_for(sim.base_url(), sim.token(), |c| {
        c.settings.stream_page_size = PageSize::new(100).unwrap();
        c.settings.concurrency = 4;
        c.settings.http.max_in_flight = Some(4);
    });
    // A run in which this machine was too slow to drop the stream while pages were in flight
    // proves nothing: it is tried again with a longer latency.
    let mut latency = Duration::from_millis(150);
    for _ in 0..6 {
        if drop_while_in_flight(&sim, &client, latency).await {
            return;
        }
        latency *= 2;
    }
    panic!("the stream was never dropped while pages were in flight");
}

/// Streams with `latency` at the platform, drops the stream while pages 5 to 8 are there and
/// pages 9 and 10 wait for a slot, and checks that nothing more is asked for. False when the
/// drop came too late to tell (an answer of pages 5 to 8 may have freed a slot before it).
async fn drop_while_in_flight(sim: &SimHandle, client: &AgentClient, latency: Duration) -> bool {
    sim.set_faults(agent_sim::Faults {
        latency: agent_sim::Latency::Fixed(latency),
        ..agent_sim::Faults::default()
    });
    let before = sim.requests();
    let started = Instant::now();
    let mut stream = client.stream(&ListFilter::new(demo()));
    assert!(stream.next().await.unwrap().is_ok());
    // Pages 1 to 4 come back no earlier than `latency` after the start, and pages 5 to 8, asked
    // for then, no earlier than twice that: until then no slot is free for page 9.
    let deadline = Instant::now() + Duration::from_secs(30);
    while sim.requests() - before < 8 {
        assert!(
            Instant::now() < deadline,
            "pages 5 to 8 are never asked for"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    drop(stream);
    let at_drop = sim.requests() - before;
    if started.elapsed() >= latency * 2 {
        return false;
    }
    assert_eq!(at_drop, 8, "pages 9 and 10 wait for a slot");
    // A fetch that outlived the stream would ask for page 9 as soon as pages 5 to 8 come back.
    tokio::time::sleep(latency * 4).await;
    assert_eq!(
        sim.requests() - before,
        at_drop,
        "no page is asked for after the stream is dropped"
    );
    true
}

#[tokio::test]
async fn pages_counts_and_summaries_match_the_data() {
    let (sim, client) = world(900).await;
    let all = sim.snapshot(DEMO_TASK_ID);
    let statuses = StatusSet::parse_list("busy,no-answer").unwrap();
    let filter = ListFilter::new(Scope::new(demo()).with_statuses(statuses))
        .with_page_size(PageSize::new(25).unwrap());
    let expected: Vec<_> = all.iter().filter(|r| filter.matches(r)).cloned().collect();

    let page = client
        .numbers(&filter, PageNumber::new(2).unwrap())
        .await
        .unwrap();
    assert_eq!(page.records, expected[25..50]);
    assert_eq!(
        (page.total, page.page, page.last_page, page.per_page),
        (
            expected.len() as u64,
            2,
            expected.len().div_ceil(25) as u32,
            25
        )
    );
    assert_eq!(client.count(&filter).await.unwrap(), expected.len() as u64);

    let summary = client.summary(&ListFilter::new(demo())).await.unwrap();
    for status in agent_core::status::ALL_STATUSES {
        let n = all
            .iter()
            .filter(|r| *r.status == i64::from(status.code()))
            .count() as u64;
        assert_eq!(summary.get(status), n, "{status}");
    }
    assert_eq!(summary.total(), 900);

    let streamed: Vec<_> = client.stream(&filter).map(|r| r.unwrap()).collect().await;
    assert_eq!(streamed, expected);

    // Time ranges, in China time, inclusive.
    let mut times: Vec<_> = all.iter().map(|r| r.created_at.datetime()).collect();
    times.sort();
    let range = TimeRange::new(Some(times[100]), Some(times[400])).unwrap();
    let in_range = ListFilter::new(Scope::new(demo()).with_range(range));
    assert_eq!(
        client.count(&in_range).await.unwrap(),
        all.iter().filter(|r| in_range.matches(r)).count() as u64
    );
}

#[tokio::test]
async fn resets_through_the_facade() {
    let (sim, client) = world(300).await;
    let before = sim.requests();
    let err = client.reset(&ResetFilter::new(demo())).await.unwrap_err();
    assert!(
        matches!(err, Error::Filter(agent_core::FilterError::Unfiltered)),
        "{err}"
    );
    assert_eq!(
        sim.requests(),
        before,
        "an unfiltered reset is refused before any request"
    );

    let busy = ResetFilter::new(
        Scope::new(demo()).with_statuses([CallStatus::Busy].into_iter().collect()),
    );
    let preview = client.reset_preview(&busy).await.unwrap();
    let n = sim
        .snapshot(DEMO_TASK_ID)
        .iter()
        .filter(|r| *r.status == 8)
        .count() as u64;
    assert_eq!((preview.get(CallStatus::Busy), preview.total()), (n, n));
    let outcome = client.reset(&busy).await.unwrap();
    assert_eq!(outcome.message, "批量重置号码成功");
    assert!(sim.snapshot(DEMO_TASK_ID).iter().all(|r| *r.status != 8));

    let everything = ResetFilter::everything(demo());
    client.reset(&everything).await.unwrap();
    assert!(sim.snapshot(DEMO_TASK_ID).iter().all(|r| *r.status == 0));
}

#[tokio::test]
async fn transient_failures_of_reads_are_retried() {
    let (sim, client) = world(50).await;
    let filter = ListFilter::new(demo());
    for fault in [
        Fault::ServerError,
        Fault::HtmlPage,
        Fault::RateLimited {
            retry_after_secs: 0,
        },
    ] {
        sim.inject(fault, 2);
        let before = sim.requests();
        client.count(&filter).await.unwrap();
        assert_eq!(
            sim.requests() - before,
            3,
            "{fault:?}: two failures then success"
        );
    }
}

#[tokio::test]
async fn each_fault_class_maps_to_its_typed_error() {
    let (sim, client) = world(50).await;
    let filter = ListFilter::new(demo());

    sim.inject(Fault::ServerError, 10);
    let err = client.count(&filter).await.unwrap_err();
    assert!(matches!(err, Error::Http { status: 500, .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the platform answered HTTP 500: Server Error"
    );

    sim.inject(Fault::HtmlPage, 10);
    let err = client.count(&filter).await.unwrap_err();
    let Error::Http {
        status: 502,
        message,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(message.contains("502 Bad Gateway"), "{message}");

    sim.inject(Fault::Truncated, 1);
    let before = sim.requests();
    let err = client.count(&filter).await.unwrap_err();
    let Error::Decode { snippet, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(snippet.starts_with("{\"code\":200"), "{snippet}");
    assert_eq!(
        sim.requests() - before,
        1,
        "an undecodable body is not retried"
    );

    sim.inject(Fault::SoftError, 1);
    let err = client.count(&filter).await.unwrap_err();
    assert!(
        matches!(&err, Error::Envelope { code: 6007, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "the platform refused the request (code 6007): 2.0任务启动中,请先停止任务"
    );

    sim.inject(Fault::ServerError, 0);
    let err = client
        .count(&ListFilter::new(Id::task("unknown-task").unwrap()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Http { status: 404, .. }), "{err:?}");

    let wrong = client_for(sim.base_url(), "wrong", |_| {});
    let err = wrong.count(&filter).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "the platform answered HTTP 401: Unauthenticated."
    );
}

// On the real clock (a paused one jumps to the next timer whenever the runtime waits on the
// loopback socket, so it measures nothing here). No upper bound on how long a busy machine
// takes: a guard far below the wait a regression would make.
#[tokio::test]
async fn a_retry_after_beyond_the_budget_ends_the_retries_at_once() {
    let (sim, client) = world(20).await;
    let client_budget = client_for(sim.base_url(), sim.token(), |c| {
        c.settings.retry.budget = Duration::from_secs(2)
    });
    drop(client);
    sim.inject(
        Fault::RateLimited {
            retry_after_secs: 600,
        },
        5,
    );
    let before = sim.requests();
    let err = tokio::time::timeout(
        Duration::from_secs(60),
        client_budget.count(&ListFilter::new(demo())),
    )
    .await
    .expect("no wait for a Retry-After beyond the budget")
    .unwrap_err();
    assert!(
        matches!(err, Error::Http { status: 429, retry_after: Some(d), .. } if d == Duration::from_secs(600)),
        "{err:?}"
    );
    assert_eq!(sim.requests() - before, 1, "no retry within the budget");
    sim.inject(
        Fault::RateLimited {
            retry_after_secs: 1,
        },
        1,
    );
    let started = Instant::now();
    client_budget.count(&ListFilter::new(demo())).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After is honoured"
    );
}

#[tokio::test]
async fn timeouts_and_refused_connections() {
    let (sim, _) = world(20).await;
    let slow = client_for(sim.base_url(), sim.token(), |c| {
        c.settings.http.timeout = Duration::from_millis(300);
        c.settings.retry = fast_retries(2);
    });
    sim.inject(Fault::Delay(Duration::from_secs(2)), 2);
    let before = sim.requests();
    let err = slow.count(&ListFilter::new(demo())).await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { after } if after == Duration::from_millis(300)),
        "{err:?}"
    );
    assert_eq!(
        sim.requests() - before,
        2,
        "a read that timed out is retried"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let nowhere = client_for(&format!("http://{closed}"), "t", |_| {});
    let err = nowhere.count(&ListFilter::new(demo())).await.unwrap_err();
    assert!(
        matches!(&err, Error::Transport { connect: true, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("cannot reach the platform"),
        "{err}"
    );
}

#[tokio::test]
async fn a_reset_is_retried_only_when_it_surely_did_not_reach_the_server() {
    let (sim, client) = world(100).await;
    let busy = || {
        ResetFilter::new(Scope::new(demo()).with_statuses([CallStatus::Busy].into_iter().collect()))
    };

    sim.inject(Fault::ServerError, 1);
    let before = sim.requests();
    let err = client.reset(&busy()).await.unwrap_err();
    assert!(matches!(err, Error::Http { status: 500, .. }));
    assert_eq!(
        sim.requests() - before,
        1,
        "a 500 may have come after the work: not retried"
    );

    sim.inject(
        Fault::RateLimited {
            retry_after_secs: 0,
        },
        1,
    );
    let before = sim.requests();
    let err = client.reset(&busy()).await.unwrap_err();
    assert!(matches!(err, Error::Http { status: 429, .. }), "{err:?}");
    assert_eq!(
        sim.requests() - before,
        1,
        "a 429 reached the server: not retried by default"
    );

    let eager = client_for(sim.base_url(), sim.token(), |c| {
        c.settings.retry.retry_reset_on_transient = true
    });
    for fault in [
        Fault::ServerError,
        Fault::RateLimited {
            retry_after_secs: 0,
        },
    ] {
        sim.inject(fault, 1);
        let before = sim.requests();
        eager.reset(&busy()).await.unwrap();
        assert_eq!(
            sim.requests() - before,
            2,
            "{fault:?}: retried when configured so"
        );
    }
}

// On the real clock (see above): a refused connection is retried with the policy's short
// backoffs and given up after its attempts, not waited on until the (long) budget ends.
#[tokio::test]
async fn a_reset_that_cannot_connect_gives_up_after_its_attempts() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let nowhere = client_for(&format!("http://{closed}"), "t", |c| {
        c.settings.retry = RetryPolicy {
            budget: Duration::from_secs(600),
            ..fast_retries(3)
        }
    });
    let busy = ResetFilter::new(
        Scope::new(demo()).with_statuses([CallStatus::Busy].into_iter().collect()),
    );
    let err = tokio::time::timeout(Duration::from_secs(60), nowhere.reset(&busy))
        .await
        .expect("short backoffs, not the 600 s budget")
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport { connect: true, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_reset_preview_by_phones_or_keyword_counts_locally() {
    let (sim, client) = world(400).await;
    let all = sim.snapshot(DEMO_TASK_ID);
    let mobiles: Vec<_> = all
        .iter()
        .filter(|r| r.number.len() == 11 && r.number.starts_with('1'))
        .take(3)
        .collect();
    let phones = mobiles.iter().map(|r| r.number.parse().unwrap()).collect();
    let filter = ResetFilter::new(demo()).with_phones(phones).unwrap();
    let preview = client.reset_preview(&filter).await.unwrap();
    assert_eq!(preview.total(), 3);
    let keyword = &mobiles[0].number[..4];
    let filter = ResetFilter::new(demo()).with_keyword(keyword).unwrap();
    let expected = all.iter().filter(|r| r.number.contains(keyword)).count() as u64;
    assert_eq!(
        client.reset_preview(&filter).await.unwrap().total(),
        expected
    );
}
