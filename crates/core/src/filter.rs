//! Filters with validated constructors: one type for listing, one for resetting.

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

/// Which numbers of a task to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFilter {
    task: Id,
    statuses: StatusSet,
    range: TimeRange,
    sub_account: Option<Id>,
    encryption: bool,
    page_size: PageSize,
}

impl ListFilter {
    /// Every number of a task, 15 per page.
    pub fn new(task: Id) -> Self {
        Self {
            task,
            statuses: StatusSet::empty(),
            range: TimeRange::unbounded(),
            sub_account: None,
            encryption: false,
            page_size: PageSize::DEFAULT,
        }
    }

    /// Only numbers with these statuses (an empty set: any status).
    #[must_use]
    pub fn statuses(mut self, statuses: StatusSet) -> Self {
        self.statuses = statuses;
        self
    }

    /// Only numbers created in this range.
    #[must_use]
    pub fn created(mut self, range: TimeRange) -> Self {
        self.range = range;
        self
    }

    /// Act on a sub-account's task.
    #[must_use]
    pub fn sub_account(mut self, sub_account: Option<Id>) -> Self {
        self.sub_account = sub_account;
        self
    }

    /// Ask for encrypted numbers (only effective once API encryption is enabled).
    #[must_use]
    pub fn encryption(mut self, encryption: bool) -> Self {
        self.encryption = encryption;
        self
    }

    /// Numbers per page.
    #[must_use]
    pub fn page_size(mut self, page_size: PageSize) -> Self {
        self.page_size = page_size;
        self
    }

    /// The task.
    pub fn task(&self) -> &Id {
        &self.task
    }

    /// The status filter (empty: any).
    pub fn status_set(&self) -> StatusSet {
        self.statuses
    }

    /// The creation-time range.
    pub fn range(&self) -> TimeRange {
        self.range
    }

    /// The sub-account, if any.
    pub fn sub_account_id(&self) -> Option<&Id> {
        self.sub_account.as_ref()
    }

    /// Whether encrypted numbers are asked for.
    pub fn is_encrypted(&self) -> bool {
        self.encryption
    }

    /// Numbers per page.
    pub fn size(&self) -> PageSize {
        self.page_size
    }

    /// Whether a record matches the filter (status and creation time), as the platform decides.
    pub fn matches(&self, record: &NumberRecord) -> bool {
        (self.statuses.is_empty()
            || self
                .statuses
                .contains(CallStatus::from_wire(&record.status)))
            && self.range.contains(record.created_at.datetime())
    }
}

/// The earliest creation time sent when a reset has an end but no start (the platform only
/// takes `end_at` together with `start_at`).
pub fn reset_floor() -> DateTime {
    jiff::civil::date(2000, 1, 1).at(0, 0, 0, 0)
}

/// The most phones one reset sends (the platform documents none; imports take 100-200 per call).
pub const MAX_RESET_PHONES: usize = 500;

/// Which numbers of a task to reset. Refuses to be sent without a filter unless built with
/// [`ResetFilter::everything`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetFilter {
    task: Id,
    statuses: StatusSet,
    range: TimeRange,
    phones: Vec<String>,
    keyword: Option<String>,
    sub_account: Option<Id>,
    encryption: bool,
    all: bool,
}

impl ResetFilter {
    /// A reset of a task's numbers; add filters before sending it.
    pub fn new(task: Id) -> Self {
        Self {
            task,
            statuses: StatusSet::empty(),
            range: TimeRange::unbounded(),
            phones: Vec::new(),
            keyword: None,
            sub_account: None,
            encryption: false,
            all: false,
        }
    }

    /// A reset of every number of the task, said explicitly.
    pub fn everything(task: Id) -> Self {
        Self {
            all: true,
            ..Self::new(task)
        }
    }

    /// Only numbers with these statuses.
    #[must_use]
    pub fn statuses(mut self, statuses: StatusSet) -> Self {
        self.statuses = statuses;
        self
    }

    /// Only numbers created in this range.
    #[must_use]
    pub fn created(mut self, range: TimeRange) -> Self {
        self.range = range;
        self
    }

