//! Near infrared (NIR) of a binocular face camera (双目: an RGB lens and an NIR lens with its own
//! 850 nm illuminator beside it, the common module of Chinese kiosks): what the NIR image of a face,
//! a print and a screen looks like ([`render`], for the simulators), and the skin cue the `Verifier`
//! decides on ([`SkinCue`]).
//!
//! Facts the model rests on (published optics, no measurement of ours):
//! - **Skin**: haemoglobin, which makes lips red and cheeks pink, absorbs strongly in the green and
//!   yellow (peaks near 542 and 577 nm) and little beyond 650 nm (S. Prahl, "Optical absorption of
//!   hemoglobin", Oregon Medical Laser Center, 1999; S. Jacques, "Optical properties of biological
//!   tissues: a review", Phys. Med. Biol. 58, 2013). In NIR the lips are therefore nearly as bright
//!   as the skin around them, far brighter than in the visible luminance; skin's red channel is the
//!   nearest visible proxy. Light also scatters further under the skin in NIR: the face looks
//!   smoother.
//! - **Illuminator**: the NIR lens has its own light beside it and a filter that keeps the room's
//!   visible light out, so what faces the lens is lit (Lambert's cosine of the surface normal),
//!   and the room behind, a few metres away, is dark (inverse square).
//! - **Screens**: an LCD's backlight (white LEDs) and an OLED's emitters give no NIR: a phone or
//!   monitor shows no picture in NIR.
//! - **Prints**: carbon black (laser toner, pigment black ink) absorbs NIR as it absorbs visible
//!   light, so a laser print's NIR image is its grey picture; the cyan, magenta and yellow dyes of
//!   inkjet prints are nearly transparent in NIR (the "IR dropout" of forms read by scanners), so
//!   an inkjet print is almost blank paper in NIR.
//!
//! The cue: for skin, the lips' brightness relative to the cheeks is higher in NIR than in the
//! visible luminance ([`SkinCue::lip_lift`]); for ink it is the same (laser) or the face is barely
//! there ([`SkinCue::structure`], inkjet), and a screen shows no face at all (the `Verifier`'s
//! face-present signal). These separate what [`render`] renders from the same facts: the tests show
//! that the code follows the model, not that real cameras do (vision/README.md, Near infrared).

use opencv::core::{self, Mat, Rect, Size};
use opencv::imgproc;
use opencv::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::mesh::Landmarks;
use crate::models::{Result, VisionError};

/// What is in front of the NIR lens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Material {
    /// A live face (skin).
    Skin,
    /// A print in carbon black (laser toner, pigment ink): NIR follows the printed grey.
    CarbonPrint,
    /// An inkjet print in dyes: NIR passes the dyes, the paper reflects.
    DyePrint,
    /// A phone or monitor: no NIR picture.
    Screen,
}

/// The illuminator's strength: a white surface squarely facing the lens at the face's distance
/// reads this grey level.
pub const ILLUMINATOR: f32 = 235.0;
/// The room's NIR relative to the illuminator's on the face (the room a few metres away).
pub const AMBIENT: f32 = 0.12;

fn cv(e: opencv::Error) -> VisionError {
    VisionError::from(e)
}

