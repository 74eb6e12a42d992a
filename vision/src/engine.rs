//! The inference engine of the detector and the face mesh: LiteRT with XNNPACK (the default; the runtime
//! MediaPipe uses, on the original `.tflite` files, [`crate::litert`]), ONNX Runtime or OpenCV 4.6 `dnn`.
//!
//! ONNX Runtime is the shared library of the onnxruntime PyPI wheel (`models/manifest.tsv`), cached by
//! `make models` next to the models and loaded at run time (`ort` crate, feature `load-dynamic`): nothing
//! is downloaded, and a missing library is [`VisionError::MissingModel`] naming `make models`; LiteRT's
//! library comes the same way, from the ai-edge-litert wheel. Every engine runs on one thread (ONNX
//! Runtime: intra-op 1, inter-op 1, sequential execution; LiteRT: XNNPACK with one thread); a [`Model`]
//! is created once and reused for every frame. The face pack's ArcFace runs on it too; FaceNet and the PAD CNNs
//! stay on OpenCV `dnn`.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use opencv::core::{Mat, Vector};
use opencv::dnn;
use opencv::prelude::*;

use crate::models::{ModelPaths, Result, VisionError, path_str};

/// Environment variable that selects the engine (`onnxruntime` or `opencv`) when the caller does not.
pub const ENGINE_ENV: &str = "JIUZHU_VISION_ENGINE";

/// Which library runs the detector and the mesh.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    /// ONNX Runtime from the onnxruntime wheel (about twice as fast as OpenCV here, see README; runs
    /// the face pack's ArcFace whatever the engine).
    OnnxRuntime,
    /// OpenCV 4.6 `dnn` (Debian `libopencv-dnn406`).
    OpenCv,
    /// LiteRT 2.2 (TensorFlow Lite) with XNNPACK, from the ai-edge-litert wheel, on the original
    /// `.tflite` files: the default, the fastest here (see `vision/README.md`, "Speed against MediaPipe").
    #[default]
    LiteRt,
}

impl Engine {
    /// `onnxruntime` (or `ort`), `litert` (or `tflite`) and `opencv` (or `opencv-dnn`).
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "onnxruntime" | "ort" | "onnx_runtime" => Ok(Self::OnnxRuntime),
            "opencv" | "opencv-dnn" | "opencv_dnn" | "dnn" => Ok(Self::OpenCv),
            "litert" | "tflite" | "xnnpack" => Ok(Self::LiteRt),
            other => Err(VisionError::Engine(format!(
                "unknown inference engine {other:?}: use onnxruntime, litert or opencv"
            ))),
        }
    }

    /// `$JIUZHU_VISION_ENGINE` when set (an unknown name is an error), else the default.
    pub fn from_env() -> Result<Self> {
        match std::env::var(ENGINE_ENV) {
            Ok(v) if !v.trim().is_empty() => Self::parse(&v),
            _ => Ok(Self::default()),
        }
    }

    /// The name [`Engine::parse`] reads back.
    pub fn name(self) -> &'static str {
        match self {
            Self::OnnxRuntime => "onnxruntime",
            Self::OpenCv => "opencv",
            Self::LiteRt => "litert",
        }
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Where ONNX Runtime was loaded from in this process (it can be loaded once).
static RUNTIME: Mutex<Option<PathBuf>> = Mutex::new(None);
/// The process's ONNX Runtime environment, kept alive for its sessions.
static ENVIRONMENT: OnceLock<ort::environment::Environment> = OnceLock::new();

/// Loads ONNX Runtime from the model cache (once per process) and returns its environment.
pub fn load_runtime(paths: &ModelPaths) -> Result<&'static ort::environment::Environment> {
    let lib = paths.onnxruntime()?;
    let canonical = std::fs::canonicalize(&lib).unwrap_or_else(|_| lib.clone());
    let mut loaded = RUNTIME.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(prev) = loaded.as_ref() {
        return match ENVIRONMENT.get() {
            Some(env) if *prev == canonical => Ok(env),
            _ => Err(VisionError::Runtime {
                path: lib,
                reason: format!(
                    "this process already loaded ONNX Runtime from {}",
                    prev.display()
                ),
            }),
        };
    }
    let runtime_err = |reason: String| VisionError::Runtime {
        path: lib.clone(),
        reason,
    };
    // dlopen of a truncated library maps pages past its end and dies of SIGBUS: check first
    check_elf(&canonical).map_err(runtime_err)?;
    let env = ort::init_from(&canonical)
        .map_err(|e| runtime_err(e.to_string()))?
        .with_name("jiuzhu-vision")
        .with_telemetry(false)
        .build()
        .map_err(|e| runtime_err(e.to_string()))?;
    let env = ENVIRONMENT.get_or_init(|| env);
    *loaded = Some(canonical);
    Ok(env)
}

