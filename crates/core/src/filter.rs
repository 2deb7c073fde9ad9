//! What a request acts on: the [`Scope`] both filters share, and one filter for listing, one for
//! resetting.
//!
//! Builders are named `with_*`; getters carry the plain name of what they return
//! (`statuses()`, `range()`, `sub_account()`…); yes-or-no questions start with `is_`.

use agent_api::types::{BatchResetRequest, NumberRecord};
use jiff::civil::DateTime;

use crate::ids::{Id, PageSize};
use crate::phone::Phone;
use crate::status::{CallStatus, StatusSet};
use crate::time::{TimeRange, to_wire};

/// Why a filter could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// A keyword that is empty, too long or holds anything but digits.
    #[error("keyword must be 1-20 digits: a part of a phone number, as the platform documents it")]
    BadKeyword,
    /// A keyword with an SQL wildcard, which the platform would pass to `LIKE` and match far
    /// more numbers than the preview counts.
    #[error(
        "keyword cannot hold `%` or `_`: the platform would read them as wildcards and reset more numbers than the preview shows; give digits only"
    )]
    KeywordWildcard,
    /// A reset without any filter would reset the whole task.
    #[error(
        "a reset without any filter would reset every number of the task; add a filter, or say `all` explicitly"
    )]
    Unfiltered,
    /// `all` together with filters is contradictory.
    #[error("`all` resets the whole task and cannot be combined with filters")]
    AllWithFilters,
    /// Too many phones for one request.
    #[error("at most {max} phones per reset, not {count}")]
    TooManyPhones {
        /// How many were given.
        count: usize,
        /// The most accepted.
        max: usize,
    },
}

/// Which numbers of which task a request is about, as both the list and the reset endpoint take
/// it: the task, the statuses, the creation-time range, the sub-account and whether numbers are
/// encrypted. [`ListFilter`] and [`ResetFilter`] each hold one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    task: Id,
    statuses: StatusSet,
    range: TimeRange,
    sub_account: Option<Id>,
    encryption: bool,
}

impl Scope {
    /// Every number of a task, of any status, created at any time, on the account itself.
    pub fn new(task: Id) -> Self {
        Self {
            task,
            statuses: StatusSet::empty(),
            range: TimeRange::unbounded(),
            sub_account: None,
            encryption: false,
        }
    }

    /// Only numbers with these statuses (an empty set: any status).
    #[must_use]
    pub fn with_statuses(mut self, statuses: StatusSet) -> Self {
        self.statuses = statuses;
        self
    }

    /// Only numbers created in this range.
    #[must_use]
    pub fn with_range(mut self, range: TimeRange) -> Self {
        self.range = range;
        self
    }

    /// Act on a sub-account's task.
    #[must_use]
    pub fn with_sub_account(mut self, sub_account: Option<Id>) -> Self {
        self.sub_account = sub_account;
        self
    }

    /// Ask for encrypted numbers, or send encrypted phones (only effective once API encryption
    /// is enabled).
    #[must_use]
    pub fn with_encryption(mut self, encryption: bool) -> Self {
        self.encryption = encryption;
        self
    }

    /// The task.
    pub fn task(&self) -> &Id {
        &self.task
    }

    /// The status filter (empty: any).
    pub fn statuses(&self) -> StatusSet {
        self.statuses
    }

    /// The creation-time range.
    pub fn range(&self) -> TimeRange {
        self.range
    }

    /// The sub-account, if any.
    pub fn sub_account(&self) -> Option<&Id> {
        self.sub_account.as_ref()
    }

    /// Whether numbers are encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.encryption
    }

    /// Whether a record matches the scope (status and creation time), as the platform decides.
    pub fn matches(&self, record: &NumberRecord) -> bool {
        self.matches_within(record, self.range)
    }

    /// [`Scope::matches`] with another creation-time range.
    fn matches_within(&self, record: &NumberRecord, range: TimeRange) -> bool {
        (self.statuses.is_empty()
            || self
                .statuses
                .contains(CallStatus::from_wire(&record.status)))
            && range.contains(record.created_at.datetime())
    }
}

impl From<Id> for Scope {
    /// Every number of the task.
    fn from(task: Id) -> Self {
        Self::new(task)
    }
}

/// Which numbers of a task to list, and how many per page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFilter {
    scope: Scope,
    page_size: PageSize,
}

