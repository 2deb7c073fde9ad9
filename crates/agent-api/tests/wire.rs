//! The exact requests the generated client puts on the wire, seen by a loopback server.
#![allow(clippy::unwrap_used)] // tests may panic

mod support;

use agent_api::types::{ApiError, BatchResetRequest, CallStatus, NumberListResponse};
use agent_api::wire::PlatformDateTime;
use support::{Recorder, TOKEN, client, fixture};

const USER: &str = "5832d184-dd53-42a0-8ace-0bf8d660f4cc";
const TASK: &str = "f232d184-dd54-42a0-8ace-0bf8d660f4cc";

fn statuses(codes: &[i64]) -> Vec<CallStatus> {
    codes
        .iter()
        .map(|&c| CallStatus::try_from(c).unwrap())
        .collect()
}

/// A loopback server answering every request with the fixture `name`, as JSON.
async fn answering_with(name: &str) -> Recorder {
    Recorder::start(200, "application/json", &fixture(name)).await
}

/// `api`'s request for the first page of `TASK`'s numbers.
async fn first_page(
    api: &agent_api::Client,
) -> Result<agent_api::ResponseValue<NumberListResponse>, agent_api::Error<ApiError>> {
    api.list_numbers()
        .user_id(USER)
        .task_id(TASK)
        .page(1u32)
        .send()
        .await
}

/// The error a request for the first page gets from a server answering `status`, `content_type`
/// and `body`.
async fn first_page_error(
    status: u16,
    content_type: &str,
    body: &str,
) -> agent_api::Error<ApiError> {
    let server = Recorder::start(status, content_type, body).await;
    first_page(&client(&server.base_url)).await.unwrap_err()
}

#[tokio::test]
async fn list_sends_statuses_as_a_laravel_array() {
    let server = answering_with("number-list.response.json").await;
    let response = client(&server.base_url)
        .list_numbers()
        .user_id(USER)
        .task_id(TASK)
        .page(1u32)
        .status(statuses(&[0, 2]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.data.len(), 1);

    let request = server.only_request();
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.target,
        format!("/agent-api/user/{USER}/task/{TASK}/number?page=1&status%5B%5D=0&status%5B%5D=2")
    );
    assert!(request.target.contains("status%5B%5D=0&status%5B%5D=2"));
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    insta::assert_snapshot!(request.render());
}

#[tokio::test]
async fn list_sends_every_filter_in_the_platforms_forms() {
    let server = answering_with("number-list.response.json").await;
    client(&server.base_url)
        .list_numbers()
        .user_id(USER)
        .task_id(TASK)
        .page(2u32)
        .per_page(50u32)
        .encryption(true)
        .sub_user_id("1181ffd3-e3ee-4d75-a45c-8b9be3deb330")
        .start_at("2025-12-03 00:00:00")
        .end_at("2025-12-03 23:59:00")
        .status(statuses(&[4, 8, 12]))
        .send()
        .await
        .unwrap();
    let request = server.only_request();
    // Booleans as 1/0, dates in the platform's zone-less form, query keys in a stable order.
    assert!(
        request.target.contains("encryption=1&"),
        "{}",
        request.target
    );
    assert!(request.target.contains("start_at=2025-12-03+00%3A00%3A00"));
    insta::assert_snapshot!(request.render());
}

