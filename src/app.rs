//! Wiring only: builds the main window and connects every adapter to its controller.

use std::time::Duration;

use slint::ComponentHandle;

use crate::ui::{self, Language, MainWindow, app_adapter, home_adapter};

/// Options the kiosk starts with.
#[derive(Debug, Clone, Default)]
pub struct AppConfig {
    /// The first UI language.
    pub language: Language,
    /// Start in 长辈模式.
    pub elder_mode: bool,
    /// Township shown in the top bar.
    pub township_name: Option<String>,
}

/// Creates the main window with every adapter connected. Needs a Slint platform (a display
/// backend, the headless renderer, or the testing backend).
pub fn build(config: &AppConfig) -> anyhow::Result<MainWindow> {
    let window = MainWindow::new()?;
    app_adapter::connect(&window);
    home_adapter::connect(&window, |ui, entry| {
        // The flows behind each entry live in their controllers; until an entry's flow is
        // installed, the resident is told plainly and offered staff help.
        let lang = app_adapter::current_language(ui);
        let what = match lang {
            Language::ZhCn => "此项服务暂未开放，请点击右下角“呼叫工作人员”获得帮助。",
            Language::En => "This service is not open yet. Tap \"Call staff\" for help.",
        };
        tracing::info!(
            entry = home_adapter::entry_name(entry),
            "entry not yet available"
        );
        ui.global::<ui::AppAdapter>().set_notice(what.into());
    });
    window
        .global::<ui::Theme>()
        .set_elder_mode(config.elder_mode);
    if let Some(name) = &config.township_name {
        window
            .global::<ui::AppAdapter>()
            .set_township_name(name.into());
    }
    app_adapter::set_language(&window, config.language);
    Ok(window)
}

/// Keeps the clock line current while the window lives.
pub fn start_clock(window: &MainWindow) -> slint::Timer {
    let timer = slint::Timer::default();
    let weak = window.as_weak();
    timer.start(
        slint::TimerMode::Repeated,
        Duration::from_secs(15),
        move || {
            if let Some(ui) = weak.upgrade() {
                app_adapter::refresh_clock(
                    &ui,
                    chrono::Utc::now().with_timezone(&app_adapter::china_offset()),
                );
            }
        },
    );
    timer
}