impl ListFilter {
    /// The numbers of a scope (or of a whole task), 15 per page.
    pub fn new(scope: impl Into<Scope>) -> Self {
        Self {
            scope: scope.into(),
            page_size: PageSize::DEFAULT,
        }
    }

    /// Numbers per page.
    #[must_use]
    pub fn with_page_size(mut self, page_size: PageSize) -> Self {
        self.page_size = page_size;
        self
    }

    /// The same filter on a changed scope.
    #[must_use]
    pub fn map_scope(mut self, change: impl FnOnce(Scope) -> Scope) -> Self {
        self.scope = change(self.scope);
        self
    }

    /// Which numbers.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Numbers per page.
    pub fn page_size(&self) -> PageSize {
        self.page_size
    }

    /// Whether a record matches the filter (see [`Scope::matches`]).
    pub fn matches(&self, record: &NumberRecord) -> bool {
        self.scope.matches(record)
    }
}

/// The earliest creation time sent when a reset has an end but no start (the platform only
/// takes `end_at` together with `start_at`).
pub fn reset_floor() -> DateTime {
    jiff::civil::date(2000, 1, 1).at(0, 0, 0, 0)
}

/// The most phones one reset sends (the platform documents none; imports take 100-200 per call).
pub const MAX_RESET_PHONES: usize = 500;

/// Which numbers of a task to reset: a [`Scope`], narrowed further by phones or a keyword.
/// Refuses to be sent without a filter unless built with [`ResetFilter::everything`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetFilter {
    scope: Scope,
    phones: Vec<String>,
    keyword: Option<String>,
    all: bool,
}

impl ResetFilter {
    /// A reset of a scope's numbers (or of a task's: add filters before sending it).
    pub fn new(scope: impl Into<Scope>) -> Self {
        Self {
            scope: scope.into(),
            phones: Vec::new(),
            keyword: None,
            all: false,
        }
    }

    /// A reset of every number of the task, said explicitly.
    pub fn everything(scope: impl Into<Scope>) -> Self {
        Self {
            all: true,
            ..Self::new(scope)
        }
    }

    /// The same reset on a changed scope.
    #[must_use]
    pub fn map_scope(mut self, change: impl FnOnce(Scope) -> Scope) -> Self {
        self.scope = change(self.scope);
        self
    }

    /// Only these phones (validated, deduplicated).
    pub fn with_phones(mut self, phones: Vec<Phone>) -> Result<Self, FilterError> {
        if phones.len() > MAX_RESET_PHONES {
            return Err(FilterError::TooManyPhones {
                count: phones.len(),
                max: MAX_RESET_PHONES,
            });
        }
        self.phones = phones.iter().map(|p| p.as_str().to_string()).collect();
        Ok(self)
    }

    /// Only these phones, as ciphertext (API encryption on): sent as they are, with
    /// `encryption: true`.
    pub fn with_encrypted_phones(mut self, phones: Vec<String>) -> Result<Self, FilterError> {
        if phones.len() > MAX_RESET_PHONES {
            return Err(FilterError::TooManyPhones {
                count: phones.len(),
                max: MAX_RESET_PHONES,
            });
        }
        self.phones = phones;
        Ok(self.map_scope(|scope| scope.with_encryption(true)))
    }

