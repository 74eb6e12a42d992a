//! Measures from mesh landmarks: eye aspect ratio, mouth opening, head pose (solvePnP on six points of a
//! generic head model), and how well one homography explains the motion of the rigid face points.

use opencv::calib3d;
use opencv::core::{Mat, Point2f, Point3f, Rect, Scalar, Vector};
use opencv::imgproc;
use opencv::prelude::*;

use crate::mesh::Landmarks;
use crate::models::Result;

/// Eye contours in mesh indices: (outer corner, upper 1, upper 2, inner corner, lower 2, lower 1).
pub const RIGHT_EYE: [usize; 6] = [33, 160, 158, 133, 153, 144];
/// The other eye, same order.
pub const LEFT_EYE: [usize; 6] = [263, 387, 385, 362, 380, 373];
/// Eye contours for the appearance measure: upper lid corner to corner, then the lower lid back.
pub const RIGHT_EYE_CONTOUR: [usize; 16] = [
    33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7,
];
/// The other eye, same order.
pub const LEFT_EYE_CONTOUR: [usize; 16] = [
    263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249,
];
/// Inner lips: upper centre, lower centre; mouth corners: left, right.
pub const MOUTH: [usize; 4] = [13, 14, 78, 308];
/// Six points for solvePnP: nose tip, chin, eye outer corners, mouth corners.
pub const POSE_POINTS: [usize; 6] = [1, 152, 33, 263, 61, 291];
/// Points that stay put when eyes and mouth move: brows, nose bridge, cheekbones, face contour.
pub const RIGID_POINTS: [usize; 20] = [
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 109, 67, 103, 54, 21, 162, 127, 234, 93, 6,
];

fn dist(a: (f32, f32), b: (f32, f32)) -> f32 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

fn eye_ratio(l: &Landmarks, e: &[usize; 6]) -> f32 {
    let v = dist(l.xy(e[1]), l.xy(e[5])) + dist(l.xy(e[2]), l.xy(e[4]));
    let h = dist(l.xy(e[0]), l.xy(e[3]));
    if h <= 0.0 { 0.0 } else { v / (2.0 * h) }
}

/// Mean eye aspect ratio of both eyes (about 0.2–0.3 open, under 0.12 closed).
pub fn eye_aspect_ratio(l: &Landmarks) -> f32 {
    (eye_ratio(l, &RIGHT_EYE) + eye_ratio(l, &LEFT_EYE)) / 2.0
}

/// The grey levels of the part of a frame the appearance measures read ([`eye_contrast`],
/// [`eye_patches`], [`mouth_darkness`]): the landmarks' bounding square doubled about its centre,
/// clipped to the frame. Every box and patch of those measures lies inside it, so they read the same
/// pixels as on the whole frame's grey; converting the whole frame once per measure cost more than
/// the measures.
pub struct FaceGrey {
    grey: Mat,
    x0: i32,
    y0: i32,
}

impl FaceGrey {
    /// Converts the face's region of the BGR `bgr` to grey.
    pub fn new(bgr: &Mat, l: &Landmarks) -> Result<Self> {
        let (cx, cy, side) = l.extent();
        let frame = Rect::new(0, 0, bgr.cols(), bgr.rows());
        let r = Rect::new(
            (cx - side).floor() as i32,
            (cy - side).floor() as i32,
            (2.0 * side).ceil() as i32 + 2,
            (2.0 * side).ceil() as i32 + 2,
        ) & frame;
        let mut grey = Mat::default();
        if r.width > 0 && r.height > 0 {
            imgproc::cvt_color_def(&Mat::roi(bgr, r)?, &mut grey, imgproc::COLOR_BGR2GRAY)?;
        }
        Ok(Self {
            grey,
            x0: r.x,
            y0: r.y,
        })
    }

    /// The whole frame's grey levels (what the measures read before the region; they must agree).
    pub fn whole(bgr: &Mat) -> Result<Self> {
        let mut grey = Mat::default();
        imgproc::cvt_color_def(bgr, &mut grey, imgproc::COLOR_BGR2GRAY)?;
        Ok(Self { grey, x0: 0, y0: 0 })
    }

    /// A box in frame pixels as a box in the region, clipped to it.
    fn rect(&self, r: Rect) -> Rect {
        Rect::new(r.x - self.x0, r.y - self.y0, r.width, r.height)
            & Rect::new(0, 0, self.grey.cols(), self.grey.rows())
    }
}

