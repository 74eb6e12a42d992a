//! Resident identity card readers (二代证, SAM "业务终端接口", GA/T 467-2019 §7): what a card
//! holds once read ([`IdentityCard`]), what a reader reports ([`IdCardEvent`]) and the split between
//! user-correctable retries (card misplaced, misread, pulled too early) and faults that need staff
//! (SAM failure, broken link), after libfprint's `FpDeviceRetry` / `FpDeviceError`.
//!
//! Everything personal — name, number, address, photo, fingerprints — prints masked in `Debug`
//! and `Display`; the full values are reachable only through explicit `as_unmasked_*` accessors.

use std::fmt;
use std::time::Duration;

use chrono::NaiveDate;
use jiuzhu_core::id::{IdNumber, PersonName};

use crate::fingerprint::CancelToken;

/// FNV-1a over a payload, enough to tell two photos apart in a log line without showing them.
fn short_hash(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

/// Which document was placed on the reader (text-block discriminator at offset 248).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardKind {
    /// 居民身份证 (second/third generation resident identity card).
    Resident,
    /// 外国人永久居留身份证 ('I').
    ForeignPermanentResident,
    /// 港澳台居民居住证 ('J').
    HkMacaoTaiwanResidence,
}

impl CardKind {
    /// Chinese name of the document.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Resident => "居民身份证",
            Self::ForeignPermanentResident => "外国人永久居留身份证",
            Self::HkMacaoTaiwanResidence => "港澳台居民居住证",
        }
    }
}

/// The sex code on the card (GB/T 2261.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// 0 未知的性别.
    Unknown,
    /// 1 男.
    Male,
    /// 2 女.
    Female,
    /// 9 未说明的性别.
    Unspecified,
}

impl Sex {
    /// From the one-character code on the card.
    pub fn from_code(c: char) -> Option<Self> {
        match c {
            '0' => Some(Self::Unknown),
            '1' => Some(Self::Male),
            '2' => Some(Self::Female),
            '9' => Some(Self::Unspecified),
            _ => None,
        }
    }

    /// The one-character code.
    pub fn code(self) -> char {
        match self {
            Self::Unknown => '0',
            Self::Male => '1',
            Self::Female => '2',
            Self::Unspecified => '9',
        }
    }

    /// 男 / 女 / 未知 / 未说明.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Unknown => "未知",
            Self::Male => "男",
            Self::Female => "女",
            Self::Unspecified => "未说明",
        }
    }
}

/// 民族 as the card codes it (GB 3304: 01 汉 … 56 基诺, 97 其他, 98 外国血统中国籍人士).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Nation {
    /// The two-digit code.
    pub code: u8,
    /// Its name, e.g. 汉, 土家.
    pub name: &'static str,
}

/// How long a card is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValidUntil {
    /// Last day of validity.
    Date(NaiveDate),
    /// 长期: no end date (issued to people aged 46 and over).
    LongTerm,
}

impl fmt::Display for ValidUntil {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Date(d) => write!(f, "{d}"),
            Self::LongTerm => f.write_str("长期"),
        }
    }
}

/// Text that is personal (an address, a permit number, a foreign name). `Debug`/`Display` show
/// only its length.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct MaskedText(String);

impl MaskedText {
    /// Wraps a value.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    /// The full value.
    pub fn as_unmasked_str(&self) -> &str {
        &self.0
    }
    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for MaskedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} chars>", self.0.chars().count())
    }
}

impl fmt::Display for MaskedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// The number printed on the document.
#[derive(Clone, PartialEq, Eq)]
pub enum DocumentNumber {
    /// A GB 11643 citizen identity number (resident cards and most residence permits).
    Citizen(IdNumber),
    /// Another number: a foreigner's permanent-residence number, or a residence-permit
    /// number outside the province codes the ID-number validator knows (830000 台湾).
    Other(MaskedText),
}

impl DocumentNumber {
    /// The full number.
    pub fn as_unmasked_str(&self) -> &str {
        match self {
            Self::Citizen(id) => id.as_unmasked_str(),
            Self::Other(t) => t.as_unmasked_str(),
        }
    }

