//! Shared by the simulator's tests: the spec as JSON Schema, and small HTTP helpers.
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::{Map, Value, json};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `work` to its end on a runtime of its own (a proptest case, a caller without one).
pub fn block_on<T>(work: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(work)
}

/// The OpenAPI spec as JSON.
pub fn spec() -> Value {
    let text = std::fs::read_to_string(root().join("openapi/agent-api.yaml")).unwrap();
    serde_norway::from_str(&text).unwrap()
}

/// A seed example used as a fixture by the agent-api tests.
pub fn fixture(name: &str) -> Value {
    let text =
        std::fs::read_to_string(root().join("crates/agent-api/tests/fixtures").join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// OpenAPI 3.0 schema → JSON Schema 2020-12: `$ref`s point into `$defs`, `nullable` becomes a
/// `null` alternative, examples are dropped.
fn convert(schema: &Value) -> Value {
    let Value::Object(object) = schema else {
        return schema.clone();
    };
    if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap();
        return json!({ "$ref": format!("#/$defs/{name}") });
    }
    let mut out = Map::new();
    for (key, value) in object {
        match key.as_str() {
            "nullable" | "example" | "examples" => {}
            "properties" => {
                let props: Map<String, Value> = value
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), convert(v)))
                    .collect();
                out.insert(key.clone(), Value::Object(props));
            }
            "items" | "additionalProperties" if value.is_object() => {
                out.insert(key.clone(), convert(value));
            }
            "allOf" | "oneOf" | "anyOf" => {
                let list: Vec<Value> = value.as_array().unwrap().iter().map(convert).collect();
                out.insert(key.clone(), Value::Array(list));
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    let converted = Value::Object(out);
    if object.get("nullable") == Some(&Value::Bool(true)) {
        json!({ "anyOf": [converted, { "type": "null" }] })
    } else {
        converted
    }
}

/// A validator for one component schema (or any schema of the spec).
pub fn validator(spec: &Value, schema: &Value) -> jsonschema::Validator {
    let defs: Map<String, Value> = spec["components"]["schemas"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), convert(v)))
        .collect();
    let mut root = convert(schema);
    let object = root.as_object_mut().unwrap();
    object.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    object.insert("$defs".into(), Value::Object(defs));
    jsonschema::validator_for(&root).unwrap()
}

/// A `$ref` followed (parameters, responses), or the value itself.
pub fn resolved<'a>(spec: &'a Value, value: &'a Value) -> &'a Value {
    resolve(spec, value)
}

fn resolve<'a>(spec: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => spec.pointer(reference.trim_start_matches('#')).unwrap(),
        None => value,
    }
}

pub const LIST: &str = "/agent-api/user/{user_id}/task/{task_id}/number";
pub const RESET: &str = "/agent-api/user/{user_id}/task/{task_id}/number-batch-reset";

/// The response the spec declares for an operation and an HTTP status (`5XX` ranges too), or a
/// panic naming the undeclared status.
pub fn declared<'a>(spec: &'a Value, route: &str, method: &str, status: u16) -> &'a Value {
    let responses = &spec["paths"][route][method]["responses"];
    let exact = status.to_string();
    let range = format!("{}XX", status / 100);
    let response = responses
        .get(&exact)
        .or_else(|| responses.get(&range))
        .unwrap_or_else(|| panic!("{method} {route}: status {status} is not declared"));
    resolve(spec, response)
}

/// Checks that an answer has a declared status and that its JSON body validates against the
/// declared schema.
pub fn assert_conforms(spec: &Value, route: &str, method: &str, status: u16, body: &[u8]) {
    let response = declared(spec, route, method, status);
    let schema = &response["content"]["application/json"]["schema"];
    let instance: Value = serde_json::from_slice(body).unwrap_or_else(|e| {
        panic!(
            "{method} {route} {status}: body is not JSON ({e}): {}",
            String::from_utf8_lossy(body)
        )
    });
    let validator = validator(spec, schema);
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {route} {status}: {errors:#?}\n{instance:#}"
    );
}

/// A raw request to the simulator: `(status, headers, body)`.
pub async fn send(
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    agent_api::ensure_crypto_provider();
    let client = reqwest::Client::new();
    let mut request = client
        .request(method, url)
        .header("Accept", "application/json");
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

/// A parameter of an operation, `$ref`s resolved.
pub fn parameter<'a>(spec: &'a Value, route: &str, method: &str, name: &str) -> &'a Value {
    spec["paths"][route][method]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| resolve(spec, p))
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{method} {route}: no parameter {name}"))
}

/// The JSON type a schema declares (through a `$ref` to a component).
fn schema_type<'a>(spec: &'a Value, schema: &'a Value) -> &'a str {
    resolve(spec, schema)["type"].as_str().unwrap_or("")
}

/// How a query value stands for a value of the parameter's schema type: integers (query
/// booleans included: the spec says the wire carries `1`/`0`) are JSON numbers (text that is not
/// one stays a string, which the schema refuses), strings are themselves. Nothing else is
/// interpreted: the spec alone says what the wire may carry.
fn query_value(spec: &Value, schema: &Value, text: &str) -> Value {
    match schema_type(spec, schema) {
        "integer" | "number" => match serde_json::from_str::<Value>(text) {
            Ok(number @ Value::Number(_)) => number,
            _ => Value::String(text.to_string()),
        },
        _ => Value::String(text.to_string()),
    }
}

/// The query parameters of the list operation as the spec sees a query given as `(key, value)`
/// pairs (not yet encoded): `status[]` collects its values into an array; another key given as
/// `key[]` is an array, which no scalar schema accepts; a repeated plain key keeps the last.
/// Returns the instance and a JSON Schema of it: the parameters' schemas as properties, the
/// required ones as `required`.
pub fn list_query_instance(spec: &Value, pairs: &[(String, String)]) -> (Value, Value) {
    let mut instance = Map::new();
    let mut properties = Map::new();
    let mut required = Vec::new();
    for name in [
        "page",
        "per_page",
        "encryption",
        "sub_user_id",
        "status[]",
        "start_at",
        "end_at",
    ] {
        let param = parameter(spec, LIST, "get", name);
        properties.insert(name.to_string(), param["schema"].clone());
        if param["required"] == Value::Bool(true) {
            required.push(Value::from(name));
        }
    }
    for (key, value) in pairs {
        let param_name = if key == "status[]" {
            "status[]"
        } else {
            key.trim_end_matches("[]")
        };
        let schema = &parameter(spec, LIST, "get", param_name)["schema"];
        if key == "status[]" {
            let items = instance
                .entry(key.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            items
                .as_array_mut()
                .unwrap()
                .push(query_value(spec, &schema["items"], value));
        } else if let Some(name) = key.strip_suffix("[]") {
            let items = instance
                .entry(name.to_string())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Some(items) = items.as_array_mut() {
                items.push(Value::String(value.clone()));
            }
        } else {
            instance.insert(key.clone(), query_value(spec, schema, value));
        }
    }
    let schema = json!({ "type": "object", "properties": properties, "required": required });
    (Value::Object(instance), schema)
}

/// The request body schema of the reset operation.
pub fn reset_body_schema(spec: &Value) -> Value {
    spec["paths"][RESET]["put"]["requestBody"]["content"]["application/json"]["schema"].clone()
}

/// Encodes `(key, value)` pairs as a query string.
pub fn encode_query(pairs: &[(String, String)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        out.append_pair(key, value);
    }
    out.finish()
}
