//! Layouts of the kiosk's documents for 58 mm and 80 mm paper: the application receipt, the
//! 社会救助身份证明 with its signed QR, the authorization signature receipt, staff slips and the
//! test page. Text is wrapped by display
//! width (ASCII one cell, Chinese two); characters the printer cannot show become `□` and fields
//! longer than their lines allow are cut with `…`; both are reported in the [`PrintReport`].

use chrono::NaiveDate;
use jiuzhu_core::calendar::Calendar;
use jiuzhu_core::proof;
use jiuzhu_drivers_api::printer::{
    Adjustment, ApplicationReceipt, Document, IdentityProofDoc, NextStep, PaperWidth, PrintReport,
    ResidentNotice, SignatureReceipt, StaffSlip,
};

use crate::escpos::{self, Align, Cut, EncodeError, Encoder, QrEc, Raster};

/// Lines a single field may take before it is cut.
pub const MAX_FIELD_LINES: usize = 4;

/// Why a document cannot be laid out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    /// The proof code does not decode.
    #[error("the proof code is not valid: {0}")]
    Proof(#[from] proof::MalformedError),
    /// The encoder refused something (a bug: layout sanitises all text).
    #[error("encoding failed: {0}")]
    Encode(#[from] EncodeError),
}

/// Splits text into lines of at most `cols` cells. ASCII words are kept whole when they fit on a
/// line; Chinese breaks between any two characters; explicit newlines are kept.
pub fn wrap(text: &str, cols: usize) -> Vec<String> {
    let cols = cols.max(2);
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut width = 0;
        let chars: Vec<char> = para.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            // An ASCII word (run of non-space ASCII) moves as one piece if it fits a line.
            let word_start = i == 0 || !chars[i - 1].is_ascii_graphic();
            let (piece, piece_w) = if chars[i].is_ascii_graphic() && word_start {
                let end = chars[i..]
                    .iter()
                    .position(|c| !c.is_ascii_graphic())
                    .map_or(chars.len(), |p| i + p);
                let w = end - i;
                if w <= cols && width + w > cols {
                    (String::new(), 0)
                } else if w <= cols {
                    (chars[i..end].iter().collect::<String>(), w)
                } else {
                    (chars[i].to_string(), 1)
                }
            } else if chars[i].is_ascii_graphic() {
                (chars[i].to_string(), 1)
            } else {
                let c = chars[i];
                (c.to_string(), escpos::char_cells(c).unwrap_or(2))
            };
            if piece_w == 0 || width + piece_w > cols {
                lines.push(std::mem::take(&mut line).trim_end().to_string());
                width = 0;
                if piece_w == 0 {
                    continue;
                }
            }
            if width == 0 && piece == " " {
                i += 1;
                continue;
            }
            width += piece_w;
            i += piece.chars().count();
            line.push_str(&piece);
        }
        lines.push(line.trim_end().to_string());
    }
    lines
}

/// A page under construction: an encoder plus the paper width and what was adjusted.
struct Page {
    enc: Encoder,
    width: PaperWidth,
    adjustments: Vec<Adjustment>,
}

impl Page {
    fn new(width: PaperWidth) -> Self {
        let mut enc = Encoder::new();
        enc.init().chinese(true);
        Page {
            enc,
            width,
            adjustments: Vec::new(),
        }
    }

    fn clean(&mut self, field: &str, text: &str) -> String {
        let (s, replaced) = escpos::sanitize(text);
        self.adjustments
            .extend(replaced.into_iter().map(|ch| Adjustment::Replaced {
                ch,
                field: field.to_string(),
            }));
        s
    }

