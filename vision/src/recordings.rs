//! The genuine side of the face check's cues on a real recording of a real person, where nobody
//! performs our challenges (so no verdict, no BPCER): every frame through the pipeline, and
//!
//! - **a hand over the face**: with the palm detector ([`crate::hand`]), the palm score on the face of
//!   every identity sample, and the samples the `Verifier`'s rule counts as covered
//!   ([`crate::hand::CoverRun`] at [`crate::hand::PALM_MIN`]), which it leaves out of identity
//!   continuity, as the `Verifier` does;
//! - **identity continuity**: an embedding of a good frame every 0.5 s with each model given; the lowest
//!   cosine between two samples within 10 s (a session's length), to compare with
//!   [`FaceModel::identity_min`]; and the `Verifier`'s own decision ([`crate::identity`]) over all the
//!   samples, with the most frontal good frame as the matched one (no challenge is performed, so no
//!   completion sample);
//! - **screen pattern (moiré)**: the score of every good frame and the highest median over any 5 s, to
//!   compare with [`crate::verifier::MOIRE_MAX`];
//! - **depth from head motion**: baseline a good frame within 5° of the recording's most frontal yaw;
//!   every later good frame turned (|Δyaw| ≥ 10°) or nodding (|Δpitch| ≥ 8°) is fitted
//!   ([`crate::depth::depth_fit`]) and counts as depth as a turn challenge counts it
//!   ([`crate::depth::DepthFit::depth`] ≥ [`crate::liveness::MIN_DEPTH`]).
//!
//! Used by `examples/real_videos.rs` and `tests/real_recordings.rs` (vision/README.md, Real recordings).

use std::path::Path;

use opencv::core::Mat;
use opencv::prelude::*;
use opencv::videoio;

use crate::depth::depth_fit;
use crate::embed::{Embedder, FaceModel};
use crate::hand::{CoverRun, PALM_MIN, PalmDetector};
use crate::identity::{IdentityJudgement, IdentityTrack, SampleKind};
use crate::liveness::MIN_DEPTH;
use crate::models::{Result, VisionError};
use crate::passive::ScreenPattern;
use crate::pipeline::{FacePipeline, Observation};

/// Seconds between identity samples (the `Verifier`'s default).
pub const SAMPLE_EVERY: f64 = 0.5;
/// Longest time between two identity samples compared (a session's length).
pub const SESSION_SECS: f64 = 10.0;
/// The window of the moiré median (the `Verifier` takes a session's median).
pub const MOIRE_WINDOW_SECS: f64 = 5.0;

/// The lowest identity cosine of one model and the two samples' times.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IdentityLow {
    /// The model.
    pub model: FaceModel,
    /// The lowest cosine between two samples within [`SESSION_SECS`].
    pub cosine: f32,
    /// The earlier sample's time in seconds.
    pub at: f64,
    /// The later sample's time.
    pub and: f64,
}

/// What one recording shows; no pixels.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordingReport {
    /// Frames read.
    pub frames: usize,
    /// Frames per second of the file.
    pub fps: f64,
    /// Frames with one face passing the quality gate.
    pub good: usize,
    /// Identity samples taken (covered ones included).
    pub samples: usize,
    /// With the palm detector: each sample's time (s) and palm score on the face.
    pub palm: Vec<(f64, f32)>,
    /// The times of the samples counted as covered by a hand (left out of identity continuity).
    pub covered: Vec<f64>,
    /// Per model, the lowest cosine (None with fewer than two samples within a session's length).
    pub identity: Vec<Option<IdentityLow>>,
    /// Per model, the `Verifier`'s identity decision over the whole recording.
    pub judgement: Vec<IdentityJudgement>,
    /// The highest moiré median over [`MOIRE_WINDOW_SECS`] (None: no face large enough).
    pub moire_worst: Option<f32>,
    /// The highest moiré score of one frame.
    pub moire_max: Option<f32>,
    /// Good frames turned or nodding against the baseline.
    pub moved: usize,
    /// Of those, the frames that count as depth.
    pub depth: usize,
    /// The median of head / sheet residual over the moved frames.
    pub head_over_sheet: Option<f32>,
}

fn median(mut v: Vec<f32>) -> Option<f32> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f32::total_cmp);
    Some(v[v.len() / 2])
}

