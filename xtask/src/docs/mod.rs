//! The vendor's documentation pages, read, and held against the spec (`cargo xtask spec
//! check-docs`); `cargo xtask spec draft` (`crate::draft`) reads pages with the same model.
//!
//! - [`page`]: what a page documents ([`Page`], [`Row`], [`Kind`], [`page::Sample`]) and how
//!   a page's text is read: its labels, headings and cURL sample;
//! - [`table`]: the parameter tables 路由参数 and 请求参数, in both layouts (cells apart, or
//!   each row flattened into one line);
//! - [`commented_json`]: the JSON examples, whose `//` comments describe their fields
//!   ([`JsonExample`]);
//! - [`html_text`]: a page fetched as HTML, turned into the text layout the reader expects;
//! - [`openapi`]: the spec seen from a page: schemas followed, their types, a page's kind
//!   against a schema, an operation's parameters and success response;
//! - [`check`]: the findings, spec drift and a page's contradictions ([`check::Report`]);
//! - here: the command, [`run_check`], over the seed pages in `openapi/seeds/`.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::paths;

mod check;
mod commented_json;
mod html_text;
pub mod openapi;
mod page;
mod table;

use check::check;
pub use commented_json::JsonExample;
pub use page::{Kind, Page, Row};

/// The pages in `openapi/seeds/`, sorted.
pub fn seed_pages() -> Result<Vec<PathBuf>> {
    let dir = paths::root().join("openapi").join("seeds");
    let mut pages: Vec<PathBuf> = fs::read_dir(&dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt" || x == "html"))
        .collect();
    pages.sort();
    Ok(pages)
}

/// `cargo xtask spec check-docs [PAGE...] [--spec FILE]`: prints what it checked, and fails
/// with every finding when there is drift.
pub fn run_check(spec_path: &Path, pages: &[PathBuf]) -> Result<()> {
    let spec_text = fs::read_to_string(spec_path)
        .with_context(|| format!("cannot read {}", spec_path.display()))?;
    let pages = if pages.is_empty() {
        seed_pages()?
    } else {
        pages.to_vec()
    };
    let pages: Vec<Page> = pages.iter().map(|p| Page::read(p)).collect::<Result<_>>()?;
    let reports = check(&spec_text, &pages)?;
    if reports.is_empty() {
        for page in &pages {
            println!(
                "check-docs: {}: {} — {} route, {} request parameter(s), {} response field(s) agree with the spec",
                page.source,
                page.at(),
                page.route_params.len(),
                page.request_params.len(),
                page.response_example
                    .as_ref()
                    .map_or(0, |e| count_fields(&e.json()))
            );
        }
        return Ok(());
    }
    let listed: Vec<String> = reports.iter().map(|r| format!("- {r}")).collect();
    bail!(
        "check-docs found {} problem(s) between the pages and {}:\n{}",
        reports.len(),
        spec_path.display(),
        listed.join("\n")
    )
}

fn count_fields(value: &Value) -> usize {
    match value {
        Value::Object(fields) => fields.values().map(|v| 1 + count_fields(v)).sum(),
        Value::Array(items) => items.first().map_or(0, count_fields),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::check::Report;
    use super::*;
    use crate::spec;

    fn committed_spec() -> String {
        fs::read_to_string(paths::spec()).unwrap()
    }

    /// The spec with one parameter of one operation removed, written to a temporary file.
    fn spec_without_parameter(route: &str, method: &str, name: &str) -> tempfile::NamedTempFile {
        let mut doc: Value = spec::raw(&committed_spec()).unwrap();
        let params = doc["paths"][route][method]["parameters"]
            .as_array_mut()
            .unwrap();
        let before = params.len();
        params.retain(|p| p["name"] != name);
        assert_eq!(params.len() + 1, before, "{name} was not there");
        let file = tempfile::NamedTempFile::new().unwrap();
        fs::write(file.path(), serde_norway::to_string(&doc).unwrap()).unwrap();
        file
    }

    const LIST: &str = "/agent-api/user/{user_id}/task/{task_id}/number";

    #[test]
    fn check_docs_passes_on_the_committed_spec() {
        // The command itself, on every seed page.
        run_check(&paths::spec(), &[]).unwrap();
        let pages: Vec<Page> = seed_pages()
            .unwrap()
            .iter()
            .map(|p| Page::read(p).unwrap())
            .collect();
        assert_eq!(pages.len(), 2);
        assert_eq!(
            check(&committed_spec(), &pages).unwrap(),
            Vec::<Report>::new()
        );
    }

    #[test]
    fn check_docs_names_a_parameter_missing_from_the_spec_and_its_page() {
        let spec = spec_without_parameter(LIST, "get", "per_page");
        let err = run_check(spec.path(), &[]).unwrap_err().to_string();
        assert!(err.contains("1 problem"), "{err}");
        assert!(
            err.contains(
                "number-list.txt: GET /agent-api/user/{user_id}/task/{task_id}/number (spec drift): query parameter `per_page` (int, 每页个数) is not in the spec"
            ),
            "{err}"
        );
    }
}