#[tokio::test]
async fn bad_parameters_are_refused_before_any_request() {
    let server = Recorder::start(200, "application/json", "{}").await;
    let api = client(&server.base_url);
    let err = api
        .list_numbers()
        .user_id(USER)
        .task_id(TASK)
        .page(0u32)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, agent_api::Error::InvalidRequest(_)),
        "{err:?}"
    );
    let err = api
        .list_numbers()
        .user_id(USER)
        .task_id(TASK)
        .page(1u32)
        .start_at("2025/12/3 0:00")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, agent_api::Error::InvalidRequest(_)),
        "{err:?}"
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn reset_sends_the_seed_example_body_exactly() {
    let server = answering_with("number-batch-reset.response.json").await;
    let body = BatchResetRequest {
        keyword: Some("13934373090".into()),
        phones: vec!["13934373090".into()],
        start_at: Some("2020-07-28 10:00:00".parse::<PlatformDateTime>().unwrap()),
        end_at: Some("2020-07-28 23:59:59".parse::<PlatformDateTime>().unwrap()),
        status: statuses(&[0, 2]),
        ..Default::default()
    };
    let response = client(&server.base_url)
        .batch_reset_numbers()
        .user_id("4d99d91c-f5d9-49da-88da-758977cc58a9")
        .task_id("b15b7392-a83f-4e0e-9570-31dd2ec8f85c")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.code, 200);

    let request = server.only_request();
    assert_eq!(request.method, "PUT");
    assert_eq!(
        request.target,
        "/agent-api/user/4d99d91c-f5d9-49da-88da-758977cc58a9/task/b15b7392-a83f-4e0e-9570-31dd2ec8f85c/number-batch-reset"
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    let sent: serde_json::Value = serde_json::from_str(&request.body).unwrap();
    let seed: serde_json::Value =
        serde_json::from_str(&fixture("number-batch-reset.request.json")).unwrap();
    assert_eq!(sent, seed, "the body must be the seed example, key for key");
    insta::assert_snapshot!(request.render());
}

#[tokio::test]
async fn reset_omits_unset_fields_and_sends_real_booleans() {
    let server = answering_with("number-batch-reset.response.json").await;
    client(&server.base_url)
        .batch_reset_numbers()
        .user_id(USER)
        .task_id(TASK)
        .body_map(|b| b.phones(vec!["13073797565".to_string()]).encryption(false))
        .send()
        .await
        .unwrap();
    let request = server.only_request();
    assert_eq!(
        request.body,
        r#"{"encryption":false,"phones":["13073797565"]}"#
    );
}

#[tokio::test]
async fn declared_errors_decode_into_api_error() {
    let err = first_page_error(
        422,
        "application/json",
        r#"{"message":"The given data was invalid.","errors":{"status.0":["The selected status.0 is invalid."]}}"#,
    )
    .await;
    let agent_api::Error::ErrorResponse(response) = err else {
        panic!("expected an error response, got {err:?}");
    };
    assert_eq!(response.status().as_u16(), 422);
    assert_eq!(
        response.errors["status.0"],
        vec!["The selected status.0 is invalid.".to_string()]
    );
}

#[tokio::test]
async fn an_html_error_page_keeps_its_status_and_headers() {
    let err = first_page_error(
        502,
        "text/html",
        "<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>",
    )
    .await;
    let agent_api::Error::ErrorResponse(response) = err else {
        panic!("expected an error response, got {err:?}");
    };
    assert_eq!(response.status().as_u16(), 502);
    assert_eq!(response.headers()["retry-after"], "7");
    assert_eq!(
        response.message,
        "HTTP 502 Bad Gateway with a body that is not the API's JSON (text/html): 502 Bad Gateway nginx"
    );
}

#[tokio::test]
async fn a_body_that_does_not_match_the_schema_is_a_payload_error() {
    let err = first_page_error(200, "application/json", r#"{"code":200,"status":"succ"#).await;
    assert!(
        matches!(err, agent_api::Error::InvalidResponsePayload(..)),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_in_flight_are_limited_across_clones() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    // A server that holds each request 50 ms and records how many it holds at once.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (now, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let body = fixture("number-list.response.json");
    {
        let (now, peak) = (now.clone(), peak.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (now, peak, body) = (now.clone(), peak.clone(), body.clone());
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 8192];
                    loop {
                        let n = socket.read(&mut buf).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        let current = now.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(current, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        now.fetch_sub(1, Ordering::SeqCst);
                        let answer = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        if socket.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
    }
    let options = agent_api::ClientOptions {
        max_in_flight: Some(3),
        ..agent_api::ClientOptions::default()
    };
    let api = agent_api::connect(&base, TOKEN.into(), &options).unwrap();
    let mut calls = Vec::new();
    for _ in 0..12 {
        let api = api.clone();
        calls.push(tokio::spawn(
            async move { first_page(&api).await.map(|_| ()) },
        ));
    }
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(
        peak.load(Ordering::SeqCst),
        3,
        "at most 3 requests at once, and the limit is used"
    );
}
