//! FaceNet (Inception-ResNet, VGGFace2, 512-d): 160×160 RGB crop of 1.3× the detector box, prewhitened
//! (per-image mean/std); output L2-normalised. Cosine similarity on the registry photos: same person
//! 0.74–0.78, different ≤ 0.41 (see vision/README.md), threshold [`MATCH_THRESHOLD`].

use std::fmt;

use opencv::core::{CV_32F, Mat, Scalar, Size};
use opencv::dnn::{self, Net};
use opencv::prelude::*;

use crate::detect::Detection;
use crate::image::square_crop;
use crate::models::{ModelPaths, Result, VisionError, path_str};

/// Cosine similarity at or above which two faces are the same person.
pub const MATCH_THRESHOLD: f32 = 0.60;
const DIM: usize = 512;
const CROP_SCALE: f32 = 1.3;

/// A face embedding. Biometric data: `Debug` never prints the values.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Embedding(Vec<f32>);

impl fmt::Debug for Embedding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Embedding({}-d, masked)", self.0.len())
    }
}

impl Embedding {
    /// From raw values (normalised here); fails on a wrong length or a zero vector.
    pub fn from_values(v: Vec<f32>) -> Result<Self> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if v.len() != DIM || !n.is_finite() || n == 0.0 {
            return Err(VisionError::Template(format!(
                "expected {DIM} finite values, got {}",
                v.len()
            )));
        }
        Ok(Self(v.into_iter().map(|x| x / n).collect()))
    }

    /// Cosine similarity.
    pub fn cosine(&self, o: &Embedding) -> f32 {
        self.0.iter().zip(&o.0).map(|(a, b)| a * b).sum()
    }

    /// Serialises as a versioned JSON template.
    pub fn to_template(&self) -> String {
        serde_json::json!({"kind": "jiuzhu-face-template", "version": 1, "model": "facenet-vggface2-512", "values": self.0})
            .to_string()
    }

    /// Parses a template written by [`Embedding::to_template`].
    pub fn from_template(s: &str) -> Result<Self> {
        let v: serde_json::Value =
            serde_json::from_str(s).map_err(|e| VisionError::Template(e.to_string()))?;
        if v["kind"] != "jiuzhu-face-template" || v["version"] != 1 {
            return Err(VisionError::Template(
                "not a version-1 jiuzhu face template".into(),
            ));
        }
        let values: Vec<f32> = serde_json::from_value(v["values"].clone())
            .map_err(|e| VisionError::Template(e.to_string()))?;
        Self::from_values(values)
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
        Embedding::from_values(out.data_typed::<f32>()?.to_vec())
    }
}
