//! A client facade over the generated `agent-api` client: typed errors, envelope checks, retries,
//! and concurrent paging that still yields numbers in order.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use agent_api::types::NumberRecord;
use agent_api::wire::QueryBool;
use futures::stream::{FuturesOrdered, Stream, StreamExt};

use crate::config::ApiConfig;
pub use crate::config::ClientSettings;
use crate::error::Error;
use crate::filter::{ListFilter, ResetFilter};
use crate::ids::{PageNumber, PageSize};
use crate::status::{ALL_STATUSES, CallStatus, StatusSet};
use crate::time::to_wire;

mod page_fetch;
use page_fetch::{MAX_OFFLOADED_WINDOW, PageFetch};

/// One page of numbers, with the paging information.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The numbers of this page.
    pub records: Vec<NumberRecord>,
    /// Numbers matching the filter, on all pages.
    pub total: u64,
    /// This page's number.
    pub page: u32,
    /// The last page's number (1 when nothing matches).
    pub last_page: u32,
    /// The page size the platform applied.
    pub per_page: u32,
}

/// How many numbers have each status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatusSummary {
    counts: [u64; 13],
}

impl StatusSummary {
    /// The count of one status.
    pub fn get(&self, status: CallStatus) -> u64 {
        self.counts[usize::from(status.code())]
    }

    /// Adds to the count of one status.
    pub fn add(&mut self, status: CallStatus, count: u64) {
        // Counts come from the platform: a hostile answer must not overflow.
        let slot = &mut self.counts[usize::from(status.code())];
        *slot = slot.saturating_add(count);
    }

    /// All counts together.
    pub fn total(&self) -> u64 {
        self.counts
            .iter()
            .fold(0u64, |sum, n| sum.saturating_add(*n))
    }

    /// The statuses with a count above zero, in code order.
    pub fn non_zero(&self) -> impl Iterator<Item = (CallStatus, u64)> + '_ {
        ALL_STATUSES
            .into_iter()
            .map(|s| (s, self.get(s)))
            .filter(|(_, n)| *n > 0)
    }
}

impl fmt::Display for StatusSummary {
    /// `busy 12, no-answer 3` (or `none`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.non_zero().map(|(s, n)| format!("{s} {n}")).collect();
        if parts.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// What a reset answered (the platform reports no count).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetOutcome {
    /// The platform's message (`批量重置号码成功`).
    pub message: String,
}

/// The facade. Cheap to clone; clones share the HTTP connection pool.
#[derive(Clone)]
pub struct AgentClient {
    inner: Arc<Inner>,
}

struct Inner {
    api: agent_api::Client,
    user_id: String,
    settings: ClientSettings,
}

impl fmt::Debug for AgentClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentClient")
            .field("user_id", &self.inner.user_id)
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

/// Checks the envelope of a 2xx answer: `code` must be 200 and `status` not `error`.
fn check_envelope(code: i64, status: &str, message: &str) -> Result<(), Error> {
    if code == 200 && status != "error" {
        Ok(())
    } else {
        Err(Error::Envelope {
            code,
            message: message.to_string(),
        })
    }
}

impl AgentClient {
    /// A client for the configured platform and account.
    pub fn new(config: &ApiConfig) -> Result<Self, agent_api::ConnectError> {
        let api = agent_api::connect(
            &config.base_url,
            config.token.clone(),
            &config.settings.http,
        )?;
        Ok(Self::with_api(
            api,
            config.user_id.clone(),
            config.settings.clone(),
        ))
    }

