//! The spec, seen from a page: `$ref`s and single-entry `allOf`s followed, the JSON types a
//! schema admits, whether a schema carries what a page calls a [`Kind`], an operation's
//! parameters and success response.

use serde_json::Value;

use super::page::Kind;
use crate::spec;

/// Follows a local `$ref`, or returns the value.
pub(super) fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    spec::resolve(doc, value)
}

/// Follows `$ref` and a single-entry `allOf` to the schema that has the structure.
pub fn follow<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    let schema = resolve(doc, schema);
    match schema.get("allOf").and_then(Value::as_array) {
        Some(all) if all.len() == 1 => follow(doc, &all[0]),
        _ => schema,
    }
}

/// The JSON types a schema admits (following `$ref`, `allOf`, `oneOf`, `anyOf`), and whether it
/// is nullable.
pub fn admitted(doc: &Value, schema: &Value) -> (Vec<String>, bool) {
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

/// Whether a schema is a query boolean as the wire carries it: the integers 0 and 1.
fn is_wire_bool(doc: &Value, schema: &Value) -> bool {
    let schema = follow(doc, schema);
    schema.get("type").and_then(Value::as_str) == Some("integer")
        && schema
            .get("enum")
            .and_then(Value::as_array)
            .is_some_and(|e| {
                let mut e: Vec<i64> = e.iter().filter_map(Value::as_i64).collect();
                e.sort_unstable();
                e == [0, 1]
            })
}

/// Whether the spec's schema carries what the page calls `kind` (in a query when `in_query`).
pub(super) fn fits_kind(doc: &Value, schema: &Value, kind: Kind, in_query: bool) -> bool {
    let (types, _) = admitted(doc, schema);
    let wanted = kind.json_type();
    if kind == Kind::Boolean && in_query && is_wire_bool(doc, schema) {
        return true;
    }
    if kind == Kind::Number && types.iter().any(|t| t == "integer") {
        return true;
    }
    !types.is_empty() && types.iter().all(|t| t == wanted)
}

/// An operation's parameter by name and location, `$ref`s followed.
pub(super) fn spec_param<'a>(
    doc: &'a Value,
    op: &'a Value,
    name: &str,
    location: &str,
) -> Option<&'a Value> {
    op.get("parameters")?
        .as_array()?
        .iter()
        .map(|p| resolve(doc, p))
        .find(|p| p["name"] == name && p["in"] == location)
}

/// The success response's schema of an operation (200, else the first 2xx).
pub(super) fn success_schema<'a>(doc: &'a Value, op: &'a Value) -> Option<&'a Value> {
    let responses = op.get("responses")?.as_object()?;
    let response = responses
        .get("200")
        .or_else(|| {
            responses
                .iter()
                .find(|(c, _)| c.starts_with('2'))
                .map(|(_, r)| r)
        })
        .map(|r| resolve(doc, r))?;
    response.pointer("/content/application~1json/schema")
}
