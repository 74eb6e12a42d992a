//! The logic of `jiuzhu-kiosk vision verify | enroll | generate`, as library functions returning
//! serialisable reports with a human `Display`; the binary only parses arguments and prints.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use jiuzhu_camera::{
    CaptureConfig, FileSource, FrameSource, IrLayout, OpenCvSource, PlaybackConfig, Selector,
};
use opencv::core::{Mat, Size, Vector};
use opencv::prelude::*;
use opencv::{imgcodecs, videoio};

use crate::embed::{Embedder, Embedding, FaceModel};
use crate::image::{frame_to_bgr, load_bgr};
use crate::liveness::{Challenge, random_challenges};
use crate::models::{ModelPaths, Result, VisionError, path_str};
use crate::pipeline::FacePipeline;
use crate::synth::{ClipKind, ClipSpec, Generator};
use crate::verifier::{Verification, Verifier, VerifierConfig};

/// Where `verify` reads frames from.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// A recorded video file or an image-sequence pattern (`dir/frame_%04d.png`).
    Video(PathBuf),
    /// A live camera: a device path (`/dev/v4l/by-id/...`) or `index:N`.
    Camera(String),
}

/// Options of `vision verify`.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// Frames from a recording or a camera.
    pub input: Input,
    /// A reference photo, or a template written by [`enroll`] (`.json`).
    pub reference: Option<PathBuf>,
    /// The challenges to check; `None` draws a random sequence (a recording needs the sequence it was
    /// made for).
    pub challenges: Option<Vec<Challenge>>,
    /// Longest session (a camera is read until the verdict or this limit).
    pub max_duration: Duration,
    /// Frame rate of a recording when it does not say (image sequences; default 10).
    pub fps: Option<f64>,
    /// Near-infrared stream of a binocular camera (side by side, or a second device); its frames are
    /// checked for a face where the visible face is.
    pub ir: IrLayout,
    /// Model cache.
    pub models: ModelPaths,
    /// The face model to embed a reference photo with (None = FaceNet); a template carries its own
    /// model, and asking for another one is an error.
    pub model: Option<FaceModel>,
}

impl VerifyOptions {
    /// Defaults: no reference, random challenges, 30 s, the default model cache, FaceNet for photos.
    pub fn new(input: Input) -> Self {
        Self {
            input,
            reference: None,
            challenges: None,
            max_duration: Duration::from_secs(30),
            fps: None,
            ir: IrLayout::None,
            models: ModelPaths::locate(),
            model: None,
        }
    }
}

/// What `vision verify` found. Holds no pixels and no embedding.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Report {
    /// Where the frames came from.
    pub source: String,
    /// Challenges asked, in order.
    pub challenges: Vec<Challenge>,
    /// The verdict, reasons, per-challenge scores and timings, similarity and per-frame cost.
    pub verification: Verification,
}

