//! Call statuses, the named groups operations teams think in, and sets of them.

use std::fmt;
use std::str::FromStr;

/// The call status the platform records per number (`status`, 0..12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum CallStatus {
    /// 0 等待呼叫: not dialled yet (or reset).
    Waiting = 0,
    /// 1 呼叫成功: the callee answered.
    Connected = 1,
    /// 2 运营商拦截: the carrier blocked the call.
    CarrierBlocked = 2,
    /// 3 拒接: the callee rejected the call.
    Rejected = 3,
    /// 4 无应答/无人接听: nobody answered.
    NoAnswer = 4,
    /// 5 空号: the number does not exist.
    VacantNumber = 5,
    /// 6 关机: the phone is powered off.
    PoweredOff = 6,
    /// 7 停机: the line is suspended.
    Suspended = 7,
    /// 8 占线/用户正忙: the line was busy.
    Busy = 8,
    /// 9 呼入限制: the line does not take incoming calls.
    IncomingRestricted = 9,
    /// 10 欠费: the line is in arrears.
    Arrears = 10,
    /// 11 黑名单: the number is blacklisted.
    Blacklisted = 11,
    /// 12 用户屏蔽: the callee blocked the caller.
    UserBlocked = 12,
}

/// Every status, in code order.
pub const ALL_STATUSES: [CallStatus; 13] = [
    CallStatus::Waiting,
    CallStatus::Connected,
    CallStatus::CarrierBlocked,
    CallStatus::Rejected,
    CallStatus::NoAnswer,
    CallStatus::VacantNumber,
    CallStatus::PoweredOff,
    CallStatus::Suspended,
    CallStatus::Busy,
    CallStatus::IncomingRestricted,
    CallStatus::Arrears,
    CallStatus::Blacklisted,
    CallStatus::UserBlocked,
];

impl CallStatus {
    /// The code on the wire (0..12).
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The status of a code, if it is one.
    pub fn from_code(code: i64) -> Option<Self> {
        usize::try_from(code)
            .ok()
            .and_then(|i| ALL_STATUSES.get(i).copied())
    }

    /// The platform's Chinese label (from the status, never from `status_str`).
    pub const fn label_zh(self) -> &'static str {
        match self {
            Self::Waiting => "等待呼叫",
            Self::Connected => "呼叫成功",
            Self::CarrierBlocked => "运营商拦截",
            Self::Rejected => "拒接",
            Self::NoAnswer => "无应答/无人接听",
            Self::VacantNumber => "空号",
            Self::PoweredOff => "关机",
            Self::Suspended => "停机",
            Self::Busy => "占线/用户正忙",
            Self::IncomingRestricted => "呼入限制",
            Self::Arrears => "欠费",
            Self::Blacklisted => "黑名单",
            Self::UserBlocked => "用户屏蔽",
        }
    }

    /// The English name, kebab-case (`no-answer`); also what [`fmt::Display`] prints.
    pub const fn name_en(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Connected => "connected",
            Self::CarrierBlocked => "carrier-blocked",
            Self::Rejected => "rejected",
            Self::NoAnswer => "no-answer",
            Self::VacantNumber => "vacant-number",
            Self::PoweredOff => "powered-off",
            Self::Suspended => "suspended",
            Self::Busy => "busy",
            Self::IncomingRestricted => "incoming-restricted",
            Self::Arrears => "arrears",
            Self::Blacklisted => "blacklisted",
            Self::UserBlocked => "user-blocked",
        }
    }

    /// Other names people use for the status (English and Chinese), besides the code, the
    /// English name and the Chinese label.
    pub const fn aliases(self) -> &'static [&'static str] {
        match self {
            Self::Waiting => &["pending", "queued", "new", "等待", "待呼叫"],
            Self::Connected => &["answered", "success", "succeeded", "ok", "接通", "成功"],
            Self::CarrierBlocked => &["intercepted", "blocked-by-carrier", "拦截"],
            Self::Rejected => &["declined", "refused", "hung-up"],
            Self::NoAnswer => &["unanswered", "no-reply", "无应答", "无人接听"],
            Self::VacantNumber => &["vacant", "invalid-number", "empty-number", "not-exist"],
            Self::PoweredOff => &["off", "switched-off", "power-off"],
            Self::Suspended => &["out-of-service", "disconnected", "deactivated"],
            Self::Busy => &["engaged", "line-busy", "占线", "用户正忙", "忙"],
            Self::IncomingRestricted => &["restricted", "barred", "call-barred"],
            Self::Arrears => &["overdue", "in-arrears", "unpaid", "owing"],
            Self::Blacklisted => &["blacklist", "block-listed"],
            Self::UserBlocked => &["blocked", "user-block", "屏蔽"],
        }
    }

    /// The wire type of the generated client.
    pub fn to_wire(self) -> agent_api::types::CallStatus {
        // Every code 0..12 is valid for the generated, validated newtype.
        agent_api::types::CallStatus::try_from(i64::from(self.code()))
            .unwrap_or_else(|_| unreachable!("0..12 are valid statuses"))
    }

    /// The status of a wire value.
    pub fn from_wire(status: &agent_api::types::CallStatus) -> Self {
        // The generated newtype only holds 0..12.
        Self::from_code(**status).unwrap_or(Self::Waiting)
    }

    /// Whether the number was dialled and did not get through: every status but waiting and
    /// connected (the `unreached` group).
    pub const fn is_unreached(self) -> bool {
        !matches!(self, Self::Waiting | Self::Connected)
    }
}

