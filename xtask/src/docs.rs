//! The vendor's documentation pages, read, and held against the spec (`cargo xtask spec
//! check-docs`).
//!
//! Every page of the vendor's site shares one layout (see `openapi/seeds/`): `接口:` and
//! `请求方式:` lines, then the tables 路由参数 and 请求参数 with the columns 参数/类型/示例/解释/必填
//! (some pages: 参数/类型/必填/描述 with `Y`), the code samples (a cURL command first), and a JSON
//! 返回示例 whose `//` comments describe its fields. Pages copied from a browser flatten each
//! table row into one line (`per_pageint15每页个数`); pages fetched as HTML keep the cells apart
//! (tabs). Both are read.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::{paths, spec};

/// The type a page gives a parameter, normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `string`
    String,
    /// `int`, `integer`
    Integer,
    /// `number`, `float`
    Number,
    /// `bool`, `boolean`
    Boolean,
    /// `array`
    Array,
    /// `date`, `datetime`: a string on the wire
    Date,
    /// `object`, `json`
    Object,
}

/// The type words pages use, longest first where one is a prefix of another.
const KIND_WORDS: &[(&str, Kind)] = &[
    ("string", Kind::String),
    ("integer", Kind::Integer),
    ("int", Kind::Integer),
    ("number", Kind::Number),
    ("float", Kind::Number),
    ("boolean", Kind::Boolean),
    ("bool", Kind::Boolean),
    ("array", Kind::Array),
    ("datetime", Kind::Date),
    ("date", Kind::Date),
    ("object", Kind::Object),
    ("json", Kind::Object),
];

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Integer => "int",
            Kind::Number => "number",
            Kind::Boolean => "bool",
            Kind::Array => "array",
            Kind::Date => "date",
            Kind::Object => "object",
        }
    }

    fn parse(word: &str) -> Option<Kind> {
        let word = word.trim().to_ascii_lowercase();
        KIND_WORDS.iter().find(|(w, _)| *w == word).map(|(_, k)| *k)
    }

    /// The JSON type of the spec that carries this kind.
    pub fn json_type(self) -> &'static str {
        match self {
            Kind::String | Kind::Date => "string",
            Kind::Integer => "integer",
            Kind::Number => "number",
            Kind::Boolean => "boolean",
            Kind::Array => "array",
            Kind::Object => "object",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// One row of a parameter table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 参数
    pub name: String,
    /// 类型
    pub kind: Kind,
    /// 示例, as written (empty when the page has none)
    pub example: String,
    /// 解释 / 描述
    pub description: String,
    /// 必填: `Some(true)` for 是/Y, `Some(false)` for 否/N, `None` when the cell is empty
    pub required: Option<bool>,
}

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

/// A code sample's request: the cURL command's method and URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// `GET`, `PUT`…
    pub method: String,
    /// The URL, as written.
    pub url: String,
}

/// What a page documents.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// Where the page came from (a file name or a URL), for reports.
    pub source: String,
    /// The page's title (its first heading).
    pub title: Option<String>,
    /// `接口:` — the route, `{param}` placeholders included.
    pub route: Option<String>,
    /// `请求方式:` — the HTTP method, upper case.
    pub method: Option<String>,
    /// 路由参数
    pub route_params: Vec<Row>,
    /// 请求参数 (query parameters of a GET, body fields otherwise)
    pub request_params: Vec<Row>,
    /// The JSON 请求示例, if any.
    pub request_example: Option<JsonExample>,
    /// The JSON 返回示例 (or 返回数据), if any.
    pub response_example: Option<JsonExample>,
    /// The cURL sample, if any.
    pub sample: Option<Sample>,
}