    /// A facade over a generated client built elsewhere.
    pub fn with_api(
        api: agent_api::Client,
        user_id: impl Into<String>,
        settings: ClientSettings,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                api,
                user_id: user_id.into(),
                settings,
            }),
        }
    }

    /// The account the client acts for.
    pub fn user_id(&self) -> &str {
        &self.inner.user_id
    }

    /// The settings.
    pub fn settings(&self) -> &ClientSettings {
        &self.inner.settings
    }

    fn timeout(&self) -> Duration {
        self.inner.settings.http.timeout
    }

    /// One page of the numbers that match `filter`, with retries.
    pub async fn numbers(&self, filter: &ListFilter, page: PageNumber) -> Result<Page, Error> {
        self.fetch_page(filter, page.get(), filter.page_size())
            .await
    }

    async fn fetch_page(
        &self,
        filter: &ListFilter,
        page: u32,
        size: PageSize,
    ) -> Result<Page, Error> {
        self.inner
            .settings
            .retry
            .run("list_numbers", true, || {
                self.fetch_page_once(filter, page, size)
            })
            .await
    }

    async fn fetch_page_once(
        &self,
        filter: &ListFilter,
        page: u32,
        size: PageSize,
    ) -> Result<Page, Error> {
        let scope = filter.scope();
        let mut request = self
            .inner
            .api
            .list_numbers()
            .user_id(self.inner.user_id.as_str())
            .task_id(scope.task().as_str())
            .page(page)
            .per_page(size.get());
        if !scope.statuses().is_empty() {
            request = request.status(scope.statuses().to_wire());
        }
        if let Some(start) = scope.range().start() {
            request = request.start_at(to_wire(start));
        }
        if let Some(end) = scope.range().end() {
            request = request.end_at(to_wire(end));
        }
        if scope.is_encrypted() {
            request = request.encryption(QueryBool(true));
        }
        let sub_account = scope
            .sub_account()
            .or(self.inner.settings.default_sub_account.as_ref());
        if let Some(sub) = sub_account {
            request = request.sub_user_id(sub.as_str());
        }
        let body = match request.send().await {
            Ok(response) => response.into_inner(),
            Err(err) => return Err(Error::from_api(err, self.timeout()).await),
        };
        check_envelope(body.code, &body.status, &body.message)?;
        let meta = body.meta.ok_or_else(|| Error::Decode {
            detail: "a successful page has no `meta`".to_string(),
            snippet: body.message.clone(),
        })?;
        let narrow = |v: agent_api::wire::LenientInt| u32::try_from(v.get()).unwrap_or(u32::MAX);
        Ok(Page {
            records: body.data,
            total: meta.total.get(),
            page: narrow(meta.current_page),
            last_page: narrow(meta.last_page).max(1),
            per_page: narrow(meta.per_page),
        })
    }

    /// How many numbers match `filter` (`meta.total` of a one-number page).
    pub async fn count(&self, filter: &ListFilter) -> Result<u64, Error> {
        Ok(self.fetch_page(filter, 1, PageSize::of::<1>()).await?.total)
    }

    /// How many numbers match `filter`, per status: one small count per status of the filter
    /// (every status when it has none), a few at a time.
    pub async fn summary(&self, filter: &ListFilter) -> Result<StatusSummary, Error> {
        let statuses = if filter.scope().statuses().is_empty() {
            StatusSet::all()
        } else {
            filter.scope().statuses()
        };
        let counts: Vec<Result<(CallStatus, u64), Error>> = futures::stream::iter(statuses.iter())
            .map(|status| async move {
                let one = filter
                    .clone()
                    .map_scope(|scope| scope.with_statuses([status].into_iter().collect()));
                self.count(&one).await.map(|n| (status, n))
            })
            .buffer_unordered(self.inner.settings.concurrency.max(1))
            .collect()
            .await;
        let mut summary = StatusSummary::default();
        for count in counts {
            let (status, n) = count?;
            summary.add(status, n);
        }
        Ok(summary)
    }

    /// Every number that matches `filter`, in order, across all pages. Each page is fetched on
    /// its own (on the blocking pool of a multi-threaded runtime, where decoding does not hold
    /// up the other pages' I/O: see `page_fetch`), so pages keep arriving while the caller
    /// works. At most `concurrency` requests wait for the platform at once (the client's
    /// limit), and up to twice as many pages are fetched ahead and yielded in order, so memory
    /// is bounded by that window, not by the task. The first `concurrency` pages are asked for
    /// at once, before the first answer says how many there are: a result of fewer pages costs
    /// a few requests for empty pages. Dropping the stream cancels the fetches still running.
    ///
    /// The stream ends after the first error. Numbers that change status while the stream runs
    /// may move between pages: for a consistent export, nobody should reset the task meanwhile.
    pub fn stream(&self, filter: &ListFilter) -> NumberStream {
        let concurrency = self.inner.settings.concurrency.max(1);
        let mut stream = NumberStream {
            client: self.clone(),
            filter: filter.clone(),
            window: concurrency * 2,
            fetches: FuturesOrdered::new(),
            next: 1,
            last_page: None,
            records: Vec::new().into_iter(),
        };
        // Ask for the first pages at once: the first answer says how many there are.
        let first = u32::try_from(concurrency).unwrap_or(u32::MAX);
        stream.fetch_up_to(first);
        stream
    }

    /// How many numbers a reset would hit, per status. Counts by listing when the filter has no
    /// phones or keyword (the list endpoint takes neither); otherwise streams the numbers that
    /// match the rest and applies phones and keyword locally.
    pub async fn reset_preview(&self, filter: &ResetFilter) -> Result<StatusSummary, Error> {
        self.reset_preview_with_progress(filter, |_, _| {}).await
    }

    /// [`AgentClient::reset_preview`], calling `progress(scanned, total)` after each number
    /// read when the task has to be scanned (a filter by phones or keyword), so long previews
    /// can report how far they are.
    pub async fn reset_preview_with_progress(
        &self,
        filter: &ResetFilter,
        mut progress: impl FnMut(u64, u64) + Send,
    ) -> Result<StatusSummary, Error> {
        filter.check()?;
        let list = filter.to_list_filter();
        if filter.countable_by_listing() {
            return self.summary(&list).await;
        }
        let total = self.count(&list).await?;
        let mut summary = StatusSummary::default();
        let mut scanned = 0u64;
        let mut numbers = self.stream(&list);
        while let Some(record) = numbers.next().await {
            let record = record?;
            scanned = scanned.saturating_add(1);
            progress(scanned, total.max(scanned));
            if filter.matches(&record) {
                summary.add(CallStatus::from_wire(&record.status), 1);
            }
        }
        Ok(summary)
    }

    /// Resets the numbers that match `filter` to status 0. Refuses an unfiltered reset unless
    /// built with [`ResetFilter::everything`]. Retried only when the request surely did not
    /// reach the server (no connection), unless the retry policy says otherwise.
    pub async fn reset(&self, filter: &ResetFilter) -> Result<ResetOutcome, Error> {
        let mut body = filter.to_request()?;
        if body.sub_user_id.is_none() {
            body.sub_user_id = self
                .inner
                .settings
                .default_sub_account
                .as_ref()
                .map(|id| id.as_str().to_string());
        }
        let body = &body;
        self.inner
            .settings
            .retry
            .run("batch_reset_numbers", false, || async move {
                let answer = self
                    .inner
                    .api
                    .batch_reset_numbers()
                    .user_id(self.inner.user_id.as_str())
                    .task_id(filter.scope().task().as_str())
                    .body(body.clone())
                    .send()
                    .await;
                let envelope = match answer {
                    Ok(response) => response.into_inner(),
                    Err(err) => return Err(Error::from_api(err, self.timeout()).await),
                };
                check_envelope(envelope.code, &envelope.status, &envelope.message)?;
                Ok(ResetOutcome {
                    message: envelope.message,
                })
            })
            .await
    }
}

