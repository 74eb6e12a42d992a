//! ONNX Runtime and LiteRT against OpenCV `dnn`: the same detector and face mesh (converted to ONNX, or
//! the original `.tflite` for LiteRT) on the registry photos of `make models` must compute the same
//! thing on every engine; bad input gives clear errors.
//!
//! Tolerances: the engines order float operations differently (ONNX Runtime also fuses layers), so
//! raw outputs differ in the last digits; the bounds below are in the units the pipeline uses.

mod common;

use common::photo;
use jiuzhu_vision::engine::{Engine, Model};
use jiuzhu_vision::{BlazeFace, FaceMesh, FacePipeline, ModelPaths, VisionError};
use rstest::rstest;

/// Largest difference of a detector score (sigmoid of the logit), of a logit relative to its size
/// (background anchors have logits of −20 to −100, which differ most in absolute terms), of a
/// regressor (input pixels of the 128×128 square) and of a final box coordinate (image pixels).
const DET_SCORE_TOL: f32 = 1e-3;
const DET_LOGIT_REL_TOL: f32 = 2e-3;
const DET_REG_TOL: f32 = 0.05;
const DET_BOX_TOL: f32 = 0.5;
/// Largest difference of a mesh point (image pixels, x and y) and of the face score.
const MESH_POINT_TOL: f32 = 0.25;
const MESH_SCORE_TOL: f32 = 1e-3;

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[rstest]
#[case("obama.jpg")]
#[case("obama2.jpg")]
#[case("obama3.jpg")]
#[case("biden.jpg")]
fn detector_agrees_with_opencv(
    #[case] name: &str,
    #[values(Engine::OnnxRuntime, Engine::LiteRt)] engine: Engine,
) {
    let paths = ModelPaths::locate();
    let mut ort = BlazeFace::load_with(&paths, engine).unwrap();
    let mut cv = BlazeFace::load_with(&paths, Engine::OpenCv).unwrap();
    assert_eq!(ort.engine(), engine);
    assert_eq!(cv.engine(), Engine::OpenCv);
    let img = photo(name);
    let (lo, ro, side_o) = ort.raw(&img).unwrap();
    let (lc, rc, side_c) = cv.raw(&img).unwrap();
    assert_eq!((lo.len(), ro.len()), (896, 896 * 16));
    assert_eq!(side_o, side_c);
    let sigmoid = |v: &[f32]| {
        v.iter()
            .map(|x| 1.0 / (1.0 + (-x).exp()))
            .collect::<Vec<_>>()
    };
    let ds = max_abs_diff(&sigmoid(&lo), &sigmoid(&lc));
    let dl = lo
        .iter()
        .zip(&lc)
        .map(|(a, b)| (a - b).abs() / a.abs().max(b.abs()).max(1.0))
        .fold(0.0, f32::max);
    let dr = max_abs_diff(&ro, &rc);
    eprintln!(
        "{name}, {engine}: detector max |Δ| score {ds:.2e}, logit (relative) {dl:.2e}, regressor {dr:.2e} px"
    );
    assert!(ds < DET_SCORE_TOL, "{name}: scores differ by {ds}");
    assert!(
        dl < DET_LOGIT_REL_TOL,
        "{name}: logits differ by {dl} (relative)"
    );
    assert!(dr < DET_REG_TOL, "{name}: regressors differ by {dr}");
    // a real difference would show: the photos' outputs are not near zero
    assert!(lc.iter().any(|v| v.abs() > 1.0) && rc.iter().any(|v| v.abs() > 10.0));

    let (d_o, d_c) = (ort.detect(&img).unwrap(), cv.detect(&img).unwrap());
    assert_eq!(d_o.len(), 1, "{name}: {d_o:?}");
    assert_eq!(d_c.len(), 1, "{name}: {d_c:?}");
    let (a, b) = (&d_o[0], &d_c[0]);
    assert!((a.score - b.score).abs() < 1e-3, "{name}: {a:?} vs {b:?}");
    for (x, y) in [
        (a.bbox.cx, b.bbox.cx),
        (a.bbox.cy, b.bbox.cy),
        (a.bbox.w, b.bbox.w),
        (a.bbox.h, b.bbox.h),
    ] {
        assert!((x - y).abs() < DET_BOX_TOL, "{name}: {a:?} vs {b:?}");
    }
}