impl fmt::Display for CallStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name_en())
    }
}

/// Lower-cases and drops separators (space, `-`, `_`, `.`, `/`, `、`) so that `No Answer`,
/// `no_answer` and `NO-ANSWER` compare equal; Chinese text is kept as it is.
fn normalize(text: &str) -> String {
    text.trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_' | '.' | '/' | '、' | '\t'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// A status or group name that is not known; the message lists what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown call status `{input}`; use a code 0-12, a name ({names}) or a group ({groups})")]
pub struct StatusParseError {
    /// The offending text.
    pub input: String,
    names: String,
    groups: String,
}

impl StatusParseError {
    fn new(input: &str) -> Self {
        Self {
            input: input.chars().take(40).collect(),
            names: ALL_STATUSES
                .iter()
                .map(|s| format!("{} {}", s.name_en(), s.label_zh()))
                .collect::<Vec<_>>()
                .join(", "),
            groups: StatusGroup::ALL
                .iter()
                .map(|g| g.name())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

impl FromStr for CallStatus {
    type Err = StatusParseError;

    /// Parses a code (`8`), the English name or an alias (`busy`, `No Answer`, `powered_off`),
    /// or a Chinese label (`占线`, `无应答/无人接听`); case- and separator-insensitive.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let key = normalize(text);
        if key.is_empty() {
            return Err(StatusParseError::new(text));
        }
        if key.bytes().all(|b| b.is_ascii_digit()) {
            // A code is digits alone: `-1` or `1.0` are not codes.
            let trimmed = text.trim();
            if !trimmed.bytes().all(|b| b.is_ascii_digit()) {
                return Err(StatusParseError::new(text));
            }
            return trimmed
                .parse::<i64>()
                .ok()
                .and_then(Self::from_code)
                .ok_or_else(|| StatusParseError::new(text));
        }
        ALL_STATUSES
            .iter()
            .copied()
            .find(|status| {
                normalize(status.name_en()) == key
                    || normalize(status.label_zh()) == key
                    || status.aliases().iter().any(|alias| normalize(alias) == key)
            })
            .ok_or_else(|| StatusParseError::new(text))
    }
}

/// Named groups of statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusGroup {
    /// Every status.
    All,
    /// Dialled but not reached: every status except waiting (0) and connected (1).
    Unreached,
    /// Temporary failures worth dialling again: rejected (3), no answer (4), powered off (6),
    /// busy (8).
    Retryable,
    /// Failures that dialling again will not fix: vacant number (5), suspended (7), arrears (10),
    /// blacklisted (11), user-blocked (12).
    Permanent,
}

impl StatusGroup {
    /// Every group.
    pub const ALL: [StatusGroup; 4] =
        [Self::All, Self::Unreached, Self::Retryable, Self::Permanent];

    /// The group's name, as typed.
    pub const fn name(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Unreached => "unreached",
            Self::Retryable => "retryable",
            Self::Permanent => "permanent",
        }
    }

    /// The group's Chinese name.
    pub const fn name_zh(self) -> &'static str {
        match self {
            Self::All => "全部",
            Self::Unreached => "未接通",
            Self::Retryable => "可重呼",
            Self::Permanent => "无效",
        }
    }

    /// What the group holds, in words.
    pub const fn description(self) -> &'static str {
        match self {
            Self::All => "every status",
            Self::Unreached => "dialled but not reached: every status except waiting and connected",
            Self::Retryable => {
                "temporary failures worth dialling again: rejected, no-answer, powered-off, busy"
            }
            Self::Permanent => {
                "failures a new call will not fix: vacant-number, suspended, arrears, blacklisted, user-blocked"
            }
        }
    }

    /// The statuses of the group.
    pub fn statuses(self) -> StatusSet {
        use CallStatus::*;
        match self {
            Self::All => StatusSet::all(),
            Self::Unreached => ALL_STATUSES
                .iter()
                .copied()
                .filter(|s| s.is_unreached())
                .collect(),
            Self::Retryable => [Rejected, NoAnswer, PoweredOff, Busy].into_iter().collect(),
            Self::Permanent => [VacantNumber, Suspended, Arrears, Blacklisted, UserBlocked]
                .into_iter()
                .collect(),
        }
    }

    fn parse(text: &str) -> Option<Self> {
        let key = normalize(text);
        Self::ALL
            .into_iter()
            .find(|g| normalize(g.name()) == key || normalize(g.name_zh()) == key)
    }
}

