//! Depth from the head's motion: does the face move like one rigid 3-D head, or like a sheet of paper
//! (flat, folded or bent)?
//!
//! Between a frontal baseline and a turned (or nodding) frame the 2-D landmark motion is fitted by least
//! squares under three models, each with second-order terms for perspective, in coordinates of the
//! baseline face (centre 0, size 1):
//!
//! - **plane**: `1, u, v, u², uv, v²` — a flat print tilted in perspective (≈ one homography);
//! - **sheet**: the plane plus, along a ruling direction θ, hinge functions `(s − c)₊` and `(s − c)₊·t`
//!   at knots `c` across the face (`s`, `t` the coordinates across and along the rulings) — any paper
//!   surface whose shape varies in one direction only: a fold (two planes meeting at a crease, at any
//!   place and angle), a cylinder bend, several folds. The best of 12 directions is kept;
//! - **head**: the plane plus the baseline mesh's depth `w` — one rigid head seen by a near-affine
//!   camera.
//!
//! A real head turning shows parallax that varies along the rulings of every direction (the nose
//! against the brow and the chin at the same `s`), so the sheet's residual stays well above the
//! landmark noise while the head model explains the motion; a print, folded or bent, leaves the sheet
//! only the landmark noise. Everything here is a pure function of two landmark sets.

use opencv::core::{DECOMP_SVD, Mat};
use opencv::prelude::*;

use crate::geometry::{LEFT_EYE_CONTOUR, MOUTH, RIGHT_EYE_CONTOUR};
use crate::mesh::Landmarks;
use crate::models::Result;

/// Ruling directions tried by the sheet model.
pub const DIRECTIONS: usize = 12;
/// Hinge knots across the face for each direction.
pub const KNOTS: usize = 7;

/// Root-mean-square residuals of the three motion models, as fractions of the face size.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct DepthFit {
    /// One plane in perspective.
    pub plane: f32,
    /// The best single-direction paper surface (fold, bend).
    pub sheet: f32,
    /// One rigid head (the baseline mesh's depth).
    pub head: f32,
}

/// The rigid head must leave at most this fraction of the sheet's residual for the motion to count as
/// depth: with landmark noise alone (a print) the more flexible sheet fits at least as well as the head.
pub const HEAD_RATIO: f32 = 0.75;

impl DepthFit {
    /// How much of the motion no paper surface explains but the head does: the sheet's residual when the
    /// head model leaves less than [`HEAD_RATIO`] of it, else 0.
    pub fn depth(&self) -> f32 {
        if self.head < HEAD_RATIO * self.sheet {
            self.sheet
        } else {
            0.0
        }
    }
}

/// Points that move rigidly with the head: every mesh point except the lips and the eyelids.
fn rigid_indices(base: &Landmarks) -> Vec<usize> {
    let (mx, my) = {
        let (a, b) = (base.xy(MOUTH[2]), base.xy(MOUTH[3]));
        ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0)
    };
    let mouth_r = {
        let (a, b) = (base.xy(MOUTH[2]), base.xy(MOUTH[3]));
        0.75 * ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
    };
    let eye_boxes: Vec<(f32, f32, f32, f32)> = [&RIGHT_EYE_CONTOUR[..], &LEFT_EYE_CONTOUR[..]]
        .iter()
        .map(|c| {
            let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
            for &i in c.iter() {
                let (x, y) = base.xy(i);
                x0 = x0.min(x);
                x1 = x1.max(x);
                y0 = y0.min(y);
                y1 = y1.max(y);
            }
            let (dx, dy) = (0.15 * (x1 - x0), 0.6 * (y1 - y0));
            (x0 - dx, y0 - dy, x1 + dx, y1 + dy)
        })
        .collect();
    (0..base.points.len())
        .filter(|&i| {
            let (x, y) = base.xy(i);
            let in_mouth = (x - mx).powi(2) + (y - my).powi(2) < mouth_r * mouth_r;
            let in_eye = eye_boxes
                .iter()
                .any(|&(x0, y0, x1, y1)| x >= x0 && x <= x1 && y >= y0 && y <= y1);
            !in_mouth && !in_eye
        })
        .collect()
}

