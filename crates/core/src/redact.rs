//! Masking of phone-shaped text anywhere in a string: the one step every text bound for a chat,
//! an audit line or a log field passes (see `agent-chatops`'s outbound rule).
//!
//! Written by hand because no maintained crate knows mainland China's numbering plan: a regex
//! alone cannot say whether `139 3437 3090` is one number split by spaces or three numbers, and
//! the `regex` crate has no look-around to keep digit runs whole.
//!
//! What is masked:
//! - mainland mobiles (`13934373090`), with or without `+86`/`86`/`0086`, with spaces, dashes
//!   or dots between the digits (`+86 139-3437-3090`);
//! - landlines with their area code (`0319-1234567`, `010 12345678`);
//! - any run of 7 or more digits (an import suffix, a number cut short, a phone inside a longer
//!   run), whatever its shape;
//! - runs that contain one of the `extra` digit strings (what a user typed into `phones:` or
//!   `keyword:`, which may be a part of a number).
//!
//! Full-width digits (`１３９…`) count as digits.

/// Digits that are read as a run; full-width forms count.
fn digit_value(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '０'..='９' => char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')),
        _ => None,
    }
}

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '.' | '\u{3000}' | '\u{a0}')
}

/// Whether `digits` (ASCII) is a mainland mobile or a landline with area code, possibly behind
/// a country code.
pub fn is_phone_digits(digits: &str) -> bool {
    use crate::phone::{is_landline, is_mobile};
    if is_mobile(digits) || is_landline(digits) {
        return true;
    }
    // After a country code, landlines drop their trunk 0: +86 10 12345678.
    match digits
        .strip_prefix("0086")
        .or_else(|| digits.strip_prefix("86"))
    {
        Some(rest) => is_mobile(rest) || is_landline(rest) || is_landline(&format!("0{rest}")),
        None => false,
    }
}

/// A phone's masked form; a country code stays visible: `86 139****3090`.
fn mask_phone(digits: &str) -> String {
    use crate::phone::{is_landline, is_mobile};
    if is_mobile(digits) || is_landline(digits) {
        return mask_digits(digits);
    }
    for code in ["0086", "86"] {
        if let Some(national) = digits.strip_prefix(code) {
            return format!("{code} {}", mask_digits(national));
        }
    }
    mask_digits(digits)
}

/// The masked form of a run of digits: `139****3090`; shorter runs keep less.
pub fn mask_digits(digits: &str) -> String {
    let n = digits.chars().count();
    let (head, tail) = match n {
        11.. => (3, 4),
        7..=10 => (3, 2),
        3..=6 => (0, 2),
        _ => (0, 0),
    };
    digits
        .chars()
        .enumerate()
        .map(|(i, c)| if i < head || i >= n - tail { c } else { '*' })
        .collect()
}

/// `text` with every phone-shaped part masked (see the module's documentation); `extra` are
/// digit strings typed by the user that are masked wherever a run contains them (those shorter
/// than 3 digits are ignored).
pub fn mask_phones_in(text: &str, extra: &[String]) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let starts_span = digit_value(chars[i]).is_some()
            || (chars[i] == '+' && chars.get(i + 1).and_then(|c| digit_value(*c)).is_some());
        if !starts_span {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // A span: groups of digits joined by single separators.
        let start = i;
        if chars[i] == '+' {
            i += 1;
        }
        let mut groups: Vec<(usize, usize)> = Vec::new();
        loop {
            let group_start = i;
            while i < chars.len() && digit_value(chars[i]).is_some() {
                i += 1;
            }
            groups.push((group_start, i));
            let joined = i + 1 < chars.len()
                && is_separator(chars[i])
                && digit_value(chars[i + 1]).is_some();
            if !joined {
                break;
            }
            i += 1;
        }
        out.push_str(&mask_span(&chars, start, &groups, extra));
    }
    out
}