/// Checks that `path` is a whole 64-bit little-endian ELF shared object: every loadable segment and
/// the section headers lie inside the file (a cut-off download or copy does not).
pub(crate) fn check_elf(path: &Path) -> std::result::Result<(), String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let len = f.metadata().map_err(|e| e.to_string())?.len();
    let mut h = [0u8; 64];
    f.read_exact(&mut h)
        .map_err(|_| format!("not a shared library ({len} bytes)"))?;
    if &h[..4] != b"\x7fELF" || h[4] != 2 || h[5] != 1 {
        return Err("not a 64-bit little-endian ELF shared library".into());
    }
    let u16_at = |o: usize| u64::from(u16::from_le_bytes([h[o], h[o + 1]]));
    let u64_at = |b: &[u8], o: usize| {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[o..o + 8]);
        u64::from_le_bytes(a)
    };
    let (phoff, shoff) = (u64_at(&h, 32), u64_at(&h, 40));
    let (phentsize, phnum) = (u16_at(54), u16_at(56));
    let (shentsize, shnum) = (u16_at(58), u16_at(60));
    let truncated = || format!("truncated: {len} bytes (run `make models` to fetch it again)");
    if shoff.saturating_add(shentsize * shnum) > len
        || phoff.saturating_add(phentsize * phnum) > len
    {
        return Err(truncated());
    }
    if phentsize < 56 {
        return Err("malformed ELF program headers".into());
    }
    let mut ph = vec![0u8; (phentsize * phnum) as usize];
    f.seek(SeekFrom::Start(phoff)).map_err(|e| e.to_string())?;
    f.read_exact(&mut ph).map_err(|e| e.to_string())?;
    for e in ph.chunks_exact(phentsize as usize) {
        let p_type = u32::from_le_bytes([e[0], e[1], e[2], e[3]]);
        let (offset, filesz) = (u64_at(e, 8), u64_at(e, 32));
        if p_type == 1 && offset.saturating_add(filesz) > len {
            return Err(truncated());
        }
    }
    Ok(())
}

/// Start-up check of a kiosk with a face camera: the engine of `$JIUZHU_VISION_ENGINE` (default
/// LiteRT) is known, the detector, mesh and FaceNet models are in `paths`, and with ONNX Runtime its
/// library is there and loads. Fails as loading the pipeline would (missing files name `make models`).
pub fn preflight(paths: &ModelPaths) -> Result<Engine> {
    let engine = Engine::from_env()?;
    paths.detector()?;
    paths.mesh()?;
    paths.facenet()?;
    match engine {
        Engine::OnnxRuntime => {
            paths.mesh_ort()?;
            load_runtime(paths)?;
        }
        Engine::LiteRt => {
            paths.detector_tflite()?;
            paths.mesh_tflite()?;
            crate::litert::preflight(paths)?;
        }
        Engine::OpenCv => {}
    }
    Ok(engine)
}

/// One session on one thread: intra-op 1, inter-op 1, sequential, all graph optimisations.
fn ort_session(
    env: &ort::environment::Environment,
    file: &Path,
) -> std::result::Result<ort::session::Session, String> {
    fn msg(e: impl std::fmt::Display) -> String {
        e.to_string()
    }
    ort::session::Session::builder(env)
        .map_err(msg)?
        .with_intra_threads(1)
        .map_err(msg)?
        .with_inter_threads(1)
        .map_err(msg)?
        .with_parallel_execution(false)
        .map_err(msg)?
        .with_intra_op_spinning(false)
        .map_err(msg)?
        .with_optimization_level(ort::session::builder::GraphOptimizationLevel::Level3)
        .map_err(msg)?
        .commit_from_file(file)
        .map_err(msg)
}

enum Inner {
    Ort {
        session: Box<ort::session::Session>,
        input: String,
    },
    OpenCv {
        net: dnn::Net,
        out_names: Vector<String>,
    },
    LiteRt(Box<crate::litert::LiteRtModel>),
}

