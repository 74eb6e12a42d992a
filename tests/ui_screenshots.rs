//! Screenshot references of the kiosk screens, rendered with Slint's software renderer.
//! Regenerate after an intended visual change with `UPDATE_SCREENSHOTS=1 cargo test --test ui_screenshots`
//! and look at the PNGs before committing them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;
use chrono::TimeZone;
use image::ImageEncoder;
use jiuzhu_core::id::IdNumber;
use jiuzhu_kiosk::app::{self, AppConfig};
use jiuzhu_kiosk::controllers::certify::{
    Challenge, Choice, Device, Event, Person, Recorded, StatusAnswer,
};
use jiuzhu_kiosk::controllers::staff::{Event as StaffEvent, Failure, Photo};
use jiuzhu_kiosk::ui::app_adapter::{china_offset, refresh_clock, set_language};
use jiuzhu_kiosk::ui::headless::HeadlessScreen;
use jiuzhu_kiosk::ui::{
    AppAdapter, CertifyAdapter, Entry, HomeAdapter, IdentifyAdapter, Language, MainWindow,
    ProgressAdapter, StaffAdapter, Theme,
};
use slint::ComponentHandle;

fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/screenshots")
}

/// Compares a rendering with its reference: at most 0.2% of pixels may differ by more than 24
/// in any channel (anti-aliasing noise), anything more is a visual change.
fn check(screen: &HeadlessScreen, name: &str) {
    let actual = screen.render_rgba();
    let path = reference_dir().join(format!("{name}.png"));
    let out = std::env::temp_dir().join(format!("jiuzhu-screenshot-{name}.png"));
    // the rendering, to look at (fast compression: the test reads it only when it differs)
    let file = std::io::BufWriter::new(std::fs::File::create(&out).unwrap());
    image::codecs::png::PngEncoder::new_with_quality(
        file,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::NoFilter,
    )
    .write_image(
        actual.as_raw(),
        actual.width(),
        actual.height(),
        image::ExtendedColorType::Rgba8,
    )
    .unwrap();
    if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        actual.save(&path).unwrap();
        return;
    }
    let expected = image::open(&path)
        .unwrap_or_else(|e| {
            panic!(
                "reference {} missing ({e}); run with UPDATE_SCREENSHOTS=1",
                path.display()
            )
        })
        .to_rgba8();
    assert_eq!(
        expected.dimensions(),
        actual.dimensions(),
        "{name}: size changed"
    );
    if expected.as_raw() == actual.as_raw() {
        // the same pixels (one comparison of the buffers; the loop below runs unoptimised)
        return;
    }
    let differing = expected
        .pixels()
        .zip(actual.pixels())
        .filter(|(a, b)| a.0.iter().zip(b.0.iter()).any(|(x, y)| x.abs_diff(*y) > 24))
        .count();
    let total = (actual.width() * actual.height()) as usize;
    assert!(
        differing * 500 <= total,
        "{name}: {differing} of {total} pixels differ from {}; the new rendering is at {}",
        path.display(),
        out.display()
    );
}

fn fixed_clock(ui: &MainWindow) {
    refresh_clock(
        ui,
        china_offset()
            .with_ymd_and_hms(2026, 11, 27, 9, 30, 0)
            .unwrap(),
    );
}