fn digits_of(chars: &[char], from: usize, to: usize) -> String {
    chars[from..to]
        .iter()
        .filter_map(|c| digit_value(*c))
        .collect()
}

/// Masks the phones within one span of digit groups; returns the span's new text.
fn mask_span(chars: &[char], start: usize, groups: &[(usize, usize)], extra: &[String]) -> String {
    let mut out = String::new();
    // Text before the first group (a `+`).
    out.extend(&chars[start..groups[0].0]);
    let mut g = 0;
    while g < groups.len() {
        // The longest run of consecutive groups, starting here, that reads as a phone.
        let mut best = None;
        let mut joined = String::new();
        for (h, &(from, to)) in groups.iter().enumerate().skip(g).take(6) {
            joined.push_str(&digits_of(chars, from, to));
            if joined.len() > 16 {
                break;
            }
            if joined.len() >= 7 && is_phone_digits(&joined) {
                best = Some((h, joined.clone()));
            }
        }
        let (until, masked) = match best {
            Some((h, digits)) => (h, Some(mask_phone(&digits))),
            None => {
                let (from, to) = groups[g];
                let digits = digits_of(chars, from, to);
                let typed = extra
                    .iter()
                    .any(|e| e.len() >= 3 && digits.contains(e.as_str()));
                if digits.len() >= 7 || typed {
                    (g, Some(mask_digits(&digits)))
                } else {
                    (g, None)
                }
            }
        };
        if g > 0 {
            // The separator before this group.
            out.push(chars[groups[g].0 - 1]);
        }
        match masked {
            Some(masked) => out.push_str(&masked),
            None => out.extend(&chars[groups[g].0..groups[g].1]),
        }
        g = until + 1;
    }
    out
}

/// Every run of digits in `text` (what a user typed into `phones:` or `keyword:`), for
/// [`mask_phones_in`]'s `extra`.
pub fn digit_runs(text: &str) -> Vec<String> {
    let mut runs = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        match digit_value(c) {
            Some(d) => current.push(d),
            None if is_separator(c) && !current.is_empty() => {}
            None => {
                if !current.is_empty() {
                    runs.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str) -> String {
        mask_phones_in(text, &[])
    }

    #[test]
    fn phones_in_any_shape_are_masked() {
        assert_eq!(m("call 13934373090 now"), "call 139****3090 now");
        assert_eq!(m("+86 139-3437-3090"), "+86 139****3090");
        assert_eq!(m("号码 139 3437 3090 无效"), "号码 139****3090 无效");
        assert_eq!(m("0086 139 3437 3090"), "0086 139****3090");
        assert_eq!(m("8613934373090"), "86 139****3090");
        assert_eq!(m("+86 10 12345678"), "+86 101*****78");
        assert_eq!(m("tel 0319-1234567."), "tel 031****4567.");
        assert_eq!(m("010 12345678"), "010****5678");
        assert_eq!(m("号码１３９３４３７３０９０"), "号码139****3090");
        assert_eq!(m("13934373090_k3f9"), "139****3090_k3f9");
        assert_eq!(m("1393437309"), "139*****09");
        assert!(!m("a 139343730901234 b").contains("3437309"));
    }

    #[test]
    fn ordinary_numbers_stay() {
        for text in [
            "2020-07-28 10:00:00",
            "3000 numbers · page 1/300",
            "busy 12 · no-answer 3",
            "HTTP 500",
            "from=2013-05-12 00:00:00 to=2013-05-12 23:59:59",
            "f232d184-dd54-42a0-8ace-0bf8d660f4cc",
            "占线 1 · 无应答 300",
        ] {
            assert_eq!(m(text), text);
        }
    }

    #[test]
    fn typed_runs_are_masked_wherever_they_appear() {
        let extra = digit_runs("keyword:3437");
        assert_eq!(extra, ["3437"]);
        assert_eq!(mask_phones_in("keyword=3437", &extra), "keyword=**37");
        assert_eq!(mask_phones_in("page 34", &extra), "page 34");
    }
}
