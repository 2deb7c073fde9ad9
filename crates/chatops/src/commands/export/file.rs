//! An export's file: its format and columns, a record as a row (phones masked, formula-like
//! cells neutralised), the sheet written row by row into a temporary file, and the packing of a
//! finished file to the transport's upload limit (gzip, or parts).

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

use agent_core::{CallStatus, NumberRecord};
use jiff::civil::DateTime;
use tempfile::TempPath;

use super::texts::ExportMsg;
use crate::i18n::Lang;
use crate::messages::Msg;
use crate::outbound::Outbound;
use crate::reply::{Attachment, AttachmentData, AttachmentKind};
use crate::token::PageState;

/// An export's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Comma-separated values, UTF-8 with a byte-order mark.
    Csv,
    /// An Excel workbook.
    Xlsx,
}

impl ExportFormat {
    /// `csv` or `xlsx` (any case, a leading dot allowed).
    pub fn parse(text: &str) -> Option<Self> {
        match text
            .trim()
            .trim_start_matches('.')
            .to_ascii_lowercase()
            .as_str()
        {
            "csv" => Some(Self::Csv),
            "xlsx" | "excel" => Some(Self::Xlsx),
            _ => None,
        }
    }

    /// The file name's extension.
    pub const fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }

    /// The media type.
    pub const fn media_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// The columns of an export, in file order: every field the platform gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// The number's row id on the platform.
    Id,
    /// The phone (masked unless `export_full_phones`).
    Phone,
    /// The status code, 0..12.
    StatusCode,
    /// The status in the reader's language (from the code, never `status_str`).
    StatusLabel,
    /// City.
    City,
    /// Province.
    Province,
    /// Carrier.
    Carrier,
    /// Area code.
    AreaCode,
    /// Post code.
    PostCode,
    /// When the number was loaded (China time).
    CreatedAt,
    /// When it was last called.
    CallTime,
    /// When that call was answered.
    AnswerTime,
    /// When it hung up.
    HangupTime,
    /// Billed seconds.
    BilledSecs,
    /// Call seconds.
    DurationSecs,
    /// Hang-up cause.
    HangupCause,
    /// Call id.
    CallId,
    /// Customer id.
    CustomerId,
    /// Extra data set at import.
    Extra,
}

/// Every column, in file order.
pub const COLUMNS: [Column; 19] = [
    Column::Id,
    Column::Phone,
    Column::StatusCode,
    Column::StatusLabel,
    Column::City,
    Column::Province,
    Column::Carrier,
    Column::AreaCode,
    Column::PostCode,
    Column::CreatedAt,
    Column::CallTime,
    Column::AnswerTime,
    Column::HangupTime,
    Column::BilledSecs,
    Column::DurationSecs,
    Column::HangupCause,
    Column::CallId,
    Column::CustomerId,
    Column::Extra,
];

impl Column {
    /// The header in `lang`: the shared words for the columns a page of `/numbers` has too,
    /// `/export`'s own texts for the others.
    pub fn header(self, lang: Lang) -> String {
        let own = match self {
            Self::Phone => return Msg::ColumnPhone.text(lang),
            Self::StatusLabel => return Msg::ColumnStatus.text(lang),
            Self::City => return Msg::ColumnCity.text(lang),
            Self::Id => ExportMsg::ColumnId,
            Self::StatusCode => ExportMsg::ColumnStatusCode,
            Self::Province => ExportMsg::ColumnProvince,
            Self::Carrier => ExportMsg::ColumnCarrier,
            Self::AreaCode => ExportMsg::ColumnAreaCode,
            Self::PostCode => ExportMsg::ColumnPostCode,
            Self::CreatedAt => ExportMsg::ColumnCreatedAt,
            Self::CallTime => ExportMsg::ColumnCallTime,
            Self::AnswerTime => ExportMsg::ColumnAnswerTime,
            Self::HangupTime => ExportMsg::ColumnHangupTime,
            Self::BilledSecs => ExportMsg::ColumnBilledSecs,
            Self::DurationSecs => ExportMsg::ColumnDurationSecs,
            Self::HangupCause => ExportMsg::ColumnHangupCause,
            Self::CallId => ExportMsg::ColumnCallId,
            Self::CustomerId => ExportMsg::ColumnCustomerId,
            Self::Extra => ExportMsg::ColumnExtra,
        };
        own.text(lang)
    }

