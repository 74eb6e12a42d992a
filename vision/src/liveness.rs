//! Active liveness as a pure state machine: the caller pushes one [`Observation`] per frame with its time
//! since the session start and shows [`Progress`]; [`LivenessSession::finish`] gives the [`Verdict`].
//! Thresholds are calibrated on the generated genuine clips of [`crate::synth`] (see vision/README.md).
//!
//! Blinks are judged on the product of two ratios to the baseline: the eye aspect ratio and the eye
//! appearance contrast ([`crate::geometry::eye_contrast`]), because the face mesh keeps its eyelid points
//! near their open positions when the eyes close, or on the eyes' normalised appearance against the
//! baseline's ([`crate::geometry::eye_similarity`]), which a dim, noisy frame does not hide; mouth openings on the inner-lip gap or the darkness of
//! the mouth region ([`crate::geometry::mouth_darkness`]). A turn while another challenge (or the other turn)
//! is asked, or a mouth opening while another challenge is asked, fails the session: a recording that
//! performs actions in its own order is caught there. Each action must also begin (reach 40 % of its
//! threshold) within [`LivenessConfig::max_reaction`] of its prompt: a recording that plays its actions
//! at its own pace, not the prompts', is late. How late is too late follows who is at the kiosk
//! ([`Pace`]): elderly people begin 2–5 s after a prompt and more; before the limit the prompt is
//! repeated (hint `remind`), and the limit only ends the attempt (no accusation of a replay).
//!
//! Turns must show depth: the landmark motion has to fit one rigid head better than any sheet of
//! paper, flat, folded or bent ([`crate::depth`]), besides the homography parallax.
//!
//! Progress hints guide before anything fails: a face too small asks to come closer, a dim face asks
//! for light (`come_closer`, `too_dark`, `too_bright`, `face_camera`); these come from the quality
//! measures of each frame and never fail the session themselves.

use std::time::Duration;

use crate::depth::{DepthFit, depth_fit};
use crate::geometry::homography_residual;
use crate::mesh::Landmarks;
use crate::pipeline::Observation;
use crate::quality::QualityIssue;

/// One requested action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Challenge {
    /// Close and reopen the eyes.
    Blink,
    /// Open the mouth wide.
    OpenMouth,
    /// Turn the head to the image's left.
    TurnLeft,
    /// Turn the head to the image's right.
    TurnRight,
    /// Nod (chin down).
    Nod,
}

impl Challenge {
    /// Every challenge.
    pub const ALL: [Challenge; 5] = [
        Challenge::Blink,
        Challenge::OpenMouth,
        Challenge::TurnLeft,
        Challenge::TurnRight,
        Challenge::Nod,
    ];

    /// Command-line name: `blink`, `open_mouth`, `turn_left`, `turn_right`, `nod`.
    pub fn name(self) -> &'static str {
        match self {
            Challenge::Blink => "blink",
            Challenge::OpenMouth => "open_mouth",
            Challenge::TurnLeft => "turn_left",
            Challenge::TurnRight => "turn_right",
            Challenge::Nod => "nod",
        }
    }

    /// Parses a comma-separated list of [`Challenge::name`]s (`blink,turn_left`).
    pub fn parse_list(s: &str) -> Result<Vec<Challenge>, String> {
        s.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                Self::ALL
                    .into_iter()
                    .find(|c| c.name() == p)
                    .ok_or_else(|| {
                        format!(
                            "unknown challenge {p:?}: use {}",
                            Self::ALL.map(Challenge::name).join(", ")
                        )
                    })
            })
            .collect()
    }
}