/// Standard deviation of the grey levels in a box between the corners of each eye, over the mean grey
/// of the brow-to-cheek band. An open eye shows sclera, iris and lid margin (high contrast); a closed
/// eye shows lid skin and a thin lash line. The face mesh keeps its eyelid points near their open positions on closed eyes
/// (eye aspect ratio drops by only ~10 %), so blinks are judged on this measure as well.
pub fn eye_contrast(bgr: &Mat, l: &Landmarks) -> Result<f32> {
    eye_contrast_in(&FaceGrey::new(bgr, l)?, l)
}

/// [`eye_contrast`] on the face's grey levels.
pub fn eye_contrast_in(g: &FaceGrey, l: &Landmarks) -> Result<f32> {
    let level = face_level(g, l)?;
    let mut total = 0.0f64;
    for contour in [&RIGHT_EYE_CONTOUR, &LEFT_EYE_CONTOUR] {
        // a box between the eye corners (stable points), not the eyelid points
        let (a, b) = (l.xy(contour[0]), l.xy(contour[8]));
        let w = ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
        let (ex, ey) = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
        let rect = g.rect(Rect::new(
            (ex - 0.35 * w).round() as i32,
            (ey - 0.2 * w).round() as i32,
            (0.7 * w).round().max(2.0) as i32,
            (0.35 * w).round().max(2.0) as i32,
        ));
        if rect.width < 2 || rect.height < 2 {
            return Ok(0.0);
        }
        let roi = Mat::roi(&g.grey, rect)?;
        let (mut mean, mut std) = (Scalar::default(), Scalar::default());
        opencv::core::mean_std_dev(&roi, &mut mean, &mut std, &opencv::core::no_array())?;
        total += std[0];
    }
    Ok((total / 2.0 / level.max(1.0)) as f32)
}

/// Width and height of one eye's patch in [`eye_patches`].
pub const EYE_PATCH: (i32, i32) = (24, 12);

/// Both eyes' appearance, each as a small grey patch aligned on its two corners (stable points:
/// the eye from 0.15 widths outside one corner to 0.15 outside the other, ±0.3 widths across),
/// lightly smoothed against sensor noise, minus its mean and scaled to unit length: a closed eye
/// differs from the same eye open in shape (lid and lashes instead of sclera and iris) whatever the
/// light — the contrast measure [`eye_contrast`] loses a blink in a dim, noisy frame, the
/// normalised shape does not. Compare two with [`eye_similarity`]. Empty when an eye is outside
/// the frame.
pub fn eye_patches(bgr: &Mat, l: &Landmarks) -> Result<Vec<f32>> {
    eye_patches_in(&FaceGrey::new(bgr, l)?, l)
}

/// [`eye_patches`] on the face's grey levels.
pub fn eye_patches_in(g: &FaceGrey, l: &Landmarks) -> Result<Vec<f32>> {
    let (pw, ph) = EYE_PATCH;
    let mut out = Vec::with_capacity(2 * (pw * ph) as usize);
    for contour in [&RIGHT_EYE_CONTOUR, &LEFT_EYE_CONTOUR] {
        let (a, b) = (l.xy(contour[0]), l.xy(contour[8]));
        let len = dist(a, b);
        if len < 4.0 {
            return Ok(Vec::new());
        }
        let u = ((b.0 - a.0) / len, (b.1 - a.1) / len);
        // across the eye, pointing down in the image for either eye
        let n = if u.0 >= 0.0 { (-u.1, u.0) } else { (u.1, -u.0) };
        let (x0, y0) = (
            a.0 - 0.15 * len * u.0 - 0.3 * len * n.0,
            a.1 - 0.15 * len * u.1 - 0.3 * len * n.1,
        );
        let (sx, sy) = (1.3 * len / pw as f32, 0.6 * len / ph as f32);
        // the patch's corner moved into the grey region's pixels exactly (a whole number in f64), so
        // the warp samples what it sampled on the whole frame
        let m = Mat::from_slice_2d(&[
            [
                f64::from(u.0 * sx),
                f64::from(n.0 * sy),
                f64::from(x0) - f64::from(g.x0),
            ],
            [
                f64::from(u.1 * sx),
                f64::from(n.1 * sy),
                f64::from(y0) - f64::from(g.y0),
            ],
        ])?;
        let mut patch = Mat::default();
        imgproc::warp_affine(
            &g.grey,
            &mut patch,
            &m,
            opencv::core::Size::new(pw, ph),
            imgproc::INTER_LINEAR | imgproc::WARP_INVERSE_MAP,
            opencv::core::BORDER_REPLICATE,
            Scalar::default(),
        )?;
        let mut smooth = Mat::default();
        imgproc::gaussian_blur_def(&patch, &mut smooth, opencv::core::Size::new(3, 3), 0.8)?;
        let v: Vec<f32> = smooth.data_bytes()?.iter().map(|&p| f32::from(p)).collect();
        let mean = v.iter().sum::<f32>() / v.len() as f32;
        let norm = v.iter().map(|p| (p - mean).powi(2)).sum::<f32>().sqrt();
        if norm < 1e-3 {
            return Ok(Vec::new());
        }
        out.extend(v.iter().map(|p| (p - mean) / norm));
    }
    Ok(out)
}

