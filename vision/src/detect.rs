//! BlazeFace short-range detector: 128×128 RGB input scaled to [-1, 1]; outputs 896 logits and 896×16
//! regressors (box centre offset, size, then 6 keypoints: right eye, left eye, nose tip, mouth, right ear,
//! left ear, in the subject's terms) relative to SSD anchors on a 16×16 grid (2 per cell) and an 8×8 grid
//! (6 per cell), all of unit size. Offsets are in input pixels (divide by 128).

use opencv::core::{Mat, Scalar, Size};
use opencv::prelude::*;

use crate::engine::{Engine, Model};
use crate::models::{ModelPaths, Result, VisionError};

const INPUT: i32 = 128;
/// The share of the frame's shorter side searched again when the whole frame shows no face
/// ([`BlazeFace::detect`]).
pub const ZOOM: f32 = 0.6;
/// Minimum sigmoid score of a detection.
pub const MIN_SCORE: f32 = 0.5;
/// IoU above which overlapping detections are merged.
pub const NMS_IOU: f32 = 0.3;

/// A box in image pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FaceBox {
    /// Centre x.
    pub cx: f32,
    /// Centre y.
    pub cy: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
}

impl FaceBox {
    /// Intersection over union.
    pub fn iou(&self, o: &FaceBox) -> f32 {
        let ix = ((self.cx + self.w / 2.0).min(o.cx + o.w / 2.0)
            - (self.cx - self.w / 2.0).max(o.cx - o.w / 2.0))
        .max(0.0);
        let iy = ((self.cy + self.h / 2.0).min(o.cy + o.h / 2.0)
            - (self.cy - self.h / 2.0).max(o.cy - o.h / 2.0))
        .max(0.0);
        let inter = ix * iy;
        let union = self.w * self.h + o.w * o.h - inter;
        if union <= 0.0 { 0.0 } else { inter / union }
    }
}

/// One detected face.
#[derive(Clone, Debug, PartialEq)]
pub struct Detection {
    /// Face box in image pixels.
    pub bbox: FaceBox,
    /// Confidence in 0..1.
    pub score: f32,
    /// Six keypoints in image pixels (right eye, left eye, nose, mouth, right ear, left ear).
    pub keypoints: [(f32, f32); 6],
}

impl Detection {
    /// The same face found in a part of an image whose top-left corner is at (`dx`, `dy`):
    /// its box and keypoints in the whole image's pixels.
    pub fn shifted(mut self, dx: f32, dy: f32) -> Self {
        self.bbox.cx += dx;
        self.bbox.cy += dy;
        for kp in &mut self.keypoints {
            *kp = (kp.0 + dx, kp.1 + dy);
        }
        self
    }
}

/// The detection of the face centred at (`cx`, `cy`) (from its landmarks): the first whose centre is
/// within one box width and height of it.
pub fn around(dets: &[Detection], cx: f32, cy: f32) -> Option<&Detection> {
    dets.iter()
        .find(|d| (d.bbox.cx - cx).abs() < d.bbox.w && (d.bbox.cy - cy).abs() < d.bbox.h)
}

impl FaceBox {
    /// Left, top, right and bottom edges.
    pub fn edges(&self) -> (f32, f32, f32, f32) {
        let (hw, hh) = (self.w / 2.0, self.h / 2.0);
        (self.cx - hw, self.cy - hh, self.cx + hw, self.cy + hh)
    }
}

/// The 896 anchor centres, normalised to 0..1.
pub fn anchors() -> Vec<(f32, f32)> {
    anchor_grid(&[(16, 2), (8, 6)])
}

/// SSD anchor centres of fixed size, normalised to 0..1: for each `(cells, per_cell)` layer, row by
/// row, `per_cell` anchors at the centre of each of `cells`×`cells` cells.
pub(crate) fn anchor_grid(layers: &[(usize, usize)]) -> Vec<(f32, f32)> {
    let mut out = Vec::new();
    for &(fm, per_cell) in layers {
        for y in 0..fm {
            for x in 0..fm {
                for _ in 0..per_cell {
                    out.push(((x as f32 + 0.5) / fm as f32, (y as f32 + 0.5) / fm as f32));
                }
            }
        }
    }
    out
}