/// Tunable limits.
#[derive(Clone, Debug)]
pub struct LivenessConfig {
    /// Time allowed per challenge.
    pub timeout: Duration,
    /// Eyes count as closed when EAR × eye contrast falls below this fraction of the baseline's,
    /// reopened above `blink_open`.
    pub blink_closed: f32,
    /// See `blink_closed`.
    pub blink_open: f32,
    /// Eyes also count as closed when their appearance ([`crate::geometry::eye_similarity`] of the
    /// normalised eye patches with the baseline's) falls below this, and as reopened only above
    /// `eye_reopened`; None = the contrast measure alone. The contrast of a closed eye is lost in a
    /// dim, noisy frame; the normalised appearance is not (vision/README.md, blinks).
    pub eye_closed: Option<f32>,
    /// See `eye_closed`.
    pub eye_reopened: f32,
    /// Mouth opening increase over the baseline that counts as open.
    pub mouth_delta: f32,
    /// Mouth-region darkness increase over the baseline that also counts as open.
    pub mouth_dark_delta: f32,
    /// Yaw change in degrees for a turn.
    pub turn_deg: f32,
    /// Pitch change in degrees for a nod.
    pub nod_deg: f32,
    /// Minimum homography residual (fraction of face size) of a turn: below it the motion is flat.
    pub min_parallax: f32,
    /// The same for a nod (a nod shows less parallax of the rigid points than a turn).
    pub min_parallax_nod: f32,
    /// Longest time without exactly one face.
    pub max_gap: Duration,
    /// Largest jump of the face centre between frames, as a fraction of its size.
    pub max_jump: f32,
    /// Fail when the head turns by more than `turn_deg` while no turn (or the other turn) is asked, or
    /// the mouth opens (on both mouth measures) while another challenge is asked.
    pub reject_wrong_action: bool,
    /// Consecutive frames with more than one face that fail the session (fewer are skipped: a blurred
    /// face in the background is found on some frames only).
    pub several_faces_frames: u32,
    /// Longest time from a prompt (the baseline frame for the first challenge, the completion of the
    /// previous one for the others) to the start of the asked action; None = no reaction-time check.
    pub max_reaction: Option<Duration>,
    /// Time after a prompt without the action begun at which the hint becomes `remind` (the kiosk
    /// repeats the prompt); None = never.
    pub remind_after: Option<Duration>,
    /// Time after the action began without it reaching its threshold at which the hint becomes
    /// `bigger` (the kiosk asks for a deeper nod, a wider turn or mouth, a full blink); None = never.
    pub bigger_after: Option<Duration>,
    /// Least [`DepthFit::depth`] (sheet residual, fraction of the face size) of a completed turn: less
    /// moved like a sheet of paper (flat, folded, bent); None = no depth check. Nods keep only the
    /// homography cue.
    pub min_depth: Option<f32>,
    /// Face mean grey below which the hint asks for more light (the frame is still used).
    pub dim_advice: f64,
    /// Face side in pixels below which the hint asks to come closer (the frame is still used).
    pub small_advice: f32,
}

/// Who is at the kiosk, as far as timing goes: the kiosk sets it from its mode (长辈模式 = `Elder`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub enum Pace {
    /// Reactions up to [`REACTION_MS`], [`TIMEOUT_MS`] per challenge.
    #[default]
    Standard,
    /// 长辈模式: reactions up to [`ELDER_REACTION_MS`], [`ELDER_TIMEOUT_MS`] per challenge.
    Elder,
}

impl Pace {
    /// The longest whole face check the kiosk should allow for `challenges` challenges at this pace
    /// (every challenge at its timeout, plus time to settle in front of the camera).
    pub fn session_limit(self, challenges: usize) -> Duration {
        let cfg = LivenessConfig::for_pace(self);
        cfg.timeout * challenges.max(1) as u32 + Duration::from_secs(10)
    }
}

/// Fraction of a challenge's threshold at which the action counts as begun.
pub const ONSET_FRACTION: f32 = 0.4;

impl LivenessConfig {
    /// The defaults with the timing of `pace`.
    pub fn for_pace(pace: Pace) -> Self {
        let (reaction, timeout, remind) = match pace {
            Pace::Standard => (REACTION_MS, TIMEOUT_MS, 3000),
            Pace::Elder => (ELDER_REACTION_MS, ELDER_TIMEOUT_MS, 4000),
        };
        Self {
            timeout: Duration::from_millis(timeout),
            max_reaction: Some(Duration::from_millis(reaction)),
            remind_after: Some(Duration::from_millis(remind)),
            bigger_after: Some(Duration::from_millis(remind)),
            ..Self::base()
        }
    }