    /// Wrapped, at most `max_lines` lines, the last one ending in `…` when cut.
    fn lines(&mut self, field: &str, text: &str, cols: usize, max_lines: usize) -> Vec<String> {
        let clean = self.clean(field, text);
        let mut lines = wrap(&clean, cols);
        if lines.len() > max_lines {
            let kept: usize = lines[..max_lines].iter().map(|l| l.chars().count()).sum();
            let total: usize = lines.iter().map(|l| l.chars().count()).sum();
            lines.truncate(max_lines);
            let last = lines.last_mut().expect("max_lines ≥ 1");
            let mut dropped = total - kept;
            while escpos::cells(last) + 2 > cols {
                last.pop();
                dropped += 1;
            }
            last.push('…');
            self.adjustments.push(Adjustment::Truncated {
                field: field.to_string(),
                dropped,
            });
        }
        lines
    }

    fn text_lines(&mut self, lines: &[String]) -> Result<(), EncodeError> {
        for l in lines {
            self.enc.line(l)?;
        }
        Ok(())
    }

    fn title(&mut self, text: &str) -> Result<(), EncodeError> {
        let cols = self.width.columns() / 2;
        let lines = self.lines("title", text, cols, 2);
        self.enc.align(Align::Center).bold(true).size(2, 2);
        self.text_lines(&lines)?;
        self.enc.size(1, 1).bold(false).align(Align::Left);
        Ok(())
    }

    fn centered(&mut self, field: &str, text: &str) -> Result<(), EncodeError> {
        let lines = self.lines(field, text, self.width.columns(), MAX_FIELD_LINES);
        self.enc.align(Align::Center);
        self.text_lines(&lines)?;
        self.enc.align(Align::Left);
        Ok(())
    }

    fn rule(&mut self) -> Result<(), EncodeError> {
        let r = "-".repeat(self.width.columns());
        self.enc.line(&r)?;
        Ok(())
    }

    /// `label：value`, the value wrapped under itself (hanging indent) on 80 mm, under the
    /// label's start on 58 mm when the label is long.
    fn field(&mut self, label: &str, value: &str) -> Result<(), EncodeError> {
        let cols = self.width.columns();
        let label = self.clean(label, label);
        let head = format!("{label}：");
        let indent = escpos::cells(&head);
        let value = if value.trim().is_empty() {
            "—"
        } else {
            value
        };
        if indent + 8 <= cols {
            let lines = self.lines(&label, value, cols - indent, MAX_FIELD_LINES);
            for (i, l) in lines.iter().enumerate() {
                if i == 0 {
                    self.enc.text(&head)?;
                } else {
                    self.enc.text(&" ".repeat(indent))?;
                }
                self.enc.line(l)?;
            }
        } else {
            self.enc.line(&head)?;
            let lines = self.lines(&label, value, cols - 2, MAX_FIELD_LINES);
            for l in lines {
                self.enc.text("  ")?.line(&l)?;
            }
        }
        Ok(())
    }

    /// A left text and a right text on one line when they fit, else on two.
    fn two_columns(&mut self, left: &str, right: &str) -> Result<(), EncodeError> {
        let cols = self.width.columns();
        let right = self.clean("date", right);
        let rw = escpos::cells(&right);
        let lines = self.lines("step", left, cols.saturating_sub(rw + 1).max(8), 2);
        let last = lines.len() - 1;
        for (i, l) in lines.iter().enumerate() {
            if i == last && escpos::cells(l) + rw < cols {
                let gap = cols - escpos::cells(l) - rw;
                self.enc.text(l)?.text(&" ".repeat(gap))?.line(&right)?;
                return Ok(());
            }
            self.enc.line(l)?;
        }
        self.enc.align(Align::Right).line(&right)?;
        self.enc.align(Align::Left);
        Ok(())
    }

    fn qr_module(&self) -> u8 {
        match self.width {
            PaperWidth::Mm58 => 5,
            PaperWidth::Mm80 => 7,
        }
    }

