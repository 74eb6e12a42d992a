//! Simulated camera: serves a generated face clip (a genuine session, or a named presentation attack)
//! as a [`FrameSource`], so the kiosk runs the face flow with no camera. Clips come from
//! `jiuzhu_vision::synth` (registry photos of `make models`, rendered from the face mesh); nothing is
//! read from disk but the models and photos. Scriptable like the other simulators: loop, real-time pacing,
//! and an unplug after N frames.

use jiuzhu_camera::Pacer;
use jiuzhu_drivers_api::camera::{CameraError, Frame, FramePair, FrameSource, SourceInfo};
use jiuzhu_vision::ModelPaths;
use jiuzhu_vision::liveness::Challenge;
use jiuzhu_vision::synth::{Clip, ClipKind, ClipSpec, Generator};

/// What the simulated camera shows.
#[derive(Clone, Debug, PartialEq)]
pub struct SimCameraConfig {
    /// Genuine or which attack.
    pub kind: ClipKind,
    /// The challenges the clip performs (or, for attacks, is made for).
    pub challenges: Vec<Challenge>,
    /// Registry photo of the subject.
    pub subject: String,
    /// Seed of timing, amplitudes and noise.
    pub seed: u64,
    /// Frames per second.
    pub fps: f64,
    /// Start the clip again at its end (a person who keeps standing there).
    pub looped: bool,
    /// Deliver frames at `fps` (off = as fast as they are read).
    pub realtime: bool,
    /// Report the camera unplugged after this many frames.
    pub unplug_after: Option<u64>,
}

impl Default for SimCameraConfig {
    fn default() -> Self {
        Self {
            kind: ClipKind::Genuine,
            challenges: vec![Challenge::Blink, Challenge::TurnLeft],
            subject: "obama2.jpg".into(),
            seed: 1,
            fps: 10.0,
            looped: false,
            realtime: false,
            unplug_after: None,
        }
    }
}

impl SimCameraConfig {
    /// Parses `KIND[:CHALLENGES[:SUBJECT[:SEED]]]`, e.g. `genuine:blink,turn_left:obama2.jpg:3` or
    /// `print` (kinds: `genuine`, `print`, `screen-photo`, `screen-replay`, `screen-all-actions`,
    /// `swap`, `two-faces`, `screen-puppet`).
    pub fn parse(spec: &str) -> Result<Self, CameraError> {
        let mut cfg = Self::default();
        let mut parts = spec.split(':');
        let kind = parts.next().unwrap_or_default();
        cfg.kind = ClipKind::parse(kind).ok_or_else(|| {
            CameraError::Open(format!(
                "sim camera: unknown clip kind {kind:?} (genuine, print, screen-photo, screen-replay, \
                 screen-all-actions, swap, two-faces, screen-puppet)"
            ))
        })?;
        if let Some(c) = parts.next().filter(|c| !c.is_empty()) {
            cfg.challenges = Challenge::parse_list(c)
                .map_err(|e| CameraError::Open(format!("sim camera: {e}")))?;
        }
        if let Some(s) = parts.next().filter(|s| !s.is_empty()) {
            cfg.subject = s.into();
        }
        if let Some(s) = parts.next() {
            cfg.seed = s
                .parse()
                .map_err(|_| CameraError::Open(format!("sim camera: bad seed {s:?}")))?;
        }
        Ok(cfg)
    }
}

/// The simulated camera.
#[derive(Debug)]
pub struct SimCamera {
    frames: Vec<Frame>,
    info: SourceInfo,
    cfg: SimCameraConfig,
    pos: usize,
    seq: u64,
    pacer: Option<Pacer>,
}

impl SimCamera {
    /// Renders the clip described by `cfg` (models and photos from `make models`).
    pub fn generate(models: &ModelPaths, cfg: SimCameraConfig) -> Result<Self, CameraError> {
        let generator = Generator::load(models, false).map_err(vision_error)?;
        let subject = generator
            .subjects()
            .iter()
            .position(|s| s.photo == cfg.subject)
            .ok_or_else(|| {
                CameraError::Open(format!(
                    "sim camera: {} is not a registry photo (obama.jpg, obama2.jpg, obama3.jpg, biden.jpg)",
                    cfg.subject
                ))
            })?;
        let spec = ClipSpec {
            kind: cfg.kind,
            challenges: cfg.challenges.clone(),
            seed: cfg.seed,
            fps: cfg.fps,
            mirror: false,
        };
        let clip = generator
            .render(subject, None, &spec)
            .map_err(vision_error)?;
        Ok(Self::from_clip(clip, cfg))
    }

    /// Serves an already rendered clip.
    pub fn from_clip(clip: Clip, cfg: SimCameraConfig) -> Self {
        let (width, height) = clip
            .frames
            .first()
            .map(|f| (f.width, f.height))
            .unwrap_or((0, 0));
        let info = SourceInfo {
            description: format!(
                "sim camera: {} clip of {} ({})",
                clip.kind.name(),
                cfg.subject,
                clip.challenges
                    .iter()
                    .map(|c| c.name())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            width,
            height,
            fps: clip.fps,
            has_ir: false,
        };
        Self {
            pacer: cfg.realtime.then(|| Pacer::new(clip.fps)),
            frames: clip.frames,
            info,
            cfg,
            pos: 0,
            seq: 0,
        }
    }

    /// Frames in one pass of the clip.
    pub fn clip_len(&self) -> usize {
        self.frames.len()
    }
}

fn vision_error(e: jiuzhu_vision::VisionError) -> CameraError {
    match e {
        jiuzhu_vision::VisionError::MissingModel(_) => CameraError::Open(e.to_string()),
        other => CameraError::Backend(other.to_string()),
    }
}

impl FrameSource for SimCamera {
    fn info(&self) -> SourceInfo {
        self.info.clone()
    }

    fn next_pair(&mut self) -> Result<Option<FramePair>, CameraError> {
        if self.cfg.unplug_after.is_some_and(|n| self.seq >= n) {
            return Err(CameraError::Disconnected(self.info.description.clone()));
        }
        if self.pos >= self.frames.len() {
            if !self.cfg.looped || self.frames.is_empty() {
                return Ok(None);
            }
            self.pos = 0;
        }
        if let Some(p) = self.pacer.as_mut() {
            p.wait();
        }
        let mut rgb = self.frames[self.pos].clone();
        rgb.seq = self.seq;
        // The clip's own time: the simulated person acts on it, whatever the reader's pace.
        rgb.captured = jiuzhu_drivers_api::camera::Frame::clip_time(self.seq, self.info.fps);
        self.pos += 1;
        self.seq += 1;
        Ok(Some(FramePair { rgb, ir: None }))
    }
}
