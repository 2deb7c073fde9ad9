//! The routes, and the state behind them (one `RwLock` over every task).

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use agent_api::types::{ApiError, Envelope, NumberListResponse, PageMeta};
use agent_api::wire::LenientInt;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use serde_json::Value;

use crate::data::{Numbers, Record, seconds};
use crate::faults::{Decision, Fault, FaultState};
use crate::query::{Filters, Invalid, list_query, reset_body};

/// The list route (axum syntax).
pub const LIST_ROUTE: &str = "/agent-api/user/{user_id}/task/{task_id}/number";
/// The batch-reset route (axum syntax).
pub const RESET_ROUTE: &str = "/agent-api/user/{user_id}/task/{task_id}/number-batch-reset";

/// The page a proxy in front of the platform answers with when the platform is down.
pub const BAD_GATEWAY_PAGE: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/// The business error a platform sends (with HTTP 200) while a 2.0 task runs.
pub const SOFT_ERROR_CODE: i64 = 6007;
/// Its message.
pub const SOFT_ERROR_MESSAGE: &str = "2.0任务启动中,请先停止任务";

/// A seeded task.
#[derive(Debug)]
pub struct Task {
    /// The main account.
    pub user_id: String,
    /// The sub-account that owns it, if any.
    pub sub_user_id: Option<String>,
    /// A name for people.
    pub name: String,
    /// Its numbers.
    pub numbers: Numbers,
}

/// Everything the routes share.
pub struct AppState {
    /// The bearer token.
    pub(crate) token: String,
    /// Tasks by id, behind one lock: lists read, resets write.
    pub(crate) tasks: RwLock<BTreeMap<String, Task>>,
    /// Faults.
    pub(crate) faults: Mutex<FaultState>,
    /// API requests received.
    pub(crate) requests: AtomicU64,
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("token", &"[redacted]")
            .field("tasks", &self.read().len())
            .field("requests", &self.requests.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Reads the tasks (a panic elsewhere never poisons the simulator for good).
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, BTreeMap<String, Task>> {
        self.tasks
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Writes the tasks.
    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, BTreeMap<String, Task>> {
        self.tasks
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The fault state.
    pub(crate) fn faults(&self) -> std::sync::MutexGuard<'_, FaultState> {
        self.faults
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The router: the two endpoints, Laravel's 405 for other methods on them, and Laravel's 404
/// elsewhere. Every request is logged (method, path, status, time; never headers or query).
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(LIST_ROUTE, get(list).fallback(method_not_allowed))
        .route(RESET_ROUTE, put(reset).fallback(method_not_allowed))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            faults_and_latency,
        ))
        .fallback(not_found_route)
        .layer(middleware::from_fn(log))
        .with_state(state)
}

async fn log(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        %path,
        status = response.status().as_u16(),
        ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "request"
    );
    response
}

