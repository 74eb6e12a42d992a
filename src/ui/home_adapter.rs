//! `HomeAdapter`: the five entries of the home screen.

use slint::ComponentHandle;

use super::{AppAdapter, Entry, HomeAdapter, MainWindow};

/// The home-screen entries, as the controllers name them.
pub fn entry_name(entry: Entry) -> &'static str {
    match entry {
        Entry::Apply => "apply",
        Entry::Sign => "sign",
        Entry::Progress => "progress",
        Entry::Certify => "certify",
        Entry::Staff => "staff",
    }
}

/// Wires the home page. `open` is called with the chosen entry.
pub fn connect(ui: &MainWindow, open: impl Fn(&MainWindow, Entry) + 'static) {
    let weak = ui.as_weak();
    ui.global::<HomeAdapter>().on_open(move |entry| {
        let Some(ui) = weak.upgrade() else { return };
        tracing::info!(entry = entry_name(entry), "home entry chosen");
        if std::env::var_os("E2E_LOG_STDERR").is_some() {
            eprintln!("{}", std::backtrace::Backtrace::force_capture());
        }
        ui.global::<AppAdapter>().set_notice("".into());
        open(&ui, entry);
    });
}