    fn base() -> Self {
        Self {
            timeout: Duration::from_millis(TIMEOUT_MS),
            blink_closed: 0.85,
            blink_open: 0.93,
            eye_closed: Some(EYE_CLOSED),
            eye_reopened: EYE_REOPENED,
            mouth_delta: 0.12,
            mouth_dark_delta: 0.18,
            turn_deg: 15.0,
            nod_deg: 6.5,
            min_parallax: 0.026,
            min_parallax_nod: 0.019,
            max_gap: Duration::from_millis(800),
            max_jump: 0.35,
            reject_wrong_action: true,
            several_faces_frames: 3,
            max_reaction: Some(Duration::from_millis(REACTION_MS)),
            remind_after: Some(Duration::from_millis(3000)),
            bigger_after: Some(Duration::from_millis(3000)),
            min_depth: Some(MIN_DEPTH),
            dim_advice: 70.0,
            small_advice: 120.0,
        }
    }
}

impl Default for LivenessConfig {
    fn default() -> Self {
        Self::for_pace(Pace::Standard)
    }
}

/// [`LivenessConfig::max_reaction`] of [`Pace::Standard`] in milliseconds: a reaction of 5 s still
/// passes (the onset is measured at [`ONSET_FRACTION`] of the motion, which a slow person reaches
/// some hundred milliseconds after starting).
pub const REACTION_MS: u64 = 6500;
/// [`LivenessConfig::timeout`] of [`Pace::Standard`] in milliseconds.
pub const TIMEOUT_MS: u64 = 10_000;
/// [`LivenessConfig::max_reaction`] of [`Pace::Elder`] in milliseconds.
pub const ELDER_REACTION_MS: u64 = 10_000;
/// [`LivenessConfig::timeout`] of [`Pace::Elder`] in milliseconds.
pub const ELDER_TIMEOUT_MS: u64 = 15_000;
/// Default [`LivenessConfig::eye_closed`] (vision/README.md, blinks: chosen on the generated clips).
pub const EYE_CLOSED: f32 = 0.85;
/// Default [`LivenessConfig::eye_reopened`].
pub const EYE_REOPENED: f32 = 0.9;
/// Default [`LivenessConfig::min_depth`] (vision/README.md, depth from head motion).
pub const MIN_DEPTH: f32 = 0.008;

/// What the UI shows after each frame.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Progress {
    /// The challenge to perform now (None when all are done or the session failed).
    pub current_challenge: Option<Challenge>,
    /// Challenges completed so far.
    pub done: usize,
    /// A short hint key for the UI: `hold_still`, `one_face_only`, `do_challenge`, `remind` (the
    /// action has not begun: repeat the prompt), `bigger` (begun but too small for a while: a
    /// deeper nod, a wider turn), guidance `come_closer`, `too_dark`, `too_bright`,
    /// `face_camera`, `uncover_face` (set by the `Verifier`: the face did not look like the
    /// session's person, and the challenge starts again), then `finished` or `failed`.
    pub hint: &'static str,
}

/// The outcome.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Verdict {
    /// True only when every challenge was done in time with continuity and parallax.
    pub passed: bool,
    /// Why it failed (empty when passed).
    pub reasons: Vec<String>,
    /// Per-challenge peak measure (EAR drop, mouth delta, degrees) and parallax residual.
    pub scores: Vec<(Challenge, f32, f32)>,
    /// Time each challenge took.
    pub timings: Vec<(Challenge, Duration)>,
    /// Time from each prompt to the start of the action ([`ONSET_FRACTION`] of its threshold).
    pub reactions: Vec<(Challenge, Duration)>,
    /// Depth fit of the frame that completed each turn or nod (for an unfinished one rejected as a
    /// sheet, its best fit).
    pub depth: Vec<(Challenge, DepthFit)>,
}

#[derive(Clone, Debug)]
struct Baseline {
    ear: f32,
    eye: f32,
    eyes: Vec<f32>,
    mouth_dark: f32,
    mouth: f32,
    yaw: f32,
    pitch: f32,
    landmarks: Landmarks,
}

/// One liveness session.
#[derive(Debug)]
pub struct LivenessSession {
    challenges: Vec<Challenge>,
    cfg: LivenessConfig,
    index: usize,
    started: Duration,
    baseline: Option<Baseline>,
    closed_seen: bool,
    several_faces_run: u32,
    flat_seen: bool,
    settled: bool,
    peak: f32,
    peak_parallax: f32,
    last_face: Option<(Duration, (f32, f32, f32))>,
    reasons: Vec<String>,
    verdict_scores: Vec<(Challenge, f32, f32)>,
    timings: Vec<(Challenge, Duration)>,
    onset: Option<Duration>,
    reactions: Vec<(Challenge, Duration)>,
    depth: Vec<(Challenge, DepthFit)>,
    sheet_seen: Option<DepthFit>,
}