#[rstest]
#[case("obama.jpg")]
#[case("obama2.jpg")]
#[case("obama3.jpg")]
#[case("biden.jpg")]
fn mesh_agrees_with_opencv(
    #[case] name: &str,
    #[values(Engine::OnnxRuntime, Engine::LiteRt)] engine: Engine,
) {
    let paths = ModelPaths::locate();
    let img = photo(name);
    // the same crop for both: the OpenCV detector's box, 1.5× as the pipeline does
    let det = BlazeFace::load_with(&paths, Engine::OpenCv)
        .unwrap()
        .detect(&img)
        .unwrap()
        .remove(0);
    let (cx, cy, side) = (det.bbox.cx, det.bbox.cy, det.bbox.w.max(det.bbox.h) * 1.5);
    let lo = FaceMesh::load_with(&paths, engine)
        .unwrap()
        .run(&img, cx, cy, side)
        .unwrap();
    let lc = FaceMesh::load_with(&paths, Engine::OpenCv)
        .unwrap()
        .run(&img, cx, cy, side)
        .unwrap();
    assert_eq!(lo.points.len(), 468);
    assert!(lc.score > 0.9, "{name}: OpenCV mesh score {}", lc.score);
    assert!((lo.score - lc.score).abs() < MESH_SCORE_TOL);
    let dxy = lo
        .points
        .iter()
        .zip(&lc.points)
        .map(|(p, q)| (p[0] - q[0]).abs().max((p[1] - q[1]).abs()))
        .fold(0.0, f32::max);
    let dz = lo
        .points
        .iter()
        .zip(&lc.points)
        .map(|(p, q)| (p[2] - q[2]).abs())
        .fold(0.0, f32::max);
    eprintln!(
        "{name}, {engine}: mesh max |Δ| x/y {dxy:.2e} px, z {dz:.2e}, score {:.2e} (crop {side:.0} px)",
        (lo.score - lc.score).abs()
    );
    assert!(
        dxy < MESH_POINT_TOL,
        "{name}: mesh points differ by {dxy} px"
    );
    assert!(
        dz < 2.0 * MESH_POINT_TOL,
        "{name}: mesh depth differs by {dz}"
    );
}

/// The mesh's 192×192 crop of obama3.jpg's face and its NCHW blob (RGB, 0..1).
fn mesh_crop_and_blob() -> (opencv::core::Mat, opencv::core::Mat) {
    let img = photo("obama3.jpg");
    let (crop, _) = jiuzhu_vision::image::square_crop(&img, 770.2, 462.5, 473.0, 192).unwrap();
    let blob = opencv::dnn::blob_from_image(
        &crop,
        1.0 / 255.0,
        opencv::core::Size::new(192, 192),
        opencv::core::Scalar::default(),
        true,
        false,
        opencv::core::CV_32F,
    )
    .unwrap();
    (crop, blob)
}

/// The PRelu-rewritten mesh ONNX Runtime runs computes what the original file computes in ONNX
/// Runtime, on a real face crop.
#[test]
fn rewritten_mesh_equals_the_original_in_onnx_runtime() {
    let paths = ModelPaths::locate();
    let (_, blob) = mesh_crop_and_blob();
    let outs = ["conv2d_20", "conv2d_30"];
    let run = |file: std::path::PathBuf| {
        Model::load(Engine::OnnxRuntime, &paths, &file, [1, 3, 192, 192], &outs)
            .unwrap()
            .forward_blob(&blob)
            .unwrap()
    };
    let a = run(paths.mesh().unwrap());
    let b = run(paths.mesh_ort().unwrap());
    let d = max_abs_diff(&a[0], &b[0]);
    eprintln!(
        "rewritten mesh: max |Δ| {d:.2e} (192-px input), logit {} vs {}",
        a[1][0], b[1][0]
    );
    assert!(d < 1e-3, "points differ by {d}");
    assert!((a[1][0] - b[1][0]).abs() < 1e-3);
    assert!(a[1][0] > 5.0, "a face: logit {}", a[1][0]);
}

#[rstest]
fn whole_pipeline_agrees_with_opencv(
    #[values("obama2.jpg", "biden.jpg")] name: &str,
    #[values(Engine::OnnxRuntime, Engine::LiteRt)] engine: Engine,
) {
    let paths = ModelPaths::locate();
    let img = photo(name);
    let mut o = FacePipeline::load_with(&paths, engine).unwrap();
    let mut c = FacePipeline::load_with(&paths, Engine::OpenCv).unwrap();
    assert_eq!(o.engine(), engine);
    let (a, b) = (o.analyse(&img).unwrap(), c.analyse(&img).unwrap());
    assert_eq!((a.faces, a.issues.clone()), (b.faces, b.issues.clone()));
    assert!((a.ear - b.ear).abs() < 0.005, "EAR {} vs {}", a.ear, b.ear);
    assert!((a.mouth - b.mouth).abs() < 0.005);
    // the appearance measures read the same pixels
    assert!((a.eye_contrast - b.eye_contrast).abs() < 0.01);
    assert!((a.mouth_dark - b.mouth_dark).abs() < 0.01);
    let sim = jiuzhu_vision::geometry::eye_similarity(&a.eye_patches, &b.eye_patches).unwrap();
    assert!(sim > 0.99, "eye patches correlate {sim}");
    assert!(
        (a.pose.yaw - b.pose.yaw).abs() < 0.5,
        "{:?} {:?}",
        a.pose,
        b.pose
    );
    assert!((a.pose.pitch - b.pose.pitch).abs() < 0.5);
    assert!((a.pose.roll - b.pose.roll).abs() < 0.5);
}

