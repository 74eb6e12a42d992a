//! Conversions between [`Frame`] and OpenCV `Mat`, image loading, square crops.

use jiuzhu_drivers_api::camera::{Frame, PixelFormat};
use opencv::core::{CV_8UC3, Mat, Scalar, Size};
use opencv::prelude::*;
use opencv::{imgcodecs, imgproc};

use crate::models::{Result, VisionError};

/// Reads an image file as BGR.
pub fn load_bgr(path: &std::path::Path) -> Result<Mat> {
    let p = path.to_string_lossy();
    let m = imgcodecs::imread(&*p, imgcodecs::IMREAD_COLOR)?;
    if m.empty() {
        return Err(VisionError::Image(
            p.into_owned(),
            "not found or not an image".into(),
        ));
    }
    Ok(m)
}

/// Copies a frame into a BGR `Mat` (grey frames are expanded).
pub fn frame_to_bgr(frame: &Frame) -> Result<Mat> {
    let flat = Mat::from_slice(&frame.data)?;
    let m = flat
        .reshape(frame.format.channels() as i32, frame.height as i32)?
        .try_clone()?;
    if frame.format == PixelFormat::Gray8 {
        let mut out = Mat::default();
        imgproc::cvt_color_def(&m, &mut out, imgproc::COLOR_GRAY2BGR)?;
        return Ok(out);
    }
    Ok(m)
}

/// Copies a BGR `Mat` into a frame.
pub fn bgr_to_frame(m: &Mat) -> Result<Frame> {
    mat_to_frame(m, CV_8UC3, PixelFormat::Bgr8, "8-bit BGR")
}

/// Copies a one-channel 8-bit `Mat` (a near-infrared image) into a grey frame.
pub fn grey_to_frame(m: &Mat) -> Result<Frame> {
    mat_to_frame(m, opencv::core::CV_8UC1, PixelFormat::Gray8, "8-bit grey")
}

/// Copies `m`, which must be of OpenCV type `typ` (`what` in the error), into a frame of `format`.
fn mat_to_frame(m: &Mat, typ: i32, format: PixelFormat, what: &str) -> Result<Frame> {
    if m.typ() != typ {
        return Err(VisionError::Image(
            "frame".into(),
            format!("expected {what}, got type {}", m.typ()),
        ));
    }
    // a region of a larger image is not contiguous: copy it first
    let data = if m.is_continuous() {
        m.data_bytes()?.to_vec()
    } else {
        m.try_clone()?.data_bytes()?.to_vec()
    };
    Frame::new(m.cols() as u32, m.rows() as u32, format, data)
        .map_err(|e| VisionError::Image("frame".into(), e.to_string()))
}

/// Axis-aligned square crop centred on (`cx`, `cy`) with side `side`, resized to `size`×`size`;
/// outside the image is black. Returns the crop and the affine transform image→crop (`k`, `tx`, `ty`).
pub fn square_crop(img: &Mat, cx: f32, cy: f32, side: f32, size: i32) -> Result<(Mat, [f32; 3])> {
    let k = size as f32 / side.max(1.0);
    let (tx, ty) = (size as f32 / 2.0 - k * cx, size as f32 / 2.0 - k * cy);
    let m = Mat::from_slice_2d(&[[k as f64, 0.0, tx as f64], [0.0, k as f64, ty as f64]])?;
    let mut out = Mat::default();
    imgproc::warp_affine(
        img,
        &mut out,
        &m,
        Size::new(size, size),
        imgproc::INTER_LINEAR,
        opencv::core::BORDER_CONSTANT,
        Scalar::default(),
    )?;
    Ok((out, [k, tx, ty]))
}