impl Report {
    /// True when liveness, identity continuity and (with a reference) the match all passed.
    pub fn passed(&self) -> bool {
        self.verification.verdict.passed
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = &self.verification;
        writeln!(
            f,
            "verdict: {}",
            if v.verdict.passed {
                "PASSED"
            } else {
                "REJECTED"
            }
        )?;
        writeln!(f, "source: {}", self.source)?;
        let asked: Vec<&str> = self.challenges.iter().map(|c| c.name()).collect();
        writeln!(f, "challenges: {}", asked.join(", "))?;
        for (i, (c, d)) in v.verdict.timings.iter().enumerate() {
            write!(f, "  {:<11} done after {:.1} s", c.name(), d.as_secs_f64())?;
            match v.verdict.reactions.get(i) {
                Some((_, r)) => writeln!(f, " (began after {:.1} s)", r.as_secs_f64())?,
                None => writeln!(f)?,
            }
        }
        if let (Some(s), Some(t)) = (v.similarity, v.threshold) {
            writeln!(
                f,
                "similarity to reference: {s:.3} ({}, threshold {t})",
                v.model.unwrap_or_default().name()
            )?;
        }
        if let (Some(s), Some(t), Some(true)) = (v.similarity, v.confirm_threshold, v.matched) {
            if s >= t {
                writeln!(f, "match confirmed by the face alone (≥ {t})")?;
            } else {
                writeln!(
                    f,
                    "match not confirmed by the face alone ({s:.3} < {t}): the kiosk asks for a fingerprint or staff"
                )?;
            }
        }
        if let Some(m) = v.identity_min {
            writeln!(f, "identity continuity: lowest cosine {m:.3}")?;
        }
        if v.hand_check {
            writeln!(
                f,
                "hand over the face: {} identity samples covered (highest palm score on the face {})",
                v.covered_samples,
                v.palm_max.map_or("—".into(), |p| format!("{p:.2}"))
            )?;
        }
        if let Some(r) = v.ir_face_ratio {
            writeln!(
                f,
                "near-infrared face present: {:.0} % of frames",
                100.0 * r
            )?;
        }
        if let Some(m) = v.moire {
            writeln!(f, "screen pattern (moiré) peakiness: {m:.2}")?;
        }
        if let Some(p) = v.pad_cnn {
            writeln!(
                f,
                "PAD networks (reported only): antispoof {:.2}, liveness {:.2}",
                p.antispoof, p.liveness
            )?;
        }
        for r in &v.verdict.reasons {
            writeln!(f, "reason: {r}")?;
        }
        write!(
            f,
            "frames: {}, {:.1} ms per frame (slowest {:.1} ms)",
            v.frames, v.mean_frame_ms, v.max_frame_ms
        )
    }
}

/// Loads a reference: a `.json` template (of the model it names; `model`, when given, must be that
/// one), or a photo with one face, embedded with `model` (None = FaceNet).
pub fn load_reference(
    models: &ModelPaths,
    path: &Path,
    model: Option<FaceModel>,
) -> Result<Embedding> {
    if path.extension().is_some_and(|e| e == "json") {
        let text = std::fs::read_to_string(path)
            .map_err(|e| VisionError::Template(format!("{}: {e}", path.display())))?;
        let t = Embedding::from_template(&text)?;
        return match model {
            Some(m) if m != t.model() => Err(VisionError::ModelMismatch { a: t.model(), b: m }),
            _ => Ok(t),
        };
    }
    embed_photo(models, path, model.unwrap_or_default()).map(|(e, _)| e)
}

/// Embeds the first face the detector finds in the photo at `path` with `model` (FaceNet on the
/// detector box; ArcFace aligned on the mesh of that face, run on a crop of 1.5× the box as in the
/// verifier); returns it with the number of faces found.
pub fn embed_photo(
    models: &ModelPaths,
    path: &Path,
    model: FaceModel,
) -> Result<(Embedding, usize)> {
    let mut embedder = Embedder::load(models, model)?;
    let img = load_bgr(path)?;
    let mut pipeline = FacePipeline::load(models)?;
    embed_image(&mut pipeline, &mut embedder, &img, &path_str(path))
}

/// [`embed_photo`] on a loaded image with loaded networks (`name` names it in errors).
pub fn embed_image(
    pipeline: &mut FacePipeline,
    embedder: &mut Embedder,
    img: &Mat,
    name: &str,
) -> Result<(Embedding, usize)> {
    pipeline.detect_every_frame = true;
    let dets = pipeline.detect(img)?;
    let det = dets
        .first()
        .ok_or_else(|| VisionError::NoFace(name.into()))?;
    let embedding = match embedder {
        Embedder::FaceNet(net) => net.embed(img, det)?,
        Embedder::ArcFace(net) => {
            // the mesh of the same (first) detection, on a crop of 1.5× its box
            let obs = pipeline.analyse(img)?;
            let lm = obs
                .landmarks
                .as_ref()
                .ok_or_else(|| VisionError::NoFace(name.into()))?;
            net.embed(img, lm)?
        }
    };
    Ok((embedding, dets.len()))
}

