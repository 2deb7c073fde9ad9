//! A task's progress in figures, and the two charts of `/stats`: a text bar chart that every
//! transport shows (Unicode eighth blocks, labels padded by their display width so Chinese
//! aligns), and a PNG drawn with plotters for the transports that show images.
//!
//! The PNG's text is drawn with the font committed beside this crate
//! (`assets/NotoSansSC-subset.otf`, a subset of Noto Sans CJK SC under the SIL Open Font
//! License): it holds every glyph of the chart's labels in both languages
//! (`assets/chart-labels.txt`, kept current by a test) and printable ASCII, so no label is drawn
//! as a missing-glyph box and no system font library is needed.

use std::sync::OnceLock;

use agent_core::{CallStatus, StatusGroup, StatusSet, StatusSummary};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, RGBColor};

use crate::i18n::Lang;
use crate::messages::Msg;
use crate::reply::{Align, Table};

/// The chart's font: a subset of Noto Sans CJK SC (see `assets/make-font-subset.sh`).
pub const CHART_FONT: &[u8] = include_bytes!("../assets/NotoSansSC-subset.otf");
/// The name the font is registered under with plotters.
const FONT_NAME: &str = "agent-ops-chart";

/// The PNG's width in pixels.
pub const CHART_WIDTH: u32 = 800;
/// The PNG's height in pixels.
pub const CHART_HEIGHT: u32 = 520;
/// Cells of the longest bar of the text chart.
pub const BAR_CELLS: usize = 20;

/// Eighths of a cell, from none to seven.
const PARTIAL: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
const FULL: char = '█';

/// A task's progress, from counts per status. Counts come from the platform: every sum
/// saturates and no rate divides by zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    /// Every number counted.
    pub total: u64,
    /// Not dialled yet.
    pub waiting: u64,
    /// Dialled: every status but waiting.
    pub dialled: u64,
    /// Connected.
    pub connected: u64,
    /// Worth another try ([`StatusGroup::Retryable`]).
    pub retryable: u64,
    /// Another try will not help ([`StatusGroup::Permanent`]).
    pub permanent: u64,
    /// The count of every status counted (the filter's, or all thirteen), in code order.
    pub statuses: Vec<(CallStatus, u64)>,
}

impl Figures {
    /// The figures of `summary`, which counted `counted` (empty: every status).
    pub fn of(summary: &StatusSummary, counted: StatusSet) -> Self {
        let counted = if counted.is_empty() {
            StatusSet::all()
        } else {
            counted
        };
        let sum = |set: StatusSet| {
            set.iter()
                .fold(0u64, |sum, status| sum.saturating_add(summary.get(status)))
        };
        let total = summary.total();
        let waiting = summary.get(CallStatus::Waiting);
        Self {
            total,
            waiting,
            dialled: total.saturating_sub(waiting),
            connected: summary.get(CallStatus::Connected),
            retryable: sum(StatusGroup::Retryable.statuses()),
            permanent: sum(StatusGroup::Permanent.statuses()),
            statuses: counted.iter().map(|s| (s, summary.get(s))).collect(),
        }
    }

    /// Connected / dialled, as `37.5%`, or [`Msg::NoRate`] when nothing was dialled.
    pub fn connect_rate(&self, lang: Lang) -> String {
        percent(self.connected, self.dialled).unwrap_or_else(|| Msg::NoRate.text(lang))
    }
}

/// `part` of `whole` as a percentage with one decimal (`12.5%`); `None` when `whole` is 0.
pub fn percent(part: u64, whole: u64) -> Option<String> {
    if whole == 0 {
        return None;
    }
    // In tenths of a percent, rounded, without overflow whatever the counts.
    let tenths = (u128::from(part) * 1000 + u128::from(whole) / 2) / u128::from(whole);
    Some(format!("{}.{}%", tenths / 10, tenths % 10))
}

/// A bar of `value` against `max` in at most `cells` cells, in eighths of a cell (`███▍`). A
/// value above zero shows at least an eighth; zero, or a `max` of zero, shows nothing.
pub fn bar(value: u64, max: u64, cells: usize) -> String {
    if max == 0 || value == 0 {
        return String::new();
    }
    let value = value.min(max);
    let cells_u128 = u128::try_from(cells).unwrap_or(u128::MAX);
    let eighths = (u128::from(value) * cells_u128 * 8 + u128::from(max) / 2) / u128::from(max);
    let eighths = usize::try_from(eighths).unwrap_or(usize::MAX).max(1);
    let mut out: String = std::iter::repeat_n(FULL, eighths / 8).collect();
    out.push_str(PARTIAL[eighths % 8]);
    out
}

