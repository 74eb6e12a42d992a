//! Face embeddings and 1:1 matching. Two models:
//!
//! * FaceNet (Inception-ResNet, VGGFace2, 512-d; the default, shipped by `make models`): 160×160 RGB
//!   crop of 1.3× the detector box, prewhitened (per-image mean/std); output L2-normalised. Threshold
//!   [`MATCH_THRESHOLD`].
//! * ArcFace (InsightFace `w600k_mbf`, 512-d; the optional face pack, `make face-pack`, non-commercial
//!   research only): a 112×112 crop aligned on five mesh points ([`crate::arcface`]). Threshold
//!   [`ARCFACE_MATCH_THRESHOLD`].
//!
//! Every [`Embedding`] carries its [`FaceModel`]; embeddings of different models are not comparable
//! and [`Embedding::cosine`] refuses them.

use std::fmt;

use opencv::core::{CV_32F, Mat, Scalar, Size};
use opencv::dnn::{self, Net};
use opencv::prelude::*;

use crate::arcface::ArcFace;
use crate::detect::Detection;
use crate::image::square_crop;
use crate::mesh::Landmarks;
use crate::models::{ModelPaths, Result, VisionError, path_str};

/// FaceNet's cosine similarity at or above which two faces may be the same person: below it the
/// face check refuses the match. Above it FaceNet is not sure enough to let the face alone certify
/// ([`FACENET_CONFIRM_THRESHOLD`]): on the real faces of `vision/far` it accepts 84 / 19,214
/// impostor pairs (0.44 %), and 47 / 703 (6.7 %) of the East Asian ones.
pub const MATCH_THRESHOLD: f32 = 0.60;
/// FaceNet's cosine at or above which the match is confirmed by the face alone (false accepts
/// ≤ 0.1 %); between [`MATCH_THRESHOLD`] and this the kiosk asks for a second factor (fingerprint
/// or staff). Chosen as ArcFace's threshold was, on the East Asian-heavy half of `vision/far`'s
/// real faces (703 impostor pairs; highest 0.768, rounded up), and reported on the other half
/// (2026-12-07): 1 / 12,085 impostor pairs accepted (0.008 %); on all 204 faces 1 / 19,214. It
/// confirms 120 / 1,201 genuine web-photo pairs (decades apart, sunglasses) and 53 / 81 pairs of
/// frames of one recording: most genuine FaceNet sessions need the second factor (vision/README.md).
pub const FACENET_CONFIRM_THRESHOLD: f32 = 0.77;
/// ArcFace's (`w600k_mbf`) cosine similarity at or above which two faces are the same person, chosen on
/// one half of the real faces and reported on the other (`vision/far`, 2026-12-07): on the East
/// Asian-heavy half (703 impostor pairs: a Chinese basketball team, Taiwanese schoolgirls, Korean and
/// Chinese portraits, the kiosk's population) the highest impostor is 0.317, rounded up to 0.32; on the
/// other half it accepts 0 of 12,085 impostor pairs and rejects 247 / 1,200 genuine web-photo pairs
/// (20.6 %: decades apart, sunglasses, black and white) and 0 / 45 video-frame pairs. On all 204 faces
/// (61–78 people): 0 / 19,214 impostors accepted. FaceNet at 0.60 accepts 84 / 19,214 there.
pub const ARCFACE_MATCH_THRESHOLD: f32 = 0.32;
pub(crate) const DIM: usize = 512;
const CROP_SCALE: f32 = 1.3;

/// The network an embedding was made with (the template's `model` field).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum FaceModel {
    /// FaceNet, VGGFace2, 512-d (`facenet-vggface2-512`): the default, in `make models`.
    #[default]
    #[serde(rename = "facenet-vggface2-512")]
    FaceNet,
    /// InsightFace ArcFace `w600k_mbf`, 512-d (`insightface-w600k-mbf-512`): the face pack.
    #[serde(rename = "insightface-w600k-mbf-512")]
    ArcFace,
}

impl FaceModel {
    /// Both models.
    pub const ALL: [FaceModel; 2] = [FaceModel::FaceNet, FaceModel::ArcFace];