/// Runs a liveness session (and the match, with a reference) over a video or a camera.
pub fn verify(opts: &VerifyOptions) -> Result<Report> {
    let (mut source, live): (Box<dyn FrameSource>, bool) = match &opts.input {
        Input::Video(p) => (
            Box::new(
                FileSource::open(
                    Selector::parse(&p.to_string_lossy()),
                    PlaybackConfig {
                        fps: opts.fps,
                        ..PlaybackConfig::default()
                    },
                    opts.ir.clone(),
                )
                .map_err(camera_error)?,
            ),
            false,
        ),
        Input::Camera(dev) => (
            Box::new(
                OpenCvSource::open(
                    Selector::parse(dev),
                    CaptureConfig {
                        ir: opts.ir.clone(),
                        ..CaptureConfig::default()
                    },
                )
                .map_err(camera_error)?,
            ),
            true,
        ),
    };
    let challenges = opts
        .challenges
        .clone()
        .unwrap_or_else(|| random_challenges(&mut rand::thread_rng()));
    let reference = opts
        .reference
        .as_deref()
        .map(|p| load_reference(&opts.models, p, opts.model))
        .transpose()?;
    verify_source(
        source.as_mut(),
        live,
        challenges,
        reference,
        opts.max_duration,
        &opts.models,
    )
}

/// [`verify`] over an open source: recorded frames are timed by their index and the source's frame
/// rate, live ones by the wall clock; near-infrared frames, when the source has them, are checked too.
/// Stops at the verdict, the end of the source or `max_duration`.
pub fn verify_source(
    source: &mut dyn FrameSource,
    live: bool,
    challenges: Vec<Challenge>,
    reference: Option<Embedding>,
    max_duration: Duration,
    models: &ModelPaths,
) -> Result<Report> {
    let info = source.info();
    let fps = if info.fps > 0.0 {
        info.fps
    } else {
        jiuzhu_camera::DEFAULT_FPS
    };
    let mut verifier = Verifier::with_config(
        models,
        challenges.clone(),
        reference,
        VerifierConfig::default(),
    )?;
    let started = Instant::now();
    let mut index = 0u64;
    while let Some(pair) = source.next_pair().map_err(camera_error)? {
        let t = if live {
            started.elapsed()
        } else {
            Duration::from_secs_f64(index as f64 / fps)
        };
        if t > max_duration {
            break;
        }
        index += 1;
        let progress = verifier.push_pair(&pair, t)?;
        if progress.current_challenge.is_none() {
            break;
        }
    }
    Ok(Report {
        source: info.description,
        challenges,
        verification: verifier.finish(),
    })
}

fn camera_error(e: jiuzhu_camera::CameraError) -> VisionError {
    VisionError::Image("camera".into(), e.to_string())
}

/// What `vision enroll` wrote.
#[derive(Clone, Debug, serde::Serialize)]
pub struct EnrollReport {
    /// The photo.
    pub image: PathBuf,
    /// The template file written.
    pub template: PathBuf,
    /// Faces found in the photo (the largest-scoring one is enrolled).
    pub faces: usize,
    /// The model of the template.
    pub model: FaceModel,
}

impl fmt::Display for EnrollReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "enrolled {} → {} ({} face{} found, model {})",
            self.image.display(),
            self.template.display(),
            self.faces,
            if self.faces == 1 { "" } else { "s" },
            self.model.id()
        )
    }
}