/// The text bar chart: one row per status counted (its label, its count, its share of the
/// total, its bar), for a monospace font; [`Table::to_monospace`] pads the label column by
/// display width, so Chinese labels align with Latin ones.
pub fn text_chart(figures: &Figures, lang: Lang) -> Table {
    let max = figures.statuses.iter().map(|(_, n)| *n).max().unwrap_or(0);
    Table {
        columns: vec![
            (Msg::ColumnStatus.text(lang), Align::Left),
            (Msg::ColumnCount.text(lang), Align::Right),
            (Msg::ColumnShare.text(lang), Align::Right),
            (String::new(), Align::Left),
        ],
        rows: figures
            .statuses
            .iter()
            .map(|(status, n)| {
                vec![
                    lang.status(*status).to_string(),
                    // Grouped: a count of seven digits or more is never taken for a phone.
                    crate::messages::grouped(*n),
                    percent(*n, figures.total).unwrap_or_else(|| "-".to_string()),
                    bar(*n, max, BAR_CELLS),
                ]
            })
            .collect(),
    }
}

/// Every text the PNG may draw, in both languages, with sample figures: the title, the
/// caption, the labels of every status, the empty rate, digits and the signs of numbers. The
/// committed font must hold a glyph for each of their characters.
pub fn chart_texts() -> Vec<String> {
    let mut texts = vec!["0123456789.,%-".to_string()];
    for lang in [Lang::En, Lang::Zh] {
        texts.push(Msg::ChartTitle.text(lang));
        texts.push(Msg::NoRate.text(lang));
        texts.push(
            Msg::ChartCaption {
                total: 1_234_567_890,
                dialled: 0,
                rate: "99.9%",
            }
            .text(lang),
        );
        texts.extend(
            agent_core::status::ALL_STATUSES
                .iter()
                .map(|s| lang.status(*s).to_string()),
        );
    }
    texts
}

/// Why the PNG could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The committed font could not be loaded.
    #[error("the chart's font cannot be loaded: {0}")]
    Font(String),
    /// Drawing failed.
    #[error("drawing the chart failed: {0}")]
    Draw(String),
    /// Encoding the PNG failed.
    #[error("encoding the chart failed: {0}")]
    Encode(#[from] png::EncodingError),
}

/// Registers the committed font with plotters, once.
fn font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(FONT_NAME, FontStyle::Normal, CHART_FONT)
                .map_err(|_| "not a font plotters can read".to_string())
        })
        .clone()
        .map_err(ChartError::Font)
}

/// The colour of a status's bar: grey waiting, green connected, amber retryable, red
/// permanent, blue the rest.
fn colour(status: CallStatus) -> RGBColor {
    if status == CallStatus::Waiting {
        RGBColor(150, 150, 150)
    } else if status == CallStatus::Connected {
        RGBColor(46, 160, 67)
    } else if StatusGroup::Retryable.statuses().contains(status) {
        RGBColor(230, 150, 30)
    } else if StatusGroup::Permanent.statuses().contains(status) {
        RGBColor(205, 60, 60)
    } else {
        RGBColor(70, 110, 200)
    }
}

/// The chart as a PNG of [`CHART_WIDTH`] × [`CHART_HEIGHT`]: a title, one bar per status counted
/// with its label and count, and a caption (total, dialled, connect rate), in `lang`.
pub fn png_chart(figures: &Figures, lang: Lang) -> Result<Vec<u8>, ChartError> {
    font()?;
    let (width, height) = (CHART_WIDTH, CHART_HEIGHT);
    let mut pixels = vec![255u8; usize::try_from(width * height * 3).unwrap_or(0)];
    draw(&mut pixels, figures, lang).map_err(|e| ChartError::Draw(e.to_string()))?;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&pixels)?;
    writer.finish()?;
    Ok(out)
}