pub(crate) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x.clamp(-100.0, 100.0)).exp())
}

/// Decodes raw outputs into detections in the normalised square (0..1), before NMS.
pub fn decode(
    logits: &[f32],
    regressors: &[f32],
    anchors: &[(f32, f32)],
    min_score: f32,
) -> Vec<Detection> {
    let mut out = Vec::new();
    for (i, (&logit, &(ax, ay))) in logits.iter().zip(anchors).enumerate() {
        let score = sigmoid(logit);
        if score < min_score {
            continue;
        }
        let Some(r) = regressors.get(i * 16..i * 16 + 16) else {
            break;
        };
        let s = INPUT as f32;
        let mut keypoints = [(0.0, 0.0); 6];
        for (k, kp) in keypoints.iter_mut().enumerate() {
            *kp = (ax + r[4 + 2 * k] / s, ay + r[5 + 2 * k] / s);
        }
        out.push(Detection {
            bbox: FaceBox {
                cx: ax + r[0] / s,
                cy: ay + r[1] / s,
                w: r[2] / s,
                h: r[3] / s,
            },
            score,
            keypoints,
        });
    }
    out
}

/// Weighted non-maximum suppression (as MediaPipe does): overlapping boxes are averaged by score.
pub fn weighted_nms(dets: Vec<Detection>, iou: f32) -> Vec<Detection> {
    nms_groups(dets, |d| d.bbox, |d| d.score, iou)
        .into_iter()
        .map(|group| {
            let avg = |f: &dyn Fn(&Detection) -> f32| weighted_mean(&group, |d| d.score, f);
            let mut merged = group[0].clone();
            merged.bbox = weighted_box(&group, |d| d.bbox, |d| d.score);
            for k in 0..6 {
                merged.keypoints[k] = (avg(&|d| d.keypoints[k].0), avg(&|d| d.keypoints[k].1));
            }
            merged
        })
        .collect()
}

/// The mean of `value` over a group of non-maximum suppression, weighted by `score`.
pub(crate) fn weighted_mean<T>(
    group: &[T],
    score: impl Fn(&T) -> f32,
    value: impl Fn(&T) -> f32,
) -> f32 {
    let total: f32 = group.iter().map(&score).sum();
    group.iter().map(|d| value(d) * score(d)).sum::<f32>() / total
}

/// The box of a group of non-maximum suppression: each of its values averaged by score.
pub(crate) fn weighted_box<T>(
    group: &[T],
    bbox: impl Fn(&T) -> FaceBox,
    score: impl Fn(&T) -> f32,
) -> FaceBox {
    let avg = |f: fn(&FaceBox) -> f32| weighted_mean(group, &score, |d| f(&bbox(d)));
    FaceBox {
        cx: avg(|b| b.cx),
        cy: avg(|b| b.cy),
        w: avg(|b| b.w),
        h: avg(|b| b.h),
    }
}

/// The groups of non-maximum suppression: the best remaining item with every item whose box
/// overlaps its box by more than `iou`, best group first, each group best first; never empty.
pub(crate) fn nms_groups<T>(
    mut items: Vec<T>,
    bbox: impl Fn(&T) -> FaceBox,
    score: impl Fn(&T) -> f32,
    iou: f32,
) -> Vec<Vec<T>> {
    items.sort_by(|a, b| score(b).total_cmp(&score(a)));
    let mut out = Vec::new();
    while let Some(best) = items.first().map(&bbox) {
        let (group, rest): (Vec<_>, Vec<_>) =
            items.into_iter().partition(|d| bbox(d).iou(&best) > iou);
        items = rest;
        out.push(group);
    }
    out
}

/// The BlazeFace network with its anchors.
pub struct BlazeFace {
    net: Model,
    anchors: Vec<(f32, f32)>,
}

impl BlazeFace {
    /// Loads the converted model from the cache with the engine of [`Engine::from_env`].
    pub fn load(paths: &ModelPaths) -> Result<Self> {
        Self::load_with(paths, Engine::from_env()?)
    }

