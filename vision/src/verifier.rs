//! Frames in, verdict out: the face pipeline feeding a [`LivenessSession`], an identity-continuity check
//! (FaceNet embeddings of good frames every half second must all agree: a photo swapped mid-session is a
//! different person in the same place) and an optional 1:1 match of the most frontal good frame against a
//! reference embedding. With a binocular camera ([`Verifier::push_pair`]) the near-infrared frame must show
//! a face where the visible one is: a phone or monitor shows no image in near infrared. Frames stay in this
//! process; only numbers come out.

use std::time::{Duration, Instant};

use jiuzhu_drivers_api::camera::{Frame, FramePair};

use crate::embed::{Embedding, FaceNet, MATCH_THRESHOLD};
use crate::image::frame_to_bgr;
use crate::liveness::{Challenge, LivenessConfig, LivenessSession, Progress, Verdict};
use crate::models::{ModelPaths, Result};
use crate::pipeline::FacePipeline;

/// Settings of a [`Verifier`].
#[derive(Clone, Debug)]
pub struct VerifierConfig {
    /// Liveness thresholds.
    pub liveness: LivenessConfig,
    /// Check that the same person is in view throughout (loads FaceNet even without a reference).
    pub identity_check: bool,
    /// Time between identity samples.
    pub identity_every: Duration,
    /// Lowest cosine allowed between any two identity samples of one session.
    pub identity_min: f32,
    /// With near-infrared frames: the fewest of them (as a fraction of checked frames) that must show a
    /// face at the visible face's place.
    pub ir_face_min: f32,
    /// Checked near-infrared frames needed before the IR signal counts.
    pub ir_min_frames: usize,
}

impl Default for VerifierConfig {
    fn default() -> Self {
        Self {
            liveness: LivenessConfig::default(),
            identity_check: true,
            identity_every: Duration::from_millis(500),
            identity_min: 0.45,
            ir_face_min: 0.5,
            ir_min_frames: 5,
        }
    }
}

/// Liveness verdict plus the 1:1 similarity, when a reference was given.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Verification {
    /// The liveness verdict (its `passed` also requires identity continuity and the match).
    pub verdict: Verdict,
    /// Cosine similarity to the reference.
    pub similarity: Option<f32>,
    /// Lowest cosine between two identity samples of the session (None with fewer than two).
    pub identity_min: Option<f32>,
    /// Fraction of checked near-infrared frames that showed the face (None without IR frames).
    pub ir_face_ratio: Option<f32>,
    /// Frames analysed.
    pub frames: usize,
    /// Mean time spent per frame (pipeline, liveness and embeddings), in milliseconds.
    pub mean_frame_ms: f64,
    /// Slowest frame, in milliseconds.
    pub max_frame_ms: f64,
}

/// Runs the pipeline and a liveness session over pushed frames.
pub struct Verifier {
    pipeline: FacePipeline,
    facenet: Option<FaceNet>,
    reference: Option<Embedding>,
    session: LivenessSession,
    cfg: VerifierConfig,
    best: Option<(f32, Embedding)>,
    identities: Vec<Embedding>,
    last_identity: Option<Duration>,
    frames: usize,
    busy: Duration,
    slowest: Duration,
    ir_checked: usize,
    ir_present: usize,
    last_face: Option<(f32, f32, f32)>,
}

impl Verifier {
    /// A verifier for `challenges` with the default settings.
    pub fn new(
        paths: &ModelPaths,
        challenges: Vec<Challenge>,
        reference: Option<Embedding>,
    ) -> Result<Self> {
        Self::with_config(paths, challenges, reference, VerifierConfig::default())
    }

    /// A verifier for `challenges`; FaceNet is loaded when a reference is given or the identity check
    /// is on.
    pub fn with_config(
        paths: &ModelPaths,
        challenges: Vec<Challenge>,
        reference: Option<Embedding>,
        cfg: VerifierConfig,
    ) -> Result<Self> {
        let mut pipeline = FacePipeline::load(paths)?;
        pipeline.detect_every_frame = true;
        let facenet = (reference.is_some() || cfg.identity_check)
            .then(|| FaceNet::load(paths))
            .transpose()?;
        Ok(Self {
            pipeline,
            facenet,
            reference,
            session: LivenessSession::new(challenges, cfg.liveness.clone()),
            cfg,
            best: None,
            identities: Vec::new(),
            last_identity: None,
            frames: 0,
            busy: Duration::ZERO,
            slowest: Duration::ZERO,
            ir_checked: 0,
            ir_present: 0,
            last_face: None,
        })
    }