impl LivenessSession {
    /// A session over `challenges` (2–3 in production; see [`random_challenges`]).
    pub fn new(challenges: Vec<Challenge>, cfg: LivenessConfig) -> Self {
        Self {
            challenges,
            cfg,
            index: 0,
            started: Duration::ZERO,
            baseline: None,
            closed_seen: false,
            several_faces_run: 0,
            flat_seen: false,
            settled: true,
            peak: 0.0,
            peak_parallax: 0.0,
            last_face: None,
            reasons: Vec::new(),
            verdict_scores: Vec::new(),
            timings: Vec::new(),
            onset: None,
            reactions: Vec::new(),
            depth: Vec::new(),
            sheet_seen: None,
        }
    }

    fn failed(&self) -> bool {
        !self.reasons.is_empty()
    }

    fn progress(&self, hint: &'static str) -> Progress {
        let current = if self.failed() {
            None
        } else {
            self.challenges.get(self.index).copied()
        };
        let hint = if self.failed() {
            "failed"
        } else if current.is_none() {
            "finished"
        } else {
            hint
        };
        Progress {
            current_challenge: current,
            done: self.index,
            hint,
        }
    }

    /// Feeds one analysed frame taken `t` after the session start.
    pub fn push_frame(&mut self, obs: &Observation, t: Duration) -> Progress {
        if self.failed() || self.index >= self.challenges.len() {
            return self.progress("finished");
        }
        let lm = match (&obs.landmarks, obs.faces) {
            (Some(lm), 1) => lm,
            _ => {
                let since = self.last_face.map(|(ts, _)| ts).unwrap_or(self.started);
                if obs.faces > 1 {
                    self.several_faces_run += 1;
                    if self.several_faces_run >= self.cfg.several_faces_frames {
                        self.reasons.push(format!("{} faces in view", obs.faces));
                    }
                } else if t.saturating_sub(since) > self.cfg.max_gap {
                    self.reasons.push("face lost".into());
                }
                return self.progress(if obs.faces > 1 {
                    "one_face_only"
                } else {
                    "hold_still"
                });
            }
        };
        if obs.detected {
            // a tracked frame did not count the faces
            self.several_faces_run = 0;
        }
        let ext = lm.extent();
        if let Some((ts, prev)) = self.last_face {
            let jump =
                ((ext.0 - prev.0).powi(2) + (ext.1 - prev.1).powi(2)).sqrt() / prev.2.max(1.0);
            let scale = (ext.2 / prev.2.max(1.0)).ln().abs();
            if jump > self.cfg.max_jump || scale > 0.3 {
                self.reasons
                    .push("discontinuity: the face jumped between frames (cut or swap)".into());
                return self.progress("failed");
            }
            if t.saturating_sub(ts) > self.cfg.max_gap {
                self.reasons.push("face lost".into());
                return self.progress("failed");
            }
        }
        self.last_face = Some((t, ext));
        let Some(base) = self.baseline.clone() else {
            if obs.issues.is_empty() {
                self.baseline = Some(Baseline {
                    ear: obs.ear,
                    eye: obs.eye_contrast,
                    eyes: obs.eye_patches.clone(),
                    mouth_dark: obs.mouth_dark,
                    mouth: obs.mouth,
                    yaw: obs.pose.yaw,
                    pitch: obs.pose.pitch,
                    landmarks: lm.clone(),
                });
                self.started = t;
                return self.progress(self.advice(obs, "do_challenge"));
            }
            return self.progress(guidance(&obs.issues));
        };
        let ch = self.challenges[self.index];
        let parallax = if matches!(
            ch,
            Challenge::TurnLeft | Challenge::TurnRight | Challenge::Nod
        ) {
            homography_residual(&base.landmarks, lm).unwrap_or(0.0)
        } else {
            0.0
        };
        let yaw_change = obs.pose.yaw - base.yaw;
        let mouth_change = obs.mouth - base.mouth;
        let dark_change = obs.mouth_dark - base.mouth_dark;
        if yaw_change.abs() < self.cfg.turn_deg / 2.0
            && mouth_change < self.cfg.mouth_delta / 2.0
            && dark_change < self.cfg.mouth_dark_delta / 2.0
        {
            self.settled = true;
        }
        // each action counts only when done on its own: a nod without a turn, a blink or an open
        // mouth with the head still (a turn also tips the solvePnP pitch and changes the mouth region)
        let yaw_quiet = yaw_change.abs() < self.cfg.turn_deg / 2.0;
        let head_quiet = yaw_quiet && (obs.pose.pitch - base.pitch).abs() < self.cfg.nod_deg;
        let wrong = match ch {
            Challenge::TurnLeft if yaw_change > self.cfg.turn_deg => Some("the head turned right"),
            Challenge::TurnRight if -yaw_change > self.cfg.turn_deg => Some("the head turned left"),
            Challenge::TurnLeft | Challenge::TurnRight => None,
            _ if yaw_change.abs() > self.cfg.turn_deg => Some(if yaw_change > 0.0 {
                "the head turned right"
            } else {
                "the head turned left"
            }),
            _ => None,
        }
        .or_else(|| {
            (ch != Challenge::OpenMouth
                && head_quiet
                && mouth_change > self.cfg.mouth_delta
                && dark_change > self.cfg.mouth_dark_delta)
                .then_some("the mouth opened")
        });
        if let (true, true, Some(what)) = (self.cfg.reject_wrong_action, self.settled, wrong) {
            self.reasons.push(format!(
                "{ch:?}: {what} instead (a different action than asked)"
            ));
            return self.progress("failed");
        }
        let done = match ch {
            Challenge::Blink => {
                let r = (obs.ear / base.ear.max(1e-3)) * (obs.eye_contrast / base.eye.max(1e-3));
                self.peak = self.peak.max(1.0 - r);
                let look = self.eye_look(&base, obs);
                let closed = r < self.cfg.blink_closed
                    || matches!((look, self.cfg.eye_closed), (Some(s), Some(c)) if s < c);
                if closed && head_quiet {
                    self.closed_seen = true;
                }
                let reopened =
                    r > self.cfg.blink_open && look.is_none_or(|s| s > self.cfg.eye_reopened);
                self.closed_seen && reopened
            }
            Challenge::OpenMouth => {
                let d = obs.mouth - base.mouth;
                let dark = obs.mouth_dark - base.mouth_dark;
                self.peak = self.peak.max(d);
                head_quiet && (d > self.cfg.mouth_delta || dark > self.cfg.mouth_dark_delta)
            }
            Challenge::TurnLeft | Challenge::TurnRight => {
                let d = if ch == Challenge::TurnRight {
                    obs.pose.yaw - base.yaw
                } else {
                    base.yaw - obs.pose.yaw
                };
                self.peak = self.peak.max(d);
                if d > self.cfg.turn_deg * 0.6 {
                    self.peak_parallax = self.peak_parallax.max(parallax);
                }
                d > self.cfg.turn_deg
            }
            Challenge::Nod => {
                let d = obs.pose.pitch - base.pitch;
                self.peak = self.peak.max(d);
                if d > self.cfg.nod_deg * 0.6 {
                    self.peak_parallax = self.peak_parallax.max(parallax);
                }
                yaw_quiet && d > self.cfg.nod_deg
            }
        };
        let begun = match ch {
            Challenge::Blink => {
                let r = (obs.ear / base.ear.max(1e-3)) * (obs.eye_contrast / base.eye.max(1e-3));
                let look = match (self.eye_look(&base, obs), self.cfg.eye_closed) {
                    (Some(s), Some(c)) => 1.0 - s >= ONSET_FRACTION * (1.0 - c),
                    _ => false,
                };
                1.0 - r >= ONSET_FRACTION * (1.0 - self.cfg.blink_closed) || look
            }
            Challenge::OpenMouth => {
                mouth_change >= ONSET_FRACTION * self.cfg.mouth_delta
                    || dark_change >= ONSET_FRACTION * self.cfg.mouth_dark_delta
            }
            Challenge::TurnLeft => -yaw_change >= ONSET_FRACTION * self.cfg.turn_deg,
            Challenge::TurnRight => yaw_change >= ONSET_FRACTION * self.cfg.turn_deg,
            Challenge::Nod => obs.pose.pitch - base.pitch >= ONSET_FRACTION * self.cfg.nod_deg,
        };
        if begun && self.onset.is_none() {
            self.onset = Some(t.saturating_sub(self.started));
        }
        if let (None, Some(max)) = (self.onset, self.cfg.max_reaction)
            && t.saturating_sub(self.started) > max
        {
            self.reasons.push(format!(
                "{ch:?}: the action did not begin within {:.1} s of the prompt",
                max.as_secs_f64()
            ));
            return self.progress("failed");
        }
        let reminding = self.onset.is_none()
            && self
                .cfg
                .remind_after
                .is_some_and(|r| t.saturating_sub(self.started) > r);
        // begun, but not reaching the threshold for a while: a small nod, a shallow turn
        let urging = !done
            && match (self.onset, self.cfg.bigger_after) {
                (Some(onset), Some(after)) => t.saturating_sub(self.started) > onset + after,
                _ => false,
            };
        let head = is_head_motion(ch);
        let needed = if ch == Challenge::Nod {
            self.cfg.min_parallax_nod
        } else {
            self.cfg.min_parallax
        };
        let flat = head && parallax < needed;
        // turns only: a nod's depth parallax at its threshold is within the landmark noise (README)
        let turn = matches!(ch, Challenge::TurnLeft | Challenge::TurnRight);
        let fit = match (done && turn && !flat, self.cfg.min_depth) {
            (true, Some(_)) => Some(depth_fit(&base.landmarks, lm).unwrap_or_default()),
            _ => None,
        };
        let sheet = match (fit, self.cfg.min_depth) {
            (Some(f), Some(min)) => f.depth() < min,
            _ => false,
        };
        if done && flat {
            // the angle was reached but all landmarks moved by one homography: a tilted photo or
            // screen, or a solvePnP flip on one frame; keep waiting for motion with parallax
            self.flat_seen = true;
        }
        if let (true, Some(f)) = (done && sheet, fit) {
            // parallax, but a folded or bent sheet explains it as well as a head: keep waiting
            if self.sheet_seen.is_none_or(|s| f.sheet > s.sheet) {
                self.sheet_seen = Some(f);
            }
        }
        if done && !flat && !sheet {
            if let Some(f) = fit {
                self.depth.push((ch, f));
            }
            self.verdict_scores
                .push((ch, self.peak, self.peak_parallax));
            self.timings.push((ch, t.saturating_sub(self.started)));
            self.reactions.push((
                ch,
                self.onset.unwrap_or_else(|| t.saturating_sub(self.started)),
            ));
            self.index += 1;
            self.new_attempt(t);
            self.settled = false;
        } else if t.saturating_sub(self.started) > self.cfg.timeout {
            self.reasons
                .push(self.unfinished(ch, Some(self.cfg.timeout)));
            self.depth.extend(self.sheet_seen.map(|f| (ch, f)));
        }
        self.progress(self.advice(
            obs,
            if reminding {
                "remind"
            } else if urging && self.index < self.challenges.len() {
                "bigger"
            } else {
                "do_challenge"
            },
        ))
    }