/// The NIR image (CV_8U, one channel) of a scene whose visible frame is `bgr` (CV_8U BGR) and
/// whose surfaces face the lens by `facing` (CV_32F 0..1 of the frame's size or smaller, resized
/// here: the Lambert cosine of the head, an even share over a print, 0 where nothing near is
/// lit — the `synth` clips' light maps, the kiosk screen sitting around the camera as the NIR
/// illuminator does), of `material`; `seed` draws the sensor noise.
pub fn render(bgr: &Mat, facing: &Mat, material: Material, seed: u64) -> Result<Mat> {
    let size = bgr.size().map_err(cv)?;
    if bgr.typ() != core::CV_8UC3 || size.width == 0 || size.height == 0 {
        return Err(VisionError::Image(
            "nir::render".into(),
            "expected a non-empty 8-bit BGR frame".into(),
        ));
    }
    let mut k = Mat::default();
    if facing.empty() {
        k = Mat::zeros_size(size, core::CV_32F)?.to_mat()?;
    } else {
        let mut f32m = Mat::default();
        facing.convert_to(
            &mut f32m,
            core::CV_32F,
            if facing.depth() == core::CV_8U {
                1.0 / 255.0
            } else {
                1.0
            },
            0.0,
        )?;
        imgproc::resize(&f32m, &mut k, size, 0.0, 0.0, imgproc::INTER_LINEAR)?;
    }
    // the albedo in NIR, 0..1, of what the illuminator lights
    let mut luma = Mat::default();
    imgproc::cvt_color_def(bgr, &mut luma, imgproc::COLOR_BGR2GRAY)?;
    let albedo = match material {
        // the red channel (haemoglobin barely absorbs), smoothed by the deeper scattering
        Material::Skin => {
            let mut red = Mat::default();
            core::extract_channel(bgr, &mut red, 2)?;
            let mut a = Mat::default();
            imgproc::gaussian_blur_def(&red, &mut a, Size::new(0, 0), 1.5)?;
            a
        }
        Material::CarbonPrint => luma.clone(),
        // paper at 0.85 with a trace (a tenth) of the picture's darkness
        Material::DyePrint => {
            let mut a = Mat::default();
            luma.convert_to(&mut a, core::CV_8U, 0.1, 0.75 * 255.0)?;
            a
        }
        Material::Screen => Mat::zeros_size(size, core::CV_8U)?.to_mat()?,
    };
    // the room: its visible picture, dim and blurred (far, out of the illuminator's reach); a
    // screen emits nothing, so its own picture is not part of it
    let mut room = Mat::default();
    imgproc::gaussian_blur_def(
        &luma,
        &mut room,
        Size::new(0, 0),
        if material == Material::Screen {
            12.0
        } else {
            3.0
        },
    )?;
    let (w, h) = (size.width as usize, size.height as usize);
    let a = albedo.data_bytes()?;
    let r = room.data_bytes()?;
    let kf = k.data_typed::<f32>()?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = vec![0u8; w * h];
    for (i, o) in out.iter_mut().enumerate() {
        let lit = ILLUMINATOR * kf[i].clamp(0.0, 1.0) * f32::from(a[i]) / 255.0;
        let amb = ILLUMINATOR * AMBIENT * f32::from(r[i]) / 255.0 * (1.0 - kf[i].clamp(0.0, 1.0));
        let noise: f32 = rng.gen_range(-2.0..2.0);
        *o = (lit + amb + noise).clamp(0.0, 255.0) as u8;
    }
    let m = Mat::new_rows_cols_with_data(h as i32, w as i32, &out)?;
    Ok(m.try_clone()?)
}

/// Mesh points on the lips' red (upper, then lower; outer and inner contour points averaged).
const LIP_PAIRS: [(usize, usize); 6] = [
    (0, 13),
    (37, 82),
    (267, 312),
    (17, 14),
    (84, 87),
    (314, 317),
];
/// Mesh points on the cheeks.
const CHEEKS: [usize; 6] = [50, 280, 101, 330, 205, 425];
/// Mesh points spread over the face, for its structure (eyes, brows, nose, mouth, cheeks, chin).
const SPREAD: [usize; 16] = [
    159, 145, 386, 374, 105, 334, 1, 4, 61, 291, 0, 17, 50, 280, 152, 10,
];

/// The mean grey of a 5×5 patch of `grey` around (x, y); None off the image.
fn patch(grey: &Mat, x: f32, y: f32) -> Result<Option<f32>> {
    let (xi, yi) = (x.round() as i32 - 2, y.round() as i32 - 2);
    if xi < 0 || yi < 0 || xi + 5 > grey.cols() || yi + 5 > grey.rows() {
        return Ok(None);
    }
    let roi = Mat::roi(grey, Rect::new(xi, yi, 5, 5))?;
    Ok(Some(core::mean_def(&roi)?[0] as f32))
}

fn mean_of(grey: &Mat, points: impl Iterator<Item = (f32, f32)>) -> Result<Option<f32>> {
    let mut v = Vec::new();
    for (x, y) in points {
        if let Some(p) = patch(grey, x, y)? {
            v.push(p);
        }
    }
    Ok((!v.is_empty()).then(|| v.iter().sum::<f32>() / v.len() as f32))
}

/// The lips' brightness over the cheeks' in `grey` (one channel) with the face's mesh `lm`.
fn lip_ratio(grey: &Mat, lm: &Landmarks) -> Result<Option<f32>> {
    let lips = mean_of(
        grey,
        LIP_PAIRS.iter().map(|&(a, b)| {
            let (pa, pb) = (lm.xy(a), lm.xy(b));
            ((pa.0 + pb.0) / 2.0, (pa.1 + pb.1) / 2.0)
        }),
    )?;
    let cheeks = mean_of(grey, CHEEKS.iter().map(|&i| lm.xy(i)))?;
    Ok(match (lips, cheeks) {
        (Some(l), Some(c)) if c >= 8.0 => Some(l / c),
        _ => None,
    })
}

