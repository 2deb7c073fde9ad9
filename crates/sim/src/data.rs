//! Deterministic seeded data: tasks of numbers with realistic statuses, places and call fields.
//!
//! Records are stored compactly — the phone as an integer with its digit count, indexes into
//! static tables for places, carriers and labels, times as offsets — 40 bytes each, so a million
//! numbers cost about 40 MB. They become the generated `NumberRecord` only for the page being
//! answered.

use std::collections::HashSet;
use std::fmt;

use agent_api::types::{CallStatus, NumberRecord};
use agent_api::wire::{LenientFlag, PlatformDateTime};
use jiff::SignedDuration;
use jiff::civil::DateTime;

/// A place numbers come from: city, province, area code, post code, and who runs its fixed lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// City (`city`).
    pub city: &'static str,
    /// Province (`pro`).
    pub province: &'static str,
    /// Area code (`area_code`), with its leading zero.
    pub area_code: &'static str,
    /// Post code (`post_code`).
    pub post_code: &'static str,
    /// Index into [`CARRIERS`] of the fixed-line operator (联通 in the north, 电信 elsewhere).
    pub fixed_line: u8,
}

const fn place(
    city: &'static str,
    province: &'static str,
    area_code: &'static str,
    post_code: &'static str,
    fixed_line: u8,
) -> Place {
    Place {
        city,
        province,
        area_code,
        post_code,
        fixed_line,
    }
}

/// The places numbers come from; area and post codes are the cities' real ones.
pub const PLACES: [Place; 24] = [
    place("北京", "北京", "010", "100000", 1),
    place("上海", "上海", "021", "200000", 2),
    place("广州", "广东", "020", "510000", 2),
    place("深圳", "广东", "0755", "518000", 2),
    place("杭州", "浙江", "0571", "310000", 2),
    place("南京", "江苏", "025", "210000", 2),
    place("成都", "四川", "028", "610000", 2),
    place("武汉", "湖北", "027", "430000", 2),
    place("西安", "陕西", "029", "710000", 2),
    place("重庆", "重庆", "023", "400000", 2),
    place("天津", "天津", "022", "300000", 1),
    place("苏州", "江苏", "0512", "215000", 2),
    place("郑州", "河南", "0371", "450000", 1),
    place("长沙", "湖南", "0731", "410000", 2),
    place("邢台", "河北", "0319", "054000", 1),
    place("石家庄", "河北", "0311", "050000", 1),
    place("济南", "山东", "0531", "250000", 1),
    place("青岛", "山东", "0532", "266000", 1),
    place("合肥", "安徽", "0551", "230000", 2),
    place("福州", "福建", "0591", "350000", 2),
    place("厦门", "福建", "0592", "361000", 2),
    place("沈阳", "辽宁", "024", "110000", 1),
    place("哈尔滨", "黑龙江", "0451", "150000", 1),
    place("昆明", "云南", "0871", "650000", 2),
];

/// Carriers, their share of mobiles in percent, and the mobile prefixes they own.
pub const CARRIERS: [(&str, u8, &[u16]); 3] = [
    (
        "移动",
        50,
        &[
            134, 135, 136, 137, 138, 139, 147, 150, 151, 152, 157, 158, 159, 178, 182, 183, 184,
            187, 188, 198,
        ],
    ),
    (
        "联通",
        28,
        &[130, 131, 132, 145, 155, 156, 166, 175, 176, 185, 186],
    ),
    ("电信", 22, &[133, 149, 153, 173, 177, 180, 181, 189, 199]),
];

/// The platform's status labels, by code (the number-list page's wording).
pub const STATUS_LABELS: [&str; 13] = [
    "等待呼叫",
    "呼叫成功",
    "运营商拦截",
    "拒接",
    "无应答/无人接听",
    "空号",
    "关机",
    "停机",
    "占线/用户正忙",
    "呼入限制",
    "欠费",
    "黑名单",
    "用户屏蔽",
];

/// How often each status occurs, in percent.
const STATUS_WEIGHTS: [u32; 13] = [30, 22, 2, 6, 14, 4, 5, 3, 8, 2, 1, 2, 1];

/// The FreeSWITCH hang-up cause of each status.
const HANGUP_CAUSES: [&str; 13] = [
    "",
    "NORMAL_CLEARING",
    "CALL_REJECTED",
    "CALL_REJECTED",
    "NO_ANSWER",
    "UNALLOCATED_NUMBER",
    "SUBSCRIBER_ABSENT",
    "NORMAL_TEMPORARY_FAILURE",
    "USER_BUSY",
    "INCOMING_CALL_BARRED",
    "OUTGOING_CALL_BARRED",
    "CALL_REJECTED",
    "CALL_REJECTED",
];

