//! Quality gate: exactly one face, large enough, facing the camera, sharp and well exposed.

use opencv::core::{Mat, Scalar};
use opencv::imgproc;

use crate::geometry::HeadPose;
use crate::image::square_crop;
use crate::models::Result;

/// Limits of the gate.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct QualityLimits {
    /// Minimum face box side in pixels.
    pub min_face_px: f32,
    /// Maximum |yaw| in degrees.
    pub max_yaw: f32,
    /// Maximum |pitch| in degrees.
    pub max_pitch: f32,
    /// Maximum |roll| in degrees.
    pub max_roll: f32,
    /// Minimum variance of the Laplacian on the 128×128 face crop.
    pub min_sharpness: f64,
    /// Accepted mean grey level of the face crop.
    pub exposure: (f64, f64),
}

impl Default for QualityLimits {
    fn default() -> Self {
        Self {
            min_face_px: 80.0,
            max_yaw: 25.0,
            max_pitch: 25.0,
            max_roll: 20.0,
            min_sharpness: 15.0,
            exposure: (35.0, 210.0),
        }
    }
}

/// Why a frame fails the gate; each is a retry the user can fix (the UI turns it into a hint).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum QualityIssue {
    /// No face in view.
    NoFace,
    /// More than one face in view.
    SeveralFaces,
    /// Face too small: come closer.
    TooSmall,
    /// Not facing the camera.
    NotFrontal,
    /// Blurred.
    Blurred,
    /// Too dark.
    TooDark,
    /// Too bright.
    TooBright,
}

/// Measured quality of the face region.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct QualityMeasures {
    /// Laplacian variance.
    pub sharpness: f64,
    /// Mean grey level.
    pub brightness: f64,
}

/// Sharpness and exposure of the square face region.
pub fn measure(bgr: &Mat, cx: f32, cy: f32, side: f32) -> Result<QualityMeasures> {
    let (crop, _) = square_crop(bgr, cx, cy, side, 128)?;
    let mut grey = Mat::default();
    imgproc::cvt_color_def(&crop, &mut grey, imgproc::COLOR_BGR2GRAY)?;
    let mut lap = Mat::default();
    imgproc::laplacian(
        &grey,
        &mut lap,
        opencv::core::CV_64F,
        1,
        1.0,
        0.0,
        opencv::core::BORDER_DEFAULT,
    )?;
    let (mut mean, mut std) = (Scalar::default(), Scalar::default());
    opencv::core::mean_std_dev(&lap, &mut mean, &mut std, &opencv::core::no_array())?;
    let brightness = opencv::core::mean_def(&grey)?[0];
    Ok(QualityMeasures {
        sharpness: std[0] * std[0],
        brightness,
    })
}

/// Issues of one frame (empty = passes).
pub fn gate(
    faces: usize,
    side: f32,
    pose: &HeadPose,
    m: &QualityMeasures,
    lim: &QualityLimits,
) -> Vec<QualityIssue> {
    let mut out = Vec::new();
    match faces {
        0 => return vec![QualityIssue::NoFace],
        1 => {}
        _ => out.push(QualityIssue::SeveralFaces),
    }
    if side < lim.min_face_px {
        out.push(QualityIssue::TooSmall);
    }
    if pose.yaw.abs() > lim.max_yaw
        || pose.pitch.abs() > lim.max_pitch
        || pose.roll.abs() > lim.max_roll
    {
        out.push(QualityIssue::NotFrontal);
    }
    if m.sharpness < lim.min_sharpness {
        out.push(QualityIssue::Blurred);
    }
    if m.brightness < lim.exposure.0 {
        out.push(QualityIssue::TooDark);
    } else if m.brightness > lim.exposure.1 {
        out.push(QualityIssue::TooBright);
    }
    out
}
