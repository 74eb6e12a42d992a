//! Frames in, verdict out: the face pipeline feeding a [`LivenessSession`], an identity-continuity check
//! ([`crate::identity`]: embeddings of good frames every half second and of the frame that completed
//! each challenge; whoever performs an action must be the person matched, and a face that does not
//! look like the session's person restarts the action in course) and an optional 1:1 match of the most frontal good frame against a
//! reference embedding. The embeddings are made with the reference's model ([`FaceModel`]: FaceNet, or
//! ArcFace when the reference was made with it and the face pack is installed), FaceNet without one. With a binocular camera ([`Verifier::push_pair`]) the near-infrared frame must show
//! a face where the visible one is (a phone or monitor shows no image in near infrared), and that face
//! must read as skin ([`crate::nir`]); a black NIR image is a camera fault. Passive image
//! signals ([`crate::passive`]): the session fails when the face region shows the periodic texture of a
//! screen (moiré) on most good frames; the PAD CNNs are scored and reported (and fail the session only
//! when a threshold is configured). Frames stay in this process; only numbers come out.

use std::time::{Duration, Instant};

use jiuzhu_drivers_api::camera::{Frame, FramePair};

use opencv::core::Mat;
use opencv::prelude::MatTraitConst;

use crate::detect::Detection;
use crate::embed::{Embedder, Embedding, FaceModel};
use crate::engine::Engine;
use crate::flash::{FaceRegions, FlashConfig, FlashReport, PointColours};
use crate::hand::{CoverRun, PalmDetector};
use crate::identity::{IdentityTrack, SampleKind};
use crate::image::frame_to_bgr;
use crate::liveness::{Challenge, LivenessConfig, LivenessSession, Pace, Progress, Verdict};
use crate::mesh::Landmarks;
use crate::models::{ModelPaths, Result};
use crate::passive::{PadNets, PadScores, ScreenPattern};
use crate::pipeline::FacePipeline;

/// Settings of a [`Verifier`].
#[derive(Clone, Debug)]
pub struct VerifierConfig {
    /// Liveness thresholds.
    pub liveness: LivenessConfig,
    /// Check that the same person is in view throughout (loads the embedder even without a reference).
    pub identity_check: bool,
    /// Time between identity samples.
    pub identity_every: Duration,
    /// The identity-continuity limit ([`crate::identity`]); None = the model's own
    /// ([`FaceModel::identity_min`]: FaceNet 0.55, ArcFace 0.25).
    pub identity_min: Option<f32>,
    /// With near-infrared frames: the fewest of them (as a fraction of checked frames) that must show a
    /// face at the visible face's place.
    pub ir_face_min: f32,
    /// Checked near-infrared frames needed before the IR signal counts.
    pub ir_min_frames: usize,
    /// With near-infrared frames: the skin cue's limits ([`crate::nir`]: the lips are brighter in
    /// NIR than in visible light on skin, not on ink), measured every `identity_every`; None = off.
    pub nir: Option<crate::nir::NirLimits>,
    /// Screen-pattern (moiré) peakiness ([`ScreenPattern::measure`]) above which the session's median
    /// fails it; None turns the measure off.
    pub moire_max: Option<f32>,
    /// Measured good frames needed before the screen-pattern signal counts.
    pub moire_min_frames: usize,
    /// Run the PAD CNNs (at the identity-sample rate) and report their mean scores.
    pub pad_cnn: bool,
    /// Mean `antispoof` score below which the session fails; None = reported only (the default: the
    /// networks do not separate attacks on the generated clips).
    pub pad_antispoof_min: Option<f32>,
    /// Engine of detector and mesh; None = [`Engine::from_env`] (`$JIUZHU_VISION_ENGINE`, else ONNX
    /// Runtime).
    pub engine: Option<Engine>,
    /// Track the face with the mesh and run the detector only when the track is lost and every
    /// `recount_every` (to count faces; the identity samples reuse that detection); false (the
    /// default) = the detector on every frame: the blink and mouth thresholds were calibrated on mesh
    /// crops from detector boxes, and tracked crops missed blinks of the independent set's genuine
    /// clips (vision/README.md, Speed).
    pub track: bool,
    /// With `track`: time between detector runs that count the faces in view.
    pub recount_every: Duration,
    /// Screen-light response (炫彩, [`crate::flash`]): judge the frames pushed with
    /// [`Verifier::push_frame_lit`] / [`Verifier::push_pair_lit`] against the colours shown; None =
    /// off (the default here: recorded videos carry no colours). The kiosk turns it on (`[kiosk]
    /// screen_light`, on by default): its face screen then flashes a colour schedule during the
    /// check (frames pushed without a colour are not judged by it) and keeps the check going while
    /// [`Verifier::flash_pending`].
    pub flash: Option<FlashConfig>,
    /// A hand over the face ([`crate::hand`]): the palm score on the face from which an identity
    /// sample shows a palm. [`crate::hand::COVERED_RUN`] such samples in a row count the face as
    /// covered: the sample is no identity sample, the challenge in course restarts or the one the
    /// frame completed is taken back (whatever [`MAX_TAKEN_BACK`]), and the resident is asked to
    /// lower the hand. A candidate for the matched frame with a palm on it is passed over (looked at
    /// when the session ends). None = off. The palm
    /// detector runs on LiteRT whatever [`VerifierConfig::engine`]; with another engine and no
    /// LiteRT library the check is off ([`Verification::hand_check`] false).
    pub palm_min: Option<f32>,
}

