use std::path::PathBuf;
use std::thread;
use std::time::Duration;

use jiuzhu_drivers_api::camera::{CameraError, Frame, FramePair, FrameSource, SourceInfo};
use opencv::core::{Mat, MatTraitConst, Rect};
use opencv::prelude::*;
use opencv::videoio::{self, VideoCapture};

use crate::convert::mat_to_frame;

/// Which camera or recording to open.
#[derive(Clone, Debug, PartialEq)]
pub enum Selector {
    /// A V4L2 device node, preferably `/dev/v4l/by-id/...-video-index0`.
    Device(PathBuf),
    /// A V4L2 device index (`/dev/videoN`); unstable across replugs, for development only.
    Index(i32),
    /// A video file.
    File(PathBuf),
    /// An image sequence pattern such as `frames/img_%03d.png`.
    Sequence(String),
}

impl Selector {
    /// Parses `index:N`, `seq:PATTERN`, a path under `/dev/` (device) or any other path (file).
    pub fn parse(s: &str) -> Self {
        if let Some(n) = s.strip_prefix("index:").and_then(|n| n.parse().ok()) {
            Selector::Index(n)
        } else if let Some(p) = s.strip_prefix("seq:") {
            Selector::Sequence(p.to_string())
        } else if s.starts_with("/dev/") {
            Selector::Device(s.into())
        } else if s.contains('%') {
            Selector::Sequence(s.to_string())
        } else {
            Selector::File(s.into())
        }
    }

    fn is_live(&self) -> bool {
        matches!(self, Selector::Device(_) | Selector::Index(_))
    }

    fn describe(&self) -> String {
        match self {
            Selector::Device(p) | Selector::File(p) => p.display().to_string(),
            Selector::Index(i) => format!("/dev/video{i}"),
            Selector::Sequence(p) => p.clone(),
        }
    }
}

/// Where the near-infrared image of a binocular module comes from.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum IrLayout {
    /// RGB only.
    #[default]
    None,
    /// One stream with RGB on the left half and IR on the right half.
    SideBySide,
    /// A second UVC device.
    SecondDevice(Selector),
}

/// Requested capture format; live devices negotiate, files ignore it.
#[derive(Clone, Debug, PartialEq)]
pub struct CaptureConfig {
    /// FOURCC to request, `MJPG` by default (two YUYV streams overflow USB 2).
    pub fourcc: Option<[char; 4]>,
    /// Requested width.
    pub width: u32,
    /// Requested height.
    pub height: u32,
    /// Requested frames per second.
    pub fps: f64,
    /// IR source of binocular modules.
    pub ir: IrLayout,
    /// Reopen attempts after a live device stops delivering frames.
    pub reconnect_attempts: u32,
    /// Pause between reopen attempts.
    pub reconnect_delay: Duration,
}

impl Default for CaptureConfig {
    fn default() -> Self {
        Self {
            fourcc: Some(['M', 'J', 'P', 'G']),
            width: 640,
            height: 480,
            fps: 30.0,
            ir: IrLayout::None,
            reconnect_attempts: 5,
            reconnect_delay: Duration::from_millis(400),
        }
    }
}

/// A camera or recording read through OpenCV `VideoCapture`.
pub struct OpenCvSource {
    selector: Selector,
    config: CaptureConfig,
    cap: VideoCapture,
    ir_cap: Option<VideoCapture>,
    info: SourceInfo,
    seq: u64,
    /// When the device was opened (a live camera's frames are timed from it).
    opened: std::time::Instant,
}

fn backend(e: opencv::Error) -> CameraError {
    CameraError::Backend(e.to_string())
}

fn open_capture(sel: &Selector, cfg: &CaptureConfig) -> Result<VideoCapture, CameraError> {
    let open_err = || CameraError::Open(sel.describe());
    let mut cap = match sel {
        Selector::Device(p) => VideoCapture::from_file(&*p.to_string_lossy(), videoio::CAP_V4L2)
            .map_err(|_| open_err())?,
        Selector::Index(i) => VideoCapture::new(*i, videoio::CAP_V4L2).map_err(|_| open_err())?,
        Selector::File(p) => {
            if !p.is_file() {
                return Err(open_err());
            }
            VideoCapture::from_file(&*p.to_string_lossy(), videoio::CAP_ANY)
                .map_err(|_| open_err())?
        }
        Selector::Sequence(pat) => {
            VideoCapture::from_file(pat, videoio::CAP_IMAGES).map_err(|_| open_err())?
        }
    };
    if !cap.is_opened().map_err(backend)? {
        return Err(open_err());
    }
    if sel.is_live() {
        if let Some([a, b, c, d]) = cfg.fourcc {
            let code = videoio::VideoWriter::fourcc(a, b, c, d).map_err(backend)?;
            cap.set(videoio::CAP_PROP_FOURCC, code as f64)
                .map_err(backend)?;
        }
        let width = if cfg.ir == IrLayout::SideBySide {
            cfg.width * 2
        } else {
            cfg.width
        };
        cap.set(videoio::CAP_PROP_FRAME_WIDTH, width as f64)
            .map_err(backend)?;
        cap.set(videoio::CAP_PROP_FRAME_HEIGHT, cfg.height as f64)
            .map_err(backend)?;
        cap.set(videoio::CAP_PROP_FPS, cfg.fps).map_err(backend)?;
    }
    Ok(cap)
}