    /// Its width in an Excel sheet, in characters.
    const fn width(self) -> f64 {
        match self {
            Self::Phone | Self::CallId | Self::CustomerId => 18.0,
            Self::CreatedAt | Self::CallTime | Self::AnswerTime | Self::HangupTime => 20.0,
            Self::HangupCause | Self::Extra => 24.0,
            Self::StatusLabel => 16.0,
            _ => 11.0,
        }
    }
}

/// One cell of an export.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text (never read as a formula).
    Text(String),
    /// A whole number (ids, codes): exact in a CSV.
    Integer(i64),
    /// A number.
    Number(f64),
    /// A date-time, China time.
    Time(DateTime),
    /// Nothing.
    Empty,
}

/// The row of a record. With `mask` (the outbound rule), the phone is masked and every string
/// of the platform passes the rule (a phone hidden in `extra` is masked too); without it the
/// phones are whole (`export_full_phones`).
pub fn row(record: &NumberRecord, lang: Lang, mask: Option<&Outbound>) -> Vec<Cell> {
    let text = |value: Option<&str>| match value.filter(|v| !v.is_empty()) {
        None => Cell::Empty,
        Some(value) => Cell::Text(mask.map_or_else(|| value.to_string(), |m| m.text(value))),
    };
    let time = |value: Option<agent_api::wire::PlatformDateTime>| {
        value.map_or(Cell::Empty, |t| Cell::Time(t.datetime()))
    };
    // Milliseconds on the wire; seconds in the file. Untrusted: never negative.
    let secs =
        |ms: Option<i64>| ms.map_or(Cell::Empty, |ms| Cell::Number(ms.max(0) as f64 / 1000.0));
    let status = CallStatus::from_wire(&record.status);
    COLUMNS
        .iter()
        .map(|column| match column {
            Column::Phone => Cell::Text(match mask {
                Some(_) => agent_core::mask_number(&record.number),
                None => record.number.clone(),
            }),
            Column::Id => Cell::Integer(record.id),
            Column::StatusCode => Cell::Integer(i64::from(status.code())),
            Column::StatusLabel => Cell::Text(lang.status(status).to_string()),
            Column::City => text(record.city.as_deref()),
            Column::Province => text(record.pro.as_deref()),
            Column::Carrier => text(record.mobile_type.as_deref()),
            Column::AreaCode => text(record.area_code.as_deref()),
            Column::PostCode => text(record.post_code.as_deref()),
            Column::CreatedAt => Cell::Time(record.created_at.datetime()),
            Column::CallTime => time(record.calldate),
            Column::AnswerTime => time(record.answerdate),
            Column::HangupTime => time(record.hangupdate),
            Column::BilledSecs => secs(record.bill),
            Column::DurationSecs => secs(record.duration),
            Column::HangupCause => text(record.hangupcause.as_deref()),
            Column::CallId => text(record.callid.as_deref()),
            Column::CustomerId => text(record.customer_id.as_deref()),
            Column::Extra => text(record.extra.as_deref()),
        })
        .collect()
}

/// A CSV cell a spreadsheet could run as a formula, made inert with a leading apostrophe, as
/// OWASP advises against CSV injection. Spreadsheets skip blanks and invisible characters
/// before a formula sign and take full-width signs for ASCII ones, so the first character that
/// counts is the first one after them: `=`, `+`, `-`, `@` or their full-width forms, or a tab
/// or carriage return first. A cell holding `;=` or `,=` is neutralised too: opened where `;`
/// (or `,`) separates a formula's list, the text after it may be read as a new formula.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    let first = text.chars().find(|&c| !is_blank(c));
    let formula_sign = matches!(
        first,
        Some('=' | '+' | '-' | '@' | '\u{FF1D}' | '\u{FF0B}' | '\u{FF0D}' | '\u{FF20}')
    ) || matches!(text.chars().next(), Some('\t' | '\r'));
    if formula_sign || text.contains(";=") || text.contains(",=") {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A phone as the platform stores it (`+86 138-1234-5678`, `13812345678_0001`): digits and a
/// leading `+`, spaces, dashes and an import suffix. Such a cell is a number to a spreadsheet,
/// never a formula, so the phone column keeps it as typed (no apostrophe).
fn is_plain_phone(text: &str) -> bool {
    let rest = text.strip_prefix('+').unwrap_or(text);
    rest.starts_with(|c: char| c.is_ascii_digit())
        && rest
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '_'))
}