/// The spread of the face's brightness: the standard deviation over the mean of patches at
/// [`SPREAD`]'s points.
fn structure(grey: &Mat, lm: &Landmarks) -> Result<Option<f32>> {
    let mut v = Vec::new();
    for &i in &SPREAD {
        let (x, y) = lm.xy(i);
        if let Some(p) = patch(grey, x, y)? {
            v.push(p);
        }
    }
    if v.len() < SPREAD.len() / 2 {
        return Ok(None);
    }
    let n = v.len() as f32;
    let mean = v.iter().sum::<f32>() / n;
    if mean < 4.0 {
        return Ok(Some(0.0));
    }
    let var = v.iter().map(|p| (p - mean).powi(2)).sum::<f32>() / n;
    Ok(Some(var.sqrt() / mean))
}

/// The visible frame's lips over cheeks (its luminance), for [`SkinCue::from_ir`].
pub fn visible_lip_ratio(bgr: &Mat, lm: &Landmarks) -> Result<Option<f32>> {
    let mut grey = Mat::default();
    imgproc::cvt_color_def(bgr, &mut grey, imgproc::COLOR_BGR2GRAY)?;
    lip_ratio(&grey, lm)
}

/// True when an NIR frame shows nothing at all (mean under 6 grey levels, spread under 2): the
/// lens is covered or the illuminator is off, which is a fault of the kiosk to report, not a
/// verdict on the person.
pub fn is_blank(ir: &Mat) -> Result<bool> {
    let (mut mean, mut sd) = (core::Scalar::default(), core::Scalar::default());
    core::mean_std_dev(ir, &mut mean, &mut sd, &core::no_array())?;
    let c = ir.channels().max(1) as usize;
    let m = (0..c).map(|i| mean[i]).sum::<f64>() / c as f64;
    let s = (0..c).map(|i| sd[i]).sum::<f64>() / c as f64;
    Ok(m < 6.0 && s < 2.0)
}

/// One NIR frame's skin cue, against the visible frame of the same moment.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct SkinCue {
    /// Lips over cheeks in NIR minus the same in the visible luminance: about 0 for ink, positive for
    /// skin (haemoglobin fades in NIR).
    pub lip_lift: f32,
    /// The face's brightness spread in NIR ([`structure`]): an inkjet print is nearly blank.
    pub structure: f32,
}

impl SkinCue {
    /// The cue of the NIR frame `ir` (one or three channels) with its mesh `ir_lm`, given the
    /// visible frame's [`visible_lip_ratio`] of the same moment.
    pub fn from_ir(ir: &Mat, ir_lm: &Landmarks, visible_lips: f32) -> Result<Option<Self>> {
        let mut grey = Mat::default();
        let ir = if ir.channels() == 1 {
            ir
        } else {
            imgproc::cvt_color_def(ir, &mut grey, imgproc::COLOR_BGR2GRAY)?;
            &grey
        };
        Ok(match (lip_ratio(ir, ir_lm)?, structure(ir, ir_lm)?) {
            (Some(n), Some(s)) => Some(Self {
                lip_lift: n - visible_lips,
                structure: s,
            }),
            _ => None,
        })
    }
}

/// Limits of the NIR skin decision.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct NirLimits {
    /// Least median [`SkinCue::lip_lift`].
    pub min_lip_lift: f32,
    /// Least median [`SkinCue::structure`].
    pub min_structure: f32,
    /// Fewest measured frames for a decision.
    pub min_frames: usize,
}

impl Default for NirLimits {
    fn default() -> Self {
        Self {
            min_lip_lift: 0.05,
            min_structure: 0.06,
            min_frames: 3,
        }
    }
}

/// The medians of the cues measured over a session (None without any).
pub fn medians(cues: &[SkinCue]) -> Option<SkinCue> {
    if cues.is_empty() {
        return None;
    }
    let median = |mut v: Vec<f32>| {
        v.sort_by(f32::total_cmp);
        v[v.len() / 2]
    };
    Some(SkinCue {
        lip_lift: median(cues.iter().map(|c| c.lip_lift).collect()),
        structure: median(cues.iter().map(|c| c.structure).collect()),
    })
}

