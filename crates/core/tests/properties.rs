//! Property tests: every accepted spelling of a status, time or phone round-trips, and nothing
//! panics on arbitrary strings.
#![allow(clippy::unwrap_used)] // tests may panic

use agent_core::phone::{Phone, mask_number, parse_phone_list};
use agent_core::status::{ALL_STATUSES, CallStatus, StatusSet};
use agent_core::time::{Edge, format_platform, parse_time};
use jiff::civil::{Date, DateTime};
use proptest::prelude::*;

fn status() -> impl Strategy<Value = CallStatus> {
    (0usize..13).prop_map(|i| ALL_STATUSES[i])
}

/// A spelling of the status: its code, English name, Chinese label or an alias.
fn spelling(status: CallStatus) -> impl Strategy<Value = String> {
    let mut names = vec![
        status.code().to_string(),
        status.name_en().to_string(),
        status.label_zh().to_string(),
    ];
    names.extend(status.aliases().iter().map(ToString::to_string));
    proptest::sample::select(names)
}

/// Mangles case and separators the way people type: `No Answer`, `no_answer`, ` NO-ANSWER `.
fn mangle(text: &str, upper: &[bool], seps: &[u8]) -> String {
    let mut out = String::from(" ");
    for (i, c) in text.chars().enumerate() {
        let c = if c == '-' {
            [' ', '_', '-', '.'][usize::from(seps[i % seps.len()] % 4)]
        } else {
            c
        };
        if upper[i % upper.len()] {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
    }
    out.push(' ');
    out
}

proptest! {
    #[test]
    fn statuses_parse_from_any_spelling(
        (status, name) in status().prop_flat_map(|s| (Just(s), spelling(s))),
        upper in proptest::collection::vec(any::<bool>(), 1..8),
        seps in proptest::collection::vec(any::<u8>(), 1..8),
    ) {
        let typed = mangle(&name, &upper, &seps);
        prop_assert_eq!(typed.parse::<CallStatus>(), Ok(status), "{:?}", typed);
    }

    #[test]
    fn status_sets_round_trip(bits in 1u16..(1 << 13)) {
        let set: StatusSet = ALL_STATUSES.iter().copied().filter(|s| bits & (1 << s.code()) != 0).collect();
        prop_assert_eq!(StatusSet::parse_list(&set.to_string()), Ok(set));
    }

    #[test]
    fn status_parsing_never_panics(text in "\\PC*") {
        if let Ok(status) = text.parse::<CallStatus>() {
            prop_assert_eq!(status.name_en().parse::<CallStatus>(), Ok(status));
        }
        let _ = StatusSet::parse_list(&text);
    }
}

fn datetime() -> impl Strategy<Value = DateTime> {
    (2000i16..2100, 1i8..=12, 1i8..=31, 0i8..24, 0i8..60, 0i8..60)
        .prop_filter_map("a real date", |(y, mo, d, h, mi, s)| {
            Date::new(y, mo, d).ok().map(|date| date.at(h, mi, s, 0))
        })
}

fn now() -> DateTime {
    jiff::civil::date(2026, 11, 22).at(15, 4, 5, 0)
}

proptest! {
    #[test]
    fn times_round_trip_in_every_accepted_form(dt in datetime(), form in 0usize..4) {
        let text = match form {
            0 => format_platform(dt),
            1 => dt.strftime("%Y/%-m/%-d %-H:%M:%S").to_string(),
            2 => dt.strftime("%Y-%m-%dT%H:%M:%S").to_string(),
            _ => dt.strftime("%Y/%m/%d %H:%M:%S").to_string(),
        };
        prop_assert_eq!(parse_time(&text, Edge::Start, now()), Ok(dt));
        prop_assert_eq!(parse_time(&text, Edge::End, now()), Ok(dt));
        prop_assert_eq!(parse_time(&format_platform(dt), Edge::Start, now()), Ok(dt));
    }

    #[test]
    fn dates_cover_whole_days(dt in datetime(), slash in any::<bool>()) {
        let date = dt.date();
        let text = if slash { date.strftime("%Y/%-m/%-d").to_string() } else { date.to_string() };
        prop_assert_eq!(parse_time(&text, Edge::Start, now()), Ok(date.at(0, 0, 0, 0)));
        prop_assert_eq!(parse_time(&text, Edge::End, now()), Ok(date.at(23, 59, 59, 0)));
    }

    #[test]
    fn time_parsing_never_panics(text in "\\PC*") {
        let _ = parse_time(&text, Edge::Start, now());
        let _ = parse_time(&text, Edge::End, now());
    }

    #[test]
    fn relative_times_never_panic(n in any::<u64>(), unit in "(d|h|m|days|hours|天)") {
        let _ = parse_time(&format!("{n}{unit}"), Edge::Start, now());
    }
}

fn mobile() -> impl Strategy<Value = String> {
    (3u8..=9, 0u64..1_000_000_000).prop_map(|(second, rest)| format!("1{second}{rest:09}"))
}

fn landline() -> impl Strategy<Value = String> {
    (
        proptest::sample::select(vec!["010", "021", "020", "0319", "0755", "0571"]),
        1u64..=9,
        0u64..10_000_000,
        any::<bool>(),
    )
        .prop_map(|(area, first, rest, eight)| {
            let subscriber = if eight {
                format!("{first}{rest:07}")
            } else {
                format!("{first}{:06}", rest % 1_000_000)
            };
            format!("{area}{subscriber}")
        })
}

/// Formats digits the way people type them: with a country code, spaces or dashes.
fn decorate(digits: &str, prefix: usize, gaps: &[usize], dash: bool) -> String {
    let national = match prefix {
        0 => digits.to_string(),
        _ => digits.strip_prefix('0').unwrap_or(digits).to_string(),
    };
    let mut out = String::new();
    for (i, c) in national.chars().enumerate() {
        if i > 0 && gaps.contains(&i) {
            out.push(if dash { '-' } else { ' ' });
        }
        out.push(c);
    }
    match prefix {
        0 => out,
        1 => format!("+86 {out}"),
        2 => format!("86{out}"),
        _ => format!("0086{out}"),
    }
}

proptest! {
    #[test]
    fn phones_round_trip_from_any_formatting(
        digits in prop_oneof![mobile(), landline()],
        prefix in 0usize..4,
        gaps in proptest::collection::vec(1usize..11, 0..3),
        dash in any::<bool>(),
    ) {
        let typed = decorate(&digits, prefix, &gaps, dash);
        let phone: Phone = typed.parse().map_err(|e| TestCaseError::fail(format!("{typed}: {e}")))?;
        prop_assert_eq!(phone.as_str(), digits.as_str());
        let masked = phone.mask();
        prop_assert_eq!(masked.chars().count(), digits.len());
        prop_assert_eq!(&masked[..3], &digits[..3]);
        prop_assert_eq!(&masked[masked.len() - 4..], &digits[digits.len() - 4..]);
        prop_assert!(masked[3..masked.len() - 4].chars().all(|c| c == '*'));
    }

    #[test]
    fn phone_parsing_never_panics(text in "\\PC*") {
        if let Ok(phone) = text.parse::<Phone>() {
            prop_assert_eq!(phone.as_str().parse::<Phone>(), Ok(phone.clone()));
        }
        let _ = parse_phone_list(&text);
        let masked = mask_number(&text);
        // A mask never shows more than 7 digits of a number.
        prop_assert!(masked.chars().filter(char::is_ascii_digit).count() <= 7 || !text.bytes().all(|b| b.is_ascii_digit()));
    }
}
