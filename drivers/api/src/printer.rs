//! Receipt printers (ESC/POS): what the kiosk prints ([`Document`], serializable so a proof or a
//! receipt can be printed again from 进度查询 / 资格认证), what a printer reports
//! ([`PrinterStatus`]) and the faults the UI shows staff (paper out, cover open, offline).
//!
//! Documents hold personal data only in masked form: their constructors take the full
//! [`PersonName`] and keep [`PersonName::masked`]; a proof holds only its signed code, whose
//! payload is masked by construction (`jiuzhu_core::proof`).

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};
use jiuzhu_core::api::AssistanceType;
use jiuzhu_core::id::PersonName;
use serde::{Deserialize, Serialize};

/// Paper roll width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaperWidth {
    /// 58 mm paper: 384 dots at 203 dpi, 32 half-width characters of font A (12×24).
    Mm58,
    /// 80 mm paper: 576 dots at 203 dpi, 48 half-width characters of font A.
    Mm80,
}

impl PaperWidth {
    /// Printable width in dots.
    pub fn dots(self) -> u16 {
        match self {
            PaperWidth::Mm58 => 384,
            PaperWidth::Mm80 => 576,
        }
    }

    /// Half-width character cells per line at normal size (12-dot font A).
    pub fn columns(self) -> usize {
        usize::from(self.dots()) / 12
    }

    /// From a width in dots (384 or 576).
    pub fn from_dots(dots: u16) -> Option<Self> {
        match dots {
            384 => Some(PaperWidth::Mm58),
            576 => Some(PaperWidth::Mm80),
            _ => None,
        }
    }
}

/// What a printer reports when asked (DLE EOT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrinterStatus {
    /// Online with paper.
    Ready,
    /// The paper near-end sensor is triggered: printing works, staff should change the roll soon.
    PaperLow,
    /// No paper: nothing can be printed.
    PaperOut,
    /// The cover is open.
    CoverOpen,
    /// The printer does not answer or reports itself offline.
    Offline,
}

impl PrinterStatus {
    /// Whether printing is impossible in this state.
    pub fn is_fault(self) -> bool {
        !matches!(self, PrinterStatus::Ready | PrinterStatus::PaperLow)
    }

    /// What to tell staff, in Chinese.
    pub fn prompt_zh(self) -> &'static str {
        match self {
            PrinterStatus::Ready => "打印机就绪",
            PrinterStatus::PaperLow => "打印纸即将用完，请工作人员及时更换纸卷",
            PrinterStatus::PaperOut => "打印机缺纸，请工作人员更换纸卷",
            PrinterStatus::CoverOpen => "打印机舱盖未关好，请工作人员合上舱盖",
            PrinterStatus::Offline => "打印机未连接，请工作人员检查电源和数据线",
        }
    }
}

impl fmt::Display for PrinterStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PrinterStatus::Ready => "ready",
            PrinterStatus::PaperLow => "paper low",
            PrinterStatus::PaperOut => "paper out",
            PrinterStatus::CoverOpen => "cover open",
            PrinterStatus::Offline => "offline",
        })
    }
}

/// One step an applicant can expect after applying, with the day it is due by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextStep {
    /// What happens, e.g. 乡镇受理.
    pub what: String,
    /// Due by this day.
    pub by: NaiveDate,
    /// The day falls in a year whose holiday notice is not yet published, so it may move.
    #[serde(default)]
    pub tentative: bool,
}

/// The receipt handed over when an application is submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationReceipt {
    /// Receipt / case number.
    pub receipt_no: String,
    /// When it was submitted, China time.
    pub submitted_at: NaiveDateTime,
    /// Township name, e.g. 涪陵区江北街道.
    pub township: String,
    /// The applicant, masked (张*).
    pub applicant_masked: String,
    /// Assistance types applied for.
    pub types: Vec<AssistanceType>,
    /// What happens next and by when.
    pub next_steps: Vec<NextStep>,
    /// Township hotline.
    pub hotline: String,
    /// 举报 number.
    pub report_phone: String,
}

impl ApplicationReceipt {
    /// A receipt; the applicant's name is masked here.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        receipt_no: impl Into<String>,
        submitted_at: NaiveDateTime,
        township: impl Into<String>,
        applicant: &PersonName,
        types: Vec<AssistanceType>,
        next_steps: Vec<NextStep>,
        hotline: impl Into<String>,
        report_phone: impl Into<String>,
    ) -> Self {
        ApplicationReceipt {
            receipt_no: receipt_no.into(),
            submitted_at,
            township: township.into(),
            applicant_masked: applicant.masked(),
            types,
            next_steps,
            hotline: hotline.into(),
            report_phone: report_phone.into(),
        }
    }
}

/// The 社会救助身份证明 issued at certification. Everything printed about the recipient comes from
/// the signed code, so a reprint shows exactly what the QR proves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityProofDoc {
    /// The signed code (`JZP1:…`) from `jiuzhu_core::proof::issue`.
    pub code: String,
    /// Township name printed beside the code's township number.
    pub township_name: String,
    /// Issuing authority, e.g. 重庆市涪陵区民政局.
    pub issuer: String,
    /// Where the public can check it, e.g. the central service's public URL.
    pub verify_at: String,
    /// Township hotline.
    pub hotline: String,
}

