//! `cargo xtask spec draft PAGE|--fetch URL`: an OpenAPI path item drafted from one vendor page,
//! for the maintainer to review and paste under `paths:`.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_norway::{Mapping, Value as Yaml};

use crate::docs::{JsonExample, Kind, Page, Row};

fn map<const N: usize>(entries: [(&str, Yaml); N]) -> Mapping {
    let mut out = Mapping::new();
    for (key, value) in entries {
        out.insert(Yaml::from(key), value);
    }
    out
}

fn text(value: &str) -> Yaml {
    Yaml::from(value)
}

/// An operation id from the method and the route's last fixed segment: `list_numbers` for a GET
/// whose answer holds a `data` array, else `get_…`, `put_…`, `post_…`.
fn operation_id(page: &Page) -> String {
    let route = page.route.as_deref().unwrap_or("");
    let last = route
        .split('/')
        .rfind(|s| !s.is_empty() && !s.starts_with('{'))
        .unwrap_or("operation")
        .replace(['-', '.'], "_");
    let method = page.method.as_deref().unwrap_or("GET").to_ascii_lowercase();
    let lists = page
        .response_example
        .as_ref()
        .is_some_and(|e| e.json()["data"].is_array());
    if method == "get" && lists {
        let plural = if last.ends_with('s') {
            last
        } else {
            format!("{last}s")
        };
        format!("list_{plural}")
    } else {
        format!("{method}_{last}")
    }
}

/// The schema of a parameter or body field, and its example, from its table row. Dates and
/// query booleans refer to this spec's `DateFilter` and `QueryBool`.
fn row_schema(row: &Row, in_query: bool) -> (Yaml, Option<Yaml>) {
    let example = row.example.trim();
    let parsed_example = || -> Option<Yaml> {
        if example.is_empty() {
            return None;
        }
        Some(match row.kind {
            Kind::Integer => example
                .parse::<i64>()
                .map_or_else(|_| text(example), Yaml::from),
            Kind::Number => example
                .parse::<f64>()
                .map_or_else(|_| text(example), Yaml::from),
            Kind::Boolean => {
                let truthy = matches!(example.to_ascii_lowercase().as_str(), "true" | "1");
                if in_query {
                    Yaml::from(i64::from(truthy))
                } else {
                    Yaml::from(truthy)
                }
            }
            Kind::Array | Kind::Object => {
                serde_norway::from_str(example).unwrap_or_else(|_| text(example))
            }
            Kind::String | Kind::Date => text(example),
        })
    };
    let reference = |name: &str| map([("$ref", text(&format!("#/components/schemas/{name}")))]);
    let schema = match row.kind {
        Kind::Date => reference("DateFilter"),
        Kind::Boolean if in_query => reference("QueryBool"),
        Kind::Array => {
            let first = serde_json::from_str::<serde_json::Value>(example)
                .ok()
                .and_then(|v| v.as_array().and_then(|a| a.first().cloned()));
            let items = match first {
                Some(serde_json::Value::Number(n)) if n.is_i64() => "integer",
                Some(serde_json::Value::Number(_)) => "number",
                Some(serde_json::Value::Bool(_)) => "boolean",
                _ => "string",
            };
            map([
                ("type", text("array")),
                ("items", Yaml::Mapping(map([("type", text(items))]))),
            ])
        }
        kind => map([("type", text(kind.json_type()))]),
    };
    (Yaml::Mapping(schema), parsed_example())
}

fn parameter(row: &Row, location: &str) -> Yaml {
    let in_query = location == "query";
    let (schema, example) = row_schema(row, in_query);
    let name = if in_query && row.kind == Kind::Array {
        // Laravel reads arrays as `status[]=0&status[]=2`.
        format!("{}[]", row.name)
    } else {
        row.name.clone()
    };
    let required = location == "path" || row.required == Some(true);
    let mut out = map([
        ("name", text(&name)),
        ("in", text(location)),
        ("required", Yaml::from(required)),
        ("description", text(&row.description)),
    ]);
    if in_query && row.kind == Kind::Array {
        out.insert(text("style"), text("form"));
        out.insert(text("explode"), Yaml::from(true));
    }
    out.insert(text("schema"), schema);
    if let Some(example) = example {
        out.insert(text("example"), example);
    }
    Yaml::Mapping(out)
}