/// Normalised cross-correlation of two [`eye_patches`], the mean of the two eyes (1 = the same
/// appearance). None when either is empty or they differ in size.
pub fn eye_similarity(a: &[f32], b: &[f32]) -> Option<f32> {
    if a.is_empty() || a.len() != b.len() {
        return None;
    }
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    Some(dot / 2.0)
}

/// Darkness of the mouth region: 1 − mean grey of a box below the upper inner lip (between the mouth
/// corners, half a mouth width deep) over the mean grey of the brow-to-cheek band. An open mouth shows
/// its dark cavity; the face mesh's inner-lip points follow a wide-open mouth only partly on some faces
/// (a smile with parted lips at rest), so mouth challenges are judged on this measure as well.
pub fn mouth_darkness(bgr: &Mat, l: &Landmarks) -> Result<f32> {
    mouth_darkness_in(&FaceGrey::new(bgr, l)?, l)
}

/// [`mouth_darkness`] on the face's grey levels.
pub fn mouth_darkness_in(g: &FaceGrey, l: &Landmarks) -> Result<f32> {
    let level = face_level(g, l)?;
    let (a, b) = (l.xy(61), l.xy(291));
    let w = ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
    let top = l.xy(MOUTH[0]);
    let rect = g.rect(Rect::new(
        ((a.0 + b.0) / 2.0 - 0.3 * w).round() as i32,
        top.1.round() as i32,
        (0.6 * w).round().max(2.0) as i32,
        (0.5 * w).round().max(2.0) as i32,
    ));
    if rect.width < 2 || rect.height < 2 {
        return Ok(0.0);
    }
    let mean = opencv::core::mean_def(&Mat::roi(&g.grey, rect)?)?[0];
    Ok((1.0 - mean / level.max(1.0)) as f32)
}

fn face_level(g: &FaceGrey, l: &Landmarks) -> Result<f64> {
    let (cx, cy, side) = l.extent();
    let band = g.rect(Rect::new(
        ((cx - 0.3 * side) as i32).max(0),
        ((cy - 0.2 * side) as i32).max(0),
        ((0.6 * side) as i32).max(1),
        ((0.3 * side) as i32).max(1),
    ));
    Ok(if band.width > 0 && band.height > 0 {
        opencv::core::mean_def(&Mat::roi(&g.grey, band)?)?[0]
    } else {
        128.0
    })
}

/// Inner-lip gap over mouth width (about 0 closed, over 0.3 wide open).
pub fn mouth_opening(l: &Landmarks) -> f32 {
    let w = dist(l.xy(MOUTH[2]), l.xy(MOUTH[3]));
    if w <= 0.0 {
        0.0
    } else {
        dist(l.xy(MOUTH[0]), l.xy(MOUTH[1])) / w
    }
}

/// Head pose in degrees. Yaw is positive when the face turns towards the image's right, pitch positive
/// when the chin goes down, roll positive clockwise in the image.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct HeadPose {
    /// Left/right rotation.
    pub yaw: f32,
    /// Up/down rotation.
    pub pitch: f32,
    /// In-plane rotation.
    pub roll: f32,
}

/// Generic head model (arbitrary units, x right, y down, z away from the camera), nose tip at the origin.
const MODEL: [(f32, f32, f32); 6] = [
    (0.0, 0.0, 0.0),
    (0.0, 330.0, 65.0),
    (-225.0, -170.0, 135.0),
    (225.0, -170.0, 135.0),
    (-150.0, 150.0, 125.0),
    (150.0, 150.0, 125.0),
];

