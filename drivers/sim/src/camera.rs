//! Simulated camera: serves a generated face clip (a genuine session, or a named presentation attack)
//! as a [`FrameSource`], so the kiosk runs the face flow with no camera. Clips come from
//! `jiuzhu_vision::synth` (registry photos of `make models`, rendered from the face mesh); nothing is
//! read from disk but the models and photos. Scriptable like the other simulators: loop, real-time pacing,
//! and an unplug after N frames.
//!
//! The kiosk's face screen lights the scene (the screen-light check, `jiuzhu_vision::flash`): the
//! kiosk tells a [`ScreenLight`] which colour it shows, and a camera made [`SimCamera::lit_by`] it
//! answers in each frame as the clip's surface would — a live head by the Lambert cosine of its own
//! normals and its skin colour, a print evenly, a screen not at all (it emits its picture).

use std::sync::{Arc, Mutex};

use jiuzhu_camera::Pacer;
use jiuzhu_drivers_api::camera::{CameraError, Frame, FramePair, FrameSource, SourceInfo};
use jiuzhu_vision::ModelPaths;
use jiuzhu_vision::eval::flash::SCREEN_STRENGTH;
use jiuzhu_vision::liveness::Challenge;
use jiuzhu_vision::synth::{Clip, ClipKind, ClipSpec, Generator};
use opencv::prelude::*;

/// The colour the kiosk's face screen shows now (R, G, B in 0..1; None = no colour flash), shared
/// between the kiosk, which sets it, and a simulated camera, which lights its frames with it. Clones
/// share one value.
#[derive(Clone, Debug, Default)]
pub struct ScreenLight(Arc<Mutex<Option<[f32; 3]>>>);

impl ScreenLight {
    /// The screen shows `colour` from now on.
    pub fn show(&self, colour: [f32; 3]) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(colour);
    }

    /// The screen stops flashing.
    pub fn clear(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// What the screen shows now.
    pub fn current(&self) -> Option<[f32; 3]> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

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
    /// A binocular camera: each pair carries the scene in near infrared too (the clip's
    /// `nir` frames, [`jiuzhu_vision::nir::render`]).
    pub ir: bool,
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
            ir: false,
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
pub struct SimCamera {
    frames: Vec<Frame>,
    /// Per frame, the near-infrared frame (empty unless [`SimCameraConfig::ir`]).
    nir: Vec<Frame>,
    /// Per frame, the scene's reflectance for the kiosk's light (half size, [`Clip::light`]).
    reflect: Vec<opencv::core::Mat>,
    light: Option<ScreenLight>,
    info: SourceInfo,
    cfg: SimCameraConfig,
    pos: usize,
    seq: u64,
    pacer: Option<Pacer>,
}

impl std::fmt::Debug for SimCamera {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimCamera")
            .field("frames", &self.frames.len())
            .field("lit", &self.light.is_some())
            .field("cfg", &self.cfg)
            .field("pos", &self.pos)
            .field("seq", &self.seq)
            .finish()
    }
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
        let clip = if cfg.ir {
            generator.render_binocular(subject, None, &spec)
        } else {
            generator.render_with_light(subject, None, &spec)
        }
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
            has_ir: cfg.ir && clip.nir.len() == clip.frames.len(),
        };
        Self {
            pacer: cfg.realtime.then(|| Pacer::new(clip.fps)),
            nir: if info.has_ir { clip.nir } else { Vec::new() },
            frames: clip.frames,
            reflect: clip.light,
            light: None,
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

    /// The scene is lit also by the kiosk's face screen, whose colour `light` tells (a clip rendered
    /// without [`Clip::light`] does not answer it).
    pub fn lit_by(mut self, light: ScreenLight) -> Self {
        self.light = Some(light);
        self
    }

    /// Adds the kiosk screen's `colour` as reflected by frame `pos`'s scene to `rgb` (BGR): each
    /// channel × (1 + strength × colour × reflectance), the strength of `eval::flash` (a bright
    /// kiosk screen at arm's length relative to the room light).
    fn light_up(&self, rgb: &mut Frame, pos: usize, colour: [f32; 3]) -> Result<(), CameraError> {
        let Some(map) = self.reflect.get(pos) else {
            return Ok(());
        };
        if !matches!(rgb.format, jiuzhu_drivers_api::camera::PixelFormat::Bgr8) {
            return Ok(());
        }
        let k = map
            .data_bytes()
            .map_err(|e| CameraError::Backend(e.to_string()))?;
        let (mw, mh) = (map.cols().max(1) as usize, map.rows().max(1) as usize);
        let (w, h) = (rgb.width as usize, rgb.height as usize);
        for y in 0..h {
            let my = (y * mh / h.max(1)).min(mh - 1);
            for x in 0..w {
                let r = f32::from(k[my * mw + (x * mw / w.max(1)).min(mw - 1)]) / 255.0;
                if r <= 0.0 {
                    continue;
                }
                let i = 3 * (y * w + x);
                let Some(px) = rgb.data.get_mut(i..i + 3) else {
                    return Ok(());
                };
                for (c, v) in px.iter_mut().enumerate() {
                    let lit = f32::from(*v) * (1.0 + SCREEN_STRENGTH * colour[2 - c] * r);
                    *v = lit.clamp(0.0, 255.0) as u8;
                }
            }
        }
        Ok(())
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
        let ir = self.nir.get(self.pos).cloned().map(|mut f| {
            f.seq = self.seq;
            f.captured = jiuzhu_drivers_api::camera::Frame::clip_time(self.seq, self.info.fps);
            f
        });
        if let Some(colour) = self.light.as_ref().and_then(ScreenLight::current) {
            self.light_up(&mut rgb, self.pos, colour)?;
        }
        rgb.seq = self.seq;
        // The clip's own time: the simulated person acts on it, whatever the reader's pace.
        rgb.captured = jiuzhu_drivers_api::camera::Frame::clip_time(self.seq, self.info.fps);
        self.pos += 1;
        self.seq += 1;
        Ok(Some(FramePair { rgb, ir }))
    }
}
