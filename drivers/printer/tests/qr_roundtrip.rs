//! The QR printed on a 社会救助身份证明 decodes from the rendered page and verifies with the
//! district's public key; the page shows the recipient only masked.

mod common;

use jiuzhu_core::proof::{self, Verdict};
use jiuzhu_drivers_api::printer::{Document, PaperWidth};
use jiuzhu_printer::documents::render;
use jiuzhu_sim::printer::Interpreter;
use rstest::rstest;

#[rstest]
#[case(PaperWidth::Mm58)]
#[case(PaperWidth::Mm80)]
fn printed_qr_verifies(#[case] width: PaperWidth) {
    let doc = common::identity_proof();
    let (bytes, report) = render(&doc, width).unwrap();
    assert!(report.adjustments.is_empty(), "{:?}", report.adjustments);
    let mut it = match Interpreter::new(u32::from(width.dots())) {
        Ok(it) => it,
        Err(e) => return eprintln!("skipped: {e}"),
    };
    it.feed(&bytes);
    let page = &it.pages()[0];
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(
        page.width() as usize,
        page.height() as usize,
        |x, y| page.get_pixel(x as u32, y as u32).0[0],
    );
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on the page");
    let (_, content) = grids[0].decode().expect("the QR decodes");
    assert_eq!(content, common::proof_code());
    let key = common::district_key().verifying_key();
    let Verdict::Valid(p) = proof::verify(&content, &key, common::day(2026, 6, 1)) else {
        panic!("printed proof does not verify");
    };
    assert_eq!(p.payload.name.to_string(), "欧阳**");
    // Text on the page: masked name and number, never the full ones.
    let text = it.text().join("\n");
    assert!(text.contains("欧阳**"), "{text}");
    assert!(text.contains("1101**********002X"), "{text}");
    assert!(
        !text.contains("春花") && !text.contains("19491231"),
        "{text}"
    );
    // Another district's key refuses it.
    let other = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
    assert!(matches!(
        proof::verify(&content, &other, common::day(2026, 6, 1)),
        Verdict::BadSignature { .. }
    ));
}

#[test]
fn malformed_code_is_refused_before_printing() {
    let Document::IdentityProof(mut d) = common::identity_proof() else {
        unreachable!()
    };
    d.code = "JZP1:NOTACODE".into();
    let err = render(&Document::IdentityProof(d), PaperWidth::Mm58).unwrap_err();
    assert!(err.to_string().contains("proof code"), "{err}");
}
