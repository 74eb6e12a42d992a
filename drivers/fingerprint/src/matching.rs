//! Host-side matching for image readers: MINDTCT minutiae (`fprint-mindtct`), BOZORTH3 scores
//! (`fprint-bozorth3`), an image-quality score, and ISO/IEC 19794-2:2005 export/import.
//!
//! Facts: NBIS convention, a BOZORTH3 score ≥ 40 is a match (libfprint's default `bz3_threshold`,
//! devices.md §3). ISO/IEC 19794-2:2005 record layout from devices.md §4 (robertvazan/fingerprintio-java
//! b6138dc): 24-byte header "FMR\0" " 20\0" length u32 equipment u16 width u16 height u16 xres u16
//! yres u16 (px/cm) views u8 reserved u8; per view position u8, view<<4|impression u8, quality u8,
//! count u8; per minutia type(2)|x(14), reserved(2)|y(14), angle u8 (×360/256°), quality u8; then an
//! extension-block length u16. ISO coordinates have the origin top-left.

use jiuzhu_drivers_api::fingerprint::FingerImage;

/// BOZORTH3 score at or above which two prints are taken to be the same finger.
pub const MATCH_THRESHOLD: u32 = 40;

/// A minutia in ISO orientation: origin top-left, y down, angle in degrees counter-clockwise
/// from east, quality 0..=100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Minutia {
    /// Column in pixels.
    pub x: u16,
    /// Row in pixels, from the top.
    pub y: u16,
    /// Ridge direction, degrees 0..360.
    pub angle: u16,
    /// Reliability 0..=100.
    pub quality: u8,
}

/// Minutiae extracted from one image, with the geometry they refer to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Features {
    /// Image width in pixels.
    pub width: u16,
    /// Image height in pixels.
    pub height: u16,
    /// Resolution in pixels per inch.
    pub ppi: u16,
    /// Image quality 0..=100.
    pub quality: u8,
    /// The minutiae.
    pub minutiae: Vec<Minutia>,
}

/// Why an image or template could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatchError {
    /// The image cannot be processed (too small, buffer too short).
    #[error("image unusable for minutiae detection: {0}")]
    Image(String),
    /// An ISO/IEC 19794-2 record is malformed.
    #[error("invalid ISO/IEC 19794-2:2005 record: {0}")]
    Iso(String),
}

/// Detect minutiae and grade the image.
pub fn extract(img: &FingerImage) -> Result<Features, MatchError> {
    let gray = fprint_mindtct::GrayImage::new(
        &img.pixels,
        usize::from(img.width),
        usize::from(img.height),
        img.ppi,
    )
    .map_err(|e| MatchError::Image(format!("{e:?}")))?;
    let raw = fprint_mindtct::detect_minutiae(gray);
    let h = i32::from(img.height);
    let minutiae: Vec<Minutia> = raw
        .iter()
        .filter(|m| m.x >= 0 && m.y >= 0 && m.x < i32::from(img.width) && m.y < h)
        .map(|m| Minutia {
            x: m.x as u16,
            y: (h - 1 - m.y) as u16,
            angle: m.theta.rem_euclid(360) as u16,
            quality: m.quality.clamp(0, 100) as u8,
        })
        .collect();
    let quality = grade(&minutiae);
    Ok(Features {
        width: img.width,
        height: img.height,
        ppi: img.ppi,
        quality,
        minutiae,
    })
}

/// Image quality 0..=100: the mean reliability of the 30 most reliable minutiae, scaled down
/// when fewer than 30 were found. A proxy, not NFIQ 2 (which needs the NIST library).
fn grade(minutiae: &[Minutia]) -> u8 {
    const WANT: usize = 30;
    let mut q: Vec<u32> = minutiae.iter().map(|m| u32::from(m.quality)).collect();
    q.sort_unstable_by(|a, b| b.cmp(a));
    q.truncate(WANT);
    if q.is_empty() {
        return 0;
    }
    let mean = q.iter().sum::<u32>() / q.len() as u32;
    (mean * q.len() as u32 / WANT as u32).min(100) as u8
}

