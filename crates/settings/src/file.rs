//! The configuration file, parsed once: every binary reads it with [`ConfigFile::read`];
//! [`crate::Layers`] puts the environment and flags over it and hands each owner its
//! table (`[api]`, `[chatops]`, `[telegram]`, `[discord]`).
//!
//! Errors name the file, the line and the key, and never quote the text of the line or a value:
//! a line of a config file may hold a token (`token = abc.def`, unquoted, is a syntax error whose
//! TOML message would print the whole line).

use std::fmt;
use std::path::{Path, PathBuf};

/// A configuration file (or none: an empty document).
#[derive(Clone, Default)]
pub struct ConfigFile {
    path: Option<PathBuf>,
    text: String,
    table: toml::Table,
}

impl fmt::Debug for ConfigFile {
    /// The path only: the text may hold secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigFile")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Why a configuration file cannot be used; names the file, line and key, never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigFileError {
    /// The file cannot be read.
    #[error("cannot read the config file {}: {reason}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why (the operating system's words).
        reason: String,
    },
    /// The file is not valid TOML, or a table holds a bad key or value.
    #[error("config file {file}{}{}: {reason}", line.map(|l| format!(", line {l}")).unwrap_or_default(), key.as_deref().map(|k| format!(", key `{k}`")).unwrap_or_default())]
    Invalid {
        /// The file (`(text)` when parsed from a string).
        file: String,
        /// The line, from 1, when known.
        line: Option<usize>,
        /// The key, when known (`api.token`).
        key: Option<String>,
        /// What is wrong, with any quoted value removed.
        reason: String,
    },
}

impl ConfigFile {
    /// Reads and parses a file; `None` is an empty document (defaults and the environment).
    pub fn read(path: Option<&Path>) -> Result<Self, ConfigFileError> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text = std::fs::read_to_string(path).map_err(|e| ConfigFileError::Read {
            path: path.to_path_buf(),
            reason: e.kind().to_string(),
        })?;
        Self::parse(Some(path), text)
    }

    /// Parses a document: the one place the configuration's TOML is parsed.
    pub fn parse(path: Option<&Path>, text: impl Into<String>) -> Result<Self, ConfigFileError> {
        let text = text.into();
        let file = describe(path);
        let table = toml::from_str::<toml::Table>(&text).map_err(|e| {
            let line = e.span().map(|span| line_of(&text, span.start));
            ConfigFileError::Invalid {
                key: line.and_then(|l| key_on_line(&text, l)),
                line,
                reason: scrub(e.message()),
                file,
            }
        })?;
        Ok(Self {
            path: path.map(Path::to_path_buf),
            text,
            table,
        })
    }

    /// The parsed document (for [`crate::Layers`]).
    pub(crate) fn table(&self) -> &toml::Table {
        &self.table
    }

    /// The file, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The line (from 1) where `table.key` is set, for errors found after parsing.
    pub fn line_of(&self, table: &str, key: &str) -> Option<usize> {
        line_of_key(&self.text, table, key)
    }

    /// The file's name for messages.
    pub fn describe(&self) -> String {
        describe(self.path.as_deref())
    }
}

fn describe(path: Option<&Path>) -> String {
    path.map_or_else(|| "(text)".to_string(), |p| p.display().to_string())
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .unwrap_or(text)
        .matches('\n')
        .count()
        + 1
}

/// The key set on a line (`token` of `token = abc.def`), if the line sets one; never the value.
fn key_on_line(text: &str, line: usize) -> Option<String> {
    let content = text.lines().nth(line.checked_sub(1)?)?;
    let (key, _) = content.split_once('=')?;
    let key = key.trim();
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '"' | '\''));
    plain.then(|| key.trim_matches(['"', '\'']).to_string())
}

/// The line where `key` is set inside `[table]` (or as `table.key`).
fn line_of_key(text: &str, table: &str, key: &str) -> Option<usize> {
    let mut current = String::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            current = trimmed.trim_matches(['[', ']']).trim().to_string();
            continue;
        }
        let Some((k, _)) = trimmed.split_once('=') else {
            continue;
        };
        let k = k.trim().trim_matches(['"', '\'']);
        let in_table = current == table || current.starts_with(&format!("{table}."));
        if (in_table && k == key) || k == format!("{table}.{key}") {
            return Some(i + 1);
        }
    }
    None
}

/// A TOML or serde message with quoted values removed: `invalid type: string "s3cr3t", expected
/// u64` becomes `invalid type: string, expected u64`. Backquoted names (keys, expected values)
/// stay.
pub(crate) fn scrub(message: &str) -> String {
    let first_line = message.lines().next().unwrap_or_default();
    let mut out = String::new();
    let mut quote: Option<char> = None;
    for c in first_line.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                out.push('…');
            }
            None => out.push(c),
        }
    }
    let out = mask_digit_runs(&out);
    out.replace(" …", "").replace('…', "").trim().to_string()
}

/// Runs of 7 or more digits (a phone, an id) masked as `agent_core::mask_phones_in` masks
/// them: `13934373090` → `139****3090`, shorter runs keep their first 3 and last 2. A
/// message's backquoted parts stay, and may quote a number.
fn mask_digit_runs(text: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let n = run.chars().count();
        if n >= 7 {
            let tail = if n >= 11 { 4 } else { 2 };
            out.extend(
                run.chars()
                    .enumerate()
                    .map(|(i, c)| if i < 3 || i >= n - tail { c } else { '*' }),
            );
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() || ('０'..='９').contains(&c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_syntax_error_names_file_line_and_key_never_the_value() {
        let text = "[api]\nuser_id = \"u-1\"\ntoken = abc.def-s3cr3t\n";
        let err = ConfigFile::parse(Some(Path::new("ops.toml")), text).unwrap_err();
        let shown = err.to_string();
        assert!(
            shown.starts_with("config file ops.toml, line 3, key `token`: "),
            "{shown}"
        );
        assert!(
            !shown.contains("abc") && !shown.contains("s3cr3t"),
            "{shown}"
        );
    }

    #[test]
    fn a_number_in_a_message_is_masked() {
        assert_eq!(
            scrub("invalid type: integer `13934373090`, expected a string"),
            "invalid type: integer `139****3090`, expected a string"
        );
        assert_eq!(scrub("expected 1 to 64"), "expected 1 to 64");
    }

    #[test]
    fn no_file_is_an_empty_document() {
        let file = ConfigFile::read(None).unwrap();
        assert!(file.table().is_empty());
        let err = ConfigFile::read(Some(Path::new("/nonexistent/ops.toml"))).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/ops.toml"), "{err}");
    }
}
