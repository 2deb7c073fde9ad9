//! What `cargo xtask spec check-docs` finds: everything a page documents that the spec lacks or
//! says otherwise (spec drift), and everything a page contradicts itself on.

use std::fmt;

use anyhow::Result;
use serde_json::Value;

use super::openapi::{admitted, fits_kind, follow, resolve, spec_param, success_schema};
use super::page::{Kind, Page};
use crate::spec;

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Finding {
    /// The spec lacks, or says otherwise, what the page documents.
    Drift,
    /// The page contradicts itself.
    Page,
}

/// One thing check-docs reports.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Report {
    /// Which kind.
    pub finding: Finding,
    /// The page's name.
    pub page: String,
    /// `METHOD /route`.
    pub at: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.finding {
            Finding::Drift => "spec drift",
            Finding::Page => "page inconsistency",
        };
        write!(f, "{}: {} ({kind}): {}", self.page, self.at, self.message)
    }
}

/// A route with its placeholders blanked: `/user/{}/task/{}`.
fn route_shape(route: &str) -> String {
    route
        .split('/')
        .map(|s| if s.starts_with('{') { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// Everything the pages document that the spec lacks or says otherwise, and everything the
/// pages contradict themselves on.
pub fn check(spec_text: &str, pages: &[Page]) -> Result<Vec<Report>> {
    spec::parse(spec_text)?;
    let doc = spec::raw(spec_text)?;
    let mut reports = Vec::new();
    for page in pages {
        check_page_itself(page, &mut reports);
        check_page_against_spec(&doc, page, &mut reports);
    }
    reports.sort();
    reports.dedup();
    Ok(reports)
}

fn check_page_itself(page: &Page, reports: &mut Vec<Report>) {
    let mut say = |message: String| {
        reports.push(Report {
            finding: Finding::Page,
            page: page.source.clone(),
            at: page.at(),
            message,
        });
    };
    if page.route.is_none() {
        say("no `接口:` line".into());
    }
    if page.method.is_none() {
        say("no `请求方式:` line".into());
    }
    let holders = page.placeholders();
    for row in &page.route_params {
        if !holders.contains(&row.name) {
            say(format!(
                "route parameter `{}` of the 路由参数 table is not in the path, whose placeholders are {}",
                row.name,
                holders
                    .iter()
                    .map(|h| format!("{{{h}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    if !page.route_params.is_empty() {
        for holder in &holders {
            if !page.route_params.iter().any(|r| &r.name == holder) {
                say(format!(
                    "path placeholder {{{holder}}} is not in the 路由参数 table"
                ));
            }
        }
    }
    for row in page.route_params.iter().chain(&page.request_params) {
        if let Some(problem) = example_contradicts(row.kind, &row.example) {
            say(format!(
                "the example `{}` of `{}` {problem}",
                row.example, row.name
            ));
        }
    }
    if let Some(example) = &page.request_example
        && let Value::Object(fields) = example.json()
    {
        for (name, value) in &fields {
            match page.request_params.iter().find(|r| &r.name == name) {
                None => say(format!(
                    "the request example's field `{name}` is not in the 请求参数 table"
                )),
                Some(row) if !json_fits_kind(value, row.kind) => say(format!(
                    "the request example's `{name}` is {value}, the 请求参数 table says {}",
                    row.kind
                )),
                Some(_) => {}
            }
        }
    }
    if let Some(sample) = &page.sample {
        if let Some(method) = &page.method
            && &sample.method != method
        {
            say(format!(
                "the cURL sample uses {}, the page says {method}",
                sample.method
            ));
        }
        if let Ok(url) = url::Url::parse(&sample.url) {
            if let Some(route) = &page.route
                && !path_matches(route, url.path())
            {
                say(format!(
                    "the cURL sample's path {} does not match the route",
                    url.path()
                ));
            }
            for (key, value) in url.query_pairs() {
                let name = key.trim_end_matches("[]");
                match page.request_params.iter().find(|r| r.name == name) {
                    None if page.params_in_query() => say(format!(
                        "the cURL sample's query parameter `{key}` is not in the 请求参数 table"
                    )),
                    Some(row) => {
                        if let Some(problem) = example_contradicts(row.kind, &value) {
                            say(format!("the cURL sample's `{key}={value}` {problem}"));
                        }
                    }
                    None => {}
                }
            }
        }
    }
}

/// Whether a concrete path (`/user/5832…/task/f232…/number`) is the route with its
/// placeholders filled.
fn path_matches(route: &str, path: &str) -> bool {
    let route: Vec<&str> = route.trim_end_matches('/').split('/').collect();
    let path: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    route.len() == path.len()
        && route
            .iter()
            .zip(&path)
            .all(|(r, p)| r.starts_with('{') || r == p)
}

/// Why an example (as written in a table or a URL) cannot be of `kind`, if it cannot.
fn example_contradicts(kind: Kind, example: &str) -> Option<String> {
    let example = example.trim();
    if example.is_empty() {
        return None;
    }
    let ok = match kind {
        Kind::Integer => example.parse::<i64>().is_ok(),
        Kind::Number => example.parse::<f64>().is_ok(),
        Kind::Boolean => matches!(
            example.to_ascii_lowercase().as_str(),
            "true" | "false" | "0" | "1"
        ),
        Kind::Array => {
            example.starts_with('[')
                && serde_json::from_str::<Value>(example).is_ok_and(|v| v.is_array())
        }
        Kind::Object => example.starts_with('{'),
        Kind::String | Kind::Date => true,
    };
    (!ok).then(|| format!("is not a value of its type {kind}"))
}

fn json_fits_kind(value: &Value, kind: Kind) -> bool {
    match kind {
        Kind::String | Kind::Date => value.is_string(),
        Kind::Integer => value.is_i64() || value.is_u64(),
        Kind::Number => value.is_number(),
        Kind::Boolean => value.is_boolean(),
        Kind::Array => value.is_array(),
        Kind::Object => value.is_object(),
    }
}

fn check_page_against_spec(doc: &Value, page: &Page, reports: &mut Vec<Report>) {
    let mut say = |message: String| {
        reports.push(Report {
            finding: Finding::Drift,
            page: page.source.clone(),
            at: page.at(),
            message,
        });
    };
    let (Some(route), Some(method)) = (&page.route, &page.method) else {
        return;
    };
    let paths = doc.get("paths").and_then(Value::as_object);
    let item = match paths.and_then(|p| p.get(route)) {
        Some(item) => item,
        None => {
            let shape = route_shape(route);
            match paths
                .into_iter()
                .flatten()
                .find(|(r, _)| route_shape(r) == shape)
            {
                Some((spec_route, _)) => say(format!(
                    "the route's placeholders differ: the page has {route}, the spec {spec_route}"
                )),
                None => say(format!("the route {route} is not in the spec")),
            }
            return;
        }
    };
    let Some(op) = item.get(method.to_ascii_lowercase()) else {
        say(format!("the spec has no {method} operation on {route}"));
        return;
    };

    for row in &page.route_params {
        match spec_param(doc, op, &row.name, "path") {
            None => say(format!(
                "path parameter `{}` ({}) is not in the spec",
                row.name, row.kind
            )),
            Some(param) => {
                if !fits_kind(doc, &param["schema"], row.kind, false) {
                    say(format!(
                        "path parameter `{}` is {} on the page, {:?} in the spec",
                        row.name,
                        row.kind,
                        admitted(doc, &param["schema"]).0
                    ));
                }
            }
        }
    }

    if page.params_in_query() {
        for row in &page.request_params {
            let bracketed = format!("{}[]", row.name);
            let param = spec_param(doc, op, &row.name, "query")
                .or_else(|| spec_param(doc, op, &bracketed, "query"));
            let Some(param) = param else {
                say(format!(
                    "query parameter `{}` ({}, {}) is not in the spec",
                    row.name, row.kind, row.description
                ));
                continue;
            };
            if !fits_kind(doc, &param["schema"], row.kind, true) {
                say(format!(
                    "query parameter `{}` is {} on the page, {:?} in the spec",
                    row.name,
                    row.kind,
                    admitted(doc, &param["schema"]).0
                ));
            }
            let spec_required = param["required"] == Value::Bool(true);
            if let Some(required) = row.required
                && required != spec_required
            {
                say(format!(
                    "query parameter `{}` is {} on the page, {} in the spec",
                    row.name,
                    required_word_of(required),
                    required_word_of(spec_required)
                ));
            }
        }
    } else {
        let body = op
            .pointer("/requestBody")
            .map(|b| resolve(doc, b))
            .and_then(|b| b.pointer("/content/application~1json/schema"))
            .map(|s| follow(doc, s));
        if body.is_none() && !page.request_params.is_empty() {
            say("the spec has no JSON request body".into());
        }
        for row in &page.request_params {
            let Some(body) = body else { break };
            let Some(prop) = body.get("properties").and_then(|p| p.get(&row.name)) else {
                say(format!(
                    "body field `{}` ({}, {}) is not in the spec",
                    row.name, row.kind, row.description
                ));
                continue;
            };
            if !fits_kind(doc, prop, row.kind, false) {
                say(format!(
                    "body field `{}` is {} on the page, {:?} in the spec",
                    row.name,
                    row.kind,
                    admitted(doc, prop).0
                ));
            }
            let spec_required = body
                .get("required")
                .and_then(Value::as_array)
                .is_some_and(|r| r.iter().any(|n| n == row.name.as_str()));
            if let Some(required) = row.required
                && required != spec_required
            {
                say(format!(
                    "body field `{}` is {} on the page, {} in the spec",
                    row.name,
                    required_word_of(required),
                    required_word_of(spec_required)
                ));
            }
        }
    }

    if let Some(example) = &page.response_example {
        match success_schema(doc, op) {
            None => say("the spec has no JSON success response".into()),
            Some(schema) => {
                let mut problems = Vec::new();
                compare_example(doc, schema, &example.json(), "", &mut problems);
                for problem in problems {
                    say(problem);
                }
            }
        }
    }
}

fn required_word_of(required: bool) -> &'static str {
    if required { "required" } else { "optional" }
}

/// Every field of a response example against the schema: missing fields and other types.
fn compare_example(
    doc: &Value,
    schema: &Value,
    example: &Value,
    at: &str,
    problems: &mut Vec<String>,
) {
    let (types, nullable) = admitted(doc, schema);
    let name = if at.is_empty() { "the response" } else { at };
    let fits = match example {
        Value::Null => nullable,
        Value::Bool(_) => types.iter().any(|t| t == "boolean"),
        Value::Number(n) => types
            .iter()
            .any(|t| (t == "integer" && !n.is_f64()) || t == "number"),
        Value::String(_) => types.iter().any(|t| t == "string"),
        Value::Array(_) => types.iter().any(|t| t == "array"),
        Value::Object(_) => types.iter().any(|t| t == "object"),
    };
    if !fits {
        let shown = match example {
            Value::Null => "null".to_string(),
            Value::Bool(_) => "a boolean".to_string(),
            Value::Number(_) => "a number".to_string(),
            Value::String(_) => "a string".to_string(),
            Value::Array(_) => "an array".to_string(),
            Value::Object(_) => "an object".to_string(),
        };
        problems.push(format!(
            "response field `{name}` is {shown} on the page, the spec says {types:?}{}",
            if nullable { " or null" } else { "" }
        ));
        return;
    }
    let schema = follow(doc, schema);
    match example {
        Value::Array(items) => {
            if let Some(item) = items.first() {
                compare_example(
                    doc,
                    schema.get("items").unwrap_or(&Value::Null),
                    item,
                    &format!("{at}[]"),
                    problems,
                );
            }
        }
        Value::Object(fields) => {
            for (field, value) in fields {
                let here = if at.is_empty() {
                    field.clone()
                } else {
                    format!("{at}.{field}")
                };
                match schema.get("properties").and_then(|p| p.get(field)) {
                    None => problems.push(format!("response field `{here}` is not in the spec")),
                    Some(prop) => compare_example(doc, prop, value, &here, problems),
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::fs;

    use super::super::seed_pages;
    use super::*;
    use crate::paths;

    fn committed_spec() -> String {
        fs::read_to_string(paths::spec()).unwrap()
    }

    #[test]
    fn check_docs_reports_types_required_flags_body_fields_and_response_fields() {
        let mut doc: Value = spec::raw(&committed_spec()).unwrap();
        let schemas = &mut doc["components"]["schemas"];
        schemas["BatchResetRequest"]["properties"]
            .as_object_mut()
            .unwrap()
            .remove("keyword");
        schemas["BatchResetRequest"]["properties"]["phones"]["type"] = "string".into();
        schemas["PageMeta"]["properties"]
            .as_object_mut()
            .unwrap()
            .remove("last_page");
        schemas["NumberRecord"]["properties"]["bill"]["type"] = "string".into();
        let text = serde_norway::to_string(&doc).unwrap();
        let pages: Vec<Page> = seed_pages()
            .unwrap()
            .iter()
            .map(|p| Page::read(p).unwrap())
            .collect();
        let messages: Vec<String> = check(&text, &pages)
            .unwrap()
            .into_iter()
            .map(|r| format!("{}: {}", r.page, r.message))
            .collect();
        assert_eq!(
            messages,
            [
                "number-batch-reset.txt: body field `keyword` (string, 号码) is not in the spec",
                "number-batch-reset.txt: body field `phones` is array on the page, [\"string\"] in the spec",
                "number-list.txt: response field `data[].bill` is a number on the page, the spec says [\"string\"] or null",
                "number-list.txt: response field `meta.last_page` is not in the spec",
            ]
        );

        // A page that marks `page` optional and `per_page` required, against the spec.
        let page = Page::parse(
            "list.txt",
            &fs::read_to_string(paths::root().join("openapi/seeds/number-list.txt"))
                .unwrap()
                .replace("pageint1分页\n", "pageint1分页是\n")
                .replace("per_pageint15每页个数", "per_pageint15每页个数是"),
        );
        let messages: Vec<String> = check(&committed_spec(), &[page])
            .unwrap()
            .into_iter()
            .map(|r| r.message)
            .collect();
        assert_eq!(
            messages,
            [
                "query parameter `page` is required on the page, optional in the spec",
                "query parameter `per_page` is required on the page, optional in the spec",
            ]
        );
    }

    #[test]
    fn check_docs_reports_what_a_page_contradicts_itself_on() {
        let text = fs::read_to_string(paths::root().join("openapi/seeds/number-batch-reset.txt"))
            .unwrap()
            .replace("task_idstringb15b", "taskidstringb15b")
            .replace(
                "\"keyword\": \"13934373090\",\n    \"phones\": [",
                "\"keyword\": 13934373090,\n    \"phones\": [",
            )
            .replace("curl -X PUT", "curl -X POST");
        let page = Page::parse("reset.txt", &text);
        let messages: Vec<String> = check(&committed_spec(), &[page])
            .unwrap()
            .into_iter()
            .filter(|r| r.finding == Finding::Page)
            .map(|r| r.message)
            .collect();
        assert_eq!(
            messages,
            [
                "path placeholder {task_id} is not in the 路由参数 table",
                "route parameter `taskid` of the 路由参数 table is not in the path, whose placeholders are {user_id}, {task_id}",
                "the cURL sample uses POST, the page says PUT",
                "the request example's `keyword` is 13934373090, the 请求参数 table says string",
            ]
        );
    }
}
