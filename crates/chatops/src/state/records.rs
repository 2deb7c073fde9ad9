//! The engine's state as stored: plain serde records (JSON), converted to and from the
//! engine's types, which keep their invariants (a reset filter is rebuilt through its checks).

use agent_core::{CallStatus, Id, ResetFilter, Scope, StatusSet, StatusSummary, TimeRange};
use jiff::Timestamp;
use jiff::civil::DateTime;
use serde::{Deserialize, Serialize};

use super::PendingReset;
use crate::access::Caller;
use crate::token::PageState;

/// A [`PendingReset`] as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredReset {
    requester: Caller,
    task: String,
    statuses: u16,
    from: Option<DateTime>,
    to: Option<DateTime>,
    sub: Option<String>,
    encrypted: bool,
    phones: Vec<String>,
    keyword: Option<String>,
    all: bool,
    task_label: String,
    /// Counts by status code.
    preview: Vec<(u8, u64)>,
    expires: Timestamp,
}

impl StoredReset {
    pub(crate) fn of(pending: &PendingReset) -> Self {
        let filter = &pending.filter;
        let scope = filter.scope();
        Self {
            requester: pending.requester.clone(),
            task: scope.task().as_str().to_string(),
            statuses: scope.statuses().bits(),
            from: scope.range().start(),
            to: scope.range().end(),
            sub: scope.sub_account().map(|s| s.as_str().to_string()),
            encrypted: scope.is_encrypted(),
            phones: filter.phones().to_vec(),
            keyword: filter.keyword().map(str::to_string),
            all: filter.is_everything(),
            task_label: pending.task_label.clone(),
            preview: agent_core::status::ALL_STATUSES
                .iter()
                .map(|s| (s.code(), pending.preview.get(*s)))
                .filter(|(_, n)| *n > 0)
                .collect(),
            expires: pending.expires,
        }
    }

    /// The pending reset, or `None` when the record does not make a valid filter any more.
    pub(crate) fn into_pending(self) -> Option<PendingReset> {
        let range = TimeRange::new(self.from, self.to).ok()?;
        let sub = self.sub.as_deref().map(Id::sub_account).transpose().ok()?;
        let scope = Scope::new(Id::task(&self.task).ok()?)
            .with_statuses(StatusSet::from_bits(self.statuses))
            .with_range(range)
            .with_sub_account(sub);
        let mut filter = if self.all {
            ResetFilter::everything(scope)
        } else {
            ResetFilter::new(scope)
        };
        if self.encrypted {
            filter = filter.with_encrypted_phones(self.phones).ok()?;
        } else if !self.phones.is_empty() {
            let phones = agent_core::phone::parse_phone_list(&self.phones.join(",")).ok()?;
            filter = filter.with_phones(phones).ok()?;
        }
        if let Some(keyword) = &self.keyword {
            filter = filter.with_keyword(keyword).ok()?;
        }
        let mut preview = StatusSummary::default();
        for (code, count) in self.preview {
            preview.add(CallStatus::from_code(i64::from(code))?, count);
        }
        Some(PendingReset {
            requester: self.requester,
            filter,
            task_label: self.task_label,
            preview,
            expires: self.expires,
        })
    }
}

/// A [`PageState`] as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredPage {
    task: String,
    statuses: u16,
    from: Option<DateTime>,
    to: Option<DateTime>,
    sub: Option<String>,
    page: u32,
}

impl StoredPage {
    pub(crate) fn of(state: &PageState) -> Self {
        Self {
            task: state.task.clone(),
            statuses: state.statuses.bits(),
            from: state.from,
            to: state.to,
            sub: state.sub.clone(),
            page: state.page,
        }
    }

    pub(crate) fn into_state(self) -> PageState {
        PageState {
            task: self.task,
            statuses: StatusSet::from_bits(self.statuses),
            from: self.from,
            to: self.to,
            sub: self.sub,
            page: self.page,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Transport;

    fn round_trip(pending: &PendingReset) -> PendingReset {
        let json = serde_json::to_vec(&StoredReset::of(pending)).unwrap();
        serde_json::from_slice::<StoredReset>(&json)
            .unwrap()
            .into_pending()
            .unwrap()
    }

    #[test]
    fn a_pending_reset_comes_back_as_it_was_stored() {
        let scope = Scope::new(Id::task("f232d184-dd54-42a0-8ace-0bf8d660f4cc").unwrap())
            .with_statuses(StatusSet::parse_list("busy,no-answer").unwrap())
            .with_range(
                TimeRange::new(
                    Some(jiff::civil::date(2020, 7, 28).at(10, 0, 0, 0)),
                    Some(jiff::civil::date(2020, 7, 29).at(23, 59, 59, 0)),
                )
                .unwrap(),
            )
            .with_sub_account(Some(
                Id::sub_account("1181ffd3-e3ee-4d75-a45c-8b9be3deb330").unwrap(),
            ));
        let phones =
            agent_core::phone::parse_phone_list("13812344148, +86 139-0000-3090, 010-62345678")
                .unwrap();
        let filter = ResetFilter::new(scope)
            .with_phones(phones)
            .unwrap()
            .with_keyword("4148")
            .unwrap();
        let mut preview = StatusSummary::default();
        preview.add(CallStatus::from_code(8).unwrap(), 12);
        preview.add(CallStatus::from_code(3).unwrap(), 30);
        let pending = PendingReset {
            requester: Caller {
                roles: vec!["77".into()],
                place: Some("4000".into()),
                chat_id: Some("5000".into()),
                locale: Some("zh-CN".into()),
                name: "小明".into(),
                ..Caller::new(Transport::Discord, "100")
            },
            filter,
            task_label: "demo".into(),
            preview,
            expires: Timestamp::from_second(1_900_000_000).unwrap(),
        };
        let back = round_trip(&pending);
        assert_eq!(back.requester, pending.requester);
        assert_eq!(back.filter, pending.filter);
        assert_eq!(back.task_label, pending.task_label);
        assert_eq!(back.preview, pending.preview);
        assert_eq!(back.expires, pending.expires);
        // `all`, and encrypted phones (opaque ciphertext) too.
        let everything = PendingReset {
            filter: ResetFilter::everything(pending.filter.scope().clone()),
            ..pending.clone()
        };
        assert_eq!(round_trip(&everything).filter, everything.filter);
        let encrypted = PendingReset {
            filter: ResetFilter::new(pending.filter.scope().clone())
                .with_encrypted_phones(vec!["q8Zx+/ciphertext==".into()])
                .unwrap(),
            ..pending
        };
        assert_eq!(round_trip(&encrypted).filter, encrypted.filter);
    }
}
