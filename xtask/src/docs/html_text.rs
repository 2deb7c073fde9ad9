//! A page fetched as HTML, turned into the text layout a page copied from a browser has, so one
//! reader ([`super::page`]) reads both.
//!
//! The converter is hand-written, on purpose: no HTML parser is in the workspace's lock file, and
//! one (html5ever, scraper) would bring a large dependency tree to shorten about a hundred lines
//! while changing the output (tree building inserts elements, and whitespace and text are
//! normalised its own way), which the seed pages' checks and drafts rely on staying as it is.

pub(super) fn looks_like_html(text: &str) -> bool {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::page::Page;

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
}
