//! FaceNet against the face pack's ArcFace on the generated clips: genuine clips and face-swap attacks
//! (person A does the first challenge, person B the rest) of three registry photos, three challenge
//! pairs each, verified against the person's other photo with each model; prints the match similarity,
//! the identity-continuity minimum and the verdict. Needs `make models` and `make face-pack`.
//! `cargo run --release -p jiuzhu-vision --example model_compare`

use jiuzhu_vision::cli::{GenerateOptions, Input, VerifyOptions, generate, verify};
use jiuzhu_vision::liveness::Challenge;
use jiuzhu_vision::synth::ClipKind;
use jiuzhu_vision::{FaceModel, ModelPaths};

fn main() {
    let paths = ModelPaths::locate();
    let dir = tempfile::tempdir().unwrap();
    let sets = [
        vec![Challenge::Blink, Challenge::TurnLeft],
        vec![Challenge::TurnRight, Challenge::Nod],
        vec![Challenge::OpenMouth, Challenge::TurnLeft],
    ];
    for kind in [ClipKind::Genuine, ClipKind::Swap] {
        for subject in ["obama2.jpg", "biden.jpg", "obama3.jpg"] {
            for (k, ch) in sets.iter().enumerate() {
                let seed = 3 + k as u64;
                let out = dir.path().join(format!("c{seed}.avi"));
                let g = generate(&GenerateOptions {
                    kind,
                    challenges: ch.clone(),
                    subject: subject.into(),
                    seed,
                    fps: 10.0,
                    out,
                    models: paths.clone(),
                })
                .unwrap();
                let reference = if subject.starts_with("obama") {
                    "obama.jpg"
                } else {
                    "biden.jpg"
                };
                let mut row = format!("{:?} {subject} seed {seed}:", kind);
                for m in [FaceModel::FaceNet, FaceModel::ArcFace] {
                    let mut opts = VerifyOptions::new(Input::Video(g.video.clone()));
                    opts.challenges = Some(ch.clone());
                    opts.reference = Some(paths.test_image(reference).unwrap());
                    opts.model = Some(m);
                    let r = verify(&opts).unwrap();
                    let v = &r.verification;
                    row += &format!(
                        "  {} sim {:.3} idmin {:.3} passed {}",
                        m.name(),
                        v.similarity.unwrap_or(f32::NAN),
                        v.identity_min.unwrap_or(f32::NAN),
                        v.verdict.passed
                    );
                }
                println!("{row}");
            }
        }
    }
}