    /// Loads the converted model from the cache for `engine`.
    pub fn load_with(paths: &ModelPaths, engine: Engine) -> Result<Self> {
        let file = match engine {
            Engine::LiteRt => paths.detector_tflite()?,
            _ => paths.detector()?,
        };
        let net = Model::load(
            engine,
            paths,
            &file,
            [1, 3, INPUT as usize, INPUT as usize],
            &["classificators", "regressors"],
        )?;
        Ok(Self {
            net,
            anchors: anchors(),
        })
    }

    /// The engine running the network.
    pub fn engine(&self) -> Engine {
        self.net.engine()
    }

    /// Raw network outputs (896 logits, 896×16 regressors) for a BGR image, zero-padded to a square
    /// (bottom/right) and scaled to 128×128; also the square's side.
    pub fn raw(&mut self, bgr: &Mat) -> Result<(Vec<f32>, Vec<f32>, i32)> {
        let (w, h) = (bgr.cols(), bgr.rows());
        let side = w.max(h);
        if side < 1 {
            return Err(VisionError::Image("frame".into(), "empty image".into()));
        }
        // padded to a square, then scaled as `dnn::blob_from_image` scales (bilinear): scaling first
        // and padding after was tried and is not the same pixels here (a dim generated genuine session
        // of the second set then failed the screen-light check, oblique / frontal 0.83 → 0.88)
        let mut padded = Mat::default();
        opencv::core::copy_make_border(
            bgr,
            &mut padded,
            0,
            side - h,
            0,
            side - w,
            opencv::core::BORDER_CONSTANT,
            Scalar::default(),
        )?;
        let mut square = Mat::default();
        opencv::imgproc::resize(
            &padded,
            &mut square,
            Size::new(INPUT, INPUT),
            0.0,
            0.0,
            opencv::imgproc::INTER_LINEAR,
        )?;
        let mut outs = self
            .net
            .forward_bgr(&square, 1.0 / 127.5, 127.5)?
            .into_iter();
        let logits = outs.next().unwrap_or_default();
        let regs = outs.next().unwrap_or_default();
        Ok((logits, regs, side))
    }

    /// Faces in a BGR image, best first. The image is zero-padded to a square (bottom/right) so that
    /// faces keep their aspect ratio. When the whole frame shows none, the centre of the frame
    /// ([`ZOOM`] of its shorter side) is searched again at the network's full resolution: a
    /// 640×480 frame shrinks to 128×128, where the face of a resident standing back (≈ 95 px,
    /// 19 px after scaling) is below what the short-range detector finds; in the centre crop it is
    /// 2.6 times larger.
    pub fn detect(&mut self, bgr: &Mat) -> Result<Vec<Detection>> {
        let found = self.detect_whole(bgr)?;
        let (w, h) = (bgr.cols(), bgr.rows());
        let side = (w.min(h) as f32 * ZOOM) as i32;
        if !found.is_empty() || side < 2 * INPUT {
            return Ok(found);
        }
        let (x0, y0) = ((w - side) / 2, (h - side) / 2);
        let crop = Mat::roi(bgr, opencv::core::Rect::new(x0, y0, side, side))?.try_clone()?;
        Ok(self
            .detect_whole(&crop)?
            .into_iter()
            .map(|d| d.shifted(x0 as f32, y0 as f32))
            .collect())
    }

    fn detect_whole(&mut self, bgr: &Mat) -> Result<Vec<Detection>> {
        let (logits, regs, side) = self.raw(bgr)?;
        let dets = decode(&logits, &regs, &self.anchors, MIN_SCORE);
        let s = side as f32;
        Ok(weighted_nms(dets, NMS_IOU)
            .into_iter()
            .map(|mut d| {
                d.bbox = FaceBox {
                    cx: d.bbox.cx * s,
                    cy: d.bbox.cy * s,
                    w: d.bbox.w * s,
                    h: d.bbox.h * s,
                };
                for kp in &mut d.keypoints {
                    *kp = (kp.0 * s, kp.1 * s);
                }
                d
            })
            .collect())
    }
}
