//! The annual certification end to end on real parts: the Slint UI (testing backend) and the
//! controllers; the ID-card reader and fingerprint module simulators speaking their protocols
//! on pty pairs through the real drivers; the encrypted store and its outbox; and the real
//! `jiuzhu-central` on loopback, which issues the proof that is then verified publicly.
//!
//! No camera is configured here, so the face check reports its problem screen and the resident
//! takes the fingerprint, as the flow offers.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::{Days, Utc};
use common::pump_until;
use jiuzhu_central::store::Recipient;
use jiuzhu_core::api::{AssistanceType, Modality};
use jiuzhu_kiosk::app::{self, AppConfig, Devices};
use jiuzhu_kiosk::controllers::certify::{Choice, Device, FailedWhy, Step};
use jiuzhu_kiosk::services::{self, CentralLink, FaceCamera};
use jiuzhu_kiosk::ui::certify_adapter::choice_id;
use jiuzhu_kiosk::ui::{AppAdapter, CertifyAdapter, Entry, HomeAdapter, MainWindow};
use jiuzhu_sim::idcard::IdCardSim;
use slint::ComponentHandle;

/// 陈淑芬 of `drivers/sim/fixtures/idcards/chen-shufen.toml`.
const CHEN: &str = "500102195805202427";
/// 王德福 of `wang-defu.toml`.
const WANG: &str = "500102194110020032";
/// 谭永贵 of `tan-yonggui.toml`.
const TAN: &str = "500102193706110018";
/// 冉光秀 of `ran-guangxiu.toml`.
const RAN: &str = "500102194603081546";

fn choose(w: &MainWindow, c: Choice) {
    let a = w.global::<CertifyAdapter>();
    a.invoke_choose(a.get_seq(), choice_id(c));
}

fn step() -> Step {
    app::current_step().expect("the kiosk runs")
}

fn recipient(id: &str, name: &str, certified_days_ago: Option<u64>) -> Recipient {
    let today = jiuzhu_core::id::today_in_china();
    Recipient {
        id_number: id.into(),
        name: name.into(),
        township: common::TOWNSHIP.into(),
        assistance_type: AssistanceType::Dibao,
        household_size: 1,
        amount_fen: 61_000,
        since: today - Days::new(900),
        last_certified_on: certified_days_ago.map(|d| today - Days::new(d)),
    }
}

fn register_recipient(central: &common::Central, id: &str, name: &str, certified: Option<u64>) {
    central
        .store
        .put_recipient(&recipient(id, name, certified), "test")
        .unwrap();
}

/// Registers kiosk `kiosk-SEED` with the key of that seed.
fn register_kiosk(central: &common::Central, seed: u8) {
    central
        .store
        .add_kiosk(
            &format!("kiosk-{seed}"),
            common::TOWNSHIP,
            common::kiosk_key(seed).verifying_key().as_bytes(),
            "test",
        )
        .unwrap();
}

struct Kiosk {
    window: MainWindow,
    printer: jiuzhu_sim::printer::PrinterSim,
    card: IdCardSim,
    finger: jiuzhu_sim::r30x::R30xSim,
    link: Arc<CentralLink>,
    _dir: tempfile::TempDir,
}

/// Enrolls finger `finger` of the simulator for `id` at central through the real driver, then
/// builds the kiosk on the same simulators, talking to `url`.
fn kiosk(central: &common::Central, url: &str, key_seed: u8, id: &str, finger: usize) -> Kiosk {
    kiosk_with(central, url, key_seed, id, finger, None)
}

fn kiosk_with(
    central: &common::Central,
    url: &str,
    key_seed: u8,
    id: &str,
    finger: usize,
    camera: Option<FaceCamera>,
) -> Kiosk {
    let dir = tempfile::tempdir().unwrap();
    let (sim, reader, template) = common::sim_finger_enrolled(finger);
    central
        .store
        .put_template(id, Modality::Fingerprint, &template, "test")
        .unwrap();

    let key = common::kiosk_key(key_seed);
    let link = common::kiosk_link(
        dir.path(),
        &format!("kiosk-{key_seed}"),
        &key,
        url,
        Duration::from_secs(5),
    );
    let (card, card_reader) = common::sim_card();
    let (printer, printer_driver) = common::sim_printer();
    let window = common::kiosk_window(
        &AppConfig {
            proof: app::ProofPrinting {
                township_name: "涪陵区江东街道".into(),
                issuer: "重庆市涪陵区民政局".into(),
                verify_at: format!("{url}/v1/public/proofs/"),
                hotline: "023-72222222".into(),
            },
            ..AppConfig::default()
        },
        Devices {
            id_card: Some(card_reader),
            fingerprint: Some(reader),
            camera,
            document_camera: None,
            printer: Some(printer_driver),
        },
        Some(link.clone()),
    );
    Kiosk {
        window,
        printer,
        card,
        finger: sim,
        link,
        _dir: dir,
    }
}

