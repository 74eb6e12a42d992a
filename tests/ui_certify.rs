//! The certification flow driven through Slint's testing backend by its accessible labels:
//! the keypad's live GB 11643 feedback, every screen's touch targets, double presses, the
//! inactivity warning and the reset that wipes personal data.
//!
//! What is real here: the Slint UI, the controllers, the worker thread and the voice queue.
//! The central service, the camera/face check and the fingerprint reference are not connected
//! on this kiosk build (`app::Devices` has no client for them yet), so the real worker answers
//! "not configured" and the flow must show a problem screen with a way on. The screens that
//! need central's answers are reached by handing the flow the events the worker would deliver
//! (`app::dispatch`), which checks their rendering, not the integration.

mod common;

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use common::pump_until;
use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use jiuzhu_core::id::IdNumber;
use jiuzhu_kiosk::app::{self, AppConfig};
use jiuzhu_kiosk::controllers::certify::{
    Challenge, Device, Event, Person, Photo, Recorded, StatusAnswer, Step,
};
use jiuzhu_kiosk::controllers::session::SessionTimeouts;
use jiuzhu_kiosk::ui::{
    AppAdapter, CertifyAdapter, CertifyView, ChallengeKind, IdentifyAdapter, MainWindow, Page,
    Theme, Tone,
};
use slint::ComponentHandle;

const NUMBER: &str = "11010519491231002X";

fn find(w: &MainWindow, label: &str) -> Option<ElementHandle> {
    ElementHandle::find_by_accessible_label(w, label).find(|e| {
        matches!(
            e.accessible_role(),
            Some(AccessibleRole::Button | AccessibleRole::Checkbox)
        )
    })
}

fn press(w: &MainWindow, label: &str) {
    find(w, label)
        .unwrap_or_else(|| panic!("no button {label:?} on {:?}", app::current_step()))
        .invoke_accessible_default_action();
}

fn targets_fit(w: &MainWindow, screen: &str) {
    for elder in [false, true] {
        w.global::<Theme>().set_elder_mode(elder);
        let visible = common::actionable(w);
        assert!(
            visible.len() >= 6,
            "{screen}: only {} targets",
            visible.len()
        );
        common::assert_targets_fit(&visible, &format!("{screen} (elder {elder})"));
    }
    w.global::<Theme>().set_elder_mode(false);
}

