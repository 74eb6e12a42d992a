//! 申请救助 end to end on real parts: the Slint UI (testing backend) and the application
//! controller; the ID-card reader and fingerprint module simulators on pty pairs behind the real
//! drivers; the simulated document camera (real page photos on a real desk) through the real
//! page scanner; the encrypted outbox; and the real `jiuzhu-central` on loopback.
//!
//! The household: 陈淑芬 applies for 低保 with two members — her husband 王德福, who is not at
//! the kiosk and signs later, and 冉光秀 (an obligated person), who signs now with a finger that
//! central has no reference for (a live capture). Two of the three materials are captured; the
//! income proof is missing → the township's one-time notice → supplied through the outbox. Then
//! 王德福 comes to the kiosk and signs (签署授权), which completes the application.

mod common;

use std::time::Duration;

use common::pump_until;
use jiuzhu_core::api::Modality;
use jiuzhu_core::application::Material;
use jiuzhu_core::household::{AssistanceType, IncomeKind, Relationship};
use jiuzhu_core::workflow::{Action, Actor, Event as WfEvent, Role};
use jiuzhu_drivers_api::fingerprint::CancelToken;
use jiuzhu_kiosk::app::{self, AppConfig, Devices};
use jiuzhu_kiosk::controllers::apply::{AmountField, Choice, Step, Who};
use jiuzhu_kiosk::controllers::sign::{
    Choice as SignChoice, Problem as SignProblem, Step as SignStep,
};
use jiuzhu_kiosk::services;
use jiuzhu_kiosk::ui::{ApplyAdapter, Entry, HomeAdapter, MainWindow};
use jiuzhu_sim::doccam::{DocCamConfig, SimDocCam};
use slint::ComponentHandle;

const CHEN: &str = "500102195805202427";
const WANG: &str = "500102194110020032";
const RAN: &str = "500102194603081546";

fn step() -> Step {
    app::apply_step().expect("the kiosk runs")
}

/// Presses `c` on the screen shown, as a finger would (the page's button id, the screen's seq).
fn press(w: &MainWindow, c: Choice) {
    let id = app::apply_choices()
        .iter()
        .position(|x| *x == c)
        .unwrap_or_else(|| panic!("{c:?} is not on {:?}", step()));
    let a = w.global::<ApplyAdapter>();
    a.invoke_choose(a.get_seq(), id as i32);
}

/// Writes a signature on the pad: two strokes.
fn sign_on_pad(w: &MainWindow) {
    let a = w.global::<ApplyAdapter>();
    for (i, stroke) in [(40.0, 80.0), (60.0, 40.0)].iter().enumerate() {
        for j in 0..30 {
            let (x, y) = (
                stroke.0 + j as f32 * 6.0,
                stroke.1 + (j % 5) as f32 * 4.0 + i as f32,
            );
            a.invoke_pen(x, y, true);
        }
        a.invoke_pen(0.0, 0.0, false);
    }
    assert!(!a.get_ink().is_empty(), "the pad shows the ink");
}

