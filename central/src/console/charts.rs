//! Server-rendered SVG charts (no script, no style attributes: the page's CSP allows neither).
//! Every bar carries its number as text, so the chart reads without colour.

use maud::{Markup, html};

/// Bar colours with enough contrast on white; a chart also names every bar.
pub const PALETTE: &[&str] = &[
    "#1d3f8f", "#9a4b00", "#006b3c", "#7a1f6e", "#5b5b5b", "#0b6e79", "#8a1c1c", "#4b3a00",
];

/// Horizontal bars: one row per (label, value).
pub fn bars(title: &str, rows: &[(String, u64)], fill: &str) -> Markup {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let row_h = 44u64;
    let label_w = 300u64;
    let bar_w = 420u64;
    let h = row_h * rows.len().max(1) as u64 + 10;
    let w = label_w + bar_w + 80;
    html! {
        figure.chart {
            figcaption { (title) }
            svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (w) " " (h) } width="100%" role="img" aria-label=(title) {
                @if rows.is_empty() {
                    text x="10" y="30" font-size="24" fill="#000" { "（暂无数据 No data）" }
                }
                @for (i, (label, v)) in rows.iter().enumerate() {
                    @let y = i as u64 * row_h + 4;
                    @let len = (v * bar_w / max).max(if *v > 0 { 2 } else { 0 });
                    text x=(label_w - 8) y=(y + 30) font-size="24" text-anchor="end" fill="#000" { (label) }
                    rect x=(label_w) y=(y + 4) width=(len) height=(row_h - 10) fill=(fill) {}
                    text x=(label_w + len + 8) y=(y + 30) font-size="24" fill="#000" { (v) }
                }
            }
        }
    }
}

/// Stacked columns: one column per month, one segment per series, with a legend.
pub fn stacked(title: &str, months: &[String], series: &[(String, Vec<u64>)]) -> Markup {
    let totals: Vec<u64> = (0..months.len())
        .map(|i| {
            series
                .iter()
                .map(|s| s.1.get(i).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1);
    let col_w = 70u64;
    let plot_h = 160u64;
    let top = 30u64;
    let w = (col_w * months.len().max(1) as u64 + 60).max(800);
    let legend_y = top + plot_h + 56;
    let h = legend_y + 36 * series.len() as u64 + 10;
    html! {
        figure.chart {
            figcaption { (title) }
            svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (w) " " (h) } width="100%" role="img" aria-label=(title) {
                line x1="40" y1=(top + plot_h) x2=(w - 10) y2=(top + plot_h) stroke="#000" stroke-width="2" {}
                @for (i, m) in months.iter().enumerate() {
                    @let x = 50 + i as u64 * col_w;
                    @let (segments, top_y) = column(series, i, top + plot_h, plot_h, max);
                    @for (y, hgt, k) in segments {
                        rect x=(x) y=(y) width=(col_w - 20) height=(hgt) fill=(PALETTE[k % PALETTE.len()]) stroke="#fff" {}
                    }
                    text x=(x + (col_w - 20) / 2) y=(top_y.saturating_sub(6)) font-size="26" text-anchor="middle" fill="#000" { (totals[i]) }
                    text x=(x + (col_w - 20) / 2) y=(top + plot_h + 30) font-size="24" text-anchor="middle" fill="#000" { (m) }
                }
                @for (k, (name, vals)) in series.iter().enumerate() {
                    @let y = legend_y + k as u64 * 36;
                    rect x="40" y=(y) width="26" height="26" fill=(PALETTE[k % PALETTE.len()]) {}
                    text x="76" y=(y + 22) font-size="26" fill="#000" { (name) "：" (vals.iter().sum::<u64>()) }
                }
            }
        }
    }
}

/// The segments of column `i` stacked up from `base`: (y, height, series index), and the top.
fn column(
    series: &[(String, Vec<u64>)],
    i: usize,
    base: u64,
    plot_h: u64,
    max: u64,
) -> (Vec<(u64, u64, usize)>, u64) {
    let mut y = base;
    let mut out = Vec::new();
    for (k, (_, vals)) in series.iter().enumerate() {
        let seg = vals.get(i).copied().unwrap_or(0) * plot_h / max.max(1);
        if seg > 0 {
            y = y.saturating_sub(seg);
            out.push((y, seg, k));
        }
    }
    (out, y)
}
