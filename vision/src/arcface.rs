//! ArcFace (InsightFace `w600k_mbf`: MobileFaceNet trained with the ArcFace loss on WebFace600K, 512-d)
//! from the optional face pack (`make face-pack`; InsightFace's weights are for non-commercial research
//! only, see `packaging/face-pack.sh`).
//!
//! The face is aligned as InsightFace's recognition models expect: five points taken from the face mesh
//! (the centres of the two eyes, the nose tip, the two mouth corners) are mapped by the least-squares
//! similarity transform (rotation, uniform scale, translation) onto ArcFace's 112×112 five-point
//! template, and the image is warped with it (bilinear, black border). Input: RGB, (x − 127.5) / 127.5,
//! NCHW 1×3×112×112; output 512 values, L2-normalised. The network runs on the crate's [`Model`]:
//! ONNX Runtime by default (also when the detector and mesh run on LiteRT), OpenCV 4.6 `dnn` when asked (both give the same output: cosine 1.000000 in
//! the measurement of issue 16's REPORT.md).

use opencv::core::{BORDER_CONSTANT, CV_32F, Mat, Scalar, Size};
use opencv::dnn;
use opencv::imgproc;

use crate::embed::{Embedding, FaceModel};
use crate::engine::{Engine, Model};
use crate::mesh::Landmarks;
use crate::models::{ModelPaths, Result, VisionError};

/// Side of the aligned face, in pixels.
pub const SIZE: i32 = 112;

/// ArcFace's five-point template in the 112×112 crop (a published constant of the method): the eye on
/// the image's left, the eye on the image's right, the nose tip, the mouth corner on the image's left,
/// the one on the image's right.
pub const TEMPLATE: [[f32; 2]; 5] = [
    [38.2946, 51.6963],
    [73.5318, 51.5014],
    [56.0252, 71.7366],
    [41.5493, 92.3655],
    [70.7299, 92.2041],
];

/// Mesh points around the eye on the image's left (the subject's right): outer and inner corner,
/// upper and lower lid; their mean is the eye's centre.
const EYE_IMAGE_LEFT: [usize; 4] = [33, 133, 159, 145];
/// The same for the eye on the image's right.
const EYE_IMAGE_RIGHT: [usize; 4] = [362, 263, 386, 374];
/// Nose tip.
const NOSE_TIP: usize = 1;
/// Mouth corners: on the image's left, on its right.
const MOUTH: [usize; 2] = [61, 291];

/// The ONNX graph's output.
const OUTPUT: &str = "516";

/// The five alignment points of a face mesh, in [`TEMPLATE`]'s order, in image pixels.
pub fn five_points(lm: &Landmarks) -> [[f32; 2]; 5] {
    let mean = |idx: &[usize]| {
        let (sx, sy) = idx.iter().fold((0.0, 0.0), |(x, y), &i| {
            let (px, py) = lm.xy(i);
            (x + px, y + py)
        });
        [sx / idx.len() as f32, sy / idx.len() as f32]
    };
    let pt = |i: usize| {
        let (x, y) = lm.xy(i);
        [x, y]
    };
    [
        mean(&EYE_IMAGE_LEFT),
        mean(&EYE_IMAGE_RIGHT),
        pt(NOSE_TIP),
        pt(MOUTH[0]),
        pt(MOUTH[1]),
    ]
}

/// A 2×3 affine matrix `[[a, −b, tx], [b, a, ty]]`: x' = a·x − b·y + tx, y' = b·x + a·y + ty.
pub type Similarity = [[f64; 3]; 2];

/// The least-squares similarity transform (rotation, uniform scale, translation; no reflection) that
/// maps `src` onto `dst`: it minimises Σ |T(srcᵢ) − dstᵢ|². Closed form: with both point sets centred
/// on their means, a = Σ(s·d) / Σ|s|², b = Σ(s × d) / Σ|s|². Fails when the source points coincide.
pub fn similarity(src: &[[f32; 2]], dst: &[[f32; 2]]) -> Result<Similarity> {
    let n = src.len().min(dst.len());
    if n < 2 {
        return Err(VisionError::Image(
            "alignment".into(),
            "a similarity transform needs two points or more".into(),
        ));
    }
    let centre = |p: &[[f32; 2]]| {
        let (x, y) = p[..n].iter().fold((0.0f64, 0.0f64), |(x, y), q| {
            (x + f64::from(q[0]), y + f64::from(q[1]))
        });
        (x / n as f64, y / n as f64)
    };
    let (msx, msy) = centre(src);
    let (mdx, mdy) = centre(dst);
    let (mut dot, mut cross, mut norm) = (0.0f64, 0.0f64, 0.0f64);
    for (s, d) in src[..n].iter().zip(&dst[..n]) {
        let (sx, sy) = (f64::from(s[0]) - msx, f64::from(s[1]) - msy);
        let (dx, dy) = (f64::from(d[0]) - mdx, f64::from(d[1]) - mdy);
        dot += sx * dx + sy * dy;
        cross += sx * dy - sy * dx;
        norm += sx * sx + sy * sy;
    }
    if norm <= 1e-9 || !norm.is_finite() || !dot.is_finite() || !cross.is_finite() {
        return Err(VisionError::Image(
            "alignment".into(),
            "the face's alignment points coincide".into(),
        ));
    }
    let (a, b) = (dot / norm, cross / norm);
    Ok([
        [a, -b, mdx - (a * msx - b * msy)],
        [b, a, mdy - (b * msx + a * msy)],
    ])
}