/// Numbers are created over this many seconds before the anchor (30 days).
pub const SPAN_SECS: i64 = 30 * 24 * 3600;

const HAS_EXTRA: u8 = 1;
const HAS_CUSTOMER: u8 = 2;
const BLACKLIST_KNOWN: u8 = 4;
const BLACKLISTED: u8 = 8;
const DIALLED: u8 = 16;
const SUFFIXED: u8 = 32;

/// One number, compactly (40 bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The digits of the number as an integer (`digits` long, zero-padded on the left).
    phone: u64,
    /// Creation time: seconds after the task's origin.
    created: u32,
    /// Seconds from creation to the last call.
    call_after: u32,
    /// Ringing time of the last call, ms.
    ring_ms: u32,
    /// Talk time of the last call, ms (connected only).
    talk_ms: u32,
    /// The row id.
    pub id: u32,
    /// The `_xxxx` suffix an import option adds (when `SUFFIXED`).
    suffix: [u8; 4],
    /// How many digits the number has (landlines keep their leading zero).
    digits: u8,
    /// The status code (0..12).
    pub status: u8,
    place: u8,
    carrier: u8,
    flags: u8,
}

/// A number as text, without allocating (at most 12 digits and a 5-byte suffix).
#[derive(Clone, Copy)]
pub struct NumberText {
    buf: [u8; 24],
    len: u8,
}

impl NumberText {
    /// The text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl fmt::Display for NumberText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for NumberText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl Record {
    /// Whether the number was dialled (has call fields).
    pub fn dialled(&self) -> bool {
        self.flags & DIALLED != 0
    }

