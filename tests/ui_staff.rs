//! The staff entry (工作人员) end to end on real parts: the Slint UI (testing backend) pressed by
//! its accessible labels, the controllers and the worker, the encrypted store, the kiosk camera
//! simulator (a person rendered in 3-D, through `FaceCamera::Sim`) and the real `jiuzhu-central`
//! on loopback seeded with its demo staff accounts. Cases are submitted through the kiosk's
//! signed client; every step the UI takes is then checked by asking central's store directly.

mod common;

use std::time::{Duration, Instant};

use common::pump_until;
use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use jiuzhu_central::seed::DEMO_TOWNSHIP;
use jiuzhu_core::application::Material;
use jiuzhu_core::workflow::CaseState;
use jiuzhu_kiosk::app::{self, AppConfig, Devices};
use jiuzhu_kiosk::controllers::session::SessionTimeouts;
use jiuzhu_kiosk::controllers::staff::{Investigation, NOTICE_DEFAULT_WORKING_DAYS, Screen};
use jiuzhu_kiosk::services::{self, FaceCamera};
use jiuzhu_kiosk::sync::client::{CentralClient, KioskIdentity};
use jiuzhu_kiosk::ui::{AppAdapter, Entry, HomeAdapter, MainWindow, Page, StaffAdapter, Theme};
use serde_json::{Value, json};
use slint::{ComponentHandle, Model};

const KIOSK_SEED: u8 = 31;

fn kiosk_id() -> String {
    format!("kiosk-{KIOSK_SEED}")
}

fn find(w: &MainWindow, label: &str) -> Option<ElementHandle> {
    ElementHandle::find_by_accessible_label(w, label)
        .find(|e| e.accessible_role() == Some(AccessibleRole::Button))
}

fn press(w: &MainWindow, label: &str) {
    find(w, label)
        .unwrap_or_else(|| {
            panic!(
                "no button {label:?} on {:?} ({})",
                app::staff_screen(),
                w.global::<StaffAdapter>().get_message()
            )
        })
        .invoke_accessible_default_action();
}

fn type_text(w: &MainWindow, text: &str) {
    for c in text.chars() {
        press(w, &c.to_string());
    }
}

/// Every touch target of the screen shown is at least 80×80 and on the 1920×1080 screen, in
/// normal and in 长辈模式.
fn targets_fit(w: &MainWindow, what: &str) {
    for elder in [false, true] {
        w.global::<Theme>().set_elder_mode(elder);
        common::assert_targets_fit(&common::actionable(w), &format!("{what} (elder {elder})"));
    }
    w.global::<Theme>().set_elder_mode(false);
}

fn screen() -> Screen {
    app::staff_screen().unwrap()
}

fn wait_for(what: &str, secs: u64, f: impl Fn(&Screen) -> bool) {
    pump_until(what, secs, || f(&screen()));
}

fn message(w: &MainWindow) -> String {
    w.global::<StaffAdapter>().get_message().to_string()
}

/// A small real JPEG.
fn jpeg(shade: u8) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(32, 24, image::Rgb([shade, 200, 90]));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode(img.as_raw(), 32, 24, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

struct Applicant<'a> {
    client: &'a CentralClient,
    rt: &'a tokio::runtime::Runtime,
}

impl Applicant<'_> {
    fn post(&self, path: &str, content_type: &str, body: Vec<u8>, idem: Option<&str>) -> Value {
        let r = self
            .rt
            .block_on(self.client.post(path, content_type, body, idem))
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_slice(&r).unwrap()
    }

    /// A 低保 application of applicant `n` alone; returns the case id.
    fn submit(&self, n: u32) -> String {
        let body = json!({"township": DEMO_TOWNSHIP, "assistance_type": "dibao",
            "applicant": {"id_number": common::id_number(n), "name": "张秀英"}});
        let r = self.post(
            "/v1/kiosk/applications",
            "application/json",
            serde_json::to_vec(&body).unwrap(),
            Some(&format!("staff-ui-test-idem-{n}")),
        );
        r["case_id"].as_str().unwrap().to_string()
    }

    fn sign(&self, case: &str, n: u32) {
        let sig = json!({"signer": {"id_number": common::id_number(n), "name": "张秀英"},
            "method": "id_card_face"});
        self.post(
            &format!("/v1/kiosk/applications/{case}/signatures"),
            "application/json",
            serde_json::to_vec(&sig).unwrap(),
            None,
        );
    }

    fn material(&self, case: &str, kind: &str, shade: u8) {
        self.post(
            &format!("/v1/kiosk/applications/{case}/materials?kind={kind}"),
            "image/jpeg",
            jpeg(shade),
            None,
        );
    }
}

