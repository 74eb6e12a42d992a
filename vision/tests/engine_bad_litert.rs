//! A corrupt LiteRT library in the model directory: a clear error naming the file and `make models`,
//! and the other engines still work. Its own test binary (its own process), because a process loads
//! LiteRT once.

use jiuzhu_vision::engine::Engine;
use jiuzhu_vision::models::LITERT_LIB;
use jiuzhu_vision::{FacePipeline, ModelPaths, VisionError};

#[test]
fn a_corrupt_litert_library_is_a_clear_error() {
    let real = ModelPaths::locate();
    real.litert().expect("run `make models` first");
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "blazeface_short.onnx",
        "face_mesh.onnx",
        "blazeface_short.tflite",
        "face_mesh.tflite",
    ] {
        std::os::unix::fs::symlink(real.dir.join(f), dir.path().join(f)).unwrap();
    }
    let paths = ModelPaths::in_dir(dir.path());
    // no library at all: `make models` is named
    let err = FacePipeline::load_with(&paths, Engine::LiteRt)
        .err()
        .unwrap();
    assert!(
        matches!(&err, VisionError::MissingModel(p) if p.ends_with(LITERT_LIB)),
        "{err:?}"
    );
    assert!(err.to_string().contains("make models"), "{err}");

    // the first 4 KiB of the real library: an ELF header whose sections are cut off
    let bytes = std::fs::read(real.dir.join(LITERT_LIB)).unwrap();
    std::fs::write(dir.path().join(LITERT_LIB), &bytes[..4096]).unwrap();
    let err = FacePipeline::load_with(&paths, Engine::LiteRt)
        .err()
        .unwrap();
    assert!(matches!(err, VisionError::Runtime { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(LITERT_LIB) && msg.contains("truncated") && msg.contains("make models"),
        "{msg}"
    );
    FacePipeline::load_with(&paths, Engine::OpenCv).unwrap();

    // a whole shared library that is not LiteRT (the C library): the missing function is named
    let libc = [
        "/lib/x86_64-linux-gnu/libc.so.6",
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).is_file())
    .expect("libc.so.6");
    std::fs::copy(libc, dir.path().join(LITERT_LIB)).unwrap();
    let err = FacePipeline::load_with(&paths, Engine::LiteRt)
        .err()
        .unwrap();
    assert!(matches!(err, VisionError::Runtime { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("no function LiteRtCreateEnvironment"),
        "{err}"
    );

    // after the failures the real library still loads in this process and runs
    let mut p = FacePipeline::load_with(&real, Engine::LiteRt).unwrap();
    let img = jiuzhu_vision::image::load_bgr(&real.test_image("obama.jpg").unwrap()).unwrap();
    assert_eq!(p.analyse(&img).unwrap().faces, 1);
}
