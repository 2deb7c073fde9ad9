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

    #[test]
    fn committed_spec_is_complete() {
        assert_eq!(lint(&committed()).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn a_missing_parameter_description_is_reported() {
        let spec = without_line(&committed(), "description: 分页 / Page number, from 1.");
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

    /// The JSON types a schema admits (following `$ref`, `allOf`, `oneOf`), and whether it is nullable.
    fn admitted(doc: &Value, schema: &Value) -> (Vec<String>, bool) {
        let schema = resolve(doc, schema);
        let mut types = Vec::new();
        let mut nullable = schema.get("nullable") == Some(&Value::Bool(true));
        if let Some(t) = schema.get("type").and_then(Value::as_str) {
            types.push(t.to_string());
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            for inner in schema
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let (t, n) = admitted(doc, inner);
                types.extend(t);
                nullable |= n;
            }
        }
        (types, nullable)
    }

    /// The rows `(name, type)` of the parameter tables under `heading` in a seed page, whose
    /// flattened rows read like `per_pageint15每页个数`.
    fn seed_table(seed: &str, heading: &str) -> Vec<(String, String)> {
        let kinds = ["string", "int", "bool", "array", "date"];
        let mut rows = Vec::new();
        let mut inside = false;
        for line in seed.lines().map(str::trim) {
            if line == heading {
                inside = true;
                continue;
            }
            if inside && (line == "请求参数" || line == "路由参数" || line.starts_with("请求示例"))
            {
                break;
            }
            if !inside || line.starts_with("参数") {
                continue;
            }
            let split = (1..line.len())
                .filter(|&i| line.is_char_boundary(i))
                .find_map(|i| {
                    let (name, rest) = line.split_at(i);
                    let name_ok = name.chars().all(|c| c.is_ascii_lowercase() || c == '_');
                    kinds
                        .iter()
                        .find(|k| name_ok && rest.starts_with(*k))
                        .map(|k| (name.to_string(), k.to_string()))
                });
            rows.extend(split);
        }
        rows
    }

    fn seed_text(name: &str) -> String {
        fs::read_to_string(paths::root().join("openapi/seeds").join(name)).unwrap()
    }

    fn spec_type_of_seed(kind: &str) -> &'static str {
        match kind {
            "int" => "integer",
            "bool" => "boolean",
            "array" => "array",
            // `date` and `string` are both strings on the wire.
            _ => "string",
        }
    }

    fn operation_parameter<'a>(
        doc: &'a Value,
        route: &str,
        method: &str,
        name: &str,
    ) -> Option<&'a Value> {
        let op = &doc["paths"][route][method];
        op["parameters"]
            .as_array()?
            .iter()
            .map(|p| resolve(doc, p))
            .find(|p| p["name"] == name)
    }

    const LIST: &str = "/agent-api/user/{user_id}/task/{task_id}/number";
    const RESET: &str = "/agent-api/user/{user_id}/task/{task_id}/number-batch-reset";

    #[test]
    fn every_seed_parameter_is_in_the_spec_with_the_seeds_type() {
        let doc = raw(&committed()).unwrap();
        let list = seed_text("number-list.txt");
        let reset = seed_text("number-batch-reset.txt");

        let list_params: Vec<_> = seed_table(&list, "路由参数")
            .into_iter()
            .chain(seed_table(&list, "请求参数"))
            .collect();
        let names: Vec<&str> = list_params.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "user_id",
                "task_id",
                "page",
                "per_page",
                "encryption",
                "sub_user_id",
                "status",
                "start_at",
                "end_at"
            ]
        );
        for (name, kind) in &list_params {
            // Laravel arrays travel as `status[]`.
            let wire_name = if kind == "array" {
                format!("{name}[]")
            } else {
                name.clone()
            };
            let param = operation_parameter(&doc, LIST, "get", &wire_name)
                .unwrap_or_else(|| panic!("list: no parameter `{wire_name}`"));
            let (types, _) = admitted(&doc, &param["schema"]);
            assert_eq!(types, [spec_type_of_seed(kind)], "list parameter `{name}`");
        }

        let route: Vec<_> = seed_table(&reset, "路由参数");
        assert_eq!(route.len(), 2);
        for (name, kind) in &route {
            let param = operation_parameter(&doc, RESET, "put", name).unwrap();
            assert_eq!(
                admitted(&doc, &param["schema"]).0,
                [spec_type_of_seed(kind)]
            );
        }
        let body = seed_table(&reset, "请求参数");
        let names: Vec<&str> = body.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "keyword",
                "phones",
                "start_at",
                "end_at",
                "status",
                "encryption",
                "sub_user_id"
            ]
        );
        let props = &doc["components"]["schemas"]["BatchResetRequest"]["properties"];
        for (name, kind) in &body {
            let prop = props
                .get(name)
                .unwrap_or_else(|| panic!("reset body: no `{name}`"));
            assert_eq!(
                admitted(&doc, prop).0,
                [spec_type_of_seed(kind)],
                "reset body `{name}`"
            );
        }
        // Array items: statuses are integers 0..12, phones are strings.
        let status_items = &doc["components"]["schemas"]["CallStatus"];
        assert_eq!(status_items["type"], "integer");
        assert_eq!(status_items["enum"].as_array().unwrap().len(), 13);
        assert_eq!(props["phones"]["items"]["type"], "string");
    }

    /// Follows `$ref` and a single-entry `allOf` to the schema that has the structure.
    fn follow<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
        let schema = resolve(doc, schema);
        match schema.get("allOf").and_then(Value::as_array) {
            Some(all) if all.len() == 1 => follow(doc, &all[0]),
            _ => schema,
        }
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

    /// Checks every field of an example value against a schema, recursively.
    fn check_example(doc: &Value, schema: &Value, example: &Value, at: &str) {
        let (types, nullable) = admitted(doc, schema);
        let fits = match example {
            Value::Null => nullable,
            Value::Bool(_) => types.iter().any(|t| t == "boolean"),
            Value::Number(n) => types
                .iter()
                .any(|t| t == "integer" || (t == "number" && n.is_f64())),
            Value::String(_) => types.iter().any(|t| t == "string"),
            Value::Array(items) => {
                let schema = follow(doc, schema);
                for (i, item) in items.iter().enumerate() {
                    check_example(doc, &schema["items"], item, &format!("{at}[{i}]"));
                }
                types.iter().any(|t| t == "array")
            }
            Value::Object(fields) => {
                let schema = follow(doc, schema);
                for (name, value) in fields {
                    let prop = schema["properties"]
                        .get(name)
                        .unwrap_or_else(|| panic!("{at}.{name} is not in the spec"));
                    check_example(doc, prop, value, &format!("{at}.{name}"));
                }
                types.iter().any(|t| t == "object")
            }
        };
        assert!(
            fits,
            "{at}: the example {example} does not fit the spec's {types:?} (nullable: {nullable})"
        );
    }

    #[test]
    fn every_seed_response_field_is_in_the_spec_with_its_type() {
        let doc = raw(&committed()).unwrap();
        let fixtures = paths::root().join("crates/agent-api/tests/fixtures");
        let read = |name: &str| -> Value {
            serde_json::from_str(&fs::read_to_string(fixtures.join(name)).unwrap()).unwrap()
        };
        let schemas = &doc["components"]["schemas"];
        let list = read("number-list.response.json");
        check_example(&doc, &schemas["NumberListResponse"], &list, "list");
        assert_eq!(list["data"][0].as_object().unwrap().len(), 20);
        let required = schemas["NumberRecord"]["required"].as_array().unwrap();
        assert_eq!(
            required.len(),
            20,
            "every field of the seed's record is required"
        );
        check_example(
            &doc,
            &schemas["BatchResetRequest"],
            &read("number-batch-reset.request.json"),
            "reset body",
        );
        check_example(
            &doc,
            &schemas["Envelope"],
            &read("number-batch-reset.response.json"),
            "reset answer",
        );
    }
}
