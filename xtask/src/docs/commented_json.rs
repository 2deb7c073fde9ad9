//! The JSON examples of a page (请求示例, 返回示例): JSON with `//` comments, each comment kept
//! for the field whose key is on its line (`data[].number`), the example kept in the page's key
//! order.

use std::collections::BTreeMap;

use serde_json::Value;

/// A JSON example of a page, with its `//` comments by field path (`data[].number`).
#[derive(Debug, Clone, PartialEq)]
pub struct JsonExample {
    /// The example, in the page's key order.
    pub value: serde_norway::Value,
    /// Field path → comment.
    pub comments: BTreeMap<String, String>,
}

impl JsonExample {
    /// The example as a JSON value.
    pub fn json(&self) -> Value {
        serde_json::to_value(&self.value).unwrap_or(Value::Null)
    }
}

/// A JSON block after a heading: an optional `json` line, then a `{…}` or `[…]` that may carry
/// `//` comments.
pub(super) fn json_block(lines: &[&str]) -> Option<JsonExample> {
    let mut lines = lines.iter().skip_while(|l| l.is_empty()).peekable();
    if lines.peek().is_some_and(|l| l.eq_ignore_ascii_case("json")) {
        lines.next();
    }
    let first = lines.peek()?;
    if !first.starts_with('{') && !first.starts_with('[') {
        return None;
    }
    let mut text = String::new();
    let mut depth = 0i32;
    for line in lines {
        text.push_str(line);
        text.push('\n');
        let (stripped, _) = strip_comments(line);
        for c in strip_strings(&stripped).chars() {
            match c {
                '{' | '[' => depth += 1,
                '}' | ']' => depth -= 1,
                _ => {}
            }
        }
        if depth <= 0 {
            break;
        }
    }
    parse_commented_json(&text)
}

/// A line without `//` comments (outside strings), and the comment.
fn strip_comments(line: &str) -> (String, Option<String>) {
    let mut in_string = false;
    let mut escaped = false;
    let bytes: Vec<char> = line.chars().collect();
    for (i, c) in bytes.iter().enumerate() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if *c == '"' {
            in_string = true;
        } else if *c == '/' && bytes.get(i + 1) == Some(&'/') {
            let code: String = bytes[..i].iter().collect();
            let comment: String = bytes[i + 2..].iter().collect();
            return (code, Some(comment.trim().to_string()));
        }
    }
    (line.to_string(), None)
}

/// The text with string contents removed (to count brackets).
fn strip_strings(text: &str) -> String {
    let mut out = String::new();
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else {
            out.push(c);
        }
    }
    out
}

/// Parses JSON with `//` comments; a comment names the field whose key is on its line.
pub fn parse_commented_json(text: &str) -> Option<JsonExample> {
    #[derive(Clone)]
    enum Frame {
        Object(Option<String>),
        Array,
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut comments = BTreeMap::new();
    let mut stripped = String::new();
    for line in text.lines() {
        let (code, comment) = strip_comments(line);
        let mut key_on_line: Option<String> = None;
        let chars: Vec<char> = code.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '"' => {
                    let mut j = i + 1;
                    let mut s = String::new();
                    while j < chars.len() && chars[j] != '"' {
                        if chars[j] == '\\' {
                            j += 1;
                        }
                        if let Some(c) = chars.get(j) {
                            s.push(*c);
                        }
                        j += 1;
                    }
                    let next = chars[(j + 1).min(chars.len())..]
                        .iter()
                        .find(|c| !c.is_whitespace());
                    if next == Some(&':')
                        && let Some(Frame::Object(last)) = stack.last_mut()
                    {
                        *last = Some(s);
                        key_on_line = Some(path_of(&stack));
                    }
                    i = j + 1;
                    continue;
                }
                '{' => stack.push(Frame::Object(None)),
                '[' => stack.push(Frame::Array),
                '}' | ']' => {
                    stack.pop();
                }
                _ => {}
            }
            i += 1;
        }
        if let (Some(path), Some(comment)) = (key_on_line, comment)
            && !comment.is_empty()
        {
            comments.insert(path, comment);
        }
        stripped.push_str(&code);
        stripped.push('\n');
    }

    fn path_of(stack: &[Frame]) -> String {
        let mut out = String::new();
        for frame in stack {
            match frame {
                Frame::Array => out.push_str("[]"),
                Frame::Object(Some(key)) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
                Frame::Object(None) => {}
            }
        }
        out
    }

    // JSON is YAML: reading it as YAML keeps the page's key order.
    let value: serde_norway::Value = serde_norway::from_str(&stripped).ok()?;
    serde_json::from_str::<Value>(&stripped).ok()?;
    Some(JsonExample { value, comments })
}
