//! What a vendor page documents, and how its text is read.
//!
//! Every page of the vendor's site shares one layout (see `openapi/seeds/`): `接口:` and
//! `请求方式:` lines, then the tables 路由参数 and 请求参数 with the columns 参数/类型/示例/解释/必填
//! (some pages: 参数/类型/必填/描述 with `Y`), the code samples (a cURL command first), and a JSON
//! 返回示例 whose `//` comments describe its fields. Pages copied from a browser flatten each
//! table row into one line (`per_pageint15每页个数`); pages fetched as HTML keep the cells apart
//! (tabs). Both are read: the tables by [`super::table`], the JSON by [`super::commented_json`],
//! HTML first turned into text by [`super::html_text`].

use std::fmt;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

use super::commented_json::{JsonExample, json_block};
use super::html_text::{html_to_text, looks_like_html};
use super::table::table;

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
pub(super) const KIND_WORDS: &[(&str, Kind)] = &[
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

    pub(super) fn parse(word: &str) -> Option<Kind> {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::paths;

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
}