/// Head pose by solvePnP with a pinhole camera of focal length = image width.
pub fn head_pose(l: &Landmarks, image_width: f32, image_height: f32) -> Result<HeadPose> {
    let obj: Vector<Point3f> = MODEL
        .iter()
        .map(|&(x, y, z)| Point3f::new(x, y, z))
        .collect();
    let img: Vector<Point2f> = POSE_POINTS
        .iter()
        .map(|&i| Point2f::new(l.points[i][0], l.points[i][1]))
        .collect();
    let f = image_width as f64;
    let cam = Mat::from_slice_2d(&[
        [f, 0.0, image_width as f64 / 2.0],
        [0.0, f, image_height as f64 / 2.0],
        [0.0, 0.0, 1.0],
    ])?;
    // start from a frontal face at the distance implied by the eye-corner span, so that the iterative
    // solver stays in the right basin (without a guess it sometimes lands on a flipped pose, roll ≈ 180°)
    let (nose, re, le) = (
        l.xy(POSE_POINTS[0]),
        l.xy(POSE_POINTS[2]),
        l.xy(POSE_POINTS[3]),
    );
    let span = ((re.0 - le.0).powi(2) + (re.1 - le.1).powi(2))
        .sqrt()
        .max(1.0) as f64;
    let tz = f * 450.0 / span;
    let tx = (nose.0 as f64 - image_width as f64 / 2.0) * tz / f;
    let ty = (nose.1 as f64 - image_height as f64 / 2.0) * tz / f;
    let mut rvec = Mat::from_slice(&[0.0f64, 0.0, 0.0])?.t()?.to_mat()?;
    let mut tvec = Mat::from_slice(&[tx, ty, tz])?.t()?.to_mat()?;
    calib3d::solve_pnp(
        &obj,
        &img,
        &cam,
        &Mat::default(),
        &mut rvec,
        &mut tvec,
        true,
        calib3d::SOLVEPNP_ITERATIVE,
    )?;
    let mut r = Mat::default();
    calib3d::rodrigues_def(&rvec, &mut r)?;
    let g = |i: i32, j: i32| -> Result<f64> { Ok(*r.at_2d::<f64>(i, j)?) };
    let pitch = g(2, 1)?.atan2(g(2, 2)?);
    let yaw = (-g(2, 0)?).atan2((g(0, 0)?.powi(2) + g(1, 0)?.powi(2)).sqrt());
    let roll = g(1, 0)?.atan2(g(0, 0)?);
    Ok(HeadPose {
        yaw: -yaw.to_degrees() as f32,
        pitch: pitch.to_degrees() as f32,
        roll: roll.to_degrees() as f32,
    })
}

/// Residual of the best homography mapping the rigid points of `a` onto those of `b`, as a fraction of
/// the face size. A flat photo tilted or bent a little in front of the camera moves all its points by
/// (nearly) one homography, so the residual stays near the landmark noise; a real head turning shows
/// parallax between nose, cheeks and contour, which no homography explains.
pub fn homography_residual(a: &Landmarks, b: &Landmarks) -> Result<f32> {
    let pa: Vector<Point2f> = RIGID_POINTS
        .iter()
        .chain(&POSE_POINTS)
        .map(|&i| Point2f::new(a.points[i][0], a.points[i][1]))
        .collect();
    let pb: Vector<Point2f> = RIGID_POINTS
        .iter()
        .chain(&POSE_POINTS)
        .map(|&i| Point2f::new(b.points[i][0], b.points[i][1]))
        .collect();
    let h = calib3d::find_homography(&pa, &pb, &mut Mat::default(), 0, 3.0)?;
    if h.empty() {
        return Ok(1.0);
    }
    let mut proj: Vector<Point2f> = Vector::new();
    opencv::core::perspective_transform(&pa, &mut proj, &h)?;
    let err: f32 = proj
        .iter()
        .zip(pb.iter())
        .map(|(p, q)| ((p.x - q.x).powi(2) + (p.y - q.y).powi(2)).sqrt())
        .sum::<f32>()
        / pb.len() as f32;
    let (_, _, side) = b.extent();
    Ok(if side > 0.0 { err / side } else { 1.0 })
}
