//! Phone numbers: validation of what users type, and masking of what the platform returns.
//!
//! Phone numbers are personal data: replies show them masked (`138****4148`) unless configured
//! otherwise.

use std::fmt;
use std::str::FromStr;

/// A mainland China phone number, normalized to digits: a mobile (`13812344148`) or a landline
/// with its area code (`031912345678`, `01012345678`).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Phone(String);

/// What a phone number may look like, for error messages and help.
/// (No whole example number: a phone-shaped example would be masked in every reply.)
pub const ACCEPTED_PHONES: &str = "a mainland mobile (11 digits from 13 to 19; +86, spaces and dashes allowed) or a landline with its area code (0319-xxxxxxx, 010 xxxxxxxx)";

/// A phone number that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a phone number ({reason}); use {ACCEPTED_PHONES}")]
pub struct PhoneParseError {
    /// The offending text.
    pub input: String,
    reason: &'static str,
}

impl Phone {
    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a mobile number.
    pub fn is_mobile(&self) -> bool {
        self.0.starts_with('1')
    }

    /// The number with its middle hidden: `138****4148`.
    pub fn mask(&self) -> String {
        mask_number(&self.0)
    }
}

impl fmt::Debug for Phone {
    /// Masked: a `Debug` print must not leak personal data into logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.mask())
    }
}

impl fmt::Display for Phone {
    /// The full digits (what is sent to the platform); use [`Phone::mask`] for display to people.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub(crate) fn is_mobile(digits: &str) -> bool {
    digits.len() == 11 && digits.starts_with('1') && matches!(digits.as_bytes()[1], b'3'..=b'9')
}

/// Area code (0 + 2 or 3 digits, not 00) and a subscriber number of 7 or 8 digits not starting
/// with 0.
pub(crate) fn is_landline(digits: &str) -> bool {
    let bytes = digits.as_bytes();
    if !(10..=12).contains(&bytes.len()) || bytes[0] != b'0' || bytes[1] == b'0' {
        return false;
    }
    // Beijing, Shanghai, Tianjin, Chongqing and the 02x cities have 3-digit area codes (010, 02x);
    // the rest have 4 (0319, 0755).
    let area_len = if bytes[1] == b'1' || bytes[1] == b'2' {
        3
    } else {
        4
    };
    let subscriber = &bytes[area_len..];
    (7..=8).contains(&subscriber.len()) && subscriber[0] != b'0'
}

impl FromStr for Phone {
    type Err = PhoneParseError;

    /// Strips spaces, dashes, dots and parentheses, and a `+86`/`86`/`0086` country code.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = |reason| PhoneParseError {
            input: text.trim().chars().take(40).collect(),
            reason,
        };
        let trimmed = text.trim();
        let had_plus = trimmed.starts_with('+');
        let mut digits = String::new();
        for (i, c) in trimmed.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' | '\u{3000}' => {}
                '+' if i == 0 => {}
                _ => return Err(error("it holds characters other than digits")),
            }
        }
        if digits.is_empty() {
            return Err(error("it has no digits"));
        }
        let valid = |d: &str| is_mobile(d) || is_landline(d);
        let national = if let Some(rest) = digits.strip_prefix("0086") {
            Some(rest)
        } else if had_plus || (!valid(&digits) && digits.len() > 2) {
            // `+86…`, or digits that only make a number once a leading 86 is dropped.
            digits.strip_prefix("86")
        } else {
            None
        };
        let candidate = match national {
            // After a country code, landlines drop their trunk 0: +86 10 12345678.
            Some(rest) if rest.starts_with('0') || (rest.starts_with('1') && rest.len() == 11) => {
                rest.to_string()
            }
            Some(rest) => format!("0{rest}"),
            None if had_plus => return Err(error("only the +86 country code is accepted")),
            None => digits,
        };
        if valid(&candidate) {
            Ok(Self(candidate))
        } else if candidate.starts_with('1') {
            Err(error("a mobile number has 11 digits and starts with 13-19"))
        } else if candidate.starts_with('0') {
            Err(error(
                "a landline needs its area code and 7 or 8 more digits",
            ))
        } else {
            Err(error(
                "a mainland number starts with 1 (mobile) or 0 (area code)",
            ))
        }
    }
}