/// What a spreadsheet skips before a formula's sign: white space (NBSP and the ideographic
/// space included) and invisible format characters (zero-width spaces and joiners, bidi
/// controls, the byte-order mark, the soft hyphen). Listed by hand: the standard library has
/// no Unicode general category, and these are the format characters that render as nothing.
fn is_blank(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

/// Why an export's file could not be written (logged; the user is told it failed).
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The file system.
    #[error("export file: {0}")]
    Io(#[from] std::io::Error),
    /// The CSV writer.
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    /// The Excel writer.
    #[error("{0}")]
    Xlsx(#[from] xlsx_stream::Error),
    /// The blocking task that finished the file was lost.
    #[error("the task finishing the file stopped")]
    Join,
}

/// An export being written.
pub(crate) enum Sheet {
    Csv {
        writer: Box<csv::Writer<BufWriter<File>>>,
        path: TempPath,
    },
    Xlsx {
        // Before the path: dropped first, it closes the file the path then deletes.
        workbook: Box<xlsx_stream::Workbook>,
        path: TempPath,
    },
}

/// Numbers handed to the writer at a time (the stream's default page).
pub(crate) const PAGE: usize = 200;

impl Sheet {
    pub(crate) fn create(
        format: ExportFormat,
        dir: &Path,
        headers: Vec<String>,
    ) -> Result<Self, ExportError> {
        let temp = tempfile::Builder::new()
            .prefix("agent-ops-export-")
            .suffix(&format!(".{}", format.extension()))
            .tempfile_in(dir)?;
        match format {
            ExportFormat::Csv => {
                let (file, path) = temp.into_parts();
                let mut out = BufWriter::with_capacity(1 << 16, file);
                // A byte-order mark: Excel on Windows then reads the Chinese right.
                out.write_all(b"\xEF\xBB\xBF")?;
                let mut writer = Box::new(csv::Writer::from_writer(out));
                writer.write_record(&headers)?;
                Ok(Self::Csv { writer, path })
            }
            ExportFormat::Xlsx => {
                let (file, path) = temp.into_parts();
                let columns = headers
                    .into_iter()
                    .zip(COLUMNS)
                    .map(|(header, column)| xlsx_stream::Column::new(header, column.width()))
                    .collect();
                let workbook = Box::new(xlsx_stream::Workbook::new(file, columns)?);
                Ok(Self::Xlsx { workbook, path })
            }
        }
    }

    pub(crate) fn write(&mut self, cells: &[Cell]) -> Result<(), ExportError> {
        match self {
            Self::Csv { writer, .. } => {
                let fields = cells.iter().zip(COLUMNS).map(|(cell, column)| match cell {
                    Cell::Text(text) if column == Column::Phone && is_plain_phone(text) => {
                        text.clone()
                    }
                    Cell::Text(text) => neutralise(text).into_owned(),
                    Cell::Integer(n) => n.to_string(),
                    Cell::Number(n) => n.to_string(),
                    Cell::Time(t) => t.strftime("%Y-%m-%d %H:%M:%S").to_string(),
                    Cell::Empty => String::new(),
                });
                writer.write_record(fields)?;
            }
            Self::Xlsx { workbook, .. } => {
                // Borrowed: no text is copied on the way into the sheet.
                let row: Vec<xlsx_stream::Cell<'_>> = cells
                    .iter()
                    .map(|cell| match cell {
                        Cell::Text(text) => xlsx_stream::Cell::Text(Cow::Borrowed(text)),
                        Cell::Integer(n) => xlsx_stream::Cell::Integer(*n),
                        Cell::Number(n) => xlsx_stream::Cell::Number(*n),
                        Cell::Time(t) => xlsx_stream::Cell::Time(*t),
                        Cell::Empty => xlsx_stream::Cell::Empty,
                    })
                    .collect();
                workbook.write_row(&row)?;
            }
        }
        Ok(())
    }

    /// Finishes the file (on a blocking thread: it flushes, and an Excel file gets its last
    /// small parts) and hands it over.
    pub(crate) async fn finish(self) -> Result<TempPath, ExportError> {
        tokio::task::spawn_blocking(move || match self {
            Self::Csv { writer, path } => {
                let mut out = writer.into_inner().map_err(|e| e.into_error())?;
                out.flush()?;
                out.get_ref().sync_all()?;
                Ok(path)
            }
            Self::Xlsx { workbook, path } => {
                workbook.finish()?;
                Ok(path)
            }
        })
        .await
        .map_err(|_| ExportError::Join)?
    }
}

/// A file name that says what is in it: `<task>-<statuses>-<China time>.<ext>`, in characters
/// every file system and chat service takes (and no run of seven digits, which the outbound
/// rule would mask).
pub(crate) fn file_name(
    label: &str,
    state: &PageState,
    now: jiff::Timestamp,
    format: ExportFormat,
) -> String {
    let safe = |text: &str| -> String {
        text.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+') {
                    c
                } else {
                    '_'
                }
            })
            .take(48)
            .collect()
    };
    let statuses = if state.statuses.is_empty() {
        "all".to_string()
    } else {
        state
            .statuses
            .iter()
            .map(CallStatus::name_en)
            .collect::<Vec<_>>()
            .join("+")
    };
    let time = now
        .to_zoned(jiff::tz::TimeZone::fixed(agent_core::time::CHINA_OFFSET))
        .strftime("%Y-%m-%d_%H%M%S");
    format!(
        "{}-{}-{time}.{}",
        safe(label),
        safe(&statuses),
        format.extension()
    )
}