impl Page {
    /// Reads a page from a file.
    pub fn read(path: &Path) -> Result<Page> {
        let text =
            fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let source = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into(),
        );
        Ok(Page::parse(&source, &text))
    }

    /// Reads a page's text (HTML is turned into text first).
    pub fn parse(source: &str, text: &str) -> Page {
        let text = if looks_like_html(text) {
            html_to_text(text)
        } else {
            text.replace("\r\n", "\n")
        };
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        let mut page = Page {
            source: source.to_string(),
            title: None,
            route: None,
            method: None,
            route_params: Vec::new(),
            request_params: Vec::new(),
            request_example: None,
            response_example: None,
            sample: None,
        };
        page.title = lines
            .iter()
            .map(|l| l.trim_start_matches('#').trim())
            .find(|l| !l.is_empty() && *l != "Skip to content")
            .map(str::to_string);
        for (i, line) in lines.iter().enumerate() {
            let bare = line.trim_start_matches(['•', '-', '*', '·']).trim();
            if let Some(route) = label_value(bare, "接口") {
                page.route.get_or_insert_with(|| route.to_string());
            } else if let Some(method) = label_value(bare, "请求方式") {
                page.method
                    .get_or_insert_with(|| method.to_ascii_uppercase());
            } else if *line == "路由参数" && page.route_params.is_empty() {
                page.route_params = table(&lines[i + 1..]);
            } else if *line == "请求参数" && page.request_params.is_empty() {
                page.request_params = table(&lines[i + 1..]);
            } else if *line == "请求示例" && page.request_example.is_none() {
                page.request_example = json_block(&lines[i + 1..]);
            } else if ["返回示例", "返回数据", "响应示例"].contains(line)
                && page.response_example.is_none()
            {
                page.response_example = json_block(&lines[i + 1..]);
            } else if page.sample.is_none() && bare.starts_with("curl ") {
                page.sample = curl(bare);
            }
        }
        page
    }

    /// `METHOD /route`, for reports.
    pub fn at(&self) -> String {
        format!(
            "{} {}",
            self.method.as_deref().unwrap_or("?"),
            self.route.as_deref().unwrap_or("?")
        )
    }

    /// Whether the request parameters travel in the query (else in a JSON body).
    pub fn params_in_query(&self) -> bool {
        matches!(
            self.method.as_deref(),
            Some("GET" | "DELETE" | "HEAD") | None
        )
    }

    /// The `{name}` placeholders of the route.
    pub fn placeholders(&self) -> Vec<String> {
        placeholders(self.route.as_deref().unwrap_or(""))
    }
}

/// `{name}` placeholders of a route, in order.
pub fn placeholders(route: &str) -> Vec<String> {
    route
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(str::to_string)
        .collect()
}

/// `接口: /x` → `/x` (a full-width colon too).
fn label_value<'a>(line: &'a str, label: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(label)?.trim_start();
    let rest = rest
        .strip_prefix(':')
        .or_else(|| rest.strip_prefix('：'))?
        .trim();
    (!rest.is_empty()).then_some(rest)
}

/// The columns of a parameter table, from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    Kind,
    Example,
    Description,
    Required,
    Other,
}

fn column(header: &str) -> Column {
    match header.trim() {
        "参数" | "参数名" | "字段" | "名称" => Column::Name,
        "类型" => Column::Kind,
        "示例" | "示例值" => Column::Example,
        "解释" | "描述" | "说明" => Column::Description,
        "必填" | "是否必填" | "必须" | "必选" => Column::Required,
        _ => Column::Other,
    }
}

/// The header words a flattened header line is made of, in the order they appear.
fn flattened_columns(header: &str) -> Vec<Column> {
    let words = [
        "是否必填",
        "参数名",
        "示例值",
        "参数",
        "字段",
        "名称",
        "类型",
        "示例",
        "解释",
        "描述",
        "说明",
        "必填",
        "必须",
        "必选",
    ];
    let mut out = Vec::new();
    let mut rest = header;
    while !rest.is_empty() {
        match words.iter().find(|w| rest.starts_with(*w)) {
            Some(word) => {
                out.push(column(word));
                rest = &rest[word.len()..];
            }
            None => {
                let skip = rest.chars().next().map_or(1, char::len_utf8);
                rest = &rest[skip..];
            }
        }
    }
    out
}

fn split_cells(line: &str) -> Option<Vec<String>> {
    if line.contains('\t') {
        Some(line.split('\t').map(|c| c.trim().to_string()).collect())
    } else if line.starts_with('|') {
        Some(
            line.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect(),
        )
    } else {
        None
    }
}

/// The rows of the table that starts at `lines` (its header first; blank lines before it are
/// skipped), up to the first blank line after the rows.
fn table(lines: &[&str]) -> Vec<Row> {
    let mut lines = lines.iter().skip_while(|l| l.is_empty());
    let Some(header) = lines.next() else {
        return Vec::new();
    };
    if !header.starts_with("参数") && !header.starts_with("|") {
        return Vec::new();
    }
    let columns: Vec<Column> = match split_cells(header) {
        Some(cells) => cells.iter().map(|c| column(c)).collect(),
        None => flattened_columns(header),
    };
    let mut rows = Vec::new();
    for line in lines {
        if line.is_empty() {
            break;
        }
        if line.starts_with("|-") || line.starts_with("| -") {
            continue;
        }
        let row = match split_cells(line) {
            Some(cells) => row_from_cells(&columns, &cells),
            None => row_from_flat(&columns, line),
        };
        rows.extend(row);
    }
    rows
}