/// A schema inferred from an example value; the page's comments become descriptions.
fn infer(value: &Yaml, path: &str, example: &JsonExample) -> Yaml {
    let mut out = Mapping::new();
    if let Some(comment) = example.comments.get(path) {
        out.insert(text("description"), text(comment));
    }
    match value {
        Yaml::Mapping(fields) => {
            out.insert(text("type"), text("object"));
            let mut props = Mapping::new();
            for (key, value) in fields {
                let key = key.as_str().unwrap_or_default();
                let here = if path.is_empty() {
                    key.to_string()
                } else {
                    format!("{path}.{key}")
                };
                props.insert(text(key), infer(value, &here, example));
            }
            out.insert(text("properties"), Yaml::Mapping(props));
        }
        Yaml::Sequence(items) => {
            out.insert(text("type"), text("array"));
            let items = items.first().map_or_else(
                || Yaml::Mapping(Mapping::new()),
                |first| infer(first, &format!("{path}[]"), example),
            );
            out.insert(text("items"), items);
        }
        Yaml::String(_) => {
            out.insert(text("type"), text("string"));
        }
        Yaml::Number(n) => {
            let kind = if n.is_f64() { "number" } else { "integer" };
            out.insert(text("type"), text(kind));
        }
        Yaml::Bool(_) => {
            out.insert(text("type"), text("boolean"));
        }
        _ => {
            // `null` in the example: the type is not known from the page.
            out.insert(text("nullable"), Yaml::from(true));
        }
    }
    Yaml::Mapping(out)
}

/// The path item `{route: {method: operation}}` drafted from a page.
pub fn draft(page: &Page) -> Result<Yaml> {
    let Some(route) = page.route.clone() else {
        bail!("{}: no `接口:` line, so no route", page.source);
    };
    let method = page
        .method
        .clone()
        .unwrap_or_else(|| "GET".to_string())
        .to_ascii_lowercase();
    let title = page.title.clone().unwrap_or_default();
    let mut op = map([
        ("operationId", text(&operation_id(page))),
        ("summary", text(&title)),
        (
            "description",
            text(&format!(
                "Drafted from the vendor's page `{}`.",
                page.source
            )),
        ),
    ]);
    let mut parameters: Vec<Yaml> = page
        .route_params
        .iter()
        .map(|row| parameter(row, "path"))
        .collect();
    if page.params_in_query() {
        parameters.extend(
            page.request_params
                .iter()
                .map(|row| parameter(row, "query")),
        );
    }
    op.insert(text("parameters"), Yaml::Sequence(parameters));
    if !page.params_in_query() && !page.request_params.is_empty() {
        let mut props = Mapping::new();
        let mut required = Vec::new();
        for row in &page.request_params {
            let (schema, example) = row_schema(row, false);
            let Yaml::Mapping(mut schema) = schema else {
                continue;
            };
            if schema.contains_key("$ref") {
                // A description cannot sit beside a `$ref` in OpenAPI 3.0.
                schema = map([("allOf", Yaml::Sequence(vec![Yaml::Mapping(schema)]))]);
            }
            let mut prop = map([("description", text(&row.description))]);
            prop.extend(schema);
            if let Some(example) = example {
                prop.insert(text("example"), example);
            }
            props.insert(text(&row.name), Yaml::Mapping(prop));
            if row.required == Some(true) {
                required.push(text(&row.name));
            }
        }
        let mut schema = map([("type", text("object"))]);
        if !required.is_empty() {
            schema.insert(text("required"), Yaml::Sequence(required));
        }
        schema.insert(text("properties"), Yaml::Mapping(props));
        let mut media = map([("schema", Yaml::Mapping(schema))]);
        if let Some(example) = &page.request_example {
            media.insert(text("example"), example.value.clone());
        }
        op.insert(
            text("requestBody"),
            Yaml::Mapping(map([
                ("required", Yaml::from(true)),
                ("description", text(&format!("{title} 请求参数"))),
                (
                    "content",
                    Yaml::Mapping(map([("application/json", Yaml::Mapping(media))])),
                ),
            ])),
        );
    }
    let mut ok = Mapping::new();
    match &page.response_example {
        Some(example) => {
            let json = example.json();
            let message = json["message"].as_str().unwrap_or(&title).to_string();
            ok.insert(text("description"), text(&message));
            ok.insert(
                text("content"),
                Yaml::Mapping(map([(
                    "application/json",
                    Yaml::Mapping(map([
                        ("schema", infer(&example.value, "", example)),
                        ("example", example.value.clone()),
                    ])),
                )])),
            );
        }
        None => {
            ok.insert(text("description"), text(&title));
        }
    }
    op.insert(
        text("responses"),
        Yaml::Mapping(map([("200", Yaml::Mapping(ok))])),
    );
    let item = map([(method.as_str(), Yaml::Mapping(op))]);
    Ok(Yaml::Mapping(map([(route.as_str(), Yaml::Mapping(item))])))
}