/// 核对授权书签署回执: what a household member who signed the authorization at the kiosk takes
/// home (签署授权). Only masked names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureReceipt {
    /// Central's case number of the application.
    pub case_no: String,
    /// When the member signed, China time.
    pub signed_at: NaiveDateTime,
    /// Township name.
    pub township: String,
    /// The applicant, masked.
    pub applicant_masked: String,
    /// The signer, masked.
    pub signer_masked: String,
    /// Assistance applied for.
    pub types: Vec<AssistanceType>,
    /// How the signer was identified, in words (e.g. 身份证+指纹，手写签名).
    pub method: String,
    /// Whether the signature still waits on the kiosk for the network.
    pub queued: bool,
    /// Township hotline.
    pub hotline: String,
}

/// A slip for staff: a titled list of label/value lines (一次性告知, assistance requests, jam
/// reports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffSlip {
    /// Title, e.g. 一次性告知书.
    pub title: String,
    /// Case or ticket number, if any.
    pub reference: Option<String>,
    /// Label/value lines.
    pub lines: Vec<(String, String)>,
    /// Printed at, China time.
    pub printed_at: NaiveDateTime,
    /// Kiosk id.
    pub kiosk: String,
}

/// A document of the resident's case (告知书, 决定书) or a receipt of a step they took at the
/// kiosk (回执), printed in full as central issued it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentNotice {
    /// Title, e.g. 一次性告知书.
    pub title: String,
    /// The short case number.
    pub case_no: String,
    /// The full text; paragraphs separated by line breaks.
    pub text: String,
    /// Printed at, China time.
    pub printed_at: NaiveDateTime,
}

/// Anything the kiosk prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Document {
    /// 申请回执.
    ApplicationReceipt(ApplicationReceipt),
    /// 社会救助身份证明.
    IdentityProof(IdentityProofDoc),
    /// 核对授权书签署回执.
    SignatureReceipt(SignatureReceipt),
    /// Staff slip.
    StaffSlip(StaffSlip),
    /// A notice of the resident's case or a receipt, in full.
    ResidentNotice(ResidentNotice),
    /// Test page (fonts, sizes, raster, QR).
    TestPage {
        /// Printed at, China time.
        printed_at: NaiveDateTime,
    },
}

/// Something changed so a document would print cleanly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Adjustment {
    /// A character the printer's GB18030/GBK font cannot show was printed as `□`.
    Replaced {
        /// The character.
        ch: char,
        /// Which field.
        field: String,
    },
    /// A field longer than its lines allow was cut, marked with `…`.
    Truncated {
        /// Which field.
        field: String,
        /// Characters dropped.
        dropped: usize,
    },
}

/// What printing did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintReport {
    /// Bytes sent.
    pub bytes: usize,
    /// Replacements and truncations, for the log and for staff.
    pub adjustments: Vec<Adjustment>,
    /// The paper near-end sensor was on after printing.
    pub paper_low: bool,
}

/// Why printing failed. Faults are states staff must fix; nothing was printed (or the printout
/// is incomplete) and the document can be printed again.
#[derive(Debug, thiserror::Error)]
pub enum PrinterError {
    /// The printer reports a state that stops printing.
    #[error("printer fault: {0} — {prompt}", prompt = .0.prompt_zh())]
    Fault(PrinterStatus),
    /// The link broke.
    #[error("printer link error: {0} (check the cable, the port or the printer's network address)")]
    Link(String),
    /// The document cannot be laid out.
    #[error("document cannot be printed: {0}")]
    InvalidDocument(String),
}

impl PrinterError {
    /// The status the UI shows for this error.
    pub fn status(&self) -> Option<PrinterStatus> {
        match self {
            PrinterError::Fault(s) => Some(*s),
            PrinterError::Link(_) => Some(PrinterStatus::Offline),
            PrinterError::InvalidDocument(_) => None,
        }
    }
}

/// A receipt printer.
pub trait ReceiptPrinter {
    /// Paper width the printer is configured for.
    fn paper_width(&self) -> PaperWidth;
    /// Asks the printer for its state (DLE EOT).
    fn status(&mut self) -> Result<PrinterStatus, PrinterError>;
    /// Checks the state, then prints and cuts one document.
    fn print(&mut self, doc: &Document) -> Result<PrintReport, PrinterError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_keeps_only_the_masked_name() {
        let name = PersonName::new("张三丰").unwrap();
        let at = NaiveDate::from_ymd_opt(2026, 3, 2)
            .unwrap()
            .and_hms_opt(9, 30, 0)
            .unwrap();
        let r = ApplicationReceipt::new("R1", at, "江北街道", &name, vec![], vec![], "1", "2");
        let json = serde_json::to_string(&Document::ApplicationReceipt(r.clone())).unwrap();
        assert!(!json.contains("三丰"), "{json}");
        let back: Document = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Document::ApplicationReceipt(r));
    }

    #[test]
    fn faults_are_the_blocking_states() {
        use PrinterStatus::*;
        let faults: Vec<_> = [Ready, PaperLow, PaperOut, CoverOpen, Offline]
            .into_iter()
            .filter(|s| s.is_fault())
            .collect();
        assert_eq!(faults, [PaperOut, CoverOpen, Offline]);
        assert_eq!(PrinterError::Link("x".into()).status(), Some(Offline));
    }
}
