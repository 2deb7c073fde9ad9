//! The routes, and the state behind them (one `RwLock` over every task).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use agent_api::types::{ApiError, Envelope, NumberListResponse, PageMeta};
use agent_api::wire::LenientInt;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};

use crate::data::{Record, seconds};
use crate::faults::{Decision, Fault, FaultState};
use crate::query::{Filters, Invalid, list_query, reset_body};

/// A seeded task.
#[derive(Debug)]
pub struct Task {
    /// The main account.
    pub user_id: String,
    /// The sub-account that owns it, if any.
    pub sub_user_id: Option<String>,
    /// A name for people.
    pub name: String,
    /// Its numbers, oldest first.
    pub records: Vec<Record>,
    /// The seed its data (and derived ids) come from.
    pub seed: u64,
}

/// Everything the routes share.
#[derive(Debug)]
pub struct AppState {
    /// The bearer token.
    pub token: String,
    /// Tasks by id.
    pub tasks: RwLock<BTreeMap<String, Task>>,
    /// Faults.
    pub faults: Mutex<FaultState>,
    /// API requests received.
    pub requests: AtomicU64,
}

/// The router: the two endpoints, Laravel's 405 for other methods, and 404 elsewhere.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(
            "/agent-api/user/{user_id}/task/{task_id}/number",
            get(list).fallback(method_not_allowed),
        )
        .route(
            "/agent-api/user/{user_id}/task/{task_id}/number-batch-reset",
            put(reset).fallback(method_not_allowed),
        )
        .fallback(not_found_route)
        .with_state(state)
}

fn json(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn envelope_error(status: StatusCode, code: i64, message: &str) -> Response {
    json(
        status,
        &ApiError {
            code: Some(code),
            status: Some("error".to_string()),
            message: message.to_string(),
            data: Vec::new(),
            errors: Default::default(),
        },
    )
}

fn laravel_message(status: StatusCode, message: &str) -> Response {
    json(
        status,
        &ApiError {
            code: None,
            status: None,
            message: message.to_string(),
            data: Vec::new(),
            errors: Default::default(),
        },
    )
}

fn validation_failed(invalid: &Invalid) -> Response {
    json(
        StatusCode::UNPROCESSABLE_ENTITY,
        &ApiError {
            code: Some(422),
            status: Some("error".to_string()),
            message: invalid.message(),
            data: Vec::new(),
            errors: invalid.0.clone().into_iter().collect(),
        },
    )
}

async fn not_found_route(uri: Uri) -> Response {
    laravel_message(
        StatusCode::NOT_FOUND,
        &format!(
            "The route {} could not be found.",
            uri.path().trim_start_matches('/')
        ),
    )
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    let allowed = if uri.path().ends_with("number-batch-reset") {
        "PUT"
    } else {
        "GET, HEAD"
    };
    let mut response = laravel_message(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!(
            "The {method} method is not supported for route {}. Supported methods: {allowed}.",
            uri.path().trim_start_matches('/')
        ),
    );
    if let Ok(value) = HeaderValue::from_str(allowed) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// Waits, counts, and applies a fault that replaces the answer (`None`: go on).
async fn before(state: &AppState) -> (Decision, Option<Response>) {
    state.requests.fetch_add(1, Ordering::Relaxed);
    let decision = match state.faults.lock() {
        Ok(mut faults) => faults.decide(),
        Err(poisoned) => poisoned.into_inner().decide(),
    };
    let mut delay = decision.delay;
    if let Some(Fault::Delay(extra)) = decision.fault {
        delay += extra;
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let replaced = match decision.fault {
        Some(Fault::ServerError) => Some(envelope_error(StatusCode::INTERNAL_SERVER_ERROR, 500, "Server Error")),
        Some(Fault::RateLimited { retry_after_secs }) => {
            let mut response = laravel_message(StatusCode::TOO_MANY_REQUESTS, "Too Many Attempts.");
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            Some(response)
        }
        Some(Fault::HtmlPage) => Some(
            (
                StatusCode::BAD_GATEWAY,
                [(header::CONTENT_TYPE, "text/html")],
                "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
            )
                .into_response(),
        ),
        Some(Fault::SoftError) => Some(envelope_error(StatusCode::OK, 6007, "2.0任务启动中,请先停止任务")),
        Some(Fault::Truncated | Fault::Delay(_)) | None => None,
    };
    (decision, replaced)
}

/// Cuts a JSON body in half; the content length follows, so the client reads a short body.
async fn truncate(response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let cut = bytes.slice(..bytes.len() / 2);
    let mut response = Response::from_parts(parts, Body::from(cut.clone()));
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(cut.len()));
    response
}

fn authorized(state: &AppState, headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|token| token.trim() == state.token)
}

/// The task, if this user (and sub-account) may see it.
fn visible<'a>(
    tasks: &'a BTreeMap<String, Task>,
    user_id: &str,
    task_id: &str,
    sub: Option<&str>,
) -> Option<&'a Task> {
    tasks
        .get(task_id)
        .filter(|t| t.user_id == user_id && t.sub_user_id.as_deref() == sub)
}

