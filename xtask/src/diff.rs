//! `cargo xtask spec diff [--base REV]`: what changed in the spec since REV, whether it breaks the
//! users of `agent-api`, the semver bump it needs, and a changelog entry.
//!
//! Two views, both needed:
//! - the HTTP contract, compared by oxidecomputer's `drift` (built on `openapiv3`, the parser
//!   progenitor uses). drift judges from a server's side: a change is backward-incompatible when
//!   clients built on the old document break against the new one. For a client crate that is
//!   what breaks its users too, so drift's backward-incompatible and incompatible changes are
//!   breaking here, its forward-incompatible ones (something new that old servers would not
//!   know, such as a new optional parameter) are additions, and its trivial ones are metadata.
//!   Changes drift cannot judge ("unhandled") count as breaking until a maintainer says
//!   otherwise with `--allow-breaking`.
//! - the Rust API: the public surface of the code progenitor generates from each spec (the
//!   lines of the insta surface snapshot). A removed or changed line breaks users' code; an
//!   added one is an addition.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{codegen, paths, spec, surface};

/// How a change affects `agent-api`'s users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Impact {
    /// Documentation and metadata only.
    Trivial,
    /// Something new; existing code and requests keep working.
    Compatible,
    /// Existing code or requests may break.
    Breaking,
}

/// The semver bump a set of changes needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bump {
    /// Nothing changed.
    None,
    /// Patch.
    Patch,
    /// Minor.
    Minor,
    /// Major.
    Major,
}

impl Bump {
    fn name(self) -> &'static str {
        match self {
            Bump::None => "none",
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }

    /// The next version after `version` (`x.y.z`) under Cargo's rules: below 1.0 the minor is
    /// the major.
    pub fn next(self, version: &str) -> String {
        let parts: Vec<u64> = version
            .split('.')
            .map(|p| p.parse().unwrap_or(0))
            .chain(std::iter::repeat(0))
            .take(3)
            .collect();
        let (major, minor, patch) = (parts[0], parts[1], parts[2]);
        match (self, major) {
            (Bump::None, _) => version.to_string(),
            (Bump::Major, 0) => format!("0.{}.0", minor + 1),
            (Bump::Major, _) => format!("{}.0.0", major + 1),
            (Bump::Minor, 0) | (Bump::Patch, _) => format!("{major}.{minor}.{}", patch + 1),
            (Bump::Minor, _) => format!("{major}.{}.0", minor + 1),
        }
    }
}

/// One change, as reported.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Item {
    /// How it affects users.
    pub impact: Impact,
    /// What changed, and where.
    pub text: String,
}

/// What `spec diff` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Changes to the HTTP contract (from drift).
    pub contract: Vec<Item>,
    /// Changes to the generated crate's public surface.
    pub surface: Vec<Item>,
}

impl Report {
    /// The worst impact of any change.
    pub fn impact(&self) -> Option<Impact> {
        self.contract
            .iter()
            .chain(&self.surface)
            .map(|i| i.impact)
            .max()
    }

    /// Whether a change breaks users.
    pub fn breaking(&self) -> bool {
        self.impact() == Some(Impact::Breaking)
    }

    /// The bump `agent-api` needs.
    pub fn bump(&self) -> Bump {
        match self.impact() {
            None => Bump::None,
            Some(Impact::Trivial) => Bump::Patch,
            Some(Impact::Compatible) => Bump::Minor,
            Some(Impact::Breaking) => Bump::Major,
        }
    }

    /// A changelog entry for `agent-api` at `version` (the current one).
    pub fn changelog(&self, version: &str, base: &str) -> String {
        let next = self.bump().next(version);
        let mut out = format!("## agent-api {next}\n\nFrom the spec changes since {base}.\n");
        for (impact, heading) in [
            (Impact::Breaking, "Breaking"),
            (Impact::Compatible, "Added"),
            (Impact::Trivial, "Documentation"),
        ] {
            let items: Vec<&Item> = self
                .contract
                .iter()
                .chain(&self.surface)
                .filter(|i| i.impact == impact)
                .collect();
            if items.is_empty() {
                continue;
            }
            let _ = write!(out, "\n### {heading}\n\n");
            for item in items {
                let _ = writeln!(out, "- {}", item.text);
            }
        }
        out
    }
}

fn impact_of(class: drift::ChangeClass) -> Impact {
    match class {
        drift::ChangeClass::BackwardIncompatible
        | drift::ChangeClass::Incompatible
        | drift::ChangeClass::Unhandled => Impact::Breaking,
        drift::ChangeClass::ForwardIncompatible => Impact::Compatible,
        drift::ChangeClass::Trivial => Impact::Trivial,
    }
}

