//! Camera frames and the `FrameSource` trait. No OpenCV here: a frame is packed 8-bit BGR (or grey for IR)
//! so that drivers, simulators and the vision pipeline agree without sharing an image library.

use std::fmt;

/// Pixel layout of a [`Frame`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PixelFormat {
    /// 3 bytes per pixel, blue-green-red (OpenCV's order).
    Bgr8,
    /// 1 byte per pixel (near-infrared or grey).
    Gray8,
}

impl PixelFormat {
    /// Bytes per pixel.
    pub fn channels(self) -> usize {
        match self {
            PixelFormat::Bgr8 => 3,
            PixelFormat::Gray8 => 1,
        }
    }
}

/// One captured image. Biometric data: `Debug` shows the size only, never pixels.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Pixel layout of `data`.
    pub format: PixelFormat,
    /// Row-major packed pixels, `width * height * channels` bytes.
    pub data: Vec<u8>,
    /// Capture index since the source was opened.
    pub seq: u64,
    /// When the frame was captured, from the source's start: a recording's or simulated clip's own
    /// time (index / frame rate), a live camera's read time. Reaction times are measured on it,
    /// so a slow machine that reads frames late does not stretch a person's reaction. `None`:
    /// unknown (the consumer uses its own clock).
    pub captured: Option<std::time::Duration>,
}

impl Frame {
    /// A frame from packed pixels; fails when the buffer length does not match the size.
    pub fn new(
        width: u32,
        height: u32,
        format: PixelFormat,
        data: Vec<u8>,
    ) -> Result<Self, CameraError> {
        let want = width as usize * height as usize * format.channels();
        if data.len() != want || width == 0 || height == 0 {
            return Err(CameraError::BadFrame(format!(
                "{width}x{height} {format:?} needs {want} bytes, got {}",
                data.len()
            )));
        }
        Ok(Self {
            width,
            height,
            format,
            data,
            seq: 0,
            captured: None,
        })
    }

    /// The capture time of frame `seq` at `fps` frames per second (`None` for a non-positive rate).
    pub fn clip_time(seq: u64, fps: f64) -> Option<std::time::Duration> {
        (fps > 0.0 && fps.is_finite()).then(|| std::time::Duration::from_secs_f64(seq as f64 / fps))
    }
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Frame({}x{} {:?} #{}, pixels masked)",
            self.width, self.height, self.format, self.seq
        )
    }
}

/// An RGB frame with the matching near-infrared frame of a binocular module, when it has one.
#[derive(Clone, Debug)]
pub struct FramePair {
    /// The visible-light frame.
    pub rgb: Frame,
    /// The near-infrared frame captured at the same time.
    pub ir: Option<Frame>,
}

/// What a source delivers, as negotiated with the device.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceInfo {
    /// Human-readable description (device path, file name), never pixel data.
    pub description: String,
    /// Negotiated frame width.
    pub width: u32,
    /// Negotiated frame height.
    pub height: u32,
    /// Negotiated or nominal frames per second (0 when unknown).
    pub fps: f64,
    /// True for binocular RGB+IR sources.
    pub has_ir: bool,
}

/// Camera errors. `Disconnected` is a retry (replug, reconnect); the others are faults to report.
#[derive(Debug, thiserror::Error)]
pub enum CameraError {
    /// The device or file could not be opened.
    #[error(
        "cannot open camera {0}: check the device path (/dev/v4l/by-id/...) or file and its permissions"
    )]
    Open(String),
    /// The device stopped delivering frames (unplugged); the source may reconnect.
    #[error("camera {0} stopped delivering frames (unplugged?); reconnecting")]
    Disconnected(String),
    /// A frame had an unexpected size or layout.
    #[error("bad frame: {0}")]
    BadFrame(String),
    /// The backend failed.
    #[error("camera backend error: {0}")]
    Backend(String),
}

/// A source of frames: a UVC camera, a video file, an image sequence or a simulator.
pub trait FrameSource: Send {
    /// What this source delivers.
    fn info(&self) -> SourceInfo;
    /// The next frame pair; `Ok(None)` at the end of a finite source (file, sequence).
    fn next_pair(&mut self) -> Result<Option<FramePair>, CameraError>;
    /// The next visible-light frame; `Ok(None)` at the end of a finite source.
    fn next_frame(&mut self) -> Result<Option<Frame>, CameraError> {
        Ok(self.next_pair()?.map(|p| p.rgb))
    }
}
