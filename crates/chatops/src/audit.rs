//! The audit trail of resets: a structured `tracing` event and a JSON line appended to a file, for
//! each reset requested, confirmed, cancelled, expired or failed. Never the token; phones masked
//! unless configured otherwise.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

/// What happened to a reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditEvent {
    /// Previewed, waiting for confirmation.
    Requested,
    /// Confirmed and done.
    Confirmed,
    /// Cancelled by the requester.
    Cancelled,
    /// Not confirmed in time.
    Expired,
    /// Confirmed, but the platform failed or refused.
    Failed,
}

/// One line of the audit log.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    /// When, UTC, RFC 3339.
    pub at: String,
    /// What happened.
    pub event: AuditEvent,
    /// The pending request's id (hex), tying the lines of one reset together.
    pub request: String,
    /// Who: `telegram:user:42`.
    pub actor: String,
    /// Their display name.
    pub actor_name: String,
    /// Where: the chat or channel.
    pub chat: Option<String>,
    /// The task id.
    pub task: String,
    /// The filter, as words (`status=busy from=…`); phones masked unless configured otherwise.
    pub filter: String,
    /// Numbers matching at preview time.
    pub matched: u64,
    /// The platform's answer or the error.
    pub outcome: Option<String>,
}

/// Where audit lines go.
#[derive(Debug)]
pub struct AuditLog {
    path: Option<PathBuf>,
    file: Mutex<Option<File>>,
}

impl AuditLog {
    /// Appends to `path` (created if missing); `None` keeps the tracing events only.
    pub fn new(path: Option<&Path>) -> Self {
        Self {
            path: path.map(Path::to_path_buf),
            file: Mutex::new(None),
        }
    }

    /// The file, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Records an event: a `tracing` event (target `audit`) and a JSON line.
    pub fn record(&self, record: &AuditRecord) {
        tracing::info!(
            target: "audit",
            event = ?record.event,
            request = %record.request,
            actor = %record.actor,
            chat = record.chat.as_deref().unwrap_or("-"),
            task = %record.task,
            filter = %record.filter,
            matched = record.matched,
            outcome = record.outcome.as_deref().unwrap_or("-"),
            "reset {:?}",
            record.event
        );
        let Some(path) = &self.path else { return };
        let line = match serde_json::to_string(record) {
            Ok(line) => line,
            Err(err) => {
                tracing::error!(%err, "cannot encode an audit record");
                return;
            }
        };
        let mut guard = match self.file.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if guard.is_none() {
            match OpenOptions::new().create(true).append(true).open(path) {
                Ok(file) => *guard = Some(file),
                Err(err) => {
                    tracing::error!(%err, path = %path.display(), "cannot open the audit log");
                    return;
                }
            }
        }
        if let Some(file) = guard.as_mut()
            && let Err(err) = writeln!(file, "{line}").and_then(|()| file.flush())
        {
            tracing::error!(%err, path = %path.display(), "cannot write the audit log");
            *guard = None;
        }
    }
}
