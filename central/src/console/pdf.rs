//! Printable documents (the one-time notice, the 公示 and 公布 lists): one [`Document`] is
//! rendered as an HTML page and as an A4 PDF with krilla, in Noto Sans CJK SC from Debian's
//! `fonts-noto-cjk` (embedded as a subset; the text stays extractable through its ToUnicode map).

use std::sync::OnceLock;

use axum::http::StatusCode;
use krilla::Document as PdfDocument;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::text::{Font, TextDirection};
use maud::{Markup, html};

use super::views::ConsoleError;

/// Where the Chinese font is looked for: (path, index of Noto Sans CJK SC in the collection).
pub const FONT_CANDIDATES: &[(&str, u32)] = &[
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
];

/// A document: title, lines of text, an optional table, closing lines.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// Title, e.g. 一次性告知书.
    pub title: String,
    /// Under the title, e.g. the township.
    pub subtitle: String,
    /// Paragraphs before the table.
    pub paragraphs: Vec<String>,
    /// Column heads and rows.
    pub table: Option<(Vec<String>, Vec<Vec<String>>)>,
    /// Paragraphs after the table.
    pub closing: Vec<String>,
}

impl Document {
    /// The document as a printable page body (the frame adds the print style sheet).
    pub fn html(&self, pdf_link: &str) -> Markup {
        html! {
            article.doc {
                p.noprint {
                    a.button href=(pdf_link) { "下载 PDF " span.en { "Download PDF" } }
                    " 用浏览器打印此页亦可。" span.en { "Or print this page from the browser." }
                }
                h1 { (self.title) }
                @if !self.subtitle.is_empty() { p.sub { (self.subtitle) } }
                @for p in &self.paragraphs { p { (p) } }
                @if let Some((heads, rows)) = &self.table {
                    table.list {
                        thead { tr { @for h in heads { th { (h) } } } }
                        tbody {
                            @for r in rows { tr { @for c in r { td { (c) } } } }
                            @if rows.is_empty() { tr { td colspan=(heads.len()) { "（无 None）" } } }
                        }
                    }
                }
                @for p in &self.closing { p { (p) } }
            }
        }
    }

    /// The document as an A4 PDF.
    pub fn pdf(&self) -> Result<Vec<u8>, ConsoleError> {
        let font = font()?;
        let mut w = Writer::new(font);
        w.line(&self.title, 20.0, true);
        if !self.subtitle.is_empty() {
            w.line(&self.subtitle, 12.0, true);
        }
        w.gap(10.0);
        for p in &self.paragraphs {
            w.para(p, 12.0);
        }
        if let Some((heads, rows)) = &self.table {
            w.gap(6.0);
            w.set_columns(heads, rows, 11.0);
            w.row(heads, 11.0, true);
            for r in rows {
                w.row(r, 11.0, false);
            }
            if rows.is_empty() {
                w.para("（无 None）", 11.0);
            }
            w.gap(6.0);
        }
        for p in &self.closing {
            w.para(p, 12.0);
        }
        w.finish(&self.title)
    }
}

/// The font, loaded once.
fn font() -> Result<Font, ConsoleError> {
    static FONT: OnceLock<Option<Font>> = OnceLock::new();
    FONT.get_or_init(|| {
        FONT_CANDIDATES.iter().find_map(|(path, index)| {
            let data = std::fs::read(path).ok()?;
            Font::new(data.into(), *index)
        })
    })
    .clone()
    .ok_or_else(|| {
        ConsoleError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "找不到中文字体，无法生成 PDF：请安装 fonts-noto-cjk（packaging/deps.sh）",
            "No Chinese font for the PDF: install fonts-noto-cjk (packaging/deps.sh); the HTML page prints as well.",
        )
    })
}

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;

/// Lays text out top to bottom over as many A4 pages as it needs.
struct Writer {
    font: Font,
    pages: Vec<Vec<Item>>,
    y: f32,
    columns: Vec<f32>,
}

enum Item {
    Text {
        x: f32,
        y: f32,
        size: f32,
        s: String,
    },
    Rule {
        y: f32,
    },
}

/// The width of `s` at `size`, roughly: CJK and full-width characters one em, others half.
fn width(s: &str, size: f32) -> f32 {
    s.chars()
        .map(|c| if c.is_ascii() { 0.55 } else { 1.0 })
        .sum::<f32>()
        * size
}

/// `s` broken into lines no wider than `max`: anywhere between CJK characters, at a space
/// inside Latin text.
fn wrap(s: &str, size: f32, max: f32) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        if c == '\n' {
            out.push(std::mem::take(&mut cur));
            continue;
        }
        cur.push(c);
        if width(&cur, size) > max {
            // a space that overflows ends the line (it takes no ink)
            let cut = match cur.rfind(' ') {
                _ if c == ' ' => cur.len(),
                Some(i) if c.is_ascii_alphanumeric() && i > 0 => i + 1,
                _ => cur.len() - c.len_utf8(),
            };
            let rest = cur.split_off(cut);
            out.push(std::mem::take(&mut cur));
            cur = rest;
        }
    }
    if !cur.is_empty() || out.is_empty() {
        out.push(cur);
    }
    out
}

impl Writer {
    fn new(font: Font) -> Self {
        Writer {
            font,
            pages: vec![Vec::new()],
            y: MARGIN,
            columns: Vec::new(),
        }
    }

    fn room(&mut self, h: f32) {
        if self.y + h > PAGE_H - MARGIN {
            self.pages.push(Vec::new());
            self.y = MARGIN;
        }
    }

