//! Reply languages: English and Simplified Chinese. The texts themselves are keyed in
//! [`crate::messages`].

use agent_core::{CallStatus, StatusGroup};

/// A reply language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Simplified Chinese (zh-CN).
    Zh,
}

impl Lang {
    /// The language of a locale tag (`zh-CN`, `zh-hans`, `en-US`...), if we speak it.
    pub fn from_locale(locale: &str) -> Option<Self> {
        let tag = locale.trim().to_ascii_lowercase();
        if tag.starts_with("zh") {
            Some(Self::Zh)
        } else if tag.starts_with("en") {
            Some(Self::En)
        } else {
            None
        }
    }

    /// A status as people of this language read it.
    pub fn status(self, status: CallStatus) -> &'static str {
        match self {
            Self::En => status.name_en(),
            Self::Zh => status.label_zh(),
        }
    }

    /// A group's name.
    pub fn group(self, group: StatusGroup) -> &'static str {
        match self {
            Self::En => group.name(),
            Self::Zh => group.name_zh(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales() {
        assert_eq!(Lang::from_locale("zh-CN"), Some(Lang::Zh));
        assert_eq!(Lang::from_locale("zh-hans"), Some(Lang::Zh));
        assert_eq!(Lang::from_locale("en-US"), Some(Lang::En));
        assert_eq!(Lang::from_locale("de"), None);
        assert_eq!(Lang::Zh.status(CallStatus::Busy), "占线/用户正忙");
    }
}
