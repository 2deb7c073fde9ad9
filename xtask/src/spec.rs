//! Loading and linting the OpenAPI spec.
//!
//! `openapiv3` parses the spec strictly (the same parser progenitor uses); the lint then walks the
//! raw document, because `openapiv3` drops what OpenAPI 3.0 ignores (such as a `description`
//! beside a `$ref`) and the lint must see what a reader sees.

use std::fs;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::paths;

/// Parses spec text (YAML) as progenitor will.
pub fn parse(spec_text: &str) -> Result<openapiv3::OpenAPI> {
    serde_norway::from_str(spec_text).context("the spec is not a valid OpenAPI 3.0 document")
}

/// Parses spec text (YAML) into a plain JSON value.
pub fn raw(spec_text: &str) -> Result<Value> {
    serde_norway::from_str(spec_text).context("the spec is not valid YAML")
}

/// `cargo xtask spec lint`.
pub fn run_lint() -> Result<()> {
    let path = paths::spec();
    let text =
        fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let problems = lint(&text)?;
    if problems.is_empty() {
        println!("spec lint: {} is complete", path.display());
        return Ok(());
    }
    for problem in &problems {
        eprintln!("- {problem}");
    }
    bail!("spec lint found {} problem(s)", problems.len())
}

/// Returns every completeness problem of the spec; empty when it is complete.
pub fn lint(spec_text: &str) -> Result<Vec<String>> {
    parse(spec_text)?;
    let doc = raw(spec_text)?;
    let mut problems = Vec::new();
    let methods = ["get", "put", "post", "delete", "patch", "head", "options"];

    if doc
        .pointer("/servers/0/url")
        .and_then(Value::as_str)
        .is_none()
    {
        problems.push("no servers entry".to_string());
    }
    if doc.pointer("/components/securitySchemes").is_none() {
        problems.push("no security scheme".to_string());
    }

    let paths = doc.get("paths").and_then(Value::as_object);
    for (route, item) in paths.into_iter().flatten() {
        for method in methods {
            let Some(op) = item.get(method) else { continue };
            let at = format!("{} {route}", method.to_uppercase());
            for key in ["operationId", "summary"] {
                if !has_text(op, key) {
                    problems.push(format!("{at}: no {key}"));
                }
            }
            let responses = op.get("responses").and_then(Value::as_object);
            match responses {
                None => problems.push(format!("{at}: no responses")),
                Some(responses) => {
                    if !responses.keys().any(|code| code.starts_with('2')) {
                        problems.push(format!("{at}: no success response"));
                    }
                    for (code, response) in responses {
                        let response = resolve(&doc, response);
                        if !has_text(response, "description") {
                            problems.push(format!("{at}: response {code} has no description"));
                        }
                    }
                }
            }
            let mut declared = Vec::new();
            for param in op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let param = resolve(&doc, param);
                let name = param.get("name").and_then(Value::as_str).unwrap_or("?");
                if param.get("in").and_then(Value::as_str) == Some("path") {
                    declared.push(name.to_string());
                }
                if !has_text(param, "description") {
                    problems.push(format!("{at}: parameter `{name}` has no description"));
                }
            }
            for segment in route.split('/') {
                if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}'))
                    && !declared.iter().any(|d| d == name)
                {
                    problems.push(format!("{at}: path parameter `{name}` is not declared"));
                }
            }
            if let Some(body) = op.get("requestBody")
                && !has_text(resolve(&doc, body), "description")
            {
                problems.push(format!("{at}: request body has no description"));
            }
        }
    }

    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    for (name, schema) in schemas.into_iter().flatten() {
        if !has_text(schema, "description") {
            problems.push(format!("schema `{name}` has no description"));
        }
        lint_properties(schema, name, &mut problems);
    }
    Ok(problems)
}

/// Every property of an object schema (and of nested inline objects) needs a description of its
/// own; a bare `$ref` cannot carry one, so such properties wrap the reference in `allOf`.
fn lint_properties(schema: &Value, at: &str, problems: &mut Vec<String>) {
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (prop, value) in props {
            let here = format!("{at}.{prop}");
            if !has_text(value, "description") {
                problems.push(format!("property `{here}` has no description"));
            } else if value.get("$ref").is_some() {
                problems.push(format!(
                    "property `{here}` puts a description beside a `$ref`, which OpenAPI 3.0 ignores: wrap the reference in `allOf`"
                ));
            }
            lint_properties(value, &here, problems);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(inner) = schema.get(key).filter(|v| v.is_object()) {
            lint_properties(inner, at, problems);
        }
    }
}

fn has_text(value: &Value, key: &str) -> bool {
    value
        .get(key)
        .and_then(Value::as_str)
        .is_some_and(|s| !s.trim().is_empty())
}

/// Follows a local `$ref` (`#/components/...`), or returns the value itself.
pub fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference
            .strip_prefix('#')
            .and_then(|pointer| doc.pointer(pointer))
            .unwrap_or(value),
        None => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committed() -> String {
        fs::read_to_string(paths::spec()).unwrap()
    }

    // The seed pages against the spec: `crate::docs` (`cargo xtask spec check-docs`) and its tests.

    #[test]
    fn committed_spec_is_complete() {
        assert_eq!(lint(&committed()).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn a_missing_parameter_description_is_reported() {
        let spec = without_line(&committed(), "description: 分页 / Page number, from 1");
        let problems = lint(&spec).unwrap();
        assert_eq!(
            problems,
            vec![
                "GET /agent-api/user/{user_id}/task/{task_id}/number: parameter `page` has no description"
            ]
        );
    }

    #[test]
    fn a_missing_operation_id_and_property_description_are_reported() {
        let spec = without_line(&committed(), "operationId: batch_reset_numbers");
        let spec = without_line(&spec, "description: 城市 / City.");
        let problems = lint(&spec).unwrap();
        assert_eq!(
            problems,
            vec![
                "PUT /agent-api/user/{user_id}/task/{task_id}/number-batch-reset: no operationId",
                "property `NumberRecord.city` has no description",
            ]
        );
    }

    #[test]
    fn a_spec_that_does_not_parse_is_an_error() {
        assert!(lint("openapi: 3.0.3\ninfo: {}\n").is_err());
    }

    /// The spec without the line that holds `text`.
    fn without_line(spec: &str, text: &str) -> String {
        let mut found = false;
        let kept: Vec<&str> = spec
            .lines()
            .filter(|line| {
                let hit = !found && line.contains(text);
                found |= hit;
                !hit
            })
            .collect();
        assert!(found, "`{text}` is not in the spec");
        kept.join("\n") + "\n"
    }
}