/// A set of statuses (empty means "no status filter").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct StatusSet(u16);

impl StatusSet {
    /// No status.
    pub const fn empty() -> Self {
        Self(0)
    }

    /// All 13 statuses.
    pub const fn all() -> Self {
        Self((1 << 13) - 1)
    }

    /// The set as a bit mask (bit `n` for status `n`), for compact encodings.
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// The set of a bit mask; bits above 12 are ignored.
    pub const fn from_bits(bits: u16) -> Self {
        Self(bits & Self::all().0)
    }

    /// Adds a status.
    pub fn insert(&mut self, status: CallStatus) {
        self.0 |= 1 << status.code();
    }

    /// Whether the set holds the status.
    pub const fn contains(self, status: CallStatus) -> bool {
        self.0 & (1 << status.code()) != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether the set holds every status.
    pub const fn is_all(self) -> bool {
        self.0 == Self::all().0
    }

    /// How many statuses the set holds.
    pub const fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The statuses, in code order.
    pub fn iter(self) -> impl Iterator<Item = CallStatus> {
        ALL_STATUSES.into_iter().filter(move |s| self.contains(*s))
    }

    /// The statuses as the generated client takes them.
    pub fn to_wire(self) -> Vec<agent_api::types::CallStatus> {
        self.iter().map(CallStatus::to_wire).collect()
    }

    /// Parses a list of statuses and groups separated by commas, spaces, `、` or `，`:
    /// `busy,no-answer`, `3 4 8`, `retryable`, `占线、关机`.
    pub fn parse_list(text: &str) -> Result<Self, StatusParseError> {
        let mut set = Self::empty();
        for item in text
            .split(|c: char| matches!(c, ',' | '，' | '、' | ';' | '|') || c.is_whitespace())
            .filter(|s| !s.is_empty())
        {
            match StatusGroup::parse(item) {
                Some(group) => set = set.union(group.statuses()),
                None => set.insert(item.parse()?),
            }
        }
        if set.is_empty() {
            return Err(StatusParseError::new(text));
        }
        Ok(set)
    }

    /// Both sets together.
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
}

impl FromIterator<CallStatus> for StatusSet {
    fn from_iter<I: IntoIterator<Item = CallStatus>>(iter: I) -> Self {
        let mut set = Self::empty();
        for status in iter {
            set.insert(status);
        }
        set
    }
}

impl fmt::Display for StatusSet {
    /// Names joined by commas (`busy,no-answer`), a group name when the set is exactly a group.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(group) = StatusGroup::ALL.iter().find(|g| g.statuses() == *self) {
            return f.write_str(group.name());
        }
        let names: Vec<&str> = self.iter().map(CallStatus::name_en).collect();
        f.write_str(&names.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_parses_from_its_code_name_label_and_aliases() {
        for status in ALL_STATUSES {
            assert_eq!(status.code().to_string().parse(), Ok(status));
            assert_eq!(status.name_en().parse(), Ok(status));
            assert_eq!(status.label_zh().parse(), Ok(status));
            for alias in status.aliases() {
                assert_eq!(alias.parse(), Ok(status), "{alias}");
            }
            assert_eq!(CallStatus::from_wire(&status.to_wire()), status);
        }
    }

    #[test]
    fn parsing_ignores_case_and_separators() {
        assert_eq!("NO ANSWER".parse(), Ok(CallStatus::NoAnswer));
        assert_eq!("no_answer".parse(), Ok(CallStatus::NoAnswer));
        assert_eq!("Powered-Off".parse(), Ok(CallStatus::PoweredOff));
        assert_eq!(" 08 ".parse(), Ok(CallStatus::Busy));
        assert_eq!("占线".parse(), Ok(CallStatus::Busy));
        assert_eq!("无人接听".parse(), Ok(CallStatus::NoAnswer));
    }

    #[test]
    fn aliases_do_not_collide() {
        let mut seen = std::collections::HashMap::new();
        for status in ALL_STATUSES {
            let names = [status.name_en(), status.label_zh()]
                .into_iter()
                .chain(status.aliases().iter().copied());
            for name in names {
                if let Some(other) = seen.insert(normalize(name), status) {
                    assert_eq!(other, status, "`{name}` names two statuses");
                }
            }
        }
        for group in StatusGroup::ALL {
            assert!(!seen.contains_key(&normalize(group.name())), "{group:?}");
        }
    }

    #[test]
    fn errors_name_the_input_and_what_is_accepted() {
        let err = "bussy".parse::<CallStatus>().unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("unknown call status `bussy`"), "{text}");
        assert!(text.contains("busy 占线/用户正忙"), "{text}");
        assert!(text.contains("retryable"), "{text}");
        assert!("13".parse::<CallStatus>().is_err());
        assert!("-1".parse::<CallStatus>().is_err());
        assert!("".parse::<CallStatus>().is_err());
    }