    /// Discards the progress made on the current challenge and asks for it again from `t` (the
    /// prompt's time, so the reaction and the timeout start again): the `Verifier` calls this when an
    /// identity sample taken during the challenge does not look like the person of the session (a
    /// hand over the face, or another face swapped in), so that an action is counted only when the
    /// one who performs it is seen. False, and nothing changes, before the baseline, after the last
    /// challenge or after a failure.
    pub fn restart_challenge(&mut self, t: Duration) -> bool {
        if self.failed() || self.baseline.is_none() || self.index >= self.challenges.len() {
            return false;
        }
        self.new_attempt(t);
        true
    }

    /// Forgets the progress of an attempt at the current challenge, prompted at `t`.
    fn new_attempt(&mut self, t: Duration) {
        self.started = t;
        self.onset = None;
        self.closed_seen = false;
        self.flat_seen = false;
        self.sheet_seen = None;
        self.peak = 0.0;
        self.peak_parallax = 0.0;
    }

    /// Takes back the challenge completed last, to be done again from `t` (the `Verifier` calls this
    /// when the frame that completed it did not look like the session's person: a hand over the
    /// face, or another face): its scores, timing, reaction and depth fit are dropped. False, and
    /// nothing changes, when no challenge is done or the session failed.
    pub fn revoke_last(&mut self, t: Duration) -> bool {
        if self.failed() || self.index == 0 {
            return false;
        }
        self.index -= 1;
        let ch = self.challenges[self.index];
        if self.verdict_scores.last().is_some_and(|(c, _, _)| *c == ch) {
            self.verdict_scores.pop();
        }
        if self.timings.last().is_some_and(|(c, _)| *c == ch) {
            self.timings.pop();
        }
        if self.reactions.last().is_some_and(|(c, _)| *c == ch) {
            self.reactions.pop();
        }
        if self.depth.last().is_some_and(|(c, _)| *c == ch) {
            self.depth.pop();
        }
        self.restart_challenge(t);
        self.settled = true;
        true
    }