/// Card → central says "not yet certified" → consent → no camera → fingerprint.
fn walk_to_fingerprint(k: &Kiosk, card: &str) {
    k.window.global::<HomeAdapter>().invoke_open(Entry::Certify);
    choose(&k.window, Choice::SelfCheck);
    assert!(matches!(step(), Step::Identify(_)), "{:?}", step());
    k.card.command(&format!("place {card}")).unwrap();
    pump_until("central's answer", 30, || step() == Step::Consent);
    choose(&k.window, Choice::Consent);
    pump_until("the missing camera", 10, || {
        matches!(
            step(),
            Step::Problem {
                device: Device::Camera,
                ..
            }
        )
    });
    choose(&k.window, Choice::Fingerprint);
    assert!(matches!(step(), Step::Fingerprint { .. }), "{:?}", step());
}

fn go_home(k: &Kiosk) {
    choose(&k.window, Choice::Home);
    k.card.command("remove").unwrap();
    k.finger.control().lift();
}

fn certified_at_central(central: &common::Central, id: &str) -> bool {
    central
        .store
        .certification_status(id, jiuzhu_core::id::today_in_china())
        .unwrap()
        .certified_this_cycle
}

fn online(central: &common::Central) {
    register_recipient(central, CHEN, "陈淑芬", None);
    // Enrolled from one impression of her finger (p1_1) …
    let k = kiosk(central, &central.url(), 7, CHEN, 0);
    register_kiosk(central, 7);
    walk_to_fingerprint(&k, "chen-shufen");

    // Someone else's finger first (a generated print): no match, the flow offers another try.
    k.finger.control().place(3);
    pump_until("the verdict", 60, || matches!(step(), Step::Failed { .. }));
    assert!(!certified_at_central(central, CHEN));
    k.finger.control().lift();
    choose(&k.window, Choice::Fingerprint);
    // … verified with another impression of the same finger (p1_2).
    k.finger.control().place(1);
    pump_until("the certification", 60, || {
        matches!(step(), Step::Certified(_))
    });
    let Step::Certified(r) = step() else {
        unreachable!()
    };
    assert!(r.valid_until > Utc::now().date_naive());
    let code = r.proof_code.expect("central issues a proof");
    assert!(certified_at_central(central, CHEN));

    // Anyone can check the proof; it names the person only masked.
    let body: serde_json::Value = central.runtime.block_on(async {
        reqwest::get(format!("{}/v1/public/proofs/{code}", central.url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(body["status"], "valid", "{body}");
    let shown = body.to_string();
    assert!(
        !shown.contains(CHEN) && !shown.contains("陈淑芬"),
        "{shown}"
    );

    // The proof is printed on the receipt printer (ESC/POS to the simulator over a pty),
    // without a tap: the screen says to take it, with the ID card.
    assert!(
        k.window
            .global::<CertifyAdapter>()
            .get_body()
            .contains("正在打印"),
        "{}",
        k.window.global::<CertifyAdapter>().get_body()
    );
    assert!(
        app::spoken()
            .iter()
            .any(|s| s.contains("请取走身份证和回执")),
        "{:?}",
        app::spoken()
    );
    pump_until("the printout", 30, || {
        !k.window.global::<AppAdapter>().get_notice().is_empty()
    });
    let notice = k.window.global::<AppAdapter>().get_notice().to_string();
    assert!(notice.contains("证明已打印"), "{notice}");
    let printed = k.printer.control().text().join("\n");
    assert!(printed.contains("社会救助身份证明"), "{printed}");
    assert!(
        !printed.contains(CHEN) && !printed.contains("陈淑芬"),
        "{printed}"
    );
    assert_eq!(k.printer.control().pages().len(), 1);

    // Delivered exactly once, nothing left in the outbox.
    let counts = k.link.store().lock().unwrap().counts().unwrap();
    assert_eq!((counts.pending, counts.failed), (0, 0), "{counts:?}");

    // The same resident again: central says certified, no second check.
    go_home(&k);
    k.window.global::<HomeAdapter>().invoke_open(Entry::Certify);
    choose(&k.window, Choice::SelfCheck);
    k.card.command("place chen-shufen").unwrap();
    pump_until("central's answer", 30, || {
        matches!(step(), Step::AlreadyCertified { .. })
    });
    // Another copy of her proof: central issues it anew, the kiosk prints it.
    choose(&k.window, Choice::Print);
    pump_until("the second printout", 30, || {
        k.printer.control().pages().len() == 2
    });
    pump_until("the notice", 10, || {
        k.window
            .global::<AppAdapter>()
            .get_notice()
            .contains("证明已打印")
    });
    go_home(&k);
}

fn offline_then_delivered(central: &common::Central) {
    register_recipient(central, WANG, "王德福", Some(380));
    register_kiosk(central, 8);
    let proxy = common::Proxy::start(&central.runtime, central.addr);
    let k = kiosk(central, &proxy.url(), 8, WANG, 2);
    walk_to_fingerprint(&k, "wang-defu");
    // The status query and the template fetch go through; then the network fails for the
    // submission.
    pump_until("the template fetch", 30, || {
        proxy.requests.load(std::sync::atomic::Ordering::SeqCst) >= 2
    });
    proxy.script(&[
        common::Fault::Status(503),
        common::Fault::Status(503),
        common::Fault::Status(503),
    ]);
    k.finger.control().place(2);
    pump_until("the saved result", 60, || step() == Step::SavedForUpload);
    assert!(!certified_at_central(central, WANG));
    let pending = k.link.store().lock().unwrap().counts().unwrap().pending;
    assert_eq!(pending, 1);
    // The background sync delivers it once the network is back, with no one at the kiosk.
    go_home(&k);
    pump_until("the background delivery", 90, || {
        certified_at_central(central, WANG)
            && k.link.store().lock().unwrap().counts().unwrap().pending == 0
    });
    let counts = k.link.store().lock().unwrap().counts().unwrap();
    assert_eq!((counts.pending, counts.failed), (0, 0), "{counts:?}");
}

/// The face check on the simulated camera: the reference is enrolled from one photo, the
/// camera shows a person rendered from another photo of him acting out the challenges (with
/// real parallax, and in near infrared: a binocular camera), and a print of that photo held up
/// to the (visible-only) camera is refused. FaceNet gives the two photos of one man 0.61–0.68
/// (vision/README.md): live, but under the confirm threshold (0.77, false accepts ≤ 0.1 %), so
/// the kiosk asks for his fingerprint, which certifies him.
fn face(central: &common::Central) {
    register_recipient(central, RAN, "冉光秀", Some(400));
    register_kiosk(central, 9);
    common::enroll_face(central, RAN, "obama.jpg");

    // A print attack first: the photo tilted the way the challenges ask.
    let print = jiuzhu_sim::camera::SimCameraConfig {
        kind: jiuzhu_vision::synth::ClipKind::Print,
        ..services::sim_camera_config()
    };
    let k = kiosk_with(
        central,
        &central.url(),
        9,
        RAN,
        4,
        Some(FaceCamera::Sim(print)),
    );
    k.window.global::<HomeAdapter>().invoke_open(Entry::Certify);
    choose(&k.window, Choice::SelfCheck);
    k.card.command("place ran-guangxiu").unwrap();
    pump_until("central's answer", 30, || step() == Step::Consent);
    choose(&k.window, Choice::Consent);
    let mut saw_challenge = false;
    pump_until("the print's verdict", 90, || {
        saw_challenge |= matches!(
            step(),
            Step::Face {
                challenge: Some(_),
                ..
            }
        );
        matches!(step(), Step::Failed { .. } | Step::RouteToStaff)
    });
    assert!(saw_challenge, "the challenges were shown");
    assert!(
        !matches!(
            step(),
            Step::Failed {
                why: FailedWhy::NotConfirmed,
                ..
            }
        ),
        "the print is refused as not live, not as a weak match"
    );
    assert!(!certified_at_central(central, RAN));
    go_home(&k);
    drop(k);

    // The person himself, in front of a binocular camera (`[devices] camera_ir = "sim"`): the
    // near-infrared frames go through the check too (face present, skin cue).
    let binocular = jiuzhu_sim::camera::SimCameraConfig {
        ir: true,
        ..services::sim_camera_config()
    };
    let k = kiosk_with(
        central,
        &central.url(),
        9,
        RAN,
        4,
        Some(FaceCamera::Sim(binocular)),
    );
    k.window.global::<HomeAdapter>().invoke_open(Entry::Certify);
    choose(&k.window, Choice::SelfCheck);
    k.card.command("place ran-guangxiu").unwrap();
    pump_until("central's answer", 30, || step() == Step::Consent);
    choose(&k.window, Choice::Consent);
    let verdict = || {
        pump_until("the face certification", 90, || {
            matches!(
                step(),
                Step::Certified(_) | Step::Failed { .. } | Step::Problem { .. }
            )
        })
    };
    verdict();
    // A face check can turn a genuine resident away (issue #16: this one was refused on his first
    // attempt in 3 of 11 runs, by the screen-light check's skin-colour cue, which one group of
    // the face carried off — fixed, vision/README.md, screen-light item 4); the kiosk then offers
    // the face again, and a resident tries once more, as this one does. Certified within the
    // kiosk's attempts is what is asserted; a second refusal fails the test.
    if let Step::Failed {
        modality: jiuzhu_kiosk::controllers::certify::Modality::Face,
        failures: 1,
        why: FailedWhy::NotPassed,
    } = step()
    {
        eprintln!("the genuine face check was refused once; trying again as a resident would");
        choose(&k.window, Choice::Face);
        verdict();
    }
    // Live (the near-infrared frames included), but the face alone does not confirm him: the
    // screen says so and offers his fingerprint first.
    assert!(
        matches!(
            step(),
            Step::Failed {
                why: FailedWhy::NotConfirmed,
                ..
            }
        ),
        "{:?}",
        step()
    );
    let body = k.window.global::<CertifyAdapter>().get_body().to_string();
    assert!(body.contains("指纹"), "{body}");
    assert!(!certified_at_central(central, RAN));
    choose(&k.window, Choice::Fingerprint);
    assert!(matches!(step(), Step::Fingerprint { .. }), "{:?}", step());
    k.finger.control().place(4);
    pump_until("the fingerprint certification", 60, || {
        matches!(
            step(),
            Step::Certified(_) | Step::Failed { .. } | Step::Problem { .. }
        )
    });
    assert!(matches!(step(), Step::Certified(_)), "{:?}", step());
    assert!(certified_at_central(central, RAN));
    let recs = central.store.certifications_of(RAN).unwrap();
    let last = recs.last().unwrap();
    assert_eq!(last.modality.as_deref(), Some("fingerprint"));
    assert!(last.certified);
    go_home(&k);
}

/// A resident who declines the biometric check asks for a home visit; the request reaches the
/// township's list at central.
fn declined_then_home_visit(central: &common::Central) {
    register_recipient(central, TAN, "谭永贵", Some(390));
    register_kiosk(central, 10);
    let k = kiosk(central, &central.url(), 10, TAN, 4);
    k.window.global::<HomeAdapter>().invoke_open(Entry::Certify);
    choose(&k.window, Choice::SelfCheck);
    k.card.command("place tan-yonggui").unwrap();
    pump_until("central's answer", 30, || step() == Step::Consent);
    choose(&k.window, Choice::Decline);
    assert_eq!(step(), Step::ChooseAlternative);
    choose(&k.window, Choice::HomeVisit);
    pump_until("the request", 30, || {
        matches!(step(), Step::AlternativeRecorded(_) | Step::Problem { .. })
    });
    assert!(
        matches!(step(), Step::AlternativeRecorded(_)),
        "{:?}",
        step()
    );
    let open = central
        .store
        .open_alternatives(
            common::TOWNSHIP,
            &jiuzhu_core::calendar::Calendar::builtin(),
            jiuzhu_core::id::today_in_china(),
        )
        .unwrap();
    assert_eq!(open.len(), 1, "one open request");
    assert!(!certified_at_central(central, TAN));
    go_home(&k);
}

#[test]
fn certification_end_to_end() {
    let logs = common::Logs::capture();
    i_slint_backend_testing::init_integration_test_with_system_time();
    let central = common::Central::start(&[]);
    online(&central);
    offline_then_delivered(&central);
    face(&central);
    declined_then_home_visit(&central);

    let text = logs.text();
    assert!(
        text.contains("certification queued for upload") && text.contains("outbox drained"),
        "the session was logged:\n{text}"
    );
    // The screen-light check (on by default) decided every face check: the print's report has
    // reasons, the person's passed with enough colours (two checks; three when the person was
    // refused once and tried again).
    let checks: Vec<&str> = text.lines().filter(|l| l.contains("face check")).collect();
    assert!(checks.len() == 2 || checks.len() == 3, "{checks:?}");
    assert_eq!(
        checks.iter().filter(|l| l.contains("passed=true")).count(),
        1,
        "{checks:?}"
    );
    assert!(
        checks.iter().all(|l| l.contains("flash=Some(FlashReport")),
        "{checks:?}"
    );
    let person = checks
        .iter()
        .find(|l| l.contains("passed=true"))
        .expect("the person passed");
    assert!(person.contains("reasons: [] })"), "{person}");
    logs.assert_free_of(&[
        CHEN,
        WANG,
        RAN,
        TAN,
        "谭永贵",
        "陈淑芬",
        "王德福",
        "冉光秀",
        &CHEN[6..14],
        &WANG[6..14],
        &RAN[6..14],
        &TAN[6..14],
    ]);
}