/// Quality score of an image, 0..=100.
pub fn image_quality(img: &FingerImage) -> Result<u8, MatchError> {
    extract(img).map(|f| f.quality)
}

fn to_bz(f: &Features) -> Vec<fprint_bozorth3::Minutia> {
    // Back to NIST's bottom-left origin, the frame both NBIS tools share.
    let h = i32::from(f.height);
    f.minutiae
        .iter()
        .map(|m| fprint_bozorth3::Minutia {
            x: i32::from(m.x),
            y: h - 1 - i32::from(m.y),
            theta: i32::from(m.angle),
        })
        .collect()
}

/// BOZORTH3 score of `probe` against `gallery` (≥ [`MATCH_THRESHOLD`] means the same finger).
pub fn score(probe: &Features, gallery: &Features) -> u32 {
    fprint_bozorth3::match_score(&to_bz(probe), &to_bz(gallery))
}

/// A prepared gallery for repeated comparisons.
pub fn bozorth_set(f: &Features) -> Vec<fprint_bozorth3::Minutia> {
    to_bz(f)
}

const ISO_HEADER: usize = 24;
const ISO_VIEW: usize = 4;

/// Encode as an ISO/IEC 19794-2:2005 record with one view, keeping at most `max_minutiae`
/// (the most reliable ones).
pub fn to_iso19794_2(f: &Features, max_minutiae: usize) -> Vec<u8> {
    let mut ms = f.minutiae.clone();
    ms.sort_by_key(|m| std::cmp::Reverse(m.quality));
    ms.truncate(max_minutiae.min(255));
    let total = ISO_HEADER + ISO_VIEW + 6 * ms.len() + 2;
    let px_per_cm = ((u32::from(f.ppi) * 100 + 127) / 254) as u16;
    let mut o = Vec::with_capacity(total);
    o.extend_from_slice(b"FMR\0");
    o.extend_from_slice(b" 20\0");
    o.extend_from_slice(&(total as u32).to_be_bytes());
    o.extend_from_slice(&0u16.to_be_bytes()); // equipment: not certified, id 0
    o.extend_from_slice(&f.width.to_be_bytes());
    o.extend_from_slice(&f.height.to_be_bytes());
    o.extend_from_slice(&px_per_cm.to_be_bytes());
    o.extend_from_slice(&px_per_cm.to_be_bytes());
    o.push(1); // views
    o.push(0);
    o.push(0); // finger position unknown
    o.push(0); // view 0, live-scan plain
    o.push(f.quality.min(100));
    o.push(ms.len() as u8);
    for m in &ms {
        o.extend_from_slice(&(m.x & 0x3FFF).to_be_bytes()); // type 0 "other": MINDTCT xyt has no type
        o.extend_from_slice(&(m.y & 0x3FFF).to_be_bytes());
        o.push(((u32::from(m.angle) * 256 + 180) / 360 % 256) as u8);
        o.push(m.quality.min(100));
    }
    o.extend_from_slice(&0u16.to_be_bytes());
    o
}