    /// Analyses one frame taken `t` after the start.
    pub fn push_frame(&mut self, frame: &Frame, t: Duration) -> Result<Progress> {
        let started = Instant::now();
        let bgr = frame_to_bgr(frame)?;
        let obs = self.pipeline.analyse(&bgr)?;
        self.frames += 1;
        if let (Some(net), true, Some(lm)) = (
            self.facenet.as_mut(),
            obs.issues.is_empty() && obs.faces == 1,
            obs.landmarks.as_ref(),
        ) {
            let frontal = obs.pose.yaw.abs() + obs.pose.pitch.abs();
            let better =
                self.reference.is_some() && self.best.as_ref().is_none_or(|(f, _)| frontal < *f);
            let due = self.cfg.identity_check
                && self
                    .last_identity
                    .is_none_or(|last| t.saturating_sub(last) >= self.cfg.identity_every);
            if better || due {
                let dets = self.pipeline.detect(&bgr)?;
                let (cx, cy, _) = lm.extent();
                if let Some(d) = dets.iter().find(|d| {
                    (d.bbox.cx - cx).abs() < d.bbox.w && (d.bbox.cy - cy).abs() < d.bbox.h
                }) {
                    let e = net.embed(&bgr, d)?;
                    if due {
                        self.identities.push(e.clone());
                        self.last_identity = Some(t);
                    }
                    if better {
                        self.best = Some((frontal, e));
                    }
                }
            }
        }
        self.last_face = obs
            .landmarks
            .as_ref()
            .filter(|_| obs.faces == 1)
            .map(|lm| lm.extent());
        let progress = self.session.push_frame(&obs, t);
        let spent = started.elapsed();
        self.busy += spent;
        self.slowest = self.slowest.max(spent);
        Ok(progress)
    }

    /// Analyses a binocular pair: the visible frame as [`Verifier::push_frame`], then, when the visible
    /// frame shows one face and the pair has a near-infrared frame, whether the IR frame shows a face
    /// within half a face of the same place (the two lenses sit a few centimetres apart).
    pub fn push_pair(&mut self, pair: &FramePair, t: Duration) -> Result<Progress> {
        let progress = self.push_frame(&pair.rgb, t)?;
        if let (Some(ir), Some((cx, cy, side))) = (pair.ir.as_ref(), self.last_face) {
            let started = Instant::now();
            let bgr = frame_to_bgr(ir)?;
            let dets = self.pipeline.detect(&bgr)?;
            self.ir_checked += 1;
            if dets
                .iter()
                .any(|d| (d.bbox.cx - cx).abs() < 0.5 * side && (d.bbox.cy - cy).abs() < 0.5 * side)
            {
                self.ir_present += 1;
            }
            self.busy += started.elapsed();
        }
        Ok(progress)
    }

    /// The verdict.
    pub fn finish(self) -> Verification {
        let mut verdict = self.session.finish();
        let identity_min = self
            .identities
            .iter()
            .enumerate()
            .flat_map(|(i, a)| self.identities[i + 1..].iter().map(|b| a.cosine(b)))
            .reduce(f32::min);
        if let Some(m) = identity_min.filter(|m| *m < self.cfg.identity_min) {
            verdict.reasons.push(format!(
                "the face changed during the session (cosine {m:.2} < {}): another person or a swapped photo",
                self.cfg.identity_min
            ));
        }
        let ir_face_ratio =
            (self.ir_checked > 0).then(|| self.ir_present as f32 / self.ir_checked as f32);
        if let Some(r) = ir_face_ratio
            .filter(|r| self.ir_checked >= self.cfg.ir_min_frames && *r < self.cfg.ir_face_min)
        {
            verdict.reasons.push(format!(
                "no face in the near-infrared image on {:.0} % of frames: a screen shows no image in near infrared",
                100.0 * (1.0 - r)
            ));
        }
        let similarity = match (&self.reference, &self.best) {
            (Some(r), Some((_, e))) => Some(r.cosine(e)),
            (Some(_), None) => {
                verdict
                    .reasons
                    .push("no good frontal frame to compare with the reference".into());
                None
            }
            _ => None,
        };
        if let Some(s) = similarity.filter(|s| *s < MATCH_THRESHOLD) {
            verdict.reasons.push(format!(
                "face does not match the reference (cosine {s:.2} < {MATCH_THRESHOLD})"
            ));
        }
        verdict.passed = verdict.reasons.is_empty();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        Verification {
            verdict,
            similarity,
            identity_min,
            ir_face_ratio,
            frames: self.frames,
            mean_frame_ms: if self.frames == 0 {
                0.0
            } else {
                ms(self.busy) / self.frames as f64
            },
            max_frame_ms: ms(self.slowest),
        }
    }
}
