//! The audit trail of resets and exports: a structured `tracing` event and a JSON line appended to a file, for
//! each reset requested, confirmed (before it is sent), done, failed, of unknown outcome,
//! cancelled or expired. Never the token; phones masked unless configured otherwise (the engine
//! passes every field through its outbound rule).
//!
//! Each line is one `write` on a file opened with `O_APPEND`, synced to disk before the call
//! returns: several processes may share the file without interleaving, and a line the engine
//! was told is written survives a crash. A reset is not sent unless its `confirmed` line was
//! written.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// What happened to a reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditEvent {
    /// Previewed, waiting for confirmation.
    Requested,
    /// Confirmed by the requester; written before the reset is sent.
    Confirmed,
    /// Sent, and the platform said it was done.
    Done,
    /// Sent, and it may or may not have been applied (a timeout, a cut connection, a 5xx).
    Unknown,
    /// Cancelled by the requester.
    Cancelled,
    /// Not confirmed in time.
    Expired,
    /// Confirmed, but the platform failed or refused.
    Failed,
    /// Numbers exported as a file (`matched`: the rows; `outcome`: the format and whether the
    /// phones were masked), written before the file is delivered.
    Exported,
    /// A stored record (a pending reset, a page) failed its seal check: it was changed in the
    /// state store. Refused; nothing was done.
    Tampered,
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
}

impl AuditLog {
    /// Appends to `path` (created if missing); `None` keeps the tracing events only.
    pub fn new(path: Option<&Path>) -> Self {
        Self {
            path: path.map(Path::to_path_buf),
        }
    }

    /// The file, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Records an event: a `tracing` event (target `audit`) and a JSON line.
    pub fn record(&self, record: &AuditRecord) -> std::io::Result<()> {
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
            "{:?}",
            record.event
        );
        let Some(path) = &self.path else {
            return Ok(());
        };
        let mut line = serde_json::to_vec(record).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let result = append(path, &line);
        if let Err(err) = &result {
            tracing::error!(%err, path = %path.display(), "cannot write the audit log");
        }
        result
    }
}

/// One `write` of a whole line at the end of the file, then a sync. The file is opened for each
/// line (resets are rare): a rotated or removed file is noticed at once, never written behind
/// an old handle.
fn append(path: &Path, line: &[u8]) -> std::io::Result<()> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    // Created readable by its owner alone: the lines name people, chats and filters.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    let written = file.write(line)?;
    if written != line.len() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::WriteZero,
            format!(
                "only {written} of {} bytes of an audit line written",
                line.len()
            ),
        ));
    }
    file.sync_data()
}
