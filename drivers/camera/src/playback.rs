//! Playback of recordings as a camera: a video file or an image sequence read through OpenCV, looped
//! and paced to its frame rate on request, so that the kiosk runs the face flow with no camera.

use std::thread;
use std::time::{Duration, Instant};

use jiuzhu_drivers_api::camera::{CameraError, FramePair, FrameSource, SourceInfo};

use crate::opencv_source::{CaptureConfig, IrLayout, OpenCvSource, Selector};

/// Frame rate assumed when a recording does not say (image sequences).
pub const DEFAULT_FPS: f64 = 10.0;

/// How a recording is played.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlaybackConfig {
    /// Start again at the end instead of ending.
    pub looped: bool,
    /// Deliver frames no faster than the frame rate (a live camera's pace); off = as fast as read.
    pub realtime: bool,
    /// Frame rate to use instead of the recording's.
    pub fps: Option<f64>,
}

/// Sleeps so that frame `n` is delivered no earlier than `n / fps` after the first.
#[derive(Clone, Debug)]
pub struct Pacer {
    fps: f64,
    start: Option<Instant>,
    delivered: u64,
}

impl Pacer {
    /// A pacer at `fps` frames per second (non-positive values mean [`DEFAULT_FPS`]).
    pub fn new(fps: f64) -> Self {
        Self {
            fps: if fps > 0.0 { fps } else { DEFAULT_FPS },
            start: None,
            delivered: 0,
        }
    }

    /// Waits for the next frame's slot.
    pub fn wait(&mut self) {
        let start = *self.start.get_or_insert_with(Instant::now);
        let due = start + Duration::from_secs_f64(self.delivered as f64 / self.fps);
        let now = Instant::now();
        if due > now {
            thread::sleep(due - now);
        }
        self.delivered += 1;
    }
}

/// A video file or image sequence played as a [`FrameSource`]; `seq` keeps counting across loops.
pub struct FileSource {
    selector: Selector,
    config: PlaybackConfig,
    capture: CaptureConfig,
    inner: OpenCvSource,
    info: SourceInfo,
    pacer: Option<Pacer>,
    seq: u64,
}

impl FileSource {
    /// Opens a [`Selector::File`] or [`Selector::Sequence`] (with `ir`, a binocular recording: side by
    /// side, or a second recording of the same length); live devices are refused.
    pub fn open(
        selector: Selector,
        config: PlaybackConfig,
        ir: IrLayout,
    ) -> Result<Self, CameraError> {
        if matches!(selector, Selector::Device(_) | Selector::Index(_)) {
            return Err(CameraError::Open(format!(
                "{selector:?} is a live camera, not a recording (use OpenCvSource)"
            )));
        }
        let capture = CaptureConfig {
            ir,
            ..CaptureConfig::default()
        };
        let inner = OpenCvSource::open(selector.clone(), capture.clone())?;
        let mut info = inner.info();
        info.fps = config
            .fps
            .or((info.fps > 0.0).then_some(info.fps))
            .unwrap_or(DEFAULT_FPS);
        let pacer = config.realtime.then(|| Pacer::new(info.fps));
        Ok(Self {
            selector,
            config,
            capture,
            inner,
            info,
            pacer,
            seq: 0,
        })
    }
}

impl FrameSource for FileSource {
    fn info(&self) -> SourceInfo {
        self.info.clone()
    }

    fn next_pair(&mut self) -> Result<Option<FramePair>, CameraError> {
        let mut pair = self.inner.next_pair()?;
        if pair.is_none() && self.config.looped {
            self.inner = OpenCvSource::open(self.selector.clone(), self.capture.clone())?;
            pair = self.inner.next_pair()?;
        }
        let Some(mut pair) = pair else {
            return Ok(None);
        };
        if let Some(p) = self.pacer.as_mut() {
            p.wait();
        }
        // The recording's own time: looping keeps counting, pacing or not.
        let at = jiuzhu_drivers_api::camera::Frame::clip_time(self.seq, self.info.fps);
        pair.rgb.seq = self.seq;
        pair.rgb.captured = at;
        if let Some(ir) = pair.ir.as_mut() {
            ir.seq = self.seq;
            ir.captured = at;
        }
        self.seq += 1;
        Ok(Some(pair))
    }
}
