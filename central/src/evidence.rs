//! The on-site photo of a recipient taken in guardian mode (监护人代认证, domain.md §3): checked
//! (a decodable JPEG within size and dimension limits) and encrypted before it is stored.
//!
//! Scheme `JIUZHU-EVIDENCE-V1`: ChaCha20-Poly1305 under the key
//! `SHA-256("JIUZHU-EVIDENCE-V1" ‖ district key seed)` (the district key file is 0600 and never
//! leaves the service), a random 12-byte nonce per photo, and the associated data
//! `"JIUZHU-EVIDENCE-V1" ‖ hex SHA-256 of the photo`, so a row's ciphertext cannot be moved under
//! another row's digest. The photo is never logged.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use ed25519_dalek::SigningKey;
use jiuzhu_core::api::{EVIDENCE_CONTENT_TYPE, EvidencePhoto, MAX_EVIDENCE_BYTES};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Domain-separation label of the evidence encryption.
pub const EVIDENCE_SCHEME: &str = "JIUZHU-EVIDENCE-V1";
/// Smallest accepted side of an evidence photo, in pixels (a face must be recognisable).
pub const MIN_SIDE: u32 = 120;
/// Largest accepted side of an evidence photo, in pixels.
pub const MAX_SIDE: u32 = 4096;

/// Why an evidence photo was refused. Each maps to an HTTP answer naming the remedy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    /// The resident did not consent to the photo.
    #[error(
        "evidence_photo.consent: the photo may only be sent with the resident's consent; ask for it at the kiosk or use a staff witness"
    )]
    NoConsent,
    /// Not `image/jpeg`.
    #[error("evidence_photo.content_type: only image/jpeg is accepted, got {0:?}")]
    ContentType(String),
    /// `data` is not standard base64.
    #[error("evidence_photo.data: not standard base64")]
    Base64,
    /// Larger than [`MAX_EVIDENCE_BYTES`].
    #[error(
        "evidence_photo.data: {0} bytes; at most {MAX_EVIDENCE_BYTES} bytes are accepted (lower the JPEG quality)"
    )]
    TooLarge(usize),
    /// Not a decodable JPEG, or of unusable dimensions.
    #[error("evidence_photo.data: {0}")]
    NotJpeg(String),
    /// The stored ciphertext does not open (wrong key or edited row).
    #[error("the stored evidence photo does not open with this district key")]
    Decrypt,
}

impl EvidenceError {
    /// Machine-readable code for the error body.
    pub fn code(&self) -> &'static str {
        match self {
            EvidenceError::NoConsent => "evidence_without_consent",
            EvidenceError::TooLarge(_) => "evidence_too_large",
            EvidenceError::Decrypt => "evidence_unreadable",
            _ => "invalid_evidence",
        }
    }
}

/// A checked photo: its bytes and its dimensions.
pub struct CheckedPhoto {
    /// JPEG bytes.
    pub bytes: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl std::fmt::Debug for CheckedPhoto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CheckedPhoto({}×{}, {} bytes)",
            self.width,
            self.height,
            self.bytes.len()
        )
    }
}

/// Checks a photo from the kiosk: consent, type, size, and that the bytes decode as a JPEG
/// between [`MIN_SIDE`] and [`MAX_SIDE`] pixels a side.
pub fn check(photo: &EvidencePhoto) -> Result<CheckedPhoto, EvidenceError> {
    if !photo.consent {
        return Err(EvidenceError::NoConsent);
    }
    if photo.content_type != EVIDENCE_CONTENT_TYPE {
        return Err(EvidenceError::ContentType(
            photo.content_type.chars().take(40).collect(),
        ));
    }
    // base64 is 4/3 the size: refuse an oversized body before decoding it
    if photo.data.len() > MAX_EVIDENCE_BYTES.div_ceil(3) * 4 {
        return Err(EvidenceError::TooLarge(photo.data.len() / 4 * 3));
    }
    let bytes = photo.bytes().ok_or(EvidenceError::Base64)?;
    if bytes.len() > MAX_EVIDENCE_BYTES {
        return Err(EvidenceError::TooLarge(bytes.len()));
    }
    if !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Err(EvidenceError::NotJpeg(
            "not a JPEG (no start-of-image marker)".into(),
        ));
    }
    // decoders fill a cut-off picture with grey; a whole JPEG ends with its end-of-image marker
    if !bytes.ends_with(&[0xFF, 0xD9]) {
        return Err(EvidenceError::NotJpeg(
            "the JPEG is cut off (no end-of-image marker); take the photo again".into(),
        ));
    }
    let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
        .map_err(|e| EvidenceError::NotJpeg(format!("the JPEG does not decode: {e}")))?;
    let (width, height) = (img.width(), img.height());
    if width.min(height) < MIN_SIDE || width.max(height) > MAX_SIDE {
        return Err(EvidenceError::NotJpeg(format!(
            "{width}×{height} pixels; a side must be {MIN_SIDE}–{MAX_SIDE}"
        )));
    }
    Ok(CheckedPhoto {
        bytes,
        width,
        height,
    })
}