fn required_word(cell: &str) -> Option<bool> {
    let word = cell
        .split(['(', '（'])
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match word.as_str() {
        "是" | "y" | "yes" | "true" | "必填" | "√" | "✓" => Some(true),
        "否" | "n" | "no" | "false" | "可选" | "选填" | "×" => Some(false),
        _ => None,
    }
}

/// A parenthetical note after 是/否 (`否(传递此参数则是对子账户操作)`), if any.
fn required_note(cell: &str) -> Option<&str> {
    let start = cell.find(['(', '（'])?;
    let note = cell[start..]
        .trim_start_matches(['(', '（'])
        .trim_end_matches([')', '）'])
        .trim();
    (!note.is_empty()).then_some(note)
}

fn with_note(description: String, note: Option<&str>) -> String {
    match note {
        Some(note) if description.is_empty() => note.to_string(),
        Some(note) => format!("{description},{note}"),
        None => description,
    }
}

fn row_from_cells(columns: &[Column], cells: &[String]) -> Option<Row> {
    let get = |col: Column| {
        columns
            .iter()
            .position(|c| *c == col)
            .and_then(|i| cells.get(i))
            .map(String::as_str)
            .unwrap_or("")
    };
    let name = get(Column::Name);
    let kind = Kind::parse(get(Column::Kind))?;
    if name.is_empty() {
        return None;
    }
    let required_cell = get(Column::Required);
    Some(Row {
        name: name.to_string(),
        kind,
        example: get(Column::Example).to_string(),
        description: with_note(
            get(Column::Description).to_string(),
            required_word(required_cell).and(required_note(required_cell)),
        ),
        required: required_word(required_cell),
    })
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '[' | ']' | '.')
}

/// A flattened row: `name` then a type word, glued; the last such split wins (a name may
/// contain a type word: `endpointstring…`).
fn row_from_flat(columns: &[Column], line: &str) -> Option<Row> {
    let mut split = None;
    for (i, c) in line.char_indices() {
        if i > 0 && line[..i].chars().all(is_name_char) {
            let rest = &line[i..];
            if let Some((word, kind)) = KIND_WORDS.iter().find(|(w, _)| {
                rest.get(..w.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(w))
            }) {
                split = Some((i, word.len(), *kind));
            }
        }
        if !is_name_char(c) {
            break;
        }
    }
    let (at, len, kind) = split?;
    let name = &line[..at];
    let mut rest = line[at + len..].trim();
    let after_kind: Vec<Column> = columns
        .iter()
        .copied()
        .skip_while(|c| *c != Column::Kind)
        .skip(1)
        .collect();
    let mut required = None;
    let mut note = None;
    let mut example = String::new();
    let mut description = String::new();
    for (n, col) in after_kind.iter().enumerate() {
        let last = n + 1 == after_kind.len();
        match col {
            Column::Required if last => {
                // 是/否 at the end, maybe with a note in parentheses.
                let (body, tail) = match rest.find(['(', '（']) {
                    Some(open) if rest.ends_with([')', '）']) => rest.split_at(open),
                    _ => (rest, ""),
                };
                if let Some(word) = body.chars().last().filter(|c| matches!(c, '是' | '否')) {
                    required = Some(word == '是');
                    note = required_note(tail);
                    rest = body[..body.len() - word.len_utf8()].trim_end();
                }
            }
            Column::Required => {
                // 必填 before the description: `Y`, `N`, 是 or 否 first.
                for (word, value) in [("Y", true), ("N", false), ("是", true), ("否", false)] {
                    if let Some(after) = rest.strip_prefix(word)
                        && !after.starts_with(|c: char| c.is_ascii_alphanumeric())
                    {
                        required = Some(value);
                        rest = after.trim_start();
                        break;
                    }
                }
            }
            Column::Example => {
                // The example is the ASCII run before the (Chinese) description.
                let end = rest.find(|c: char| !c.is_ascii()).unwrap_or(rest.len());
                let has_description = after_kind[n + 1..].contains(&Column::Description);
                let end = if has_description { end } else { rest.len() };
                example = rest[..end].trim().to_string();
                rest = rest[end..].trim_start();
            }
            Column::Description => {
                let required_follows = after_kind[n + 1..].contains(&Column::Required);
                if !required_follows {
                    description = rest.trim().to_string();
                    rest = "";
                }
            }
            _ => {}
        }
    }
    if description.is_empty() && after_kind.contains(&Column::Description) {
        description = rest.trim().to_string();
    }
    Some(Row {
        name: name.to_string(),
        kind,
        example,
        description: with_note(description, note),
        required,
    })
}