    /// The identifier written into templates.
    pub fn id(self) -> &'static str {
        match self {
            Self::FaceNet => "facenet-vggface2-512",
            Self::ArcFace => "insightface-w600k-mbf-512",
        }
    }

    /// The short name of the command-line option (`facenet`, `arcface`).
    pub fn name(self) -> &'static str {
        match self {
            Self::FaceNet => "facenet",
            Self::ArcFace => "arcface",
        }
    }

    /// A short name ([`FaceModel::name`]) or a template identifier ([`FaceModel::id`]).
    pub fn parse(s: &str) -> Result<Self> {
        let s = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|m| s == m.name() || s == m.id())
            .ok_or_else(|| {
                VisionError::Template(format!("unknown face model {s:?}: use facenet or arcface"))
            })
    }

    /// Cosine similarity at or above which two faces of this model may be the same person (below
    /// it the match is refused).
    pub fn threshold(self) -> f32 {
        match self {
            Self::FaceNet => MATCH_THRESHOLD,
            Self::ArcFace => ARCFACE_MATCH_THRESHOLD,
        }
    }

    /// Cosine similarity at or above which this model confirms the person by the face alone, with
    /// false accepts ≤ 0.1 % on East Asian faces (`vision/far`): FaceNet
    /// [`FACENET_CONFIRM_THRESHOLD`], ArcFace its [`ARCFACE_MATCH_THRESHOLD`] (no impostor of
    /// 19,214 reaches it). Between [`FaceModel::threshold`] and this the kiosk asks for a second
    /// factor.
    pub fn confirm_threshold(self) -> f32 {
        match self {
            Self::FaceNet => FACENET_CONFIRM_THRESHOLD,
            Self::ArcFace => ARCFACE_MATCH_THRESHOLD,
        }
    }

    /// The identity-continuity limit ([`crate::identity`]: a deciding sample's support and two
    /// deciding samples' cosine must reach it; a face swapped in for an action falls under it).
    /// FaceNet 0.55, chosen on the generated clips under the rule of 2026-12-07 (`pad_report 4 3
    /// --kinds genuine,swap`: genuine sessions 0.72–0.95, the swaps that only this check could catch
    /// 0.28–0.45) and reported on the independent set (genuine 0.63–0.97) and on real recordings
    /// (0.82–0.91, vision/README.md); the rule before it compared every pair of samples against 0.45
    /// and refused a real person who covered her face. ArcFace 0.25, above its impostor 99th
    /// percentile 0.153 on REPORT.md's real pairs and between the generated clips' swaps
    /// (−0.04–0.03) and genuine sessions (0.51–0.96) of `examples/model_compare.rs` (measured under
    /// the earlier rule); provisional.
    pub fn identity_min(self) -> f32 {
        match self {
            Self::FaceNet => 0.55,
            Self::ArcFace => 0.25,
        }
    }
}

impl fmt::Display for FaceModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A face embedding and the model that made it. Biometric data: `Debug` never prints the values.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Embedding {
    model: FaceModel,
    values: Vec<f32>,
}

impl fmt::Debug for Embedding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Embedding({}, {}-d, masked)",
            self.model.name(),
            self.values.len()
        )
    }
}

