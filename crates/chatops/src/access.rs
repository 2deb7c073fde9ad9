//! Who is asking, and what they may do: roles granted in configuration to transport identities.

use std::fmt;

/// The chat service a command came through.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// The terminal (shell adapter).
    Shell,
    /// Telegram.
    Telegram,
    /// Discord.
    Discord,
}

impl Transport {
    /// The name used in grants (`telegram:user:42`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Shell => "shell",
            Self::Telegram => "telegram",
            Self::Discord => "discord",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "shell" => Some(Self::Shell),
            "telegram" => Some(Self::Telegram),
            "discord" => Some(Self::Discord),
            _ => None,
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The person behind a command or a button press, as the transport knows them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Caller {
    /// Where they are.
    pub transport: Transport,
    /// Their stable id there (Discord/Telegram user id, shell user name).
    pub user_id: String,
    /// How to name them in replies (`@alice`).
    pub name: String,
    /// Their role ids (Discord guild roles).
    pub roles: Vec<String>,
    /// The community the chat belongs to (a Discord guild id); `None` in a direct message or
    /// where the transport has none.
    pub place: Option<String>,
    /// The chat or channel (Telegram chat id, Discord channel id).
    pub chat_id: Option<String>,
    /// Sent on behalf of a group or channel (Telegram's anonymous admins): everyone behind it
    /// shares one id, so neither grants nor "only the requester may confirm" would mean
    /// anything. The engine refuses such callers.
    pub anonymous: bool,
    /// Their locale, when the transport says (`zh-CN`, `en`).
    pub locale: Option<String>,
}

impl Caller {
    /// A caller with only a transport and an id (name = id).
    pub fn new(transport: Transport, user_id: impl Into<String>) -> Self {
        let user_id = user_id.into();
        Self {
            transport,
            name: user_id.clone(),
            user_id,
            roles: Vec::new(),
            place: None,
            chat_id: None,
            anonymous: false,
            locale: None,
        }
    }

    /// Whether two callers are the same person on the same transport.
    pub fn same_person(&self, other: &Caller) -> bool {
        self.transport == other.transport && self.user_id == other.user_id
    }

    /// `telegram:user:42`, for messages and the audit log.
    pub fn identity(&self) -> String {
        format!("{}:user:{}", self.transport, self.user_id)
    }
}

/// What a caller may do. An operator may do everything a viewer may. [`Role::Exporter`] is
/// not a rank but a grant beside them: who may take a task's numbers away as a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// May list numbers.
    Viewer,
    /// May also reset numbers.
    Operator,
    /// May export numbers as a file: the `exporters` grants when configured, else operators.
    Exporter,
}

impl Role {
    /// The role's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Operator => "operator",
            Self::Exporter => "exporter",
        }
    }
}

/// One grant: who it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Grant {
    Anyone,
    AnyoneOn(Transport),
    User(Transport, String),
    Role(Transport, String),
    Chat(Transport, String),
}

/// A grant that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "bad grant `{0}`: use `*`, `<transport>:*`, `<transport>:user:<id>`, `discord:role:<id>`, `<transport>:chat:<id>` or `shell:<name>` (transports: shell, telegram, discord)"
)]
pub struct GrantError(pub String);

impl Grant {
    fn parse(text: &str) -> Result<Self, GrantError> {
        let text = text.trim();
        if text == "*" {
            return Ok(Self::Anyone);
        }
        let bad = || GrantError(text.to_string());
        let (transport, rest) = text.split_once(':').ok_or_else(bad)?;
        let transport = Transport::parse(transport).ok_or_else(bad)?;
        if rest == "*" {
            return Ok(Self::AnyoneOn(transport));
        }
        let grant = match rest.split_once(':') {
            Some(("user", id)) if !id.is_empty() => Self::User(transport, id.to_string()),
            Some(("role", id)) if !id.is_empty() => Self::Role(transport, id.to_string()),
            Some(("chat", id)) if !id.is_empty() => Self::Chat(transport, id.to_string()),
            None if transport == Transport::Shell && !rest.is_empty() => {
                Self::User(transport, rest.to_string())
            }
            _ => return Err(bad()),
        };
        Ok(grant)
    }

    fn covers(&self, caller: &Caller) -> bool {
        match self {
            Self::Anyone => true,
            Self::AnyoneOn(t) => *t == caller.transport,
            Self::User(t, id) => *t == caller.transport && *id == caller.user_id,
            Self::Role(t, id) => *t == caller.transport && caller.roles.contains(id),
            Self::Chat(t, id) => *t == caller.transport && caller.chat_id.as_deref() == Some(id),
        }
    }
}

/// The roles granted in configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
    operators: Vec<Grant>,
    viewers: Vec<Grant>,
    /// `None`: operators are the exporters.
    exporters: Option<Vec<Grant>>,
}

