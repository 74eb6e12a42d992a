//! Nothing cut off, nothing overflowing, and a way home everywhere: the kiosk's screens walked
//! through Slint's testing backend (real layout and real text measurement with the system
//! fonts) in zh-CN and English, in normal and 长辈模式, at 1920×1080.
//!
//! What the geometry check finds: a label wider than its button (a button label never wraps,
//! so a long label makes its text box wider than the button), a text or button pushed off the
//! window, two texts or two buttons on top of each other (a wrapped paragraph that does not
//! fit pushes into what follows), and a text cut by the edge of a list or scroll area.
//! Device and central answers are handed to the flows as the worker would deliver them.

mod common;

use std::time::Duration;

use chrono::NaiveDate;
use i_slint_backend_testing::{AccessibleRole, ElementHandle, ElementQuery};
use jiuzhu_core::id::{IdNumber, PersonName};
use jiuzhu_kiosk::app::{self, AppConfig};
use jiuzhu_kiosk::controllers::certify::{
    Challenge, Choice, Device, Event, Person, Photo, Recorded, StatusAnswer, Step,
};
use jiuzhu_kiosk::controllers::staff::Event as StaffEvent;
use jiuzhu_kiosk::ui::{AppAdapter, Entry, HomeAdapter, MainWindow, Page, StaffAdapter, Theme};
use slint::ComponentHandle;

const W: f32 = 1920.0;
const H: f32 = 1080.0;
/// Anti-aliasing and rounding: half a pixel either way is not a fault.
const SLACK: f32 = 1.0;

#[derive(Debug, Clone)]
struct Box2 {
    label: String,
    x0: f32,
    y0: f32,
    x1: f32,
    y1: f32,
}

impl Box2 {
    fn of(e: &ElementHandle) -> Self {
        let p = e.absolute_position();
        let s = e.size();
        Self {
            label: e.accessible_label().unwrap_or_default().to_string(),
            x0: p.x,
            y0: p.y,
            x1: p.x + s.width,
            y1: p.y + s.height,
        }
    }

    fn empty(&self) -> bool {
        self.x1 - self.x0 < 0.5 || self.y1 - self.y0 < 0.5
    }

    fn overlaps(&self, o: &Box2) -> bool {
        self.x0 < o.x1 - SLACK
            && o.x0 < self.x1 - SLACK
            && self.y0 < o.y1 - SLACK
            && o.y0 < self.y1 - SLACK
    }

    fn contains(&self, o: &Box2) -> bool {
        o.x0 >= self.x0 - SLACK
            && o.y0 >= self.y0 - SLACK
            && o.x1 <= self.x1 + SLACK
            && o.y1 <= self.y1 + SLACK
    }

    fn describe(&self) -> String {
        format!(
            "{:?} at ({:.0}, {:.0})–({:.0}, {:.0})",
            self.label, self.x0, self.y0, self.x1, self.y1
        )
    }
}

fn by_role(w: &MainWindow, roles: &[AccessibleRole]) -> Vec<Box2> {
    let mut out = Vec::new();
    for r in roles {
        out.extend(
            ElementQuery::from_root(w)
                .match_descendants()
                .match_accessible_role(*r)
                .find_all()
                .iter()
                .map(Box2::of)
                .filter(|b| !b.empty() && !b.label.trim().is_empty()),
        );
    }
    out
}

