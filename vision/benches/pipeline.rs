//! Per-frame cost at 640×480 on one thread: full detection, and detect + mesh + quality with tracking
//! (the detector runs only when the track is lost), and the passive signals. Input: obama.jpg letterboxed
//! into 640×480.
//! Each on both engines of detector and mesh: ONNX Runtime (`ort/…`, the default) and OpenCV `dnn`
//! (`opencv/…`). Run `make models` first. Compare with `python3 vision/benches/pipeline_cv2.py` (same
//! models, Python cv2), run right after in the same session.
//! The face embedders, per face: FaceNet (`facenet_embed`, OpenCV `dnn`) and, with the face pack
//! (`make face-pack`), ArcFace on both engines (`ort/arcface_embed`, `opencv/arcface_embed`: alignment,
//! blob, forward). Near infrared (`nir/…`): rendering a frame for the simulators, and the Verifier's work
//! per NIR frame (detection on LiteRT; every 0.5 s the mesh on the NIR frame and the skin cue).
//! The screen-light check (`flash/…`): sampling every mesh point of a lit frame, and the judgement of
//! a session of 100 lit frames (colour, timing, shading and brightness cues).
//! The start of a face check (`verifier/…`): a `Verifier` made and its first frame analysed, either
//! loading every network (`start_loading_networks`, what each session did before) or on the networks
//! lent by the previous session (`start_with_lent_networks`, what the kiosk does now).

use criterion::{Criterion, criterion_group, criterion_main};
use jiuzhu_vision::flash::{self, FaceRegions, PointColours};
use jiuzhu_vision::image::load_bgr;
use jiuzhu_vision::nir;
use jiuzhu_vision::passive::{MIN_FACE, PadNets, ScreenPattern};
use jiuzhu_vision::{ArcFace, Engine, FaceMesh, FaceNet, FacePipeline, ModelPaths};
use opencv::core::{Mat, Rect, Scalar, Size};
use opencv::prelude::*;

fn frame_640x480() -> Mat {
    let paths = ModelPaths::locate();
    let img = load_bgr(&paths.test_image("obama.jpg").expect("run `make models`")).unwrap();
    let mut small = Mat::default();
    opencv::imgproc::resize(
        &img,
        &mut small,
        Size::new(384, 480),
        0.0,
        0.0,
        opencv::imgproc::INTER_AREA,
    )
    .unwrap();
    let mut out =
        Mat::new_rows_cols_with_default(480, 640, opencv::core::CV_8UC3, Scalar::all(90.0))
            .unwrap();
    let mut roi = Mat::roi_mut(&mut out, Rect::new(128, 0, 384, 480)).unwrap();
    small.copy_to(&mut roi).unwrap();
    out
}

