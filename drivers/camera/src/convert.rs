use jiuzhu_drivers_api::camera::{CameraError, Frame, PixelFormat};
use opencv::core::{CV_8UC1, CV_8UC3, Mat, MatTraitConst, MatTraitConstManual};

fn backend(e: opencv::Error) -> CameraError {
    CameraError::Backend(e.to_string())
}

/// Copies an 8-bit BGR or grey `Mat` into a [`Frame`] (BGRA is converted to BGR).
pub fn mat_to_frame(mat: &Mat) -> Result<Frame, CameraError> {
    let mat = match mat.typ() {
        t if t == CV_8UC3 || t == CV_8UC1 => mat.try_clone().map_err(backend)?,
        t if t == opencv::core::CV_8UC4 => {
            let mut out = Mat::default();
            opencv::imgproc::cvt_color_def(mat, &mut out, opencv::imgproc::COLOR_BGRA2BGR)
                .map_err(backend)?;
            out
        }
        t => {
            return Err(CameraError::BadFrame(format!(
                "unsupported OpenCV pixel type {t}"
            )));
        }
    };
    let format = if mat.channels() == 3 {
        PixelFormat::Bgr8
    } else {
        PixelFormat::Gray8
    };
    let mat = if mat.is_continuous() {
        mat
    } else {
        mat.try_clone().map_err(backend)?
    };
    let data = mat.data_bytes().map_err(backend)?.to_vec();
    Frame::new(mat.cols() as u32, mat.rows() as u32, format, data)
}

/// Wraps a [`Frame`] as an owned `Mat` (BGR or grey).
pub fn frame_to_mat(frame: &Frame) -> Result<Mat, CameraError> {
    let typ = match frame.format {
        PixelFormat::Bgr8 => CV_8UC3,
        PixelFormat::Gray8 => CV_8UC1,
    };
    let flat = Mat::from_slice(&frame.data).map_err(backend)?;
    let shaped = flat
        .reshape(typ_channels(typ), frame.height as i32)
        .map_err(backend)?;
    shaped.try_clone().map_err(backend)
}

fn typ_channels(typ: i32) -> i32 {
    if typ == CV_8UC3 { 3 } else { 1 }
}
