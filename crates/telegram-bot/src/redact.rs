//! Keeping secrets out of logs. teloxide puts the bot token in every request URL
//! (`…/bot<TOKEN>/SendMessage`); it hides it in the errors it builds only when the URL and the
//! token have the usual shapes. So every error text this crate logs goes through a
//! [`Redactor`], and the binary's log writer ([`RedactingMakeWriter`]) redacts whatever else
//! (teloxide's own `log` lines, dependencies) might print.

use std::fmt;
use std::io::{self, Write};
use std::sync::Arc;

use tracing_subscriber::fmt::MakeWriter;

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Shorter strings are not treated as secrets (they would blank out ordinary words).
const MIN_SECRET_LEN: usize = 6;

/// Replaces known secrets in text.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Arc<Vec<String>>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

impl Redactor {
    /// A redactor of these secrets. A bot token (`<id>:<secret>`) is also redacted by its
    /// secret part alone.
    pub fn new<I, S>(secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut list: Vec<String> = Vec::new();
        for secret in secrets {
            let secret = secret.as_ref().trim();
            if secret.len() >= MIN_SECRET_LEN {
                list.push(secret.to_string());
            }
            if let Some((_, tail)) = secret.split_once(':')
                && tail.len() >= MIN_SECRET_LEN
            {
                list.push(tail.to_string());
            }
        }
        // Longest first, so a secret that contains another is replaced whole.
        list.sort_by_key(|s| std::cmp::Reverse(s.len()));
        list.dedup();
        Self {
            secrets: Arc::new(list),
        }
    }

    /// The text with every secret replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in self.secrets.iter() {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        out
    }

    /// The bytes with every secret replaced by [`REDACTED`].
    pub fn redact_bytes(&self, bytes: &[u8]) -> Vec<u8> {
        let mut out = bytes.to_vec();
        for secret in self.secrets.iter() {
            out = replace_bytes(&out, secret.as_bytes(), REDACTED.as_bytes());
        }
        out
    }
}

fn replace_bytes(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return haystack.to_vec();
    }
    let mut out = Vec::with_capacity(haystack.len());
    let mut at = 0;
    while at < haystack.len() {
        if haystack[at..].starts_with(needle) {
            out.extend_from_slice(with);
            at += needle.len();
        } else {
            out.push(haystack[at]);
            at += 1;
        }
    }
    out
}

/// A `tracing_subscriber` writer factory that redacts secrets from every log line before it
/// reaches `inner` (stderr in the binary).
#[derive(Debug, Clone)]
pub struct RedactingMakeWriter<M> {
    inner: M,
    redactor: Redactor,
}

impl<M> RedactingMakeWriter<M> {
    /// Wraps a writer factory.
    pub fn new(inner: M, redactor: Redactor) -> Self {
        Self { inner, redactor }
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for RedactingMakeWriter<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter {
            inner: self.inner.make_writer(),
            redactor: self.redactor.clone(),
            buffer: Vec::new(),
        }
    }
}

/// Collects one log event and writes it, redacted, when flushed or dropped.
#[derive(Debug)]
pub struct RedactingWriter<W: Write> {
    inner: W,
    redactor: Redactor,
    buffer: Vec<u8>,
}

impl<W: Write> RedactingWriter<W> {
    fn write_out(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let redacted = self.redactor.redact_bytes(&self.buffer);
        self.buffer.clear();
        self.inner.write_all(&redacted)?;
        self.inner.flush()
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_out()
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        // Nowhere to report a failed log write.
        let _ = self.write_out();
    }
}

/// An error and its causes, `outer: inner: …` (reqwest keeps the useful part in the causes).
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

impl crate::settings::Settings {
    /// A redactor of every secret in the settings, for logs.
    pub fn redactor(&self) -> Redactor {
        use secrecy::ExposeSecret;
        let mut secrets = vec![
            self.telegram.token.expose_secret().to_string(),
            self.api.token.expose_secret().to_string(),
            self.engine.secret.expose_secret().to_string(),
        ];
        if let crate::settings::Mode::Webhook(webhook) = &self.telegram.mode {
            secrets.push(webhook.secret.expose_secret().to_string());
        }
        Redactor::new(secrets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    const TOKEN: &str = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

    #[test]
    fn tokens_and_their_secret_part_are_redacted() {
        let redactor = Redactor::new([TOKEN, "short", "webhook-secret-1"]);
        let url = format!("http://127.0.0.1:1/bot{TOKEN}/GetMe");
        assert_eq!(
            redactor.redact(&url),
            "http://127.0.0.1:1/bot[redacted]/GetMe"
        );
        assert_eq!(
            redactor.redact("token part AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw leaked"),
            "token part [redacted] leaked"
        );
        assert_eq!(redactor.redact("short stays"), "short stays");
        assert_eq!(
            redactor.redact_bytes("x webhook-secret-1 y".as_bytes()),
            b"x [redacted] y"
        );
        assert!(!format!("{redactor:?}").contains(TOKEN));
    }

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn log_lines_are_redacted_before_they_are_written() {
        let sink = Sink::default();
        let make = {
            let sink = sink.clone();
            move || sink.clone()
        };
        let subscriber = tracing_subscriber::fmt()
            .with_writer(RedactingMakeWriter::new(make, Redactor::new([TOKEN])))
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::error!(url = %format!("https://api.telegram.org/bot{TOKEN}/GetUpdates"), "request failed");
            tracing::info!("plain line");
        });
        let written = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert!(!written.contains(TOKEN), "{written}");
        assert!(!written.contains("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"));
        assert!(
            written.contains("https://api.telegram.org/bot[redacted]/GetUpdates"),
            "{written}"
        );
        assert!(written.contains("plain line"));
    }
}