impl OpenCvSource {
    /// Opens `selector` (and the IR device, if configured) and negotiates the format.
    pub fn open(selector: Selector, config: CaptureConfig) -> Result<Self, CameraError> {
        let cap = open_capture(&selector, &config)?;
        let ir_cap = match &config.ir {
            IrLayout::SecondDevice(s) => Some(open_capture(s, &config)?),
            _ => None,
        };
        let get = |p| cap.get(p).unwrap_or(0.0);
        let (mut width, height) = (
            get(videoio::CAP_PROP_FRAME_WIDTH) as u32,
            get(videoio::CAP_PROP_FRAME_HEIGHT) as u32,
        );
        if config.ir == IrLayout::SideBySide {
            width /= 2;
        }
        let info = SourceInfo {
            description: selector.describe(),
            width,
            height,
            fps: get(videoio::CAP_PROP_FPS),
            has_ir: config.ir != IrLayout::None,
        };
        Ok(Self {
            selector,
            config,
            cap,
            ir_cap,
            info,
            seq: 0,
            opened: std::time::Instant::now(),
        })
    }

    fn read_raw(cap: &mut VideoCapture) -> Result<Option<Mat>, CameraError> {
        let mut m = Mat::default();
        let ok = cap.read(&mut m).map_err(backend)?;
        Ok((ok && !m.empty()).then_some(m))
    }

    fn reconnect(&mut self) -> Result<(), CameraError> {
        for _ in 0..self.config.reconnect_attempts {
            thread::sleep(self.config.reconnect_delay);
            if let Ok(cap) = open_capture(&self.selector, &self.config) {
                self.cap = cap;
                if let IrLayout::SecondDevice(s) = &self.config.ir {
                    self.ir_cap = Some(open_capture(s, &self.config)?);
                }
                return Ok(());
            }
        }
        Err(CameraError::Disconnected(self.selector.describe()))
    }
}

fn split_side_by_side(m: &Mat) -> Result<(Mat, Mat), CameraError> {
    let half = m.cols() / 2;
    if half == 0 {
        return Err(CameraError::BadFrame(
            "side-by-side frame narrower than 2 pixels".into(),
        ));
    }
    let left = Mat::roi(m, Rect::new(0, 0, half, m.rows()))
        .map_err(backend)?
        .try_clone()
        .map_err(backend)?;
    let right = Mat::roi(m, Rect::new(half, 0, half, m.rows()))
        .map_err(backend)?
        .try_clone()
        .map_err(backend)?;
    Ok((left, right))
}

fn to_gray(m: &Mat) -> Result<Mat, CameraError> {
    if m.channels() == 1 {
        return m.try_clone().map_err(backend);
    }
    let mut g = Mat::default();
    opencv::imgproc::cvt_color_def(m, &mut g, opencv::imgproc::COLOR_BGR2GRAY).map_err(backend)?;
    Ok(g)
}

impl FrameSource for OpenCvSource {
    fn info(&self) -> SourceInfo {
        self.info.clone()
    }

    fn next_pair(&mut self) -> Result<Option<FramePair>, CameraError> {
        let mat = match Self::read_raw(&mut self.cap)? {
            Some(m) => m,
            None if self.selector.is_live() => {
                self.reconnect()?;
                match Self::read_raw(&mut self.cap)? {
                    Some(m) => m,
                    None => return Err(CameraError::Disconnected(self.selector.describe())),
                }
            }
            None => return Ok(None),
        };
        let (rgb, ir) = match (&self.config.ir, self.ir_cap.as_mut()) {
            (IrLayout::SideBySide, _) => {
                let (l, r) = split_side_by_side(&mat)?;
                (l, Some(to_gray(&r)?))
            }
            (IrLayout::SecondDevice(_), Some(ir)) => {
                (mat, Self::read_raw(ir)?.map(|m| to_gray(&m)).transpose()?)
            }
            _ => (mat, None),
        };
        // A live camera hands over its newest frame now; a file is timed by its frame rate.
        let at = if self.selector.is_live() {
            Some(self.opened.elapsed())
        } else {
            Frame::clip_time(self.seq, self.info.fps)
        };
        let mut rgb: Frame = mat_to_frame(&rgb)?;
        rgb.seq = self.seq;
        rgb.captured = at;
        let ir = ir
            .map(|m| {
                mat_to_frame(&m).map(|mut f| {
                    f.seq = self.seq;
                    f.captured = at;
                    f
                })
            })
            .transpose()?;
        self.seq += 1;
        Ok(Some(FramePair { rgb, ir }))
    }
}