    /// The number as the platform returns it (digits, maybe a `_suffix`).
    pub fn number(&self) -> NumberText {
        let mut text = NumberText {
            buf: [0; 24],
            len: self.digits,
        };
        let mut rest = self.phone;
        for slot in text.buf[..usize::from(self.digits)].iter_mut().rev() {
            *slot = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        if self.flags & SUFFIXED != 0 {
            let at = usize::from(self.digits);
            text.buf[at] = b'_';
            text.buf[at + 1..at + 5].copy_from_slice(&self.suffix);
            text.len += 5;
        }
        text
    }

    /// Dialled now (as the platform's dialler would): `status` (1..=12; 0 is ignored), a call
    /// a minute after creation, rung for 5 s, and talked for 30 s when connected.
    pub fn dial(&mut self, status: u8) {
        if status == 0 || status > 12 {
            return;
        }
        self.status = status;
        self.flags |= DIALLED;
        self.call_after = 60;
        self.ring_ms = 5_000;
        self.talk_ms = if status == 1 { 30_000 } else { 0 };
    }

    /// Back to waiting: status 0, call fields cleared.
    pub fn reset(&mut self) {
        self.status = 0;
        self.flags &= !DIALLED;
        self.call_after = 0;
        self.ring_ms = 0;
        self.talk_ms = 0;
    }
}

fn civil(secs: i64) -> DateTime {
    DateTime::constant(1970, 1, 1, 0, 0, 0, 0)
        .checked_add(SignedDuration::from_secs(secs))
        .unwrap_or(DateTime::MAX)
}

/// Seconds since 1970-01-01 00:00:00 of a civil date-time (China wall time in, China wall time
/// out: no zone is involved).
pub fn seconds(datetime: DateTime) -> i64 {
    datetime
        .duration_since(DateTime::constant(1970, 1, 1, 0, 0, 0, 0))
        .as_secs()
}

/// A UUID (version 4 layout) made from a seed, a row and a field, so nothing needs storing.
fn uuid(seed: u64, id: u32, field: u64) -> String {
    let mut rng = fastrand::Rng::with_seed(
        seed ^ (u64::from(id) << 8) ^ field.wrapping_mul(0x9e37_79b9_7f4a_7c15),
    );
    let hi = (rng.u64(..) & !0xf000) | 0x4000;
    let lo = (rng.u64(..) & !(0xc << 60)) | (0x8 << 60);
    let hex = format!("{:016x}{:016x}", hi, lo);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The numbers of one task, and what is needed to render them.
#[derive(Debug, Clone)]
pub struct Numbers {
    /// Seed of the data (derived ids such as `callid` come from it too).
    pub seed: u64,
    /// Seconds since 1970 (China wall time) that `Record::created` counts from.
    pub origin: i64,
    /// The numbers, oldest first, ids increasing.
    pub records: Vec<Record>,
    /// String fields set by a test for some rows (by id), over the generated ones: how a test
    /// puts a hostile value (a formula, a phone) into a platform answer.
    pub overrides: std::collections::BTreeMap<(u32, TextField), String>,
}

/// A string field of a number record that a test may set (see `SimHandle::set_field`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TextField {
    /// `city`.
    City,
    /// `pro`.
    Province,
    /// `mobile_type`.
    Carrier,
    /// `area_code`.
    AreaCode,
    /// `post_code`.
    PostCode,
    /// `extra`.
    Extra,
    /// `callid` (set even before the number is dialled).
    CallId,
    /// `hangupcause` (likewise).
    HangupCause,
    /// `customer_id`.
    CustomerId,
    /// `status_str` (the platform's own label, which clients must not show).
    StatusText,
}

impl TextField {
    /// Every string field of a record.
    pub const ALL: [Self; 10] = [
        Self::City,
        Self::Province,
        Self::Carrier,
        Self::AreaCode,
        Self::PostCode,
        Self::Extra,
        Self::CallId,
        Self::HangupCause,
        Self::CustomerId,
        Self::StatusText,
    ];
}

fn weighted(rng: &mut fastrand::Rng, weights: &[u32]) -> usize {
    let mut roll = rng.u32(0..weights.iter().sum::<u32>().max(1));
    for (i, weight) in weights.iter().enumerate() {
        if roll < *weight {
            return i;
        }
        roll -= weight;
    }
    0
}

impl Numbers {
    /// Generates `size` numbers created over the 30 days before `anchor` (oldest first, ids
    /// increasing from `first_id`), reproducibly from `seed`.
    pub fn generate(size: usize, seed: u64, anchor: DateTime, first_id: u32) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed);
        let origin = seconds(anchor) - SPAN_SECS;
        let span = SPAN_SECS as u32;
        let mut created: Vec<u32> = (0..size).map(|_| rng.u32(1..=span)).collect();
        created.sort_unstable();
        let mut seen: HashSet<u64> = HashSet::with_capacity(size);
        let mut records = Vec::with_capacity(size);
        let carrier_weights = CARRIERS.map(|(_, share, _)| u32::from(share));
        for (i, created) in created.into_iter().enumerate() {
            let place = rng.u8(0..PLACES.len() as u8);
            let landline = rng.u8(0..100) < 6;
            let (phone, digits, carrier) = loop {
                let (phone, digits, carrier) = if landline {
                    let info = PLACES[usize::from(place)];
                    let area: u64 = info.area_code.parse().unwrap_or(10);
                    // 3-digit area codes have 8-digit subscribers; 4-digit ones 7 or 8.
                    let subscriber_len: u32 = if info.area_code.len() == 3 || rng.bool() {
                        8
                    } else {
                        7
                    };
                    let first = rng.u64(2..9);
                    let tail = 10u64.pow(subscriber_len - 1);
                    let subscriber = first * tail + rng.u64(0..tail);
                    let digits = info.area_code.len() as u32 + subscriber_len;
                    (
                        area * 10u64.pow(subscriber_len) + subscriber,
                        digits as u8,
                        info.fixed_line,
                    )
                } else {
                    let carrier = weighted(&mut rng, &carrier_weights);
                    let prefixes = CARRIERS[carrier].2;
                    let prefix = u64::from(prefixes[rng.usize(0..prefixes.len())]);
                    (
                        prefix * 100_000_000 + rng.u64(0..100_000_000),
                        11,
                        carrier as u8,
                    )
                };
                if seen.insert(phone * 16 + u64::from(digits)) {
                    break (phone, digits, carrier);
                }
            };
            let mut flags = 0;
            let mut suffix = [0u8; 4];
            if rng.u8(0..100) == 0 {
                flags |= SUFFIXED;
                for byte in &mut suffix {
                    *byte = rng.alphanumeric().to_ascii_lowercase() as u8;
                }
            }
            let status = weighted(&mut rng, &STATUS_WEIGHTS) as u8;
            if rng.u8(0..100) < 40 {
                flags |= HAS_EXTRA;
            }
            if rng.u8(0..100) < 70 {
                flags |= HAS_CUSTOMER;
            }
            if status == 11 {
                flags |= BLACKLIST_KNOWN | BLACKLISTED;
            } else if rng.u8(0..100) < 20 {
                flags |= BLACKLIST_KNOWN;
            }
            let (call_after, ring_ms, talk_ms) = if status == 0 {
                (0, 0, 0)
            } else {
                flags |= DIALLED;
                // Called after creation, and before the anchor.
                let room = (span - created).max(60);
                let call_after = rng.u32(30.min(room - 1)..room);
                let ring_ms = match status {
                    2 | 5 | 7 | 10 => rng.u32(800..4_000),
                    _ => rng.u32(3_000..45_000),
                };
                let talk_ms = if status == 1 {
                    rng.u32(5_000..300_000)
                } else {
                    0
                };
                (call_after, ring_ms, talk_ms)
            };
            records.push(Record {
                phone,
                created,
                call_after,
                ring_ms,
                talk_ms,
                id: first_id.saturating_add(u32::try_from(i).unwrap_or(u32::MAX)),
                suffix,
                digits,
                status,
                place,
                carrier,
                flags,
            });
        }
        Self {
            seed,
            origin,
            records,
            overrides: std::collections::BTreeMap::new(),
        }
    }

    /// When a record was created: seconds since 1970, China wall time.
    pub fn created(&self, record: &Record) -> i64 {
        self.origin + i64::from(record.created)
    }

    /// A record as the platform returns it.
    pub fn render(&self, record: &Record) -> NumberRecord {
        let place = PLACES[usize::from(record.place)];
        let created = self.created(record);
        let dialled = record.dialled();
        let calldate = civil(created + i64::from(record.call_after));
        let after_ms = |ms: u32| {
            calldate
                .checked_add(SignedDuration::from_millis(i64::from(ms)))
                .unwrap_or(calldate)
        };
        let whole = |dt: DateTime| {
            PlatformDateTime::new(dt.with().subsec_nanosecond(0).build().unwrap_or(dt))
        };
        let connected = record.status == 1;
        let status = CallStatus::try_from(i64::from(record.status))
            .or_else(|_| CallStatus::try_from(0))
            .unwrap_or_else(|_| unreachable!("0 is a valid status"));
        let mut rendered = NumberRecord {
            number: record.number().as_str().to_string(),
            city: Some(place.city.to_string()),
            pro: Some(place.province.to_string()),
            mobile_type: Some(CARRIERS[usize::from(record.carrier)].0.to_string()),
            area_code: Some(place.area_code.to_string()),
            post_code: Some(place.post_code.to_string()),
            extra: (record.flags & HAS_EXTRA != 0).then(|| uuid(self.seed, record.id, 1)),
            id: i64::from(record.id),
            status_str: STATUS_LABELS[usize::from(record.status)].to_string(),
            callid: dialled.then(|| uuid(self.seed, record.id, 2 + u64::from(record.call_after))),
            calldate: dialled.then(|| whole(calldate)),
            bill: dialled.then_some(i64::from(record.talk_ms)),
            duration: dialled.then_some(i64::from(record.ring_ms + record.talk_ms)),
            hangupcause: dialled.then(|| HANGUP_CAUSES[usize::from(record.status)].to_string()),
            hangupdate: dialled.then(|| whole(after_ms(record.ring_ms + record.talk_ms))),
            answerdate: (dialled && connected).then(|| whole(after_ms(record.ring_ms))),
            is_blacklist: (record.flags & BLACKLIST_KNOWN != 0)
                .then_some(LenientFlag(record.flags & BLACKLISTED != 0)),
            status,
            customer_id: (record.flags & HAS_CUSTOMER != 0).then(|| uuid(self.seed, record.id, 3)),
            created_at: whole(civil(created)),
        };
        for ((_, field), value) in self
            .overrides
            .range((record.id, TextField::City)..=(record.id, TextField::StatusText))
        {
            let value = value.clone();
            match field {
                TextField::City => rendered.city = Some(value),
                TextField::Province => rendered.pro = Some(value),
                TextField::Carrier => rendered.mobile_type = Some(value),
                TextField::AreaCode => rendered.area_code = Some(value),
                TextField::PostCode => rendered.post_code = Some(value),
                TextField::Extra => rendered.extra = Some(value),
                TextField::CallId => rendered.callid = Some(value),
                TextField::HangupCause => rendered.hangupcause = Some(value),
                TextField::CustomerId => rendered.customer_id = Some(value),
                TextField::StatusText => rendered.status_str = value,
            }
        }
        rendered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anchor() -> DateTime {
        jiff::civil::date(2026, 11, 22).at(12, 0, 0, 0)
    }

    #[test]
    fn records_are_compact() {
        assert!(
            std::mem::size_of::<Record>() <= 40,
            "{} bytes",
            std::mem::size_of::<Record>()
        );
    }

    #[test]
    fn generation_is_deterministic_and_consistent() {
        let a = Numbers::generate(3000, 7, anchor(), 1);
        let b = Numbers::generate(3000, 7, anchor(), 1);
        assert_eq!(a.records, b.records);
        let c = Numbers::generate(3000, 8, anchor(), 1);
        assert_ne!(a.records, c.records, "another seed, other data");
        let numbers: HashSet<String> = a
            .records
            .iter()
            .map(|r| r.number().as_str().to_string())
            .collect();
        assert_eq!(numbers.len(), 3000, "numbers are unique");
        let mut seen_status = [0usize; 13];
        let (mut landlines, mut suffixed) = (0, 0);
        for record in &a.records {
            seen_status[usize::from(record.status)] += 1;
            let r = a.render(record);
            assert_eq!(r.status_str, STATUS_LABELS[usize::from(record.status)]);
            let place = PLACES[usize::from(record.place)];
            let digits = r.number.split('_').next().unwrap();
            assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{}", r.number);
            if digits.starts_with('0') {
                landlines += 1;
                assert!(digits.starts_with(place.area_code), "{}", r.number);
                assert!((10..=12).contains(&digits.len()), "{}", r.number);
            } else {
                assert_eq!(digits.len(), 11, "{}", r.number);
                let prefix: u16 = digits[..3].parse().unwrap();
                let carrier = CARRIERS
                    .iter()
                    .find(|(_, _, prefixes)| prefixes.contains(&prefix))
                    .unwrap();
                assert_eq!(r.mobile_type.as_deref(), Some(carrier.0));
            }
            if let Some((_, suffix)) = r.number.split_once('_') {
                suffixed += 1;
                assert_eq!(suffix.len(), 4);
            }
            if record.status == 0 {
                assert!(
                    r.callid.is_none()
                        && r.calldate.is_none()
                        && r.bill.is_none()
                        && r.duration.is_none()
                );
                assert!(
                    r.hangupcause.is_none() && r.hangupdate.is_none() && r.answerdate.is_none()
                );
            } else {
                assert!(r.callid.is_some() && r.calldate.is_some() && r.hangupdate.is_some());
                assert!(r.hangupcause.is_some() && r.duration.unwrap() > 0);
                assert!(r.calldate.unwrap() >= r.created_at);
                assert!(r.calldate.unwrap().datetime() <= anchor());
                assert!(r.hangupdate.unwrap() >= r.calldate.unwrap());
                if record.status == 1 {
                    assert!(r.answerdate.is_some() && r.bill.unwrap() > 0);
                    assert_eq!(r.hangupcause.as_deref(), Some("NORMAL_CLEARING"));
                } else {
                    assert!(r.answerdate.is_none() && r.bill == Some(0));
                }
            }
            assert!(r.created_at.datetime() <= anchor());
            assert!(r.created_at.datetime() >= anchor() - SignedDuration::from_hours(24 * 30));
        }
        assert!(seen_status.iter().all(|&n| n > 0), "{seen_status:?}");
        assert!(landlines > 50 && landlines < 400, "{landlines} landlines");
        assert!(suffixed > 5 && suffixed < 100, "{suffixed} suffixed");
        assert!(
            a.records
                .windows(2)
                .all(|w| w[0].created <= w[1].created && w[0].id < w[1].id)
        );
    }

    #[test]
    fn a_reset_clears_the_call() {
        let mut numbers = Numbers::generate(50, 1, anchor(), 1);
        let dialled = numbers.records.iter().position(|r| r.status != 0).unwrap();
        numbers.records[dialled].reset();
        let r = numbers.render(&numbers.records[dialled]);
        assert_eq!(
            (r.status_str.as_str(), r.callid, r.bill, r.duration),
            ("等待呼叫", None, None, None)
        );
    }

    #[test]
    fn a_million_numbers_fit_in_tens_of_megabytes() {
        let numbers = Numbers::generate(1_000_000, 3, anchor(), 1);
        let bytes = numbers.records.capacity() * std::mem::size_of::<Record>();
        assert!(bytes <= 48_000_000, "{bytes} bytes");
        let last = numbers.records.last().unwrap();
        assert_eq!(last.id, 1_000_000);
    }
}
