//! The face pack's ArcFace (`make face-pack`, installed by `make test`): the registry photos through the
//! real detector, mesh and five-point alignment, templates naming their model, models never mixed, and
//! a reference of a model whose pack is missing refused up front.

mod common;

use common::photo;
use jiuzhu_vision::cli::{
    GenerateOptions, Input, VerifyOptions, embed_photo, enroll, generate, load_reference, verify,
};
use jiuzhu_vision::liveness::Challenge;
use jiuzhu_vision::synth::ClipKind;
use jiuzhu_vision::verifier::Verifier;
use jiuzhu_vision::{
    ARCFACE_MATCH_THRESHOLD, ArcFace, Embedding, Engine, FaceModel, FacePipeline, ModelPaths,
    VisionError,
};

const NAMES: [&str; 4] = ["obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg"];

fn pack() -> ModelPaths {
    let paths = ModelPaths::locate();
    assert!(
        paths.arcface.is_some(),
        "the face pack is not installed in {}: run `make face-pack`",
        paths.dir.display()
    );
    paths
}

fn without_pack() -> ModelPaths {
    ModelPaths {
        arcface: None,
        ..ModelPaths::locate()
    }
}

fn arcface_embeddings(paths: &ModelPaths) -> Vec<Embedding> {
    NAMES
        .iter()
        .map(|n| {
            let (e, faces) =
                embed_photo(paths, &paths.test_image(n).unwrap(), FaceModel::ArcFace).unwrap();
            assert_eq!(faces, 1, "{n}");
            assert_eq!(e.model(), FaceModel::ArcFace);
            e
        })
        .collect()
}

#[test]
fn registry_photos_match_obama_with_obama_and_not_with_biden() {
    let embs = arcface_embeddings(&pack());
    for i in 0..4 {
        for j in i + 1..4 {
            let s = embs[i].cosine(&embs[j]).unwrap();
            let same = NAMES[i].starts_with("obama") == NAMES[j].starts_with("obama");
            eprintln!("arcface {} {} cosine {s:.3}", NAMES[i], NAMES[j]);
            assert_eq!(
                embs[i].matches(&embs[j]).unwrap(),
                same,
                "{} vs {}: {s}",
                NAMES[i],
                NAMES[j]
            );
            // with a margin both ways: genuine well above the threshold, impostor well below
            if same {
                assert!(s > ARCFACE_MATCH_THRESHOLD + 0.1, "{s}");
            } else {
                assert!(s < ARCFACE_MATCH_THRESHOLD - 0.1, "{s}");
            }
        }
    }
}

#[test]
fn onnx_runtime_and_opencv_dnn_give_the_same_embedding() {
    let paths = pack();
    let img = photo("obama2.jpg");
    let mut pipeline = FacePipeline::load(&paths).unwrap();
    let lm = pipeline.analyse(&img).unwrap().landmarks.unwrap();
    let mut ort = ArcFace::load_with(&paths, Engine::OnnxRuntime).unwrap();
    let mut cv = ArcFace::load_with(&paths, Engine::OpenCv).unwrap();
    assert_eq!(cv.engine(), Engine::OpenCv);
    let a = ort.embed(&img, &lm).unwrap();
    let b = cv.embed(&img, &lm).unwrap();
    let c = a.cosine(&b).unwrap();
    assert!(c > 0.9999, "{c}");
}

#[test]
fn the_alignment_matters_a_misplaced_crop_is_another_embedding() {
    // the same face warped from landmarks shifted by a third of the eye distance is far from the
    // aligned one: the model sees what the alignment gives it
    let paths = pack();
    let img = photo("obama.jpg");
    let mut pipeline = FacePipeline::load(&paths).unwrap();
    let lm = pipeline.analyse(&img).unwrap().landmarks.unwrap();
    let mut net = ArcFace::load(&paths).unwrap();
    let good = net.embed(&img, &lm).unwrap();
    let (ex, _) = lm.xy(33);
    let (fx, _) = lm.xy(263);
    let shift = (fx - ex).abs() / 3.0;
    let mut moved = lm.clone();
    for p in &mut moved.points {
        p[1] += shift;
    }
    let bad = net.embed(&img, &moved).unwrap();
    let c = good.cosine(&bad).unwrap();
    assert!(c < 0.8, "{c}");
}