/// The walk-in applicant the clerk assists cannot write: she proves who she is with her finger,
/// then signs the 核对授权书 with a fingerprint mark (按手印) taken by the real driver from the
/// simulator, the clerk as witness; central records the mark, the witness's account and the
/// mark's image.
fn mark_before_the_clerk(
    w: &MainWindow,
    central: &common::Central,
    finger: &jiuzhu_sim::r30x::R30xSim,
    id: &str,
) {
    use jiuzhu_core::household::AssistanceType;
    use jiuzhu_core::id::{IdNumber, PersonName};
    use jiuzhu_kiosk::controllers::apply::{Choice as A, Event as E, SignProof, Step as S};
    use jiuzhu_kiosk::controllers::certify::Person;
    let a = w.global::<jiuzhu_kiosk::ui::ApplyAdapter>();
    let choose = |c: A| {
        let i = app::apply_choices()
            .iter()
            .position(|x| *x == c)
            .unwrap_or_else(|| panic!("{c:?} is not on {:?}", app::apply_step()));
        a.invoke_choose(a.get_seq(), i as i32);
    };
    let step = || app::apply_step().unwrap();
    choose(A::Type(AssistanceType::Dibao));
    choose(A::ForSelf);
    app::apply_dispatch(
        app::apply_seq().unwrap(),
        E::Identified(Person {
            id: IdNumber::parse(id).unwrap(),
            name: Some(PersonName::new("陈淑芬").unwrap()),
            address: None,
        }),
    );
    // No card address: the township is chosen (this kiosk serves one).
    assert_eq!(step(), S::ChooseTownship);
    choose(A::Township(0));
    for _ in 0..4 {
        choose(A::Next);
    }
    choose(A::No);
    assert_eq!(step(), S::Authorization(0));
    finger.control().place(0);
    choose(A::SignFingerprint);
    pump_until("her finger matched", 30, || {
        matches!(step(), S::Handwriting(..) | S::Problem(_))
    });
    assert_eq!(step(), S::Handwriting(0, SignProof::Fingerprint));
    finger.control().lift();
    finger.control().place(0);
    choose(A::FingerMark);
    pump_until("the mark taken", 30, || {
        matches!(step(), S::Review | S::Problem(_))
    });
    assert_eq!(step(), S::Review);
    finger.control().lift();
    choose(A::Submit);
    pump_until("submitted", 30, || {
        matches!(step(), S::Done(_) | S::Problem(_))
    });
    assert!(matches!(step(), S::Done(_)), "{:?}", step());
    let cases = central.store.cases_of(id, None).unwrap();
    assert_eq!(cases.len(), 1);
    let case = &cases[0].case_id;
    let signers = central.store.case_signers(case).unwrap();
    let how = signers[0].signed_by.clone().unwrap_or_default();
    assert!(
        how.contains("fingerprint_mark") && how.contains("witness clerk"),
        "{how}"
    );
    let files = central.store.case_files(case).unwrap();
    assert!(
        files.iter().any(|f| f.content_type == "image/png"),
        "the mark's image is archived: {files:?}"
    );
}

fn state_at_central(central: &common::Central, case: &str) -> CaseState {
    central.store.case(case).unwrap().unwrap().state
}

