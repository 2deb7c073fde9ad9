//! Ids and page types: what the platform's paths and paging parameters take, validated once.

use std::fmt;

/// An id as the platform uses them in paths and parameters (task ids, sub-account ids): UUIDs in
/// practice; we accept 1 to 64 characters of letters, digits, `-` and `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(String);

/// An id that is empty, too long or holds other characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {what} (1-64 letters, digits, `-` or `_`)")]
pub struct IdError {
    /// `task id` or `sub-account id`.
    pub what: &'static str,
    /// The offending value (cut to 64 characters).
    pub value: String,
}

impl Id {
    fn parse(value: &str, what: &'static str) -> Result<Self, IdError> {
        let value = value.trim();
        let ok = (1..=64).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(value.to_string()))
        } else {
            Err(IdError {
                what,
                value: value.chars().take(64).collect(),
            })
        }
    }

    /// A task id.
    pub fn task(value: &str) -> Result<Self, IdError> {
        Self::parse(value, "task id")
    }

    /// A sub-account id.
    pub fn sub_account(value: &str) -> Result<Self, IdError> {
        Self::parse(value, "sub-account id")
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A page number or a page size out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    /// A page number below 1.
    #[error("page must be 1 or more, not {0}")]
    Number(i64),
    /// A page size outside the accepted range.
    #[error("page size must be between 1 and {max}, not {value}")]
    Size {
        /// The offending value.
        value: i64,
        /// The largest accepted.
        max: u32,
    },
}

/// A page number, from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PageNumber(u32);

impl PageNumber {
    /// The first page.
    pub const FIRST: Self = Self(1);

    /// A page number; refuses anything below 1.
    pub fn new(value: i64) -> Result<Self, PageError> {
        u32::try_from(value)
            .ok()
            .filter(|&v| v >= 1)
            .map(Self)
            .ok_or(PageError::Number(value))
    }

    /// The number.
    pub const fn get(self) -> u32 {
        self.0
    }
}

/// A page size: 1 to [`PageSize::MAX`] numbers per page (default 15, the platform's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageSize(u32);

impl PageSize {
    /// The platform's default page size.
    pub const DEFAULT: Self = Self(15);
    /// The largest page size we ask for (the platform documents none; the simulator caps at this).
    pub const MAX: Self = Self(1000);

    /// A page size; refuses 0 and anything above [`PageSize::MAX`].
    pub fn new(value: i64) -> Result<Self, PageError> {
        u32::try_from(value)
            .ok()
            .filter(|v| (1..=Self::MAX.0).contains(v))
            .map(Self)
            .ok_or(PageError::Size {
                value,
                max: Self::MAX.0,
            })
    }

    /// A page size known when compiling: `PageSize::of::<200>()`. A size out of range does not
    /// compile (the check is evaluated by the compiler, never at run time).
    ///
    /// ```
    /// use agent_core::PageSize;
    /// const STREAM: PageSize = PageSize::of::<200>();
    /// assert_eq!(STREAM.get(), 200);
    /// ```
    ///
    /// ```compile_fail
    /// let none = agent_core::PageSize::of::<0>();
    /// ```
    pub const fn of<const N: u32>() -> Self {
        const {
            assert!(
                N >= 1 && N <= Self::MAX.0,
                "a page size is 1 to PageSize::MAX"
            );
        }
        Self(N)
    }

    /// The size.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl Default for PageSize {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_pages_and_sizes_are_validated() {
        assert!(Id::task("").is_err());
        assert!(Id::task("a/b").is_err());
        assert_eq!(
            Id::sub_account("x y").unwrap_err().to_string(),
            "`x y` is not a valid sub-account id (1-64 letters, digits, `-` or `_`)"
        );
        assert_eq!(
            PageNumber::new(0).unwrap_err().to_string(),
            "page must be 1 or more, not 0"
        );
        assert_eq!(PageNumber::new(3).unwrap().get(), 3);
        assert!(PageSize::new(1001).is_err());
        assert!(PageSize::new(-1).is_err());
        assert_eq!(PageSize::new(1000).unwrap().get(), 1000);
    }

    #[test]
    fn sizes_known_when_compiling_are_the_validated_ones() {
        assert_eq!(PageSize::of::<1>(), PageSize::new(1).unwrap());
        assert_eq!(PageSize::of::<1000>(), PageSize::MAX);
        assert_eq!(PageSize::of::<15>(), PageSize::DEFAULT);
    }
}
