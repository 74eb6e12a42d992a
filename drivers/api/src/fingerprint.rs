//! Fingerprint readers, shaped after MOSIP's device interface (device info, status, capture with a
//! timeout returning biometric data plus a quality score) and libfprint's split between
//! user-correctable retries (`FpDeviceRetry`) and faults (`FpDeviceError`).
//!
//! Biometric payloads ([`FingerImage`], [`Template`]) print as sizes and a short hash only.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// What a reader is and what it can hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FingerprintInfo {
    /// Driver / module family, e.g. `"R30x"` or `"U.are.U 4000B"`.
    pub model: String,
    /// Serial number or device address, as the device reports it.
    pub serial: String,
    /// Number of template slots in the on-device library (0 for image-only readers).
    pub capacity: u16,
    /// Native image width in pixels.
    pub image_width: u16,
    /// Native image height in pixels.
    pub image_height: u16,
    /// Scan resolution in pixels per inch.
    pub ppi: u16,
}

/// Readiness of a reader (MOSIP: Ready / Busy / Not Ready / Not Registered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FingerprintStatus {
    /// Idle and able to capture.
    Ready,
    /// Working on a previous command.
    Busy,
    /// Present but not usable yet (powering up, wrong password, not verified).
    NotReady,
    /// Unusable until serviced.
    Fault,
}

/// An 8-bit grayscale fingerprint image, row-major, 0 = black ridge, 255 = white background.
#[derive(Clone, PartialEq, Eq)]
pub struct FingerImage {
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// Resolution in pixels per inch.
    pub ppi: u16,
    /// `width * height` bytes.
    pub pixels: Vec<u8>,
}

impl fmt::Debug for FingerImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "FingerImage {{ {}x{} @ {}ppi, {} B, fnv {:08x} }}",
            self.width,
            self.height,
            self.ppi,
            self.pixels.len(),
            short_hash(&self.pixels)
        )
    }
}

/// How a template's bytes are to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateFormat {
    /// The module's own 512-byte character file (R30x `UpChar`), opaque to the host.
    R30xChar,
    /// ISO/IEC 19794-2:2005 finger minutiae record.
    Iso19794_2_2005,
}

/// A fingerprint template. `Debug` masks the content.
#[derive(Clone, PartialEq, Eq)]
pub struct Template {
    /// How to read `bytes`.
    pub format: TemplateFormat,
    /// The encoded template.
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Template {{ {:?}, {} B, fnv {:08x} }}",
            self.format,
            self.bytes.len(),
            short_hash(&self.bytes)
        )
    }
}

/// A non-cryptographic 32-bit FNV-1a digest, enough to tell two payloads apart in a log line.
pub fn short_hash(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

/// What a capture should return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureKind {
    /// Only the image (image readers, or an R30x `UpImage`).
    Image,
    /// Only a template.
    Template,
    /// Both.
    Both,
}

/// A cooperative cancellation flag shared between the caller and a running capture.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A fresh, un-cancelled token.
    pub fn new() -> Self {
        Self::default()
    }
    /// Ask the running operation to stop at its next poll.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// One capture request (MOSIP `capture`: timeout, requested data).
#[derive(Debug, Clone)]
pub struct CaptureRequest {
    /// Give up with [`FingerprintError::Timeout`] when no usable finger arrives in this time.
    pub timeout: Duration,
    /// What to return.
    pub kind: CaptureKind,
    /// Polled between device round trips.
    pub cancel: CancelToken,
}

/// A successful capture.
#[derive(Debug, Clone)]
pub struct Capture {
    /// The image, when requested and the device can send it.
    pub image: Option<FingerImage>,
    /// The template, when requested.
    pub template: Option<Template>,
    /// Quality 0..=100 (higher is better).
    pub quality: u8,
}

/// Result of a 1:1 verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyOutcome {
    /// Whether the score reached the device's threshold.
    pub matched: bool,
    /// The device's or matcher's score (R30x: module score; host: BOZORTH3 score).
    pub score: u32,
}

/// Result of an enrolment.
#[derive(Debug, Clone)]
pub struct Enrollment {
    /// Library slot it was stored in, for modules with an on-device library.
    pub slot: Option<u16>,
    /// The merged template, as the host keeps it.
    pub template: Template,
}

