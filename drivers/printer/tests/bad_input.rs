//! Over-long text and characters outside GBK/GB18030's printable two-byte range: the page stays
//! intact (every line within the paper, no stray bytes), the problem is replaced and reported.

mod common;

use jiuzhu_drivers_api::printer::{Adjustment, Document, PaperWidth, StaffSlip};
use jiuzhu_printer::documents::{MAX_FIELD_LINES, render};
use jiuzhu_printer::escpos;
use jiuzhu_sim::printer::Interpreter;
use rstest::rstest;

fn nasty_slip() -> Document {
    Document::StaffSlip(StaffSlip {
        title: "设备故障报告😀这个标题特别特别特别特别特别长".into(),
        reference: Some("X".repeat(200)),
        lines: vec![
            ("姓名".into(), "𠀀𪚥先生\u{7}".into()),
            ("说明".into(), "纸卷卡住了，".repeat(60)),
            ("".into(), "".into()),
        ],
        printed_at: common::at(2026, 3, 2, 10, 5),
        kiosk: "FL-JB-01\u{1b}@".into(),
    })
}

#[rstest]
#[case(PaperWidth::Mm58)]
#[case(PaperWidth::Mm80)]
fn bad_text_is_replaced_cut_and_reported(#[case] width: PaperWidth) {
    let (bytes, report) = render(&nasty_slip(), width).unwrap();
    let replaced: Vec<char> = report
        .adjustments
        .iter()
        .filter_map(|a| match a {
            Adjustment::Replaced { ch, .. } => Some(*ch),
            _ => None,
        })
        .collect();
    assert_eq!(replaced, ['😀', '𠀀', '𪚥', '\u{7}', '\u{1b}']);
    let truncated: Vec<&str> = report
        .adjustments
        .iter()
        .filter_map(|a| match a {
            Adjustment::Truncated { field, .. } => Some(field.as_str()),
            _ => None,
        })
        .collect();
    assert!(truncated.contains(&"说明"), "{truncated:?}");
    assert!(truncated.contains(&"编号"), "{truncated:?}");

    let mut it = match Interpreter::new(u32::from(width.dots())) {
        Ok(it) => it,
        Err(e) => return eprintln!("skipped: {e}"),
    };
    it.feed(&bytes);
    assert!(
        it.unknown().is_empty(),
        "stray command bytes: {:?}",
        it.unknown()
    );
    assert_eq!(it.pages().len(), 1);
    let text = it.text();
    assert!(
        text.iter().all(|l| escpos::cells(l) <= width.columns()),
        "{text:?}"
    );
    assert!(text.iter().any(|l| l.contains("□□先生□")), "{text:?}");
    let explain: Vec<_> = text.iter().filter(|l| l.contains("纸卷卡住")).collect();
    assert!(explain.len() <= MAX_FIELD_LINES);
    assert!(explain.last().unwrap().ends_with('…'));
    assert!(text.iter().any(|l| l.contains("FL-JB-01□@")), "{text:?}");
}