/// Masks a number as the platform returns it, which is not always a clean phone: it may carry an
/// import suffix (`13812344148_k3f9`) or be ciphertext when encryption is on.
///
/// - digits (7 or more): the first 3 and last 4 stay, the rest become `*` — `138****4148`;
/// - digits with a `_suffix`: the digits are masked, the suffix (random, not personal) stays;
/// - fewer than 7 digits: all but the last 2 are hidden;
/// - anything else (ciphertext): its first 4 characters and `…`.
pub fn mask_number(number: &str) -> String {
    let (digits, suffix) = match number.split_once('_') {
        Some((d, s)) => (d, Some(s)),
        None => (number, None),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        let head: String = number.chars().take(4).collect();
        return format!("{head}…");
    }
    let masked = if digits.len() >= 7 {
        let hidden = "*".repeat(digits.len() - 7);
        format!("{}{hidden}{}", &digits[..3], &digits[digits.len() - 4..])
    } else {
        let keep = digits.len().saturating_sub(2);
        format!("{}{}", "*".repeat(keep), &digits[keep..])
    };
    match suffix {
        Some(suffix) => format!("{masked}_{suffix}"),
        None => masked,
    }
}

/// Parses a list of phones separated by commas, spaces, `;`, `，` or `、`; names the first bad one.
pub fn parse_phone_list(text: &str) -> Result<Vec<Phone>, PhoneParseError> {
    let mut phones = Vec::new();
    // Spaces inside one number (`138 1234 4148`) are common, so split on list separators first,
    // and on spaces only when an item is not a phone as a whole.
    for item in text
        .split([',', ';', '，', '、', '；', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match item.parse::<Phone>() {
            Ok(phone) => phones.push(phone),
            Err(whole) => {
                let parts: Vec<&str> = item.split_whitespace().collect();
                if parts.len() < 2 {
                    return Err(whole);
                }
                for part in parts {
                    phones.push(part.parse()?);
                }
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    phones.retain(|p| seen.insert(p.clone()));
    Ok(phones)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> String {
        text.parse::<Phone>().unwrap().as_str().to_string()
    }

    #[test]
    fn accepted_forms_normalize_to_digits() {
        assert_eq!(ok("13812344148"), "13812344148");
        assert_eq!(ok(" 138 1234 4148 "), "13812344148");
        assert_eq!(ok("138-1234-4148"), "13812344148");
        assert_eq!(ok("+86 138 1234 4148"), "13812344148");
        assert_eq!(ok("8613812344148"), "13812344148");
        assert_eq!(ok("008613812344148"), "13812344148");
        assert_eq!(ok("0319-1234567"), "03191234567");
        assert_eq!(ok("010 12345678"), "01012345678");
        assert_eq!(ok("(0755) 8888 6666"), "075588886666");
        assert_eq!(ok("+86 10 12345678"), "01012345678");
        assert_eq!(ok("+86-755-88886666"), "075588886666");
    }

    #[test]
    fn refused_forms_name_the_input() {
        for bad in [
            "1381234414",
            "12812344148",
            "138123441489",
            "0319-123",
            "00-12345678",
            "+1 415 555 0100",
            "1381234414a",
            "hello",
            "",
            "010-01234567",
        ] {
            let err = bad.parse::<Phone>().unwrap_err();
            assert!(
                err.to_string().contains(&format!("`{}`", bad.trim())),
                "{err}"
            );
        }
    }

    #[test]
    fn masks() {
        assert_eq!(mask_number("13812344148"), "138****4148");
        assert_eq!(mask_number("031912345678"), "031*****5678");
        assert_eq!(mask_number("13812344148_k3f9"), "138****4148_k3f9");
        assert_eq!(mask_number("12345"), "***45");
        assert_eq!(mask_number("q2V5Zk9x+Lm=="), "q2V5…");
        assert_eq!(mask_number(""), "…");
        assert_eq!(
            "13812344148".parse::<Phone>().unwrap().mask(),
            "138****4148"
        );
        assert_eq!(
            format!("{:?}", "13812344148".parse::<Phone>().unwrap()),
            "Phone(138****4148)"
        );
    }

    #[test]
    fn lists() {
        let phones =
            parse_phone_list("13812344148, 138 1234 4149；0319-1234567,13812344148").unwrap();
        let digits: Vec<&str> = phones.iter().map(Phone::as_str).collect();
        assert_eq!(digits, ["13812344148", "13812344149", "03191234567"]);
        let phones = parse_phone_list("13812344148 13812344149").unwrap();
        assert_eq!(phones.len(), 2);
        let err = parse_phone_list("13812344148,1234").unwrap_err();
        assert_eq!(err.input, "1234");
    }
}
