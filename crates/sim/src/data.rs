//! Deterministic seeded data: tasks of numbers with realistic statuses, places and call fields.
//!
//! Records are stored compactly (about 70 bytes each, so a million cost tens of MB) and turned
//! into the generated `NumberRecord` only for the page being answered.

use std::collections::HashSet;

use agent_api::types::{CallStatus, NumberRecord};
use agent_api::wire::{LenientFlag, PlatformDateTime};
use jiff::SignedDuration;
use jiff::civil::DateTime;

/// `(city, province, area code, post code)` of the places numbers come from.
pub const PLACES: [(&str, &str, &str, &str); 24] = [
    ("北京", "北京", "010", "100000"),
    ("上海", "上海", "021", "200000"),
    ("广州", "广东", "020", "510000"),
    ("深圳", "广东", "0755", "518000"),
    ("杭州", "浙江", "0571", "310000"),
    ("南京", "江苏", "025", "210000"),
    ("成都", "四川", "028", "610000"),
    ("武汉", "湖北", "027", "430000"),
    ("西安", "陕西", "029", "710000"),
    ("重庆", "重庆", "023", "400000"),
    ("天津", "天津", "022", "300000"),
    ("苏州", "江苏", "0512", "215000"),
    ("郑州", "河南", "0371", "450000"),
    ("长沙", "湖南", "0731", "410000"),
    ("邢台", "河北", "0319", "054000"),
    ("石家庄", "河北", "0311", "050000"),
    ("济南", "山东", "0531", "250000"),
    ("青岛", "山东", "0532", "266000"),
    ("合肥", "安徽", "0551", "230000"),
    ("福州", "福建", "0591", "350000"),
    ("厦门", "福建", "0592", "361000"),
    ("沈阳", "辽宁", "024", "110000"),
    ("哈尔滨", "黑龙江", "0451", "150000"),
    ("昆明", "云南", "0871", "650000"),
];

/// Carriers and the mobile prefixes they own.
const CARRIERS: [(&str, &[u16]); 3] = [
    (
        "移动",
        &[
            134, 135, 136, 137, 138, 139, 147, 150, 151, 152, 157, 158, 159, 178, 182, 183, 184,
            187, 188, 198,
        ],
    ),
    (
        "联通",
        &[130, 131, 132, 145, 155, 156, 166, 175, 176, 185, 186],
    ),
    ("电信", &[133, 149, 153, 173, 177, 180, 181, 189, 199]),
];

/// The platform's status labels, by code.
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
    "NETWORK_OUT_OF_ORDER",
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

const HAS_EXTRA: u8 = 1;
const HAS_CUSTOMER: u8 = 2;
const BLACKLIST_KNOWN: u8 = 4;
const BLACKLISTED: u8 = 8;
const DIALLED: u8 = 16;

/// One number, compactly.
#[derive(Debug, Clone)]
pub struct Record {
    /// The number as the platform returns it (digits, maybe a `_suffix`).
    pub number: Box<str>,
    /// Creation time: seconds since 1970-01-01 00:00:00, China wall time.
    pub created: i64,
    /// Seconds from creation to the last call.
    call_after: u32,
    /// Ringing time of the last call, ms.
    ring_ms: u32,
    /// Talk time of the last call, ms (connected only).
    talk_ms: u32,
    /// The row id.
    pub id: u32,
    /// The status code (0..12).
    pub status: u8,
    place: u8,
    carrier: u8,
    flags: u8,
}

fn civil(secs: i64) -> DateTime {
    DateTime::constant(1970, 1, 1, 0, 0, 0, 0)
        .checked_add(SignedDuration::from_secs(secs))
        .unwrap_or(DateTime::MAX)
}

/// Seconds since 1970 (China wall time) of a civil date-time.
pub fn seconds(datetime: DateTime) -> i64 {
    datetime
        .duration_since(DateTime::constant(1970, 1, 1, 0, 0, 0, 0))
        .as_secs()
}