/// Compares two specs' texts (YAML).
pub fn diff(old_text: &str, new_text: &str) -> Result<Report> {
    let old = spec::raw(old_text).context("the base spec")?;
    let new = spec::raw(new_text).context("the new spec")?;
    let changes = drift::compare(&old, &new).context("drift could not compare the specs")?;
    let mut contract = Vec::new();
    for change in &changes {
        let place = change
            .paths
            .first()
            .map(|p| {
                if p.new.to_string().is_empty() {
                    p.old.to_string()
                } else {
                    p.new.to_string()
                }
            })
            .unwrap_or_default();
        for info in &change.changes {
            let sub = if info.new_subpath.is_empty() {
                &info.old_subpath
            } else {
                &info.new_subpath
            };
            let place = if sub.is_empty() {
                place.clone()
            } else {
                format!("{place}/{sub}")
            };
            let unhandled = if info.class == drift::ChangeClass::Unhandled {
                " (drift cannot judge this change: review it)"
            } else {
                ""
            };
            // JSON pointers name routes with `~1` for `/`.
            let place = place.replace("~1", "/").replace("~0", "~");
            contract.push(Item {
                impact: impact_of(info.class),
                text: format!("{}{unhandled} — `{place}`", info.message),
            });
        }
    }
    contract.sort();
    contract.dedup();

    let old_surface = surface::surface(&codegen::generate(old_text).context("the base spec")?)
        .context("the base spec's generated code")?;
    let new_surface = surface::surface(&codegen::generate(new_text).context("the new spec")?)
        .context("the new spec's generated code")?;
    let mut surface = Vec::new();
    let lines = similar::TextDiff::from_lines(&old_surface, &new_surface);
    let mut owner = String::new();
    for change in lines.iter_all_changes() {
        let line = change.value().trim_end();
        if !line.starts_with(' ') {
            owner = line.to_string();
        }
        let shown = if line.starts_with(' ') {
            format!("`{}` in `{owner}`", line.trim())
        } else {
            format!("`{line}`")
        };
        match change.tag() {
            similar::ChangeTag::Delete => surface.push(Item {
                impact: Impact::Breaking,
                text: format!("public API: removed or changed {shown}"),
            }),
            similar::ChangeTag::Insert => surface.push(Item {
                impact: Impact::Compatible,
                text: format!("public API: added {shown}"),
            }),
            similar::ChangeTag::Equal => {}
        }
    }
    Ok(Report { contract, surface })
}