/// A JSON block after a heading: an optional `json` line, then a `{…}` or `[…]` that may carry
/// `//` comments.
fn json_block(lines: &[&str]) -> Option<JsonExample> {
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

/// The cURL command's method and URL.
fn curl(line: &str) -> Option<Sample> {
    let method = line
        .split_whitespace()
        .skip_while(|w| *w != "-X")
        .nth(1)
        .unwrap_or("GET")
        .trim_matches(['"', '\''])
        .to_ascii_uppercase();
    let start = line.find(['"', '\''])?;
    let quote = line[start..].chars().next()?;
    let rest = &line[start + 1..];
    let url = &rest[..rest.find(quote)?];
    url.starts_with("http").then(|| Sample {
        method,
        url: url.to_string(),
    })
}

fn looks_like_html(text: &str) -> bool {
    let head = text.trim_start().get(..512).unwrap_or(text.trim_start());
    let head = head.to_ascii_lowercase();
    head.starts_with("<!doctype html") || head.starts_with("<html") || head.contains("<body")
}

/// A page's HTML as the text layout above: block elements end lines, table cells are
/// separated by tabs, `<pre>` keeps its lines, tags go, entities are decoded.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    let mut pre = 0usize;
    let mut skip: Option<String> = None;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        if skip.is_none() {
            if pre > 0 {
                out.push_str(&decode_entities(text));
            } else {
                let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
                if !collapsed.is_empty() {
                    if text.starts_with(char::is_whitespace) && !out.ends_with(['\n', '\t', ' ']) {
                        out.push(' ');
                    }
                    out.push_str(&decode_entities(&collapsed));
                    if text.ends_with(char::is_whitespace) {
                        out.push(' ');
                    }
                }
            }
        }
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let tag = &rest[open + 1..open + close];
        rest = &rest[open + close + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if let Some(skipped) = &skip {
            if closing && *skipped == name {
                skip = None;
            }
            continue;
        }
        match name.as_str() {
            "script" | "style" | "head" | "svg" if !closing => skip = Some(name),
            "pre" if !closing => {
                pre += 1;
                newline(&mut out);
            }
            "pre" => {
                pre = pre.saturating_sub(1);
                newline(&mut out);
            }
            "td" | "th" if closing => out.push('\t'),
            "tr" if closing => {
                while out.ends_with('\t') {
                    out.pop();
                }
                out.push('\n');
            }
            "br" => out.push('\n'),
            "p" | "div" | "li" | "ul" | "ol" | "table" | "thead" | "tbody" | "h1" | "h2" | "h3"
            | "h4" | "h5" | "h6" | "section" | "article" | "header" | "footer" | "nav" | "main" => {
                if name == "li" && !closing {
                    newline(&mut out);
                    out.push_str("• ");
                } else {
                    newline(&mut out);
                    if name.starts_with('h') || name == "p" || name == "table" {
                        out.push('\n');
                    }
                }
            }
            _ => {}
        }
    }
    out.push_str(&decode_entities(rest));
    let lines: Vec<&str> = out
        .lines()
        .map(|l| l.trim_end_matches([' ', '\t']))
        .collect();
    lines.join("\n")
}

fn newline(out: &mut String) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

