//! The parameter tables of a page (路由参数, 请求参数) as [`Row`]s, in both layouts: cells kept
//! apart (tabs from HTML, `|` from Markdown), or each row flattened into one line by a browser's
//! copy (`per_pageint15每页个数`), split at the type word.

use super::page::{KIND_WORDS, Kind, Row};

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
pub(super) fn table(lines: &[&str]) -> Vec<Row> {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::page::Page;
    use super::*;

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
}