    #[test]
    fn groups_hold_what_their_docs_say() {
        use CallStatus::*;
        let unreached: Vec<_> = StatusGroup::Unreached.statuses().iter().collect();
        assert_eq!(unreached.len(), 11);
        assert!(!unreached.contains(&Waiting) && !unreached.contains(&Connected));
        let retryable: Vec<_> = StatusGroup::Retryable.statuses().iter().collect();
        assert_eq!(retryable, [Rejected, NoAnswer, PoweredOff, Busy]);
        assert!(StatusGroup::All.statuses().is_all());
    }

    #[test]
    fn lists_mix_statuses_and_groups() {
        let set = StatusSet::parse_list("busy, 4 占线、retryable").unwrap();
        assert_eq!(set, StatusGroup::Retryable.statuses());
        assert_eq!(set.to_string(), "retryable");
        let set = StatusSet::parse_list("busy,no-answer").unwrap();
        assert_eq!(set.to_string(), "no-answer,busy");
        assert_eq!(StatusSet::parse_list(&set.to_string()), Ok(set));
        let wire: Vec<i64> = set.to_wire().iter().map(|s| **s).collect();
        assert_eq!(wire, [4, 8]);
        assert!(StatusSet::parse_list(" , ").is_err());
        let err = StatusSet::parse_list("busy,nope").unwrap_err();
        assert_eq!(err.input, "nope");
    }
}