#[test]
fn the_default_engine_is_litert() {
    assert_eq!(Engine::default(), Engine::LiteRt);
    if std::env::var_os(jiuzhu_vision::engine::ENGINE_ENV).is_none() {
        let p = FacePipeline::load(&ModelPaths::locate()).unwrap();
        assert_eq!(p.engine(), Engine::LiteRt);
    }
    assert_eq!(Engine::parse("opencv").unwrap(), Engine::OpenCv);
    assert_eq!(Engine::parse(" ORT ").unwrap(), Engine::OnnxRuntime);
    assert_eq!(Engine::parse("LiteRT").unwrap(), Engine::LiteRt);
    assert_eq!(Engine::parse("tflite").unwrap(), Engine::LiteRt);
    let err = Engine::parse("tensorflow").unwrap_err();
    assert!(
        err.to_string().contains("onnxruntime, litert or opencv"),
        "{err}"
    );
}

#[rstest]
#[case(Engine::OnnxRuntime)]
#[case(Engine::OpenCv)]
#[case(Engine::LiteRt)]
fn wrong_input_shape_is_a_clear_error(#[case] engine: Engine) {
    let paths = ModelPaths::locate();
    let file = match engine {
        Engine::LiteRt => paths.detector_tflite().unwrap(),
        _ => paths.detector().unwrap(),
    };
    let mut m = Model::load(engine, &paths, &file, [1, 3, 128, 128], &["classificators"]).unwrap();
    let data = vec![0.0f32; 3 * 96 * 96];
    let err = m.forward(&data, [1, 3, 96, 96]).unwrap_err();
    assert!(
        matches!(&err, VisionError::InputShape { want, got, .. }
            if want == &[1, 3, 128, 128] && got == &[1, 3, 96, 96]),
        "{err:?}"
    );
    assert!(err.to_string().contains("blazeface_short."), "{err}");
    // data that does not fill the shape it claims
    let err = m.forward(&data, [1, 3, 128, 128]).unwrap_err();
    assert!(matches!(err, VisionError::InputShape { .. }), "{err:?}");
    // the model still works afterwards
    let ok = m
        .forward(&vec![0.0f32; 3 * 128 * 128], [1, 3, 128, 128])
        .unwrap();
    assert_eq!(ok[0].len(), 896);
}

#[test]
fn a_model_with_a_wrong_shape_declared_fails_in_onnx_runtime_with_its_message() {
    // the caller's shape agrees with the data, but the network takes 192×192: ONNX Runtime says so
    let paths = ModelPaths::locate();
    let file = paths.mesh().unwrap();
    let mut m = Model::load(
        Engine::OnnxRuntime,
        &paths,
        &file,
        [1, 3, 128, 128],
        &["conv2d_20"],
    )
    .unwrap();
    let err = m
        .forward(&vec![0.5f32; 3 * 128 * 128], [1, 3, 128, 128])
        .unwrap_err();
    assert!(matches!(err, VisionError::Inference { .. }), "{err:?}");
    assert!(err.to_string().contains("face_mesh.onnx"), "{err}");
}