/// Reads a page over HTTP(S) (rustls with ring, as the client does).
pub fn fetch(url: &str) -> Result<String> {
    // Another provider may have been installed first; either serves.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start a runtime to fetch the page")?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .context("cannot build an HTTP client")?;
        let response = client
            .get(url)
            .send()
            .await
            .with_context(|| format!("cannot fetch {url}"))?;
        let status = response.status();
        if !status.is_success() {
            bail!("{url} answered {status}");
        }
        response
            .text()
            .await
            .with_context(|| format!("cannot read the page at {url}"))
    })
}

/// `cargo xtask spec draft PAGE|--fetch URL`: the draft, as YAML text.
pub fn draft_text(page: Option<&Path>, url: Option<&str>) -> Result<String> {
    let page = match (page, url) {
        (Some(path), None) => Page::read(path)?,
        (None, Some(url)) => Page::parse(url, &fetch(url)?),
        _ => bail!("give a page file or --fetch URL (one of them)"),
    };
    let yaml = serde_norway::to_string(&draft(&page)?).context("cannot write the draft")?;
    Ok(format!(
        "# Drafted by `cargo xtask spec draft` from {}: review, then paste under `paths:`.\n{yaml}",
        page.source
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::BTreeMap;
    use std::io::{Read, Write};

    use serde_json::Value;

    use super::*;
    use crate::docs::openapi::{admitted, follow};
    use crate::{paths, spec};

    const LIST: &str = "/agent-api/user/{user_id}/task/{task_id}/number";

    /// `(in, name)` → `(JSON types, required)` of an operation's parameters, `$ref`s followed
    /// through `doc`.
    fn parameters(doc: &Value, op: &Value) -> BTreeMap<(String, String), (Vec<String>, bool)> {
        op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let p = spec::resolve(doc, p);
                (
                    (
                        p["in"].as_str().unwrap().to_string(),
                        p["name"].as_str().unwrap().to_string(),
                    ),
                    (admitted(doc, &p["schema"]).0, p["required"] == true),
                )
            })
            .collect()
    }

    /// Every field path of a response schema (`data[].number`).
    fn fields(doc: &Value, schema: &Value, at: &str, out: &mut Vec<String>) {
        let schema = follow(doc, schema);
        if let Some(items) = schema.get("items") {
            fields(doc, items, &format!("{at}[]"), out);
        }
        for (name, prop) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let here = if at.is_empty() {
                name.clone()
            } else {
                format!("{at}.{name}")
            };
            out.push(here.clone());
            fields(doc, prop, &here, out);
        }
    }

    fn list_draft_as_json(text: &str) -> Value {
        let draft: Value = serde_norway::from_str(text).unwrap();
        draft[LIST]["get"].clone()
    }

    #[test]
    fn the_list_page_drafts_every_parameter_and_field_of_the_committed_operation() {
        let text = draft_text(
            Some(&paths::root().join("openapi/seeds/number-list.txt")),
            None,
        )
        .unwrap();
        let drafted = list_draft_as_json(&text);
        let doc = spec::raw(&std::fs::read_to_string(paths::spec()).unwrap()).unwrap();
        let committed = &doc["paths"][LIST]["get"];
        assert_eq!(drafted["operationId"], committed["operationId"]);
        assert_eq!(drafted["summary"], "号码列表");

        // Parameters: the same names, places, JSON types and required flags (the draft's
        // `$ref`s point into this spec's components).
        assert_eq!(parameters(&doc, &drafted), parameters(&doc, committed));
        let page = drafted["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "sub_user_id")
            .unwrap();
        assert_eq!(page["description"], "子账户 id,传递此参数则是对子账户操作");
        assert_eq!(page["example"], "1181ffd3-e3ee-4d75-a45c-8b9be3deb330");

        // Response fields: every field of the committed schema, with a comment as description.
        let schema =
            |op: &Value| op["responses"]["200"]["content"]["application/json"]["schema"].clone();
        let (mut want, mut got) = (Vec::new(), Vec::new());
        fields(&doc, &schema(committed), "", &mut want);
        fields(&doc, &schema(&drafted), "", &mut got);
        want.sort();
        got.sort();
        assert_eq!(got, want);
        let record = &schema(&drafted)["properties"]["data"]["items"]["properties"];
        assert_eq!(record["bill"]["description"], "计费时间(毫秒)");
        assert_eq!(record["bill"]["type"], "integer");
        assert_eq!(record["is_blacklist"]["nullable"], true);
        let example = &drafted["responses"]["200"]["content"]["application/json"]["example"];
        assert_eq!(example["data"][0]["number"], "18651683344");
    }

    #[test]
    fn the_reset_page_drafts_a_body() {
        let text = draft_text(
            Some(&paths::root().join("openapi/seeds/number-batch-reset.txt")),
            None,
        )
        .unwrap();
        let draft: Value = serde_norway::from_str(&text).unwrap();
        let op = &draft["/agent-api/user/{user_id}/task/{task_id}/number-batch-reset"]["put"];
        assert_eq!(op["operationId"], "put_number_batch_reset");
        let body = &op["requestBody"]["content"]["application/json"];
        let props = body["schema"]["properties"].as_object().unwrap();
        // The page's order, kept in the YAML.
        let keyword = text.find("        keyword:").unwrap();
        let sub = text.find("        sub_user_id:").unwrap();
        assert!(keyword < sub, "{text}");
        let names: Vec<&str> = props.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "encryption",
                "end_at",
                "keyword",
                "phones",
                "start_at",
                "status",
                "sub_user_id"
            ]
        );
        assert_eq!(props["status"]["items"]["type"], "integer");
        assert_eq!(props["encryption"]["type"], "boolean");
        assert_eq!(body["example"]["status"], serde_json::json!([0, 2]));
    }

    /// Serves `body` once per connection on a loopback port, `count` times.
    fn serve(body: String, content_type: &'static str, count: usize) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(count) {
                let mut stream = stream.unwrap();
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).unwrap();
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                stream.write_all(head.as_bytes()).unwrap();
                stream.write_all(body.as_bytes()).unwrap();
            }
        });
        format!("http://{address}/docs/number-list.html")
    }

    #[test]
    fn a_page_fetched_over_http_drafts_like_the_file() {
        let seed =
            std::fs::read_to_string(paths::root().join("openapi/seeds/number-list.txt")).unwrap();
        // The page as a site serves it: HTML, one line per `<br>`, entities escaped.
        let escaped = seed
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        let html = format!(
            "<!DOCTYPE html>\n<html><head><title>号码列表</title><script>let a = 1 < 2;</script></head><body>\n{}</body></html>",
            escaped
                .lines()
                .map(|l| format!("{l}<br>\n"))
                .collect::<String>()
        );
        let url = serve(html, "text/html; charset=utf-8", 1);
        let fetched = draft_text(None, Some(&url)).unwrap();
        let from_file = draft_text(
            Some(&paths::root().join("openapi/seeds/number-list.txt")),
            None,
        )
        .unwrap();
        let fetched = list_draft_as_json(&fetched);
        let mut from_file = list_draft_as_json(&from_file);
        from_file["description"] = fetched["description"].clone();
        assert_eq!(fetched, from_file);
        assert!(
            fetched["description"]
                .as_str()
                .unwrap()
                .contains("127.0.0.1")
        );
    }

    #[test]
    fn a_failed_fetch_is_an_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let err = draft_text(None, Some(&format!("http://{address}/page"))).unwrap_err();
        assert!(format!("{err:#}").contains("cannot fetch"), "{err:#}");
        assert!(draft_text(None, None).is_err());
    }
}