/// RMS of the least-squares residual of `targets` (n × 2, row-major) over the columns of `design`
/// (n × p, row-major).
fn rms_residual(design: &[f64], p: usize, targets: &[f64]) -> Result<f32> {
    let n = targets.len() / 2;
    let a = Mat::new_rows_cols_with_data(n as i32, p as i32, design)?;
    let b = Mat::new_rows_cols_with_data(n as i32, 2, targets)?;
    let mut x = Mat::default();
    opencv::core::solve(&a, &b, &mut x, DECOMP_SVD)?;
    let mut fitted = Mat::default();
    opencv::core::gemm(&a, &x, 1.0, &Mat::default(), 0.0, &mut fitted, 0)?;
    let fitted = fitted.data_typed::<f64>()?;
    let sum: f64 = fitted
        .chunks_exact(2)
        .zip(targets.chunks_exact(2))
        .map(|(f, t)| (f[0] - t[0]).powi(2) + (f[1] - t[1]).powi(2))
        .sum();
    Ok((sum / n.max(1) as f64).sqrt() as f32)
}

/// Fits the motion from `base` to `now` with the plane, sheet and head models.
pub fn depth_fit(base: &Landmarks, now: &Landmarks) -> Result<DepthFit> {
    let (cx, cy, side) = base.extent();
    let side = side.max(1.0);
    let idx = rigid_indices(base);
    let n = idx.len();
    let norm = |p: &[f32; 3]| {
        (
            f64::from((p[0] - cx) / side),
            f64::from((p[1] - cy) / side),
            f64::from(p[2] / side),
        )
    };
    let src: Vec<(f64, f64, f64)> = idx.iter().map(|&i| norm(&base.points[i])).collect();
    let targets: Vec<f64> = idx
        .iter()
        .flat_map(|&i| {
            let (u, v, _) = norm(&now.points[i]);
            [u, v]
        })
        .collect();
    let quad = |u: f64, v: f64| [1.0, u, v, u * u, u * v, v * v];

    let plane_design: Vec<f64> = src.iter().flat_map(|&(u, v, _)| quad(u, v)).collect();
    let plane = rms_residual(&plane_design, 6, &targets)?;

    let head_design: Vec<f64> = src
        .iter()
        .flat_map(|&(u, v, w)| {
            let mut r = quad(u, v).to_vec();
            r.push(w);
            r
        })
        .collect();
    let head = rms_residual(&head_design, 7, &targets)?;

    let mut sheet = f32::MAX;
    let p = 6 + 2 * KNOTS;
    for d in 0..DIRECTIONS {
        let theta = std::f64::consts::PI * d as f64 / DIRECTIONS as f64;
        let (sn, cs) = theta.sin_cos();
        let st: Vec<(f64, f64)> = src
            .iter()
            .map(|&(u, v, _)| (u * cs + v * sn, -u * sn + v * cs))
            .collect();
        let mut sorted: Vec<f64> = st.iter().map(|&(s, _)| s).collect();
        sorted.sort_by(f64::total_cmp);
        let q = |f: f64| sorted[((n - 1) as f64 * f) as usize];
        let (lo, hi) = (q(0.08), q(0.92));
        let knots: Vec<f64> = (0..KNOTS)
            .map(|k| lo + (hi - lo) * k as f64 / (KNOTS - 1) as f64)
            .collect();
        let design: Vec<f64> = src
            .iter()
            .zip(&st)
            .flat_map(|(&(u, v, _), &(s, t))| {
                let mut r = quad(u, v).to_vec();
                for &c in &knots {
                    let h = (s - c).max(0.0);
                    r.push(h);
                    r.push(h * t);
                }
                r
            })
            .collect();
        sheet = sheet.min(rms_residual(&design, p, &targets)?);
    }
    Ok(DepthFit { plane, sheet, head })
}