#[test]
fn screens_match_their_references() {
    let screen = HeadlessScreen::install(1920, 1080).unwrap();
    // The kiosk of the demo township: 申请救助 confirms the applicant's 户籍 township.
    let mut config = AppConfig::default();
    config.office.township = "500102900".into();
    config.office.township_name = "涪陵区江东街道".into();
    let ui = app::build(&config).unwrap();
    ui.show().unwrap();
    fixed_clock(&ui);
    screen.settle(Duration::from_millis(20));
    check(&screen, "home-zh-CN");

    ui.global::<Theme>().set_elder_mode(true);
    check(&screen, "home-elder-zh-CN");
    ui.global::<Theme>().set_elder_mode(false);

    set_language(&ui, Language::En);
    fixed_clock(&ui);
    check(&screen, "home-en");
    set_language(&ui, Language::ZhCn);
    fixed_clock(&ui);
    check(&screen, "home-zh-CN");

    certification_screens(&screen, &ui);
    progress_screens(&screen, &ui);
    staff_screens(&screen, &ui);
    for lang in [Language::ZhCn, Language::En] {
        set_language(&ui, lang);
        fixed_clock(&ui);
        apply_screens(&screen, &ui, lang.tag());
        // 回到首页 at the end of the application resets the language and the clock for the next
        // resident: set them again, or the "-en" signing screens come out in Chinese.
        set_language(&ui, lang);
        fixed_clock(&ui);
        sign_screens(&screen, &ui, lang);
    }
    set_language(&ui, Language::ZhCn);
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn seq() -> u64 {
    app::current_seq().unwrap()
}

/// One reference per certification screen, in zh-CN, reached through the controller's events.
fn certification_screens(screen: &HeadlessScreen, ui: &MainWindow) {
    ui.global::<CertifyAdapter>().set_motion(false);
    ui.global::<HomeAdapter>().invoke_open(Entry::Certify);
    check(screen, "certify-choose-mode");
    app::dispatch(seq(), Event::Chose(Choice::SelfCheck));
    let keypad = ui.global::<IdentifyAdapter>();
    for c in "11010519491231".chars() {
        keypad.invoke_key(c.to_string().into());
    }
    check(screen, "certify-identify");
    keypad.invoke_key("clear".into());
    let person = Person {
        id: IdNumber::parse("11010519491231002X").unwrap(),
        name: None,
        address: None,
    };
    app::dispatch(seq(), Event::Identified(person));
    check(screen, "certify-querying");
    app::dispatch(
        seq(),
        Event::Status(StatusAnswer {
            recipient: true,
            certified_this_cycle: false,
            last_certified_on: Some(date(2025, 11, 2)),
            valid_until: Some(date(2026, 11, 2)),
        }),
    );
    check(screen, "certify-consent");
    app::dispatch(seq(), Event::Chose(Choice::Decline));
    check(screen, "certify-alternative");
    // The face screens come from a second walk through the flow.
    app::dispatch(seq(), Event::Chose(Choice::Home));
    to_face_check(ui);
    app::dispatch(
        seq(),
        Event::FaceProgress {
            challenge: Challenge::TurnLeft,
            done: 1,
            total: 3,
        },
    );
    check(screen, "certify-face");
    app::dispatch(seq(), Event::CaptureDone);
    check(screen, "certify-checking");
    app::dispatch(
        seq(),
        Event::Verdict {
            live: false,
            matched: false,
            score: None,
        },
    );
    check(screen, "certify-failed");
    app::dispatch(seq(), Event::Chose(Choice::Fingerprint));
    check(screen, "certify-fingerprint");
    app::dispatch(
        seq(),
        Event::Failed {
            device: Device::Fingerprint,
            timeout: true,
            detail: "no finger within 30 s".into(),
        },
    );
    check(screen, "certify-problem");
    app::dispatch(seq(), Event::Chose(Choice::Retry));
    app::dispatch(
        seq(),
        Event::Verdict {
            live: true,
            matched: true,
            score: None,
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
    check(screen, "certify-certified");
    app::dispatch(seq(), Event::Chose(Choice::Home));
    check(screen, "home-zh-CN");
    // A live face the face alone cannot confirm (FaceNet between 0.60 and 0.77): the fingerprint
    // or staff first.
    to_face_check(ui);
    app::dispatch(
        seq(),
        Event::Verdict {
            live: true,
            matched: false,
            score: Some(0.68),
        },
    );
    check(screen, "certify-not-confirmed");
    app::dispatch(seq(), Event::Chose(Choice::Home));
    guardian_screens(screen, ui);
}

/// A self-check from home to the consent, consented: the face check has begun.
fn to_face_check(ui: &MainWindow) {
    ui.global::<HomeAdapter>().invoke_open(Entry::Certify);
    app::dispatch(seq(), Event::Chose(Choice::SelfCheck));
    app::dispatch(
        seq(),
        Event::Identified(Person {
            id: IdNumber::parse("11010519491231002X").unwrap(),
            name: None,
            address: None,
        }),
    );
    app::dispatch(
        seq(),
        Event::Status(StatusAnswer {
            recipient: true,
            certified_this_cycle: false,
            last_certified_on: None,
            valid_until: None,
        }),
    );
    app::dispatch(seq(), Event::Chose(Choice::Consent));
}

/// 监护人代认证: the guardian's consent, the photo of the recipient, and central's refusal.
fn guardian_screens(screen: &HeadlessScreen, ui: &MainWindow) {
    let guardian = || Person {
        id: IdNumber::parse("500102198001011231").unwrap(),
        name: None,
        address: None,
    };
    let recipient = || Person {
        id: IdNumber::parse("11010519491231002X").unwrap(),
        name: None,
        address: None,
    };
    let due = StatusAnswer {
        recipient: true,
        certified_this_cycle: false,
        last_certified_on: None,
        valid_until: None,
    };
    ui.global::<HomeAdapter>().invoke_open(Entry::Certify);
    app::dispatch(seq(), Event::Chose(Choice::Guardian));
    app::dispatch(seq(), Event::Identified(guardian()));
    app::dispatch(seq(), Event::Identified(recipient()));
    app::dispatch(seq(), Event::Status(due));
    check(screen, "certify-guardian-consent");
    app::dispatch(seq(), Event::Chose(Choice::Consent));
    app::dispatch(
        seq(),
        Event::Verdict {
            live: true,
            matched: true,
            score: None,
        },
    );
    check(screen, "certify-photo");
    app::dispatch(seq(), Event::Chose(Choice::Home));
    ui.global::<HomeAdapter>().invoke_open(Entry::Certify);
    app::dispatch(seq(), Event::Chose(Choice::Guardian));
    app::dispatch(seq(), Event::Identified(guardian()));
    app::dispatch(seq(), Event::Identified(recipient()));
    app::dispatch(seq(), Event::NotGuardian);
    check(screen, "certify-not-guardian");
    app::dispatch(seq(), Event::Chose(Choice::Home));
}

fn progress_case() -> jiuzhu_core::api::CaseSummary {
    use jiuzhu_core::api::{AssistanceType, CaseSummary, DeadlineSummary, MissingNoticeSummary};
    use jiuzhu_core::application::Material;
    use jiuzhu_core::workflow::{DayUnit, DeadlineKind};
    CaseSummary {
        case_id: "019a-demo".into(),
        township: "500102001".into(),
        assistance_type: AssistanceType::Dibao,
        state: "awaiting_materials".into(),
        submitted_at: chrono::Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap(),
        due: Some(date(2026, 12, 7)),
        colour: None,
        pending_signatures: vec!["李*国".into()],
        materials: 1,
        hotline: "023-72222222".into(),
        report_phone: "023-72333333".into(),
        accepted_on: None,
        decided_on: None,
        approved: None,
        missing_notice: Some(MissingNoticeSummary {
            issued_on: date(2026, 11, 23),
            deadline: date(2026, 12, 7),
            materials: vec![Material::HouseholdRegister, Material::IncomeProof],
            note: "户口簿复印件看不清".into(),
            completed_on: None,
        }),
        deadlines: vec![DeadlineSummary {
            kind: DeadlineKind::Supplement,
            from: date(2026, 11, 23),
            due: date(2026, 12, 7),
            unit: DayUnit::Working,
            allowed: 10,
            provisional: false,
        }],
        case_no: Some("江东-2026-00123".into()),
        notices: vec![],
    }
}

/// The 进度查询 screens, reached through the controller's events, with deadlines counted from
/// a pinned day.
fn progress_screens(screen: &HeadlessScreen, ui: &MainWindow) {
    use jiuzhu_kiosk::controllers::progress::{Answer, Choice as PChoice, Event as P, NoAnswer};
    let pseq = || app::progress_seq().unwrap();
    let last_updated = chrono::Utc
        .with_ymd_and_hms(2026, 11, 26, 7, 45, 0)
        .unwrap()
        .timestamp_millis();
    // read from the card: a typed number alone does not open anyone's cases (issue #17)
    let person = || Person {
        id: IdNumber::parse("11010519491231002X").unwrap(),
        name: Some(jiuzhu_core::id::PersonName::new("王秀英").unwrap()),
        address: None,
    };
    ui.global::<HomeAdapter>().invoke_open(Entry::Progress);
    app::progress_pin_today(Some(date(2026, 11, 27)));
    app::progress_dispatch(
        pseq(),
        P::CardFailed {
            timeout: true,
            detail: String::new(),
        },
    );
    check(screen, "progress-identify");
    app::progress_dispatch(pseq(), P::Identified(person()));
    check(screen, "progress-asking");
    let mut older = progress_case();
    older.assistance_type = jiuzhu_core::api::AssistanceType::Temporary;
    older.state = "published".into();
    older.submitted_at = chrono::Utc.with_ymd_and_hms(2025, 4, 1, 2, 0, 0).unwrap();
    older.accepted_on = Some(date(2025, 4, 2));
    older.decided_on = Some(date(2025, 4, 21));
    older.approved = Some(true);
    older.missing_notice = None;
    older.pending_signatures = vec![];
    older.deadlines = vec![];
    app::progress_dispatch(
        pseq(),
        P::Answered(Ok(Answer {
            cases: vec![progress_case(), older],
            last_updated,
            from_cache: false,
        })),
    );
    app::progress_dispatch(pseq(), P::Certified(true));
    check(screen, "progress-notice-zh-CN");
    // 长辈模式: fewer lines a page, nothing cut off.
    ui.global::<Theme>().set_elder_mode(true);
    app::progress_refresh();
    check(screen, "progress-elder-zh-CN");
    ui.global::<Theme>().set_elder_mode(false);
    app::progress_refresh();
    // Withdrawal: what it means, before anything is sent.
    app::progress_dispatch(pseq(), P::Chose(PChoice::Withdraw));
    check(screen, "progress-withdraw");
    app::progress_dispatch(pseq(), P::Chose(PChoice::Cancel));
    // The case number on the keypad.
    app::progress_dispatch(pseq(), P::Chose(PChoice::FindByNumber));
    for d in [1, 2, 3] {
        app::progress_dispatch(pseq(), P::Chose(PChoice::Digit(d)));
    }
    check(screen, "progress-find-number");
    app::progress_dispatch(pseq(), P::Chose(PChoice::BackToCases));
    // The language button re-renders the page in English, and back.
    ui.global::<AppAdapter>().invoke_toggle_language();
    fixed_clock(ui);
    check(screen, "progress-notice-en");
    ui.global::<AppAdapter>().invoke_toggle_language();
    fixed_clock(ui);
    app::progress_dispatch(
        pseq(),
        P::Chose(jiuzhu_kiosk::controllers::progress::Choice::Again),
    );
    app::progress_dispatch(pseq(), P::Identified(person()));
    app::progress_dispatch(
        pseq(),
        P::Answered(Ok(Answer {
            cases: vec![progress_case()],
            last_updated,
            from_cache: true,
        })),
    );
    check(screen, "progress-cached");
    app::progress_dispatch(
        pseq(),
        P::Chose(jiuzhu_kiosk::controllers::progress::Choice::Again),
    );
    app::progress_dispatch(pseq(), P::Identified(person()));
    app::progress_dispatch(pseq(), P::Answered(Err(NoAnswer::Offline)));
    check(screen, "progress-offline");
    ui.global::<ProgressAdapter>().invoke_home();
    check(screen, "home-zh-CN");
}

/// Presses a staff-page button by its id (what `StaffAdapter.action` carries).
fn staff_action(ui: &MainWindow, id: &str) {
    let seq = i32::try_from(app::staff_seq().unwrap()).unwrap();
    ui.global::<StaffAdapter>().invoke_action(seq, id.into());
}

fn staff_event(e: StaffEvent) {
    app::staff_dispatch(app::staff_seq().unwrap(), e);
}

fn staff_summary(id: &str, state: &str, due: &str, colour: &str) -> serde_json::Value {
    serde_json::json!({
        "case_id": id, "township": "500102900", "assistance_type": "dibao", "state": state,
        "submitted_at": "2026-11-20T01:30:00Z", "due": due, "colour": colour,
        "pending_signatures": [], "materials": 3, "hotline": "023-7222-0000",
        "report_phone": "023-7222-0001",
    })
}

/// The staff screens in zh-CN and English, reached through the controller's events (the
/// answers central would give; `tests/ui_staff.rs` drives them against the real service).
fn staff_screens(screen: &HeadlessScreen, ui: &MainWindow) {
    for lang in [Language::ZhCn, Language::En] {
        let tag = lang.tag();
        set_language(ui, lang);
        fixed_clock(ui);
        ui.global::<HomeAdapter>().invoke_open(Entry::Staff);
        let keys = ui.global::<StaffAdapter>();
        for c in "clerk".chars() {
            let seq = i32::try_from(app::staff_seq().unwrap()).unwrap();
            keys.invoke_key(seq, c.to_string().into());
        }
        let seq = i32::try_from(app::staff_seq().unwrap()).unwrap();
        keys.invoke_focus(seq, true);
        for c in "1234".chars() {
            let seq = i32::try_from(app::staff_seq().unwrap()).unwrap();
            keys.invoke_key(seq, c.to_string().into());
        }
        check(screen, &format!("staff-login-{tag}"));
        staff_action(ui, "login");
        staff_event(StaffEvent::LoggedIn(Ok(serde_json::from_value(
            serde_json::json!({"token": "t", "expires_at": "2026-11-27T10:00:00Z",
                "role": "township_clerk", "township": "500102900"}),
        )
        .unwrap())));
        check(screen, &format!("staff-menu-{tag}"));
        staff_action(ui, "queue");
        let queue = vec![
            staff_summary(
                "0193a1b2-0000-7000-8000-00000000c0d1",
                "submitted",
                "2026-11-25",
                "overdue",
            ),
            staff_summary(
                "0193a1b2-0000-7000-8000-00000000c0d2",
                "submitted",
                "2026-11-27",
                "red",
            ),
            staff_summary(
                "0193a1b2-0000-7000-8000-00000000c0d3",
                "accepted",
                "2026-12-03",
                "amber",
            ),
            staff_summary(
                "0193a1b2-0000-7000-8000-00000000c0d4",
                "investigating",
                "2026-12-22",
                "green",
            ),
        ];
        staff_event(StaffEvent::Queue(Ok(queue
            .into_iter()
            .map(|v| serde_json::from_value(v).unwrap())
            .collect())));
        check(screen, &format!("staff-queue-{tag}"));
        let seq = i32::try_from(app::staff_seq().unwrap()).unwrap();
        keys.invoke_pick(seq, "0193a1b2-0000-7000-8000-00000000c0d4".into());
        staff_event(StaffEvent::Case(Ok(serde_json::from_value(serde_json::json!({
            "summary": staff_summary("0193a1b2-0000-7000-8000-00000000c0d4", "investigating", "2026-12-22", "green"),
            "case": null,
            "history": [
                {"at": "2026-11-20T01:30:00Z", "actor": "kiosk:kiosk-1", "action": "submitted"},
                {"at": "2026-11-23T02:00:00Z", "actor": "staff:clerk", "action": "event:accept"},
                {"at": "2026-11-24T03:00:00Z", "actor": "staff:clerk", "action": "event:start_investigation"},
            ],
            "deadlines": [{"kind": "total", "due": "2026-12-22", "colour": "green"}],
        }))
        .unwrap())));
        check(screen, &format!("staff-case-{tag}"));
        staff_action(ui, "investigate");
        staff_action(ui, "photo");
        let img = image::RgbImage::from_fn(640, 480, |x, y| {
            image::Rgb([(x / 3) as u8, (y / 2) as u8, 120])
        });
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85)
            .encode(img.as_raw(), 640, 480, image::ExtendedColorType::Rgb8)
            .unwrap();
        staff_event(StaffEvent::Photo(Ok(Photo {
            jpeg,
            width: 640,
            height: 480,
        })));
        check(screen, &format!("staff-photo-{tag}"));
        staff_action(ui, "retake");
        staff_event(StaffEvent::Photo(Err(Failure::Other("camera".into()))));
        staff_action(ui, "back");
        staff_action(ui, "back");
        staff_action(ui, "back");
        staff_action(ui, "statistics");
        staff_event(StaffEvent::Statistics(Ok(serde_json::from_value(
            serde_json::json!({
                "township": "500102900",
                "by_type": {"dibao": 12, "tekun": 3, "temporary": 5},
                "by_state": {"submitted": 4, "accepted": 3, "investigating": 6, "approved": 7},
                "by_colour": {"green": 9, "amber": 2, "red": 1, "overdue": 1},
            }),
        )
        .unwrap())));
        check(screen, &format!("staff-statistics-{tag}"));
        staff_action(ui, "back");
        staff_action(ui, "logout");
        assert!(!app::staff_logged_in());
    }
    set_language(ui, Language::ZhCn);
}

/// The screen shown, in 长辈模式 (then back to the normal size).
fn elder(screen: &HeadlessScreen, ui: &MainWindow, name: &str) {
    ui.global::<Theme>().set_elder_mode(true);
    check(screen, name);
    ui.global::<Theme>().set_elder_mode(false);
}

/// 申请救助, screen by screen; device answers are fed in as the devices would give them.
fn apply_screens(screen: &HeadlessScreen, ui: &MainWindow, tag: &str) {
    use jiuzhu_core::application::Material;
    use jiuzhu_core::household::{AssistanceType, IncomeKind, Relationship};
    use jiuzhu_kiosk::controllers::apply::{
        AmountField, Choice as A, Event as E, Page, Receipt, Step,
    };
    use jiuzhu_kiosk::ui::ApplyAdapter;
    let seq = || app::apply_seq().unwrap();
    let press = |c: A| {
        let id = app::apply_choices().iter().position(|x| *x == c).unwrap();
        let a = ui.global::<ApplyAdapter>();
        a.invoke_choose(a.get_seq(), id as i32);
    };
    let person = |id: &str, name: &str| Person {
        id: IdNumber::parse(id).unwrap(),
        name: Some(jiuzhu_core::id::PersonName::new(name).unwrap()),
        address: None,
    };
    ui.global::<ApplyAdapter>().set_motion(false);
    ui.global::<HomeAdapter>().invoke_open(Entry::Apply);
    check(screen, &format!("apply-type-{tag}"));
    press(A::Type(AssistanceType::Dibao));
    press(A::ForSelf);
    check(screen, &format!("apply-identify-{tag}"));
    // Her card's address names the kiosk's township: confirmed on screen.
    app::apply_dispatch(
        seq(),
        E::Identified(Person {
            address: Some(jiuzhu_drivers_api::idcard::MaskedText::new(
                "重庆市涪陵区江东街道太白路12号3单元502",
            )),
            ..person("500102195805202427", "陈淑芬")
        }),
    );
    check(screen, &format!("apply-township-{tag}"));
    press(A::No);
    check(screen, &format!("apply-choose-township-{tag}"));
    press(A::OtherTownship);
    check(screen, &format!("apply-other-township-{tag}"));
    press(A::Back);
    press(A::Township(0));
    press(A::AddMember);
    app::apply_dispatch(seq(), E::Identified(person("500102194110020032", "王德福")));
    elder(screen, ui, &format!("apply-relation-elder-{tag}"));
    press(A::Relation(Relationship::Spouse));
    check(screen, &format!("apply-members-{tag}"));
    press(A::Next);
    elder(screen, ui, &format!("apply-incomes-elder-{tag}"));
    press(A::Edit(AmountField::Income(IncomeKind::Transfer)));
    let a = ui.global::<ApplyAdapter>();
    for k in ["6", "0", "0"] {
        a.invoke_key(a.get_seq(), k.into());
    }
    check(screen, &format!("apply-amount-{tag}"));
    elder(screen, ui, &format!("apply-amount-elder-{tag}"));
    press(A::Next);
    press(A::Next);
    elder(screen, ui, &format!("apply-assets-elder-{tag}"));
    press(A::Next);
    check(screen, &format!("apply-materials-{tag}"));
    press(A::Capture(Material::HouseholdRegister));
    let mut page = image::RgbImage::from_pixel(420, 594, image::Rgb([250, 250, 246]));
    for y in (60..560).step_by(28) {
        for x in 40..380 {
            page.put_pixel(x, y, image::Rgb([30, 30, 30]));
        }
    }
    let mut jpeg = std::io::Cursor::new(Vec::new());
    page.write_to(&mut jpeg, image::ImageFormat::Jpeg).unwrap();
    app::apply_dispatch(
        seq(),
        E::Scanned(Ok(Page {
            jpeg: jpeg.into_inner(),
        })),
    );
    check(screen, &format!("apply-page-{tag}"));
    press(A::UsePage);
    press(A::Next);
    press(A::No);
    check(screen, &format!("apply-authorization-{tag}"));
    elder(screen, ui, &format!("apply-authorization-elder-{tag}"));
    press(A::SignFingerprint);
    app::apply_dispatch(seq(), E::SignerChecked(Ok(())));
    scribble(&a);
    check(screen, &format!("apply-signature-{tag}"));
    press(A::Next);
    press(A::SignLater);
    assert_eq!(app::apply_step(), Some(Step::Review));
    check(screen, &format!("apply-review-{tag}"));
    elder(screen, ui, &format!("apply-review-elder-{tag}"));
    press(A::Submit);
    app::apply_dispatch(
        seq(),
        E::Submitted(Ok(Receipt {
            reference: "0190f1c2-7d3a-7b6e-9c1d-0123456789ab".into(),
            queued: false,
            record: "0190f1c2-7d3a-7b6e-9c1d-0123456789ab".into(),
            submitted_on: date(2026, 11, 27),
            accept_by: date(2026, 12, 1),
            decide_by: date(2027, 1, 4),
            missing: vec![Material::IdCards, Material::IncomeProof],
            unsigned: vec!["王**".into()],
            applicant_masked: "陈**".into(),
            assistance_type: Some(AssistanceType::Dibao),
            township_name: None,
        })),
    );
    check(screen, &format!("apply-receipt-{tag}"));
    press(A::Home);
}

/// 签署授权: identify → two applications waiting → the authorization → the signature pad →
/// saved (queued) → the next one; and "nothing to sign".
fn sign_screens(screen: &HeadlessScreen, ui: &MainWindow, lang: Language) {
    let tag = lang.tag();
    use jiuzhu_core::api::{AssistanceType, PendingSignature};
    use jiuzhu_core::household::Relationship;
    use jiuzhu_kiosk::controllers::sign::{Choice as S, Event as E};
    use jiuzhu_kiosk::ui::ApplyAdapter;
    let seq = || app::sign_seq().unwrap();
    let press = |c: S| {
        let id = app::sign_choices().iter().position(|x| *x == c).unwrap();
        let a = ui.global::<ApplyAdapter>();
        a.invoke_choose(a.get_seq(), id as i32);
    };
    let waiting = |case: &str, kind: AssistanceType, applicant: &str, day: u32| PendingSignature {
        case_id: case.into(),
        township: "500102001".into(),
        township_name: "敦仁街道".into(),
        assistance_type: kind,
        submitted_at: chrono::Utc
            .with_ymd_and_hms(2026, 11, day, 2, 0, 0)
            .unwrap(),
        applicant_masked: applicant.into(),
        signer_masked: "王**".into(),
        relationship: Relationship::Spouse,
        sign_by: (day == 20).then(|| date(2026, 12, 4)),
        hotline: "023-7222-0000".into(),
    };
    let signer = Person {
        id: IdNumber::parse("500102194110020032").unwrap(),
        name: Some(jiuzhu_core::id::PersonName::new("王德福").unwrap()),
        address: None,
    };
    ui.global::<ApplyAdapter>().set_motion(false);
    ui.global::<HomeAdapter>().invoke_open(Entry::Sign);
    check(screen, &format!("sign-identify-{tag}"));
    app::sign_dispatch(seq(), E::Identified(signer.clone()));
    app::sign_dispatch(
        seq(),
        E::Found(Ok(vec![
            waiting("case-1", AssistanceType::Dibao, "陈**", 20),
            waiting("case-2", AssistanceType::Temporary, "王*", 24),
        ])),
    );
    check(screen, &format!("sign-choose-{tag}"));
    press(S::Case(0));
    check(screen, &format!("sign-authorization-{tag}"));
    press(S::SignFingerprint);
    app::sign_dispatch(seq(), E::SignerChecked(Ok(())));
    let a = ui.global::<ApplyAdapter>();
    scribble(&a);
    check(screen, &format!("sign-signature-{tag}"));
    press(S::Next);
    app::sign_dispatch(seq(), E::Submitted(Ok(false)));
    check(screen, &format!("sign-done-{tag}"));
    // 回到首页 resets the language and the clock for the next resident (as after the application)
    press(S::Home);
    set_language(ui, lang);
    fixed_clock(ui);
    ui.global::<HomeAdapter>().invoke_open(Entry::Sign);
    app::sign_dispatch(seq(), E::Identified(signer));
    app::sign_dispatch(seq(), E::Found(Ok(vec![])));
    check(screen, &format!("sign-nothing-{tag}"));
    press(S::Home);
}

/// A signature on the pad: one zigzag stroke.
fn scribble(a: &jiuzhu_kiosk::ui::ApplyAdapter<'_>) {
    for j in 0..40 {
        a.invoke_pen(
            200.0 + j as f32 * 12.0,
            200.0 + ((j % 8) as f32 * 9.0),
            true,
        );
    }
    a.invoke_pen(0.0, 0.0, false);
}