/// Something the person at the reader can fix by trying again. Never a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryReason {
    /// No finger on the sensor.
    NoFinger,
    /// The image was unusable (smudged, too dry/wet, capture failed).
    PoorImage,
    /// The image had too few features to build a template.
    TooFewFeatures,
    /// Lift the finger and place it again (e.g. between enrolment scans).
    MoveFinger,
}

impl RetryReason {
    /// The prompt to show or speak.
    pub fn prompt(self) -> &'static str {
        match self {
            Self::NoFinger => "请将手指放在采集器上 / Place your finger on the reader",
            Self::PoorImage => {
                "图像不清晰，请擦干手指后重按 / Image unclear: dry the finger and press again"
            }
            Self::TooFewFeatures => {
                "特征点太少，请按实并居中 / Too few features: press flat and centred"
            }
            Self::MoveFinger => "请抬起手指后再按 / Lift the finger and place it again",
        }
    }
}

/// Why a fingerprint operation did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FingerprintError {
    /// The user can fix this; ask again.
    #[error("retry: {}", .0.prompt())]
    Retry(RetryReason),
    /// No usable finger within the requested timeout.
    #[error("no usable finger within {0:?}; ask the resident to try again or use another finger")]
    Timeout(Duration),
    /// The caller cancelled.
    #[error("cancelled")]
    Cancelled,
    /// The device refused or failed a command; check the device, then reconnect.
    #[error("device fault: {0}")]
    Device(String),
    /// Link problem (serial/USB I/O, garbled or missing reply). Check the cable and the port settings.
    #[error("link error: {0} (check the cable, port and baud rate)")]
    Link(String),
    /// The operation is not offered by this reader.
    #[error("not supported by this reader: {0}")]
    Unsupported(&'static str),
    /// A template or image supplied by the caller was malformed.
    #[error("invalid data: {0}")]
    InvalidData(String),
}

impl FingerprintError {
    /// Whether asking the resident to try again can succeed (retries, timeouts), as opposed to a
    /// fault that needs staff.
    pub fn is_retry(&self) -> bool {
        matches!(self, Self::Retry(_) | Self::Timeout(_))
    }
}

/// A fingerprint reader (serial module or USB image reader).
pub trait FingerprintReader {
    /// Model, serial, capacity and image geometry.
    fn info(&mut self) -> Result<FingerprintInfo, FingerprintError>;
    /// Current readiness.
    fn status(&mut self) -> Result<FingerprintStatus, FingerprintError>;
    /// Wait for a finger and capture it.
    fn capture(&mut self, req: &CaptureRequest) -> Result<Capture, FingerprintError>;
    /// Capture a live finger and compare it 1:1 with `reference`.
    fn verify(
        &mut self,
        reference: &Template,
        req: &CaptureRequest,
    ) -> Result<VerifyOutcome, FingerprintError>;
    /// Capture the finger twice (lifting in between), merge, and return the template
    /// (stored in `slot` on modules with a library).
    fn enroll(
        &mut self,
        slot: Option<u16>,
        req: &CaptureRequest,
    ) -> Result<Enrollment, FingerprintError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_masks_biometric_bytes() {
        let t = Template {
            format: TemplateFormat::R30xChar,
            bytes: vec![0xAB; 512],
        };
        let s = format!("{t:?}");
        assert!(s.contains("512 B"), "{s}");
        assert!(!s.contains("171") && !s.contains("ab, ab"), "{s}");
        let i = FingerImage {
            width: 2,
            height: 1,
            ppi: 500,
            pixels: vec![7, 9],
        };
        assert!(format!("{i:?}").contains("2x1"));
        assert!(!format!("{i:?}").contains("[7"));
    }

    #[test]
    fn retries_are_not_faults() {
        assert!(FingerprintError::Retry(RetryReason::PoorImage).is_retry());
        assert!(!FingerprintError::Device("x".into()).is_retry());
        assert!(!FingerprintError::Link("x".into()).is_retry());
    }

    #[test]
    fn cancel_token_is_shared() {
        let t = CancelToken::new();
        let u = t.clone();
        u.cancel();
        assert!(t.is_cancelled());
    }
}