#[test]
fn two_members_one_signing_later_one_material_missing_then_noticed_and_supplied() {
    i_slint_backend_testing::init_integration_test_with_system_time();
    let key = common::kiosk_key(31);
    let central = common::Central::start(&[("kiosk-31", &key)]);
    let url = format!("http://{}", central.addr);

    // 陈淑芬's finger 0 is enrolled at central (through the real driver); 冉光秀 has none.
    let (finger, reader, template) = common::sim_finger_enrolled(0);
    // She draws 特困 support already (references are kept for recipients) and now applies for 低保.
    let today = jiuzhu_core::id::today_in_china();
    central
        .store
        .put_recipient(
            &jiuzhu_central::store::Recipient {
                id_number: CHEN.into(),
                name: "陈淑芬".into(),
                township: common::TOWNSHIP.into(),
                assistance_type: jiuzhu_core::api::AssistanceType::Tekun,
                household_size: 1,
                amount_fen: 61_000,
                since: today - chrono::Days::new(900),
                last_certified_on: None,
            },
            "test",
        )
        .unwrap();
    central
        .store
        .put_template(CHEN, Modality::Fingerprint, &template, "test")
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let link = common::kiosk_link(dir.path(), "kiosk-31", &key, &url, Duration::from_secs(5));
    let (card, card_reader) = common::sim_card();
    let (printer, printer_driver) = common::sim_printer();
    let doccam = SimDocCam::open(DocCamConfig::default()).expect("`make fixtures` was run");
    let desk = doccam.control();
    let mut config = AppConfig::default();
    config.office.township = common::TOWNSHIP.into();
    config.office.township_name = "涪陵区江东街道".into();
    let window = common::kiosk_window(
        &config,
        Devices {
            id_card: Some(card_reader),
            fingerprint: Some(reader),
            document_camera: Some(Box::new(doccam)),
            printer: Some(printer_driver),
            ..Devices::default()
        },
        Some(link.clone()),
    );
    let w = &window;

    // Type: 医疗救助 is not open here; 低保 is.
    w.global::<HomeAdapter>().invoke_open(Entry::Apply);
    assert_eq!(step(), Step::ChooseType);
    let rows = w.global::<ApplyAdapter>().get_rows();
    let labels: Vec<String> = (0..slint::Model::row_count(&rows))
        .filter_map(|i| slint::Model::row_data(&rows, i))
        .map(|b| b.label.to_string())
        .collect();
    assert!(labels.iter().any(|l| l.contains("即将开放")), "{labels:?}");
    press(w, Choice::Type(AssistanceType::Dibao));
    press(w, Choice::ForSelf);
    assert_eq!(step(), Step::Identify(Who::Applicant));

    // The applicant's card, then the members'.
    card.command("place chen-shufen").unwrap();
    // Her card's address names this kiosk's township (户籍所在地): confirmed on screen.
    pump_until("the applicant's card", 30, || {
        step() == Step::ConfirmTownship(0)
    });
    let body = w.global::<ApplyAdapter>().get_body().to_string();
    assert!(
        body.contains("江东街道") && body.contains("户口所在地"),
        "{body}"
    );
    press(w, Choice::Yes);
    assert_eq!(step(), Step::Members);
    card.command("remove").unwrap();
    press(w, Choice::AddMember);
    card.command("place wang-defu").unwrap();
    pump_until("the husband's card", 30, || step() == Step::MemberRelation);
    press(w, Choice::Relation(Relationship::Spouse));
    card.command("remove").unwrap();
    press(w, Choice::AddMember);
    card.command("place ran-guangxiu").unwrap();
    pump_until("the third card", 30, || step() == Step::MemberRelation);
    press(w, Choice::Relation(Relationship::Obligated));
    card.command("remove").unwrap();
    press(w, Choice::Next);

    // Income: ¥600 a month of transfers, on the keypad.
    assert_eq!(step(), Step::Incomes);
    press(w, Choice::Edit(AmountField::Income(IncomeKind::Transfer)));
    let a = w.global::<ApplyAdapter>();
    for k in ["6", "0", "0"] {
        a.invoke_key(a.get_seq(), k.into());
    }
    assert_eq!(a.get_typed(), "600");
    press(w, Choice::Next);
    press(w, Choice::Next);
    press(w, Choice::Next);
    assert_eq!(step(), Step::Materials);

    // Two pages captured by the document camera; the income proof is not brought.
    for (m, page) in [(Material::IdCards, 0), (Material::HouseholdRegister, 0)] {
        desk.place(page, None).unwrap();
        press(w, Choice::Capture(m));
        pump_until("the page found", 60, || {
            matches!(step(), Step::ConfirmPage(_) | Step::Problem(_))
        });
        assert_eq!(step(), Step::ConfirmPage(m));
        press(w, Choice::UsePage);
        assert_eq!(step(), Step::Materials);
        desk.remove();
    }
    press(w, Choice::Next);
    // 近亲属申明: yes — it must reach the clerk, who records the details and files it.
    assert_eq!(step(), Step::CloseRelative);
    press(w, Choice::Yes);

    // 陈淑芬 signs with her enrolled finger and her handwriting.
    assert_eq!(step(), Step::Authorization(0));
    assert!(a.get_body().contains("核对授权书"));
    press(w, Choice::SignFingerprint);
    finger.control().place(0);
    pump_until("her finger matched", 60, || {
        matches!(step(), Step::Handwriting(0, _))
    });
    finger.control().lift();
    // 签好了 on an empty pad is refused.
    press(w, Choice::Next);
    assert!(matches!(step(), Step::Handwriting(0, _)));
    sign_on_pad(w);
    press(w, Choice::Next);
    // 王德福 is not here: he signs later. 冉光秀 signs now (no reference: a live capture).
    assert_eq!(step(), Step::Authorization(1));
    press(w, Choice::SignLater);
    assert_eq!(step(), Step::Authorization(2));
    press(w, Choice::SignFingerprint);
    finger.control().place(3);
    pump_until("her live finger", 60, || {
        matches!(step(), Step::Handwriting(2, _))
    });
    finger.control().lift();
    sign_on_pad(w);
    press(w, Choice::Next);
    assert_eq!(step(), Step::Review);
    let review = a.get_body().to_string();
    assert!(review.contains("家庭收入情况证明"), "{review}");
    let wang_masked = jiuzhu_core::id::PersonName::new("王德福").unwrap().masked();
    assert!(review.contains(&wang_masked), "{review}");
    press(w, Choice::Submit);
    pump_until("the receipt", 60, || matches!(step(), Step::Done(_)));
    let Step::Done(receipt) = step() else {
        unreachable!()
    };
    assert!(!receipt.queued, "central answered: {receipt:?}");
    assert_eq!(receipt.missing, vec![Material::IncomeProof]);
    assert_eq!(receipt.unsigned, vec![wang_masked.clone()]);
    assert!(receipt.accept_by > receipt.submitted_on);
    assert!(!app::holds_personal_data() || matches!(step(), Step::Done(_)));
    pump_until("the receipt printed", 30, || {
        printer.control().pages().len() == 1
    });
    let printed = printer.control().text().join("\n");
    assert!(printed.contains("申请回执"), "{printed}");
    assert!(
        !printed.contains("陈淑芬") && !printed.contains(CHEN),
        "{printed}"
    );

    // Central has the case as entered, once the signatures and pages are delivered.
    let case_id = receipt.reference.clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let delivered = || {
        let c = central
            .store
            .case(&case_id)
            .unwrap()
            .expect("the case exists");
        (
            c.application.materials.len(),
            c.application.signatures.len(),
        )
    };
    // A record that met a transient refusal waits for its retry (the outbox's backoff), so
    // allow a minute.
    for _ in 0..1200 {
        if delivered() == (2, 2) {
            break;
        }
        rt.block_on(link.engine().drain()).unwrap();
        std::thread::sleep(Duration::from_millis(50));
    }
    let case = central.store.case(&case_id).unwrap().unwrap();
    if delivered() != (2, 2) {
        // the outbox's state first (its lock released), then one more drain's report
        let (counts, failed) = {
            let store = link.store();
            let s = store.lock().unwrap();
            (s.counts(), s.failed())
        };
        let drain = rt.block_on(link.engine().drain());
        panic!(
            "two pages and two signatures at central: have {:?}; the outbox: {counts:?}, failed: {failed:?}, a drain now: {drain:?}",
            delivered()
        );
    }
    let app_ = &case.application;
    assert!(
        app_.staff_relative_declared && case.relative_details_missing(),
        "the kiosk's 近亲属申明 reached the case"
    );
    assert_eq!(app_.household.members.len(), 3);
    assert_eq!(app_.household.incomes.len(), 1);
    assert_eq!(app_.household.incomes[0].monthly.0, 60_000);
    let signed: Vec<&str> = app_
        .signatures
        .iter()
        .map(|s| s.as_unmasked_str())
        .collect();
    assert!(signed.contains(&CHEN) && signed.contains(&RAN) && !signed.contains(&WANG));
    let kinds: Vec<Material> = app_.materials.iter().map(|m| m.kind).collect();
    assert!(kinds.contains(&Material::IdCards) && kinds.contains(&Material::HouseholdRegister));

    // The township's one-time notice names the missing income proof …
    let cal = jiuzhu_core::calendar::Calendar::builtin();
    let deadline = cal
        .add_working_days(jiuzhu_core::id::today_in_china(), 10)
        .value;
    central
        .store
        .apply_event(
            &case_id,
            "clerk",
            &jiuzhu_central::store::WorkflowStep {
                event: WfEvent::new(
                    Actor::staff(Role::TownshipClerk, "clerk", common::TOWNSHIP),
                    Action::NotifyMissingMaterials {
                        deadline,
                        unusable: vec![],
                        note: String::new(),
                    },
                ),
                now: chrono::Utc::now(),
                calendar: &cal,
            },
        )
        .unwrap();
    let noticed = central.store.case(&case_id).unwrap().unwrap();
    let notice = noticed
        .missing_notice
        .clone()
        .expect("the notice is on the case");
    assert!(
        format!("{notice:?}").contains("IncomeProof"),
        "the notice lists the income proof: {notice:?}"
    );

    // … and the household supplies it at the kiosk: the page goes through the outbox.
    let page = {
        let mut cam = SimDocCam::open(DocCamConfig::default()).unwrap();
        cam.control().place(0, None).unwrap();
        services::scan_document(&mut cam, &CancelToken::new()).expect("a page is found")
    };
    let app_record: uuid::Uuid = receipt.record.parse().expect("the kiosk's record id");
    assert!(
        link.store().lock().unwrap().failed().unwrap().is_empty(),
        "nothing refused"
    );
    link.store()
        .lock()
        .unwrap()
        .enqueue_material_for(app_record, "income_proof", "image/jpeg", &page, 1)
        .unwrap();
    rt.block_on(link.engine().drain()).unwrap();
    let done = central.store.case(&case_id).unwrap().unwrap();
    assert!(
        done.application
            .materials
            .iter()
            .any(|m| m.kind == Material::IncomeProof),
        "the income proof is on the case"
    );
    assert!(done.application.missing_materials().is_empty());

    // Home wipes everything.
    press(w, Choice::Home);
    assert!(!app::holds_personal_data());

    // 签署授权: 王德福 comes later. His card → the one application waiting for him, with only
    // what he must see → a live finger (no reference at central) and his handwriting → central
    // has his signature and, everything now in, the case is complete again.
    let stored_files = || {
        central
            .store
            .case_summary(&case_id)
            .unwrap()
            .expect("the case exists")
            .materials
    };
    let files_before = stored_files();
    w.global::<HomeAdapter>().invoke_open(Entry::Sign);
    assert_eq!(app::sign_step(), Some(SignStep::Identify));
    card.command("place wang-defu").unwrap();
    pump_until("his application found", 30, || {
        app::sign_step() == Some(SignStep::Authorization)
    });
    card.command("remove").unwrap();
    let body = a.get_body().to_string();
    assert!(body.contains("城乡低保") && body.contains("配偶"), "{body}");
    let chen_masked = jiuzhu_core::id::PersonName::new("陈淑芬").unwrap().masked();
    assert!(body.contains(&chen_masked), "{body}");
    for secret in ["陈淑芬", CHEN, RAN, "600"] {
        assert!(!body.contains(secret), "{secret} is not his to see: {body}");
    }
    press_sign(w, SignChoice::SignFingerprint);
    finger.control().place(4);
    pump_until("his live finger", 60, || {
        matches!(
            app::sign_step(),
            Some(SignStep::Handwriting(_) | SignStep::Problem(_))
        )
    });
    assert!(
        matches!(app::sign_step(), Some(SignStep::Handwriting(_))),
        "{:?}: {}",
        app::sign_step(),
        a.get_body()
    );
    finger.control().lift();
    press_sign(w, SignChoice::Next);
    assert!(
        matches!(app::sign_step(), Some(SignStep::Handwriting(_))),
        "an empty pad is refused"
    );
    // His own hand: a stroke of his before the common two (the PNG differs from theirs).
    for j in 0..20 {
        a.invoke_pen(30.0 + j as f32 * 3.0, 20.0 + j as f32 * 5.0, true);
    }
    a.invoke_pen(0.0, 0.0, false);
    sign_on_pad(w);
    press_sign(w, SignChoice::Next);
    pump_until("signed", 60, || {
        matches!(app::sign_step(), Some(SignStep::Done { .. }))
    });
    assert_eq!(
        app::sign_step(),
        Some(SignStep::Done { queued: false }),
        "central answered"
    );
    assert_eq!(
        app::sign_choices(),
        vec![SignChoice::Print, SignChoice::Home],
        "nothing else waits"
    );
    let signed = central.store.case(&case_id).unwrap().unwrap();
    assert!(
        signed
            .application
            .signatures
            .iter()
            .any(|s| s.as_unmasked_str() == WANG)
    );
    assert!(signed.awaiting_signature(today).is_empty());
    assert_eq!(
        signed.state,
        jiuzhu_core::workflow::CaseState::Submitted,
        "materials and signatures complete: back to the township for acceptance"
    );
    assert_eq!(
        stored_files(),
        files_before + 1,
        "his handwriting is archived"
    );
    // His receipt, with masked names only.
    pump_until("his receipt printed", 30, || {
        printer.control().pages().len() == 2
    });
    let printed = printer.control().text().join("\n");
    assert!(printed.contains("授权书签署回执"), "{printed}");
    assert!(printed.contains("签名已送达乡镇"), "{printed}");
    for secret in ["王德福", WANG, "陈淑芬", CHEN] {
        assert!(!printed.contains(secret), "{secret} printed: {printed}");
    }
    // A second visit finds nothing to sign.
    press_sign(w, SignChoice::Home);
    assert!(!app::holds_personal_data());
    w.global::<HomeAdapter>().invoke_open(Entry::Sign);
    card.command("place wang-defu").unwrap();
    pump_until("nothing to sign", 30, || {
        matches!(app::sign_step(), Some(SignStep::Problem(_)))
    });
    card.command("remove").unwrap();
    assert_eq!(
        app::sign_step(),
        Some(SignStep::Problem(SignProblem::NothingToSign))
    );
    press_sign(w, SignChoice::Home);
    assert!(!app::holds_personal_data());
    drop(rt);
}

/// Presses `c` on the 签署授权 screen shown (the same page as the application's).
fn press_sign(w: &MainWindow, c: SignChoice) {
    let id = app::sign_choices()
        .iter()
        .position(|x| *x == c)
        .unwrap_or_else(|| panic!("{c:?} is not on {:?}", app::sign_step()));
    let a = w.global::<ApplyAdapter>();
    a.invoke_choose(a.get_seq(), id as i32);
}
