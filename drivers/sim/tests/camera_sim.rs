//! The simulated camera serves generated clips as a camera; the real face pipeline judges them.

use std::time::Duration;

use jiuzhu_drivers_api::camera::{CameraError, FrameSource};
use jiuzhu_sim::camera::{SimCamera, SimCameraConfig};
use jiuzhu_vision::ModelPaths;
use jiuzhu_vision::liveness::Challenge;
use jiuzhu_vision::synth::ClipKind;
use jiuzhu_vision::verifier::Verifier;

fn verdict(
    cam: &mut SimCamera,
    challenges: Vec<Challenge>,
) -> jiuzhu_vision::verifier::Verification {
    let fps = cam.info().fps;
    let mut v = Verifier::new(&ModelPaths::locate(), challenges, None).unwrap();
    let mut i = 0u32;
    while let Some(f) = cam.next_frame().unwrap() {
        // The clip's own time, whatever the pace of reading (here: as fast as possible).
        let at = f.captured.expect("the simulator times its frames");
        assert_eq!(at, Duration::from_secs_f64(i as f64 / fps));
        v.push_frame(&f, at).unwrap();
        i += 1;
    }
    v.finish()
}

#[test]
fn genuine_clip_passes_and_a_print_of_the_same_face_does_not() {
    let challenges = vec![Challenge::TurnRight, Challenge::Blink];
    let cfg = SimCameraConfig {
        challenges: challenges.clone(),
        ..SimCameraConfig::default()
    };
    let mut cam = SimCamera::generate(&ModelPaths::locate(), cfg.clone()).unwrap();
    assert_eq!((cam.info().width, cam.info().height), (640, 480));
    assert!(cam.info().description.contains("genuine"));
    let v = verdict(&mut cam, challenges.clone());
    assert!(v.verdict.passed, "{:?}", v.verdict);
    let print = SimCameraConfig {
        kind: ClipKind::Print,
        ..cfg
    };
    let mut cam = SimCamera::generate(&ModelPaths::locate(), print).unwrap();
    let v = verdict(&mut cam, challenges);
    assert!(!v.verdict.passed, "print accepted: {:?}", v.verdict);
}

#[test]
fn loops_counts_on_and_unplugs_when_told() {
    let cfg = SimCameraConfig::parse("screen-photo:nod,blink:biden.jpg:5").unwrap();
    assert_eq!(cfg.challenges, vec![Challenge::Nod, Challenge::Blink]);
    assert_eq!((cfg.subject.as_str(), cfg.seed), ("biden.jpg", 5));
    let mut cam = SimCamera::generate(
        &ModelPaths::locate(),
        SimCameraConfig {
            looped: true,
            unplug_after: Some(100),
            ..cfg
        },
    )
    .unwrap();
    let n = cam.clip_len();
    assert!(n > 10 && n < 100, "{n}");
    let frames: Vec<_> = (0..n + 3)
        .map(|_| cam.next_frame().unwrap().unwrap())
        .collect();
    assert_eq!(frames[n + 2].seq, (n + 2) as u64);
    // Looping keeps the clock running: a person standing there goes on in time.
    assert!(frames[n].captured > frames[n - 1].captured);
    assert_eq!(frames[n].data, frames[0].data);
    for _ in n + 3..100 {
        cam.next_frame().unwrap();
    }
    assert!(matches!(
        cam.next_frame(),
        Err(CameraError::Disconnected(_))
    ));
}