impl Access {
    /// Grants from configuration strings.
    pub fn new<S: AsRef<str>>(operators: &[S], viewers: &[S]) -> Result<Self, GrantError> {
        let parse = |list: &[S]| {
            list.iter()
                .map(|g| Grant::parse(g.as_ref()))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Self {
            operators: parse(operators)?,
            viewers: parse(viewers)?,
            exporters: None,
        })
    }

    /// Who may export, instead of the operators.
    pub fn with_exporters<S: AsRef<str>>(mut self, exporters: &[S]) -> Result<Self, GrantError> {
        self.exporters = Some(
            exporters
                .iter()
                .map(|g| Grant::parse(g.as_ref()))
                .collect::<Result<Vec<_>, _>>()?,
        );
        Ok(self)
    }

    /// The caller's rank, if any: [`Role::Operator`] or [`Role::Viewer`].
    pub fn role_of(&self, caller: &Caller) -> Option<Role> {
        if self.operators.iter().any(|g| g.covers(caller)) {
            Some(Role::Operator)
        } else if self.viewers.iter().any(|g| g.covers(caller)) {
            Some(Role::Viewer)
        } else {
            None
        }
    }

    /// Whether the caller holds at least `role` (for [`Role::Exporter`]: an exporters' grant,
    /// or, when none is configured, the operator role).
    pub fn allows(&self, caller: &Caller, role: Role) -> bool {
        match (role, &self.exporters) {
            (Role::Exporter, Some(exporters)) => exporters.iter().any(|g| g.covers(caller)),
            (Role::Exporter, None) => self.role_of(caller) == Some(Role::Operator),
            _ => self.role_of(caller).is_some_and(|r| r >= role),
        }
    }
}

/// Whether a chat key of the configuration (`telegram:chat:-100123`, `discord:chat:42`,
/// `shell:*`) covers the caller's chat.
pub fn chat_key_covers(key: &str, caller: &Caller) -> bool {
    Grant::parse(key).is_ok_and(|g| g.covers(caller))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn discord(user: &str, roles: &[&str]) -> Caller {
        Caller {
            roles: roles.iter().map(ToString::to_string).collect(),
            chat_id: Some("chan-1".into()),
            ..Caller::new(Transport::Discord, user)
        }
    }

    #[test]
    fn roles_from_users_roles_and_chats() {
        let access = Access::new(
            &["discord:role:ops", "telegram:user:42", "shell:alice"],
            &["discord:chat:chan-1", "telegram:*"],
        )
        .unwrap();
        assert_eq!(
            access.role_of(&discord("1", &["ops"])),
            Some(Role::Operator)
        );
        assert_eq!(access.role_of(&discord("1", &[])), Some(Role::Viewer));
        assert_eq!(
            access.role_of(&Caller::new(Transport::Telegram, "42")),
            Some(Role::Operator)
        );
        assert_eq!(
            access.role_of(&Caller::new(Transport::Telegram, "7")),
            Some(Role::Viewer)
        );
        assert_eq!(
            access.role_of(&Caller::new(Transport::Shell, "alice")),
            Some(Role::Operator)
        );
        assert_eq!(
            access.role_of(&Caller::new(Transport::Shell, "mallory")),
            None
        );
        assert!(access.allows(&discord("1", &["ops"]), Role::Viewer));
        assert!(!access.allows(&discord("1", &[]), Role::Operator));
        // Operators export unless exporters are configured; then only they do.
        assert!(access.allows(&discord("1", &["ops"]), Role::Exporter));
        assert!(!access.allows(&discord("1", &[]), Role::Exporter));
        let access = access.with_exporters(&["discord:user:1"]).unwrap();
        assert!(access.allows(&discord("1", &[]), Role::Exporter));
        assert!(!access.allows(&discord("2", &["ops"]), Role::Exporter));
        assert!(access.with_exporters(&["nope"]).is_err());
    }

    #[test]
    fn the_same_person_is_the_same_id_on_the_same_transport() {
        let telegram = Caller::new(Transport::Telegram, "1001");
        let discord = Caller::new(Transport::Discord, "1001");
        assert!(!telegram.same_person(&discord), "one id, two transports");
        assert!(!discord.same_person(&telegram));
        assert!(!telegram.same_person(&Caller::new(Transport::Telegram, "1002")));
        // Names, roles and chats change; the person does not.
        let renamed = Caller {
            name: "@someone-else".into(),
            roles: vec!["ops".into()],
            chat_id: Some("-100".into()),
            ..Caller::new(Transport::Telegram, "1001")
        };
        assert!(telegram.same_person(&renamed));
        assert!(telegram.same_person(&telegram));
    }

    #[test]
    fn bad_grants_are_named() {
        let err = Access::new(&["slack:user:1"], &[]).unwrap_err();
        assert_eq!(err.0, "slack:user:1");
        assert!(Access::new(&["discord:user:"], &[]).is_err());
        assert!(Access::new(&["discord:bob"], &[]).is_err());
    }
}
