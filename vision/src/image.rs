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
    if m.typ() != CV_8UC3 {
        return Err(VisionError::Image(
            "frame".into(),
            format!("expected 8-bit BGR, got type {}", m.typ()),
        ));
    }
    let m = if m.is_continuous() {
        m.try_clone()?
    } else {
        m.clone()
    };
    Frame::new(
        m.cols() as u32,
        m.rows() as u32,
        PixelFormat::Bgr8,
        m.data_bytes()?.to_vec(),
    )
    .map_err(|e| VisionError::Image("frame".into(), e.to_string()))
}

/// Axis-aligned square crop centred on (`cx`, `cy`) with side `side`, resized to `size`×`size`;
/// outside the image is black. Returns the crop and the affine transform image→crop (`k`, `tx`, `ty`).
pub fn square_crop(img: &Mat, cx: f32, cy: f32, side: f32, size: i32) -> Result<(Mat, [f32; 3])> {
    let mut out = Mat::default();
    let t = square_crop_into(img, cx, cy, side, size, &mut out)?;
    Ok((out, t))
}

/// [`square_crop`] into a reused `out`.
pub fn square_crop_into(
    img: &Mat,
    cx: f32,
    cy: f32,
    side: f32,
    size: i32,
    out: &mut Mat,
) -> Result<[f32; 3]> {
    let k = size as f32 / side.max(1.0);
    let (tx, ty) = (size as f32 / 2.0 - k * cx, size as f32 / 2.0 - k * cy);
    let m = Mat::from_slice_2d(&[[k as f64, 0.0, tx as f64], [0.0, k as f64, ty as f64]])?;
    imgproc::warp_affine(
        img,
        out,
        &m,
        Size::new(size, size),
        imgproc::INTER_LINEAR,
        opencv::core::BORDER_CONSTANT,
        Scalar::default(),
    )?;
    Ok([k, tx, ty])
}

/// Fills `blob` (reallocated only when its shape differs) with the 1×3×H×W planar RGB tensor of the
/// 8-bit BGR image `bgr`, each value `scale × (v − offset)`: one pass instead of `blobFromImage`'s
/// conversion, channel swap and split.
pub fn fill_rgb_blob(bgr: &Mat, scale: f32, offset: f32, blob: &mut Mat) -> Result<()> {
    if bgr.typ() != CV_8UC3 {
        return Err(VisionError::Image(
            "blob".into(),
            format!("expected 8-bit BGR, got type {}", bgr.typ()),
        ));
    }
    let (h, w) = (bgr.rows(), bgr.cols());
    let shape = [1, 3, h, w];
    if *blob.mat_size() != shape[..] || blob.typ() != opencv::core::CV_32F {
        *blob = Mat::new_nd_with_default(&shape, opencv::core::CV_32F, Scalar::all(0.0))?;
    }
    let n = (h * w) as usize;
    let out = blob.data_typed_mut::<f32>()?;
    let (r, rest) = out.split_at_mut(n);
    let (g, b) = rest.split_at_mut(n);
    let mut i = 0;
    for y in 0..h {
        let row = bgr.at_row::<opencv::core::Vec3b>(y)?;
        for px in row {
            b[i] = scale * (px[0] as f32 - offset);
            g[i] = scale * (px[1] as f32 - offset);
            r[i] = scale * (px[2] as f32 - offset);
            i += 1;
        }
    }
    Ok(())
}

/// Resizes `bgr` by `k` into the top-left corner of `square` (side × side, black elsewhere), which
/// is reused between calls: the letterbox of a detector input without padding the full frame first.
pub fn letterbox_into(bgr: &Mat, side: i32, square: &mut Mat) -> Result<f32> {
    let k = side as f32 / bgr.cols().max(bgr.rows()) as f32;
    let (w, h) = (
        ((bgr.cols() as f32 * k).round() as i32).clamp(1, side),
        ((bgr.rows() as f32 * k).round() as i32).clamp(1, side),
    );
    if square.rows() != side || square.cols() != side || square.typ() != CV_8UC3 {
        *square = Mat::new_rows_cols_with_default(side, side, CV_8UC3, Scalar::all(0.0))?;
    } else {
        square.set_to_def(&Scalar::all(0.0))?;
    }
    let mut roi = Mat::roi_mut(square, opencv::core::Rect::new(0, 0, w, h))?;
    imgproc::resize(
        bgr,
        &mut roi,
        Size::new(w, h),
        0.0,
        0.0,
        imgproc::INTER_LINEAR,
    )?;
    Ok(k)
}