/// One network (NCHW float input, float outputs), loaded once with its engine.
pub struct Model {
    inner: Inner,
    file: PathBuf,
    input_shape: [usize; 4],
    outputs: Vec<String>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("engine", &self.engine())
            .field("file", &self.file)
            .field("input_shape", &self.input_shape)
            .field("outputs", &self.outputs)
            .finish()
    }
}

impl Model {
    /// Loads `file` for `engine`; `input_shape` is the one input the network takes (NCHW) and
    /// `outputs` the outputs [`Model::forward`] returns, in that order.
    pub fn load(
        engine: Engine,
        paths: &ModelPaths,
        file: &Path,
        input_shape: [usize; 4],
        outputs: &[&str],
    ) -> Result<Self> {
        if !file.is_file() {
            return Err(VisionError::MissingModel(file.to_path_buf()));
        }
        let inner = match engine {
            Engine::OpenCv => {
                let mut out_names = Vector::new();
                for o in outputs {
                    out_names.push(*o);
                }
                Inner::OpenCv {
                    net: dnn::read_net_from_onnx(path_str(file).as_str())?,
                    out_names,
                }
            }
            Engine::OnnxRuntime => {
                let env = load_runtime(paths)?;
                let err = |e: String| VisionError::Inference {
                    model: file.to_path_buf(),
                    reason: e,
                };
                let session = ort_session(env, file).map_err(err)?;
                let input = match session.inputs() {
                    [one] => one.name().to_string(),
                    other => {
                        return Err(err(format!(
                            "expected one input, the model has {}",
                            other.len()
                        )));
                    }
                };
                let have: Vec<&str> = session.outputs().iter().map(|o| o.name()).collect();
                if let Some(missing) = outputs.iter().find(|o| !have.contains(o)) {
                    return Err(err(format!(
                        "no output {missing:?} (the model has {have:?})"
                    )));
                }
                Inner::Ort {
                    session: Box::new(session),
                    input,
                }
            }
            Engine::LiteRt => {
                let m = crate::litert::LiteRtModel::load(paths, file)?;
                let err = |e: String| VisionError::Inference {
                    model: file.to_path_buf(),
                    reason: format!("LiteRT: {e}"),
                };
                // the .tflite takes NHWC
                let [n, c, h, w] = input_shape;
                if m.input_shape() != [n, h, w, c] {
                    return Err(err(format!(
                        "the model takes input {:?}, expected {:?} (NHWC)",
                        m.input_shape(),
                        [n, h, w, c]
                    )));
                }
                if let Some(missing) = outputs
                    .iter()
                    .find(|o| !m.output_names().iter().any(|n| n == *o))
                {
                    return Err(err(format!(
                        "no output {missing:?} (the model has {:?})",
                        m.output_names()
                    )));
                }
                Inner::LiteRt(Box::new(m))
            }
        };
        Ok(Self {
            inner,
            file: file.to_path_buf(),
            input_shape,
            outputs: outputs.iter().map(|s| s.to_string()).collect(),
        })
    }

    /// The engine this model runs on.
    pub fn engine(&self) -> Engine {
        match self.inner {
            Inner::Ort { .. } => Engine::OnnxRuntime,
            Inner::OpenCv { .. } => Engine::OpenCv,
            Inner::LiteRt(_) => Engine::LiteRt,
        }
    }

    /// Runs the network on an 8-bit BGR image of the input's size: as RGB, each value `(v - mean) ·
    /// scale` (what `dnn::blob_from_image(bgr, scale, size, mean, swapRB)` computes). LiteRT reads it
    /// straight into its input buffer (NHWC); the other engines through the NCHW blob.
    pub fn forward_bgr(&mut self, bgr: &Mat, scale: f64, mean: f64) -> Result<Vec<Vec<f32>>> {
        let [_, c, h, w] = self.input_shape;
        if let Inner::LiteRt(m) = &mut self.inner {
            if bgr.typ() != opencv::core::CV_8UC3
                || c != 3
                || bgr.rows() as usize != h
                || bgr.cols() as usize != w
            {
                let got = vec![
                    1,
                    bgr.channels() as usize,
                    bgr.rows() as usize,
                    bgr.cols() as usize,
                ];
                return Err(self.shape_error(got));
            }
            let owned;
            let bgr = if bgr.is_continuous() {
                bgr
            } else {
                owned = bgr.try_clone()?;
                &owned
            };
            let src = bgr.data_bytes()?;
            let (scale, offset) = (scale as f32, (mean * scale) as f32);
            return m.run(
                |dst| {
                    for (d, s) in dst.chunks_exact_mut(3).zip(src.chunks_exact(3)) {
                        d[0] = f32::from(s[2]) * scale - offset;
                        d[1] = f32::from(s[1]) * scale - offset;
                        d[2] = f32::from(s[0]) * scale - offset;
                    }
                },
                &self.outputs,
            );
        }
        let blob = dnn::blob_from_image(
            bgr,
            scale,
            opencv::core::Size::new(w as i32, h as i32),
            opencv::core::Scalar::all(mean),
            true,
            false,
            opencv::core::CV_32F,
        )?;
        self.forward_blob(&blob)
    }

