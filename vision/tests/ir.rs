//! The near-infrared signals of binocular cameras (`Verifier::push_pair`): the face-present signal and
//! the skin cue ([`jiuzhu_vision::nir`]). No binocular recording of a live face exists in any registry,
//! so the NIR frames are `synth`'s, rendered by `nir::render` from published optics (skin's lips fade
//! in NIR, carbon ink does not, dyes vanish, screens emit none): these tests check the plumbing and
//! that the decision follows that model, not the optics of a real camera (vision/README.md, Near
//! infrared).

use std::time::Duration;

use jiuzhu_drivers_api::camera::{Frame, FramePair, PixelFormat};
use jiuzhu_vision::ModelPaths;
use jiuzhu_vision::liveness::Challenge;
use jiuzhu_vision::synth::{Clip, ClipKind, ClipSpec, Generator};
use jiuzhu_vision::verifier::{Verification, Verifier};

const CHALLENGES: [Challenge; 2] = [Challenge::TurnRight, Challenge::Blink];

fn clip(generator: &Generator, subject: usize, kind: ClipKind, seed: u64) -> Clip {
    generator
        .render_binocular(
            subject,
            None,
            &ClipSpec {
                kind,
                challenges: CHALLENGES.to_vec(),
                seed,
                fps: 10.0,
                mirror: false,
            },
        )
        .unwrap()
}

/// Each visible frame of `clip` with `ir(i)` as its NIR frame, through a verifier without a
/// reference.
fn verify(paths: &ModelPaths, clip: &Clip, ir: &dyn Fn(usize) -> Frame) -> Verification {
    let mut v = Verifier::new(paths, CHALLENGES.to_vec(), None).unwrap();
    for (i, f) in clip.frames.iter().enumerate() {
        let pair = FramePair {
            rgb: f.clone(),
            ir: Some(ir(i)),
        };
        v.push_pair(&pair, Duration::from_millis(100 * i as u64))
            .unwrap();
    }
    v.finish()
}

fn has(v: &Verification, words: &str) -> bool {
    eprintln!(
        "ir face {:?}, nir {:?}, blank {}: {:?}",
        v.ir_face_ratio, v.nir, v.ir_blank, v.verdict.reasons
    );
    v.verdict.reasons.iter().any(|r| r.contains(words))
}

#[test]
fn a_live_face_reads_as_skin_in_near_infrared_and_ink_and_screens_do_not() {
    let paths = ModelPaths::locate();
    let generator = Generator::load(&paths, false).unwrap();
    for subject in [0, 2] {
        // live: the face in NIR where it is in view, its lips lifted against the cheeks
        let live = clip(&generator, subject, ClipKind::Genuine, 4);
        assert_eq!(live.nir.len(), live.frames.len());
        let v = verify(&paths, &live, &|i| live.nir[i].clone());
        assert!(v.verdict.passed, "{:?}", v.verdict);
        assert_eq!(v.camera_fault, None);
        assert!(v.ir_face_ratio.unwrap() > 0.9, "{v:?}");
        let cue = v.nir.expect("measured");
        eprintln!("live: {cue:?}");
        assert!(cue.lip_lift >= 0.08 && cue.structure >= 0.2, "{cue:?}");

        // a laser print (even seed: carbon black): the face is there, its lips as dark as in
        // visible light
        let print = clip(&generator, subject, ClipKind::Print, 4);
        let v = verify(&paths, &print, &|i| print.nir[i].clone());
        assert!(!v.verdict.passed);
        assert!(
            has(&v, "lips stay as dark in near infrared"),
            "{:?}",
            v.verdict
        );
        assert!(v.nir.expect("measured").lip_lift < 0.04, "{v:?}");

        // an inkjet print (odd seed: dyes): nearly blank paper, or no face at all
        let inkjet = clip(&generator, subject, ClipKind::Print, 5);
        let v = verify(&paths, &inkjet, &|i| inkjet.nir[i].clone());
        assert!(!v.verdict.passed);
        assert!(
            has(&v, "nearly blank in near infrared") || has(&v, "no face in the near-infrared"),
            "{:?}",
            v.verdict
        );

        // a screen: no picture in NIR
        let screen = clip(&generator, subject, ClipKind::ScreenReplay, 4);
        let v = verify(&paths, &screen, &|i| screen.nir[i].clone());
        assert!(!v.verdict.passed);
        assert!(has(&v, "no face in the near-infrared"), "{:?}", v.verdict);
    }
}

/// A black NIR image (a covered lens, a dead illuminator) is reported as the kiosk's fault for staff
/// to fix, not as the person's presentation attack; the session still does not pass (the NIR
/// signals are part of the decision on this kiosk).
#[test]
fn a_dark_near_infrared_camera_is_a_fault_for_staff_not_a_verdict_on_the_person() {
    let paths = ModelPaths::locate();
    let generator = Generator::load(&paths, false).unwrap();
    let live = clip(&generator, 2, ClipKind::Genuine, 4);
    let black = |_: usize| {
        let f = &live.frames[0];
        Frame::new(
            f.width,
            f.height,
            PixelFormat::Gray8,
            vec![1; (f.width * f.height) as usize],
        )
        .unwrap()
    };
    let v = verify(&paths, &live, &black);
    assert!(!v.verdict.passed);
    assert!(has(&v, "staff should check the camera"), "{:?}", v.verdict);
    assert!(!has(&v, "a screen shows no image"), "{:?}", v.verdict);
    assert_eq!(v.ir_blank, v.frames);
    assert_eq!(v.nir, None);
    assert!(
        v.camera_fault
            .is_some_and(|f| f.contains("near-infrared camera"))
    );
}

/// A binocular camera whose NIR lens stops giving frames (unplugged, failing) is a camera fault: the
/// session is not judged on visible light alone. A camera that never promised NIR is judged as
/// before.
#[test]
fn a_binocular_camera_without_its_near_infrared_frames_is_a_fault() {
    let paths = ModelPaths::locate();
    let generator = Generator::load(&paths, false).unwrap();
    let live = clip(&generator, 2, ClipKind::Genuine, 4);
    let run = |binocular: bool| {
        let mut v = Verifier::new(&paths, CHALLENGES.to_vec(), None).unwrap();
        if binocular {
            v.require_ir();
        }
        for (i, f) in live.frames.iter().enumerate() {
            // the NIR frame only for the first few pairs
            let ir = (i < 5).then(|| live.nir[i].clone());
            v.push_pair(
                &FramePair { rgb: f.clone(), ir },
                Duration::from_millis(100 * i as u64),
            )
            .unwrap();
        }
        v.finish()
    };
    let v = run(true);
    assert!(!v.verdict.passed);
    assert!(
        v.camera_fault
            .as_deref()
            .is_some_and(|f| f.contains("gave no image")),
        "{v:?}"
    );
    let v = run(false);
    assert!(v.verdict.passed, "{:?}", v.verdict);
    assert_eq!(v.camera_fault, None);
}