impl Embedding {
    /// From raw values of `model` (normalised here); fails on a wrong length or a zero vector.
    pub fn from_values(model: FaceModel, v: Vec<f32>) -> Result<Self> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if v.len() != DIM || !n.is_finite() || n == 0.0 {
            return Err(VisionError::Template(format!(
                "expected {DIM} finite values, got {}",
                v.len()
            )));
        }
        Ok(Self {
            model,
            values: v.into_iter().map(|x| x / n).collect(),
        })
    }

    /// The model that made this embedding.
    pub fn model(&self) -> FaceModel {
        self.model
    }

    /// Cosine similarity; embeddings of different models are [`VisionError::ModelMismatch`] (their
    /// spaces have nothing in common: a number would be meaningless).
    pub fn cosine(&self, o: &Embedding) -> Result<f32> {
        if self.model != o.model {
            return Err(VisionError::ModelMismatch {
                a: self.model,
                b: o.model,
            });
        }
        Ok(self.values.iter().zip(&o.values).map(|(a, b)| a * b).sum())
    }

    /// True when `o` is the same person by this model's threshold ([`FaceModel::threshold`]).
    pub fn matches(&self, o: &Embedding) -> Result<bool> {
        Ok(self.cosine(o)? >= self.model.threshold())
    }

    /// Serialises as a versioned JSON template naming the model.
    pub fn to_template(&self) -> String {
        serde_json::json!({"kind": "jiuzhu-face-template", "version": 1, "model": self.model.id(), "values": self.values})
            .to_string()
    }

    /// Parses a template written by [`Embedding::to_template`]: either model; a template without a
    /// `model` field is FaceNet's (the only model before the face pack); an unknown model is an error.
    pub fn from_template(s: &str) -> Result<Self> {
        let v: serde_json::Value =
            serde_json::from_str(s).map_err(|e| VisionError::Template(e.to_string()))?;
        if v["kind"] != "jiuzhu-face-template" || v["version"] != 1 {
            return Err(VisionError::Template(
                "not a version-1 jiuzhu face template".into(),
            ));
        }
        let model = match &v["model"] {
            serde_json::Value::Null => FaceModel::FaceNet,
            serde_json::Value::String(id) => FaceModel::ALL
                .into_iter()
                .find(|m| m.id() == id)
                .ok_or_else(|| {
                    VisionError::Template(format!(
                        "unknown face model {id:?} (this kiosk knows {} and {})",
                        FaceModel::FaceNet.id(),
                        FaceModel::ArcFace.id()
                    ))
                })?,
            other => {
                return Err(VisionError::Template(format!(
                    "the model field is not a string: {other}"
                )));
            }
        };
        let values: Vec<f32> = serde_json::from_value(v["values"].clone())
            .map_err(|e| VisionError::Template(e.to_string()))?;
        Self::from_values(model, values)
    }
}

/// The embedder of one [`FaceModel`]: FaceNet crops from the detector box, ArcFace aligns on the mesh.
pub enum Embedder {
    /// FaceNet on OpenCV `dnn`.
    FaceNet(FaceNet),
    /// ArcFace on the engine it was loaded with.
    ArcFace(ArcFace),
}

impl Embedder {
    /// Loads the embedder of `model` (ArcFace on the engine of [`crate::Engine::from_env`]); ArcFace
    /// without the face pack is [`VisionError::FacePackMissing`].
    pub fn load(paths: &ModelPaths, model: FaceModel) -> Result<Self> {
        Ok(match model {
            FaceModel::FaceNet => Self::FaceNet(FaceNet::load(paths)?),
            FaceModel::ArcFace => Self::ArcFace(ArcFace::load(paths)?),
        })
    }

    /// The model this embedder makes embeddings of.
    pub fn model(&self) -> FaceModel {
        match self {
            Self::FaceNet(_) => FaceModel::FaceNet,
            Self::ArcFace(_) => FaceModel::ArcFace,
        }
    }

    /// Embedding of one face: FaceNet uses the detection `det`, ArcFace the mesh landmarks `lm`.
    pub fn embed(&mut self, bgr: &Mat, det: &Detection, lm: &Landmarks) -> Result<Embedding> {
        match self {
            Self::FaceNet(n) => n.embed(bgr, det),
            Self::ArcFace(n) => n.embed(bgr, lm),
        }
    }
}

/// The FaceNet network.
pub struct FaceNet {
    net: Net,
}

impl FaceNet {
    /// Loads the graph from the cache.
    pub fn load(paths: &ModelPaths) -> Result<Self> {
        Ok(Self {
            net: dnn::read_net_from_tensorflow(&path_str(&paths.facenet()?), "")?,
        })
    }

