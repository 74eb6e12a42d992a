//! Golden renders: every document on 58 mm and 80 mm paper is laid out by the driver, rendered by
//! the ESC/POS simulator and compared with the PNG under `tests/golden/` (at most 0.5 % of
//! pixels may differ, for font-rasteriser drift). `UPDATE_GOLDEN=1` rewrites the references.

mod common;

use std::path::PathBuf;

use image::GrayImage;
use jiuzhu_drivers_api::printer::{Document, PaperWidth};
use jiuzhu_printer::documents::render;
use jiuzhu_sim::printer::{Interpreter, save_png};
use rstest::rstest;

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Renders a document; `None` (with the reason printed) when no CJK font is installed.
pub fn render_page(doc: &Document, width: PaperWidth) -> Option<(GrayImage, Vec<String>)> {
    let (bytes, _) = render(doc, width).unwrap();
    let mut it = match Interpreter::new(u32::from(width.dots())) {
        Ok(it) => it,
        Err(e) => {
            eprintln!("skipped: {e}");
            return None;
        }
    };
    assert!(it.feed(&bytes).is_empty(), "a document sent a status query");
    assert!(it.unknown().is_empty(), "{:?}", it.unknown());
    assert_eq!(it.pages().len(), 1, "one cut per document");
    Some((it.pages()[0].clone(), it.text().to_vec()))
}

fn compare(name: &str, got: &GrayImage) {
    let path = golden_dir().join(format!("{name}.png"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(golden_dir()).unwrap();
        save_png(got, &path).unwrap();
        return;
    }
    let want = image::open(&path)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run with UPDATE_GOLDEN=1 to create it",
                path.display()
            )
        })
        .into_luma8();
    assert_eq!(
        (got.width(), got.height()),
        (want.width(), want.height()),
        "{name}: page size changed"
    );
    let differ = got
        .pixels()
        .zip(want.pixels())
        .filter(|(a, b)| a.0[0].abs_diff(b.0[0]) > 64)
        .count();
    let total = (got.width() * got.height()) as usize;
    assert!(
        differ * 200 <= total,
        "{name}: {differ} of {total} pixels differ from the golden render; if intended, run with UPDATE_GOLDEN=1 and look at the PNG"
    );
}

#[rstest]
#[case("receipt", common::receipt())]
#[case("identity_proof", common::identity_proof())]
#[case("signature_receipt", common::signature_receipt())]
#[case("staff_slip", common::staff_slip())]
#[case("resident_notice", common::resident_notice())]
#[case("test_page", common::test_page())]
fn golden(
    #[case] name: &str,
    #[case] doc: Document,
    #[values(PaperWidth::Mm58, PaperWidth::Mm80)] width: PaperWidth,
) {
    let Some((page, text)) = render_page(&doc, width) else {
        return;
    };
    let mm = match width {
        PaperWidth::Mm58 => 58,
        PaperWidth::Mm80 => 80,
    };
    let cols = width.columns();
    for l in &text {
        if !l.starts_with("[QR") {
            assert!(
                jiuzhu_printer::escpos::cells(l) <= cols,
                "{l:?} wider than {cols}"
            );
        }
    }
    compare(&format!("{name}_{mm}mm"), &page);
}

#[test]
fn a_resident_notice_prints_every_paragraph_once() {
    let Some((_, text)) = render_page(&common::resident_notice(), PaperWidth::Mm80) else {
        return;
    };
    let all = text.join("\n");
    for p in [
        "一次性告知书",
        "案号：江北-2026-00017",
        "1. 提交收入证明",
        "视为自动放弃申请",
        "举报电话：023-12345",
        "2026年3月3日",
    ] {
        assert!(all.contains(p), "missing {p:?} in:\n{all}");
    }
    assert_eq!(all.matches("江北-2026-00017").count(), 1, "{all}");
}
