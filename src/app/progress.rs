//! 进度查询 (follow a case): the wiring between its controller, its page adapter (`ProgressAdapter`) and the worker.

use slint::ComponentHandle;

use super::{CardFailure, Kiosk, leave_to_home};
use crate::controllers::certify::Person;
use crate::ui::{Language, MainWindow, ProgressAdapter, app_adapter};

/// The flow's state while its page is shown.
#[derive(Default)]
pub(super) struct State {}

impl State {
    /// Whether anything personal is held.
    pub(super) fn holds_personal_data(&self) -> bool {
        false
    }

    /// Forgets everything personal and clears the page's models.
    pub(super) fn wipe(&mut self, ui: &MainWindow) {
        ui.global::<ProgressAdapter>().set_body("".into());
    }
}

/// Wires the page's callbacks.
pub(super) fn connect(ui: &MainWindow) {
    ui.global::<ProgressAdapter>().on_home(leave_to_home);
}

/// The entry was chosen on the home screen.
pub(super) fn open(ui: &MainWindow, _k: &mut Kiosk) {
    let body = match app_adapter::current_language(ui) {
        Language::ZhCn => "此项服务暂未开放，请点击右下角“呼叫工作人员”获得帮助。",
        Language::En => "This service is not open yet. Tap \"Call staff\" for help.",
    };
    ui.global::<ProgressAdapter>().set_body(body.into());
}

/// A person identified (card or keypad) while this page is shown.
pub(super) fn identified(_ui: &MainWindow, _k: &mut Kiosk, person: Result<Person, CardFailure>) {
    tracing::debug!(
        ok = person.is_ok(),
        "identification with no step waiting for it"
    );
}