fn draw(
    pixels: &mut [u8],
    figures: &Figures,
    lang: Lang,
) -> Result<(), Box<dyn std::error::Error>> {
    let root = BitMapBackend::with_buffer(pixels, (CHART_WIDTH, CHART_HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let text = |size: f64| {
        TextStyle::from(FontDesc::new(
            FontFamily::Name(FONT_NAME),
            size,
            FontStyle::Normal,
        ))
        .color(&BLACK)
    };
    let width = i32::try_from(CHART_WIDTH).unwrap_or(i32::MAX);
    let height = i32::try_from(CHART_HEIGHT).unwrap_or(i32::MAX);
    root.draw(&Text::new(Msg::ChartTitle.text(lang), (24, 16), text(26.0)))?;
    let caption = Msg::ChartCaption {
        total: figures.total,
        dialled: figures.dialled,
        rate: &figures.connect_rate(lang),
    }
    .text(lang);
    root.draw(&Text::new(caption, (24, height - 40), text(18.0)))?;

    let (top, bottom) = (64, height - 56);
    let rows = i32::try_from(figures.statuses.len().max(1)).unwrap_or(1);
    let row = ((bottom - top) / rows).clamp(1, 40);
    let (label_x, bar_x, bar_end) = (24, 210, width - 110);
    let max = figures.statuses.iter().map(|(_, n)| *n).max().unwrap_or(0);
    for (i, (status, n)) in (0..).zip(&figures.statuses) {
        let y = top + i * row;
        let size = f64::from(row.min(26)) * 0.7;
        let middle = |style: TextStyle<'static>| style.pos(Pos::new(HPos::Left, VPos::Center));
        root.draw(&Text::new(
            lang.status(*status).to_string(),
            (label_x, y + row / 2),
            middle(text(size)),
        ))?;
        let length = if max == 0 {
            0
        } else {
            let span = u128::try_from(bar_end - bar_x).unwrap_or(0);
            i32::try_from(u128::from(*n) * span / u128::from(max)).unwrap_or(0)
        };
        if *n > 0 {
            root.draw(&Rectangle::new(
                [(bar_x, y + 4), (bar_x + length.max(2), y + row - 4)],
                colour(*status).filled(),
            ))?;
        }
        root.draw(&Text::new(
            crate::messages::grouped(*n),
            (bar_x + length.max(2) + 8, y + row / 2),
            middle(text(size)),
        ))?;
    }
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(counts: &[(CallStatus, u64)]) -> StatusSummary {
        let mut summary = StatusSummary::default();
        for (status, n) in counts {
            summary.add(*status, *n);
        }
        summary
    }

    fn sample() -> Figures {
        Figures::of(
            &summary(&[
                (CallStatus::Waiting, 120),
                (CallStatus::Connected, 45),
                (CallStatus::Rejected, 7),
                (CallStatus::NoAnswer, 30),
                (CallStatus::VacantNumber, 4),
                (CallStatus::PoweredOff, 9),
                (CallStatus::Busy, 16),
                (CallStatus::Arrears, 1),
            ]),
            StatusSet::empty(),
        )
    }

    #[test]
    fn figures_add_up_and_never_divide_by_zero() {
        let figures = sample();
        assert_eq!(figures.total, 232);
        assert_eq!(figures.waiting, 120);
        assert_eq!(figures.dialled, 112);
        assert_eq!(figures.retryable, 7 + 30 + 9 + 16);
        assert_eq!(figures.permanent, 4 + 1);
        assert_eq!(figures.statuses.len(), 13);
        assert_eq!(
            figures.statuses.iter().map(|(_, n)| n).sum::<u64>(),
            figures.total
        );
        assert_eq!(figures.connect_rate(Lang::En), "40.2%");
        let none = Figures::of(&StatusSummary::default(), StatusSet::empty());
        assert_eq!(none.connect_rate(Lang::En), "n/a");
        assert_eq!(percent(1, 3).as_deref(), Some("33.3%"));
        assert_eq!(percent(2, 3).as_deref(), Some("66.7%"));
        assert_eq!(percent(u64::MAX, u64::MAX).as_deref(), Some("100.0%"));
        // Hostile counts saturate.
        let huge = Figures::of(
            &summary(&[(CallStatus::Busy, u64::MAX), (CallStatus::NoAnswer, 5)]),
            StatusSet::empty(),
        );
        assert_eq!(huge.total, u64::MAX);
        assert_eq!(huge.retryable, u64::MAX);
        // A status filter counts only those statuses.
        let busy = Figures::of(
            &summary(&[(CallStatus::Busy, 3)]),
            StatusSet::parse_list("busy,no-answer").unwrap(),
        );
        assert_eq!(
            busy.statuses,
            vec![(CallStatus::NoAnswer, 0), (CallStatus::Busy, 3)]
        );
    }

    #[test]
    fn a_count_of_seven_digits_survives_the_outbound_rule() {
        let figures = Figures::of(
            &summary(&[(CallStatus::Busy, 1_234_567), (CallStatus::NoAnswer, 3)]),
            StatusSet::empty(),
        );
        let rule = crate::outbound::Outbound::new(true, None);
        for lang in [Lang::En, Lang::Zh] {
            let shown = rule.text(&text_chart(&figures, lang).to_monospace());
            assert!(shown.contains("1,234,567"), "{shown}");
            assert!(!shown.contains('*'), "nothing masked: {shown}");
        }
    }

    #[test]
    fn bars_are_in_eighths_of_a_cell() {
        assert_eq!(bar(10, 10, 4), "████");
        assert_eq!(bar(5, 10, 4), "██");
        assert_eq!(bar(1, 16, 2), "▏");
        assert_eq!(bar(3, 16, 2), "▍");
        assert_eq!(bar(1, 1_000_000, 20), "▏", "above zero shows");
        assert_eq!(bar(0, 10, 20), "");
        assert_eq!(bar(10, 0, 20), "");
        assert_eq!(bar(u64::MAX, u64::MAX, 20).chars().count(), 20);
        assert_eq!(bar(u64::MAX, 1, 3), "███", "never past the longest");
    }

    #[test]
    fn the_text_chart_in_english() {
        insta::assert_snapshot!(text_chart(&sample(), Lang::En).to_monospace());
    }

    #[test]
    fn the_text_chart_in_chinese() {
        let chart = text_chart(&sample(), Lang::Zh).to_monospace();
        // Every bar starts in the same display column, whatever the labels' scripts.
        let columns: Vec<usize> = chart
            .lines()
            .skip(1)
            .filter_map(|line| {
                let at = line.find(['█', '▏', '▎', '▍', '▌', '▋', '▊', '▉'])?;
                Some(unicode_width::UnicodeWidthStr::width(&line[..at]))
            })
            .collect();
        assert!(columns.len() >= 8, "{chart}");
        assert!(columns.windows(2).all(|w| w[0] == w[1]), "{chart}");
        insta::assert_snapshot!(chart);
    }

    #[test]
    fn every_chart_label_has_a_glyph_in_the_committed_font() {
        use ab_glyph::Font as _;
        let font = ab_glyph::FontRef::try_from_slice(CHART_FONT).unwrap();
        let mut missing = std::collections::BTreeSet::new();
        for text in chart_texts() {
            for c in text.chars().filter(|c| !c.is_whitespace()) {
                if font.glyph_id(c).0 == 0 {
                    missing.insert(c);
                }
            }
        }
        assert!(
            missing.is_empty(),
            "no glyph for {missing:?}: run crates/chatops/assets/make-font-subset.sh"
        );
        // Latin too, so English is drawn with the same font.
        assert!((' '..='~').all(|c| c == ' ' || font.glyph_id(c).0 != 0));
        assert!(CHART_FONT.len() < 200 * 1024, "{} bytes", CHART_FONT.len());
    }

    #[test]
    fn the_labels_file_the_subset_is_made_from_is_current() {
        let chars: std::collections::BTreeSet<char> = chart_texts()
            .iter()
            .flat_map(|t| t.chars())
            .filter(|c| !c.is_ascii() && !c.is_whitespace())
            .collect();
        let expected: String = chars.into_iter().collect::<String>() + "\n";
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/chart-labels.txt");
        if std::env::var_os("UPDATE_CHART_LABELS").is_some() {
            std::fs::write(path, &expected).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(
            committed, expected,
            "the chart's labels changed: run UPDATE_CHART_LABELS=1 cargo test -p agent-chatops chart, then crates/chatops/assets/make-font-subset.sh"
        );
    }

    #[test]
    fn the_png_decodes_at_its_size_in_both_languages() {
        for lang in [Lang::En, Lang::Zh] {
            let bytes = png_chart(&sample(), lang).unwrap();
            // To look at them: CHART_PNG_DIR=/tmp cargo test -p agent-chatops png
            if let Some(dir) = std::env::var_os("CHART_PNG_DIR") {
                let path = std::path::Path::new(&dir).join(format!("stats-{lang:?}.png"));
                std::fs::write(path, &bytes).unwrap();
            }
            let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
            let mut reader = decoder.read_info().unwrap();
            let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
            let info = reader.next_frame(&mut pixels).unwrap();
            assert_eq!((info.width, info.height), (CHART_WIDTH, CHART_HEIGHT));
            let pixels = &pixels[..info.buffer_size()];
            // Something is drawn: dark pixels of text and coloured pixels of bars.
            let rgb: Vec<&[u8]> = pixels.chunks(3).collect();
            assert!(rgb.iter().filter(|p| p.iter().all(|c| *c < 80)).count() > 500);
            let green = colour(CallStatus::Connected);
            assert!(rgb.iter().any(|p| *p == [green.0, green.1, green.2]));
        }
        // Nothing counted: still a chart, no bar.
        let empty = Figures::of(&StatusSummary::default(), StatusSet::empty());
        assert!(png_chart(&empty, Lang::Zh).is_ok());
    }
}