    /// The progress as it stands, with `hint` (as [`LivenessSession::push_frame`] returns it).
    pub fn progress_now(&self, hint: &'static str) -> Progress {
        self.progress(hint)
    }

    /// The eyes' appearance now against the baseline's ([`crate::geometry::eye_similarity`]; None
    /// without patches or with the cue off).
    fn eye_look(&self, base: &Baseline, obs: &Observation) -> Option<f32> {
        self.cfg.eye_closed?;
        crate::geometry::eye_similarity(&base.eyes, &obs.eye_patches)
    }

    /// Why challenge `ch` was not completed (`within` its timeout, or at the end of the frames).
    fn unfinished(&self, ch: Challenge, within: Option<Duration>) -> String {
        if self.flat_seen {
            format!("{ch:?}: landmarks moved by one homography (flat photo or screen)")
        } else if self.sheet_seen.is_some() {
            format!(
                "{ch:?}: the face moved like a folded or bent sheet, not a head (no depth beyond a paper surface)"
            )
        } else if let Some(w) = within {
            format!("{ch:?} not done within {w:?}")
        } else {
            format!("{ch:?} not done")
        }
    }

    /// `hint`, unless the face is dim or small: then the guidance that helps (the frame still counts).
    fn advice(&self, obs: &Observation, hint: &'static str) -> &'static str {
        let small = obs
            .landmarks
            .as_ref()
            .is_some_and(|lm| lm.extent().2 / 1.1 < self.cfg.small_advice);
        if obs.measures.brightness > 0.0 && obs.measures.brightness < self.cfg.dim_advice {
            "too_dark"
        } else if small {
            "come_closer"
        } else {
            hint
        }
    }

    /// The verdict; unfinished challenges are reasons.
    pub fn finish(mut self) -> Verdict {
        if !self.failed() && self.index < self.challenges.len() {
            let ch = self.challenges[self.index];
            self.reasons.push(self.unfinished(ch, None));
            self.depth.extend(self.sheet_seen.map(|f| (ch, f)));
        }
        Verdict {
            passed: self.reasons.is_empty(),
            reasons: self.reasons,
            scores: self.verdict_scores,
            timings: self.timings,
            reactions: self.reactions,
            depth: self.depth,
        }
    }
}

/// The hint for a frame that cannot start the session: what the person (or the staff) can change.
pub fn guidance(issues: &[QualityIssue]) -> &'static str {
    let has = |i| issues.contains(&i);
    if has(QualityIssue::SeveralFaces) {
        "one_face_only"
    } else if has(QualityIssue::TooSmall) {
        "come_closer"
    } else if has(QualityIssue::TooDark) {
        "too_dark"
    } else if has(QualityIssue::TooBright) {
        "too_bright"
    } else if has(QualityIssue::NotFrontal) {
        "face_camera"
    } else {
        "hold_still"
    }
}

/// True for the challenges checked by the parallax cue (turns and the nod).
pub fn is_head_motion(c: Challenge) -> bool {
    matches!(
        c,
        Challenge::TurnLeft | Challenge::TurnRight | Challenge::Nod
    )
}

/// A random sequence of 2–3 distinct challenges with at least one head motion: blinks and mouth
/// openings are weak signals of the face mesh (see vision/README.md), while a turn or nod is checked
/// against the flat-photo homography cue.
pub fn random_challenges<R: rand::Rng>(rng: &mut R) -> Vec<Challenge> {
    use rand::seq::SliceRandom;
    loop {
        let mut all = vec![
            Challenge::Blink,
            Challenge::OpenMouth,
            Challenge::TurnLeft,
            Challenge::TurnRight,
            Challenge::Nod,
        ];
        all.shuffle(rng);
        all.truncate(rng.gen_range(2..=3));
        if all.iter().any(|&c| is_head_motion(c)) {
            return all;
        }
    }
}