    /// First 4 and last 4 characters, the rest as `*`.
    pub fn masked(&self) -> String {
        match self {
            Self::Citizen(id) => id.masked(),
            Self::Other(t) => {
                let c: Vec<char> = t.as_unmasked_str().chars().collect();
                if c.len() <= 8 {
                    "*".repeat(c.len())
                } else {
                    let head: String = c[..4].iter().collect();
                    let tail: String = c[c.len() - 4..].iter().collect();
                    format!("{head}{}{tail}", "*".repeat(c.len() - 8))
                }
            }
        }
    }

    /// The citizen identity number, when it is one.
    pub fn as_id_number(&self) -> Option<&IdNumber> {
        match self {
            Self::Citizen(id) => Some(id),
            Self::Other(_) => None,
        }
    }
}

impl fmt::Debug for DocumentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocumentNumber({})", self.masked())
    }
}

impl fmt::Display for DocumentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// The card's 1024-byte WLT-compressed photo. Opaque: decoding needs a licensed vendor library.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct WltPhoto(pub Vec<u8>);

impl fmt::Debug for WltPhoto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "WltPhoto {{ {} B, fnv {:08x} }}",
            self.0.len(),
            short_hash(&self.0)
        )
    }
}

/// The card's fingerprint file (GA 490 / GA/T 1012 national format, 512 B per finger, 0–2
/// fingers). Opaque: matching it needs a licensed algorithm.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct CardFingerprints(pub Vec<u8>);

impl CardFingerprints {
    /// Number of 512-byte finger records.
    pub fn fingers(&self) -> usize {
        self.0.len() / 512
    }
}

impl fmt::Debug for CardFingerprints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CardFingerprints {{ {} B, fnv {:08x} }}",
            self.0.len(),
            short_hash(&self.0)
        )
    }
}

/// Fields only the foreigner's permanent-residence card ('I') carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignPermitDetails {
    /// Chinese name, when the card has one.
    pub chinese_name: Option<PersonName>,
    /// ISO 3166-1 alpha-3 nationality, e.g. `CAN`.
    pub nationality: String,
    /// Card version, e.g. `01`.
    pub card_version: String,
    /// Code of the issuing authority.
    pub issuer_code: String,
}

/// Fields only the 港澳台居民居住证 ('J') carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidencePermitDetails {
    /// 通行证号码 (the travel-permit number).
    pub pass_number: MaskedText,
    /// 签发次数 (how many times a permit was issued).
    pub issue_count: u8,
}

/// Everything read from one card. `Debug` masks every personal field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityCard {
    /// Which document it is.
    pub kind: CardKind,
    /// 姓名 (for 'I' cards the English name as printed).
    pub name: PersonName,
    /// 性别.
    pub sex: Sex,
    /// 民族; `None` on cards without one ('I', 'J').
    pub nation: Option<Nation>,
    /// 出生.
    pub birth_date: NaiveDate,
    /// 住址 (empty on 'I' cards).
    pub address: MaskedText,
    /// 公民身份号码 / 永久居留证号码.
    pub number: DocumentNumber,
    /// 签发机关.
    pub issuer: String,
    /// 有效期限 start.
    pub valid_from: NaiveDate,
    /// 有效期限 end.
    pub valid_until: ValidUntil,
    /// The WLT photo.
    pub photo: WltPhoto,
    /// The fingerprint file (empty when not requested or not on the card).
    pub fingerprints: CardFingerprints,
    /// 'I' card fields.
    pub foreign: Option<ForeignPermitDetails>,
    /// 'J' card fields.
    pub residence: Option<ResidencePermitDetails>,
}

impl IdentityCard {
    /// The citizen identity number, when the document carries one.
    pub fn id_number(&self) -> Option<&IdNumber> {
        self.number.as_id_number()
    }