fn json_bytes(status: StatusCode, bytes: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

fn json(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => json_bytes(status, bytes),
        Err(err) => {
            tracing::error!(%err, "cannot serialize an answer");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Serializes a generated type and adds `"data": []` where the generated code leaves an empty
/// array out (it skips empty optional arrays; the platform writes them).
fn json_with_data(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_value(body) {
        Ok(mut value) => {
            if let Some(object) = value.as_object_mut() {
                object
                    .entry("data")
                    .or_insert_with(|| Value::Array(Vec::new()));
            }
            json(status, &value)
        }
        Err(err) => {
            tracing::error!(%err, "cannot serialize an answer");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The platform's error envelope `{code, status: "error", message, data: []}`.
fn envelope_error(status: StatusCode, code: i64, message: &str) -> Response {
    json_with_data(
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

/// Laravel's own `{message}` (401, 405, 429, unknown route).
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

/// Laravel's 422 `{message, errors}`, in the platform's envelope.
fn validation_failed(invalid: &Invalid) -> Response {
    json_with_data(
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
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allowed));
    response
}

/// The API routes' faults and latency: counts the request, answers for a fault that replaces the
/// answer or runs the handler, cuts the body for `Truncated`, and answers no earlier than the
/// request's arrival plus the latency (and any `Delay`): latency is the time a request takes at
/// the platform, processing included.
async fn faults_and_latency(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let arrived = std::time::Instant::now();
    state.requests.fetch_add(1, Ordering::Relaxed);
    let decision = state.faults().decide();
    let mut delay = decision.delay;
    if let Some(Fault::Delay(extra)) = decision.fault {
        delay += extra;
    }
    if let Some(fault) = decision.fault {
        tracing::debug!(?fault, "fault injected");
    }
    let response = match replacement(decision) {
        Some(response) => response,
        None => next.run(request).await,
    };
    let response = if decision.fault == Some(Fault::Truncated) {
        truncate(response).await
    } else {
        response
    };
    wait_until(arrived + delay).await;
    response
}

/// The answer of a fault that replaces the platform's (`None`: the request is processed).
fn replacement(decision: Decision) -> Option<Response> {
    match decision.fault {
        Some(Fault::ServerError) => Some(envelope_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            500,
            "Server Error",
        )),
        Some(Fault::RateLimited { retry_after_secs }) => {
            let mut response = laravel_message(StatusCode::TOO_MANY_REQUESTS, "Too Many Attempts.");
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            Some(response)
        }
        Some(Fault::HtmlPage) => Some(
            (
                StatusCode::BAD_GATEWAY,
                [(header::CONTENT_TYPE, "text/html")],
                BAD_GATEWAY_PAGE,
            )
                .into_response(),
        ),
        Some(Fault::SoftError) => Some(envelope_error(
            StatusCode::OK,
            SOFT_ERROR_CODE,
            SOFT_ERROR_MESSAGE,
        )),
        Some(Fault::Truncated | Fault::Delay(_)) | None => None,
    }
}

/// Waits until `deadline`, to within a fraction of a millisecond: tokio's timer fires on
/// millisecond ticks, often a tick or two late, which would make injected latency (and the
/// benchmarks against it) drift; the last stretch is slept by a blocking thread.
async fn wait_until(deadline: std::time::Instant) {
    let left = deadline.saturating_duration_since(std::time::Instant::now());
    let coarse = left.saturating_sub(std::time::Duration::from_millis(2));
    if !coarse.is_zero() {
        tokio::time::sleep(coarse).await;
    }
    let rest = deadline.saturating_duration_since(std::time::Instant::now());
    if !rest.is_zero() {
        let _ = tokio::task::spawn_blocking(move || std::thread::sleep(rest)).await;
    }
}

/// Cuts a JSON body in half; the content length follows, so the client reads a short body.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let cut = bytes.slice(..bytes.len() / 2);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(cut.len()));
    Response::from_parts(parts, Body::from(cut))
}

fn authorized(state: &AppState, headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|token| token.trim() == state.token)
}

/// Not found: the platform's envelope with a message saying what.
struct NotFound(&'static str);

impl IntoResponse for NotFound {
    fn into_response(self) -> Response {
        envelope_error(StatusCode::NOT_FOUND, 404, self.0)
    }
}

/// The task, if this user (and sub-account) may see it.
fn visible<'a>(
    tasks: &'a BTreeMap<String, Task>,
    user_id: &str,
    task_id: &str,
    sub: Option<&str>,
) -> Result<&'a Task, NotFound> {
    if !tasks.values().any(|t| t.user_id == user_id) {
        return Err(NotFound("用户不存在"));
    }
    tasks
        .get(task_id)
        .filter(|t| t.user_id == user_id && t.sub_user_id.as_deref() == sub)
        .ok_or(NotFound("任务不存在"))
}

/// The records matching the filters, with their indexes (records are sorted by creation time,
/// so the time range is two binary searches).
fn matching<'a>(
    numbers: &'a Numbers,
    filters: &'a Filters,
) -> impl Iterator<Item = (usize, &'a Record)> + 'a {
    let records = &numbers.records;
    let lo = filters.start.map_or(0, |s| {
        records.partition_point(|r| numbers.created(r) < seconds(s))
    });
    let hi = filters.end.map_or(records.len(), |e| {
        records.partition_point(|r| numbers.created(r) <= seconds(e))
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
    if !authorized(&state, &headers) {
        return laravel_message(StatusCode::UNAUTHORIZED, "Unauthenticated.");
    }
    let query = match list_query(query.as_deref().unwrap_or("")) {
        Ok(query) => query,
        Err(invalid) => return validation_failed(&invalid),
    };
    let answer = {
        let tasks = state.read();
        let task = match visible(
            &tasks,
            &user_id,
            &task_id,
            query.filters.sub_user_id.as_deref(),
        ) {
            Ok(task) => task,
            Err(not_found) => return not_found.into_response(),
        };
        let numbers = &task.numbers;
        let unfiltered = query.filters.statuses.is_empty()
            && query.filters.start.is_none()
            && query.filters.end.is_none();
        let skip =
            usize::try_from((query.page - 1).saturating_mul(query.per_page)).unwrap_or(usize::MAX);
        let take = usize::try_from(query.per_page).unwrap_or(usize::MAX);
        let (total, page): (usize, Vec<&Record>) = if unfiltered {
            (
                numbers.records.len(),
                numbers.records.iter().skip(skip).take(take).collect(),
            )
        } else {
            let mut total = 0;
            let mut page = Vec::new();
            for (_, record) in matching(numbers, &query.filters) {
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
            data: page.into_iter().map(|r| numbers.render(r)).collect(),
            meta: Some(PageMeta {
                has_pages: last_page > 1,
                total: LenientInt(total as u64),
                last_page: LenientInt(last_page),
                current_page: LenientInt(query.page),
                per_page: LenientInt(query.per_page),
            }),
        }
    };
    if answer.data.is_empty() {
        json_with_data(StatusCode::OK, &answer)
    } else {
        json(StatusCode::OK, &answer)
    }
}

async fn reset(
    State(state): State<Arc<AppState>>,
    Path((user_id, task_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !authorized(&state, &headers) {
        return laravel_message(StatusCode::UNAUTHORIZED, "Unauthenticated.");
    }
    let query = match reset_body(&body) {
        Ok(query) => query,
        Err(invalid) => return validation_failed(&invalid),
    };
    {
        let mut tasks = state.write();
        if let Err(not_found) = visible(
            &tasks,
            &user_id,
            &task_id,
            query.filters.sub_user_id.as_deref(),
        ) {
            return not_found.into_response();
        }
        let Some(task) = tasks.get_mut(&task_id) else {
            return NotFound("任务不存在").into_response();
        };
        let phones: HashSet<&str> = query.phones.iter().map(String::as_str).collect();
        let keyword = query.keyword.as_deref();
        let hits: Vec<usize> = matching(&task.numbers, &query.filters)
            .filter(|(_, r)| {
                let number = r.number();
                let number = number.as_str();
                (phones.is_empty() || phones.contains(number))
                    && keyword.is_none_or(|k| number.contains(k))
            })
            .map(|(i, _)| i)
            .collect();
        for i in &hits {
            task.numbers.records[*i].reset();
        }
        tracing::info!(task = %task_id, reset = hits.len(), "numbers reset");
    }
    json(
        StatusCode::OK,
        &Envelope {
            code: 200,
            status: "success".to_string(),
            message: "批量重置号码成功".to_string(),
            data: Vec::new(),
        },
    )
}
