//! Face detection, landmarks, quality, active liveness and 1:1 matching (LiteRT, ONNX Runtime and OpenCV).
//!
//! Pipeline: BlazeFace short-range detection ([`detect`]) → MediaPipe face mesh ([`mesh`]) → geometry
//! (eye aspect ratio, mouth opening, head pose by solvePnP, [`geometry`]) → quality gate ([`quality`]) →
//! active liveness ([`liveness`]) → embedding and 1:1 match ([`embed`]: FaceNet, or ArcFace of the optional
//! face pack, [`arcface`]). Models come from
//! `make models` (see `models/manifest.tsv`); nothing is downloaded at run time. Detector and mesh run on
//! LiteRT (XNNPACK) by default, or on ONNX Runtime or OpenCV `dnn` ([`engine`]); ArcFace on ONNX Runtime;
//! FaceNet and the PAD CNNs on OpenCV `dnn`.

pub mod arcface;
pub mod cli;
pub mod depth;
pub mod detect;
pub mod document;
pub mod embed;
pub mod engine;
pub mod eval;
pub mod flash;
pub mod geometry;
pub mod hand;
pub mod identity;
pub mod image;
pub mod litert;
pub mod liveness;
pub mod mesh;
pub mod models;
pub mod nir;
pub mod pad;
pub mod passive;
pub mod pipeline;
pub mod quality;
pub mod recordings;
pub mod synth;
pub mod verifier;

pub use arcface::ArcFace;
pub use detect::{BlazeFace, Detection, FaceBox};
pub use document::{DocumentError, ScanConfig, ScannedPage};
pub use embed::{
    ARCFACE_MATCH_THRESHOLD, Embedder, Embedding, FACENET_CONFIRM_THRESHOLD, FaceModel, FaceNet,
    MATCH_THRESHOLD,
};
pub use engine::Engine;
pub use mesh::{FaceMesh, Landmarks};
pub use models::{ModelPaths, VisionError};
pub use pipeline::{FacePipeline, Observation};

/// The median of `v` (the mean of the two middle values for an even count); None when empty.
pub(crate) fn median(v: &[f32]) -> Option<f32> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f32::total_cmp);
    let n = s.len();
    Some(if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    })
}
