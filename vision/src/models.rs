//! Where the models live and the error type of the crate.

use std::path::{Path, PathBuf};

/// Errors of the vision pipeline.
#[derive(Debug, thiserror::Error)]
pub enum VisionError {
    /// A model or test file is not in the cache.
    #[error(
        "model file {0} is missing: run `make models` (models/fetch.sh) to fetch, convert and verify it"
    )]
    MissingModel(PathBuf),
    /// The image could not be read or decoded.
    #[error("cannot read image {0}: {1}")]
    Image(String, String),
    /// No face where one was required.
    #[error("no face found in {0}")]
    NoFace(String),
    /// A template file is malformed.
    #[error("bad face template: {0}")]
    Template(String),
    /// The ONNX Runtime library is there but cannot be loaded.
    #[error(
        "cannot load ONNX Runtime from {path}: {reason} (run `make models` to fetch it again, or select the OpenCV engine)"
    )]
    Runtime {
        /// The library file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// ONNX Runtime failed to load or run a model.
    #[error("ONNX Runtime, model {model}: {reason}")]
    Inference {
        /// The model file.
        model: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A network was given an input of the wrong shape.
    #[error("model {model} takes an input of shape {want:?}, got {got:?}")]
    InputShape {
        /// The model file.
        model: PathBuf,
        /// The shape it takes.
        want: Vec<usize>,
        /// The shape (or, when data and shape disagree, the element count) it was given.
        got: Vec<usize>,
    },
    /// Two embeddings of different models were compared.
    #[error(
        "face embeddings of different models cannot be compared: {a} against {b} (make the reference again with the model in use)"
    )]
    ModelMismatch {
        /// One model.
        a: crate::embed::FaceModel,
        /// The other.
        b: crate::embed::FaceModel,
    },
    /// The model of a face reference (or one asked for) is in the optional face pack, which is not
    /// installed.
    #[error(
        "the face reference was made with {model}, whose face pack is not installed on this kiosk (no {path}): install it with `make face-pack` (non-commercial research only, see its NOTICE), or enrol the person again with FaceNet"
    )]
    FacePackMissing {
        /// The model.
        model: crate::embed::FaceModel,
        /// Where its file was looked for.
        path: String,
    },
    /// An unknown inference engine was asked for.
    #[error("{0}")]
    Engine(String),
    /// OpenCV failed.
    #[error("OpenCV: {0}")]
    OpenCv(#[from] opencv::Error),
}

/// Result alias of the crate.
pub type Result<T> = std::result::Result<T, VisionError>;

/// File name of the ONNX Runtime library in the model cache (from the onnxruntime PyPI wheel, see
/// `models/manifest.tsv`).
pub const ONNXRUNTIME_LIB: &str = "libonnxruntime.so.1.31.1";

/// File name of the LiteRT library in the model cache (from the ai-edge-litert PyPI wheel, see
/// `models/manifest.tsv`).
pub const LITERT_LIB: &str = "libLiteRt.so.2.2.0";

/// The face pack's ArcFace model, relative to the model directory (`packaging/face-pack.sh`).
pub const ARCFACE_FILE: &str = "arcface/w600k_mbf.onnx";

/// Where the Debian package installs the models and the ONNX Runtime library.
pub const PACKAGED_DIR: &str = "/usr/share/jiuzhu/models";

/// The cached model files written by `make models`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelPaths {
    /// Cache directory: `$JIUZHU_MODELS`, else the package's `/usr/share/jiuzhu/models` when installed,
    /// else `~/.cache/jiuzhu/models` (written by `make models`).
    pub dir: PathBuf,
    /// The ArcFace model of the optional face pack (`make face-pack`, `arcface/w600k_mbf.onnx` in
    /// `dir`): Some only when the pack is installed.
    pub arcface: Option<PathBuf>,
}