/// `m` applied to the point `p`.
pub fn apply(m: &Similarity, p: [f32; 2]) -> [f32; 2] {
    let (x, y) = (f64::from(p[0]), f64::from(p[1]));
    [
        (m[0][0] * x + m[0][1] * y + m[0][2]) as f32,
        (m[1][0] * x + m[1][1] * y + m[1][2]) as f32,
    ]
}

/// The 112×112 face (BGR, as `bgr`) aligned on the mesh's five points.
pub fn align(bgr: &Mat, lm: &Landmarks) -> Result<Mat> {
    let m = similarity(&five_points(lm), &TEMPLATE)?;
    let affine = Mat::from_slice_2d(&m)?;
    let mut face = Mat::default();
    imgproc::warp_affine(
        bgr,
        &mut face,
        &affine,
        Size::new(SIZE, SIZE),
        imgproc::INTER_LINEAR,
        BORDER_CONSTANT,
        Scalar::all(0.0),
    )?;
    Ok(face)
}

/// The ArcFace network of the face pack.
pub struct ArcFace {
    net: Model,
}

impl ArcFace {
    /// Loads the model on the engine of [`Engine::from_env`] (ONNX Runtime unless
    /// `$JIUZHU_VISION_ENGINE` says otherwise); without the face pack, [`VisionError::FacePackMissing`].
    pub fn load(paths: &ModelPaths) -> Result<Self> {
        Self::load_with(paths, Engine::from_env()?)
    }

    /// Loads the model on `engine` (LiteRT has no `.tflite` of ArcFace: it runs on ONNX Runtime then).
    pub fn load_with(paths: &ModelPaths, engine: Engine) -> Result<Self> {
        let engine = match engine {
            Engine::LiteRt => Engine::OnnxRuntime,
            other => other,
        };
        let file = paths.arcface()?;
        let net = Model::load(
            engine,
            paths,
            &file,
            [1, 3, SIZE as usize, SIZE as usize],
            &[OUTPUT],
        )?;
        Ok(Self { net })
    }

    /// The engine running the network.
    pub fn engine(&self) -> Engine {
        self.net.engine()
    }

    /// Embedding of the face whose mesh is `lm` in the BGR image `bgr`.
    pub fn embed(&mut self, bgr: &Mat, lm: &Landmarks) -> Result<Embedding> {
        self.embed_aligned(&align(bgr, lm)?)
    }