    fn push(&mut self, item: Item) {
        if let Some(p) = self.pages.last_mut() {
            p.push(item);
        }
    }

    fn gap(&mut self, h: f32) {
        self.y += h;
    }

    fn line(&mut self, s: &str, size: f32, centred: bool) {
        for l in wrap(s, size, PAGE_W - 2.0 * MARGIN) {
            self.room(size * 1.6);
            self.y += size * 1.3;
            let x = if centred {
                ((PAGE_W - width(&l, size)) / 2.0).max(MARGIN)
            } else {
                MARGIN
            };
            self.push(Item::Text {
                x,
                y: self.y,
                size,
                s: l,
            });
            self.y += size * 0.3;
        }
    }

    fn para(&mut self, s: &str, size: f32) {
        self.line(s, size, false);
        self.y += size * 0.4;
    }

    /// A table row in the columns of [`Writer::columns`], each cell wrapped in its column, a
    /// rule under it.
    fn row(&mut self, cells: &[String], size: f32, head: bool) {
        let widths = self.columns.clone();
        let wrapped: Vec<Vec<String>> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| wrap(c, size, widths.get(i).copied().unwrap_or(60.0) - 6.0))
            .collect();
        let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1) as f32;
        let h = lines * size * 1.4 + 6.0;
        self.room(h);
        if head {
            let y = self.y;
            self.push(Item::Rule { y });
        }
        let mut x = MARGIN;
        for (i, cell) in wrapped.into_iter().enumerate() {
            for (j, l) in cell.into_iter().enumerate() {
                let item = Item::Text {
                    x: x + 3.0,
                    y: self.y + (j as f32 + 1.0) * size * 1.4,
                    size,
                    s: l,
                };
                self.push(item);
            }
            x += widths.get(i).copied().unwrap_or(0.0);
        }
        self.y += h;
        let y = self.y - 3.0;
        self.push(Item::Rule { y });
    }

    /// Column widths for a table: shares of the text width by each column's widest cell (a
    /// narrow column keeps at least its head), so a number column stays narrow.
    fn set_columns(&mut self, heads: &[String], rows: &[Vec<String>], size: f32) {
        let n = heads.len().max(1);
        let natural: Vec<f32> = (0..n)
            .map(|i| {
                rows.iter()
                    .filter_map(|r| r.get(i))
                    .chain(heads.get(i))
                    .map(|c| width(c, size) + 8.0)
                    .fold(24.0_f32, f32::max)
            })
            .collect();
        let total: f32 = natural.iter().sum();
        let avail = PAGE_W - 2.0 * MARGIN;
        self.columns = if total <= avail {
            let extra = (avail - total) / n as f32;
            natural.iter().map(|w| w + extra).collect()
        } else {
            // shrink the wide columns first: each gets at most its share, the narrow keep theirs
            let fair = avail / n as f32;
            let narrow: f32 = natural.iter().filter(|w| **w <= fair).sum();
            let wide: f32 = natural.iter().filter(|w| **w > fair).sum();
            natural
                .iter()
                .map(|w| {
                    if *w <= fair {
                        *w
                    } else {
                        w / wide * (avail - narrow)
                    }
                })
                .collect()
        };
    }

    fn finish(self, title: &str) -> Result<Vec<u8>, ConsoleError> {
        let mut doc = PdfDocument::new();
        doc.set_metadata(
            Metadata::new()
                .title(title.to_string())
                .language("zh-CN".to_string())
                .creator("jiuzhu-central console".to_string()),
        );
        for items in &self.pages {
            let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(pdf_failed)?;
            let mut page = doc.start_page_with(settings);
            let mut surface = page.surface();
            for item in items {
                match item {
                    Item::Text { x, y, size, s } => surface.draw_text(
                        Point::from_xy(*x, *y),
                        self.font.clone(),
                        *size,
                        s,
                        false,
                        TextDirection::Auto,
                    ),
                    Item::Rule { y } => {
                        let mut pb = PathBuilder::new();
                        pb.move_to(MARGIN, *y);
                        pb.line_to(PAGE_W - MARGIN, *y);
                        if let Some(path) = pb.finish() {
                            surface.set_fill(None);
                            surface.set_stroke(Some(Stroke {
                                width: 0.6,
                                ..Stroke::default()
                            }));
                            surface.draw_path(&path);
                            surface.set_stroke(None);
                            surface.set_fill(Some(Default::default()));
                        }
                    }
                }
            }
            surface.finish();
            page.finish();
        }
        doc.finish().map_err(|e| {
            tracing::error!(error = ?e, "PDF generation failed");
            pdf_failed()
        })
    }
}

fn pdf_failed() -> ConsoleError {
    ConsoleError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "生成 PDF 失败：请改用浏览器打印此页",
        "Could not make the PDF; print the HTML page instead.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_character_and_the_width() {
        let s =
            "申请人须在期限内补齐以下材料，逾期未补齐的视为自动放弃申请。Materials listed below.";
        let lines = wrap(s, 12.0, 120.0);
        assert!(lines.len() > 2);
        assert_eq!(lines.concat(), s);
        assert!(lines.iter().all(|l| width(l.trim_end(), 12.0) <= 120.0));
        let latin = wrap("identity cards of the household members", 10.0, 80.0);
        assert_eq!(latin.concat(), "identity cards of the household members");
        assert!(
            latin
                .iter()
                .all(|l| l.ends_with(' ') || latin.last() == Some(l)),
            "{latin:?}"
        );
    }
}