/// The reasons (empty: looks like skin, or too few frames to tell) of the cues measured over a
/// session, judged on their [`medians`].
pub fn judge(cues: &[SkinCue], limits: &NirLimits) -> Vec<String> {
    let Some(m) = medians(cues).filter(|_| cues.len() >= limits.min_frames) else {
        return Vec::new();
    };
    let (structure, lift) = (m.structure, m.lip_lift);
    let mut reasons = Vec::new();
    if structure < limits.min_structure {
        reasons.push(format!(
            "the face is nearly blank in near infrared (spread {structure:.3} < {}): an inkjet print?",
            limits.min_structure
        ));
    } else if lift < limits.min_lip_lift {
        reasons.push(format!(
            "the lips stay as dark in near infrared as in visible light (lift {lift:.3} < {}): ink, not skin",
            limits.min_lip_lift
        ));
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cue(lip_lift: f32, structure: f32) -> SkinCue {
        SkinCue {
            lip_lift,
            structure,
        }
    }

    #[test]
    fn the_decision_is_on_the_medians_and_needs_enough_frames() {
        let limits = NirLimits::default();
        let skin = [cue(0.12, 0.3), cue(0.02, 0.3), cue(0.15, 0.01)];
        assert!(
            judge(&skin, &limits).is_empty(),
            "one odd frame of each kind"
        );
        let laser = [cue(0.01, 0.3), cue(0.2, 0.3), cue(0.0, 0.25)];
        let r = judge(&laser, &limits);
        assert!(r[0].contains("lips stay as dark"), "{r:?}");
        let inkjet = [cue(0.2, 0.02), cue(0.2, 0.03), cue(0.2, 0.3)];
        assert!(judge(&inkjet, &limits)[0].contains("nearly blank"));
        assert!(judge(&laser[..2], &limits).is_empty(), "too few frames");
        assert_eq!(medians(&[]), None);
        assert_eq!(medians(&laser), Some(cue(0.01, 0.3)));
    }

    #[test]
    fn a_black_frame_is_blank_and_a_dim_room_is_not() {
        let black =
            Mat::new_rows_cols_with_default(48, 64, core::CV_8U, core::Scalar::all(2.0)).unwrap();
        assert!(is_blank(&black).unwrap());
        let bgr = Mat::new_rows_cols_with_default(48, 64, core::CV_8UC3, core::Scalar::all(128.0))
            .unwrap();
        let room = render(&bgr, &Mat::default(), Material::Skin, 1).unwrap();
        assert!(!is_blank(&room).unwrap(), "the room's own NIR");
    }

    #[test]
    fn each_material_answers_the_illuminator_as_its_optics_say() {
        // left half: lips-red (B 60, G 50, R 170); right half: skin (B 120, G 140, R 200)
        let mut bgr =
            Mat::new_rows_cols_with_default(40, 80, core::CV_8UC3, core::Scalar::all(0.0)).unwrap();
        for y in 0..40 {
            for x in 0..80 {
                let px = bgr.at_2d_mut::<core::Vec3b>(y, x).unwrap();
                *px = if x < 40 {
                    core::Vec3b::from([60, 50, 170])
                } else {
                    core::Vec3b::from([120, 140, 200])
                };
            }
        }
        let facing =
            Mat::new_rows_cols_with_default(40, 80, core::CV_32F, core::Scalar::all(1.0)).unwrap();
        let at = |m: &Mat, x: i32| f32::from(*m.at_2d::<u8>(20, x).unwrap());
        let skin = render(&bgr, &facing, Material::Skin, 1).unwrap();
        let carbon = render(&bgr, &facing, Material::CarbonPrint, 1).unwrap();
        let dye = render(&bgr, &facing, Material::DyePrint, 1).unwrap();
        let screen = render(&bgr, &facing, Material::Screen, 1).unwrap();
        // skin: the lips nearly as bright as the skin (red channel 170 vs 200)
        assert!(
            at(&skin, 10) / at(&skin, 70) > 0.8,
            "{} {}",
            at(&skin, 10),
            at(&skin, 70)
        );
        // carbon: as in the visible luminance (lips 83 vs skin 156)
        assert!(at(&carbon, 10) / at(&carbon, 70) < 0.6);
        // dyes: paper, barely a difference; a screen: dark
        assert!((at(&dye, 10) - at(&dye, 70)).abs() < 12.0);
        assert!(at(&screen, 10) < 20.0 && at(&screen, 70) < 20.0);
        // a grey frame is an error, not a picture
        let grey =
            Mat::new_rows_cols_with_default(4, 4, core::CV_8U, core::Scalar::all(9.0)).unwrap();
        assert!(render(&grey, &facing, Material::Skin, 1).is_err());
    }
}