    /// The NCHW input shape.
    pub fn input_shape(&self) -> [usize; 4] {
        self.input_shape
    }

    /// Runs the network on a 4-D float blob (as `dnn::blob_from_image` makes) and returns the named
    /// outputs, flattened. A blob of another shape is [`VisionError::InputShape`].
    pub fn forward_blob(&mut self, blob: &Mat) -> Result<Vec<Vec<f32>>> {
        let got: Vec<usize> = (0..blob.dims())
            .map(|i| blob.mat_size().get(i).map(|d| d.max(0) as usize))
            .collect::<opencv::Result<_>>()?;
        if got != self.input_shape {
            return Err(self.shape_error(got));
        }
        match &mut self.inner {
            Inner::OpenCv { net, out_names } => forward_opencv(net, out_names, blob),
            Inner::Ort { .. } | Inner::LiteRt(_) => {
                let shape = self.input_shape;
                self.forward(blob.data_typed::<f32>()?, shape)
            }
        }
    }

    /// Runs the network on `data` of shape `shape` (NCHW, row-major) and returns the named outputs.
    pub fn forward(&mut self, data: &[f32], shape: [usize; 4]) -> Result<Vec<Vec<f32>>> {
        if shape != self.input_shape || data.len() != shape.iter().product::<usize>() {
            let mut got = shape.to_vec();
            if data.len() != shape.iter().product::<usize>() {
                got = vec![data.len()];
            }
            return Err(self.shape_error(got));
        }
        let file = self.file.clone();
        let err = |e: String| VisionError::Inference {
            model: file.clone(),
            reason: e,
        };
        match &mut self.inner {
            Inner::OpenCv { net, out_names } => {
                let sizes: Vec<i32> = shape.iter().map(|&d| d as i32).collect();
                let flat = Mat::from_slice(data)?;
                let blob = flat.reshape_nd(1, &sizes)?.try_clone()?;
                forward_opencv(net, out_names, &blob)
            }
            Inner::Ort { session, input } => {
                let tensor = ort::value::TensorRef::from_array_view((shape, data))
                    .map_err(|e| err(e.to_string()))?;
                let outs = session
                    .run(ort::inputs![input.as_str() => tensor])
                    .map_err(|e| err(e.to_string()))?;
                self.outputs
                    .iter()
                    .map(|name| {
                        let v = outs
                            .get(name.as_str())
                            .ok_or_else(|| err(format!("no output {name:?}")))?;
                        let (_, data) = v
                            .try_extract_tensor::<f32>()
                            .map_err(|e| err(e.to_string()))?;
                        Ok(data.to_vec())
                    })
                    .collect()
            }
            Inner::LiteRt(m) => {
                // NCHW in, NHWC for the .tflite
                let [_, c, h, w] = shape;
                m.run(
                    |dst| {
                        for (i, d) in dst.iter_mut().enumerate() {
                            let (ch, px) = (i % c, i / c);
                            *d = data[ch * h * w + px];
                        }
                    },
                    &self.outputs,
                )
            }
        }
    }

    fn shape_error(&self, got: Vec<usize>) -> VisionError {
        VisionError::InputShape {
            model: self.file.clone(),
            want: self.input_shape.to_vec(),
            got,
        }
    }
}

fn forward_opencv(
    net: &mut dnn::Net,
    out_names: &Vector<String>,
    blob: &Mat,
) -> Result<Vec<Vec<f32>>> {
    net.set_input_def(blob)?;
    let mut outs: Vector<Mat> = Vector::new();
    net.forward(&mut outs, out_names)?;
    outs.iter()
        .map(|m| Ok(m.data_typed::<f32>()?.to_vec()))
        .collect()
}
