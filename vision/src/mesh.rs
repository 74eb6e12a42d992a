//! MediaPipe face mesh: 192×192 RGB input scaled to 0..1; outputs 468×(x, y, z) in input pixels and a
//! face-presence logit. The crop is a square around the face (1.5× the detector box, or the previous
//! frame's landmarks when tracking), mapped back to image pixels here.

use opencv::core::{Mat, Scalar, Size, Vector};
use opencv::dnn::{self, Net};
use opencv::prelude::*;

use crate::image::square_crop;
use crate::models::{ModelPaths, Result, path_str};

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
    net: Net,
    out_names: Vector<String>,
}

impl FaceMesh {
    /// Loads the converted model from the cache.
    pub fn load(paths: &ModelPaths) -> Result<Self> {
        let net = dnn::read_net_from_onnx(path_str(&paths.mesh()?))?;
        Ok(Self {
            net,
            out_names: names(["conv2d_20", "conv2d_30"]),
        })
    }

    /// Landmarks inside the square crop centred on (`cx`, `cy`) with side `side`.
    pub fn run(&mut self, bgr: &Mat, cx: f32, cy: f32, side: f32) -> Result<Landmarks> {
        let (crop, [k, tx, ty]) = square_crop(bgr, cx, cy, side, INPUT)?;
        let blob = dnn::blob_from_image(
            &crop,
            1.0 / 255.0,
            Size::new(INPUT, INPUT),
            Scalar::default(),
            true,
            false,
            opencv::core::CV_32F,
        )?;
        self.net.set_input_def(&blob)?;
        let mut outs: Vector<Mat> = Vector::new();
        self.net.forward(&mut outs, &self.out_names)?;
        let raw = outs.get(0)?;
        let raw = raw.data_typed::<f32>()?;
        let logit = *outs.get(1)?.data_typed::<f32>()?.first().unwrap_or(&-100.0);
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

fn names<const N: usize>(n: [&str; N]) -> Vector<String> {
    let mut v = Vector::new();
    for s in n {
        v.push(s);
    }
    v
}