impl Default for VerifierConfig {
    fn default() -> Self {
        Self {
            liveness: LivenessConfig::default(),
            identity_check: true,
            identity_every: Duration::from_millis(500),
            identity_min: None,
            ir_face_min: 0.5,
            ir_min_frames: 5,
            nir: Some(crate::nir::NirLimits::default()),
            moire_max: Some(MOIRE_MAX),
            moire_min_frames: 5,
            pad_cnn: true,
            pad_antispoof_min: None,
            engine: None,
            track: false,
            recount_every: Duration::from_millis(500),
            flash: None,
            palm_min: Some(crate::hand::PALM_MIN),
        }
    }
}

impl VerifierConfig {
    /// The same settings with the liveness timing of `pace` (the kiosk passes 长辈模式 as
    /// [`Pace::Elder`]): reaction limit, reminder and per-challenge timeout.
    pub fn with_pace(mut self, pace: Pace) -> Self {
        let timing = LivenessConfig::for_pace(pace);
        self.liveness.timeout = timing.timeout;
        self.liveness.max_reaction = timing.max_reaction;
        self.liveness.remind_after = timing.remind_after;
        self.liveness.bigger_after = timing.bigger_after;
        self
    }
}

/// Candidates for the matched frame kept ([`Verifier`]'s `best`).
const BEST_KEPT: usize = 3;

/// A candidate for the frame matched with the reference.
struct Candidate {
    /// |yaw| + |pitch|, degrees: lower is more frontal.
    frontal: f32,
    embedding: Embedding,
    /// The frame and its face box, while the palm detector has not looked at it.
    frame: Option<(Mat, crate::detect::FaceBox)>,
}

/// How long the resident is asked to uncover the face (hint `uncover_face`) after an identity sample
/// that did not look like the session's person, or showed a hand over the face, restarted the
/// challenge in course.
pub const UNCOVER_HINT: Duration = Duration::from_secs(2);

/// The most challenges a session takes back because the frame that completed them did not look like
/// the session's person (a hand over the face at that moment); after that such a frame stays and the
/// identity decision refuses the session, so a face swapped in for an action gets no endless retries.
pub const MAX_TAKEN_BACK: usize = 3;

/// Default [`VerifierConfig::moire_max`]: on the generated clips genuine sessions have medians of
/// 2.1–2.6 (single frames up to 3.1), screen replays 3.2 and more (vision/README.md).
pub const MOIRE_MAX: f32 = 3.0;