/// Every fault of the layout on screen now.
fn layout_faults(w: &MainWindow) -> Vec<String> {
    let texts = by_role(w, &[AccessibleRole::Text]);
    let buttons = by_role(w, &[AccessibleRole::Button, AccessibleRole::Checkbox]);
    let viewports: Vec<Box2> = ElementQuery::from_root(w)
        .match_descendants()
        .match_type_name("Flickable")
        .find_all()
        .iter()
        .map(Box2::of)
        .collect();
    let window = Box2 {
        label: "window".into(),
        x0: 0.0,
        y0: 0.0,
        x1: W,
        y1: H,
    };
    let mut faults = Vec::new();
    if texts.len() < 5 || buttons.len() < 5 {
        faults.push(format!(
            "only {} texts and {} buttons found: the query misses them",
            texts.len(),
            buttons.len()
        ));
    }
    for b in texts.iter().chain(&buttons) {
        if !window.contains(b) {
            faults.push(format!("off the window: {}", b.describe()));
        }
    }
    for t in &texts {
        for b in &buttons {
            if t.overlaps(b) && !b.contains(t) && !t.contains(b) {
                faults.push(format!(
                    "text overflows a button: {} over {}",
                    t.describe(),
                    b.describe()
                ));
            }
        }
        for v in &viewports {
            if t.overlaps(v) && !v.contains(t) {
                faults.push(format!(
                    "text cut by a list's edge: {} in {}",
                    t.describe(),
                    v.describe()
                ));
            }
        }
    }
    for (i, a) in texts.iter().enumerate() {
        for b in &texts[i + 1..] {
            if a.overlaps(b) && !a.contains(b) && !b.contains(a) {
                faults.push(format!(
                    "texts on top of each other: {} and {}",
                    a.describe(),
                    b.describe()
                ));
            }
        }
    }
    for (i, a) in buttons.iter().enumerate() {
        for b in &buttons[i + 1..] {
            if a.overlaps(b) && !a.contains(b) && !b.contains(a) {
                faults.push(format!(
                    "buttons on top of each other: {} and {}",
                    a.describe(),
                    b.describe()
                ));
            }
        }
    }
    faults
}

struct Walk {
    lang: &'static str,
    elder: bool,
    faults: Vec<String>,
    screens: usize,
}

impl Walk {
    fn check(&mut self, w: &MainWindow, screen: &str) {
        self.screens += 1;
        for f in layout_faults(w) {
            self.faults.push(format!(
                "[{} {}] {screen}: {f}",
                self.lang,
                if self.elder { "长辈模式" } else { "normal" }
            ));
        }
    }
}

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
        .unwrap_or_else(|| panic!("no button {label:?} on the screen"))
        .invoke_accessible_default_action();
}

fn home_label(w: &MainWindow) -> &'static str {
    if w.global::<AppAdapter>().get_language() == "en" {
        "Back to home"
    } else {
        "回到首页"
    }
}

/// Leaves for home (the kiosk's defaults come back), then sets the walk's language and mode
/// and opens `entry`.
fn open(w: &MainWindow, walk: &Walk, entry: Entry) {
    open_home(w, walk);
    w.global::<HomeAdapter>().invoke_open(entry);
}

/// Home in the walk's language and mode.
fn open_home(w: &MainWindow, walk: &Walk) {
    if w.global::<AppAdapter>().get_page() != Page::Home {
        press(w, home_label(w));
    }
    assert_eq!(w.global::<AppAdapter>().get_page(), Page::Home);
    let app_ = w.global::<AppAdapter>();
    if app_.get_language() != walk.lang {
        app_.invoke_toggle_language();
        assert_eq!(app_.get_language(), walk.lang);
    }
    if w.global::<Theme>().get_elder_mode() != walk.elder {
        app_.invoke_toggle_elder_mode();
        assert_eq!(w.global::<Theme>().get_elder_mode(), walk.elder);
    }
}