fn decode_entities(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.find(';').filter(|s| *s <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------------------------
// The spec, seen from a page.

/// Follows a local `$ref`, or returns the value.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
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
fn fits_kind(doc: &Value, schema: &Value, kind: Kind, in_query: bool) -> bool {
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

/// An operation's parameter by name and location, `$ref`s followed.
fn spec_param<'a>(doc: &'a Value, op: &'a Value, name: &str, location: &str) -> Option<&'a Value> {
    op.get("parameters")?
        .as_array()?
        .iter()
        .map(|p| resolve(doc, p))
        .find(|p| p["name"] == name && p["in"] == location)
}

/// The success response's schema of an operation (200, else the first 2xx).
fn success_schema<'a>(doc: &'a Value, op: &'a Value) -> Option<&'a Value> {
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

    use super::*;

    fn seed(name: &str) -> Page {
        Page::read(&paths::root().join("openapi/seeds").join(name)).unwrap()
    }

    #[test]
    fn the_list_page_is_read_whole() {
        let page = seed("number-list.txt");
        assert_eq!(page.title.as_deref(), Some("号码列表"));
        assert_eq!(
            page.route.as_deref(),
            Some("/agent-api/user/{user_id}/task/{task_id}/number")
        );
        assert_eq!(page.method.as_deref(), Some("GET"));
        let names: Vec<&str> = page.route_params.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["user_id", "task_id"]);
        let rows: Vec<(&str, Kind, &str)> = page
            .request_params
            .iter()
            .map(|r| (r.name.as_str(), r.kind, r.example.as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                ("page", Kind::Integer, "1"),
                ("per_page", Kind::Integer, "15"),
                ("encryption", Kind::Boolean, "FALSE"),
                (
                    "sub_user_id",
                    Kind::String,
                    "1181ffd3-e3ee-4d75-a45c-8b9be3deb330"
                ),
                ("status", Kind::Array, "[2]"),
                ("start_at", Kind::Date, "2025/12/3 0:00"),
                ("end_at", Kind::Date, "2025/12/3 23:59"),
            ]
        );
        let sub = &page.request_params[3];
        assert_eq!(sub.required, Some(false));
        assert_eq!(sub.description, "子账户 id,传递此参数则是对子账户操作");
        assert_eq!(page.request_params[0].required, None);
        assert_eq!(page.request_params[0].description, "分页");
        let response = page.response_example.unwrap();
        assert_eq!(response.comments["data[].number"], "号码");
        assert_eq!(response.comments["meta"], "分页信息");
        assert_eq!(response.comments["data"], "号码列表");
        assert_eq!(response.json()["data"][0]["bill"], 47280);
        assert_eq!(page.sample.unwrap().method, "GET");
    }

    #[test]
    fn the_reset_page_is_read_whole() {
        let page = seed("number-batch-reset.txt");
        assert_eq!(page.method.as_deref(), Some("PUT"));
        assert_eq!(page.route_params.len(), 2);
        let names: Vec<&str> = page
            .request_params
            .iter()
            .map(|r| r.name.as_str())
            .collect();
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
        assert_eq!(
            page.request_params[1].example,
            r#"["13073797565", "18565891012"]"#
        );
        let body = page.request_example.unwrap().json();
        assert_eq!(body["status"], serde_json::json!([0, 2]));
        assert_eq!(page.response_example.unwrap().json()["code"], 200);
    }

    #[test]
    fn the_other_table_layout_with_y_is_read() {
        let text = "标题\n\n接口: /v1/things/{id}\n请求方式: POST\n\n路由参数\n\n参数类型必填描述\nidstringY编号\n\n请求参数\n\n参数类型必填描述\nnameboolYes标志\ncountintN数量\nlabelstring标签\n";
        let page = Page::parse("things.txt", text);
        assert_eq!(page.route_params[0].required, Some(true));
        assert_eq!(page.route_params[0].description, "编号");
        let count = &page.request_params[1];
        assert_eq!(
            (count.name.as_str(), count.kind, count.required),
            ("count", Kind::Integer, Some(false))
        );
        // `Yes标志`: not the `Y` of the column (a letter follows), so the cell is the description.
        assert_eq!(page.request_params[0].required, None);
        assert_eq!(page.request_params[2].required, None);
        assert_eq!(page.request_params[2].description, "标签");
    }

    #[test]
    fn html_pages_are_read_like_text_pages() {
        let html = "<!DOCTYPE html><html><head><title>x</title><style>p{}</style></head><body>\
            <h1>号码列表</h1><ul><li>接口: /a/{user_id}/b</li><li>请求方式: GET</li></ul>\
            <h2>路由参数</h2><table><thead><tr><th>参数</th><th>类型</th><th>示例</th><th>解释</th><th>必填</th></tr></thead>\
            <tbody><tr><td>user_id</td><td>string</td><td>u1</td><td>用户 id</td><td>是</td></tr></tbody></table>\
            <h2>请求参数</h2><table><tr><th>参数</th><th>类型</th><th>示例</th><th>解释</th><th>必填</th></tr>\
            <tr><td>page</td><td>int</td><td>1</td><td>分页 &amp; 页码</td><td></td></tr></table>\
            <h2>返回示例</h2><div><pre><code>{\n  \"code\": 200, // 状态码\n  \"message\": \"&lt;ok&gt;\"\n}\n</code></pre></div>\
            </body></html>";
        let page = Page::parse("page.html", html);
        assert_eq!(page.route.as_deref(), Some("/a/{user_id}/b"));
        assert_eq!(page.route_params[0].required, Some(true));
        assert_eq!(page.request_params[0].description, "分页 & 页码");
        let response = page.response_example.unwrap();
        assert_eq!(response.json()["message"], "<ok>");
        assert_eq!(response.comments["code"], "状态码");
    }

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