#[test]
fn bad_specs_say_what_is_accepted() {
    let e = SimCameraConfig::parse("poster").unwrap_err().to_string();
    assert!(e.contains("genuine") && e.contains("print"), "{e}");
    let e = SimCameraConfig::parse("genuine:wink")
        .unwrap_err()
        .to_string();
    assert!(e.contains("turn_left"), "{e}");
    let e = SimCamera::generate(
        &ModelPaths::locate(),
        SimCameraConfig {
            subject: "nobody.jpg".into(),
            ..SimCameraConfig::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("obama.jpg"), "{e}");
}

/// The kiosk flashes its colour schedule while the simulated camera films: the simulated person's
/// face answers by its shape and skin colour and passes the screen-light check; a print answers
/// evenly, a screen (which emits its picture) not at all, and both fail it.
#[rstest::rstest]
#[case::genuine(ClipKind::Genuine, true)]
#[case::print(ClipKind::Print, false)]
#[case::screen(ClipKind::ScreenReplay, false)]
fn the_scene_answers_the_kiosk_screen_light(#[case] kind: ClipKind, #[case] live: bool) {
    use jiuzhu_sim::camera::ScreenLight;
    use jiuzhu_vision::flash::{FlashConfig, Schedule};
    use jiuzhu_vision::verifier::VerifierConfig;
    use rand::SeedableRng;

    let challenges = vec![Challenge::Blink, Challenge::TurnLeft];
    let cfg = SimCameraConfig {
        kind,
        challenges: challenges.clone(),
        ..SimCameraConfig::default()
    };
    let light = ScreenLight::default();
    let mut cam = SimCamera::generate(&ModelPaths::locate(), cfg)
        .unwrap()
        .lit_by(light.clone());
    let schedule = Schedule::random(&mut rand::rngs::StdRng::seed_from_u64(3));
    let vcfg = VerifierConfig {
        flash: Some(FlashConfig::default()),
        ..VerifierConfig::default()
    };
    let mut v = Verifier::with_config(&ModelPaths::locate(), challenges, None, vcfg).unwrap();
    let fps = cam.info().fps;
    let mut i = 0u32;
    loop {
        let at = Duration::from_secs_f64(f64::from(i) / fps);
        let colour = schedule.colour_at(at);
        light.show(colour);
        let Some(f) = cam.next_frame().unwrap() else {
            break;
        };
        v.push_frame_lit(&f, at, colour).unwrap();
        i += 1;
    }
    let out = v.finish();
    let flash = out.flash.clone().expect("the check ran");
    eprintln!("{kind:?}: {flash:?}");
    assert_eq!(flash.passed(), live, "{flash:?}");
}

/// A binocular simulated camera (`ir`, the kiosk's `camera_ir = "sim"`) serves each visible frame
/// with its near-infrared frame (grey, same size, same number and time); the verifier judges both:
/// the live face reads as skin in NIR, a laser print (seed 2: carbon black) does not.
#[test]
fn a_binocular_camera_serves_near_infrared_that_the_verifier_judges() {
    let challenges = vec![Challenge::TurnRight, Challenge::Blink];
    let judge = |kind: ClipKind, seed: u64| {
        let mut cam = SimCamera::generate(
            &ModelPaths::locate(),
            SimCameraConfig {
                kind,
                challenges: challenges.clone(),
                seed,
                ir: true,
                ..SimCameraConfig::default()
            },
        )
        .unwrap();
        assert!(cam.info().has_ir);
        let mut v = Verifier::new(&ModelPaths::locate(), challenges.clone(), None).unwrap();
        while let Some(pair) = cam.next_pair().unwrap() {
            let ir = pair
                .ir
                .as_ref()
                .expect("a near-infrared frame with each visible one");
            assert_eq!(ir.format, jiuzhu_drivers_api::camera::PixelFormat::Gray8);
            assert_eq!(
                (ir.width, ir.height, ir.seq),
                (pair.rgb.width, pair.rgb.height, pair.rgb.seq)
            );
            assert_eq!(ir.captured, pair.rgb.captured);
            v.push_pair(&pair, pair.rgb.captured.unwrap()).unwrap();
        }
        v.finish()
    };
    let live = judge(ClipKind::Genuine, 2);
    assert!(live.verdict.passed, "{:?}", live.verdict);
    assert!(live.nir.is_some_and(|c| c.lip_lift >= 0.05), "{live:?}");
    let print = judge(ClipKind::Print, 2);
    assert!(!print.verdict.passed);
    assert!(
        print
            .verdict
            .reasons
            .iter()
            .any(|r| r.contains("near infrared")),
        "{:?}",
        print.verdict
    );
    // without `ir` the camera stays visible-only
    let cam = SimCamera::generate(&ModelPaths::locate(), SimCameraConfig::default()).unwrap();
    assert!(!cam.info().has_ir);
}