    /// Only these phones (validated, deduplicated).
    pub fn phones(mut self, phones: Vec<Phone>) -> Result<Self, FilterError> {
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
    pub fn encrypted_phones(mut self, phones: Vec<String>) -> Result<Self, FilterError> {
        if phones.len() > MAX_RESET_PHONES {
            return Err(FilterError::TooManyPhones {
                count: phones.len(),
                max: MAX_RESET_PHONES,
            });
        }
        self.phones = phones;
        self.encryption = true;
        Ok(self)
    }

    /// Only numbers containing these digits (the platform documents the keyword as a number;
    /// SQL wildcards are refused, since they would widen the reset beyond what a preview counts).
    pub fn keyword(mut self, keyword: &str) -> Result<Self, FilterError> {
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

    /// Act on a sub-account's task.
    #[must_use]
    pub fn sub_account(mut self, sub_account: Option<Id>) -> Self {
        self.sub_account = sub_account;
        self
    }

    /// The task.
    pub fn task(&self) -> &Id {
        &self.task
    }

    /// The status filter.
    pub fn status_set(&self) -> StatusSet {
        self.statuses
    }

    /// The creation-time range.
    pub fn range(&self) -> TimeRange {
        self.range
    }

    /// The phones, as sent.
    pub fn phone_list(&self) -> &[String] {
        &self.phones
    }

    /// The keyword.
    pub fn keyword_text(&self) -> Option<&str> {
        self.keyword.as_deref()
    }

    /// The sub-account, if any.
    pub fn sub_account_id(&self) -> Option<&Id> {
        self.sub_account.as_ref()
    }

    /// Whether `all` was said.
    pub fn is_everything(&self) -> bool {
        self.all
    }

    /// Whether no filter narrows the reset: no filter at all, or one that selects every status
    /// and nothing else (a whole-task reset by another name).
    pub fn is_unfiltered(&self) -> bool {
        (self.statuses.is_empty() || self.statuses == StatusSet::all())
            && self.range.is_unbounded()
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
        ListFilter::new(self.task.clone())
            .statuses(self.statuses)
            .created(self.effective_range())
            .sub_account(self.sub_account.clone())
            .encryption(self.encryption)
    }

    /// Whether listing alone can count this reset's numbers (no phones, no keyword).
    pub fn countable_by_listing(&self) -> bool {
        self.phones.is_empty() && self.keyword.is_none()
    }

    /// Whether a record would be reset: every filter must hold (AND). Phones match exactly, the
    /// keyword as a substring of the number.
    pub fn matches(&self, record: &NumberRecord) -> bool {
        self.to_list_filter().matches(record)
            && (self.phones.is_empty() || self.phones.contains(&record.number))
            && self
                .keyword
                .as_deref()
                .is_none_or(|k| record.number.contains(k))
    }

    /// The range as sent: an end without a start gets [`reset_floor`] as its start.
    fn effective_range(&self) -> TimeRange {
        match (self.range.start(), self.range.end()) {
            (None, Some(end)) => {
                TimeRange::new(Some(reset_floor().min(end)), Some(end)).unwrap_or(self.range)
            }
            _ => self.range,
        }
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
            status: self.statuses.to_wire(),
            encryption: self.encryption.then_some(true),
            sub_user_id: self.sub_account.as_ref().map(|id| id.as_str().to_string()),
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
        let err = ResetFilter::everything(task())
            .statuses(StatusGroup::Retryable.statuses())
            .check()
            .unwrap_err();
        assert_eq!(err, FilterError::AllWithFilters);
    }

    #[test]
    fn reset_bodies_follow_the_platform() {
        let range = TimeRange::new(None, Some(date(2020, 7, 28).at(23, 59, 59, 0))).unwrap();
        let filter = ResetFilter::new(task())
            .statuses(StatusSet::parse_list("busy,no-answer").unwrap())
            .created(range)
            .phones(vec!["13934373090".parse().unwrap()])
            .unwrap()
            .keyword("139")
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
        assert!(ResetFilter::new(task()).keyword(" ").is_err());
    }

    #[test]
    fn too_many_phones_are_refused() {
        let phones = vec!["13934373090".parse::<Phone>().unwrap(); MAX_RESET_PHONES + 1];
        assert!(matches!(
            ResetFilter::new(task()).phones(phones),
            Err(FilterError::TooManyPhones { .. })
        ));
    }
}