    /// Only numbers containing these digits (the platform documents the keyword as a number;
    /// SQL wildcards are refused, since they would widen the reset beyond what a preview counts).
    pub fn with_keyword(mut self, keyword: &str) -> Result<Self, FilterError> {
        let keyword = keyword.trim();
        if keyword.contains(['%', '_']) {
            return Err(FilterError::KeywordWildcard);
        }
        if keyword.is_empty() || keyword.len() > 20 || !keyword.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(FilterError::BadKeyword);
        }
        self.keyword = Some(keyword.to_string());
        Ok(self)
    }

    /// Which numbers, before phones and keyword.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The phones, as sent.
    pub fn phones(&self) -> &[String] {
        &self.phones
    }

    /// The keyword.
    pub fn keyword(&self) -> Option<&str> {
        self.keyword.as_deref()
    }

    /// Whether `all` was said.
    pub fn is_everything(&self) -> bool {
        self.all
    }

    /// Whether no filter narrows the reset: no filter at all, or one that selects every status
    /// and nothing else (a whole-task reset by another name).
    pub fn is_unfiltered(&self) -> bool {
        let statuses = self.scope.statuses;
        (statuses.is_empty() || statuses == StatusSet::all())
            && self.scope.range.is_unbounded()
            && self.phones.is_empty()
            && self.keyword.is_none()
    }

    /// Refuses a reset that would hit the whole task by accident, or that says `all` beside
    /// filters.
    pub fn check(&self) -> Result<(), FilterError> {
        match (self.all, self.is_unfiltered()) {
            (false, true) => Err(FilterError::Unfiltered),
            (true, false) => Err(FilterError::AllWithFilters),
            _ => Ok(()),
        }
    }

    /// The list filter that finds the same numbers on the platform, except phones and keyword,
    /// which the list endpoint does not take (see [`ResetFilter::matches`]).
    pub fn to_list_filter(&self) -> ListFilter {
        ListFilter::new(self.scope.clone().with_range(self.effective_range()))
    }

    /// Whether listing alone can count this reset's numbers (no phones, no keyword).
    pub fn countable_by_listing(&self) -> bool {
        self.phones.is_empty() && self.keyword.is_none()
    }

    /// Whether a record would be reset: every filter must hold (AND). Status and creation time
    /// as sent (see [`ResetFilter::to_list_filter`]), phones exactly, the keyword as a
    /// substring of the number.
    pub fn matches(&self, record: &NumberRecord) -> bool {
        self.scope.matches_within(record, self.effective_range())
            && (self.phones.is_empty() || self.phones.contains(&record.number))
            && self
                .keyword
                .as_deref()
                .is_none_or(|k| record.number.contains(k))
    }

    /// The range as sent: an end without a start gets [`reset_floor`] as its start.
    fn effective_range(&self) -> TimeRange {
        self.scope.range.with_start_floor(reset_floor())
    }

    /// The request body, after [`ResetFilter::check`].
    pub fn to_request(&self) -> Result<BatchResetRequest, FilterError> {
        self.check()?;
        let range = self.effective_range();
        Ok(BatchResetRequest {
            keyword: self.keyword.clone(),
            phones: self.phones.clone(),
            start_at: range.start().map(to_wire),
            end_at: range.end().map(to_wire),
            status: self.scope.statuses.to_wire(),
            encryption: self.scope.encryption.then_some(true),
            sub_user_id: self
                .scope
                .sub_account
                .as_ref()
                .map(|id| id.as_str().to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::StatusGroup;
    use jiff::civil::date;

    fn task() -> Id {
        Id::task("f232d184-dd54-42a0-8ace-0bf8d660f4cc").unwrap()
    }

    #[test]
    fn an_unfiltered_reset_is_refused_unless_all_is_said() {
        let err = ResetFilter::new(task()).to_request().unwrap_err();
        assert_eq!(err, FilterError::Unfiltered);
        let body = ResetFilter::everything(task()).to_request().unwrap();
        assert_eq!(serde_json::to_string(&body).unwrap(), "{}");
        let err = ResetFilter::everything(
            Scope::new(task()).with_statuses(StatusGroup::Retryable.statuses()),
        )
        .check()
        .unwrap_err();
        assert_eq!(err, FilterError::AllWithFilters);
    }

    #[test]
    fn reset_bodies_follow_the_platform() {
        let range = TimeRange::new(None, Some(date(2020, 7, 28).at(23, 59, 59, 0))).unwrap();
        let filter = ResetFilter::new(
            Scope::new(task())
                .with_statuses(StatusSet::parse_list("busy,no-answer").unwrap())
                .with_range(range),
        )
        .with_phones(vec!["13934373090".parse().unwrap()])
        .unwrap()
        .with_keyword("139")
        .unwrap();
        let body = serde_json::to_value(filter.to_request().unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "keyword": "139",
                "phones": ["13934373090"],
                "start_at": "2000-01-01 00:00:00",
                "end_at": "2020-07-28 23:59:59",
                "status": [4, 8],
            })
        );
        assert!(!filter.countable_by_listing());
        assert!(ResetFilter::new(task()).with_keyword(" ").is_err());
    }

    #[test]
    fn too_many_phones_are_refused() {
        let phones = vec!["13934373090".parse::<Phone>().unwrap(); MAX_RESET_PHONES + 1];
        assert!(matches!(
            ResetFilter::new(task()).with_phones(phones),
            Err(FilterError::TooManyPhones { .. })
        ));
    }
}