    /// Whether the card is valid on `today` (start ≤ today ≤ end).
    pub fn is_valid_on(&self, today: NaiveDate) -> bool {
        today >= self.valid_from
            && match self.valid_until {
                ValidUntil::Date(end) => today <= end,
                ValidUntil::LongTerm => true,
            }
    }
}

/// State of the reader's security module, answered by the SAM status check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReaderStatus {
    /// The SAM answered 90: cards can be read.
    Ready,
    /// The SAM answered with a failure status (code attached); the reader needs service.
    SamFault(u8),
}

/// Something the resident can fix by placing the card again. Never a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdCardRetry {
    /// The card was found but could not be selected (moved, partly on the antenna).
    SelectFailed,
    /// The read failed or the card was pulled before it finished.
    ReadFailed,
    /// The card and the SAM did not authenticate each other (damaged or non-genuine card).
    AuthenticationFailed,
    /// Not an identity card (a bank or transport card, say).
    UnknownCardType,
    /// The card's text did not decode (misread).
    Unreadable,
}

impl IdCardRetry {
    /// The prompt to show or speak.
    pub fn prompt(self) -> &'static str {
        match self {
            Self::SelectFailed | Self::ReadFailed | Self::Unreadable => {
                "读卡失败，请将身份证平放在感应区不要移动 / Could not read the card: lay it flat on the reader and hold still"
            }
            Self::AuthenticationFailed => {
                "此卡无法验证，请换一张证件或联系工作人员 / This card could not be verified: try another document or ask staff"
            }
            Self::UnknownCardType => {
                "这不是身份证，请放居民身份证 / This is not an identity card: place your ID card"
            }
        }
    }
}

/// Why a reader operation did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdCardError {
    /// The resident can fix this; ask them to place the card again.
    #[error("retry: {}", .0.prompt())]
    Retry(IdCardRetry),
    /// No card arrived within the requested time.
    #[error("no card within {0:?}; ask the resident to place the card on the reader")]
    Timeout(Duration),
    /// The caller cancelled.
    #[error("cancelled")]
    Cancelled,
    /// The security module failed (status code attached); the reader needs service.
    #[error(
        "SAM fault (status {code:#04x}: {meaning}); power-cycle the reader, then call service if it persists"
    )]
    Sam {
        /// SW3 from the reader.
        code: u8,
        /// What the code means.
        meaning: &'static str,
    },
    /// The reader rejected a command it should accept (driver or firmware mismatch).
    #[error(
        "the reader rejected the command (status {code:#04x}: {meaning}); check the reader model"
    )]
    Rejected {
        /// SW3 from the reader.
        code: u8,
        /// What the code means.
        meaning: &'static str,
    },
    /// Serial/USB I/O failed or replies were garbled or missing after retries.
    #[error("link error: {0} (check the cable, the port and the baud rate)")]
    Link(String),
}

impl IdCardError {
    /// Whether placing the card again can succeed, as opposed to a fault that needs staff.
    pub fn is_retry(&self) -> bool {
        matches!(self, Self::Retry(_) | Self::Timeout(_))
    }
}

/// What the reader saw during one poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdCardEvent {
    /// A card arrived on the antenna.
    CardPresent,
    /// The card was read.
    CardRead(Box<IdentityCard>),
    /// The card left the antenna; a new one may be read.
    CardRemoved,
    /// A read attempt failed in a way the resident can fix.
    Retry(IdCardRetry),
}

/// An identity-card reader. Opened by the driver crate's factory functions.
pub trait IdCardReader {
    /// Model or transport description, for logs and `devices list`.
    fn describe(&self) -> String;
    /// Asks the SAM for its status.
    fn status(&mut self) -> Result<ReaderStatus, IdCardError>;
    /// Whether to read the card's fingerprint file along with text and photo.
    fn set_read_fingerprints(&mut self, on: bool);
    /// Starts a new session: forgets the card read last, so the next card found is read even
    /// if nobody polled while the previous one left and a card was put down again.
    fn rearm(&mut self) {}
    /// Polls until something happens or `timeout` passes (`Ok(None)`), checking `cancel`
    /// between round trips. A card is read once; it must leave before it is read again.
    fn next_event(
        &mut self,
        timeout: Duration,
        cancel: &CancelToken,
    ) -> Result<Option<IdCardEvent>, IdCardError>;