    /// Embedding of an aligned 112×112 BGR face ([`align`]).
    pub fn embed_aligned(&mut self, face: &Mat) -> Result<Embedding> {
        let blob = dnn::blob_from_image(
            face,
            1.0 / 127.5,
            Size::new(SIZE, SIZE),
            Scalar::all(127.5),
            true,
            false,
            CV_32F,
        )?;
        let out = self.net.forward_blob(&blob)?.into_iter().next();
        Embedding::from_values(FaceModel::ArcFace, out.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opencv::prelude::*;

    fn close(a: [f32; 2], b: [f32; 2], tol: f32) -> bool {
        (a[0] - b[0]).abs() < tol && (a[1] - b[1]).abs() < tol
    }

    #[test]
    fn the_template_maps_onto_itself() {
        let m = similarity(&TEMPLATE, &TEMPLATE).unwrap();
        assert!((m[0][0] - 1.0).abs() < 1e-9 && m[1][0].abs() < 1e-9);
        assert!(m[0][2].abs() < 1e-6 && m[1][2].abs() < 1e-6);
    }

    #[test]
    fn a_rotated_scaled_shifted_template_maps_back_exactly() {
        // the template turned by 20°, scaled by 2.7 and moved: the transform must undo exactly that
        let (angle, k, tx, ty) = (20f32.to_radians(), 2.7f32, 310.0f32, -45.0f32);
        let src: Vec<[f32; 2]> = TEMPLATE
            .iter()
            .map(|p| {
                [
                    k * (angle.cos() * p[0] - angle.sin() * p[1]) + tx,
                    k * (angle.sin() * p[0] + angle.cos() * p[1]) + ty,
                ]
            })
            .collect();
        let m = similarity(&src, &TEMPLATE).unwrap();
        for (s, d) in src.iter().zip(&TEMPLATE) {
            assert!(
                close(apply(&m, *s), *d, 1e-3),
                "{s:?} -> {:?} != {d:?}",
                apply(&m, *s)
            );
        }
        // scale 1/k, rotation −20°
        let scale = (m[0][0] * m[0][0] + m[1][0] * m[1][0]).sqrt();
        assert!((scale - 1.0 / 2.7).abs() < 1e-6, "{scale}");
        assert!((m[1][0].atan2(m[0][0]).to_degrees() + 20.0).abs() < 1e-4);
    }

    #[test]
    fn noisy_points_get_the_least_squares_fit() {
        // symmetric noise on a pure scaling: the fit is the scaling itself, the residuals are the noise
        let src: Vec<[f32; 2]> = TEMPLATE.iter().map(|p| [p[0] * 0.5, p[1] * 0.5]).collect();
        let mut dst = TEMPLATE;
        dst[0][0] += 1.0;
        dst[1][0] -= 1.0;
        let m = similarity(&src, &dst).unwrap();
        let fitted: f32 = src
            .iter()
            .zip(&dst)
            .map(|(s, d)| {
                let q = apply(&m, *s);
                (q[0] - d[0]).powi(2) + (q[1] - d[1]).powi(2)
            })
            .sum();
        // any other similarity (here: the exact doubling) fits no better
        let exact: f32 = src
            .iter()
            .zip(&dst)
            .map(|(s, d)| (2.0 * s[0] - d[0]).powi(2) + (2.0 * s[1] - d[1]).powi(2))
            .sum();
        assert!(fitted <= exact + 1e-4, "{fitted} > {exact}");
        assert!(fitted > 0.5, "{fitted}");
    }

    #[test]
    fn a_mirror_image_is_not_fitted_by_a_reflection() {
        // the template mirrored left-right: a similarity without reflection cannot map it back
        let src: Vec<[f32; 2]> = TEMPLATE.iter().map(|p| [112.0 - p[0], p[1]]).collect();
        let m = similarity(&src, &TEMPLATE).unwrap();
        let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
        assert!(det > 0.0);
    }

    #[test]
    fn coinciding_points_are_an_error() {
        assert!(similarity(&[[5.0, 5.0]; 5], &TEMPLATE).is_err());
        assert!(similarity(&[[5.0, 5.0]], &[[1.0, 1.0]]).is_err());
    }

    #[test]
    fn five_points_average_the_eye_contours_of_the_mesh() {
        let mut points = vec![[0.0f32; 3]; crate::mesh::POINTS];
        for (k, i) in EYE_IMAGE_LEFT.iter().enumerate() {
            points[*i] = [100.0 + k as f32 * 4.0, 200.0, 0.0];
        }
        for i in EYE_IMAGE_RIGHT {
            points[i] = [180.0, 204.0, 0.0];
        }
        points[NOSE_TIP] = [140.0, 240.0, 0.0];
        points[MOUTH[0]] = [110.0, 280.0, 0.0];
        points[MOUTH[1]] = [170.0, 281.0, 0.0];
        let lm = Landmarks { points, score: 1.0 };
        let p = five_points(&lm);
        assert_eq!(
            p,
            [
                [106.0, 200.0],
                [180.0, 204.0],
                [140.0, 240.0],
                [110.0, 280.0],
                [170.0, 281.0]
            ]
        );
    }

    #[test]
    fn the_warp_puts_the_five_points_on_the_template() {
        // an image with a bright dot at each of five points that are the template moved, turned and
        // scaled: after alignment the dots sit on the template's points
        let (angle, k, tx, ty) = (-12f32.to_radians(), 2.2f32, 90.0f32, 60.0f32);
        let place = |p: [f32; 2]| {
            [
                k * (angle.cos() * p[0] - angle.sin() * p[1]) + tx,
                k * (angle.sin() * p[0] + angle.cos() * p[1]) + ty,
            ]
        };
        let mut img =
            Mat::new_rows_cols_with_default(400, 400, opencv::core::CV_8UC3, Scalar::all(0.0))
                .unwrap();
        let mut points = vec![[0.0f32; 3]; crate::mesh::POINTS];
        for (j, t) in TEMPLATE.iter().enumerate() {
            let q = place(*t);
            imgproc::circle(
                &mut img,
                opencv::core::Point::new(q[0].round() as i32, q[1].round() as i32),
                3,
                Scalar::all(255.0),
                -1,
                imgproc::LINE_8,
                0,
            )
            .unwrap();
            let idx: &[usize] = match j {
                0 => &EYE_IMAGE_LEFT,
                1 => &EYE_IMAGE_RIGHT,
                2 => &[NOSE_TIP],
                3 => &MOUTH[..1],
                _ => &MOUTH[1..],
            };
            for i in idx {
                points[*i] = [q[0], q[1], 0.0];
            }
        }
        let face = align(&img, &Landmarks { points, score: 1.0 }).unwrap();
        assert_eq!((face.cols(), face.rows()), (SIZE, SIZE));
        for t in TEMPLATE {
            let (x, y) = (t[0].round() as i32, t[1].round() as i32);
            let v = face.at_2d::<opencv::core::Vec3b>(y, x).unwrap()[0];
            assert!(v > 200, "template point {t:?}: {v}");
        }
        // and between the eyes there is nothing
        assert!(face.at_2d::<opencv::core::Vec3b>(51, 56).unwrap()[0] < 30);
    }
}