/// The spec's text at a git revision.
fn spec_at(rev: &str) -> Result<String> {
    let output = Command::new("git")
        .arg("show")
        .arg(format!("{rev}:openapi/agent-api.yaml"))
        .current_dir(paths::root())
        .output()
        .context("cannot run git")?;
    if !output.status.success() {
        bail!(
            "git show {rev}:openapi/agent-api.yaml failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    String::from_utf8(output.stdout).context("the spec is not UTF-8")
}

/// `agent-api`'s current version (the workspace's).
fn current_version() -> String {
    fs::read_to_string(paths::root().join("Cargo.toml"))
        .ok()
        .and_then(|text| {
            let after = text.split("[workspace.package]").nth(1)?.to_string();
            after.lines().find_map(|line| {
                let value = line.trim().strip_prefix("version")?.trim();
                let value = value.strip_prefix('=')?.trim().trim_matches('"');
                Some(value.to_string())
            })
        })
        .unwrap_or_else(|| "0.1.0".to_string())
}

/// Where the base spec comes from.
pub enum Base<'a> {
    /// A git revision.
    Rev(&'a str),
    /// A file.
    File(&'a Path),
}

/// `cargo xtask spec diff`: prints the changes, the bump and a changelog entry; fails on a
/// breaking change unless `allow_breaking`.
pub fn run_diff(base: Base<'_>, spec_path: &Path, allow_breaking: bool) -> Result<Report> {
    let (old_text, base_name) = match base {
        Base::Rev(rev) => (spec_at(rev)?, rev.to_string()),
        Base::File(path) => (
            fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?,
            path.display().to_string(),
        ),
    };
    let new_text = fs::read_to_string(spec_path)
        .with_context(|| format!("cannot read {}", spec_path.display()))?;
    let report = diff(&old_text, &new_text)?;
    let version = current_version();
    if report.impact().is_none() {
        println!("spec diff: no change since {base_name}; agent-api {version} needs no bump");
        return Ok(report);
    }
    println!("spec diff: {base_name} → {}\n", spec_path.display());
    println!("HTTP contract (drift):");
    if report.contract.is_empty() {
        println!("  no change");
    }
    for item in &report.contract {
        println!("  [{:?}] {}", item.impact, item.text);
    }
    println!("\nGenerated crate's public surface:");
    if report.surface.is_empty() {
        println!("  no change");
    }
    for item in &report.surface {
        println!("  [{:?}] {}", item.impact, item.text);
    }
    let bump = report.bump();
    println!(
        "\nsemver: agent-api needs a {} bump: {version} → {}{}\n",
        bump.name(),
        bump.next(&version),
        if version.starts_with("0.") && bump == Bump::Major {
            " (below 1.0 Cargo treats the minor as the major)"
        } else {
            ""
        }
    );
    println!(
        "Changelog entry:\n\n{}",
        report.changelog(&version, &base_name)
    );
    if report.breaking() && !allow_breaking {
        bail!(
            "the spec changes since {base_name} break agent-api's users; pass --allow-breaking to accept them (and bump the major)"
        );
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::{Value, json};

    use super::*;

    const LIST: &str = "/agent-api/user/{user_id}/task/{task_id}/number";

    fn committed() -> String {
        fs::read_to_string(paths::spec()).unwrap()
    }

    /// The committed spec, changed by `edit`, in a temporary file.
    fn changed(edit: impl FnOnce(&mut Value)) -> tempfile::NamedTempFile {
        let mut doc = spec::raw(&committed()).unwrap();
        edit(&mut doc);
        let file = tempfile::NamedTempFile::new().unwrap();
        fs::write(file.path(), serde_norway::to_string(&doc).unwrap()).unwrap();
        file
    }

    #[test]
    fn removing_a_response_property_is_breaking_and_fails() {
        let new = changed(|doc| {
            let record = &mut doc["components"]["schemas"]["NumberRecord"];
            record["properties"].as_object_mut().unwrap().remove("city");
            record["required"]
                .as_array_mut()
                .unwrap()
                .retain(|n| n != "city");
        });
        let err = run_diff(Base::File(&paths::spec()), new.path(), false).unwrap_err();
        assert!(err.to_string().contains("--allow-breaking"), "{err}");

        let report = diff(&committed(), &fs::read_to_string(new.path()).unwrap()).unwrap();
        assert!(report.breaking());
        assert_eq!(report.bump(), Bump::Major);
        assert_eq!(report.bump().next("0.1.0"), "0.2.0");
        assert_eq!(report.bump().next("1.4.2"), "2.0.0");
        assert!(
            report.surface.iter().any(|i| i.impact == Impact::Breaking
                && i.text
                    .contains("city: ::std::option::Option<::std::string::String>")
                && i.text.contains("struct types::NumberRecord")),
            "{report:#?}"
        );
        assert!(
            report
                .contract
                .iter()
                .any(|i| i.impact == Impact::Breaking && i.text.contains("NumberRecord")),
            "{report:#?}"
        );
        let changelog = report.changelog("0.1.0", "HEAD");
        assert!(changelog.starts_with("## agent-api 0.2.0"), "{changelog}");
        assert!(changelog.contains("### Breaking"), "{changelog}");

        // Accepted on purpose: the command succeeds.
        assert!(run_diff(Base::File(&paths::spec()), new.path(), true).is_ok());
    }

    #[test]
    fn adding_an_optional_query_parameter_is_compatible_and_passes() {
        let new = changed(|doc| {
            doc["paths"][LIST]["get"]["parameters"]
                .as_array_mut()
                .unwrap()
                .push(json!({
                    "name": "keyword",
                    "in": "query",
                    "required": false,
                    "description": "号码 / A phone number (or part of one) to match.",
                    "schema": {"type": "string"},
                }));
        });
        let report = run_diff(Base::File(&paths::spec()), new.path(), false).unwrap();
        assert!(!report.breaking(), "{report:#?}");
        assert_eq!(report.bump(), Bump::Minor);
        assert_eq!(report.bump().next("0.1.0"), "0.1.1");
        assert!(
            report
                .surface
                .iter()
                .any(|i| i.impact == Impact::Compatible && i.text.contains("fn keyword<V>")),
            "{report:#?}"
        );
        assert!(
            report
                .contract
                .iter()
                .all(|i| i.impact == Impact::Compatible),
            "{report:#?}"
        );
        assert!(!report.contract.is_empty());
    }

    #[test]
    fn an_unchanged_spec_needs_no_bump() {
        let report = run_diff(Base::File(&paths::spec()), &paths::spec(), false).unwrap();
        assert_eq!(report.impact(), None);
        assert_eq!(report.bump(), Bump::None);
    }

    #[test]
    fn the_base_can_be_a_git_revision() {
        // HEAD's spec parses and generates (whatever the working tree holds).
        let text = spec_at("HEAD").unwrap();
        assert!(diff(&text, &text).unwrap().impact().is_none());
        assert!(spec_at("no-such-revision").is_err());
    }
}
