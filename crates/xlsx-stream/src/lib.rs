//! A streaming Excel (.xlsx) writer: rows go into the file as they arrive, memory stays flat.
//!
//! Hand-written on purpose: no maintained crate streams the zip while the rows arrive.
//! `rust_xlsxwriter`'s constant-memory mode writes the worksheet's XML to a temporary file and
//! deflates it only at `save()`, after the last row — about 0.3 s per 100,000 rows that cannot
//! overlap the wait for the data (agent-ops' `/export` streams a platform's pages). Here each
//! row's XML goes straight into the deflating zip entry (`zip` crate, zlib-rs, level 1), 64 KiB
//! of XML buffered at a time; finishing only closes the sheet and adds the few small parts that
//! list it.
//!
//! The workbook holds only the parts a spreadsheet needs (no theme, no document properties):
//! `[Content_Types].xml`, `_rels/.rels`, `xl/workbook.xml` and its relationships,
//! `xl/styles.xml` (a bold header and a `yyyy-mm-dd hh:mm:ss` date format) and one worksheet per
//! 1,048,576 rows (Sheet1, Sheet2…), each with the header row frozen and the columns' widths.
//! Strings are inline (`t="inlineStr"`), escaped as Excel and `rust_xlsxwriter` escape them:
//! XML's `& < > "`, the characters XML 1.0 forbids as `_xHHHH_`, a literal `_xHHHH_` as
//! `_x005F_xHHHH_`; cut to Excel's 32,767 characters.
//!
//! ```
//! use xlsx_stream::{Cell, Column, Workbook};
//!
//! let file = tempfile::tempfile()?;
//! let columns = vec![Column::new("id", 11.0), Column::new("phone", 18.0)];
//! let mut book = Workbook::new(file, columns)?;
//! book.write_row(&[Cell::Integer(1), Cell::Text("138****5678".into())])?;
//! book.finish()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use std::borrow::Cow;

use jiff::civil::DateTime;
use zip::ZipWriter;
use zip::write::SimpleFileOptions;

/// One cell of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    /// Text, as an inline string (never read as a formula); empty text is an empty cell.
    Text(Cow<'a, str>),
    /// A whole number.
    Integer(i64),
    /// A number (not finite: written as text).
    Number(f64),
    /// A date-time, as a date cell (`yyyy-mm-dd hh:mm:ss`); outside 1900–9999, as text.
    Time(DateTime),
    /// Nothing.
    Empty,
}

/// A column: its header (bold, frozen) and its width in characters.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The header row's text.
    pub header: String,
    /// The width, in characters (1 to 255).
    pub width: f64,
}

impl Column {
    /// A column headed `header`, `width` characters wide.
    pub fn new(header: impl Into<String>, width: f64) -> Self {
        Self {
            header: header.into(),
            width,
        }
    }
}