    /// Waits for a card and returns it, passing over presence/removal events and retries
    /// (the last retry is returned as the error when time runs out after one).
    fn read_card(
        &mut self,
        timeout: Duration,
        cancel: &CancelToken,
    ) -> Result<IdentityCard, IdCardError> {
        let deadline = std::time::Instant::now() + timeout;
        let mut last_retry = None;
        loop {
            let now = std::time::Instant::now();
            if now >= deadline {
                return Err(last_retry
                    .map(IdCardError::Retry)
                    .unwrap_or(IdCardError::Timeout(timeout)));
            }
            if cancel.is_cancelled() {
                return Err(IdCardError::Cancelled);
            }
            match self.next_event(deadline - now, cancel)? {
                Some(IdCardEvent::CardRead(card)) => return Ok(*card),
                Some(IdCardEvent::Retry(r)) => last_retry = Some(r),
                Some(IdCardEvent::CardPresent | IdCardEvent::CardRemoved) | None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> IdentityCard {
        IdentityCard {
            kind: CardKind::Resident,
            name: PersonName::new("冉光秀").unwrap(),
            sex: Sex::Female,
            nation: Some(Nation {
                code: 15,
                name: "土家",
            }),
            birth_date: NaiveDate::from_ymd_opt(1946, 3, 8).unwrap(),
            address: MaskedText::new("重庆市涪陵区敦仁街道人民东路88号"),
            number: DocumentNumber::Citizen(IdNumber::parse("11010519491231002X").unwrap()),
            issuer: "重庆市公安局涪陵区分局".into(),
            valid_from: NaiveDate::from_ymd_opt(2012, 5, 2).unwrap(),
            valid_until: ValidUntil::LongTerm,
            photo: WltPhoto(vec![0x57; 1024]),
            fingerprints: CardFingerprints(vec![0x43; 1024]),
            foreign: None,
            residence: None,
        }
    }

    #[test]
    fn debug_masks_personal_data() {
        let s = format!("{:?}", card());
        for secret in ["光秀", "人民东路", "0519491231", "87, 87", "67, 67"] {
            assert!(!s.contains(secret), "{secret} leaked in {s}");
        }
        assert!(s.contains("冉"), "{s}");
        assert!(s.contains("1024 B"), "{s}");
    }

    #[test]
    fn other_numbers_mask_the_middle() {
        let n = DocumentNumber::Other(MaskedText::new("CAN123456789012"));
        assert_eq!(n.masked(), "CAN1*******9012");
        assert!(!format!("{n:?}").contains("5678"));
    }

    #[test]
    fn validity_bounds() {
        let mut c = card();
        assert!(c.is_valid_on(NaiveDate::from_ymd_opt(2060, 1, 1).unwrap()));
        assert!(!c.is_valid_on(NaiveDate::from_ymd_opt(2012, 5, 1).unwrap()));
        c.valid_until = ValidUntil::Date(NaiveDate::from_ymd_opt(2032, 5, 2).unwrap());
        assert!(c.is_valid_on(NaiveDate::from_ymd_opt(2032, 5, 2).unwrap()));
        assert!(!c.is_valid_on(NaiveDate::from_ymd_opt(2032, 5, 3).unwrap()));
    }

    #[test]
    fn sex_codes_round_trip() {
        for c in ['0', '1', '2', '9'] {
            assert_eq!(Sex::from_code(c).unwrap().code(), c);
        }
        assert_eq!(Sex::from_code('3'), None);
    }

    #[test]
    fn retries_are_not_faults() {
        assert!(IdCardError::Retry(IdCardRetry::ReadFailed).is_retry());
        assert!(
            !IdCardError::Sam {
                code: 0x60,
                meaning: "x"
            }
            .is_retry()
        );
        assert!(!IdCardError::Link("x".into()).is_retry());
    }
}