fn task_not_found() -> Response {
    envelope_error(StatusCode::NOT_FOUND, 404, "任务不存在")
}

/// The records matching the filters, as a range of indexes and a predicate (records are sorted
/// by creation time, so the time range is two binary searches).
fn matching<'a>(
    records: &'a [Record],
    filters: &'a Filters,
) -> impl Iterator<Item = (usize, &'a Record)> + 'a {
    let lo = filters
        .start
        .map_or(0, |s| records.partition_point(|r| r.created < seconds(s)));
    let hi = filters.end.map_or(records.len(), |e| {
        records.partition_point(|r| r.created <= seconds(e))
    });
    records[lo..hi.max(lo)]
        .iter()
        .enumerate()
        .map(move |(i, r)| (lo + i, r))
        .filter(move |(_, r)| filters.statuses.is_empty() || filters.statuses.contains(&r.status))
}

async fn list(
    State(state): State<Arc<AppState>>,
    Path((user_id, task_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (decision, replaced) = before(&state).await;
    if let Some(response) = replaced {
        return response;
    }
    if !authorized(&state, &headers) {
        return laravel_message(StatusCode::UNAUTHORIZED, "Unauthenticated.");
    }
    let query = match list_query(query.as_deref().unwrap_or("")) {
        Ok(query) => query,
        Err(invalid) => return validation_failed(&invalid),
    };
    let response = {
        let tasks = match state.tasks.read() {
            Ok(tasks) => tasks,
            Err(poisoned) => poisoned.into_inner(),
        };
        let Some(task) = visible(
            &tasks,
            &user_id,
            &task_id,
            query.filters.sub_user_id.as_deref(),
        ) else {
            return task_not_found();
        };
        let records = &task.records;
        let unfiltered = query.filters.statuses.is_empty()
            && query.filters.start.is_none()
            && query.filters.end.is_none();
        let skip =
            usize::try_from((query.page - 1).saturating_mul(query.per_page)).unwrap_or(usize::MAX);
        let take = usize::try_from(query.per_page).unwrap_or(usize::MAX);
        let (total, page): (usize, Vec<&Record>) = if unfiltered {
            (
                records.len(),
                records.iter().skip(skip).take(take).collect(),
            )
        } else {
            let mut total = 0;
            let mut page = Vec::new();
            for (_, record) in matching(records, &query.filters) {
                if total >= skip && page.len() < take {
                    page.push(record);
                }
                total += 1;
            }
            (total, page)
        };
        let last_page = (total as u64).div_ceil(query.per_page).max(1);
        NumberListResponse {
            code: 200,
            status: "success".to_string(),
            message: "查看号码列表成功".to_string(),
            data: page.iter().map(|r| r.render(task.seed)).collect(),
            meta: Some(PageMeta {
                has_pages: last_page > 1,
                total: LenientInt(total as u64),
                last_page: LenientInt(last_page),
                current_page: LenientInt(query.page),
                per_page: LenientInt(query.per_page),
            }),
        }
    };
    let response = json(StatusCode::OK, &response);
    if decision.fault == Some(Fault::Truncated) {
        truncate(response).await
    } else {
        response
    }
}

async fn reset(
    State(state): State<Arc<AppState>>,
    Path((user_id, task_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (decision, replaced) = before(&state).await;
    if let Some(response) = replaced {
        return response;
    }
    if !authorized(&state, &headers) {
        return laravel_message(StatusCode::UNAUTHORIZED, "Unauthenticated.");
    }
    let query = match reset_body(&body) {
        Ok(query) => query,
        Err(invalid) => return validation_failed(&invalid),
    };
    {
        let mut tasks = match state.tasks.write() {
            Ok(tasks) => tasks,
            Err(poisoned) => poisoned.into_inner(),
        };
        if visible(
            &tasks,
            &user_id,
            &task_id,
            query.filters.sub_user_id.as_deref(),
        )
        .is_none()
        {
            return task_not_found();
        }
        let Some(task) = tasks.get_mut(&task_id) else {
            return task_not_found();
        };
        let hits: Vec<usize> = matching(&task.records, &query.filters)
            .filter(|(_, r)| {
                query.phones.is_empty() || query.phones.iter().any(|p| **p == *r.number)
            })
            .filter(|(_, r)| {
                query
                    .keyword
                    .as_deref()
                    .is_none_or(|k| r.number.contains(k))
            })
            .map(|(i, _)| i)
            .collect();
        for i in &hits {
            task.records[*i].reset();
        }
        tracing::info!(task = %task_id, reset = hits.len(), "numbers reset");
    }
    let response = json(
        StatusCode::OK,
        &Envelope {
            code: 200,
            status: "success".to_string(),
            message: "批量重置号码成功".to_string(),
            data: Vec::new(),
        },
    );
    if decision.fault == Some(Fault::Truncated) {
        truncate(response).await
    } else {
        response
    }
}