/// Why a workbook could not be written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file.
    #[error("Excel file: {0}")]
    Io(#[from] io::Error),
    /// The zip container.
    #[error("Excel (zip): {0}")]
    Zip(#[from] zip::result::ZipError),
}

/// Excel's last row index (1,048,576 rows): past it, the export goes on in a new worksheet.
pub const LAST_ROW: u32 = 1_048_575;
/// Excel's longest cell text, in UTF-16 code units: longer text is cut.
pub const MAX_CELL_CHARS: usize = 32_767;
/// The date cells' number format.
const TIME_FORMAT: &str = "yyyy-mm-dd hh:mm:ss";
/// The XML buffered before it is handed to the deflater.
const FLUSH_AT: usize = 1 << 16;

/// The cell formats (`cellXfs`), by index: a cell's `s` attribute is an index in this list.
const CELL_XFS: [&str; 3] = [
    r#"<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>"#,
    r#"<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>"#,
    r#"<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>"#,
];
/// The header's format: bold.
const STYLE_BOLD: usize = 1;
/// A date's format: [`TIME_FORMAT`].
const STYLE_TIME: usize = 2;

const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
const NS_MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const NS_RELS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
const REL_TYPE: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// An Excel workbook being written into a file, row by row.
///
/// Dropped before [`Workbook::finish`] (a cancelled or failed export), it closes the file
/// without writing the rest: the caller deletes it.
pub struct Workbook {
    // Declared first so it is dropped first: the zip writer, finishing itself on drop, then
    // writes into nothing.
    abandon: Abandon,
    zip: ZipWriter<Sink>,
    /// XML not yet handed to the deflater.
    xml: Vec<u8>,
    columns: Vec<Column>,
    /// The next row (0-based) of the current worksheet.
    row: u32,
    /// Worksheets started.
    sheets: u32,
}

impl Workbook {
    /// A workbook into `file` (empty), its first worksheet started with the header row.
    pub fn new(file: File, columns: Vec<Column>) -> Result<Self, Error> {
        let abandoned = Arc::new(AtomicBool::new(false));
        let sink = Sink {
            out: Some(BufWriter::with_capacity(1 << 16, file)),
            abandoned: Arc::clone(&abandoned),
            pos: 0,
            end: 0,
        };
        let mut book = Self {
            abandon: Abandon {
                flag: abandoned,
                armed: true,
            },
            zip: ZipWriter::new(sink),
            xml: Vec::with_capacity(FLUSH_AT + (1 << 12)),
            columns,
            row: 0,
            sheets: 0,
        };
        // The parts that do not depend on the rows go first.
        book.part("_rels/.rels", &root_rels())?;
        book.part("xl/styles.xml", &styles())?;
        book.start_sheet()?;
        Ok(book)
    }

    /// Appends a row (its cells in the columns' order), in a new worksheet past Excel's last
    /// row.
    pub fn write_row(&mut self, cells: &[Cell<'_>]) -> Result<(), Error> {
        if self.row > LAST_ROW {
            self.end_sheet()?;
            self.start_sheet()?;
        }
        let row = self.row + 1;
        let xml = &mut self.xml;
        xml.extend_from_slice(b"<row r=\"");
        push_u64(xml, u64::from(row));
        xml.extend_from_slice(b"\">");
        for (col, cell) in cells.iter().enumerate() {
            match cell {
                Cell::Text(text) => push_text_cell(xml, col, row, text, None),
                Cell::Integer(n) => {
                    push_cell_start(xml, col, row, None);
                    xml.extend_from_slice(b"><v>");
                    push_i64(xml, *n);
                    xml.extend_from_slice(b"</v></c>");
                }
                Cell::Number(n) if n.is_finite() => {
                    push_cell_start(xml, col, row, None);
                    xml.extend_from_slice(b"><v>");
                    push_f64(xml, *n);
                    xml.extend_from_slice(b"</v></c>");
                }
                // Not a number Excel can hold: as text.
                Cell::Number(n) => push_text_cell(xml, col, row, &n.to_string(), None),
                Cell::Time(t) => match excel_serial(*t) {
                    Some(serial) => {
                        push_cell_start(xml, col, row, Some(STYLE_TIME));
                        xml.extend_from_slice(b"><v>");
                        push_f64(xml, serial);
                        xml.extend_from_slice(b"</v></c>");
                    }
                    // Outside Excel's calendar (a broken answer): as text.
                    None => push_text_cell(xml, col, row, &t.to_string(), None),
                },
                Cell::Empty => {}
            }
        }
        xml.extend_from_slice(b"</row>");
        self.row += 1;
        if self.xml.len() >= FLUSH_AT {
            self.flush_xml()?;
        }
        Ok(())
    }

    /// Closes the last worksheet, adds the parts that list the worksheets and the zip's
    /// directory, and flushes the file.
    pub fn finish(mut self) -> Result<(), Error> {
        self.end_sheet()?;
        let sheets = self.sheets;
        self.part("xl/workbook.xml", &workbook(sheets))?;
        self.part("xl/_rels/workbook.xml.rels", &workbook_rels(sheets))?;
        self.part("[Content_Types].xml", &content_types(sheets))?;
        let Self { abandon, zip, .. } = self;
        let sink = zip.finish()?;
        abandon.disarm();
        if let Some(mut out) = sink.out {
            out.flush()?;
        }
        Ok(())
    }

    /// The worksheets written so far.
    pub const fn sheets(&self) -> u32 {
        self.sheets
    }

    fn options() -> SimpleFileOptions {
        SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            // The fastest level: the file is a little larger and it still opens everywhere.
            .compression_level(Some(1))
            .unix_permissions(0o600)
            .last_modified_time(zip::DateTime::default())
    }

    /// A whole small part.
    fn part(&mut self, name: &str, text: &str) -> Result<(), Error> {
        self.zip.start_file(name, Self::options())?;
        self.zip.write_all(text.as_bytes())?;
        Ok(())
    }

    fn start_sheet(&mut self) -> Result<(), Error> {
        self.sheets += 1;
        let name = format!("xl/worksheets/sheet{}.xml", self.sheets);
        self.zip.start_file(name, Self::options())?;
        let xml = &mut self.xml;
        xml.extend_from_slice(XML_DECLARATION.as_bytes());
        xml.extend_from_slice(
            format!(
                "<worksheet xmlns=\"{NS_MAIN}\" xmlns:r=\"{REL_TYPE}\"><sheetViews>\
                 <sheetView{} workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\" \
                 activePane=\"bottomLeft\" state=\"frozen\"/><selection pane=\"bottomLeft\"/>\
                 </sheetView></sheetViews><sheetFormatPr defaultRowHeight=\"15\"/><cols>",
                if self.sheets == 1 {
                    " tabSelected=\"1\""
                } else {
                    ""
                }
            )
            .as_bytes(),
        );
        for (i, column) in self.columns.iter().enumerate() {
            xml.extend_from_slice(
                format!(
                    "<col min=\"{n}\" max=\"{n}\" width=\"{}\" customWidth=\"1\"/>",
                    stored_width(column.width),
                    n = i + 1
                )
                .as_bytes(),
            );
        }
        xml.extend_from_slice(b"</cols><sheetData><row r=\"1\">");
        for (col, column) in self.columns.iter().enumerate() {
            push_text_cell(xml, col, 1, &column.header, Some(STYLE_BOLD));
        }
        xml.extend_from_slice(b"</row>");
        self.row = 1;
        Ok(())
    }

    fn end_sheet(&mut self) -> Result<(), Error> {
        self.xml.extend_from_slice(
            b"</sheetData><pageMargins left=\"0.7\" right=\"0.7\" top=\"0.75\" bottom=\"0.75\" \
              header=\"0.3\" footer=\"0.3\"/></worksheet>",
        );
        self.flush_xml()
    }

    fn flush_xml(&mut self) -> Result<(), Error> {
        self.zip.write_all(&self.xml)?;
        self.xml.clear();
        Ok(())
    }
}

/// Marks the file abandoned when a workbook is dropped unfinished.
struct Abandon {
    flag: Arc<AtomicBool>,
    armed: bool,
}

impl Abandon {
    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for Abandon {
    fn drop(&mut self) {
        if self.armed {
            self.flag.store(true, Ordering::Relaxed);
        }
    }
}

/// The zip's output: the file, until the workbook is abandoned; then nothing (the zip writer
/// finishes itself on drop, and that must neither cost time nor fail loudly on a file about to
/// be deleted). Positions are tracked here, so asking for one costs no flush.
struct Sink {
    out: Option<BufWriter<File>>,
    abandoned: Arc<AtomicBool>,
    pos: u64,
    end: u64,
}

impl Sink {
    fn live(&mut self) -> Option<&mut BufWriter<File>> {
        if self.abandoned.load(Ordering::Relaxed)
            && let Some(out) = self.out.take()
        {
            // Closed without writing what is buffered.
            drop(out.into_parts());
        }
        self.out.as_mut()
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = match self.live() {
            Some(out) => out.write(buf)?,
            None => buf.len(),
        };
        self.pos += written as u64;
        self.end = self.end.max(self.pos);
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.live().map_or(Ok(()), BufWriter::flush)
    }
}

impl Seek for Sink {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let (pos, end) = (self.pos, self.end);
        let pos = match self.live() {
            Some(out) => out.seek(to)?,
            None => match to {
                SeekFrom::Start(n) => n,
                SeekFrom::Current(d) => pos.saturating_add_signed(d),
                SeekFrom::End(d) => end.saturating_add_signed(d),
            },
        };
        self.pos = pos;
        self.end = self.end.max(pos);
        Ok(pos)
    }

    fn stream_position(&mut self) -> io::Result<u64> {
        Ok(self.pos)
    }
}

/// A column's width as Excel stores it: `width` characters of 7 pixels plus 5 of padding,
/// back in characters, in 1/256ths (what `rust_xlsxwriter` and Excel write).
fn stored_width(width: f64) -> f64 {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 0..255 characters
    let pixels = (width.clamp(1.0, 255.0) * 7.0).round() as u32 + 5;
    f64::from(pixels * 256 / 7) / 256.0
}

/// The column's letters (`A`, `Z`, `AA`…).
fn push_col_name(xml: &mut Vec<u8>, col: usize) {
    let mut letters = [0u8; 4];
    let mut n = col + 1;
    let mut i = letters.len();
    while n > 0 && i > 0 {
        i -= 1;
        #[allow(clippy::cast_possible_truncation)] // 0..26
        let letter = b'A' + ((n - 1) % 26) as u8;
        letters[i] = letter;
        n = (n - 1) / 26;
    }
    xml.extend_from_slice(&letters[i..]);
}

/// `<c r="B7"` and its style, the tag left open.
fn push_cell_start(xml: &mut Vec<u8>, col: usize, row: u32, style: Option<usize>) {
    xml.extend_from_slice(b"<c r=\"");
    push_col_name(xml, col);
    push_u64(xml, u64::from(row));
    xml.push(b'"');
    if let Some(style) = style {
        xml.extend_from_slice(b" s=\"");
        push_u64(xml, style as u64);
        xml.push(b'"');
    }
}

/// An inline-string cell (nothing for empty text, as Excel has no empty string cell).
fn push_text_cell(xml: &mut Vec<u8>, col: usize, row: u32, text: &str, style: Option<usize>) {
    if text.is_empty() {
        return;
    }
    let text = truncate(text);
    push_cell_start(xml, col, row, style);
    xml.extend_from_slice(b" t=\"inlineStr\"><is><t");
    let whitespace = ['\t', '\n', ' '];
    if text.starts_with(whitespace) || text.ends_with(whitespace) {
        xml.extend_from_slice(b" xml:space=\"preserve\"");
    }
    xml.push(b'>');
    push_escaped(xml, text);
    xml.extend_from_slice(b"</t></is></c>");
}

/// `text` cut to Excel's longest cell text (counted in UTF-16 code units, as Excel counts),
/// never inside a character.
fn truncate(text: &str) -> &str {
    // A UTF-16 code unit takes at least one byte of UTF-8.
    if text.len() <= MAX_CELL_CHARS {
        return text;
    }
    let mut units = 0;
    for (i, c) in text.char_indices() {
        units += c.len_utf16();
        if units > MAX_CELL_CHARS {
            return &text[..i];
        }
    }
    text
}

/// Text as XML character data the way Excel writes it.
fn push_escaped(xml: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (escape, skip): (&[u8], usize) = match b {
            b'&' => (b"&amp;", 1),
            b'<' => (b"&lt;", 1),
            b'>' => (b"&gt;", 1),
            b'"' => (b"&quot;", 1),
            b'\t' | b'\n' => {
                i += 1;
                continue;
            }
            // Control characters, which XML 1.0 forbids (a carriage return it allows, but a
            // parser reads it as a line feed): `_x000D_`, as Excel writes them.
            0x00..=0x1F => {
                xml.extend_from_slice(&bytes[copied..i]);
                push_code_escape(xml, u32::from(b));
                i += 1;
                copied = i;
                continue;
            }
            // A literal `_xHHHH_` would be read as an escape: its underscore is escaped.
            b'_' if looks_like_escape(&bytes[i..]) => {
                xml.extend_from_slice(&bytes[copied..i]);
                xml.extend_from_slice(b"_x005F");
                // The underscore itself is copied with what follows.
                copied = i;
                i += 1;
                continue;
            }
            // U+FFFE and U+FFFF (EF BF BE, EF BF BF): not characters in XML.
            0xEF if matches!(bytes.get(i + 1..i + 3), Some([0xBF, 0xBE | 0xBF])) => {
                xml.extend_from_slice(&bytes[copied..i]);
                push_code_escape(xml, if bytes[i + 2] == 0xBE { 0xFFFE } else { 0xFFFF });
                i += 3;
                copied = i;
                continue;
            }
            _ => {
                i += 1;
                continue;
            }
        };
        xml.extend_from_slice(&bytes[copied..i]);
        xml.extend_from_slice(escape);
        i += skip;
        copied = i;
    }
    xml.extend_from_slice(&bytes[copied..]);
}

/// Whether `bytes` start with what the *written* text would show as `_xHHHH_`: the literal
/// `_xHHHH_`, or `_xHHHH` right before a character that is itself written as a `_xHHHH_`
/// escape (a control character, U+FFFE, U+FFFF), whose first underscore would close it.
fn looks_like_escape(bytes: &[u8]) -> bool {
    let Some([b'_', b'x', hex @ ..]) = bytes.get(..6) else {
        return false;
    };
    hex.iter().all(u8::is_ascii_hexdigit)
        && match bytes.get(6..) {
            Some([b'_', ..]) => true,
            Some(rest) => starts_code_escape(rest),
            None => false,
        }
}

/// Whether `bytes` start with a character that `push_escaped` writes as `_xHHHH_`.
fn starts_code_escape(bytes: &[u8]) -> bool {
    match bytes {
        [b'\t' | b'\n', ..] => false,
        [0x00..=0x1F, ..] => true,
        [0xEF, 0xBF, 0xBE | 0xBF, ..] => true,
        _ => false,
    }
}

fn push_code_escape(xml: &mut Vec<u8>, code: u32) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    xml.extend_from_slice(b"_x");
    for shift in [12, 8, 4, 0] {
        xml.push(HEX[((code >> shift) & 0xF) as usize]);
    }
    xml.push(b'_');
}