/// Embeds the face in `image` with `model` and writes a versioned template naming the model to `out`
/// (mode 0600: biometric data).
pub fn enroll(
    models: &ModelPaths,
    image: &Path,
    out: &Path,
    model: FaceModel,
) -> Result<EnrollReport> {
    let (embedding, faces) = embed_photo(models, image, model)?;
    write_private(out, embedding.to_template().as_bytes())
        .map_err(|e| VisionError::Template(format!("cannot write {}: {e}", out.display())))?;
    Ok(EnrollReport {
        image: image.into(),
        template: out.into(),
        faces,
        model,
    })
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

/// Options of `vision generate`.
#[derive(Clone, Debug)]
pub struct GenerateOptions {
    /// Genuine or an attack.
    pub kind: ClipKind,
    /// Challenges the clip performs (or, for attacks, is made for).
    pub challenges: Vec<Challenge>,
    /// Registry photo of the subject (`obama.jpg`, `obama2.jpg`, `obama3.jpg`, `biden.jpg`).
    pub subject: String,
    /// Seed of timing, amplitudes and noise.
    pub seed: u64,
    /// Frames per second.
    pub fps: f64,
    /// A `.avi` file (MJPG) or a directory (PNG frames `frame_0000.png` ...).
    pub out: PathBuf,
    /// Model cache.
    pub models: ModelPaths,
}

/// What `vision generate` wrote.
#[derive(Clone, Debug, serde::Serialize)]
pub struct GenerateReport {
    /// The video file or the image-sequence pattern, ready for `vision verify --video`.
    pub video: PathBuf,
    /// Frames written.
    pub frames: usize,
    /// Frames per second.
    pub fps: f64,
    /// What the clip shows.
    pub kind: ClipKind,
    /// Challenges of the clip.
    pub challenges: Vec<Challenge>,
}

impl fmt::Display for GenerateReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.challenges.iter().map(|c| c.name()).collect();
        write!(
            f,
            "{} clip ({}) of {} frames at {} fps → {}",
            self.kind.name(),
            names.join(","),
            self.frames,
            self.fps,
            self.video.display()
        )
    }
}

/// Renders a synthetic clip ([`crate::synth`]) and writes it as a video file or PNG frames.
pub fn generate(opts: &GenerateOptions) -> Result<GenerateReport> {
    let generator = Generator::load(&opts.models, false)?;
    let subject = generator
        .subjects()
        .iter()
        .position(|s| s.photo == opts.subject)
        .ok_or_else(|| {
            VisionError::Image(
                opts.subject.clone(),
                "not a registry subject: use obama.jpg, obama2.jpg, obama3.jpg or biden.jpg".into(),
            )
        })?;
    let clip = generator.render(
        subject,
        None,
        &ClipSpec {
            kind: opts.kind,
            challenges: opts.challenges.clone(),
            seed: opts.seed,
            fps: opts.fps,
            mirror: false,
        },
    )?;
    let video = if opts.out.extension().is_some_and(|e| e == "avi") {
        let size = Size::new(crate::synth::WIDTH, crate::synth::HEIGHT);
        let fourcc = videoio::VideoWriter::fourcc('M', 'J', 'P', 'G')?;
        let mut w = videoio::VideoWriter::new(&*path_str(&opts.out), fourcc, opts.fps, size, true)?;
        if !w.is_opened()? {
            return Err(VisionError::Image(
                path_str(&opts.out),
                "cannot open the video for writing".into(),
            ));
        }
        for f in &clip.frames {
            w.write(&frame_to_bgr(f)?)?;
        }
        w.release()?;
        opts.out.clone()
    } else {
        std::fs::create_dir_all(&opts.out)
            .map_err(|e| VisionError::Image(path_str(&opts.out), e.to_string()))?;
        for (i, f) in clip.frames.iter().enumerate() {
            let p = opts.out.join(format!("frame_{i:04}.png"));
            if !imgcodecs::imwrite(&*path_str(&p), &frame_to_bgr(f)?, &Vector::new())? {
                return Err(VisionError::Image(path_str(&p), "cannot write".into()));
            }
        }
        opts.out.join("frame_%04d.png")
    };
    Ok(GenerateReport {
        video,
        frames: clip.frames.len(),
        fps: opts.fps,
        kind: opts.kind,
        challenges: clip.challenges,
    })
}