/// An evidence photo as stored: encrypted, with its digest and size.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedEvidence {
    /// Content type (`image/jpeg`).
    pub content_type: String,
    /// Hex SHA-256 of the photo.
    pub sha256: String,
    /// Size of the photo in bytes.
    pub size: usize,
    /// The 12-byte nonce.
    pub nonce: Vec<u8>,
    /// Ciphertext with the 16-byte tag.
    pub ciphertext: Vec<u8>,
}

impl std::fmt::Debug for SealedEvidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SealedEvidence({}, {} bytes)",
            self.content_type, self.size
        )
    }
}

fn key(district: &SigningKey) -> ChaCha20Poly1305 {
    let mut h = Sha256::new();
    h.update(EVIDENCE_SCHEME.as_bytes());
    h.update(district.to_bytes());
    let k: [u8; 32] = h.finalize().into();
    ChaCha20Poly1305::new((&k).into())
}

fn aad(sha256: &str) -> Vec<u8> {
    let mut a = EVIDENCE_SCHEME.as_bytes().to_vec();
    a.extend_from_slice(sha256.as_bytes());
    a
}

/// Encrypts a checked photo for storage.
pub fn seal(district: &SigningKey, photo: &CheckedPhoto) -> SealedEvidence {
    let sha256 = hex::encode(Sha256::digest(&photo.bytes));
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ciphertext = key(district)
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &photo.bytes,
                aad: &aad(&sha256),
            },
        )
        .expect("ChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
    SealedEvidence {
        content_type: EVIDENCE_CONTENT_TYPE.into(),
        sha256,
        size: photo.bytes.len(),
        nonce: nonce.to_vec(),
        ciphertext,
    }
}

/// Decrypts a stored photo (for staff review and tests); checks its digest.
pub fn open(district: &SigningKey, sealed: &SealedEvidence) -> Result<Vec<u8>, EvidenceError> {
    if sealed.nonce.len() != 12 {
        return Err(EvidenceError::Decrypt);
    }
    let bytes = key(district)
        .decrypt(
            Nonce::from_slice(&sealed.nonce),
            Payload {
                msg: &sealed.ciphertext,
                aad: &aad(&sealed.sha256),
            },
        )
        .map_err(|_| EvidenceError::Decrypt)?;
    if hex::encode(Sha256::digest(&bytes)) != sealed.sha256 {
        return Err(EvidenceError::Decrypt);
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real JPEG of `w`×`h` grey pixels, encoded by the `image` crate.
    pub(crate) fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
            .encode_image(&img)
            .unwrap();
        out
    }

    #[test]
    fn a_jpeg_with_consent_is_sealed_and_opens_only_with_the_district_key() {
        let bytes = jpeg(320, 240);
        let checked = check(&EvidencePhoto::jpeg(&bytes)).unwrap();
        assert_eq!((checked.width, checked.height), (320, 240));
        let k = SigningKey::from_bytes(&[7; 32]);
        let sealed = seal(&k, &checked);
        assert!(
            !sealed
                .ciphertext
                .windows(16)
                .any(|w| bytes.windows(16).any(|b| b == w))
        );
        assert_eq!(open(&k, &sealed).unwrap(), bytes);
        assert_eq!(
            open(&SigningKey::from_bytes(&[8; 32]), &sealed),
            Err(EvidenceError::Decrypt)
        );
        let mut moved = sealed.clone();
        moved.sha256 = "0".repeat(64);
        assert_eq!(open(&k, &moved), Err(EvidenceError::Decrypt));
        assert!(!format!("{sealed:?}").contains(&sealed.sha256));
    }

    #[test]
    fn bad_photos_are_refused_with_their_reason() {
        let good = EvidencePhoto::jpeg(&jpeg(200, 200));
        let cases: Vec<(EvidencePhoto, &str)> = vec![
            (
                EvidencePhoto {
                    consent: false,
                    ..good.clone()
                },
                "evidence_without_consent",
            ),
            (
                EvidencePhoto {
                    content_type: "image/png".into(),
                    ..good.clone()
                },
                "invalid_evidence",
            ),
            (
                EvidencePhoto {
                    data: "not base64!".into(),
                    ..good.clone()
                },
                "invalid_evidence",
            ),
            (
                EvidencePhoto::jpeg(b"GIF89a not a jpeg"),
                "invalid_evidence",
            ),
            (
                EvidencePhoto::jpeg(&jpeg(200, 200)[..400]),
                "invalid_evidence",
            ),
            (
                EvidencePhoto::jpeg(&jpeg(200, 200)[..2000]),
                "invalid_evidence",
            ),
            (EvidencePhoto::jpeg(&jpeg(64, 64)), "invalid_evidence"),
            (
                EvidencePhoto::jpeg(&vec![0xFF; MAX_EVIDENCE_BYTES + 1]),
                "evidence_too_large",
            ),
        ];
        for (photo, code) in cases {
            let e = check(&photo).unwrap_err();
            assert_eq!(e.code(), code, "{e}");
        }
    }
}