fn seq() -> u64 {
    app::current_seq().unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn person() -> Person {
    Person {
        id: IdNumber::parse("11010519491231002X").unwrap(),
        name: None,
        address: None,
    }
}

fn due() -> StatusAnswer {
    StatusAnswer {
        recipient: true,
        certified_this_cycle: false,
        last_certified_on: Some(date(2025, 11, 2)),
        valid_until: Some(date(2026, 11, 2)),
    }
}

/// A self-check from home, consented: the face check has begun.
fn to_face_check(w: &MainWindow, walk: &Walk) {
    open(w, walk, Entry::Certify);
    app::dispatch(seq(), Event::Chose(Choice::SelfCheck));
    app::dispatch(seq(), Event::Identified(person()));
    app::dispatch(seq(), Event::Status(due()));
    app::dispatch(seq(), Event::Chose(Choice::Consent));
}

fn certify_walk(w: &MainWindow, walk: &mut Walk) {
    open(w, walk, Entry::Certify);
    walk.check(w, "certify: who certifies");
    app::dispatch(seq(), Event::Chose(Choice::SelfCheck));
    walk.check(w, "certify: identify");
    app::dispatch(seq(), Event::Identified(person()));
    walk.check(w, "certify: querying");
    app::dispatch(seq(), Event::Status(due()));
    walk.check(w, "certify: consent");
    app::dispatch(seq(), Event::Chose(Choice::Decline));
    walk.check(w, "certify: alternative");
    app::dispatch(seq(), Event::Chose(Choice::HomeVisit));
    app::dispatch(seq(), Event::AlternativeRecorded);
    walk.check(w, "certify: home visit recorded");

    to_face_check(w, walk);
    for (challenge, name) in [
        (Challenge::TurnLeft, "certify: face, turn left"),
        (Challenge::Blink, "certify: face, blink"),
    ] {
        app::dispatch(
            seq(),
            Event::FaceProgress {
                challenge,
                done: 1,
                total: 3,
            },
        );
        walk.check(w, name);
    }
    app::dispatch(seq(), Event::CaptureDone);
    walk.check(w, "certify: checking");
    app::dispatch(
        seq(),
        Event::Verdict {
            live: false,
            matched: false,
            score: None,
        },
    );
    walk.check(w, "certify: failed");
    app::dispatch(seq(), Event::Chose(Choice::Fingerprint));
    walk.check(w, "certify: fingerprint");
    app::dispatch(
        seq(),
        Event::Failed {
            device: Device::Fingerprint,
            timeout: true,
            detail: "no finger".into(),
        },
    );
    walk.check(w, "certify: device problem");
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
    walk.check(w, "certify: certified");

    // a live face the face alone cannot confirm: the fingerprint or staff first
    to_face_check(w, walk);
    app::dispatch(
        seq(),
        Event::Verdict {
            live: true,
            matched: false,
            score: Some(0.68),
        },
    );
    walk.check(w, "certify: not confirmed");

    open(w, walk, Entry::Certify);
    app::dispatch(seq(), Event::Chose(Choice::Guardian));
    walk.check(w, "certify: guardian identifies");
    app::dispatch(
        seq(),
        Event::Identified(Person {
            id: IdNumber::parse("500102198001011231").unwrap(),
            name: None,
            address: None,
        }),
    );
    app::dispatch(seq(), Event::Identified(person()));
    app::dispatch(seq(), Event::Status(due()));
    walk.check(w, "certify: guardian consent");
    app::dispatch(seq(), Event::Chose(Choice::Consent));
    app::dispatch(
        seq(),
        Event::Verdict {
            live: true,
            matched: true,
            score: None,
        },
    );
    walk.check(w, "certify: photo");
    app::dispatch(seq(), Event::Chose(Choice::TakePhoto));
    app::dispatch(
        seq(),
        Event::PhotoTaken(Photo(vec![0xFF, 0xD8, 0xFF, 0xD9])),
    );
    walk.check(w, "certify: photo review");
    app::dispatch(seq(), Event::Chose(Choice::UsePhoto));
    app::dispatch(seq(), Event::NotGuardian);
    walk.check(w, "certify: not a guardian");
}

fn apply_walk(w: &MainWindow, walk: &mut Walk) {
    use jiuzhu_core::application::Material;
    use jiuzhu_core::household::{AssistanceType, IncomeKind, Relationship};
    use jiuzhu_kiosk::controllers::apply::{AmountField, Choice as A, Event as E, Page};
    use jiuzhu_kiosk::ui::ApplyAdapter;
    let seq = || app::apply_seq().unwrap();
    let choose = |c: A| {
        let id = app::apply_choices().iter().position(|x| *x == c).unwrap();
        let a = w.global::<ApplyAdapter>();
        a.invoke_choose(a.get_seq(), id as i32);
    };
    let person = |id: &str, name: &str| Person {
        id: IdNumber::parse(id).unwrap(),
        name: Some(PersonName::new(name).unwrap()),
        address: None,
    };
    open(w, walk, Entry::Apply);
    walk.check(w, "apply: type");
    choose(A::Type(AssistanceType::Dibao));
    walk.check(w, "apply: for whom");
    choose(A::ForSelf);
    walk.check(w, "apply: identify");
    app::apply_dispatch(
        seq(),
        E::Identified(Person {
            address: Some(jiuzhu_drivers_api::idcard::MaskedText::new(
                "重庆市涪陵区江东街道太白路12号3单元502",
            )),
            ..person("500102195805202427", "陈淑芬")
        }),
    );
    walk.check(w, "apply: township");
    choose(A::No);
    walk.check(w, "apply: choose township");
    choose(A::OtherTownship);
    walk.check(w, "apply: other township");
    choose(A::Back);
    choose(A::Township(0));
    walk.check(w, "apply: members");
    choose(A::AddMember);
    app::apply_dispatch(seq(), E::Identified(person("500102194110020032", "王德福")));
    walk.check(w, "apply: relation");
    choose(A::Relation(Relationship::Spouse));
    choose(A::Next);
    walk.check(w, "apply: incomes");
    choose(A::Edit(AmountField::Income(IncomeKind::Transfer)));
    let a = w.global::<ApplyAdapter>();
    for k in ["6", "0", "0"] {
        a.invoke_key(a.get_seq(), k.into());
    }
    walk.check(w, "apply: amount");
    choose(A::Next);
    choose(A::Next);
    walk.check(w, "apply: assets");
    choose(A::Next);
    walk.check(w, "apply: materials");
    choose(A::Capture(Material::HouseholdRegister));
    let page = image::RgbImage::from_pixel(420, 594, image::Rgb([250, 250, 246]));
    let mut jpeg = std::io::Cursor::new(Vec::new());
    page.write_to(&mut jpeg, image::ImageFormat::Jpeg).unwrap();
    app::apply_dispatch(
        seq(),
        E::Scanned(Ok(Page {
            jpeg: jpeg.into_inner(),
        })),
    );
    walk.check(w, "apply: page");
    choose(A::UsePage);
    choose(A::Next);
    walk.check(w, "apply: close relative");
    choose(A::No);
    walk.check(w, "apply: authorization summary");
    a.set_show_details(true);
    walk.check(w, "apply: authorization in full");
    // The last page of the full text (in English 长辈模式 it takes several).
    let pages = if walk.elder {
        a.get_details_pages_elder()
    } else {
        a.get_details_pages()
    };
    a.set_text_page(i32::try_from(slint::Model::row_count(&pages)).unwrap_or(1) - 1);
    walk.check(w, "apply: authorization in full, last page");
    a.set_text_page(0);
    a.set_show_details(false);
    choose(A::SignFingerprint);
    app::apply_dispatch(seq(), E::SignerChecked(Ok(())));
    walk.check(w, "apply: signature");
    a.invoke_pen(200.0, 200.0, true);
    a.invoke_pen(400.0, 260.0, true);
    a.invoke_pen(0.0, 0.0, false);
    choose(A::Next);
    choose(A::SignLater);
    walk.check(w, "apply: review");
}

fn staff_summary(n: usize, colour: &str) -> serde_json::Value {
    serde_json::json!({
        "case_id": format!("0193a1b2-0000-7000-8000-00000000c{n:03}"), "township": "500102900",
        "assistance_type": "dibao", "state": "submitted",
        "submitted_at": "2026-11-20T01:30:00Z", "due": "2026-12-03", "colour": colour,
        "pending_signatures": [], "materials": 3, "hotline": "023-7222-0000",
        "report_phone": "023-7222-0001",
    })
}

/// clerk / 1234 typed on the staff keyboard.
fn type_login(w: &MainWindow) {
    let a = w.global::<StaffAdapter>();
    let seq = || i32::try_from(app::staff_seq().unwrap()).unwrap();
    for c in "clerk".chars() {
        a.invoke_key(seq(), c.to_string().into());
    }
    a.invoke_focus(seq(), true);
    for c in "1234".chars() {
        a.invoke_key(seq(), c.to_string().into());
    }
}

fn staff_walk(w: &MainWindow, walk: &mut Walk) {
    let a = w.global::<StaffAdapter>();
    let seq = || i32::try_from(app::staff_seq().unwrap()).unwrap();
    let event = |e: StaffEvent| app::staff_dispatch(app::staff_seq().unwrap(), e);
    open(w, walk, Entry::Staff);
    type_login(w);
    walk.check(w, "staff: login");
    a.invoke_action(seq(), "login".into());
    event(StaffEvent::LoggedIn(Ok(serde_json::from_value(
        serde_json::json!({"token": "t", "expires_at": "2026-11-27T10:00:00Z",
            "role": "township_clerk", "township": "500102900"}),
    )
    .unwrap())));
    walk.check(w, "staff: menu");
    a.invoke_action(seq(), "queue".into());
    let colours = ["overdue", "red", "amber", "green"];
    let queue = (0..13)
        .map(|n| serde_json::from_value(staff_summary(n, colours[n % 4])).unwrap())
        .collect();
    event(StaffEvent::Queue(Ok(queue)));
    walk.check(w, "staff: queue, first page");
    // The list pages: every case is on some page, none twice, and each page fits.
    let next = if walk.lang == "en" {
        "Next page"
    } else {
        "下一页"
    };
    let mut seen = std::collections::BTreeSet::new();
    let mut pages = 0;
    loop {
        pages += 1;
        // (an element is listed once per component it inherits from: a set per page)
        let on_page: std::collections::BTreeSet<String> = ElementQuery::from_root(w)
            .match_descendants()
            .match_accessible_role(AccessibleRole::Button)
            .find_all()
            .iter()
            .map(|r| r.accessible_label().unwrap_or_default().to_string())
            .filter(|l| l.contains("0000c0"))
            .collect();
        // every line of the page is there: none clipped away under the list's edge
        let per_page = usize::try_from(a.get_per_page()).unwrap();
        assert_eq!(
            on_page.len(),
            per_page.min(13 - seen.len()),
            "[{} elder {}] page {pages} shows {on_page:?}",
            walk.lang,
            walk.elder
        );
        for label in on_page {
            assert!(seen.insert(label.clone()), "{label} on two pages");
        }
        walk.check(w, &format!("staff: queue, page {pages}"));
        match find(w, next) {
            Some(b) if b.accessible_enabled() == Some(true) => b.invoke_accessible_default_action(),
            _ => break,
        }
        assert!(pages < 20, "the pager does not end");
    }
    assert_eq!(seen.len(), 13, "every case on a page: {seen:?}");
    assert!(pages > 1, "13 cases do not fit one page");
    a.invoke_action(seq(), "back".into());
    a.invoke_action(seq(), "statistics".into());
    event(StaffEvent::Statistics(Ok(serde_json::from_value(
        serde_json::json!({
            "township": "500102900",
            "by_type": {"dibao": 12, "tekun": 3, "temporary": 5, "low_income_edge": 2},
            "by_state": {"submitted": 4, "accepted": 3, "investigating": 6, "approved": 7, "rejected": 1, "awaiting_materials": 2},
            "by_colour": {"green": 9, "amber": 2, "red": 1, "overdue": 1},
        }),
    )
    .unwrap())));
    walk.check(w, "staff: statistics");
    a.invoke_action(seq(), "back".into());
    a.invoke_action(seq(), "logout".into());
}

fn window() -> MainWindow {
    i_slint_backend_testing::init_integration_test_with_mock_time();
    common::kiosk_window(
        &AppConfig {
            session: jiuzhu_kiosk::controllers::session::SessionTimeouts {
                idle_before_warning: Duration::from_secs(600),
                warning: Duration::from_secs(60),
            },
            office: jiuzhu_kiosk::app::Office {
                township: "500102900".into(),
                township_name: "涪陵区江东街道".into(),
                ..AppConfig::default().office
            },
            ..AppConfig::default()
        },
        app::Devices::default(),
        None,
    )
}

/// Slint's platform belongs to one thread, so the checks run in sequence inside one test.
#[test]
fn layout_and_ways_home() {
    let w = window();
    the_check_finds_an_overflowing_label(&w);
    every_screen_has_a_working_home(&w);
    nothing_is_cut_off_or_overflows(&w);
}

/// Every screen, both languages, both modes: nothing off the window, no label wider than its
/// button, no text over another, no text cut by a list's edge; long lists page.
fn nothing_is_cut_off_or_overflows(w: &MainWindow) {
    let mut faults = Vec::new();
    let mut screens = 0;
    for lang in ["zh-CN", "en"] {
        for elder in [false, true] {
            let mut walk = Walk {
                lang,
                elder,
                faults: Vec::new(),
                screens: 0,
            };
            open_home(w, &walk);
            walk.check(w, "home");
            certify_walk(w, &mut walk);
            apply_walk(w, &mut walk);
            staff_walk(w, &mut walk);
            screens += walk.screens;
            faults.extend(walk.faults);
        }
    }
    assert!(screens > 120, "only {screens} screens checked");
    // one line per fault, with the first screen it was seen on
    let mut distinct: Vec<String> = Vec::new();
    let mut keys = std::collections::BTreeSet::new();
    for f in &faults {
        let (mode, rest) = f.split_once("] ").unwrap_or(("", f));
        let what = rest.split_once(": ").map_or(rest, |(_, w)| w);
        if keys.insert(format!("{mode}{what}")) {
            distinct.push(f.clone());
        }
    }
    assert!(
        faults.is_empty(),
        "{} layout faults, {} distinct:\n{}",
        faults.len(),
        distinct.len(),
        distinct.join("\n")
    );
}

/// The check itself finds what it is for: a label made too long for its button, and a list
/// made to scroll under its edge.
fn the_check_finds_an_overflowing_label(w: &MainWindow) {
    w.global::<HomeAdapter>().invoke_open(Entry::Certify);
    assert!(layout_faults(w).is_empty(), "{:?}", layout_faults(w));
    let a = w.global::<jiuzhu_kiosk::ui::CertifyAdapter>();
    let mut choices: Vec<jiuzhu_kiosk::ui::ChoiceButton> = (0..4)
        .map(|i| jiuzhu_kiosk::ui::ChoiceButton {
            label: "请工作人员帮忙请工作人员帮忙请工作人员帮忙".into(),
            id: i,
            primary: false,
        })
        .collect();
    a.set_choices(slint::ModelRc::new(slint::VecModel::from(choices.clone())));
    let faults = layout_faults(w);
    assert!(
        faults
            .iter()
            .any(|f| f.contains("overflows a button") || f.contains("off the window")),
        "{faults:?}"
    );
    choices.truncate(1);
    choices[0].label = "本人认证".into();
    a.set_choices(slint::ModelRc::new(slint::VecModel::from(choices)));
    assert!(layout_faults(w).is_empty(), "{:?}", layout_faults(w));
    press(w, "回到首页");
}

/// 回到首页 is on every screen where it was missing (the type choice of 申请救助, consent,
/// face and fingerprint of 认证, the staff screens), in the same place, and it works.
fn every_screen_has_a_working_home(w: &MainWindow) {
    let home_at = |what: &str, reach: &dyn Fn()| {
        assert_eq!(w.global::<AppAdapter>().get_page(), Page::Home);
        reach();
        assert_ne!(
            w.global::<AppAdapter>().get_page(),
            Page::Home,
            "{what}: not reached"
        );
        let b = find(w, "回到首页").unwrap_or_else(|| panic!("{what}: no 回到首页"));
        let p = b.absolute_position();
        let s = b.size();
        // one fixed place: the top right of the page, under the top bar
        assert!(
            p.x + s.width > W - 80.0 && p.y < 300.0,
            "{what}: 回到首页 at ({}, {})",
            p.x,
            p.y
        );
        assert_eq!(
            ElementHandle::find_by_accessible_label(w, "回到首页")
                .filter(|e| e.accessible_role() == Some(AccessibleRole::Button))
                .count(),
            1,
            "{what}: one 回到首页"
        );
        b.invoke_accessible_default_action();
        assert_eq!(
            w.global::<AppAdapter>().get_page(),
            Page::Home,
            "{what}: 回到首页 did not go home"
        );
        assert!(!app::holds_personal_data(), "{what}: data kept");
    };
    let certify_to = |steps: usize| {
        w.global::<HomeAdapter>().invoke_open(Entry::Certify);
        let events = [
            Event::Chose(Choice::SelfCheck),
            Event::Identified(person()),
            Event::Status(due()),
            Event::Chose(Choice::Consent),
            Event::FaceProgress {
                challenge: Challenge::TurnRight,
                done: 0,
                total: 2,
            },
            Event::Chose(Choice::Fingerprint),
        ];
        for e in events.into_iter().take(steps) {
            app::dispatch(seq(), e);
        }
    };
    home_at("certify: who certifies", &|| certify_to(0));
    home_at("certify: identify", &|| certify_to(1));
    home_at("certify: consent", &|| {
        certify_to(3);
        assert_eq!(app::current_step(), Some(Step::Consent));
    });
    home_at("certify: face", &|| {
        certify_to(5);
        assert!(matches!(app::current_step(), Some(Step::Face { .. })));
    });
    home_at("certify: fingerprint", &|| {
        certify_to(6);
        assert!(matches!(
            app::current_step(),
            Some(Step::Fingerprint { .. })
        ));
    });
    home_at("apply: type", &|| {
        w.global::<HomeAdapter>().invoke_open(Entry::Apply)
    });
    home_at("progress: identify", &|| {
        w.global::<HomeAdapter>().invoke_open(Entry::Progress)
    });
    home_at("sign: identify", &|| {
        w.global::<HomeAdapter>().invoke_open(Entry::Sign)
    });
    home_at("staff: login", &|| {
        w.global::<HomeAdapter>().invoke_open(Entry::Staff)
    });
    home_at("staff: menu", &|| {
        w.global::<HomeAdapter>().invoke_open(Entry::Staff);
        type_login(w);
        let a = w.global::<StaffAdapter>();
        a.invoke_action(a.get_seq(), "login".into());
        app::staff_dispatch(
            app::staff_seq().unwrap(),
            StaffEvent::LoggedIn(Ok(serde_json::from_value(
                serde_json::json!({"token": "t", "expires_at": "2026-11-27T10:00:00Z",
                    "role": "township_clerk", "township": "500102900"}),
            )
            .unwrap())),
        );
    });
    // 上一步 sits beside it where there is a way back
    w.global::<HomeAdapter>().invoke_open(Entry::Apply);
    let a = w.global::<jiuzhu_kiosk::ui::ApplyAdapter>();
    a.invoke_choose(a.get_seq(), 0);
    let back = find(w, "上一步").expect("上一步 on the second screen");
    let home = find(w, "回到首页").unwrap();
    assert!((back.absolute_position().y - home.absolute_position().y).abs() < 1.0);
    back.invoke_accessible_default_action();
    assert!(find(w, "上一步").is_none(), "back on the first screen");
    press(w, "回到首页");
}