fn bench(c: &mut Criterion) {
    opencv::core::set_num_threads(1).unwrap();
    let frame = frame_640x480();
    for (tag, engine) in [
        ("ort", Engine::OnnxRuntime),
        ("litert", Engine::LiteRt),
        ("opencv", Engine::OpenCv),
    ] {
        let mut p = FacePipeline::load_with(&ModelPaths::locate(), engine).unwrap();
        c.bench_function(&format!("{tag}/detect_640x480"), |b| {
            b.iter(|| p.detect(&frame).unwrap())
        });
        p.detect_every_frame = false;
        c.bench_function(&format!("{tag}/tracked_mesh_quality_640x480"), |b| {
            b.iter(|| p.analyse(&frame).unwrap())
        });
        p.detect_every_frame = true;
        c.bench_function(&format!("{tag}/detect_mesh_quality_640x480"), |b| {
            b.iter(|| p.analyse(&frame).unwrap())
        });
        // the mesh network alone (crop, blob, forward), on the face of the tracked frame
        let (cx, cy, side) = p.analyse(&frame).unwrap().landmarks.unwrap().extent();
        let mut mesh = FaceMesh::load_with(&ModelPaths::locate(), engine).unwrap();
        c.bench_function(&format!("{tag}/mesh_only"), |b| {
            b.iter(|| mesh.run(&frame, cx, cy, side * 1.25).unwrap())
        });
    }
    let mut p = FacePipeline::load_with(&ModelPaths::locate(), Engine::OnnxRuntime).unwrap();
    // the Verifier's passive signals: the screen pattern on every good frame, the PAD CNNs every 0.5 s
    let lm = p.analyse(&frame).unwrap().landmarks.unwrap();
    let (cx, cy, side) = lm.extent();
    let mut screen = ScreenPattern::new().unwrap();
    // this frame's face (~125 px) is below the measure's minimum; the cost does not depend on it
    let side = side.max(MIN_FACE);
    c.bench_function("screen_pattern_128", |b| {
        b.iter(|| screen.measure(&frame, cx, cy, side).unwrap().unwrap())
    });
    let det = p.detect(&frame).unwrap().remove(0);
    let mut nets = PadNets::load(&ModelPaths::locate()).unwrap();
    c.bench_function("pad_cnns", |b| {
        b.iter(|| nets.scores(&frame, &det).unwrap())
    });
    // a binocular camera's near infrared (`nir`): the simulators' rendering of one frame, and what
    // the Verifier adds per NIR frame (detection; every 0.5 s the mesh on it and the skin cue)
    let facing =
        Mat::new_rows_cols_with_default(480, 640, opencv::core::CV_32F, Scalar::all(0.9)).unwrap();
    c.bench_function("nir/render_640x480", |b| {
        b.iter(|| nir::render(&frame, &facing, nir::Material::Skin, 7).unwrap())
    });
    let ir = nir::render(&frame, &facing, nir::Material::Skin, 7).unwrap();
    let mut ir_bgr = Mat::default();
    opencv::imgproc::cvt_color_def(&ir, &mut ir_bgr, opencv::imgproc::COLOR_GRAY2BGR).unwrap();
    let lips = nir::visible_lip_ratio(&frame, &lm).unwrap().unwrap();
    let mut lp = FacePipeline::load_with(&ModelPaths::locate(), Engine::LiteRt).unwrap();
    c.bench_function("nir/litert/detect_640x480", |b| {
        b.iter(|| lp.detect(&ir_bgr).unwrap())
    });
    let ir_det = lp.detect(&ir_bgr).unwrap().remove(0);
    c.bench_function("nir/litert/mesh_and_skin_cue", |b| {
        b.iter(|| {
            let ir_lm = lp.landmarks_at(&ir_bgr, &ir_det).unwrap().unwrap();
            nir::SkinCue::from_ir(&ir_bgr, &ir_lm, lips)
                .unwrap()
                .unwrap()
        })
    });
    // the screen-light check (`flash`): per lit frame, every mesh point's patch; once per session,
    // the judgement of 100 frames (10 s at the kiosk's 10 frames a second) with the brightness cue
    let regions = FaceRegions::from_mesh(&lm);
    c.bench_function("flash/sample_points", |b| {
        b.iter(|| regions.sample_points(&frame, &lm).unwrap())
    });
    let points = regions.sample_points(&frame, &lm).unwrap();
    let shown: Vec<[f32; 3]> = (0..100)
        .map(|i| flash::KIOSK_PALETTE[(i / 5) % flash::KIOSK_PALETTE.len()])
        .collect();
    let frames: Vec<Option<PointColours>> = shown
        .iter()
        .map(|c| {
            Some(
                points
                    .iter()
                    .map(|p| {
                        p.map(|mut p| {
                            for (k, v) in p.bgr.iter_mut().enumerate() {
                                *v *= 1.0 + 0.2 * c[2 - k];
                            }
                            p
                        })
                    })
                    .collect(),
            )
        })
        .collect();
    let cfg = flash::FlashConfig::default();
    c.bench_function("flash/verify_points_100_frames", |b| {
        b.iter(|| flash::verify_points(&regions, &frames, &shown, &cfg))
    });
    let mut facenet = FaceNet::load(&ModelPaths::locate()).unwrap();
    c.bench_function("facenet_embed", |b| {
        b.iter(|| facenet.embed(&frame, &det).unwrap())
    });
    if ModelPaths::locate().arcface.is_none() {
        eprintln!("no face pack (`make face-pack`): ArcFace not measured");
        return;
    }
    for (tag, engine) in [("ort", Engine::OnnxRuntime), ("opencv", Engine::OpenCv)] {
        let mut arcface = ArcFace::load_with(&ModelPaths::locate(), engine).unwrap();
        c.bench_function(&format!("{tag}/arcface_embed"), |b| {
            b.iter(|| arcface.embed(&frame, &lm).unwrap())
        });
    }
}

fn session_start(c: &mut Criterion) {
    use jiuzhu_vision::liveness::Challenge;
    use jiuzhu_vision::verifier::{Verifier, VerifierConfig, VerifierModels};
    use std::time::Duration;
    opencv::core::set_num_threads(1).unwrap();
    let paths = ModelPaths::locate();
    let bgr = frame_640x480();
    let frame = jiuzhu_vision::image::bgr_to_frame(&bgr).unwrap();
    let mut p = FacePipeline::load(&paths).unwrap();
    let det = p.detect(&bgr).unwrap().remove(0);
    let reference = FaceNet::load(&paths).unwrap().embed(&bgr, &det).unwrap();
    let start = |models: VerifierModels| {
        let mut v = Verifier::with_models(
            models,
            vec![Challenge::Blink],
            Some(reference.clone()),
            VerifierConfig::default(),
        )
        .unwrap();
        v.push_frame(&frame, Duration::ZERO).unwrap();
        v.finish_lending().1
    };
    let mut g = c.benchmark_group("verifier");
    g.sample_size(10);
    g.bench_function("start_loading_networks", |b| {
        b.iter(|| start(VerifierModels::new(&paths)))
    });
    let mut lent = Some(start(VerifierModels::new(&paths)));
    g.bench_function("start_with_lent_networks", |b| {
        b.iter(|| lent = Some(start(lent.take().unwrap())))
    });
    g.finish();
}

criterion_group!(benches, bench, session_start);
criterion_main!(benches);