#[test]
fn unknown_output_and_missing_files_are_clear_errors() {
    let paths = ModelPaths::locate();
    let file = paths.detector().unwrap();
    let err = Model::load(
        Engine::OnnxRuntime,
        &paths,
        &file,
        [1, 3, 128, 128],
        &["nope"],
    )
    .unwrap_err();
    assert!(err.to_string().contains("\"nope\""), "{err}");
    assert!(err.to_string().contains("classificators"), "{err}");

    let missing = paths.dir.join("no_such_model.onnx");
    for engine in [Engine::OnnxRuntime, Engine::OpenCv] {
        let err = Model::load(engine, &paths, &missing, [1, 3, 128, 128], &["x"]).unwrap_err();
        assert!(matches!(err, VisionError::MissingModel(_)), "{err:?}");
    }

    // a model directory without the runtime library: the ONNX Runtime engine names `make models`,
    // the OpenCV engine does not need it
    let dir = tempfile::tempdir().unwrap();
    for f in ["blazeface_short.onnx", "face_mesh.onnx"] {
        std::os::unix::fs::symlink(paths.dir.join(f), dir.path().join(f)).unwrap();
    }
    let bare = ModelPaths::in_dir(dir.path());
    let err = FacePipeline::load_with(&bare, Engine::OnnxRuntime)
        .err()
        .unwrap();
    assert!(
        matches!(&err, VisionError::MissingModel(p) if p.ends_with(jiuzhu_vision::models::ONNXRUNTIME_LIB)),
        "{err:?}"
    );
    assert!(err.to_string().contains("make models"), "{err}");
    FacePipeline::load_with(&bare, Engine::OpenCv).unwrap();
}

#[test]
fn litert_refuses_bad_models_clearly() {
    let paths = ModelPaths::locate();
    let litert = |file: &std::path::Path, shape: [usize; 4], outputs: &[&str]| {
        Model::load(Engine::LiteRt, &paths, file, shape, outputs)
    };
    let dir = tempfile::tempdir().unwrap();
    // not a TensorFlow Lite file at all
    let junk = dir.path().join("junk.tflite");
    std::fs::write(&junk, b"not a model\n").unwrap();
    let err = litert(&junk, [1, 3, 128, 128], &["x"]).unwrap_err();
    assert!(matches!(err, VisionError::Inference { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("junk.tflite") && msg.contains("LiteRT") && msg.contains("TFL3"),
        "{msg}"
    );
    // a cut-off model (LiteRT itself would crash on either: they never reach it)
    let bytes = std::fs::read(paths.mesh_tflite().unwrap()).unwrap();
    let cut = dir.path().join("cut.tflite");
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    let err = litert(&cut, [1, 3, 192, 192], &["conv2d_20"]).unwrap_err();
    assert!(matches!(err, VisionError::Inference { .. }), "{err:?}");
    assert!(err.to_string().contains("make models"), "{err}");
    // the mesh where the detector was expected: the shapes are named
    let err = litert(
        &paths.mesh_tflite().unwrap(),
        [1, 3, 128, 128],
        &["classificators"],
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("[1, 192, 192, 3]") && msg.contains("[1, 128, 128, 3]"),
        "{msg}"
    );
    // an output the model does not have
    let err = litert(
        &paths.detector_tflite().unwrap(),
        [1, 3, 128, 128],
        &["nope"],
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("\"nope\"") && msg.contains("regressors"),
        "{msg}"
    );
    // a missing file
    let err = litert(&dir.path().join("none.tflite"), [1, 3, 128, 128], &["x"]).unwrap_err();
    assert!(matches!(err, VisionError::MissingModel(_)), "{err:?}");
    // an image of the wrong size or type, and the model still works afterwards
    let mut m = litert(
        &paths.detector_tflite().unwrap(),
        [1, 3, 128, 128],
        &["classificators", "regressors"],
    )
    .unwrap();
    let small = common::solid(96, 96, opencv::core::CV_8UC3, 0.0);
    let err = m.forward_bgr(&small, 1.0, 0.0).unwrap_err();
    assert!(matches!(err, VisionError::InputShape { .. }), "{err:?}");
    let grey = common::solid(128, 128, opencv::core::CV_8UC1, 0.0);
    assert!(m.forward_bgr(&grey, 1.0, 0.0).is_err());
    let ok = m
        .forward(&vec![0.0f32; 3 * 128 * 128], [1, 3, 128, 128])
        .unwrap();
    assert_eq!((ok[0].len(), ok[1].len()), (896, 896 * 16));
}

/// The NCHW entry point reorders to LiteRT's NHWC input: a blob and the image it came from give the
/// same outputs.
#[test]
fn litert_blob_and_image_inputs_agree() {
    let paths = ModelPaths::locate();
    let (crop, blob) = mesh_crop_and_blob();
    let outs = ["conv2d_20", "conv2d_30"];
    let mut m = Model::load(
        Engine::LiteRt,
        &paths,
        &paths.mesh_tflite().unwrap(),
        [1, 3, 192, 192],
        &outs,
    )
    .unwrap();
    let a = m.forward_blob(&blob).unwrap();
    let b = m.forward_bgr(&crop, 1.0 / 255.0, 0.0).unwrap();
    assert_eq!(a[0].len(), 1404);
    assert!(max_abs_diff(&a[0], &b[0]) < 1e-4);
    assert!(a[1][0] > 5.0, "a face: logit {}", a[1][0]);
}