#[test]
fn staff_entry_end_to_end() {
    i_slint_backend_testing::init_integration_test_with_mock_time();
    let key = common::kiosk_key(KIOSK_SEED);
    let central = common::Central::start(&[]);
    let today = jiuzhu_core::id::today_in_china();
    jiuzhu_central::seed::seed_demo(central.store.as_ref(), today, &|pw| {
        jiuzhu_central::http::hash_password(pw).unwrap()
    })
    .unwrap();
    central
        .store
        .add_kiosk(
            &kiosk_id(),
            DEMO_TOWNSHIP,
            key.verifying_key().as_bytes(),
            "test",
        )
        .unwrap();

    // Two applications: A complete (to accept and investigate), B with the income proof
    // missing (for the one-time notice).
    let client = CentralClient::new(
        &central.url(),
        KioskIdentity::new(kiosk_id(), key.clone()),
        Duration::from_secs(5),
    )
    .unwrap();
    let applicant = Applicant {
        client: &client,
        rt: &central.runtime,
    };
    let case_a = applicant.submit(701);
    applicant.sign(&case_a, 701);
    for (i, kind) in ["id_cards", "household_register", "income_proof"]
        .iter()
        .enumerate()
    {
        applicant.material(&case_a, kind, i as u8 * 40);
    }
    let case_b = applicant.submit(702);
    applicant.sign(&case_b, 702);
    applicant.material(&case_b, "id_cards", 10);
    applicant.material(&case_b, "household_register", 20);

    // The kiosk, on the same central service, with the simulated camera.
    let dir = tempfile::tempdir().unwrap();
    let link = common::kiosk_link(
        dir.path(),
        &kiosk_id(),
        &key,
        &central.url(),
        Duration::from_secs(5),
    );
    // The fingerprint module simulator behind the real R30x driver, with the signer's finger
    // enrolled as her reference at central (for the fingerprint mark below).
    let (finger, reader, template) = common::sim_finger_enrolled(0);
    // 陈淑芬, a demo recipient (a reference may be kept only for a recipient or guardian).
    let marker = "500102195805202427".to_string();
    central
        .store
        .put_template(
            &marker,
            jiuzhu_core::api::Modality::Fingerprint,
            &template,
            "test",
        )
        .unwrap();
    let mut config = AppConfig::default();
    config.office.township = DEMO_TOWNSHIP.into();
    config.office.township_name = "涪陵区江东街道".into();
    let w = common::kiosk_window(
        &config,
        Devices {
            camera: Some(FaceCamera::Sim(services::sim_camera_config())),
            fingerprint: Some(reader),
            ..Devices::default()
        },
        Some(link),
    );

    // Login: a wrong PIN is refused in plain words and nothing is held.
    w.global::<HomeAdapter>().invoke_open(Entry::Staff);
    assert_eq!(w.global::<AppAdapter>().get_page(), Page::Staff);
    assert_eq!(screen(), Screen::Login);
    targets_fit(&w, "login");
    type_text(&w, "clerk");
    press(&w, "密码");
    type_text(&w, "wrong-pin");
    press(&w, "登录");
    pump_until("the refusal message", 20, || {
        message(&w).contains("密码不对")
    });
    assert!(!app::staff_logged_in());
    // The account stays, the PIN field is focused and empty.
    assert_eq!(w.global::<StaffAdapter>().get_username_text(), "clerk");
    assert!(w.global::<StaffAdapter>().get_pin_focused());
    assert_eq!(w.global::<StaffAdapter>().get_pin_text(), "");
    type_text(&w, "clerk-demo-2026");
    press(&w, "登录");
    wait_for("the menu", 20, |s| *s == Screen::Menu);
    assert!(app::staff_logged_in());
    targets_fit(&w, "menu");

    // The queue in deadline order, as central orders it.
    press(&w, "本乡镇待办");
    wait_for("the queue", 20, |s| *s == Screen::Queue);
    let rows: Vec<_> = w.global::<StaffAdapter>().get_rows().iter().collect();
    let at_central = central.store.queue(DEMO_TOWNSHIP).unwrap();
    assert_eq!(
        rows.iter().map(|r| r.id.to_string()).collect::<Vec<_>>(),
        at_central
            .iter()
            .map(|c| c.case_id.clone())
            .collect::<Vec<_>>()
    );
    assert_eq!(rows.len(), 2);
    targets_fit(&w, "queue");
    let dues: Vec<_> = at_central.iter().map(|c| c.due).collect();
    assert!(dues.windows(2).all(|d| d[0] <= d[1]), "{dues:?}");
    for r in &rows {
        assert!(!r.mark.is_empty(), "a mark besides the colour");
        assert!(
            ["时间充裕", "即将到期", "紧急", "已超期"]
                .iter()
                .any(|w| r.detail.contains(w)),
            "the deadline in words: {}",
            r.detail
        );
    }
    let title_of = |id: &str| rows.iter().find(|r| r.id == id).unwrap().title.to_string();

    // Accept A.
    press(&w, &title_of(&case_a));
    wait_for("case A", 20, |s| *s == Screen::Case);
    press(&w, "受理");
    pump_until("the acceptance", 20, || {
        screen() == Screen::Case && message(&w) == "已受理。"
    });
    assert_eq!(state_at_central(&central, &case_a), CaseState::Accepted);

    // The one-time notice for B: the income proof is missing; the household register is
    // marked unusable; the deadline moved one day later.
    press(&w, "上一步");
    wait_for("the queue", 5, |s| *s == Screen::Queue);
    press(&w, &title_of(&case_b));
    wait_for("case B", 20, |s| *s == Screen::Case);
    // B is incomplete: central refuses to accept it, and the kiosk says why.
    press(&w, "受理");
    pump_until("the refusal", 20, || {
        screen() == Screen::Case && message(&w).contains("前一步骤")
    });
    press(&w, "一次性告知");
    assert_eq!(screen(), Screen::Notice);
    press(&w, Material::HouseholdRegister.label_zh());
    press(&w, "期限推后一天");
    press(&w, "发出告知");
    pump_until("the notice", 20, || {
        screen() == Screen::Case && message(&w).contains("一次性告知已发出")
    });
    let b = central.store.case(&case_b).unwrap().unwrap();
    assert_eq!(b.state, CaseState::AwaitingMaterials);
    let notice = b.missing_notice.expect("the notice is recorded");
    // Counted in working days (a deadline never falls on a day off), one day later.
    let cal = jiuzhu_core::calendar::Calendar::builtin();
    assert_eq!(
        notice.deadline,
        cal.add_working_days(today, NOTICE_DEFAULT_WORKING_DAYS + 1)
            .value
    );
    assert!(notice.materials.contains(&Material::IncomeProof));
    assert!(notice.materials.contains(&Material::HouseholdRegister));

    // The investigation of A with a photo from the kiosk camera.
    press(&w, "上一步");
    wait_for("the queue", 5, |s| *s == Screen::Queue);
    press(&w, &title_of(&case_a));
    wait_for("case A", 20, |s| *s == Screen::Case);
    press(&w, "入户调查");
    wait_for("the investigation screen", 20, |s| {
        *s == Screen::Investigation(Investigation::Ready)
    });
    assert_eq!(
        state_at_central(&central, &case_a),
        CaseState::Investigating
    );
    press(&w, "拍照");
    wait_for("the photo", 180, |s| {
        matches!(s, Screen::Investigation(Investigation::Confirm(_)))
    });
    assert!(w.global::<StaffAdapter>().get_has_photo());
    let size = w.global::<StaffAdapter>().get_photo().size();
    assert!(size.width >= 320 && size.height >= 240, "{size:?}");
    press(&w, "使用这张照片");
    wait_for("the upload", 20, |s| {
        *s == Screen::Investigation(Investigation::Ready)
    });
    assert!(message(&w).contains("照片已保存"), "{}", message(&w));
    press(&w, "保存调查结果");
    pump_until("the findings", 20, || {
        screen() == Screen::Case && message(&w).contains("已保存")
    });
    let a = central.store.case(&case_a).unwrap().unwrap();
    assert_eq!(a.state, CaseState::Investigated);
    assert_eq!(a.findings.len(), 1);
    assert_eq!(a.findings[0].evidence.len(), 1);
    assert!(a.findings[0].eligible);

    // Live statistics of the township.
    press(&w, "上一步");
    wait_for("the queue", 5, |s| *s == Screen::Queue);
    press(&w, "上一步");
    wait_for("the menu", 5, |s| *s == Screen::Menu);
    press(&w, "本乡镇统计");
    wait_for("the statistics", 20, |s| *s == Screen::Statistics);
    let stats = central.store.statistics(DEMO_TOWNSHIP).unwrap();
    let shown: Vec<String> = w
        .global::<StaffAdapter>()
        .get_rows()
        .iter()
        .map(|r| r.title.to_string())
        .collect();
    assert_eq!(
        shown.len(),
        stats.by_colour.len() + stats.by_type.len() + stats.by_state.len()
    );
    assert!(shown.iter().any(|t| t == "最低生活保障：2"), "{shown:?}");
    assert!(
        shown.iter().any(|t| t == "调查完毕，待初审：1"),
        "{shown:?}"
    );

    // Refused records: none on this kiosk, and the screen says how many.
    press(&w, "上一步");
    press(&w, "被拒收的记录");
    wait_for("the refused records", 20, |s| *s == Screen::Refused);
    assert_eq!(w.global::<StaffAdapter>().get_list_title(), "条数 0");
    press(&w, "上一步");

    // Staff time out sooner than residents, and the timeout wipes the token.
    let staff = SessionTimeouts::staff().total();
    assert!(staff < SessionTimeouts::default().total());
    assert!(SessionTimeouts::staff().warning >= Duration::from_secs(20));
    app::session_tick(Instant::now() + staff - Duration::from_secs(5));
    assert!(
        w.global::<AppAdapter>().get_warning_seconds() > 0,
        "warned first"
    );
    assert!(app::staff_logged_in());
    app::session_tick(Instant::now() + staff + Duration::from_secs(1));
    assert_eq!(w.global::<AppAdapter>().get_page(), Page::Home);
    assert!(!app::staff_logged_in(), "the token is wiped");
    // ... and its session ended at central too (POST /v1/staff/logout, issue #17)
    pump_until("the session ended at central", 10, || {
        central.sessions_of("clerk") == 0
    });
    assert!(!app::holds_personal_data());
    // A resident's session at the same idle time is still running.
    w.global::<HomeAdapter>().invoke_open(Entry::Progress);
    app::session_tick(Instant::now() + staff + Duration::from_secs(1));
    assert_eq!(w.global::<AppAdapter>().get_page(), Page::Progress);
    app::session_tick(Instant::now() + SessionTimeouts::default().total() + Duration::from_secs(1));
    assert_eq!(w.global::<AppAdapter>().get_page(), Page::Home);

    // Logged in again, the staff member assists a walk-in applicant: the apply flow reads who.
    w.global::<HomeAdapter>().invoke_open(Entry::Staff);
    type_text(&w, "clerk");
    press(&w, "密码");
    type_text(&w, "clerk-demo-2026");
    press(&w, "登录");
    wait_for("the menu", 20, |s| *s == Screen::Menu);
    press(&w, "帮助群众办理");
    let who = app::staff_assisting().expect("assisting");
    assert_eq!(who.username, "clerk");
    press(&w, "申请救助");
    pump_until("the apply page", 5, || {
        w.global::<AppAdapter>().get_page() == Page::Apply
    });
    assert_eq!(
        app::staff_assisting().map(|s| s.username),
        Some("clerk".into())
    );
    mark_before_the_clerk(&w, &central, &finger, &marker);
    // 回到首页 at the end of the applicant's session ends the staff login too.
    w.global::<jiuzhu_kiosk::ui::ApplyAdapter>().invoke_home();
    assert!(!app::staff_logged_in());
    assert_eq!(app::staff_assisting(), None);
    assert!(!app::holds_personal_data());

    // Central out of reach: the login says so plainly and does not hang.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let dir2 = tempfile::tempdir().unwrap();
    let link = common::kiosk_link(dir2.path(), &kiosk_id(), &key, &url, Duration::from_secs(3));
    let w =
        app::build_with_services(&AppConfig::default(), Devices::default(), Some(link)).unwrap();
    w.show().unwrap();
    w.global::<HomeAdapter>().invoke_open(Entry::Staff);
    type_text(&w, "clerk");
    press(&w, "密码");
    type_text(&w, "clerk-demo-2026");
    press(&w, "登录");
    pump_until("the unreachable message", 15, || {
        message(&w).contains("连不上中心服务")
    });
    assert_eq!(screen(), Screen::Login);
    assert!(!app::staff_logged_in());
}
