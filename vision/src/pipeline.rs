//! Per-frame analysis: detect (or track from the previous landmarks) → mesh → geometry → quality.

use opencv::core::Mat;
use opencv::prelude::*;

use crate::detect::{BlazeFace, Detection};
use crate::engine::Engine;
use crate::geometry::{self, HeadPose};
use crate::mesh::{FaceMesh, Landmarks};
use crate::models::{ModelPaths, Result};
use crate::quality::{self, QualityIssue, QualityLimits, QualityMeasures};

/// Mesh crop side over detector box side.
const MESH_SCALE: f32 = 1.5;
/// Mesh crop side over the previous landmarks' extent when tracking.
const TRACK_SCALE: f32 = 1.25;
/// Below this mesh score the track is dropped and the detector runs again.
const TRACK_MIN_SCORE: f32 = 0.5;

/// What one frame shows about the face; no pixels.
#[derive(Clone, Debug)]
pub struct Observation {
    /// Faces found by the detector (1 when tracking).
    pub faces: usize,
    /// The main face's landmarks.
    pub landmarks: Option<Landmarks>,
    /// Eye aspect ratio.
    pub ear: f32,
    /// Mouth opening.
    pub mouth: f32,
    /// Eye appearance contrast ([`geometry::eye_contrast`]); drops when the eyes close.
    pub eye_contrast: f32,
    /// Both eyes' normalised appearance ([`geometry::eye_patches`]; empty without a face):
    /// compared with the session's first frame, it shows a blink whatever the light.
    pub eye_patches: Vec<f32>,
    /// Mouth-region darkness ([`geometry::mouth_darkness`]); rises when the mouth opens.
    pub mouth_dark: f32,
    /// Head pose.
    pub pose: HeadPose,
    /// Sharpness and brightness.
    pub measures: QualityMeasures,
    /// Quality issues (empty = good frame).
    pub issues: Vec<QualityIssue>,
    /// True when the detector ran on this frame (false = tracked).
    pub detected: bool,
}

/// Detector + mesh + quality, with face tracking across frames.
pub struct FacePipeline {
    detector: BlazeFace,
    mesh: FaceMesh,
    /// Quality limits.
    pub limits: QualityLimits,
    track: Option<(f32, f32, f32)>,
    /// Run the detector every frame (counts faces every frame; slower).
    pub detect_every_frame: bool,
}

impl FacePipeline {
    /// Loads detector and mesh on the engine of [`Engine::from_env`] (default LiteRT).
    pub fn load(paths: &ModelPaths) -> Result<Self> {
        Self::load_with(paths, Engine::from_env()?)
    }

    /// Loads detector and mesh on `engine`.
    pub fn load_with(paths: &ModelPaths, engine: Engine) -> Result<Self> {
        Ok(Self {
            detector: BlazeFace::load_with(paths, engine)?,
            mesh: FaceMesh::load_with(paths, engine)?,
            limits: QualityLimits::default(),
            track: None,
            detect_every_frame: false,
        })
    }

    /// The engine running detector and mesh.
    pub fn engine(&self) -> Engine {
        self.detector.engine()
    }

    /// Detector only.
    pub fn detect(&mut self, bgr: &Mat) -> Result<Vec<Detection>> {
        self.detector.detect(bgr)
    }

    /// The mesh of the face found by `d` in `bgr`, without touching the track (for the second lens of
    /// a binocular camera); None when the mesh does not see a face there.
    pub fn landmarks_at(&mut self, bgr: &Mat, d: &Detection) -> Result<Option<Landmarks>> {
        let lm = self.mesh.run(
            bgr,
            d.bbox.cx,
            d.bbox.cy,
            d.bbox.w.max(d.bbox.h) * MESH_SCALE,
        )?;
        Ok((lm.score >= TRACK_MIN_SCORE).then_some(lm))
    }

    /// Forgets the tracked face.
    pub fn reset(&mut self) {
        self.track = None;
    }

    /// Analyses one BGR frame.
    pub fn analyse(&mut self, bgr: &Mat) -> Result<Observation> {
        let mut faces = 1;
        let mut detected = false;
        let roi = match self.track.filter(|_| !self.detect_every_frame) {
            Some(t) => t,
            None => {
                let dets = self.detector.detect(bgr)?;
                faces = dets.len();
                detected = true;
                match dets.first() {
                    Some(d) => (d.bbox.cx, d.bbox.cy, d.bbox.w.max(d.bbox.h) * MESH_SCALE),
                    None => return Ok(empty(0, detected)),
                }
            }
        };
        let lm = self.mesh.run(bgr, roi.0, roi.1, roi.2)?;
        if lm.score < TRACK_MIN_SCORE {
            self.track = None;
            return Ok(empty(if detected { faces } else { 0 }, detected));
        }
        let (cx, cy, side) = lm.extent();
        self.track = Some((cx, cy, side * TRACK_SCALE));
        let pose = geometry::head_pose(&lm, bgr.cols() as f32, bgr.rows() as f32)?;
        let measures = quality::measure(bgr, cx, cy, side)?;
        let issues = quality::gate(faces, side / 1.1, &pose, &measures, &self.limits);
        let grey = geometry::FaceGrey::new(bgr, &lm)?;
        Ok(Observation {
            faces,
            ear: geometry::eye_aspect_ratio(&lm),
            mouth: geometry::mouth_opening(&lm),
            eye_contrast: geometry::eye_contrast_in(&grey, &lm)?,
            eye_patches: geometry::eye_patches_in(&grey, &lm)?,
            mouth_dark: geometry::mouth_darkness_in(&grey, &lm)?,
            pose,
            measures,
            issues,
            detected,
            landmarks: Some(lm),
        })
    }
}

fn empty(faces: usize, detected: bool) -> Observation {
    Observation {
        faces,
        landmarks: None,
        ear: 0.0,
        mouth: 0.0,
        eye_contrast: 0.0,
        eye_patches: Vec::new(),
        mouth_dark: 0.0,
        pose: HeadPose::default(),
        measures: QualityMeasures::default(),
        issues: vec![if faces > 1 {
            QualityIssue::SeveralFaces
        } else {
            QualityIssue::NoFace
        }],
        detected,
    }
}