/// Decode the first view of an ISO/IEC 19794-2:2005 record. Trailing bytes past the stated
/// length (e.g. zero padding) are ignored.
pub fn from_iso19794_2(b: &[u8]) -> Result<Features, MatchError> {
    let err = |s: &str| MatchError::Iso(s.to_string());
    if b.len() < ISO_HEADER + ISO_VIEW {
        return Err(err("shorter than the 24-byte header and one view"));
    }
    if &b[0..4] != b"FMR\0" || &b[4..8] != b" 20\0" {
        return Err(err("not an FMR version 20 record"));
    }
    let total = u32::from_be_bytes([b[8], b[9], b[10], b[11]]) as usize;
    if total > b.len() || total < ISO_HEADER + ISO_VIEW {
        return Err(MatchError::Iso(format!(
            "stated length {total} does not fit the {} bytes given",
            b.len()
        )));
    }
    let u16_at = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
    let width = u16_at(14);
    let height = u16_at(16);
    let xres = u16_at(18);
    if b[22] == 0 {
        return Err(err("no finger views"));
    }
    let v = ISO_HEADER;
    let quality = b[v + 2];
    let n = usize::from(b[v + 3]);
    if v + ISO_VIEW + 6 * n > total {
        return Err(MatchError::Iso(format!(
            "{n} minutiae do not fit the stated length {total}"
        )));
    }
    let minutiae = (0..n)
        .map(|i| {
            let o = v + ISO_VIEW + 6 * i;
            Minutia {
                x: u16_at(o) & 0x3FFF,
                y: u16_at(o + 2) & 0x3FFF,
                angle: ((u32::from(b[o + 4]) * 360 + 128) / 256 % 360) as u16,
                quality: b[o + 5],
            }
        })
        .collect();
    Ok(Features {
        width,
        height,
        ppi: ((u32::from(xres) * 254 + 50) / 100) as u16,
        quality,
        minutiae,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn features(n: usize) -> Features {
        Features {
            width: 256,
            height: 288,
            ppi: 500,
            quality: 70,
            minutiae: (0..n)
                .map(|i| Minutia {
                    x: (17 + i * 37 % 230) as u16,
                    y: (11 + i * 53 % 270) as u16,
                    angle: (i * 47 % 360) as u16,
                    quality: (i * 13 % 100) as u8,
                })
                .collect(),
        }
    }

    #[test]
    fn iso_round_trip_keeps_positions_and_angles_within_a_step() {
        let f = features(40);
        let rec = to_iso19794_2(&f, 80);
        assert_eq!(rec.len(), 24 + 4 + 6 * 40 + 2);
        let g = from_iso19794_2(&rec).unwrap();
        assert_eq!((g.width, g.height, g.ppi, g.quality), (256, 288, 500, 70));
        let mut a = f.minutiae.clone();
        let mut b = g.minutiae.clone();
        a.sort_by_key(|m| (m.x, m.y));
        b.sort_by_key(|m| (m.x, m.y));
        for (m, n) in a.iter().zip(&b) {
            assert_eq!((m.x, m.y, m.quality), (n.x, n.y, n.quality));
            let d = (i32::from(m.angle) - i32::from(n.angle)).rem_euclid(360);
            assert!(d <= 1 || d >= 359, "{m:?} vs {n:?}");
        }
    }

    #[test]
    fn iso_keeps_the_most_reliable() {
        let f = features(100);
        let g = from_iso19794_2(&to_iso19794_2(&f, 10)).unwrap();
        assert_eq!(g.minutiae.len(), 10);
        assert!(g.minutiae.iter().all(|m| m.quality >= 90));
    }

    #[test]
    fn iso_rejects_garbage_with_a_reason() {
        assert!(matches!(from_iso19794_2(b"FMR\0"), Err(MatchError::Iso(_))));
        let mut rec = to_iso19794_2(&features(5), 80);
        rec[27] = 200; // claims 200 minutiae
        assert!(from_iso19794_2(&rec).is_err());
        rec[0] = b'X';
        assert!(from_iso19794_2(&rec).is_err());
    }

    #[test]
    fn identical_sets_match_and_blank_images_have_no_quality() {
        let f = features(40);
        assert!(score(&f, &f) >= MATCH_THRESHOLD);
        let blank = FingerImage {
            width: 256,
            height: 288,
            ppi: 500,
            pixels: vec![255; 256 * 288],
        };
        assert_eq!(image_quality(&blank).unwrap(), 0);
        let tiny = FingerImage {
            width: 4,
            height: 4,
            ppi: 500,
            pixels: vec![0; 16],
        };
        assert!(matches!(extract(&tiny), Err(MatchError::Image(_))));
    }

    proptest! {
        #[test]
        fn iso_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = from_iso19794_2(&bytes);
        }

        #[test]
        fn iso_parser_survives_mutated_records(idx: prop::sample::Index, v: u8) {
            let mut rec = to_iso19794_2(&features(20), 80);
            let i = idx.index(rec.len());
            rec[i] = v;
            let _ = from_iso19794_2(&rec);
        }
    }
}
