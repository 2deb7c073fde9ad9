//! Texts written from the declarations: a binary's `--help` list ([`help`]), the configuration
//! reference ([`reference`], committed as `docs/configuration.md`) and the sample file
//! ([`sample`], part of the reference).

use std::fmt::Write as _;

use crate::declare::{Setting, Table};

/// A binary and the tables it reads, for the reference.
#[derive(Debug, Clone)]
pub struct Binary {
    /// Its name (`telegram-bot`).
    pub name: &'static str,
    /// The tables it reads, in order.
    pub tables: Vec<Table>,
}

/// A default for `--help`: TOML without a string's quotes.
fn plain(default: String) -> String {
    match default.strip_prefix('"').and_then(|d| d.strip_suffix('"')) {
        Some(inner) => inner.to_string(),
        None => default,
    }
}

/// The `(as --flag; default …)` of a setting in `--help`.
fn extras(setting: &Setting) -> String {
    let mut parts = Vec::new();
    if let Some(flag) = setting.flag {
        parts.push(format!("as {flag}"));
    }
    if let Some(default) = setting.default_text() {
        parts.push(format!("default {}", plain(default)));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

/// `words` wrapped at `width` columns, each line after the first indented by `indent`.
fn wrap(words: &[&str], first: usize, indent: usize, width: usize) -> String {
    let mut out = String::new();
    let mut column = first;
    for (i, word) in words.iter().enumerate() {
        if i > 0 && column + 1 + word.len() > width {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            column = indent;
        } else if i > 0 {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += word.len();
    }
    out
}

/// The settings part of a binary's `--help`, from the declarations: each environment variable
/// on an aligned line (what it is, its flag and default, its file key), then each table's
/// keys.
pub fn help(declared: &[Table]) -> String {
    let settings: Vec<&Setting> = declared.iter().flat_map(|t| t.settings).collect();
    let width = settings
        .iter()
        .filter_map(|s| s.env)
        .map(str::len)
        .max()
        .unwrap_or(0);
    let mut out = String::from("Environment (each also a key of the config file):\n");
    for setting in &settings {
        if let Some(env) = setting.env {
            let _ = writeln!(
                out,
                "  {env:width$}  {}{} [{}]",
                setting.about(),
                extras(setting),
                setting.key
            );
        }
    }
    out.push_str(
        "Config file tables and their keys (docs/configuration.md: types, defaults, ranges):\n",
    );
    let width = declared.iter().map(|t| t.name.len() + 2).max().unwrap_or(0);
    for table in declared {
        let keys: Vec<String> = table
            .settings
            .iter()
            .filter(|s| !s.nested)
            .map(|s| format!("{},", s.field()))
            .collect();
        let mut keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        if let Some(last) = keys.last_mut() {
            *last = last.trim_end_matches(',');
        }
        let name = format!("[{}]", table.name);
        let _ = writeln!(
            out,
            "  {name:width$}  {}",
            wrap(&keys, width + 4, width + 4, 96)
        );
    }
    out
}

/// A cell of a Markdown table.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The tables of `binaries`, each once, in order of first use.
fn tables(binaries: &[Binary]) -> Vec<Table> {
    let mut tables: Vec<Table> = Vec::new();
    for table in binaries.iter().flat_map(|b| &b.tables) {
        if !tables.iter().any(|t| t.name == table.name) {
            tables.push(*table);
        }
    }
    tables
}

/// The configuration reference (Markdown): which binary reads which table, each table's
/// settings with their variable, flag, type, default and range, and the sample file. `update`
/// is the command that writes it again.
pub fn reference(binaries: &[Binary], update: &str) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "# Configuration reference

<!-- Generated from the settings' declarations: do not edit. `{update}` writes it again. -->

Every setting is a key of the config file (`--config <FILE>` or `AGENT_OPS_CONFIG`, TOML). Those
with a variable can be given in the environment too, which wins over the file; a flag wins over
both. Values from the environment are trimmed, and an empty one counts as unset. Every problem
(a missing setting, a bad value, an unknown key) is reported at once, in one line naming each
setting's variable and file key (and the file's line), and never a value. Secrets are never
shown: not in errors, not in `Debug` output, not in logs.

| binary | reads |
|---|---|
"
    );
    for binary in binaries {
        let names: Vec<String> = binary
            .tables
            .iter()
            .map(|t| format!("[`[{}]`](#{})", t.name, t.name.replace('.', "")))
            .collect();
        let _ = writeln!(out, "| `{}` | {} |", binary.name, names.join(", "));
    }
    for table in tables(binaries) {
        let _ = write!(
            out,
            "\n## {}\n\n{}\n\n| key | variable, flag | type | default | range | description |\n|---|---|---|---|---|---|\n",
            table.name,
            table.about()
        );
        for setting in table.settings {
            let mut given = Vec::new();
            if let Some(env) = setting.env {
                given.push(format!("`{env}`"));
            }
            if let Some(flag) = setting.flag {
                given.push(format!("`{flag}`"));
            }
            let kind = if setting.secret {
                format!("{}, secret", setting.kind)
            } else {
                setting.kind.to_string()
            };
            let default = match (setting.default_toml(), setting.default_text()) {
                (Some(toml), _) => format!("`{toml}`"),
                (None, Some(words)) => words,
                (None, None) => String::new(),
            };
            let about = if setting.nested {
                format!(
                    "{} (see [`[{}]`](#{}))",
                    setting.about(),
                    setting.key,
                    setting.key.replace('.', "")
                )
            } else {
                setting.about()
            };
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {} |",
                setting.field(),
                given.join(" "),
                kind,
                cell(&default),
                cell(&setting.range_text().unwrap_or_default()),
                cell(&about)
            );
        }
    }
    let _ = write!(
        out,
        "\n## Sample file\n\nEvery table and key, with its description; each key is commented out \
         and shows its default, or an example when it has none. Secrets are better given in the \
         environment.\n\n```toml\n{}```\n",
        sample(&tables(binaries))
    );
    out
}

/// `text` as TOML comment lines.
fn comment(out: &mut String, text: &str) {
    let words: Vec<&str> = text.split_whitespace().collect();
    let _ = writeln!(out, "# {}", wrap(&words, 2, 0, 96).replace('\n', "\n# "));
}

/// A sample config file of `tables`: each table's header, then each key commented out with its
/// description above it, showing its default, or an example when it has none (uncommenting a
/// default changes nothing).
pub fn sample(tables: &[Table]) -> String {
    let mut out = String::new();
    for (i, table) in tables.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        comment(&mut out, &table.about());
        let _ = writeln!(out, "[{}]", table.name);
        let (subtables, keys): (Vec<&Setting>, Vec<&Setting>) = table
            .settings
            .iter()
            .filter(|s| !s.nested)
            .partition(|s| s.table);
        for setting in keys {
            let mut about = setting.about();
            if let Some(env) = setting.env {
                about.push_str(&format!(" ({env})"));
            }
            comment(&mut out, &about);
            if let (None, Some(words)) = (setting.default_toml(), setting.default_text()) {
                comment(&mut out, &format!("Default: {words}."));
            }
            let value = setting.default_toml();
            let value = value.as_deref().or(setting.example).unwrap_or("…");
            let _ = writeln!(out, "# {} = {value}", setting.field());
        }
        for setting in subtables {
            comment(&mut out, &setting.about());
            let _ = writeln!(out, "# [{}]", setting.key);
            for line in setting.example.unwrap_or("").lines() {
                let _ = writeln!(out, "# {}", line.trim());
            }
        }
    }
    out
}
