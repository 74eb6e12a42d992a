//! `AppAdapter`: language, 长辈模式, sound, the clock (the staff call is wired in `app::help_call`).

use chrono::{DateTime, Datelike, FixedOffset, Timelike};
use slint::ComponentHandle;

use super::{AppAdapter, Language, MainWindow, Theme};

/// China Standard Time, the kiosk's wall clock.
pub fn china_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The clock line of the top bar, in the UI language.
pub fn clock_text(now: DateTime<FixedOffset>, lang: Language) -> String {
    const WEEK_ZH: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];
    let wd = now.weekday().num_days_from_monday() as usize;
    match lang {
        Language::ZhCn => format!(
            "{}年{}月{}日 星期{} {:02}:{:02}",
            now.year(),
            now.month(),
            now.day(),
            WEEK_ZH[wd],
            now.hour(),
            now.minute()
        ),
        Language::En => now.format("%a %-d %b %Y %H:%M").to_string(),
    }
}

/// Wires the shared callbacks of `AppAdapter`.
pub fn connect(ui: &MainWindow) {
    let adapter = ui.global::<AppAdapter>();

    let weak = ui.as_weak();
    adapter.on_toggle_language(move || {
        let Some(ui) = weak.upgrade() else { return };
        let app = ui.global::<AppAdapter>();
        let next = match Language::from_tag(&app.get_language()) {
            Some(Language::ZhCn) | None => Language::En,
            Some(Language::En) => Language::ZhCn,
        };
        set_language(&ui, next);
    });

    let weak = ui.as_weak();
    adapter.on_toggle_elder_mode(move || {
        let Some(ui) = weak.upgrade() else { return };
        let theme = ui.global::<Theme>();
        theme.set_elder_mode(!theme.get_elder_mode());
    });

    let weak = ui.as_weak();
    adapter.on_toggle_mute(move || {
        let Some(ui) = weak.upgrade() else { return };
        let app = ui.global::<AppAdapter>();
        app.set_muted(!app.get_muted());
    });

    let weak = ui.as_weak();
    adapter.on_dismiss_notice(move || {
        if let Some(ui) = weak.upgrade() {
            ui.global::<AppAdapter>().set_notice("".into());
        }
    });
}

/// The language currently shown.
pub fn current_language(ui: &MainWindow) -> Language {
    Language::from_tag(&ui.global::<AppAdapter>().get_language()).unwrap_or_default()
}

/// Switches every string and the clock to `lang`.
pub fn set_language(ui: &MainWindow, lang: Language) {
    if let Err(e) = lang.select() {
        tracing::warn!("{e:#}");
        return;
    }
    let app = ui.global::<AppAdapter>();
    app.set_language(lang.tag().into());
    refresh_clock(ui, chrono::Utc::now().with_timezone(&china_offset()));
}

/// Updates the clock line.
pub fn refresh_clock(ui: &MainWindow, now: DateTime<FixedOffset>) {
    let lang = current_language(ui);
    ui.global::<AppAdapter>()
        .set_clock_text(clock_text(now, lang).into());
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn clock_reads_in_both_languages() {
        let t = china_offset()
            .with_ymd_and_hms(2026, 11, 27, 9, 5, 0)
            .unwrap();
        assert_eq!(clock_text(t, Language::ZhCn), "2026年11月27日 星期五 09:05");
        assert_eq!(clock_text(t, Language::En), "Fri 27 Nov 2026 09:05");
    }

    #[test]
    fn language_tags_round_trip() {
        for l in [Language::ZhCn, Language::En] {
            assert_eq!(Language::from_tag(l.tag()), Some(l));
        }
        assert_eq!(Language::from_tag("fr"), None);
    }
}
