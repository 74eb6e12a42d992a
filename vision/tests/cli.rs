//! The library behind `jiuzhu-kiosk vision verify | enroll | generate`, on real files: a template
//! written with mode 0600, a generated clip written as a video and as PNG frames and verified back.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use jiuzhu_vision::cli::{
    GenerateOptions, Input, VerifyOptions, enroll, generate, load_reference, verify,
};
use jiuzhu_vision::liveness::Challenge;
use jiuzhu_vision::synth::ClipKind;
use jiuzhu_vision::{FaceModel, ModelPaths};

fn gen_opts(kind: ClipKind, challenges: &[Challenge], out: std::path::PathBuf) -> GenerateOptions {
    GenerateOptions {
        kind,
        challenges: challenges.to_vec(),
        subject: "obama3.jpg".into(),
        seed: 11,
        fps: 10.0,
        out,
        models: ModelPaths::locate(),
    }
}

#[test]
fn enroll_writes_a_private_template_that_matches_the_photo() {
    let paths = ModelPaths::locate();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("obama.json");
    let photo = paths.test_image("obama.jpg").unwrap();
    let r = enroll(&paths, &photo, &out, FaceModel::FaceNet).unwrap();
    assert_eq!(r.faces, 1);
    assert!(r.to_string().contains("obama.json"));
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let t = load_reference(&paths, &out, None).unwrap();
    assert_eq!(t.model(), FaceModel::FaceNet);
    let p = load_reference(&paths, &photo, None).unwrap();
    assert!(t.cosine(&p).unwrap() > 0.999);
    let other = load_reference(&paths, &paths.test_image("biden.jpg").unwrap(), None).unwrap();
    assert!(t.cosine(&other).unwrap() < jiuzhu_vision::MATCH_THRESHOLD);
}

#[test]
fn a_generated_video_verifies_with_its_challenges_and_a_reference() {
    let paths = ModelPaths::locate();
    let dir = tempfile::tempdir().unwrap();
    let challenges = [Challenge::TurnLeft, Challenge::OpenMouth];
    let g = generate(&gen_opts(
        ClipKind::Genuine,
        &challenges,
        dir.path().join("clip.avi"),
    ))
    .unwrap();
    assert!(g.frames > 30, "{g}");
    let mut opts = VerifyOptions::new(Input::Video(g.video.clone()));
    opts.challenges = Some(challenges.to_vec());
    opts.reference = Some(paths.test_image("obama.jpg").unwrap());
    let report = verify(&opts).unwrap();
    assert!(report.passed(), "{report}");
    let text = report.to_string();
    assert!(text.starts_with("verdict: PASSED"), "{text}");
    assert!(
        text.contains("turn_left") && text.contains("ms per frame"),
        "{text}"
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["verification"]["verdict"]["passed"], true);
    assert!(json["verification"]["similarity"].as_f64().unwrap() >= 0.6);
    assert_eq!(
        json["verification"]["verdict"]["timings"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // the same recording against another person's photo is rejected for the match only
    opts.reference = Some(paths.test_image("biden.jpg").unwrap());
    let report = verify(&opts).unwrap();
    assert!(!report.passed());
    assert!(
        report.to_string().contains("does not match the reference"),
        "{report}"
    );
}

#[test]
fn a_generated_print_attack_as_png_frames_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let challenges = [Challenge::Nod, Challenge::TurnRight];
    let g = generate(&gen_opts(
        ClipKind::Print,
        &challenges,
        dir.path().join("frames"),
    ))
    .unwrap();
    assert!(g.video.to_string_lossy().ends_with("frame_%04d.png"));
    assert!(dir.path().join("frames/frame_0000.png").is_file());
    let mut opts = VerifyOptions::new(Input::Video(g.video));
    opts.challenges = Some(challenges.to_vec());
    opts.fps = Some(10.0);
    opts.max_duration = Duration::from_secs(20);
    let report = verify(&opts).unwrap();
    assert!(!report.passed(), "{report}");
    assert!(report.to_string().starts_with("verdict: REJECTED"));
}

#[test]
fn missing_inputs_are_errors_that_name_them() {
    let err = verify(&VerifyOptions::new(Input::Video(
        "/nonexistent/clip.avi".into(),
    )))
    .unwrap_err()
    .to_string();
    assert!(err.contains("/nonexistent/clip.avi"), "{err}");
    let mut opts = gen_opts(ClipKind::Genuine, &[Challenge::Blink], "/tmp/x.avi".into());
    opts.subject = "nobody.jpg".into();
    let err = generate(&opts).unwrap_err().to_string();
    assert!(err.contains("obama2.jpg"), "{err}");
}