/// A size in words for a chat (`50 MiB`, `900 KiB`).
pub fn size_words(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    if bytes >= MIB {
        format!("{} MiB", bytes.div_ceil(MIB))
    } else if bytes >= 1024 {
        format!("{} KiB", bytes.div_ceil(1024))
    } else {
        format!("{bytes} B")
    }
}

/// What was done to fit a file into the upload limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fitted {
    AsIs,
    Gzipped,
    Split(u64),
}

/// The files to send for an export at `path`, within `limit`: as it is, gzipped, or (a CSV)
/// split at record boundaries into parts that each carry the header row. `Err(None)`: an Excel
/// file over the limit.
pub(crate) fn fit(
    path: TempPath,
    name: &str,
    format: ExportFormat,
    limit: Option<u64>,
    dir: &Path,
) -> Result<(Vec<Attachment>, Fitted), Option<ExportError>> {
    let size = std::fs::metadata(&path).map_err(|e| Some(e.into()))?.len();
    let document = |name: String, media_type: &'static str, path: TempPath| Attachment {
        name,
        media_type,
        kind: AttachmentKind::Document,
        data: AttachmentData::File(Arc::new(path)),
    };
    let Some(limit) = limit.filter(|limit| size > *limit) else {
        return Ok((
            vec![document(name.to_string(), format.media_type(), path)],
            Fitted::AsIs,
        ));
    };
    if format == ExportFormat::Xlsx {
        return Err(None);
    }
    let gzipped = gzip(&path, dir).map_err(Some)?;
    if std::fs::metadata(&gzipped)
        .map_err(|e| Some(e.into()))?
        .len()
        <= limit
    {
        return Ok((
            vec![document(format!("{name}.gz"), "application/gzip", gzipped)],
            Fitted::Gzipped,
        ));
    }
    drop(gzipped);
    let parts = split_csv(&path, limit, dir).map_err(Some)?;
    let count = parts.len() as u64;
    let stem = name.strip_suffix(".csv").unwrap_or(name);
    Ok((
        parts
            .into_iter()
            .enumerate()
            .map(|(i, part)| document(format!("{stem}-part{}.csv", i + 1), "text/csv", part))
            .collect(),
        Fitted::Split(count),
    ))
}

fn temp_in(dir: &Path, suffix: &str) -> Result<(File, TempPath), ExportError> {
    Ok(tempfile::Builder::new()
        .prefix("agent-ops-export-")
        .suffix(suffix)
        .tempfile_in(dir)?
        .into_parts())
}

fn gzip(path: &Path, dir: &Path) -> Result<TempPath, ExportError> {
    let (file, out) = temp_in(dir, ".csv.gz")?;
    let mut encoder =
        flate2::write::GzEncoder::new(BufWriter::new(file), flate2::Compression::default());
    std::io::copy(&mut File::open(path)?, &mut encoder)?;
    encoder.finish()?.flush()?;
    Ok(out)
}

