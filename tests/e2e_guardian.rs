//! 监护人代认证 (guardian mode, domain.md §3) end to end on real parts: the Slint UI (testing
//! backend) and the controllers; the ID-card reader simulator speaking its protocol on a pty pair
//! through the real driver; the simulated camera (a person rendered from a registry photo) for
//! the guardian's face check and the on-site photo; the encrypted store and its outbox; and the
//! real `jiuzhu-central` on loopback, which records the guardian and the photo.
//!
//! A registered guardian certifies a recipient; someone who is not registered is refused before
//! any biometric is taken.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::Days;
use common::pump_until;
use ed25519_dalek::SigningKey;
use jiuzhu_central::store::{NewGuardian, Recipient};
use jiuzhu_core::api::AssistanceType;
use jiuzhu_kiosk::app::{self, AppConfig, Devices};
use jiuzhu_kiosk::controllers::certify::{Choice, Role, Step};
use jiuzhu_kiosk::services::{self, CentralLink, FaceCamera};
use jiuzhu_kiosk::ui::certify_adapter::choice_id;
use jiuzhu_kiosk::ui::{CertifyAdapter, Entry, HomeAdapter, MainWindow};
use jiuzhu_sim::idcard::IdCardSim;
use slint::ComponentHandle;

/// 王德福 of `drivers/sim/fixtures/idcards/wang-defu.toml`: the recipient.
const WANG: &str = "500102194110020032";
/// 谭永贵 of `tan-yonggui.toml`: his registered guardian.
const TAN: &str = "500102193706110018";
/// 陈淑芬 of `chen-shufen.toml`: not his guardian.
const CHEN: &str = "500102195805202427";
/// The district key `common::Central` signs with (and derives the evidence key from).
const DISTRICT_SEED: [u8; 32] = [42; 32];

fn choose(w: &MainWindow, c: Choice) {
    let a = w.global::<CertifyAdapter>();
    a.invoke_choose(a.get_seq(), choice_id(c));
}

fn step() -> Step {
    app::current_step().expect("the kiosk runs")
}

/// Takes any card off the reader, lets the reader see the empty field (within a session a card
/// must leave before the next is read), then places card `name`.
fn place(card: &IdCardSim, name: &str) {
    card.command("remove").unwrap();
    let off = std::time::Instant::now();
    pump_until("the card taken off", 10, || {
        off.elapsed() > Duration::from_millis(1500)
    });
    card.command(&format!("place {name}")).unwrap();
}

struct Kiosk {
    window: MainWindow,
    card: IdCardSim,
    _link: Arc<CentralLink>,
    _dir: tempfile::TempDir,
}

fn kiosk(central: &common::Central, seed: u8) -> Kiosk {
    let dir = tempfile::tempdir().unwrap();
    let key = common::kiosk_key(seed);
    central
        .store
        .add_kiosk(
            &format!("kiosk-{seed}"),
            common::TOWNSHIP,
            key.verifying_key().as_bytes(),
            "test",
        )
        .unwrap();
    let link = common::kiosk_link(
        dir.path(),
        &format!("kiosk-{seed}"),
        &key,
        &central.url(),
        Duration::from_secs(5),
    );
    let (card, card_reader) = common::sim_card();
    let window = common::kiosk_window(
        &AppConfig::default(),
        Devices {
            id_card: Some(card_reader),
            camera: Some(FaceCamera::Sim(services::sim_camera_config())),
            ..Devices::default()
        },
        Some(link.clone()),
    );
    Kiosk {
        window,
        card,
        _link: link,
        _dir: dir,
    }
}

/// Central as the township left it: 王德福 is due for his check, 谭永贵 is registered as his
/// guardian with a face reference enrolled from a registry photo (the simulated camera shows a
/// person rendered from another photo of the same man).
fn township_records(central: &common::Central) {
    let today = jiuzhu_core::id::today_in_china();
    central
        .store
        .put_recipient(
            &Recipient {
                id_number: WANG.into(),
                name: "王德福".into(),
                township: common::TOWNSHIP.into(),
                assistance_type: AssistanceType::Tekun,
                household_size: 1,
                amount_fen: 99_000,
                since: today - Days::new(900),
                last_certified_on: Some(today - Days::new(380)),
            },
            "test",
        )
        .unwrap();
    central
        .store
        .put_guardian(
            &NewGuardian {
                recipient_id: WANG,
                guardian_id: TAN,
                name: "谭永贵",
                relation: "sibling",
                now: chrono::Utc::now(),
            },
            "test",
        )
        .unwrap();
    // The guardian's reference from the very photo the simulated camera renders him from (FaceNet
    // 0.90–0.91): his face alone confirms him, and the flow goes on to the photo. A different photo
    // of him (0.61–0.68) would ask for his fingerprint (e2e_certify's face walk).
    common::enroll_face(central, TAN, "obama2.jpg");
}

