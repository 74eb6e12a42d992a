use jiuzhu_drivers_api::camera::{
    CameraError, Frame, FramePair, FrameSource, PixelFormat, SourceInfo,
};

/// A deterministic moving test pattern (a bright square drifting over a gradient), optionally with an IR
/// twin; for UI previews and for exercising consumers without a camera. It contains no face.
#[derive(Debug, Clone)]
pub struct SyntheticSource {
    width: u32,
    height: u32,
    frames: Option<u64>,
    with_ir: bool,
    seq: u64,
}

impl SyntheticSource {
    /// A pattern source; `frames = None` runs forever.
    pub fn new(width: u32, height: u32, frames: Option<u64>, with_ir: bool) -> Self {
        Self {
            width,
            height,
            frames,
            with_ir,
            seq: 0,
        }
    }

    fn render(&self, format: PixelFormat) -> Frame {
        let (w, h) = (self.width as usize, self.height as usize);
        let ch = format.channels();
        let side = w.min(h) / 4;
        let x0 = (self.seq as usize * 4) % (w - side).max(1);
        let y0 = (h - side) / 2;
        let mut data = vec![0u8; w * h * ch];
        for y in 0..h {
            for x in 0..w {
                let inside = (x0..x0 + side).contains(&x) && (y0..y0 + side).contains(&y);
                let v = if inside {
                    230
                } else {
                    ((x + y) * 160 / (w + h)) as u8
                };
                for c in 0..ch {
                    data[(y * w + x) * ch + c] = v.saturating_sub(c as u8 * 20);
                }
            }
        }
        let mut f = Frame::new(self.width, self.height, format, data)
            .expect("size computed from dimensions");
        f.seq = self.seq;
        f.captured = Frame::clip_time(self.seq, 30.0);
        f
    }
}

impl FrameSource for SyntheticSource {
    fn info(&self) -> SourceInfo {
        SourceInfo {
            description: "synthetic pattern".into(),
            width: self.width,
            height: self.height,
            fps: 30.0,
            has_ir: self.with_ir,
        }
    }

    fn next_pair(&mut self) -> Result<Option<FramePair>, CameraError> {
        if self.frames.is_some_and(|n| self.seq >= n) {
            return Ok(None);
        }
        let rgb = self.render(PixelFormat::Bgr8);
        let ir = self.with_ir.then(|| self.render(PixelFormat::Gray8));
        self.seq += 1;
        Ok(Some(FramePair { rgb, ir }))
    }
}

/// Replays frames held in memory (generated test clips, simulators).
#[derive(Debug, Clone)]
pub struct FrameListSource {
    frames: std::vec::IntoIter<FramePair>,
    info: SourceInfo,
}

impl FrameListSource {
    /// A source over `frames`, described by `description`, nominally at `fps`.
    pub fn new(description: &str, frames: Vec<Frame>, fps: f64) -> Self {
        let (width, height) = frames
            .first()
            .map(|f| (f.width, f.height))
            .unwrap_or((0, 0));
        let pairs: Vec<FramePair> = frames
            .into_iter()
            .enumerate()
            .map(|(i, mut rgb)| {
                rgb.seq = i as u64;
                rgb.captured = Frame::clip_time(i as u64, fps);
                FramePair { rgb, ir: None }
            })
            .collect();
        Self {
            frames: pairs.into_iter(),
            info: SourceInfo {
                description: description.into(),
                width,
                height,
                fps,
                has_ir: false,
            },
        }
    }
}

impl FrameSource for FrameListSource {
    fn info(&self) -> SourceInfo {
        self.info.clone()
    }

    fn next_pair(&mut self) -> Result<Option<FramePair>, CameraError> {
        Ok(self.frames.next())
    }
}
