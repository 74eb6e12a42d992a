//! Screenshot references of the kiosk screens, rendered with Slint's software renderer.
//! Regenerate after an intended visual change with `UPDATE_SCREENSHOTS=1 cargo test --test ui_screenshots`
//! and look at the PNGs before committing them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;
use chrono::TimeZone;
use jiuzhu_core::id::IdNumber;
use jiuzhu_kiosk::app::{self, AppConfig};
use jiuzhu_kiosk::controllers::certify::{
    Challenge, Choice, Device, Event, Person, Recorded, StatusAnswer,
};
use jiuzhu_kiosk::ui::app_adapter::{china_offset, refresh_clock, set_language};
use jiuzhu_kiosk::ui::headless::HeadlessScreen;
use jiuzhu_kiosk::ui::{
    CertifyAdapter, Entry, HomeAdapter, IdentifyAdapter, Language, MainWindow, Theme,
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
    actual.save(&out).unwrap();
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
    let ui = app::build(&AppConfig::default()).unwrap();
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
    ui.global::<HomeAdapter>().invoke_open(Entry::Certify);
    app::dispatch(seq(), Event::Chose(Choice::SelfCheck));
    app::dispatch(
        seq(),
        Event::Identified(Person {
            id: IdNumber::parse("11010519491231002X").unwrap(),
            name: None,
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
            live: true,
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
    guardian_screens(screen, ui);
}

/// 监护人代认证: the guardian's consent, the photo of the recipient, and central's refusal.
fn guardian_screens(screen: &HeadlessScreen, ui: &MainWindow) {
    let guardian = || Person {
        id: IdNumber::parse("500102198001011231").unwrap(),
        name: None,
    };
    let recipient = || Person {
        id: IdNumber::parse("11010519491231002X").unwrap(),
        name: None,
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