fn seq() -> u64 {
    app::current_seq().unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn start(w: &MainWindow) {
    press(w, "资格认证");
    assert_eq!(w.global::<AppAdapter>().get_page(), Page::Certify);
    assert_eq!(app::current_step(), Some(Step::ChooseMode));
}

fn keypad_identification_and_missing_central(w: &MainWindow) {
    start(w);
    targets_fit(w, "choose mode");
    press(w, "本人认证");
    assert!(matches!(app::current_step(), Some(Step::Identify(_))));
    targets_fit(w, "identify");
    let id = w.global::<IdentifyAdapter>();
    // A wrong province is named as soon as it is typed.
    press(w, "9");
    press(w, "9");
    assert!(
        id.get_feedback_is_error(),
        "typed {:?}, feedback {:?}",
        id.get_typed(),
        id.get_feedback()
    );
    assert!(id.get_feedback().contains("省份"), "{}", id.get_feedback());
    press(w, "清空");
    for c in NUMBER.chars() {
        press(w, &c.to_string());
        if id
            .get_typed()
            .chars()
            .filter(|c| !c.is_whitespace())
            .count()
            < 18
        {
            assert!(!id.get_can_confirm());
        }
    }
    assert_eq!(id.get_typed(), "110105 19491231 002X");
    assert!(id.get_can_confirm() && !id.get_feedback_is_error());
    // One wrong last digit: the check character says so.
    press(w, "删除");
    press(w, "1");
    assert!(id.get_feedback().contains("输错"), "{}", id.get_feedback());
    press(w, "删除");
    press(w, "X");
    let before = seq();
    press(w, "确认号码");
    assert_eq!(app::current_step(), Some(Step::Querying));
    assert_eq!(
        id.get_typed(),
        "",
        "the keypad forgets the number once used"
    );
    // A second press of the confirm button (if it is still there) does nothing.
    if let Some(b) = find(w, "确认号码") {
        b.invoke_accessible_default_action();
    }
    assert_eq!(seq(), before + 1);
    // The real worker has no central client: the screen says so and offers ways on.
    pump_until("the central problem screen", 10, || {
        matches!(
            app::current_step(),
            Some(Step::Problem {
                device: Device::Central,
                ..
            })
        )
    });
    assert!(
        w.global::<CertifyAdapter>()
            .get_title()
            .contains("中心服务")
    );
    targets_fit(w, "problem");
    for way in ["再试一次", "请工作人员帮忙", "回到首页"] {
        assert!(find(w, way).is_some(), "missing {way}");
    }
    press(w, "再试一次");
    assert_eq!(app::current_step(), Some(Step::Querying));
    pump_until("the problem screen again", 10, || {
        matches!(app::current_step(), Some(Step::Problem { .. }))
    });
    assert!(app::holds_personal_data());
    press(w, "回到首页");
    assert_eq!(w.global::<AppAdapter>().get_page(), Page::Home);
    assert!(!app::holds_personal_data());
    let spoken = app::spoken();
    assert!(
        spoken.iter().any(|s| s.starts_with("资格认证")),
        "{spoken:?}"
    );
    assert!(spoken.iter().any(|s| s.contains("省份")), "{spoken:?}");
    assert!(spoken.iter().any(|s| s.contains("正在查询")), "{spoken:?}");
}

fn person() -> Person {
    Person {
        id: IdNumber::parse(NUMBER).unwrap(),
        name: None,
        address: None,
    }
}

fn to_consent(w: &MainWindow) {
    start(w);
    press(w, "本人认证");
    app::dispatch(seq(), Event::Identified(person()));
    app::dispatch(
        seq(),
        Event::Status(StatusAnswer {
            recipient: true,
            certified_this_cycle: false,
            last_certified_on: Some(date(2025, 11, 2)),
            valid_until: Some(date(2026, 11, 2)),
        }),
    );
    assert_eq!(app::current_step(), Some(Step::Consent));
}

fn screens_from_worker_events(w: &MainWindow) {
    let a = w.global::<CertifyAdapter>();
    // Already certified: the date, and stop.
    start(w);
    press(w, "本人认证");
    app::dispatch(seq(), Event::Identified(person()));
    app::dispatch(
        seq(),
        Event::Status(StatusAnswer {
            recipient: true,
            certified_this_cycle: true,
            last_certified_on: Some(date(2026, 3, 14)),
            valid_until: Some(date(2027, 3, 14)),
        }),
    );
    assert!(a.get_body().contains("2026年3月14日"), "{}", a.get_body());
    assert!(find(w, "同意，开始认证").is_none());
    press(w, "回到首页");

    // Consent declined → the alternative.
    to_consent(w);
    targets_fit(w, "consent");
    assert!(a.get_body().contains("工作人员见证"));
    press(w, "不同意，用其他方式");
    targets_fit(w, "alternative");
    press(w, "登记上门认证");
    app::dispatch(seq(), Event::AlternativeRecorded);
    assert_eq!(a.get_title(), "已登记：上门认证");
    press(w, "回到首页");

    // Face ×3 failures → staff; fingerprint offered after the first.
    to_consent(w);
    let consent_seq = seq();
    press(w, "同意，开始认证");
    // The same press arriving twice (double tap) is refused.
    app::dispatch(
        consent_seq,
        Event::Chose(jiuzhu_kiosk::controllers::certify::Choice::Consent),
    );
    assert_eq!(seq(), consent_seq + 1);
    app::dispatch(
        seq(),
        Event::FaceProgress {
            challenge: Challenge::Blink,
            done: 1,
            total: 3,
        },
    );
    assert_eq!(a.get_title(), "请眨眨眼");
    assert_eq!((a.get_done(), a.get_total()), (1, 3));
    assert_eq!(
        a.get_challenge(),
        ChallengeKind::Blink,
        "the pictogram blinks"
    );
    targets_fit(w, "face");
    for n in 1..=3 {
        app::dispatch(seq(), Event::CaptureDone);
        assert_eq!(a.get_title(), "正在核验");
        app::dispatch(
            seq(),
            Event::Verdict {
                live: true,
                matched: false,
                score: Some(0.1),
            },
        );
        if n < 3 {
            assert!(
                a.get_body().contains(&format!("第{n}次")),
                "{}",
                a.get_body()
            );
            assert!(find(w, "改用指纹").is_some());
            press(w, "再刷一次脸");
        }
    }
    assert_eq!(app::current_step(), Some(Step::Submitting));
    app::dispatch(
        seq(),
        Event::Recorded(Recorded {
            certified_on: date(2026, 11, 27),
            valid_until: date(2026, 11, 27),
            proof_code: None,
        }),
    );
    assert_eq!(app::current_step(), Some(Step::RouteToStaff));
    press(w, "回到首页");

    // Fingerprint fallback → certified with a proof.
    to_consent(w);
    press(w, "同意，开始认证");
    let face_seq = seq();
    press(w, "改用指纹");
    // The cancelled face check reporting late changes nothing.
    app::dispatch(
        face_seq,
        Event::Verdict {
            live: true,
            matched: true,
            score: None,
        },
    );
    assert!(matches!(
        app::current_step(),
        Some(Step::Fingerprint { .. })
    ));
    app::dispatch(
        seq(),
        Event::Verdict {
            live: true,
            matched: true,
            score: Some(61.0),
        },
    );
    app::dispatch(
        seq(),
        Event::Recorded(Recorded {
            certified_on: date(2026, 11, 27),
            valid_until: date(2027, 11, 27),
            proof_code: Some("JZ1-TEST".into()),
        }),
    );
    assert_eq!(a.get_title(), "认证成功");
    assert!(a.get_body().contains("2027年11月27日"));
    targets_fit(w, "certified");
    press(w, "回到首页");
    assert!(!app::holds_personal_data());
}

/// 监护人代认证: the guardian's card, the recipient's, consent that names the photo, the
/// guardian's check, the photo of the recipient (take, retake, use), and central's refusal of
/// someone who is not a registered guardian.
fn guardian_screens(w: &MainWindow) {
    let a = w.global::<CertifyAdapter>();
    start(w);
    press(w, "我是监护人");
    assert_eq!(a.get_title(), "请监护人放身份证");
    app::dispatch(
        seq(),
        Event::Identified(Person {
            id: IdNumber::parse("500102198001011231").unwrap(),
            name: None,
            address: None,
        }),
    );
    assert_eq!(a.get_title(), "请放身份证");
    app::dispatch(seq(), Event::Identified(person()));
    app::dispatch(
        seq(),
        Event::Status(StatusAnswer {
            recipient: true,
            certified_this_cycle: false,
            last_certified_on: None,
            valid_until: None,
        }),
    );
    assert_eq!(a.get_title(), "代认证需要您同意");
    assert!(a.get_body().contains("现场照片"), "{}", a.get_body());
    targets_fit(w, "guardian consent");
    press(w, "同意，开始认证");
    app::dispatch(
        seq(),
        Event::FaceProgress {
            challenge: Challenge::TurnLeft,
            done: 0,
            total: 2,
        },
    );
    assert_eq!(a.get_challenge(), ChallengeKind::TurnLeft);
    app::dispatch(
        seq(),
        Event::Verdict {
            live: true,
            matched: true,
            score: Some(0.8),
        },
    );
    assert_eq!(app::current_step(), Some(Step::Photo));
    assert_eq!(a.get_view(), CertifyView::Photo);
    assert_eq!(a.get_challenge(), ChallengeKind::None);
    assert_eq!(a.get_title(), "请领救助的人看镜头");
    targets_fit(w, "photo");
    press(w, "拍照");
    assert_eq!(app::current_step(), Some(Step::TakingPhoto));
    assert!(
        find(w, "拍照").is_none(),
        "no second press while it is taken"
    );
    app::dispatch(
        seq(),
        Event::PhotoTaken(Photo(vec![0xFF, 0xD8, 0xFF, 0xD9])),
    );
    assert_eq!(a.get_title(), "照片拍好了");
    targets_fit(w, "photo review");
    press(w, "重拍");
    assert_eq!(app::current_step(), Some(Step::Photo));
    press(w, "拍照");
    app::dispatch(
        seq(),
        Event::PhotoTaken(Photo(vec![0xFF, 0xD8, 0xFF, 0xD9])),
    );
    press(w, "用这张");
    assert_eq!(app::current_step(), Some(Step::Submitting));
    // Central says this person is not the recipient's registered guardian.
    app::dispatch(seq(), Event::NotGuardian);
    assert_eq!(a.get_title(), "您不是登记的监护人");
    assert_eq!(a.get_tone(), Tone::Problem);
    targets_fit(w, "not a guardian");
    press(w, "回到首页");
    assert!(!app::holds_personal_data());
}

fn inactivity_warning_then_reset(w: &MainWindow) {
    to_consent(w);
    let t0 = Instant::now();
    let app_ = w.global::<AppAdapter>();
    app::session_tick(t0 + Duration::from_secs(45));
    assert_eq!(app_.get_warning_seconds(), 25);
    targets_fit(w, "inactivity warning");
    press(w, "继续");
    assert_eq!(app_.get_warning_seconds(), 0);
    assert_eq!(
        app::current_step(),
        Some(Step::Consent),
        "继续 keeps the screen"
    );
    app::session_tick(Instant::now() + Duration::from_secs(50));
    assert!(app_.get_warning_seconds() > 0);
    app::session_tick(Instant::now() + Duration::from_secs(200));
    assert_eq!(app_.get_warning_seconds(), 0);
    assert_eq!(app_.get_page(), Page::Home);
    assert!(!app::holds_personal_data());
    assert_eq!(w.global::<IdentifyAdapter>().get_typed(), "");
}

fn english_screens(w: &MainWindow) {
    press(w, "English");
    press(w, "Yearly check");
    assert!(find(w, "Myself").is_some());
    press(w, "Myself");
    assert_eq!(
        w.global::<CertifyAdapter>().get_title(),
        "Place the ID card"
    );
    assert!(find(w, "Confirm").is_some());
    press(w, "Back to home");
    // the next resident starts in the kiosk's language: home undoes the switch
    assert_eq!(w.global::<AppAdapter>().get_language(), "zh-CN");
    assert!(find(w, "English").is_some());
}

/// Slint's platform belongs to one thread, so the UI checks run in sequence inside one test.
#[test]
fn certification_flow() {
    i_slint_backend_testing::init_integration_test_with_mock_time();
    let w = common::kiosk_window(
        &AppConfig {
            session: SessionTimeouts {
                idle_before_warning: Duration::from_secs(40),
                warning: Duration::from_secs(30),
            },
            ..AppConfig::default()
        },
        app::Devices::default(),
        None,
    );
    keypad_identification_and_missing_central(&w);
    screens_from_worker_events(&w);
    inactivity_warning_then_reset(&w);
    guardian_screens(&w);
    english_screens(&w);
}