    /// Embedding of the detected face.
    pub fn embed(&mut self, bgr: &Mat, det: &Detection) -> Result<Embedding> {
        let side = det.bbox.w.max(det.bbox.h) * CROP_SCALE;
        let (crop, _) = square_crop(bgr, det.bbox.cx, det.bbox.cy, side, 160)?;
        let mut f = Mat::default();
        crop.convert_to(&mut f, CV_32F, 1.0, 0.0)?;
        let (mut mean, mut std) = (Scalar::default(), Scalar::default());
        let flat = f.reshape(1, 1)?;
        opencv::core::mean_std_dev(&flat, &mut mean, &mut std, &opencv::core::no_array())?;
        let adj = std[0].max(1.0 / ((160 * 160 * 3) as f64).sqrt());
        let blob = dnn::blob_from_image(
            &f,
            1.0 / adj,
            Size::new(160, 160),
            Scalar::all(mean[0]),
            true,
            false,
            CV_32F,
        )?;
        self.net.set_input_def(&blob)?;
        let out = self.net.forward_single_def()?;
        Embedding::from_values(FaceModel::FaceNet, out.data_typed::<f32>()?.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(model: FaceModel, k: usize) -> Embedding {
        let mut v = vec![0.0; DIM];
        v[k] = 3.0;
        Embedding::from_values(model, v).unwrap()
    }

    #[test]
    fn templates_name_their_model_and_read_back_as_it() {
        for m in FaceModel::ALL {
            let e = unit(m, 7);
            let t = e.to_template();
            assert!(t.contains(&format!("\"model\":\"{}\"", m.id())), "{t}");
            let back = Embedding::from_template(&t).unwrap();
            assert_eq!(back.model(), m);
            assert_eq!(back, e);
            assert!(!format!("{back:?}").contains('.'));
        }
    }

    #[test]
    fn a_template_without_a_model_is_facenets_and_an_unknown_model_is_an_error() {
        let values = vec![0.5f32; DIM];
        let old =
            serde_json::json!({"kind": "jiuzhu-face-template", "version": 1, "values": values});
        let e = Embedding::from_template(&old.to_string()).unwrap();
        assert_eq!(e.model(), FaceModel::FaceNet);
        for bad in [serde_json::json!("dlib-resnet-128"), serde_json::json!(3)] {
            let t = serde_json::json!({"kind": "jiuzhu-face-template", "version": 1, "model": bad, "values": values});
            let err = Embedding::from_template(&t.to_string()).unwrap_err();
            assert!(matches!(err, VisionError::Template(_)), "{err:?}");
        }
    }

    #[test]
    fn models_are_never_compared_with_each_other() {
        let (f, a) = (unit(FaceModel::FaceNet, 1), unit(FaceModel::ArcFace, 1));
        assert!(matches!(
            f.cosine(&a),
            Err(VisionError::ModelMismatch {
                a: FaceModel::FaceNet,
                b: FaceModel::ArcFace
            })
        ));
        assert!(a.matches(&f).is_err());
        assert_eq!(f.cosine(&f).unwrap(), 1.0);
        assert_eq!(a.cosine(&unit(FaceModel::ArcFace, 2)).unwrap(), 0.0);
    }

    #[test]
    fn each_model_matches_by_its_own_threshold() {
        // two embeddings at cosine 0.5: the same person for ArcFace (0.32), not for FaceNet (0.60)
        for (m, same) in [(FaceModel::FaceNet, false), (FaceModel::ArcFace, true)] {
            let mut a = vec![0.0f32; DIM];
            let mut b = vec![0.0f32; DIM];
            a[0] = 1.0;
            b[0] = 0.5;
            b[1] = 0.75f32.sqrt();
            let (a, b) = (
                Embedding::from_values(m, a).unwrap(),
                Embedding::from_values(m, b).unwrap(),
            );
            assert!((a.cosine(&b).unwrap() - 0.5).abs() < 1e-6);
            assert_eq!(a.matches(&b).unwrap(), same, "{m}");
        }
    }

    #[test]
    fn the_face_alone_confirms_only_at_the_confirm_threshold() {
        for m in FaceModel::ALL {
            assert!(m.confirm_threshold() >= m.threshold(), "{m}");
        }
        // FaceNet has a band that needs a second factor, ArcFace (no false accept at 0.32) none
        assert!(FaceModel::FaceNet.confirm_threshold() > FaceModel::FaceNet.threshold());
        assert_eq!(
            FaceModel::ArcFace.confirm_threshold(),
            FaceModel::ArcFace.threshold()
        );
    }

    #[test]
    fn model_names_parse() {
        assert_eq!(FaceModel::parse("arcface").unwrap(), FaceModel::ArcFace);
        assert_eq!(FaceModel::parse(" FaceNet ").unwrap(), FaceModel::FaceNet);
        assert_eq!(
            FaceModel::parse("insightface-w600k-mbf-512").unwrap(),
            FaceModel::ArcFace
        );
        assert!(FaceModel::parse("dlib").is_err());
        assert_eq!(FaceModel::default(), FaceModel::FaceNet);
    }
}