/// Analyses the recording at `path` with `pipeline` (its detector runs on every frame), one
/// embedder per model in `models`, and the palm detector when given.
pub fn analyse(
    path: &Path,
    pipeline: &mut FacePipeline,
    models: &mut [Embedder],
    mut palm: Option<&mut PalmDetector>,
) -> Result<RecordingReport> {
    let name = path.display().to_string();
    let mut cap = videoio::VideoCapture::from_file(&name, videoio::CAP_ANY)?;
    if !cap.is_opened()? {
        return Err(VisionError::Image(name, "cannot open the video".into()));
    }
    let fps = cap.get(videoio::CAP_PROP_FPS)?;
    if !(1.0..=1000.0).contains(&fps) {
        return Err(VisionError::Image(name, format!("frame rate {fps}")));
    }
    pipeline.detect_every_frame = true;
    pipeline.reset();
    let mut screen = ScreenPattern::new()?;
    let mut goods: Vec<(f64, Observation)> = Vec::new();
    let (mut frames, mut samples) = (0usize, Vec::new());
    let (mut palms, mut covered, mut run) = (Vec::new(), Vec::new(), CoverRun::default());
    let mut moire: Vec<(f64, f32)> = Vec::new();
    let mut frame = Mat::default();
    // the most frontal good frame, embedded at the end as the frame a reference would be matched with
    let mut frontal_best: Option<(f32, Mat, crate::mesh::Landmarks)> = None;
    while cap.read(&mut frame)? && !frame.empty() {
        let t = frames as f64 / fps;
        frames += 1;
        let obs = pipeline.analyse(&frame)?;
        let Some(lm) = obs
            .landmarks
            .as_ref()
            .filter(|_| obs.issues.is_empty() && obs.faces == 1)
        else {
            continue;
        };
        let (cx, cy, side) = lm.extent();
        if let Some(m) = screen.measure(&frame, cx, cy, side)? {
            moire.push((t, m));
        }
        let due = samples
            .last()
            .is_none_or(|(last, _): &(f64, _)| t - last >= SAMPLE_EVERY);
        if due && let Some(det) = crate::detect::around(&pipeline.detect(&frame)?, cx, cy) {
            if let Some(p) = palm.as_deref_mut() {
                let score = crate::hand::score_on_face(&p.detect(&frame)?, &det.bbox);
                palms.push((t, score));
                if run.push(score, PALM_MIN) {
                    covered.push(t);
                }
            }
            let es = models
                .iter_mut()
                .map(|m| m.embed(&frame, det, lm))
                .collect::<Result<Vec<_>>>()?;
            samples.push((t, es));
        }
        let frontal = obs.pose.yaw.abs() + obs.pose.pitch.abs();
        if frontal_best.as_ref().is_none_or(|(f, _, _)| frontal < *f) {
            frontal_best = Some((frontal, frame.clone(), lm.clone()));
        }
        goods.push((t, obs));
    }
    let mut judgement = Vec::new();
    for (k, m) in models.iter_mut().enumerate() {
        let mut track = IdentityTrack::new(m.model().identity_min());
        // as the Verifier: a covered sample is no identity sample
        for (_, es) in samples.iter().filter(|(t, _)| !covered.contains(t)) {
            track.push(es[k].clone(), SampleKind::Timed)?;
        }
        let matched = match &frontal_best {
            Some((_, f, lm)) => {
                let (cx, cy, _) = lm.extent();
                match crate::detect::around(&pipeline.detect(f)?, cx, cy) {
                    Some(det) => Some(m.embed(f, det, lm)?),
                    None => None,
                }
            }
            None => None,
        };
        judgement.push(track.judge(matched.as_ref())?);
    }
    let mut identity = Vec::new();
    for (k, m) in models.iter().enumerate() {
        let mut low: Option<IdentityLow> = None;
        for (i, (ta, a)) in samples.iter().enumerate() {
            for (tb, b) in &samples[i + 1..] {
                if tb - ta > SESSION_SECS {
                    break;
                }
                let c = a[k].cosine(&b[k])?;
                if low.is_none_or(|l| c < l.cosine) {
                    low = Some(IdentityLow {
                        model: m.model(),
                        cosine: c,
                        at: *ta,
                        and: *tb,
                    });
                }
            }
        }
        identity.push(low);
    }
    // the median of each window of MOIRE_WINDOW_SECS ending at a frame
    let mut start = 0;
    let mut moire_worst: Option<f32> = None;
    for (end, &(t, _)) in moire.iter().enumerate() {
        while t - moire[start].0 > MOIRE_WINDOW_SECS {
            start += 1;
        }
        if let Some(med) = median(moire[start..=end].iter().map(|(_, m)| *m).collect()) {
            moire_worst = Some(moire_worst.map_or(med, |w| w.max(med)));
        }
    }
    let moire_max = moire.iter().map(|(_, m)| *m).reduce(f32::max);
    let frontal = goods.iter().map(|(_, o)| o.pose.yaw.abs()).reduce(f32::min);
    let (mut moved, mut depth, mut ratios) = (0, 0, Vec::new());
    if let Some((t0, base)) =
        frontal.and_then(|f| goods.iter().find(|(_, o)| o.pose.yaw.abs() <= f + 5.0))
        && let Some(bl) = base.landmarks.as_ref()
    {
        for (_, o) in goods.iter().filter(|(t, _)| t > t0) {
            let Some(lm) = o.landmarks.as_ref() else {
                continue;
            };
            if (o.pose.yaw - base.pose.yaw).abs() >= 10.0
                || (o.pose.pitch - base.pose.pitch).abs() >= 8.0
            {
                let fit = depth_fit(bl, lm)?;
                moved += 1;
                ratios.push(fit.head / fit.sheet.max(1e-6));
                if fit.depth() >= MIN_DEPTH {
                    depth += 1;
                }
            }
        }
    }
    Ok(RecordingReport {
        frames,
        fps,
        good: goods.len(),
        samples: samples.len(),
        palm: palms,
        covered,
        identity,
        judgement,
        moire_worst,
        moire_max,
        moved,
        depth,
        head_over_sheet: median(ratios),
    })
}