/// Liveness verdict plus the 1:1 similarity, when a reference was given.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Verification {
    /// The liveness verdict (its `passed` also requires identity continuity and the match).
    pub verdict: Verdict,
    /// Liveness, identity continuity and the passive signals passed, the match with the reference
    /// aside: a person was there and stayed the same person; whether it is the reference's person
    /// is `matched` / `confirmed`.
    pub live: bool,
    /// Cosine similarity to the reference.
    pub similarity: Option<f32>,
    /// The model of the embeddings (the reference's; FaceNet without a reference), when one ran.
    pub model: Option<FaceModel>,
    /// The match threshold of that model, with a reference.
    pub threshold: Option<f32>,
    /// Whether the similarity reached the threshold (None without a reference or a comparable frame).
    pub matched: Option<bool>,
    /// The model's confirm threshold ([`FaceModel::confirm_threshold`]), with a reference.
    pub confirm_threshold: Option<f32>,
    /// Whether the similarity reached the confirm threshold: the face alone confirms the person
    /// (false accepts ≤ 0.1 %). `matched` but not `confirmed` needs a second factor (fingerprint or
    /// staff). None without a reference or a comparable frame.
    pub confirmed: Option<bool>,
    /// The lowest identity cosine compared with the limit ([`crate::identity::IdentityJudgement::min`];
    /// None with fewer than two samples).
    pub identity_min: Option<f32>,
    /// Identity samples that did not look like the session's person and restarted the challenge in
    /// course (a hand over the face, another face).
    pub identity_doubts: usize,
    /// Whether the palm detector looked for a hand over the face ([`VerifierConfig::palm_min`]).
    pub hand_check: bool,
    /// Identity samples on which a hand covered the face ([`crate::hand::CoverRun`]): left out of
    /// identity continuity, each restarted the challenge in course or took back the one it completed.
    pub covered_samples: usize,
    /// The highest palm score on the face among the frames checked for a hand (the identity samples
    /// and the candidates for the matched frame; None without the check or without such frames).
    pub palm_max: Option<f32>,
    /// Fraction of checked near-infrared frames that showed the face (None without IR frames).
    pub ir_face_ratio: Option<f32>,
    /// The medians of the near-infrared skin cue ([`crate::nir::SkinCue`]; None without IR frames
    /// showing the face or with the cue off).
    pub nir: Option<crate::nir::SkinCue>,
    /// Near-infrared frames that showed nothing at all (lens covered, illuminator off).
    pub ir_blank: usize,
    /// A fault of the kiosk's camera found during the check (its near-infrared image black): the
    /// caller reports the camera to staff rather than the person as failed. The verdict does not
    /// pass either way.
    pub camera_fault: Option<String>,
    /// Median screen-pattern (moiré) peakiness over the measured good frames (None when none was
    /// measured: face smaller than [`crate::passive::MIN_FACE`] or the measure off).
    pub moire: Option<f32>,
    /// Mean PAD CNN scores over the sampled frames (None without samples or with the CNNs off).
    pub pad_cnn: Option<PadScores>,
    /// The screen-light response (None when off or no colour was shown).
    pub flash: Option<FlashReport>,
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
    embedder: Option<Embedder>,
    /// Networks lent with [`VerifierModels`] that this session does not run, kept to give back.
    spare: VerifierModels,
    reference: Option<Embedding>,
    session: LivenessSession,
    cfg: VerifierConfig,
    /// The latest [`BEST_KEPT`] most frontal good frames, most frontal first, with their embeddings
    /// (and, with the palm detector, the frame and its face box, looked at for a hand when the
    /// session ends): the first without a hand over the face is the one matched.
    best: Vec<Candidate>,
    identity: IdentityTrack,
    /// The palm detector, with [`VerifierConfig::palm_min`] (and LiteRT).
    palm: Option<PalmDetector>,
    /// The run of identity samples with a palm on the face.
    cover: CoverRun,
    /// The highest palm score on the face measured.
    palm_max: Option<f32>,
    /// When the latest identity sample counted as covered by a hand.
    covered_at: Option<Duration>,
    /// When the latest doubt restarted a challenge (the resident is asked to uncover the face for
    /// [`UNCOVER_HINT`]).
    doubted_at: Option<Duration>,
    /// Challenges taken back because the frame that completed them did not look like the session's
    /// person.
    taken_back: usize,
    last_identity: Option<Duration>,
    /// The latest frame that passed the quality gate (with its landmarks, its detection when one ran,
    /// and its time), kept for the identity sample taken when a challenge completes.
    last_good: Option<(Mat, Landmarks, Option<Detection>, Duration)>,
    /// Challenges completed so far.
    done: usize,
    frames: usize,
    busy: Duration,
    slowest: Duration,
    ir_checked: usize,
    ir_present: usize,
    ir_blank: usize,
    /// The camera promised near-infrared frames ([`Verifier::require_ir`]).
    ir_required: bool,
    /// Pairs pushed without the near-infrared frame the camera promised.
    ir_missing: usize,
    /// When the NIR skin cue was last measured.
    last_nir: Option<Duration>,
    /// A good visible frame's lips-over-cheeks ratio, kept by `push` when `push_pair_lit` says the
    /// NIR skin cue is due.
    nir_visible: Option<f32>,
    nir_cues: Vec<crate::nir::SkinCue>,
    last_face: Option<(f32, f32, f32)>,
    screen: Option<ScreenPattern>,
    moire: Vec<f32>,
    pad_nets: Option<PadNets>,
    pad_scores: Vec<PadScores>,
    last_count: Option<Duration>,
    flash_regions: Option<FaceRegions>,
    flash_observed: Vec<Option<PointColours>>,
    flash_shown: Vec<[f32; 3]>,
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

    /// A verifier for `challenges`; the embedder of the reference's model (FaceNet without a
    /// reference) is loaded when a reference is given or the identity check is on. A reference made
    /// with the face pack's model on a kiosk without the pack is [`crate::VisionError::FacePackMissing`].
    /// Loads every network it runs; [`Verifier::with_models`] borrows them from an earlier session.
    pub fn with_config(
        paths: &ModelPaths,
        challenges: Vec<Challenge>,
        reference: Option<Embedding>,
        cfg: VerifierConfig,
    ) -> Result<Self> {
        Self::with_models(VerifierModels::new(paths), challenges, reference, cfg)
    }

    /// As [`Verifier::with_config`], running the networks of `models` and loading only those the
    /// configuration needs that `models` does not hold; [`Verifier::finish_lending`] gives them back
    /// for the next session.
    pub fn with_models(
        models: VerifierModels,
        challenges: Vec<Challenge>,
        reference: Option<Embedding>,
        cfg: VerifierConfig,
    ) -> Result<Self> {
        let engine = cfg.engine.map_or_else(Engine::from_env, Ok)?;
        let mut spare = models;
        let mut pipeline = match spare.pipeline.take() {
            Some(p) if p.engine() == engine => p,
            _ => FacePipeline::load_with(&spare.paths, engine)?,
        };
        // a lent pipeline forgets the previous session's face and limits
        pipeline.reset();
        pipeline.limits = Default::default();
        pipeline.detect_every_frame = !cfg.track;
        let model = reference.as_ref().map(Embedding::model).unwrap_or_default();
        let embedder = if reference.is_some() || cfg.identity_check {
            Some(
                match spare.embedders.iter().position(|e| e.model() == model) {
                    Some(i) => spare.embedders.swap_remove(i),
                    None => Embedder::load(&spare.paths, model)?,
                },
            )
        } else {
            None
        };
        // when this session does not run them, they stay in `spare` for the next
        let pad_nets = if cfg.pad_cnn {
            Some(match spare.pad_nets.take() {
                Some(n) => n,
                None => PadNets::load(&spare.paths)?,
            })
        } else {
            None
        };
        let palm = match (cfg.palm_min, spare.palm.take()) {
            (None, lent) => {
                spare.palm = lent;
                None
            }
            (Some(_), Some(p)) => Some(p),
            (Some(_), None) => match PalmDetector::load(&spare.paths) {
                Ok(p) => Some(p),
                // the face models on another engine (an ARM kiosk) and no LiteRT here: without it
                Err(crate::VisionError::MissingModel(_)) if engine != Engine::LiteRt => None,
                Err(e) => return Err(e),
            },
        };
        let screen = cfg.moire_max.map(|_| ScreenPattern::new()).transpose()?;
        let identity = IdentityTrack::new(cfg.identity_min.unwrap_or_else(|| model.identity_min()));
        Ok(Self {
            pipeline,
            embedder,
            spare,
            reference,
            session: LivenessSession::new(challenges, cfg.liveness.clone()),
            cfg,
            best: Vec::new(),
            identity,
            palm,
            cover: CoverRun::default(),
            palm_max: None,
            covered_at: None,
            doubted_at: None,
            taken_back: 0,
            last_identity: None,
            last_good: None,
            done: 0,
            frames: 0,
            busy: Duration::ZERO,
            slowest: Duration::ZERO,
            ir_checked: 0,
            ir_present: 0,
            ir_blank: 0,
            ir_required: false,
            ir_missing: 0,
            last_nir: None,
            nir_visible: None,
            nir_cues: Vec::new(),
            last_face: None,
            screen,
            moire: Vec::new(),
            pad_nets,
            pad_scores: Vec::new(),
            last_count: None,
            flash_regions: None,
            flash_observed: Vec::new(),
            flash_shown: Vec::new(),
        })
    }

    /// Analyses one frame taken `t` after the start.
    pub fn push_frame(&mut self, frame: &Frame, t: Duration) -> Result<Progress> {
        self.push(frame, t, None, false)
    }

    /// Analyses one frame taken while the kiosk's screen showed `shown` (R, G, B in 0..1; part of the
    /// random sequence of [`crate::flash::sequence`]): as [`Verifier::push_frame`], and with
    /// [`VerifierConfig::flash`] on, the face's colour is sampled for the screen-light check.
    pub fn push_frame_lit(
        &mut self,
        frame: &Frame,
        t: Duration,
        shown: [f32; 3],
    ) -> Result<Progress> {
        self.push(frame, t, Some(shown), false)
    }

    /// `nir_due`: keep a good frame's lips ratio for the NIR skin cue (`nir_visible`).
    fn push(
        &mut self,
        frame: &Frame,
        t: Duration,
        shown: Option<[f32; 3]>,
        nir_due: bool,
    ) -> Result<Progress> {
        let started = Instant::now();
        let bgr = frame_to_bgr(frame)?;
        let mut obs = self.pipeline.analyse(&bgr)?;
        self.frames += 1;
        let mut dets = None;
        // a good frame's landmarks and detection, for the sample taken when a challenge completes
        let mut good = None;
        if obs.detected {
            self.last_count = Some(t);
        } else if self
            .last_count
            .is_none_or(|last| t.saturating_sub(last) >= self.cfg.recount_every)
        {
            // a tracked frame: count the faces now and then (a second face, a swap)
            let found = self.pipeline.detect(&bgr)?;
            obs.faces = found.len();
            obs.detected = true;
            if found.len() > 1 {
                obs.issues.push(crate::quality::QualityIssue::SeveralFaces);
            }
            self.last_count = Some(t);
            dets = Some(found);
        }
        if let (true, Some(lm)) = (
            obs.issues.is_empty() && obs.faces == 1,
            obs.landmarks.as_ref(),
        ) {
            let (cx, cy, side) = lm.extent();
            if let Some(m) = self.screen.as_mut() {
                self.moire.extend(m.measure(&bgr, cx, cy, side)?);
            }
            let frontal = obs.pose.yaw.abs() + obs.pose.pitch.abs();
            let better =
                self.reference.is_some() && self.best.first().is_none_or(|c| frontal < c.frontal);
            let due = (self.cfg.identity_check || self.pad_nets.is_some())
                && self
                    .last_identity
                    .is_none_or(|last| t.saturating_sub(last) >= self.cfg.identity_every);
            let mut face = None;
            let mut timed = None;
            let mut covered = false;
            if better || due {
                let dets = match dets.take() {
                    Some(d) => d,
                    None => self.pipeline.detect(&bgr)?,
                };
                if let Some(d) = crate::detect::around(&dets, cx, cy) {
                    face = Some(d.clone());
                    if due {
                        self.last_identity = Some(t);
                        if let Some(p) = self.pad_nets.as_mut() {
                            self.pad_scores.push(p.scores(&bgr, d)?);
                        }
                    }
                    let mut sample = due && self.cfg.identity_check;
                    if let Some(score) = self.palm_on_face(&bgr, &d.bbox, sample)? {
                        let min = self.cfg.palm_min.unwrap_or(f32::INFINITY);
                        if self.cover.push(score, min) {
                            // a hand: no identity sample; the action in course starts again
                            sample = false;
                            covered = true;
                            self.covered_at = Some(t);
                        }
                    }
                    if let (Some(net), true) = (self.embedder.as_mut(), better || sample) {
                        let e = net.embed(&bgr, d, lm)?;
                        if sample {
                            timed = Some(e.clone());
                        }
                        if better {
                            // the frame is kept for the palm detector only
                            let frame = match self.palm {
                                Some(_) => Some((bgr.try_clone()?, d.bbox)),
                                None => None,
                            };
                            self.best.insert(
                                0,
                                Candidate {
                                    frontal,
                                    embedding: e,
                                    frame,
                                },
                            );
                            self.best.truncate(BEST_KEPT);
                        }
                    }
                }
            }
            let doubt = match timed {
                Some(e) => self.identity.push(e, SampleKind::Timed)?,
                None => covered,
            };
            if doubt && self.session.restart_challenge(t) {
                self.doubted_at = Some(t);
            }
            if nir_due {
                self.nir_visible = crate::nir::visible_lip_ratio(&bgr, lm)?;
            }
            if self.cfg.identity_check && self.embedder.is_some() {
                good = Some((lm.clone(), face));
            }
        }
        if let (Some(colour), true) = (shown, self.cfg.flash.is_some()) {
            let sample = match obs.landmarks.as_ref().filter(|_| obs.faces == 1) {
                Some(lm) => Some(
                    self.flash_regions
                        .get_or_insert_with(|| FaceRegions::from_mesh(lm))
                        .sample_points(&bgr, lm)?,
                ),
                None => None,
            };
            self.flash_observed.push(sample);
            self.flash_shown.push(colour);
        }
        self.last_face = obs
            .landmarks
            .as_ref()
            .filter(|_| obs.faces == 1)
            .map(|lm| lm.extent());
        let mut progress = self.session.push_frame(&obs, t);
        if self
            .doubted_at
            .is_some_and(|d| t.saturating_sub(d) < UNCOVER_HINT)
            && matches!(progress.hint, "do_challenge" | "remind" | "bigger")
        {
            progress.hint = "uncover_face";
        }
        // the frame itself, not a copy: it is not used after this
        if let Some((lm, face)) = good {
            self.last_good = Some((bgr, lm, face, t));
        }
        if progress.done > self.done {
            self.done = progress.done;
            if self.sample_completed()? && self.session.revoke_last(t) {
                // the frame that completed it did not look like the session's person
                self.doubted_at = Some(t);
                progress = self.session.progress_now("uncover_face");
                self.done = progress.done;
            }
        }
        let spent = started.elapsed();
        self.busy += spent;
        self.slowest = self.slowest.max(spent);
        Ok(progress)
    }

    /// An identity sample of the latest good frame when a challenge has just completed, unless one
    /// was taken on it already: whoever performed each challenge is sampled, so a face swapped in
    /// for the last challenge cannot finish the session between two timed samples
    /// ([`VerifierConfig::identity_every`]; found when a generated swap clip's nod completed 0.4 s
    /// sooner and passed).
    ///
    /// True when the challenge is to be taken back: the frame shows a hand over the face
    /// ([`VerifierConfig::palm_min`]; always), or the sample does not look like the samples before it
    /// (up to [`MAX_TAKEN_BACK`] times a session; after that the sample stays and the identity
    /// decision refuses the session).
    fn sample_completed(&mut self) -> Result<bool> {
        let Some((bgr, lm, face, t)) = self.last_good.take() else {
            return Ok(false);
        };
        if self.last_identity.is_some_and(|last| last >= t) {
            if self.covered_at.is_some_and(|c| c >= t) {
                // this very frame's timed sample found the face covered by a hand
                return Ok(true);
            }
            // the timed sample of this very frame is the performer's
            self.identity.mark_last_completion();
        } else {
            let face = match face {
                Some(d) => d,
                None => {
                    let (cx, cy, _) = lm.extent();
                    match crate::detect::around(&self.pipeline.detect(&bgr)?, cx, cy) {
                        Some(d) => d.clone(),
                        None => return Ok(false),
                    }
                }
            };
            if let Some(score) = self.palm_on_face(&bgr, &face.bbox, true)? {
                let min = self.cfg.palm_min.unwrap_or(f32::INFINITY);
                if self.cover.push(score, min) {
                    // a hand over the face on the completing frame: the action is asked again
                    self.last_identity = Some(t);
                    self.covered_at = Some(t);
                    return Ok(true);
                }
            }
            let Some(net) = self.embedder.as_mut() else {
                return Ok(false);
            };
            self.identity
                .push(net.embed(&bgr, &face, &lm)?, SampleKind::Completion)?;
            self.last_identity = Some(t);
        }
        if self.taken_back < MAX_TAKEN_BACK && self.identity.last_is_doubtful()? {
            self.identity.demote_last();
            self.taken_back += 1;
            return Ok(true);
        }
        Ok(false)
    }

    /// The embedding of the frame matched with the reference: the most frontal good frame kept
    /// without a hand over the face (palm score under [`VerifierConfig::palm_min`]); when every kept
    /// frame shows one, the one with the lowest score. None without a kept frame.
    fn matched_frame(&mut self) -> Result<Option<Embedding>> {
        let min = self.cfg.palm_min.unwrap_or(f32::INFINITY);
        let mut lowest: Option<(f32, usize)> = None;
        for i in 0..self.best.len() {
            let score = match self.best[i].frame.take() {
                Some((bgr, face)) => self.palm_on_face(&bgr, &face, true)?.unwrap_or(0.0),
                None => 0.0,
            };
            if score < min {
                lowest = Some((score, i));
                break;
            }
            if lowest.is_none_or(|(s, _)| score < s) {
                lowest = Some((score, i));
            }
        }
        Ok(lowest.map(|(_, i)| self.best.swap_remove(i).embedding))
    }

    /// The highest palm score on the face `face` in `bgr`, when the palm detector runs and `wanted`.
    fn palm_on_face(
        &mut self,
        bgr: &Mat,
        face: &crate::detect::FaceBox,
        wanted: bool,
    ) -> Result<Option<f32>> {
        let Some(net) = self.palm.as_mut().filter(|_| wanted) else {
            return Ok(None);
        };
        let score = crate::hand::score_on_face(&net.detect(bgr)?, face);
        self.palm_max = Some(self.palm_max.map_or(score, |m| m.max(score)));
        Ok(Some(score))
    }

    /// True while the screen-light check is on and has not yet seen enough of the screen's colours
    /// on the face for a decision ([`FlashConfig::min_colours`], [`FlashConfig::min_frames`]): a
    /// caller that flashes the colours keeps the check going (the resident holding still) until
    /// this is false, even when every challenge is done.
    pub fn flash_pending(&self) -> bool {
        let Some(cfg) = &self.cfg.flash else {
            return false;
        };
        let seen: Vec<bool> = self.flash_observed.iter().map(Option::is_some).collect();
        seen.iter().filter(|s| **s).count() < cfg.min_frames
            || crate::flash::colours_seen(&seen, &self.flash_shown) < cfg.min_colours
    }

    /// The camera is binocular (its `SourceInfo::has_ir`): a pair without its near-infrared frame
    /// is then counted, and a session where most pairs lack it is a camera fault, not a session
    /// judged on visible light alone (an unplugged NIR lens must not turn the NIR signals off).
    pub fn require_ir(&mut self) {
        self.ir_required = true;
    }

    /// Analyses a binocular pair: the visible frame as [`Verifier::push_frame`], then, when the visible
    /// frame shows one face and the pair has a near-infrared frame, whether the IR frame shows a face
    /// within half a face of the same place (the two lenses sit a few centimetres apart).
    pub fn push_pair(&mut self, pair: &FramePair, t: Duration) -> Result<Progress> {
        self.push_pair_lit(pair, t, None)
    }

    /// As [`Verifier::push_pair`], the visible frame taken while the kiosk's screen showed `shown`
    /// (as [`Verifier::push_frame_lit`]; None = no colour shown).
    pub fn push_pair_lit(
        &mut self,
        pair: &FramePair,
        t: Duration,
        shown: Option<[f32; 3]>,
    ) -> Result<Progress> {
        let nir_due = pair.ir.is_some()
            && self.cfg.nir.is_some()
            && self
                .last_nir
                .is_none_or(|last| t.saturating_sub(last) >= self.cfg.identity_every);
        self.nir_visible = None;
        let progress = self.push(&pair.rgb, t, shown, nir_due)?;
        if self.ir_required && pair.ir.is_none() {
            self.ir_missing += 1;
        }
        if let (Some(ir), Some((cx, cy, side))) = (pair.ir.as_ref(), self.last_face) {
            let started = Instant::now();
            let bgr = frame_to_bgr(ir)?;
            let dets = self.pipeline.detect(&bgr)?;
            self.ir_checked += 1;
            if crate::nir::is_blank(&bgr)? {
                self.ir_blank += 1;
            }
            let near = dets.iter().find(|d| {
                (d.bbox.cx - cx).abs() < 0.5 * side && (d.bbox.cy - cy).abs() < 0.5 * side
            });
            if let Some(d) = near {
                self.ir_present += 1;
                // the skin cue on a good visible frame, every `identity_every`
                if let Some(visible) = self.nir_visible.take() {
                    self.last_nir = Some(t);
                    if let Some(lm) = self.pipeline.landmarks_at(&bgr, d)?
                        && let Some(cue) = crate::nir::SkinCue::from_ir(&bgr, &lm, visible)?
                    {
                        self.nir_cues.push(cue);
                    }
                }
            }
            self.busy += started.elapsed();
        }
        Ok(progress)
    }

    /// The verdict.
    pub fn finish(self) -> Verification {
        self.finish_lending().0
    }

    /// The verdict, and the networks back for the next session ([`Verifier::with_models`]).
    pub fn finish_lending(mut self) -> (Verification, VerifierModels) {
        let best = self.matched_frame();
        let mut verdict = self.session.finish();
        let model = self.embedder.as_ref().map(Embedder::model);
        let best = match best {
            Ok(b) => b,
            Err(err) => {
                verdict.reasons.push(err.to_string());
                None
            }
        };
        // the matched frame is judged with the samples only when there is a reference
        let matched = self.reference.as_ref().and(best.as_ref());
        let identity = match self.identity.judge(matched) {
            Ok(j) => j,
            Err(err) => {
                verdict.reasons.push(err.to_string());
                Default::default()
            }
        };
        verdict.reasons.extend(identity.reason.clone());
        if !verdict.passed && self.cover.covered > 0 {
            verdict.reasons.push(format!(
                "a hand covered the face on {} identity samples: the actions done then did not count",
                self.cover.covered
            ));
        }
        let identity_min = identity.min;
        let ir_face_ratio =
            (self.ir_checked > 0).then(|| self.ir_present as f32 / self.ir_checked as f32);
        let blank =
            self.ir_checked >= self.cfg.ir_min_frames && self.ir_blank * 2 > self.ir_checked;
        let camera_fault = if blank {
            Some(format!(
                "the near-infrared camera showed nothing on {} of {} frames (lens covered or its light off): staff should check the camera",
                self.ir_blank, self.ir_checked
            ))
        } else if self.ir_required && self.frames > 0 && self.ir_missing * 2 > self.frames {
            Some(format!(
                "the near-infrared camera gave no image on {} of {} frames (unplugged or failing): staff should check the camera",
                self.ir_missing, self.frames
            ))
        } else {
            None
        };
        if let Some(f) = &camera_fault {
            // not a verdict on the person: the kiosk's camera needs staff
            verdict.reasons.push(f.clone());
        } else if let Some(r) = ir_face_ratio
            .filter(|r| self.ir_checked >= self.cfg.ir_min_frames && *r < self.cfg.ir_face_min)
        {
            verdict.reasons.push(format!(
                "no face in the near-infrared image on {:.0} % of frames: a screen shows no image in near infrared",
                100.0 * (1.0 - r)
            ));
        }
        let nir = self
            .cfg
            .nir
            .and_then(|_| crate::nir::medians(&self.nir_cues));
        if let Some(limits) = &self.cfg.nir
            && !blank
        {
            verdict
                .reasons
                .extend(crate::nir::judge(&self.nir_cues, limits));
        }
        let moire = crate::median(&self.moire);
        if let (Some(m), Some(max)) = (moire, self.cfg.moire_max)
            && self.moire.len() >= self.cfg.moire_min_frames
            && m > max
        {
            verdict.reasons.push(format!(
                "a periodic screen pattern (moiré) on the face (peakiness {m:.2} > {max}): a photo or video shown on a screen"
            ));
        }
        let pad_cnn = (!self.pad_scores.is_empty()).then(|| {
            let n = self.pad_scores.len() as f32;
            PadScores {
                antispoof: self.pad_scores.iter().map(|s| s.antispoof).sum::<f32>() / n,
                liveness: self.pad_scores.iter().map(|s| s.liveness).sum::<f32>() / n,
            }
        });
        if let (Some(s), Some(min)) = (pad_cnn, self.cfg.pad_antispoof_min)
            && s.antispoof < min
        {
            verdict.reasons.push(format!(
                "the anti-spoofing network scores the face as not real ({:.2} < {min})",
                s.antispoof
            ));
        }
        let flash = match (&self.cfg.flash, &self.flash_regions) {
            (Some(cfg), Some(regions)) if !self.flash_shown.is_empty() => Some(
                crate::flash::verify_points(regions, &self.flash_observed, &self.flash_shown, cfg),
            ),
            (Some(_), None) if !self.flash_shown.is_empty() => {
                verdict
                    .reasons
                    .push("no face during the screen's colour flashes".into());
                None
            }
            _ => None,
        };
        if let Some(f) = &flash {
            verdict.reasons.extend(f.reasons.iter().cloned());
        }
        // everything but the match: judged before the match adds its reasons
        let live = verdict.reasons.is_empty();
        let threshold = self.reference.as_ref().map(|r| r.model().threshold());
        let confirm_threshold = self
            .reference
            .as_ref()
            .map(|r| r.model().confirm_threshold());
        let similarity = match (&self.reference, &best) {
            (Some(r), Some(e)) => match r.cosine(e) {
                Ok(s) => Some(s),
                Err(err) => {
                    verdict.reasons.push(err.to_string());
                    None
                }
            },
            (Some(_), None) => {
                verdict
                    .reasons
                    .push("no good frontal frame to compare with the reference".into());
                None
            }
            _ => None,
        };
        let matched = similarity.zip(threshold).map(|(s, t)| s >= t);
        let confirmed = similarity.zip(confirm_threshold).map(|(s, t)| s >= t);
        if let (Some(s), Some(t), Some(false)) = (similarity, threshold, matched) {
            verdict.reasons.push(format!(
                "face does not match the reference ({} cosine {s:.2} < {t})",
                model.unwrap_or_default().name()
            ));
        }
        verdict.passed = verdict.reasons.is_empty();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let verification = Verification {
            verdict,
            live,
            similarity,
            model,
            threshold,
            matched,
            confirm_threshold,
            confirmed,
            identity_min,
            identity_doubts: identity.doubts,
            hand_check: self.palm.is_some(),
            covered_samples: self.cover.covered,
            palm_max: self.palm_max,
            ir_face_ratio,
            nir,
            ir_blank: self.ir_blank,
            camera_fault,
            moire,
            pad_cnn,
            flash,
            frames: self.frames,
            mean_frame_ms: if self.frames == 0 {
                0.0
            } else {
                ms(self.busy) / self.frames as f64
            },
            max_frame_ms: ms(self.slowest),
        };
        let mut models = self.spare;
        models.pipeline = Some(self.pipeline);
        models.embedders.extend(self.embedder);
        models.pad_nets = self.pad_nets.or(models.pad_nets);
        models.palm = self.palm.or(models.palm);
        (verification, models)
    }
}