/// Parts of at most `limit` bytes (a part holds at least one record), each with the byte-order
/// mark and the header row. Records are cut where the CSV reader says they end, never inside a
/// quoted field.
fn split_csv(path: &Path, limit: u64, dir: &Path) -> Result<Vec<TempPath>, ExportError> {
    let mut reader = csv::Reader::from_path(path)?;
    let bytes_of = |record: &csv::ByteRecord| -> Result<Vec<u8>, ExportError> {
        let mut encode = csv::Writer::from_writer(Vec::new());
        encode.write_byte_record(record)?;
        encode
            .into_inner()
            .map_err(|e| ExportError::Io(e.into_error()))
    };
    let mut head = b"\xEF\xBB\xBF".to_vec();
    head.extend(bytes_of(reader.byte_headers()?)?);
    let mut parts = Vec::new();
    let mut current: Option<(BufWriter<File>, u64)> = None;
    let mut record = csv::ByteRecord::new();
    while reader.read_byte_record(&mut record)? {
        let line = bytes_of(&record)?;
        let fits = current
            .as_ref()
            .is_some_and(|(_, size)| size + line.len() as u64 <= limit);
        if !fits {
            if let Some((mut out, _)) = current.take() {
                out.flush()?;
            }
            let (file, part) = temp_in(dir, ".csv")?;
            parts.push(part);
            let mut out = BufWriter::new(file);
            out.write_all(&head)?;
            current = Some((out, head.len() as u64));
        }
        if let Some((out, size)) = current.as_mut() {
            out.write_all(&line)?;
            *size += line.len() as u64;
        }
    }
    if let Some((mut out, _)) = current.take() {
        out.flush()?;
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use agent_core::StatusSet;

    #[test]
    fn formula_cells_are_neutralised() {
        for bad in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2",
            "@SUM(A1)",
            "\tx",
            "\rx",
            // Blank or invisible first: spreadsheets skip them.
            " =1+1",
            "\u{a0}=1+1",
            "\u{200b}=1+1",
            "\u{feff}=1+1",
            "\u{3000}\u{202e}@SUM(A1)",
            "\n=1+1",
            // Full-width signs.
            "＝1+1",
            "＋1",
            "－1",
            "＠SUM(A1)",
            // A formula after a list separator.
            "x;=1+1",
            "x,=cmd|' /C calc'!A0",
        ] {
            assert_eq!(neutralise(bad), format!("'{bad}"), "{bad:?}");
        }
        for fine in ["北京", "", "a=b", "1+1", "x; y", "  text", "13812345678"] {
            assert_eq!(neutralise(fine), fine, "{fine:?}");
        }
    }

    #[tokio::test]
    async fn the_phone_column_keeps_a_plus_prefixed_phone_as_typed() {
        for phone in ["+8613812345678", "+86 138-1234-5678", "13812345678_0001"] {
            assert!(is_plain_phone(phone), "{phone}");
        }
        for other in ["+86=1+1", "+", "-1", "=1", "+86 138;=1", "＋8613812345678"] {
            assert!(!is_plain_phone(other), "{other}");
        }
        let dir = tempfile::tempdir().unwrap();
        let mut sheet = Sheet::create(ExportFormat::Csv, dir.path(), vec!["h".into(); 19]).unwrap();
        let mut cells = vec![Cell::Empty; COLUMNS.len()];
        cells[1] = Cell::Text("+8613812345678".into());
        cells[18] = Cell::Text("+8613812345678".into());
        sheet.write(&cells).unwrap();
        cells[1] = Cell::Text("=1+1".into());
        sheet.write(&cells).unwrap();
        let path = sheet.finish().await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[1].starts_with(",+8613812345678,"),
            "the phone column as typed: {}",
            lines[1]
        );
        assert!(
            lines[1].ends_with(",'+8613812345678"),
            "other columns neutralised: {}",
            lines[1]
        );
        assert!(lines[2].starts_with(",'=1+1,"), "{}", lines[2]);
    }

    #[test]
    fn formats_and_sizes() {
        assert_eq!(ExportFormat::parse(" XLSX"), Some(ExportFormat::Xlsx));
        assert_eq!(ExportFormat::parse(".csv"), Some(ExportFormat::Csv));
        assert_eq!(ExportFormat::parse("pdf"), None);
        assert_eq!(size_words(50 << 20), "50 MiB");
        assert_eq!(size_words(2000), "2 KiB");
        assert_eq!(size_words(10), "10 B");
    }

    #[test]
    fn file_names_are_safe_and_never_look_like_phones() {
        let state = PageState {
            task: "t".into(),
            statuses: StatusSet::parse_list("busy,no-answer").unwrap_or_default(),
            from: None,
            to: None,
            sub: None,
            page: 1,
        };
        let now: jiff::Timestamp = "2026-12-02T06:05:09Z".parse().unwrap();
        let name = file_name("de mo/../x", &state, now, ExportFormat::Csv);
        assert!(name.starts_with("de_mo____x-"), "{name}");
        assert!(name.ends_with("-2026-12-02_140509.csv"), "{name}");
        assert!(!name.contains('/'));
        let longest_run = name
            .split(|c: char| !c.is_ascii_digit())
            .map(str::len)
            .max()
            .unwrap_or(0);
        assert!(longest_run < 7, "{name}");
    }
}
