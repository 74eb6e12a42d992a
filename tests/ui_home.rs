//! The home screen driven through Slint's testing backend: design-system numbers, every
//! touch target, the five entries in both languages, 长辈模式, the staff call, and open pages
//! following the language switch.

mod common;

use i_slint_backend_testing::ElementHandle;
use jiuzhu_kiosk::app::{self, AppConfig};
use jiuzhu_kiosk::ui::contrast::contrast_ratio;
use jiuzhu_kiosk::ui::{AppAdapter, MainWindow, Theme};
use slint::ComponentHandle;

fn window() -> MainWindow {
    common::kiosk_window(&AppConfig::default(), app::Devices::default(), None)
}

use common::actionable;

fn label_exists(w: &MainWindow, label: &str) -> bool {
    ElementHandle::find_by_accessible_label(w, label)
        .next()
        .is_some()
}

fn design_system_numbers_hold_in_both_modes() {
    let w = window();
    let theme = w.global::<Theme>();
    for elder in [false, true] {
        theme.set_elder_mode(elder);
        assert!(
            theme.get_body_size() >= 28.0,
            "body text {}",
            theme.get_body_size()
        );
        assert!(
            theme.get_small_size() >= 28.0,
            "small text {}",
            theme.get_small_size()
        );
        assert!(theme.get_heading_size() >= 40.0);
        assert!(theme.get_primary_button_height() >= 120.0);
        assert!(theme.get_min_target() >= 80.0);
        assert!(theme.get_line_spacing() >= 1.5);
    }
    theme.set_elder_mode(true);
    let elder_body = theme.get_body_size();
    theme.set_elder_mode(false);
    assert!(
        elder_body > theme.get_body_size(),
        "长辈模式 must enlarge text"
    );

    use slint::Model;
    let pairs = theme.get_contrast_pairs();
    assert!(pairs.row_count() >= 8);
    for pair in pairs.iter() {
        let r = contrast_ratio(pair.foreground, pair.background);
        assert!(r >= 7.0, "{} has contrast {r:.2}:1, below 7:1", pair.name);
    }
    // WCAG 2.2 1.4.11: the edges of controls ≥ 3:1 against what is around them
    let edges = theme.get_non_text_pairs();
    assert!(edges.row_count() >= 10);
    for pair in edges.iter() {
        let r = contrast_ratio(pair.foreground, pair.background);
        assert!(
            r >= 3.0,
            "{} has non-text contrast {r:.2}:1, below 3:1",
            pair.name
        );
    }
    // the edge the light buttons had before (their white fill darkened: #b6b6b6) fails it
    let old = slint::Color::from_rgb_u8(0xb6, 0xb6, 0xb6);
    assert!(contrast_ratio(old, theme.get_page_background()) < 3.0);
}

fn every_touch_target_is_at_least_80_px_in_both_modes() {
    let w = window();
    for elder in [false, true] {
        w.global::<Theme>().set_elder_mode(elder);
        let targets = actionable(&w);
        assert!(targets.len() >= 9, "found only {} targets", targets.len());
        for t in targets {
            let s = t.size();
            let label = t.accessible_label().unwrap_or_default();
            let p = t.absolute_position();
            assert!(
                p.x >= 0.0 && p.y >= 0.0 && p.x + s.width <= 1920.0 && p.y + s.height <= 1080.0,
                "{label:?} at ({}, {}) size {}×{} does not fit on the screen (elder mode {elder})",
                p.x,
                p.y,
                s.width,
                s.height
            );
            assert!(
                s.width >= 80.0 && s.height >= 80.0,
                "{label:?} is {}×{} px (elder mode {elder})",
                s.width,
                s.height
            );
        }
    }
}

fn five_entries_in_chinese_then_english() {
    let w = window();
    for label in [
        "申请救助",
        "签署授权",
        "进度查询",
        "资格认证",
        "工作人员",
        "呼叫工作人员",
    ] {
        assert!(label_exists(&w, label), "missing {label}");
    }
    let english = ElementHandle::find_by_accessible_label(&w, "English")
        .next()
        .expect("language button");
    english.invoke_accessible_default_action();
    assert_eq!(w.global::<AppAdapter>().get_language(), "en");
    for label in [
        "Apply for aid",
        "Sign consent",
        "Check progress",
        "Yearly check",
        "Staff",
        "Call staff",
    ] {
        assert!(label_exists(&w, label), "missing {label} in English");
    }
    assert!(!label_exists(&w, "申请救助"));
    ElementHandle::find_by_accessible_label(&w, "中文")
        .next()
        .expect("back to Chinese")
        .invoke_accessible_default_action();
    assert!(label_exists(&w, "申请救助"));
}

fn elder_mode_toggle_and_staff_call() {
    let w = window();
    let toggle = ElementHandle::find_by_accessible_label(&w, "长辈模式")
        .next()
        .unwrap();
    assert_eq!(toggle.accessible_checked(), Some(false));
    toggle.invoke_accessible_default_action();
    assert!(w.global::<Theme>().get_elder_mode());
    assert_eq!(toggle.accessible_checked(), Some(true));

    assert_eq!(w.global::<AppAdapter>().get_notice(), "");
    ElementHandle::find_by_accessible_label(&w, "呼叫工作人员")
        .next()
        .unwrap()
        .invoke_accessible_default_action();
    assert!(w.global::<AppAdapter>().get_notice().contains("工作人员"));
    ElementHandle::find_by_accessible_label(&w, "知道了")
        .next()
        .expect("the notice can be dismissed")
        .invoke_accessible_default_action();
    assert_eq!(w.global::<AppAdapter>().get_notice(), "");
}

/// The words a controller writes (not only the `.slint` ones) change with the language switch
/// while a page is open.
fn open_pages_follow_the_language_switch() {
    use jiuzhu_kiosk::ui::{ApplyAdapter, Entry, HomeAdapter};
    let w = window();
    for (entry, zh, en) in [
        (
            Entry::Apply,
            "申请救助：选择救助类别",
            "Apply: choose the assistance",
        ),
        (
            Entry::Sign,
            "签署授权：请刷身份证",
            "Sign the authorization: tap your ID card",
        ),
    ] {
        w.global::<HomeAdapter>().invoke_open(entry);
        let a = w.global::<ApplyAdapter>();
        assert_eq!(a.get_title(), zh);
        w.global::<AppAdapter>().invoke_toggle_language();
        assert_eq!(a.get_title(), en, "{entry:?} in English");
        w.global::<AppAdapter>().invoke_toggle_language();
        assert_eq!(a.get_title(), zh, "{entry:?} back in Chinese");
        w.global::<ApplyAdapter>().invoke_home();
        assert_eq!(
            w.global::<AppAdapter>().get_page(),
            jiuzhu_kiosk::ui::Page::Home
        );
    }
}

/// Slint's platform belongs to one thread, so the UI checks run in sequence inside one test.
#[test]
fn home_screen() {
    i_slint_backend_testing::init_integration_test_with_mock_time();
    design_system_numbers_hold_in_both_modes();
    every_touch_target_is_at_least_80_px_in_both_modes();
    five_entries_in_chinese_then_english();
    elder_mode_toggle_and_staff_call();
    open_pages_follow_the_language_switch();
}