/// The networks of a face check, lent from one [`Verifier`] to the next: a session that starts with
/// them does not load them again (FaceNet's graph alone takes ≈ 0.6 s to read and prepare, which
/// every resident otherwise waits through when the check begins). They hold no state of a session:
/// [`Verifier::with_models`] makes the face pipeline forget the previous face.
pub struct VerifierModels {
    paths: ModelPaths,
    pipeline: Option<FacePipeline>,
    embedders: Vec<Embedder>,
    pad_nets: Option<PadNets>,
    palm: Option<PalmDetector>,
}

impl VerifierModels {
    /// Nothing loaded yet: the first [`Verifier::with_models`] loads what its configuration runs.
    pub fn new(paths: &ModelPaths) -> Self {
        Self {
            paths: paths.clone(),
            pipeline: None,
            embedders: Vec::new(),
            pad_nets: None,
            palm: None,
        }
    }

    /// The model directory the networks came from.
    pub fn paths(&self) -> &ModelPaths {
        &self.paths
    }

    /// Which networks are loaded: the pipeline's engine, the embedders' models, the PAD CNNs.
    pub fn loaded(&self) -> (Option<Engine>, Vec<FaceModel>, bool) {
        (
            self.pipeline.as_ref().map(FacePipeline::engine),
            self.embedders.iter().map(Embedder::model).collect(),
            self.pad_nets.is_some(),
        )
    }
}

impl std::fmt::Debug for VerifierModels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (engine, embedders, pad_nets) = self.loaded();
        f.debug_struct("VerifierModels")
            .field("dir", &self.paths.dir)
            .field("pipeline", &engine)
            .field("embedders", &embedders)
            .field("pad_nets", &pad_nets)
            .finish()
    }
}