impl ModelPaths {
    /// The default cache directory.
    pub fn locate() -> Self {
        let packaged = Path::new(PACKAGED_DIR);
        let dir = std::env::var_os("JIUZHU_MODELS")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                if packaged.is_dir() {
                    return packaged.to_path_buf();
                }
                let home = std::env::var_os("HOME")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| "/root".into());
                home.join(".cache/jiuzhu/models")
            });
        Self::in_dir(dir)
    }

    /// The models in `dir`, with the face pack's ArcFace model when it is installed there.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        let arcface = Some(dir.join(ARCFACE_FILE)).filter(|p| p.is_file());
        Self { dir, arcface }
    }

    /// Path of one cached file, or [`VisionError::MissingModel`] naming `make models`.
    pub fn file(&self, name: &str) -> Result<PathBuf> {
        let p = self.dir.join(name);
        if p.is_file() {
            Ok(p)
        } else {
            Err(VisionError::MissingModel(p))
        }
    }

    /// BlazeFace short-range ONNX.
    pub fn detector(&self) -> Result<PathBuf> {
        self.file("blazeface_short.onnx")
    }

    /// Face mesh ONNX.
    pub fn mesh(&self) -> Result<PathBuf> {
        self.file("face_mesh.onnx")
    }

    /// Face mesh ONNX for ONNX Runtime: the same graph with every PRelu written as Relu + Min·slope
    /// (`models/prelu_rewrite.py`; ONNX Runtime's PRelu kernel is slow), same outputs.
    pub fn mesh_ort(&self) -> Result<PathBuf> {
        self.file("face_mesh_ort.onnx")
    }

    /// BlazeFace short-range, the original TensorFlow Lite file (LiteRT engine).
    pub fn detector_tflite(&self) -> Result<PathBuf> {
        self.file("blazeface_short.tflite")
    }

    /// Face mesh, the original TensorFlow Lite file (LiteRT engine).
    pub fn mesh_tflite(&self) -> Result<PathBuf> {
        self.file("face_mesh.tflite")
    }

    /// MediaPipe's palm detector, the original TensorFlow Lite file (always on LiteRT).
    pub fn palm_tflite(&self) -> Result<PathBuf> {
        self.file("palm_detection_lite.tflite")
    }

    /// LiteRT's shared library (ai-edge-litert wheel).
    pub fn litert(&self) -> Result<PathBuf> {
        self.file(LITERT_LIB)
    }

    /// ONNX Runtime's shared library (onnxruntime wheel).
    pub fn onnxruntime(&self) -> Result<PathBuf> {
        self.file(ONNXRUNTIME_LIB)
    }

    /// FaceNet TensorFlow graph.
    pub fn facenet(&self) -> Result<PathBuf> {
        self.file("facenet.pb")
    }

    /// ArcFace `w600k_mbf` of the face pack, or [`VisionError::FacePackMissing`].
    pub fn arcface(&self) -> Result<PathBuf> {
        match &self.arcface {
            Some(p) if p.is_file() => Ok(p.clone()),
            other => Err(VisionError::FacePackMissing {
                model: crate::embed::FaceModel::ArcFace,
                path: path_str(other.as_deref().unwrap_or(&self.dir.join(ARCFACE_FILE))),
            }),
        }
    }

    /// `antispoof` PAD CNN of npm `@vladmandic/human` (converted ONNX).
    pub fn antispoof(&self) -> Result<PathBuf> {
        self.file("antispoof.onnx")
    }

    /// `liveness` PAD CNN of npm `@vladmandic/human` (converted ONNX).
    pub fn liveness_cnn(&self) -> Result<PathBuf> {
        self.file("liveness.onnx")
    }

    /// A registry test photo (`obama.jpg`, `obama2.jpg`, `obama3.jpg`, `biden.jpg`).
    pub fn test_image(&self, name: &str) -> Result<PathBuf> {
        self.file(&format!("testdata/{name}"))
    }
}

pub(crate) fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}