/// A UUID made from a seed and a row, so nothing needs storing.
fn uuid(seed: u64, id: u32, field: u64) -> String {
    let mut rng = fastrand::Rng::with_seed(
        seed ^ (u64::from(id) << 8) ^ field.wrapping_mul(0x9e37_79b9_7f4a_7c15),
    );
    let hi = rng.u64(..);
    let lo = rng.u64(..);
    let hi = (hi & !0xf000) | 0x4000; // version 4
    let lo = (lo & !(0xc << 60)) | (0x8 << 60); // variant
    let bytes = ((u128::from(hi)) << 64) | u128::from(lo);
    let hex = format!("{bytes:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

impl Record {
    /// Whether the number was dialled (has call fields).
    pub fn dialled(&self) -> bool {
        self.flags & DIALLED != 0
    }

    /// Back to waiting: status 0, call fields cleared.
    pub fn reset(&mut self) {
        self.status = 0;
        self.flags &= !DIALLED;
        self.call_after = 0;
        self.ring_ms = 0;
        self.talk_ms = 0;
    }

    /// The record as the platform returns it.
    pub fn render(&self, seed: u64) -> NumberRecord {
        let (city, province, area, post) = PLACES[usize::from(self.place)];
        let created = civil(self.created);
        let dialled = self.dialled();
        let calldate = civil(self.created + i64::from(self.call_after));
        let after_ms = |ms: u32| {
            calldate
                .checked_add(SignedDuration::from_millis(i64::from(ms)))
                .unwrap_or(calldate)
        };
        let whole = |dt: DateTime| {
            PlatformDateTime::new(dt.with().subsec_nanosecond(0).build().unwrap_or(dt))
        };
        let connected = self.status == 1;
        let status = CallStatus::try_from(i64::from(self.status)).unwrap_or_else(|_| {
            // Statuses are only ever set to 0..12.
            CallStatus::try_from(0).unwrap_or_else(|_| unreachable!())
        });
        NumberRecord {
            number: self.number.to_string(),
            city: Some(city.to_string()),
            pro: Some(province.to_string()),
            mobile_type: Some(CARRIERS[usize::from(self.carrier)].0.to_string()),
            area_code: Some(area.to_string()),
            post_code: Some(post.to_string()),
            extra: (self.flags & HAS_EXTRA != 0).then(|| uuid(seed, self.id, 1)),
            id: i64::from(self.id),
            status_str: STATUS_LABELS[usize::from(self.status)].to_string(),
            callid: dialled.then(|| uuid(seed, self.id, 2 + u64::from(self.call_after))),
            calldate: dialled.then(|| whole(calldate)),
            bill: dialled.then_some(i64::from(self.talk_ms)),
            duration: dialled.then_some(i64::from(self.ring_ms + self.talk_ms)),
            hangupcause: dialled.then(|| HANGUP_CAUSES[usize::from(self.status)].to_string()),
            hangupdate: dialled.then(|| whole(after_ms(self.ring_ms + self.talk_ms))),
            answerdate: (dialled && connected).then(|| whole(after_ms(self.ring_ms))),
            is_blacklist: (self.flags & BLACKLIST_KNOWN != 0)
                .then_some(LenientFlag(self.flags & BLACKLISTED != 0)),
            status,
            customer_id: (self.flags & HAS_CUSTOMER != 0).then(|| uuid(seed, self.id, 3)),
            created_at: whole(created),
        }
    }
}

fn weighted_status(rng: &mut fastrand::Rng) -> u8 {
    let mut roll = rng.u32(0..100);
    for (status, weight) in STATUS_WEIGHTS.iter().enumerate() {
        if roll < *weight {
            return status as u8;
        }
        roll -= weight;
    }
    0
}

/// Generates `size` numbers created over the 30 days before `anchor` (oldest first, ids
/// increasing from `first_id`), reproducibly from `seed`.
pub fn generate(size: usize, seed: u64, anchor: DateTime, first_id: u32) -> Vec<Record> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let end = seconds(anchor);
    let span = 30 * 24 * 3600;
    let mut created: Vec<i64> = (0..size).map(|_| end - rng.i64(0..span)).collect();
    created.sort_unstable();
    let mut seen = HashSet::with_capacity(size);
    let mut records = Vec::with_capacity(size);
    for (i, created) in created.into_iter().enumerate() {
        let place = rng.u8(0..PLACES.len() as u8);
        let landline = rng.u8(0..100) < 5;
        let (number, carrier) = loop {
            let (digits, carrier) = if landline {
                let area = PLACES[usize::from(place)].2;
                let subscriber_len = if area.len() == 3 { 8 } else { 7 };
                let first = rng.u8(2..9);
                let rest: String = (1..subscriber_len)
                    .map(|_| char::from(b'0' + rng.u8(0..10)))
                    .collect();
                (format!("{area}{first}{rest}"), 2u8)
            } else {
                let carrier = rng.u8(0..3);
                let prefixes = CARRIERS[usize::from(carrier)].1;
                let prefix = prefixes[rng.usize(0..prefixes.len())];
                (format!("{prefix}{:08}", rng.u32(0..100_000_000)), carrier)
            };
            if seen.insert(digits.clone()) {
                break (digits, carrier);
            }
        };
        let number = if rng.u8(0..100) == 0 {
            let suffix: String = (0..4)
                .map(|_| rng.alphanumeric().to_ascii_lowercase())
                .collect();
            format!("{number}_{suffix}")
        } else {
            number
        };
        let status = weighted_status(&mut rng);
        let mut flags = 0;
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
            let room = u32::try_from((end - created).max(60)).unwrap_or(u32::MAX);
            let call_after = rng.u32(30.min(room - 1)..room);
            let ring_ms = match status {
                5 | 7 | 10 | 2 => rng.u32(800..4_000),
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
            number: number.into_boxed_str(),
            created,
            call_after,
            ring_ms,
            talk_ms,
            id: first_id + i as u32,
            status,
            place,
            carrier,
            flags,
        });
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anchor() -> DateTime {
        jiff::civil::date(2026, 11, 22).at(12, 0, 0, 0)
    }

    #[test]
    fn generation_is_deterministic_and_consistent() {
        let a = generate(2000, 7, anchor(), 1);
        let b = generate(2000, 7, anchor(), 1);
        assert_eq!(
            a.iter().map(|r| r.render(7)).collect::<Vec<_>>(),
            b.iter().map(|r| r.render(7)).collect::<Vec<_>>()
        );
        let numbers: HashSet<&str> = a.iter().map(|r| &*r.number).collect();
        assert_eq!(numbers.len(), 2000, "numbers are unique");
        let mut seen_status = [0usize; 13];
        for record in &a {
            seen_status[usize::from(record.status)] += 1;
            let r = record.render(7);
            assert_eq!(r.status_str, STATUS_LABELS[usize::from(record.status)]);
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
                assert!(r.calldate.unwrap() >= r.created_at);
                assert!(r.calldate.unwrap().datetime() <= anchor());
                if record.status == 1 {
                    assert!(r.answerdate.is_some() && r.bill.unwrap() > 0);
                } else {
                    assert!(r.answerdate.is_none() && r.bill == Some(0));
                }
            }
            assert!(r.created_at.datetime() <= anchor());
        }
        assert!(seen_status.iter().all(|&n| n > 0), "{seen_status:?}");
        assert!(
            a.windows(2)
                .all(|w| w[0].created <= w[1].created && w[0].id < w[1].id)
        );
    }

    #[test]
    fn a_reset_clears_the_call() {
        let mut records = generate(50, 1, anchor(), 1);
        let dialled = records.iter_mut().find(|r| r.status != 0).unwrap();
        dialled.reset();
        let r = dialled.render(1);
        assert_eq!(
            (r.status_str.as_str(), r.callid, r.bill),
            ("等待呼叫", None, None)
        );
    }
}