/// The numbers of a filter, in order; see [`AgentClient::stream`].
pub struct NumberStream {
    client: AgentClient,
    filter: ListFilter,
    /// The most pages fetched ahead of the caller.
    window: usize,
    /// The pages asked for, in page order.
    fetches: FuturesOrdered<PageFetch>,
    /// The next page to ask for.
    next: u32,
    /// The last page, once the first answer has said it.
    last_page: Option<u32>,
    /// What is left of the page being yielded.
    records: std::vec::IntoIter<NumberRecord>,
}

impl NumberStream {
    /// Asks for the pages up to `last`, as far as the window allows.
    fn fetch_up_to(&mut self, last: u32) {
        let size = self.client.inner.settings.stream_page_size;
        while self.next <= last && self.fetches.len() < self.window {
            let (client, filter, page) = (self.client.clone(), self.filter.clone(), self.next);
            self.fetches.push_back(PageFetch::spawn(
                self.window <= MAX_OFFLOADED_WINDOW,
                async move { client.fetch_page(&filter, page, size).await },
            ));
            self.next += 1;
        }
    }
}

impl Stream for NumberStream {
    type Item = Result<NumberRecord, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(record) = this.records.next() {
                return Poll::Ready(Some(Ok(record)));
            }
            let page = match this.fetches.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(page))) => page,
                Poll::Ready(Some(Err(err))) => {
                    // The end: the fetches still running are cancelled.
                    this.fetches.clear();
                    return Poll::Ready(Some(Err(err)));
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            };
            let task = this.filter.scope().task();
            let last = *this.last_page.get_or_insert_with(|| {
                tracing::debug!(task = %task, total = page.total, last_page = page.last_page, "streaming numbers");
                page.last_page
            });
            if page.page > last {
                // A page asked for before the end was known: empty.
                continue;
            }
            if page.records.is_empty() {
                // The end, whatever `meta.last_page` claimed (a hostile or broken answer may
                // claim billions of pages).
                this.fetches.clear();
                return Poll::Ready(None);
            }
            if page.page % (last / 10).max(1) == 0 {
                tracing::info!(task = %task, page = page.page, last_page = last, "export progress");
            }
            this.fetch_up_to(last);
            this.records = page.records.into_iter();
        }
    }
}
