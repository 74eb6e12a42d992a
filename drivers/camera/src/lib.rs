//! Camera frame sources (OpenCV VideoCapture, files, binocular RGB+IR).
//!
//! Facts used (see shared/reference/devices.md §5): UVC cameras are V4L2 capture nodes, best selected by
//! `/dev/v4l/by-id/...-video-index0`; two 640×480 YUYV streams can exceed USB 2 bandwidth, so MJPG is
//! requested first; binocular RGB+NIR modules show up either as two UVC functions or as one side-by-side
//! frame (e.g. 1280×480 = 2×640×480). OpenCV's `VideoCapture` also opens video files and `img_%03d.png`
//! image sequences, which is what the tests use; [`FileSource`] plays them as a camera (looped, paced).

mod convert;
mod opencv_source;
mod playback;
mod synthetic;

pub use convert::{frame_to_mat, mat_to_frame};
pub use jiuzhu_drivers_api::camera::{
    CameraError, Frame, FramePair, FrameSource, PixelFormat, SourceInfo,
};
pub use opencv_source::{CaptureConfig, IrLayout, OpenCvSource, Selector};
pub use playback::{DEFAULT_FPS, FileSource, Pacer, PlaybackConfig};
pub use synthetic::{FrameListSource, SyntheticSource};
