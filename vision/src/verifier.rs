//! Frames in, verdict out: the face pipeline feeding a [`LivenessSession`], then an optional 1:1 match of
//! the best frame against a reference embedding. Frames stay in this process; only numbers come out.

use std::time::Duration;

use jiuzhu_drivers_api::camera::Frame;

use crate::embed::{Embedding, FaceNet, MATCH_THRESHOLD};
use crate::image::frame_to_bgr;
use crate::liveness::{Challenge, LivenessConfig, LivenessSession, Progress, Verdict};
use crate::models::{ModelPaths, Result};
use crate::pipeline::FacePipeline;

/// Liveness verdict plus the 1:1 similarity, when a reference was given.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Verification {
    /// The liveness verdict (its `passed` also requires the match when a reference is set).
    pub verdict: Verdict,
    /// Cosine similarity to the reference.
    pub similarity: Option<f32>,
    /// Frames analysed.
    pub frames: usize,
}

/// Runs the pipeline and a liveness session over pushed frames.
pub struct Verifier {
    pipeline: FacePipeline,
    facenet: Option<FaceNet>,
    reference: Option<Embedding>,
    session: LivenessSession,
    best: Option<(f32, Embedding)>,
    frames: usize,
}

impl Verifier {
    /// A verifier for `challenges`; with `reference`, FaceNet is loaded and the best frame is matched.
    pub fn new(
        paths: &ModelPaths,
        challenges: Vec<Challenge>,
        reference: Option<Embedding>,
    ) -> Result<Self> {
        let mut pipeline = FacePipeline::load(paths)?;
        pipeline.detect_every_frame = true;
        Ok(Self {
            pipeline,
            facenet: reference
                .as_ref()
                .map(|_| FaceNet::load(paths))
                .transpose()?,
            reference,
            session: LivenessSession::new(challenges, LivenessConfig::default()),
            best: None,
            frames: 0,
        })
    }

    /// Analyses one frame taken `t` after the start.
    pub fn push_frame(&mut self, frame: &Frame, t: Duration) -> Result<Progress> {
        let bgr = frame_to_bgr(frame)?;
        let obs = self.pipeline.analyse(&bgr)?;
        self.frames += 1;
        if let (Some(net), true, Some(lm)) = (
            self.facenet.as_mut(),
            obs.issues.is_empty(),
            obs.landmarks.as_ref(),
        ) {
            let frontal = obs.pose.yaw.abs() + obs.pose.pitch.abs();
            if self.best.as_ref().is_none_or(|(f, _)| frontal < *f) {
                let dets = self.pipeline.detect(&bgr)?;
                let (cx, cy, _) = lm.extent();
                if let Some(d) = dets.iter().find(|d| {
                    (d.bbox.cx - cx).abs() < d.bbox.w && (d.bbox.cy - cy).abs() < d.bbox.h
                }) {
                    self.best = Some((frontal, net.embed(&bgr, d)?));
                }
            }
        }
        Ok(self.session.push_frame(&obs, t))
    }

    /// The verdict.
    pub fn finish(self) -> Verification {
        let mut verdict = self.session.finish();
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
        Verification {
            verdict,
            similarity,
            frames: self.frames,
        }
    }
}
