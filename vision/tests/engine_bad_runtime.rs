//! A corrupt ONNX Runtime library in the model directory: a clear error naming the file and
//! `make models`, and the OpenCV engine still works. Its own test binary (its own process), because a
//! process loads ONNX Runtime once.

use jiuzhu_vision::engine::{Engine, load_runtime};
use jiuzhu_vision::models::ONNXRUNTIME_LIB;
use jiuzhu_vision::{FacePipeline, ModelPaths, VisionError};

#[test]
fn a_corrupt_runtime_library_is_a_clear_error() {
    let real = ModelPaths::locate();
    real.onnxruntime().expect("run `make models` first");
    let dir = tempfile::tempdir().unwrap();
    for f in ["blazeface_short.onnx", "face_mesh.onnx"] {
        std::os::unix::fs::symlink(real.dir.join(f), dir.path().join(f)).unwrap();
    }
    // the first 4 KiB of the real library: an ELF header whose sections are cut off
    let bytes = std::fs::read(real.dir.join(ONNXRUNTIME_LIB)).unwrap();
    std::fs::write(dir.path().join(ONNXRUNTIME_LIB), &bytes[..4096]).unwrap();
    let paths = ModelPaths::in_dir(dir.path());
    let err = FacePipeline::load_with(&paths, Engine::OnnxRuntime)
        .err()
        .unwrap();
    assert!(matches!(err, VisionError::Runtime { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(ONNXRUNTIME_LIB) && msg.contains("make models"),
        "{msg}"
    );
    assert!(msg.contains("truncated"), "{msg}");
    FacePipeline::load_with(&paths, Engine::OpenCv).unwrap();

    // not an ELF file at all
    std::fs::write(dir.path().join(ONNXRUNTIME_LIB), b"not a library\n").unwrap();
    let err = load_runtime(&paths).unwrap_err();
    assert!(matches!(err, VisionError::Runtime { .. }), "{err:?}");
    assert!(err.to_string().contains("not a"), "{err}");

    // a whole ELF file that is not ONNX Runtime (this test's own binary): dlopen or the API lookup
    // refuses it
    std::fs::copy(
        std::env::current_exe().unwrap(),
        dir.path().join(ONNXRUNTIME_LIB),
    )
    .unwrap();
    let err = load_runtime(&paths).unwrap_err();
    assert!(matches!(err, VisionError::Runtime { .. }), "{err:?}");
    eprintln!("{err}");

    // after the failures the real library still loads in this process
    load_runtime(&real).unwrap();
    FacePipeline::load_with(&real, Engine::OnnxRuntime).unwrap();
}