    fn finish(mut self) -> (Vec<u8>, Vec<Adjustment>) {
        self.enc.feed(3).cut(Cut::Partial);
        (self.enc.into_bytes(), self.adjustments)
    }
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The steps after an application and their latest days (domain.md §2: accepted within 2 working
/// days, investigation started within 2 working days of acceptance, decided within 25 working
/// days of acceptance — 20 where the township is delegated to confirm).
pub fn plan_next_steps(submitted: NaiveDate, cal: &Calendar, delegated: bool) -> Vec<NextStep> {
    let accept = cal.add_working_days(submitted, 2);
    let survey = cal.add_working_days(accept.value, 2);
    let decide = cal.add_working_days(accept.value, if delegated { 20 } else { 25 });
    let tentative = |a: &jiuzhu_core::calendar::Answer<NaiveDate>| !a.is_certain();
    vec![
        NextStep {
            what: "乡镇（街道）受理".into(),
            by: accept.value,
            tentative: tentative(&accept),
        },
        NextStep {
            what: "开始家庭经济状况调查".into(),
            by: survey.value,
            tentative: tentative(&accept) || tentative(&survey),
        },
        NextStep {
            what: "审核确认办结".into(),
            by: decide.value,
            tentative: tentative(&accept) || tentative(&decide),
        },
    ]
}

fn receipt(p: &mut Page, r: &ApplicationReceipt) -> Result<(), EncodeError> {
    p.centered("header", "重庆救助通 · 社会救助")?;
    p.title("申请回执")?;
    p.rule()?;
    p.field("回执编号", &r.receipt_no)?;
    p.field(
        "提交时间",
        &r.submitted_at.format("%Y-%m-%d %H:%M").to_string(),
    )?;
    p.field("申请人", &r.applicant_masked)?;
    p.field("乡镇（街道）", &r.township)?;
    let types: Vec<&str> = r.types.iter().map(|t| t.label_zh()).collect();
    p.field("申请类型", &types.join("、"))?;
    p.rule()?;
    p.enc.bold(true).line("接下来：")?.bold(false);
    let mut any_tentative = false;
    for s in &r.next_steps {
        let mark = if s.tentative { "*" } else { "" };
        any_tentative |= s.tentative;
        p.two_columns(
            &format!("· {}", s.what),
            &format!("{}{mark} 前", date(s.by)),
        )?;
    }
    if any_tentative {
        let lines = p.lines(
            "note",
            "* 该年度节假日安排尚未公布，日期可能顺延。",
            p.width.columns(),
            2,
        );
        p.text_lines(&lines)?;
    }
    p.rule()?;
    p.field("咨询电话", &r.hotline)?;
    p.field("举报电话", &r.report_phone)?;
    let lines = p.lines(
        "footer",
        "请妥善保管本回执。可在自助终端“进度查询”中查看办理进度。",
        p.width.columns(),
        3,
    );
    p.text_lines(&lines)
}

fn signature_receipt(p: &mut Page, r: &SignatureReceipt) -> Result<(), EncodeError> {
    p.centered("header", "重庆救助通 · 社会救助")?;
    p.title("授权书签署回执")?;
    p.rule()?;
    p.field("申请编号", &r.case_no)?;
    p.field(
        "签署时间",
        &r.signed_at.format("%Y-%m-%d %H:%M").to_string(),
    )?;
    p.field("签署人", &r.signer_masked)?;
    p.field("申请人", &r.applicant_masked)?;
    p.field("乡镇（街道）", &r.township)?;
    let types: Vec<&str> = r.types.iter().map(|t| t.label_zh()).collect();
    p.field("申请类型", &types.join("、"))?;
    p.field("确认方式", &r.method)?;
    p.rule()?;
    let said = if r.queued {
        "已签署《家庭经济状况核对授权书》。网络暂时不通，签名保存在本机，联网后自动送达乡镇，无需再来。"
    } else {
        "已签署《家庭经济状况核对授权书》，签名已送达乡镇。"
    };
    let lines = p.lines("note", said, p.width.columns(), 4);
    p.text_lines(&lines)?;
    p.rule()?;
    p.field("咨询电话", &r.hotline)?;
    let lines = p.lines(
        "footer",
        "请妥善保管本回执。可在自助终端“进度查询”中查看办理进度。",
        p.width.columns(),
        3,
    );
    p.text_lines(&lines)
}

fn identity_proof(p: &mut Page, d: &IdentityProofDoc) -> Result<(), LayoutError> {
    let proof = proof::peek(&d.code)?;
    let pl = &proof.payload;
    p.title("社会救助身份证明")?;
    p.rule()?;
    p.field("姓名", &pl.name.to_string())?;
    p.field("证件号码", &pl.id.to_string())?;
    p.field("救助类别", pl.assistance_type.label_zh())?;
    p.field(
        "所属乡镇",
        &format!("{}（{}）", d.township_name, pl.township),
    )?;
    p.field("认证日期", &date(pl.certified_on))?;
    p.field("有效期至", &date(pl.valid_until))?;
    p.field("证明编号", &pl.proof_id.to_string())?;
    p.enc.feed(1).align(Align::Center);
    let module = p.qr_module();
    p.enc.qr(d.code.trim().as_bytes(), module, QrEc::M)?;
    p.enc.align(Align::Left);
    p.centered("verify", &format!("扫码核验：{}", d.verify_at))?;
    p.centered("key", &format!("签发密钥 {}", proof.key_id))?;
    p.rule()?;
    p.field("出具单位", &d.issuer)?;
    p.field("咨询电话", &d.hotline)?;
    Ok(())
}

/// Most printed lines of one paragraph of a resident notice (a 告知书 runs to a few hundred
/// characters; anything longer is cut and marked).
const MAX_NOTICE_PARAGRAPH_LINES: usize = 40;

fn resident_notice(p: &mut Page, n: &ResidentNotice) -> Result<(), EncodeError> {
    p.centered("header", "重庆救助通 · 社会救助")?;
    p.title(&n.title)?;
    p.field("案号", &n.case_no)?;
    p.rule()?;
    let cols = p.width.columns();
    // The title and the case number are already printed above.
    let body = n
        .text
        .lines()
        .skip_while(|l| l.trim() == n.title || l.trim().is_empty())
        .filter(|l| !l.trim_start().starts_with("案号："));
    for para in body {
        let lines = p.lines("text", para, cols, MAX_NOTICE_PARAGRAPH_LINES);
        p.text_lines(&lines)?;
    }
    p.rule()?;
    p.field(
        "打印时间",
        &n.printed_at.format("%Y-%m-%d %H:%M").to_string(),
    )?;
    let lines = p.lines(
        "footer",
        "请妥善保管。可在自助终端“进度查询”中再次查看或打印。",
        cols,
        3,
    );
    p.text_lines(&lines)
}

fn staff_slip(p: &mut Page, s: &StaffSlip) -> Result<(), EncodeError> {
    p.title(&s.title)?;
    if let Some(r) = &s.reference {
        p.field("编号", r)?;
    }
    p.rule()?;
    for (label, value) in &s.lines {
        p.field(label, value)?;
    }
    p.rule()?;
    p.field(
        "打印时间",
        &s.printed_at.format("%Y-%m-%d %H:%M").to_string(),
    )?;
    p.field("终端", &s.kiosk)?;
    p.enc.line("（工作人员留存）")?;
    Ok(())
}

/// The test page's raster: a checkerboard strip and a ramp of bars, `width` dots wide.
pub fn test_raster(width: u16) -> Raster {
    let mut r = Raster::new(width, 48);
    for y in 0..48u16 {
        for x in 0..width {
            let black = if y < 24 {
                ((x / 8) + (y / 8)) % 2 == 0
            } else {
                (x % 16) < (x * 16 / width.max(1))
            };
            r.set(x, y, black);
        }
    }
    r
}

fn test_page(p: &mut Page, at: chrono::NaiveDateTime) -> Result<(), EncodeError> {
    p.title("打印机测试页")?;
    p.rule()?;
    p.field("纸宽", &format!("{} 点", p.width.dots()))?;
    p.field("时间", &at.format("%Y-%m-%d %H:%M:%S").to_string())?;
    let cols = p.width.columns();
    let lines = p.lines("ascii", "ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789", cols, 2);
    p.text_lines(&lines)?;
    p.enc.line("中文：社会救助 申请 认证 证明")?;
    p.enc.bold(true).line("粗体 Bold")?.bold(false);
    p.enc.underline(1).line("下划线 Underline")?.underline(0);
    p.enc
        .size(2, 1)
        .line("倍宽")?
        .size(1, 2)
        .line("倍高")?
        .size(1, 1);
    p.enc.align(Align::Right).line("右对齐")?.align(Align::Left);
    p.enc.align(Align::Center);
    p.enc.raster(&test_raster(p.width.dots() - 64))?;
    p.enc.qr(b"JIUZHU PRINTER TEST", p.qr_module(), QrEc::M)?;
    p.enc.align(Align::Left);
    Ok(())
}

/// Lays a document out for the given paper and returns the ESC/POS bytes (ending in a cut) and
/// what was adjusted to make it print cleanly.
pub fn render(doc: &Document, width: PaperWidth) -> Result<(Vec<u8>, PrintReport), LayoutError> {
    let mut p = Page::new(width);
    match doc {
        Document::ApplicationReceipt(r) => receipt(&mut p, r)?,
        Document::IdentityProof(d) => identity_proof(&mut p, d)?,
        Document::SignatureReceipt(r) => signature_receipt(&mut p, r)?,
        Document::StaffSlip(s) => staff_slip(&mut p, s)?,
        Document::ResidentNotice(n) => resident_notice(&mut p, n)?,
        Document::TestPage { printed_at } => test_page(&mut p, *printed_at)?,
    }
    let (bytes, adjustments) = p.finish();
    let report = PrintReport {
        bytes: bytes.len(),
        adjustments,
        paper_low: false,
    };
    Ok((bytes, report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case("申请回执", 4, vec!["申请", "回执"])]
    #[case("abc def", 4, vec!["abc", "def"])]
    #[case("R2026 申请", 8, vec!["R2026 申", "请"])]
    #[case("ABCDEFGHIJ", 4, vec!["ABCD", "EFGH", "IJ"])]
    #[case("一\n二", 10, vec!["一", "二"])]
    #[case("", 10, vec![""])]
    fn wrapping(#[case] text: &str, #[case] cols: usize, #[case] want: Vec<&str>) {
        assert_eq!(wrap(text, cols), want);
    }

    #[test]
    fn over_long_field_is_cut_and_reported() {
        let mut p = Page::new(PaperWidth::Mm58);
        let long = "很长的地址".repeat(40);
        let lines = p.lines("township", &long, 20, MAX_FIELD_LINES);
        assert_eq!(lines.len(), MAX_FIELD_LINES);
        assert!(lines.last().unwrap().ends_with('…'));
        assert!(lines.iter().all(|l| escpos::cells(l) <= 20));
        let Adjustment::Truncated { dropped, .. } = &p.adjustments[0] else {
            panic!("{:?}", p.adjustments)
        };
        let shown: usize = lines.iter().map(|l| l.chars().count()).sum::<usize>() - 1;
        assert_eq!(shown + dropped, 200);
    }

    proptest! {
        #[test]
        fn wrapped_lines_fit_and_keep_the_text(s in "[\\u{4e00}-\\u{4e20}a-z0-9 ]{0,120}", cols in 4usize..50) {
            let lines = wrap(&s, cols);
            for l in &lines {
                prop_assert!(escpos::cells(l) <= cols, "{l:?} > {cols}");
            }
            let joined: String = lines.concat().chars().filter(|c| *c != ' ').collect();
            let orig: String = s.chars().filter(|c| *c != ' ').collect();
            prop_assert_eq!(joined, orig);
        }
    }
}
