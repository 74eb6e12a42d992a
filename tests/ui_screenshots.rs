//! Screenshot references of the kiosk screens, rendered with Slint's software renderer.
//! Regenerate after an intended visual change with `UPDATE_SCREENSHOTS=1 cargo test --test ui_screenshots`
//! and look at the PNGs before committing them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::TimeZone;
use jiuzhu_kiosk::app::{self, AppConfig};
use jiuzhu_kiosk::ui::app_adapter::{china_offset, refresh_clock, set_language};
use jiuzhu_kiosk::ui::headless::HeadlessScreen;
use jiuzhu_kiosk::ui::{Language, MainWindow, Theme};
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
}