fn push_u64(xml: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        #[allow(clippy::cast_possible_truncation)] // 0..10
        let digit = (n % 10) as u8;
        digits[i] = b'0' + digit;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    xml.extend_from_slice(&digits[i..]);
}

fn push_i64(xml: &mut Vec<u8>, n: i64) {
    if n < 0 {
        xml.push(b'-');
    }
    push_u64(xml, n.unsigned_abs());
}

fn push_f64(xml: &mut Vec<u8>, n: f64) {
    // Rust's shortest form that reads back to the same f64 (never an exponent).
    let _ = write!(xml, "{n}");
}

/// A China-time date-time as Excel's serial number: days since 1899-12-31 with Excel's false
/// 29 February 1900 counted, the time as a fraction of a day (as `rust_xlsxwriter`'s
/// `ExcelDateTime` computes it). `None` outside Excel's calendar (1900 to 9999).
fn excel_serial(t: DateTime) -> Option<f64> {
    let (year, month, day) = (
        i64::from(t.year()),
        i64::from(t.month()),
        i64::from(t.day()),
    );
    // Excel's day 0 is 1899-12-31 ("1900-01-00").
    if year > 9999 || (year < 1900 && (year, month, day) != (1899, 12, 31)) {
        return None;
    }
    let mut days = days_from_civil(year, month, day) - days_from_civil(1899, 12, 31);
    // Excel counts a 29 February 1900 that never was.
    if days > 59 {
        days += 1;
    }
    let seconds =
        (f64::from(t.hour()) * 60.0 * 60.0 + f64::from(t.minute()) * 60.0 + f64::from(t.second()))
            / (24.0 * 60.0 * 60.0);
    #[allow(clippy::cast_precision_loss)] // under 3 million days
    Some(days as f64 + seconds)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
const fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn root_rels() -> String {
    format!(
        "{XML_DECLARATION}<Relationships xmlns=\"{NS_RELS}\"><Relationship Id=\"rId1\" \
         Type=\"{REL_TYPE}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"
    )
}

fn styles() -> String {
    let xfs: String = CELL_XFS.concat();
    format!(
        "{XML_DECLARATION}<styleSheet xmlns=\"{NS_MAIN}\">\
         <numFmts count=\"1\"><numFmt numFmtId=\"164\" formatCode=\"{TIME_FORMAT}\"/></numFmts>\
         <fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>\
         <font><b/><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font></fonts>\
         <fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill>\
         <fill><patternFill patternType=\"gray125\"/></fill></fills>\
         <borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
         <cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/>\
         </cellStyleXfs><cellXfs count=\"{}\">{xfs}</cellXfs>\
         <cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>\
         <dxfs count=\"0\"/><tableStyles count=\"0\" defaultTableStyle=\"TableStyleMedium9\" \
         defaultPivotStyle=\"PivotStyleLight16\"/></styleSheet>",
        CELL_XFS.len()
    )
}

/// The sheets are named as Excel names them: Sheet1, Sheet2…
fn workbook(sheets: u32) -> String {
    let list: String = (1..=sheets)
        .map(|n| format!("<sheet name=\"Sheet{n}\" sheetId=\"{n}\" r:id=\"rId{n}\"/>"))
        .collect();
    format!(
        "{XML_DECLARATION}<workbook xmlns=\"{NS_MAIN}\" xmlns:r=\"{REL_TYPE}\"><bookViews>\
         <workbookView/></bookViews><sheets>{list}</sheets></workbook>"
    )
}

fn workbook_rels(sheets: u32) -> String {
    let list: String = (1..=sheets)
        .map(|n| {
            format!(
                "<Relationship Id=\"rId{n}\" Type=\"{REL_TYPE}/worksheet\" \
                 Target=\"worksheets/sheet{n}.xml\"/>"
            )
        })
        .collect();
    format!(
        "{XML_DECLARATION}<Relationships xmlns=\"{NS_RELS}\">{list}<Relationship Id=\"rId{}\" \
         Type=\"{REL_TYPE}/styles\" Target=\"styles.xml\"/></Relationships>",
        sheets + 1
    )
}

fn content_types(sheets: u32) -> String {
    const OFFICE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml";
    let list: String = (1..=sheets)
        .map(|n| {
            format!(
                "<Override PartName=\"/xl/worksheets/sheet{n}.xml\" \
                 ContentType=\"{OFFICE}.worksheet+xml\"/>"
            )
        })
        .collect();
    format!(
        "{XML_DECLARATION}<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
         <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
         <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
         <Override PartName=\"/xl/workbook.xml\" ContentType=\"{OFFICE}.sheet.main+xml\"/>\
         <Override PartName=\"/xl/styles.xml\" ContentType=\"{OFFICE}.styles+xml\"/>{list}</Types>"
    )
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Seek};

    use calamine::{Data, Reader as _};
    use proptest::prelude::*;

    use super::*;

    /// 19 columns (as many as agent-ops' export: `id`, `phone`, ...), of several widths.
    fn columns() -> Vec<Column> {
        (0..19)
            .map(|i| {
                let header = match i {
                    0 => "id".to_string(),
                    1 => "phone".to_string(),
                    i => format!("column {i}"),
                };
                Column::new(header, [11.0, 18.0, 20.0, 24.0][i % 4])
            })
            .collect()
    }

    /// A workbook of `rows` (after the header), its bytes.
    fn book<'a>(rows: impl IntoIterator<Item = Vec<Cell<'a>>>) -> Vec<u8> {
        let mut file = tempfile::tempfile().unwrap();
        let mut book = Workbook::new(file.try_clone().unwrap(), columns()).unwrap();
        for row in rows {
            book.write_row(&row).unwrap();
        }
        book.finish().unwrap();
        file.rewind().unwrap();
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        bytes
    }

    fn sheets(bytes: &[u8]) -> Vec<(String, calamine::Range<Data>)> {
        let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        workbook.worksheets()
    }

    /// What Excel keeps of `text`: at most 32,767 UTF-16 code units, whole characters.
    fn kept(text: &str) -> String {
        let mut units = 0;
        text.chars()
            .take_while(|c| {
                units += c.len_utf16();
                units <= MAX_CELL_CHARS
            })
            .collect()
    }

    fn read_back(texts: &[String]) -> Vec<Data> {
        let bytes = book(
            texts
                .iter()
                .map(|t| vec![Cell::Integer(1), Cell::Text(t.into())]),
        );
        let sheets = sheets(&bytes);
        assert_eq!(sheets.len(), 1);
        let range = &sheets[0].1;
        (1..=texts.len())
            .map(|row| {
                range
                    .get_value((u32::try_from(row).unwrap(), 1))
                    .cloned()
                    .unwrap_or(Data::Empty)
            })
            .collect()
    }

    fn expected(text: &str) -> Data {
        if text.is_empty() {
            Data::Empty
        } else {
            Data::String(kept(text))
        }
    }

    #[test]
    fn nasty_strings_read_back_as_written() {
        let nasty: Vec<String> = [
            "\0",
            "a\0b",
            "\u{1}",
            "\u{1f}\u{b}\u{c}\u{7f}",
            "tab\tand\nnewline",
            "cr\rlf\r\n",
            "_x0041_",
            "_x005F_x0041_",
            "_X0041_ _x004_ _x00G1_ _x0041",
            "<script>alert('x')</script>",
            "&amp; & \"quoted\" 'single' ]]>",
            "=HYPERLINK(\"http://evil.example\")",
            "\u{FFFE}\u{FFFF}\u{FFFD}",
            "😀👨‍👩‍👧 emoji",
            "北京市 朝阳区",
            " leading space",
            "trailing space ",
            "\tleading tab",
            "trailing newline\n",
            "   ",
            "",
            "\u{3000}ideographic space\u{3000}",
        ]
        .into_iter()
        .map(String::from)
        .chain([
            "x".repeat(40_000),
            "号".repeat(40_000),
            // Two UTF-16 units each: the cut never splits one.
            "😀".repeat(20_000),
            format!("{}_x0041_", "y".repeat(32_760)),
            "_x0000_".repeat(6_000),
        ])
        .collect();
        let got = read_back(&nasty);
        for (text, got) in nasty.iter().zip(&got) {
            assert_eq!(
                *got,
                expected(text),
                "{:?}",
                text.chars().take(40).collect::<String>()
            );
        }
        assert_eq!(kept(&"😀".repeat(20_000)).chars().count(), 16_383);
        assert_eq!(truncate(&"x".repeat(40_000)).len(), MAX_CELL_CHARS);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_text_reads_back_as_written(
            texts in prop::collection::vec(
                prop_oneof![
                    any::<String>(),
                    "[\\x00-\\x1f_x0-9A-Fa-f&<>\"' \\t\\n\\r\u{FFFE}\u{FFFF}😀号]{0,40}",
                ],
                1..20,
            )
        ) {
            let got = read_back(&texts);
            for (text, got) in texts.iter().zip(&got) {
                prop_assert_eq!(got, &expected(text), "{:?}", text);
            }
        }
    }

    #[test]
    fn escaping_follows_excel() {
        let escaped = |text: &str| {
            let mut xml = Vec::new();
            push_escaped(&mut xml, text);
            String::from_utf8(xml).unwrap()
        };
        assert_eq!(escaped("a&b<c>d\"e"), "a&amp;b&lt;c&gt;d&quot;e");
        assert_eq!(escaped("\0\u{1}\r\t\n"), "_x0000__x0001__x000D_\t\n");
        assert_eq!(escaped("_x0041_"), "_x005F_x0041_");
        assert_eq!(escaped("_x005F_x0041_"), "_x005F_x005F_x005F_x0041_");
        assert_eq!(escaped("_x00G1_ _X0041_ _x004"), "_x00G1_ _X0041_ _x004");
        assert_eq!(
            escaped("\u{FFFE}\u{FFFF}\u{FFFD}"),
            "_xFFFE__xFFFF_\u{FFFD}"
        );
        assert_eq!(escaped("北京 😀"), "北京 😀");
        // `_xHHHH` before a character written as an escape: that escape's underscore would
        // close it, so its own underscore is escaped (found by `any_text_reads_back_as_written`).
        assert_eq!(escaped("_x0AAA\0"), "_x005F_x0AAA_x0000_");
        assert_eq!(escaped("_x0AAA\u{FFFF}"), "_x005F_x0AAA_xFFFF_");
        assert_eq!(escaped("_x0AAA\t"), "_x0AAA\t");
        assert_eq!(escaped("_x0AA\0"), "_x0AA_x0000_");
    }

    #[test]
    fn hex_then_a_control_character_reads_back_as_written() {
        let texts = [
            "_x0AAA\0".to_string(),
            "_x0041\u{1}_x0042\u{1f}".to_string(),
            "a_xFFFF\u{FFFE}b".to_string(),
            "__x0000\r".to_string(),
        ];
        let got = read_back(&texts);
        for (text, got) in texts.iter().zip(&got) {
            assert_eq!(got, &expected(text), "{text:?}");
        }
    }

    #[test]
    fn cells_keep_their_types() {
        let time = jiff::civil::date(2026, 12, 2).at(14, 5, 9, 0);
        let bytes = book([vec![
            Cell::Integer(-42),
            Cell::Text("13800000000".into()),
            Cell::Number(1.5),
            Cell::Time(time),
            Cell::Time(jiff::civil::date(1850, 1, 1).at(0, 0, 0, 0)),
            Cell::Empty,
            Cell::Integer(i64::MAX),
        ]]);
        let sheets = sheets(&bytes);
        let range = &sheets[0].1;
        assert_eq!(range.get_value((0, 0)), Some(&Data::String("id".into())));
        assert_eq!(range.get_value((1, 0)), Some(&Data::Float(-42.0)));
        assert_eq!(
            range.get_value((1, 1)),
            Some(&Data::String("13800000000".into())),
            "a phone stays text"
        );
        assert_eq!(range.get_value((1, 2)), Some(&Data::Float(1.5)));
        match range.get_value((1, 3)) {
            Some(Data::DateTime(t)) => {
                assert_eq!(t.to_ymd_hms_milli(), (2026, 12, 2, 14, 5, 9, 0));
            }
            other => panic!("a date cell, not {other:?}"),
        }
        assert_eq!(
            range.get_value((1, 4)),
            Some(&Data::String("1850-01-01T00:00:00".into())),
            "outside Excel's calendar: text"
        );
        assert!(matches!(range.get_value((1, 5)), None | Some(Data::Empty)));
        #[allow(clippy::cast_precision_loss)]
        let max = i64::MAX as f64;
        assert_eq!(range.get_value((1, 6)), Some(&Data::Float(max)));
    }

    #[test]
    fn serial_numbers_are_excels() {
        let at = |y, m, d, h, mi, s| excel_serial(jiff::civil::date(y, m, d).at(h, mi, s, 0));
        assert_eq!(at(1899, 12, 31, 0, 0, 0), Some(0.0));
        assert_eq!(at(1899, 12, 30, 23, 0, 0), None);
        assert_eq!(at(1, 1, 1, 0, 0, 0), None);
        assert_eq!(at(1900, 1, 1, 0, 0, 0), Some(1.0));
        assert_eq!(at(1900, 2, 28, 0, 0, 0), Some(59.0));
        // 60 is Excel's 29 February 1900.
        assert_eq!(at(1900, 3, 1, 0, 0, 0), Some(61.0));
        assert_eq!(at(2000, 1, 1, 12, 0, 0), Some(36_526.5));
        assert_eq!(at(2026, 12, 2, 6, 0, 0), Some(46_358.25));
        assert_eq!(at(9999, 12, 31, 0, 0, 0), Some(2_958_465.0));
        // As rust_xlsxwriter computes a time: (h·3600 + m·60 + s) / 86,400.
        assert_eq!(
            at(2026, 12, 2, 14, 5, 9),
            Some(46_358.0 + (14.0 * 3600.0 + 5.0 * 60.0 + 9.0) / 86_400.0)
        );
    }

    #[test]
    fn column_widths_are_stored_as_excel_stores_them() {
        assert!((stored_width(11.0) - 11.710_937_5).abs() < f64::EPSILON);
        assert!((stored_width(20.0) - 20.710_937_5).abs() < f64::EPSILON);
        let mut name = Vec::new();
        for col in [0, 18, 25, 26, 701, 702] {
            push_col_name(&mut name, col);
            name.push(b' ');
        }
        assert_eq!(name, b"A S Z AA ZZ AAA ");
    }

    fn entry(archive: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>, name: &str) -> String {
        let mut text = String::new();
        archive
            .by_name(name)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .read_to_string(&mut text)
            .unwrap();
        text
    }

    /// Reads an XML part to its end: well-formed (tags matched) or a panic. Returns each
    /// element's name with its attributes.
    fn elements(name: &str, xml: &str) -> Vec<(String, Vec<(String, String)>)> {
        use quick_xml::events::Event;
        let mut reader = quick_xml::Reader::from_str(xml);
        reader.config_mut().check_end_names = true;
        let mut depth = 0usize;
        let mut found = Vec::new();
        loop {
            let event = reader
                .read_event()
                .unwrap_or_else(|e| panic!("{name} is not well-formed: {e}"));
            let start = match &event {
                Event::Start(e) => {
                    depth += 1;
                    Some(e)
                }
                Event::Empty(e) => Some(e),
                Event::End(_) => {
                    depth -= 1;
                    None
                }
                Event::Eof => break,
                _ => None,
            };
            if let Some(e) = start {
                let attributes = e
                    .attributes()
                    .map(|a| {
                        let a = a.unwrap_or_else(|e| panic!("{name}: {e}"));
                        (a.key.as_ref().to_string(), a.value.to_string())
                    })
                    .collect();
                found.push((e.name().as_ref().to_string(), attributes));
            }
        }
        assert_eq!(depth, 0, "{name}: every element closed");
        found
    }

    fn attribute<'a>(element: &'a (String, Vec<(String, String)>), key: &str) -> Option<&'a str> {
        element
            .1
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every part there and well-formed, every sheet listed, every style index in range.
    fn check_package(bytes: &[u8], sheets: u32) {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut names: Vec<String> = archive
            .file_names()
            .map(|n| n.unwrap().into_owned())
            .collect();
        names.sort();
        let mut want: Vec<String> = [
            "[Content_Types].xml",
            "_rels/.rels",
            "xl/_rels/workbook.xml.rels",
            "xl/styles.xml",
            "xl/workbook.xml",
        ]
        .into_iter()
        .map(String::from)
        .chain((1..=sheets).map(|n| format!("xl/worksheets/sheet{n}.xml")))
        .collect();
        want.sort();
        assert_eq!(names, want);
        let parts: Vec<_> = names
            .iter()
            .map(|name| {
                let text = entry(&mut archive, name);
                (name.clone(), elements(name, &text))
            })
            .collect();
        let part = |name: &str| &parts.iter().find(|(n, _)| n == name).unwrap().1;

        let overrides: Vec<&str> = part("[Content_Types].xml")
            .iter()
            .filter(|e| e.0 == "Override")
            .filter_map(|e| attribute(e, "PartName"))
            .collect();
        for name in names
            .iter()
            .filter(|n| !n.ends_with(".rels") && *n != "[Content_Types].xml")
        {
            assert!(
                overrides.contains(&format!("/{name}").as_str()),
                "{name} has a content type"
            );
        }
        let listed: Vec<&str> = part("xl/workbook.xml")
            .iter()
            .filter(|e| e.0 == "sheet")
            .filter_map(|e| attribute(e, "name"))
            .collect();
        let named: Vec<String> = (1..=sheets).map(|n| format!("Sheet{n}")).collect();
        assert_eq!(listed, named);
        let targets: Vec<&str> = part("xl/_rels/workbook.xml.rels")
            .iter()
            .filter_map(|e| attribute(e, "Target"))
            .collect();
        for n in 1..=sheets {
            assert!(targets.contains(&format!("worksheets/sheet{n}.xml").as_str()));
        }
        assert!(targets.contains(&"styles.xml"));

        // Excel refuses a file whose style indexes are out of range.
        let styles = part("xl/styles.xml");
        let position = |name: &str| styles.iter().position(|e| e.0 == name).unwrap();
        let (xfs, cell_styles) = (position("cellXfs"), position("cellStyles"));
        let count: usize = attribute(&styles[xfs], "count").unwrap().parse().unwrap();
        let declared = styles[xfs + 1..cell_styles]
            .iter()
            .filter(|e| e.0 == "xf")
            .count();
        assert_eq!(count, declared, "cellXfs' count");
        let fonts: usize = attribute(&styles[position("fonts")], "count")
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(fonts, styles.iter().filter(|e| e.0 == "font").count());
        for xf in &styles[xfs + 1..cell_styles] {
            let font: usize = attribute(xf, "fontId").unwrap().parse().unwrap();
            assert!(font < fonts);
            let format = attribute(xf, "numFmtId").unwrap();
            assert!(
                format == "0"
                    || styles
                        .iter()
                        .any(|e| e.0 == "numFmt" && attribute(e, "numFmtId") == Some(format))
            );
        }
        for n in 1..=sheets {
            let sheet = part(&format!("xl/worksheets/sheet{n}.xml"));
            for cell in sheet.iter().filter(|e| e.0 == "c") {
                if let Some(s) = attribute(cell, "s") {
                    assert!(s.parse::<usize>().unwrap() < count, "style {s} in range");
                }
            }
            let pane = sheet.iter().find(|e| e.0 == "pane").expect("a frozen pane");
            assert_eq!(attribute(pane, "state"), Some("frozen"));
            assert_eq!(attribute(pane, "ySplit"), Some("1"));
            let widths = sheet.iter().filter(|e| e.0 == "col").count();
            assert_eq!(widths, columns().len());
            let order: Vec<&str> = sheet
                .iter()
                .map(|e| e.0.as_str())
                .filter(|n| ["sheetViews", "cols", "sheetData"].contains(n))
                .collect();
            assert_eq!(order, ["sheetViews", "cols", "sheetData"]);
            let header = sheet.iter().find(|e| e.0 == "c").unwrap();
            assert_eq!(attribute(header, "r"), Some("A1"));
            assert_eq!(
                attribute(header, "s"),
                Some(STYLE_BOLD.to_string().as_str())
            );
        }
    }

    #[test]
    fn parts_are_well_formed_listed_and_styled_in_range() {
        let time = jiff::civil::date(2026, 12, 2).at(14, 5, 9, 0);
        let bytes = book((0..500).map(|i| {
            vec![
                Cell::Integer(i),
                Cell::Text(format!("<{i}> & \u{1} _x0041_").into()),
                Cell::Time(time),
                Cell::Number(0.25),
            ]
        }));
        check_package(&bytes, 1);
        assert_eq!(sheets(&bytes)[0].1.height(), 501);
    }

    #[test]
    fn past_excels_last_row_a_new_sheet_with_the_header() {
        let mut file = tempfile::tempfile().unwrap();
        let mut book = Workbook::new(file.try_clone().unwrap(), columns()).unwrap();
        let rows = i64::from(LAST_ROW) + 3;
        for i in 0..rows {
            book.write_row(&[Cell::Integer(i)]).unwrap();
        }
        assert_eq!(book.sheets(), 2);
        book.finish().unwrap();
        file.rewind().unwrap();
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        let sheets = sheets(&bytes);
        assert_eq!(
            sheets.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
            ["Sheet1", "Sheet2"]
        );
        let (first, second) = (&sheets[0].1, &sheets[1].1);
        assert_eq!(first.height(), 1_048_576, "Excel's every row");
        assert_eq!(
            first.get_value((LAST_ROW, 0)),
            Some(&Data::Float(f64::from(LAST_ROW) - 1.0))
        );
        assert_eq!(second.height(), 4, "the header and the three rows left");
        assert_eq!(
            second.get_value((0, 1)),
            Some(&Data::String("phone".into()))
        );
        assert_eq!(
            second.get_value((3, 0)),
            Some(&Data::Float(f64::from(LAST_ROW) + 2.0))
        );
        // Its header is bold and frozen too (the rows' XML is large: checked on sheet 2 only).
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&bytes[..])).unwrap();
        let xml = entry(&mut archive, "xl/worksheets/sheet2.xml");
        assert!(xml.contains(
            "<pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>"
        ));
        assert!(xml.contains("<c r=\"A1\" s=\"1\" t=\"inlineStr\">"));
        assert!(!xml.contains("tabSelected"), "one selected tab");
        elements("sheet2", &xml);
    }

    #[test]
    fn an_unfinished_workbook_is_dropped_quietly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("partial.xlsx");
        let mut book = Workbook::new(File::create(&path).unwrap(), columns()).unwrap();
        for i in 0..5_000 {
            book.write_row(&[Cell::Integer(i), Cell::Text("x".repeat(50).into())])
                .unwrap();
        }
        let before = std::fs::metadata(&path).unwrap().len();
        drop(book);
        let after = std::fs::metadata(&path).unwrap().len();
        assert!(
            after <= before + (1 << 16),
            "no zip directory added: {before} → {after}"
        );
        assert!(
            zip::ZipArchive::new(File::open(&path).unwrap()).is_err(),
            "an abandoned file is not a workbook"
        );
    }
}