#[test]
fn an_arcface_template_round_trips_with_its_model() {
    let paths = pack();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("obama.json");
    let image = paths.test_image("obama.jpg").unwrap();
    let r = enroll(&paths, &image, &out, FaceModel::ArcFace).unwrap();
    assert_eq!(r.model, FaceModel::ArcFace);
    assert!(r.to_string().contains("insightface-w600k-mbf-512"), "{r}");
    let text = std::fs::read_to_string(&out).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["model"], "insightface-w600k-mbf-512");
    assert_eq!(json["values"].as_array().unwrap().len(), 512);
    let t = load_reference(&paths, &out, None).unwrap();
    assert_eq!(t.model(), FaceModel::ArcFace);
    let p = load_reference(&paths, &image, Some(FaceModel::ArcFace)).unwrap();
    assert!(t.cosine(&p).unwrap() > 0.999);
    // asked for FaceNet, an ArcFace template is refused rather than reinterpreted
    let err = load_reference(&paths, &out, Some(FaceModel::FaceNet)).unwrap_err();
    assert!(matches!(err, VisionError::ModelMismatch { .. }), "{err:?}");
}

#[test]
fn embeddings_of_different_models_are_never_compared() {
    let paths = pack();
    let image = paths.test_image("obama.jpg").unwrap();
    let (facenet, _) = embed_photo(&paths, &image, FaceModel::FaceNet).unwrap();
    let (arcface, _) = embed_photo(&paths, &image, FaceModel::ArcFace).unwrap();
    assert_eq!(facenet.model(), FaceModel::FaceNet);
    let err = facenet.cosine(&arcface).unwrap_err();
    assert!(
        matches!(
            err,
            VisionError::ModelMismatch {
                a: FaceModel::FaceNet,
                b: FaceModel::ArcFace
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("insightface-w600k-mbf-512"),
        "{err}"
    );
    assert!(arcface.matches(&facenet).is_err());
    // through templates too
    let back = Embedding::from_template(&facenet.to_template()).unwrap();
    assert!(back.cosine(&arcface).is_err());
    assert!(back.cosine(&facenet).unwrap() > 0.9999);
}

#[test]
fn a_reference_of_a_model_whose_pack_is_missing_is_refused_at_construction() {
    let paths = pack();
    let (reference, _) = embed_photo(
        &paths,
        &paths.test_image("obama.jpg").unwrap(),
        FaceModel::ArcFace,
    )
    .unwrap();
    let bare = without_pack();
    let err = Verifier::new(&bare, vec![Challenge::Blink], Some(reference.clone()))
        .err()
        .expect("no face pack");
    assert!(
        matches!(
            err,
            VisionError::FacePackMissing {
                model: FaceModel::ArcFace,
                ..
            }
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("insightface-w600k-mbf-512")
            && text.contains("not installed")
            && text.contains("make face-pack"),
        "{text}"
    );
    // a FaceNet reference still works there, and an ArcFace one where the pack is
    let (facenet, _) = embed_photo(
        &bare,
        &bare.test_image("obama.jpg").unwrap(),
        FaceModel::FaceNet,
    )
    .unwrap();
    assert!(Verifier::new(&bare, vec![Challenge::Blink], Some(facenet)).is_ok());
    assert!(Verifier::new(&paths, vec![Challenge::Blink], Some(reference)).is_ok());
    // enrolling with the missing model fails the same way, and writes nothing
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.json");
    let err = enroll(
        &bare,
        &bare.test_image("obama.jpg").unwrap(),
        &out,
        FaceModel::ArcFace,
    )
    .unwrap_err();
    assert!(
        matches!(err, VisionError::FacePackMissing { .. }),
        "{err:?}"
    );
    assert!(!out.exists());
}

/// A generated clip of obama3.jpg (`kind`, `challenges`, `seed`) in `dir`, set up to be verified
/// against obama.jpg embedded with ArcFace.
fn clip_against_obama(
    paths: &ModelPaths,
    dir: &tempfile::TempDir,
    kind: ClipKind,
    challenges: &[Challenge],
    seed: u64,
) -> VerifyOptions {
    let g = generate(&GenerateOptions {
        kind,
        challenges: challenges.to_vec(),
        subject: "obama3.jpg".into(),
        seed,
        fps: 10.0,
        out: dir.path().join("clip.avi"),
        models: paths.clone(),
    })
    .unwrap();
    let mut opts = VerifyOptions::new(Input::Video(g.video));
    opts.challenges = Some(challenges.to_vec());
    opts.reference = Some(paths.test_image("obama.jpg").unwrap());
    opts.model = Some(FaceModel::ArcFace);
    opts
}

#[test]
fn a_generated_genuine_clip_verifies_against_an_arcface_reference() {
    let paths = pack();
    let dir = tempfile::tempdir().unwrap();
    let challenges = [Challenge::TurnLeft, Challenge::OpenMouth];
    let mut opts = clip_against_obama(&paths, &dir, ClipKind::Genuine, &challenges, 11);
    let report = verify(&opts).unwrap();
    let v = &report.verification;
    eprintln!(
        "arcface clip: similarity {:?}, identity min {:?}",
        v.similarity, v.identity_min
    );
    assert!(report.passed(), "{report}");
    assert_eq!(v.model, Some(FaceModel::ArcFace));
    assert_eq!(v.threshold, Some(ARCFACE_MATCH_THRESHOLD));
    assert_eq!(v.matched, Some(true));
    assert!(
        report.to_string().contains("arcface, threshold 0.32"),
        "{report}"
    );

    // the same recording against Biden's photo: rejected for the match, by ArcFace's threshold
    opts.reference = Some(paths.test_image("biden.jpg").unwrap());
    let report = verify(&opts).unwrap();
    assert!(!report.passed());
    assert_eq!(report.verification.matched, Some(false));
    assert!(
        report
            .to_string()
            .contains("does not match the reference (arcface cosine"),
        "{report}"
    );
}

#[test]
fn a_face_swapped_mid_session_breaks_arcface_identity_continuity() {
    // person A does the first challenge, then B: ArcFace's identity samples disagree (on the generated
    // clips, `examples/model_compare.rs`: swaps −0.04–0.03, genuine clips 0.51–0.96, limit 0.25)
    let paths = pack();
    let dir = tempfile::tempdir().unwrap();
    let challenges = [Challenge::TurnRight, Challenge::Nod];
    let opts = clip_against_obama(&paths, &dir, ClipKind::Swap, &challenges, 4);
    let report = verify(&opts).unwrap();
    let m = report.verification.identity_min.unwrap();
    assert!(m < FaceModel::ArcFace.identity_min(), "{m}");
    assert!(!report.passed());
    assert!(
        report
            .to_string()
            .contains("the face changed during the session"),
        "{report}"
    );
}

/// The evaluation sets' references can be made with the face pack (`pad::references_with`, used by
/// `examples/independent_report --model arcface`): one ArcFace embedding per registry person, each
/// matching that person's other photos and not the other person's.
#[test]
fn evaluation_references_are_made_with_the_model_asked_for() {
    let paths = pack();
    let refs = jiuzhu_vision::pad::references_with(&paths, FaceModel::ArcFace).unwrap();
    assert_eq!(refs.len(), 2, "{:?}", refs.keys().collect::<Vec<_>>());
    let obama2_path = paths.test_image("obama2.jpg").unwrap();
    let (obama2, _) = embed_photo(&paths, &obama2_path, FaceModel::ArcFace).unwrap();
    for (person, r) in &refs {
        assert_eq!(r.model(), FaceModel::ArcFace);
        let c = r.cosine(&obama2).unwrap();
        assert_eq!(
            c >= ARCFACE_MATCH_THRESHOLD,
            person.contains("obama"),
            "{person}: {c}"
        );
    }
    let err = jiuzhu_vision::pad::references_with(&without_pack(), FaceModel::ArcFace).unwrap_err();
    assert!(matches!(err, VisionError::FacePackMissing { .. }), "{err}");
}