fn guardian_certifies(central: &common::Central, k: &Kiosk) {
    k.window.global::<HomeAdapter>().invoke_open(Entry::Certify);
    choose(&k.window, Choice::Guardian);
    assert_eq!(step(), Step::Identify(Role::Guardian));
    place(&k.card, "tan-yonggui");
    pump_until("the guardian's card", 30, || {
        step() == Step::Identify(Role::Recipient)
    });
    place(&k.card, "wang-defu");
    pump_until("central's answer", 30, || step() == Step::GuardianConsent);
    let body = k.window.global::<CertifyAdapter>().get_body().to_string();
    assert!(
        body.contains("现场照片"),
        "the consent names the photo: {body}"
    );
    choose(&k.window, Choice::Consent);
    let mut saw_challenge = false;
    pump_until("the guardian's face check", 120, || {
        saw_challenge |= matches!(
            step(),
            Step::Face {
                challenge: Some(_),
                ..
            }
        );
        matches!(
            step(),
            Step::Photo | Step::Failed { .. } | Step::Problem { .. } | Step::RouteToStaff
        )
    });
    assert_eq!(step(), Step::Photo, "the guardian's face passed");
    assert!(saw_challenge, "the challenges were shown");
    assert_eq!(
        central.certification_count(),
        0,
        "nothing is sent before the photo"
    );
    // "Look at the camera": the picture is on screen before the photo is taken.
    take_photo(&k.window, "the photo");
    assert_eq!(step(), Step::PhotoReview);
    // Retake once, then use it.
    choose(&k.window, Choice::Retake);
    assert_eq!(step(), Step::Photo);
    take_photo(&k.window, "the second photo");
    choose(&k.window, Choice::UsePhoto);
    pump_until("the certification", 60, || {
        matches!(
            step(),
            Step::Certified(_) | Step::Problem { .. } | Step::SavedForUpload
        )
    });
    assert!(matches!(step(), Step::Certified(_)), "{:?}", step());

    // Central recorded the guardian and the photo, encrypted at rest.
    let recs = central.store.certifications_of(WANG).unwrap();
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert!(r.certified);
    assert_eq!(
        (r.mode.as_str(), r.modality.as_deref()),
        ("guardian", Some("face"))
    );
    assert_eq!(r.assisted_by.as_deref(), Some(TAN));
    let sealed = r.evidence.clone().expect("the on-site photo is kept");
    let jpeg =
        jiuzhu_central::evidence::open(&SigningKey::from_bytes(&DISTRICT_SEED), &sealed).unwrap();
    let img = image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg).unwrap();
    assert!(
        img.width() >= 320 && img.height() >= 240,
        "{}×{}",
        img.width(),
        img.height()
    );
    assert!(
        central
            .store
            .certification_status(WANG, jiuzhu_core::id::today_in_china())
            .unwrap()
            .certified_this_cycle
    );
    choose(&k.window, Choice::Home);
    k.card.command("remove").unwrap();
}

fn stranger_is_refused(central: &common::Central, k: &Kiosk) {
    // 王德福 is certified now; a fresh due recipient for the refusal is not needed: central
    // checks the guardian first.
    k.window.global::<HomeAdapter>().invoke_open(Entry::Certify);
    choose(&k.window, Choice::Guardian);
    place(&k.card, "chen-shufen");
    pump_until("the would-be guardian's card", 30, || {
        step() == Step::Identify(Role::Recipient)
    });
    place(&k.card, "wang-defu");
    pump_until("central's refusal", 30, || {
        matches!(step(), Step::NotGuardian | Step::Problem { .. })
    });
    assert_eq!(step(), Step::NotGuardian);
    let title = k.window.global::<CertifyAdapter>().get_title().to_string();
    assert!(title.contains("不是登记的监护人"), "{title}");
    assert_eq!(central.certification_count(), 1, "nothing more recorded");
    assert!(!central.store.is_guardian(WANG, CHEN).unwrap());
    choose(&k.window, Choice::Home);
    k.card.command("remove").unwrap();
}

#[test]
fn guardian_certification_end_to_end() {
    let logs = common::Logs::capture();
    i_slint_backend_testing::init_integration_test_with_system_time();
    let central = common::Central::start(&[]);
    township_records(&central);
    let k = kiosk(&central, 12);
    guardian_certifies(&central, &k);
    stranger_is_refused(&central, &k);

    let text = logs.text();
    assert!(
        text.contains("on-site photo taken"),
        "the session was logged"
    );
    logs.assert_free_of(&[
        WANG,
        TAN,
        CHEN,
        "王德福",
        "谭永贵",
        "陈淑芬",
        &WANG[6..14],
        &TAN[6..14],
    ]);
}

/// Waits until the camera's picture is on screen, takes the photo and waits for its review (or
/// a problem).
fn take_photo(w: &MainWindow, what: &str) {
    pump_until("the camera's picture", 60, || {
        w.global::<CertifyAdapter>().get_preview().size().width > 0
    });
    choose(w, Choice::TakePhoto);
    pump_until(what, 30, || {
        matches!(step(), Step::PhotoReview | Step::Problem { .. })
    });
}
