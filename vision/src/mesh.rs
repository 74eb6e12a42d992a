//! MediaPipe face mesh: 192×192 RGB input scaled to 0..1; outputs 468×(x, y, z) in input pixels and a
//! face-presence logit. The crop is a square around the face (1.5× the detector box, or the previous
//! frame's landmarks when tracking), mapped back to image pixels here.

use opencv::core::Mat;

use crate::engine::{Engine, Model};
use crate::image::square_crop;
use crate::models::{ModelPaths, Result};

const INPUT: i32 = 192;
/// Number of mesh points.
pub const POINTS: usize = 468;

/// 468 landmarks in image pixels (z in the same scale as x, relative to the face centre).
#[derive(Clone, Debug, PartialEq)]
pub struct Landmarks {
    /// Points (x, y, z).
    pub points: Vec<[f32; 3]>,
    /// Face presence in 0..1.
    pub score: f32,
}

impl Landmarks {
    /// The point `i` as (x, y).
    pub fn xy(&self, i: usize) -> (f32, f32) {
        (self.points[i][0], self.points[i][1])
    }

    /// Bounding square (cx, cy, side) of the points in x/y.
    pub fn extent(&self) -> (f32, f32, f32) {
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for p in &self.points {
            x0 = x0.min(p[0]);
            x1 = x1.max(p[0]);
            y0 = y0.min(p[1]);
            y1 = y1.max(p[1]);
        }
        ((x0 + x1) / 2.0, (y0 + y1) / 2.0, (x1 - x0).max(y1 - y0))
    }
}

/// The face-mesh network.
pub struct FaceMesh {
    net: Model,
}

impl FaceMesh {
    /// Loads the converted model from the cache with the engine of [`Engine::from_env`].
    pub fn load(paths: &ModelPaths) -> Result<Self> {
        Self::load_with(paths, Engine::from_env()?)
    }

    /// Loads the converted model from the cache for `engine` (ONNX Runtime runs the PRelu-rewritten
    /// copy, [`ModelPaths::mesh_ort`]; same function, about 3× faster there).
    pub fn load_with(paths: &ModelPaths, engine: Engine) -> Result<Self> {
        let file = match engine {
            Engine::OnnxRuntime => paths.mesh_ort()?,
            Engine::OpenCv => paths.mesh()?,
            Engine::LiteRt => paths.mesh_tflite()?,
        };
        let net = Model::load(
            engine,
            paths,
            &file,
            [1, 3, INPUT as usize, INPUT as usize],
            &["conv2d_20", "conv2d_30"],
        )?;
        Ok(Self { net })
    }

    /// The engine running the network.
    pub fn engine(&self) -> Engine {
        self.net.engine()
    }

    /// Landmarks inside the square crop centred on (`cx`, `cy`) with side `side`.
    pub fn run(&mut self, bgr: &Mat, cx: f32, cy: f32, side: f32) -> Result<Landmarks> {
        let (crop, [k, tx, ty]) = square_crop(bgr, cx, cy, side, INPUT)?;
        let mut outs = self.net.forward_bgr(&crop, 1.0 / 255.0, 0.0)?.into_iter();
        let raw = outs.next().unwrap_or_default();
        let logit = outs
            .next()
            .and_then(|v| v.first().copied())
            .unwrap_or(-100.0);
        let points = raw
            .chunks_exact(3)
            .take(POINTS)
            .map(|p| [(p[0] - tx) / k, (p[1] - ty) / k, p[2] / k])
            .collect();
        Ok(Landmarks {
            points,
            score: 1.0 / (1.0 + (-logit.clamp(-100.0, 100.0)).exp()),
        })
    }
}
