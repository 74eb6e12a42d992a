//! The near-infrared face-present signal of binocular cameras. No binocular recording exists in any
//! registry, so the IR frames here are stand-ins: the grey image of the generated visible frame (a face
//! reflects near infrared, as paper does) versus a dark frame (a phone or monitor emits no near-infrared
//! image). This checks the plumbing and the decision, not the optics.

use std::time::Duration;

use jiuzhu_drivers_api::camera::{Frame, FramePair, PixelFormat};
use jiuzhu_vision::ModelPaths;
use jiuzhu_vision::liveness::Challenge;
use jiuzhu_vision::synth::{ClipKind, ClipSpec, Generator};
use jiuzhu_vision::verifier::Verifier;

fn grey(f: &Frame) -> Frame {
    let data = f
        .data
        .chunks_exact(3)
        .map(|p| ((p[0] as u32 * 29 + p[1] as u32 * 150 + p[2] as u32 * 77) >> 8) as u8)
        .collect();
    Frame::new(f.width, f.height, PixelFormat::Gray8, data).unwrap()
}

fn dark(f: &Frame) -> Frame {
    let data = (0..f.width as usize * f.height as usize)
        .map(|i| 18 + (i * 7 % 5) as u8)
        .collect();
    Frame::new(f.width, f.height, PixelFormat::Gray8, data).unwrap()
}

#[test]
fn a_face_missing_from_the_near_infrared_image_is_rejected() {
    let paths = ModelPaths::locate();
    let generator = Generator::load(&paths, false).unwrap();
    let challenges = vec![Challenge::TurnRight, Challenge::Blink];
    let clip = generator
        .render(
            2,
            None,
            &ClipSpec {
                kind: ClipKind::Genuine,
                challenges: challenges.clone(),
                seed: 4,
                fps: 10.0,
                mirror: false,
            },
        )
        .unwrap();
    let run = |ir: &dyn Fn(&Frame) -> Frame| {
        let mut v = Verifier::new(&paths, challenges.clone(), None).unwrap();
        for (i, f) in clip.frames.iter().enumerate() {
            let pair = FramePair {
                rgb: f.clone(),
                ir: Some(ir(f)),
            };
            v.push_pair(&pair, Duration::from_millis(100 * i as u64))
                .unwrap();
        }
        v.finish()
    };
    let with_face = run(&grey);
    assert!(with_face.verdict.passed, "{:?}", with_face.verdict);
    assert!(with_face.ir_face_ratio.unwrap() > 0.9);
    let screen = run(&dark);
    assert!(!screen.verdict.passed);
    assert_eq!(screen.ir_face_ratio, Some(0.0));
    assert!(
        screen
            .verdict
            .reasons
            .iter()
            .any(|r| r.contains("near-infrared")),
        "{:?}",
        screen.verdict
    );
}
