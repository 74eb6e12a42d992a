//! `IdentifyAdapter`: the keypad with live GB 11643 feedback.

use chrono::NaiveDate;
use slint::ComponentHandle;

use crate::controllers::identify::{Feedback, Key, KeypadEntry};

use super::{IdentifyAdapter, Language, MainWindow};

/// A key name from the page.
pub fn key_from_name(name: &str) -> Option<Key> {
    match name {
        "X" | "x" => Some(Key::X),
        "back" => Some(Key::Backspace),
        "clear" => Some(Key::Clear),
        d if d.len() == 1 => d.parse::<u8>().ok().map(Key::Digit),
        _ => None,
    }
}

/// The feedback line in `language`, and whether it reports a mistake.
pub fn feedback_text(f: &Feedback, language: Language) -> (String, bool) {
    match (f, language) {
        (Feedback::Empty, _) => (String::new(), false),
        (Feedback::Typing(n), Language::ZhCn) => (format!("已输入 {n} / 18 位"), false),
        (Feedback::Typing(n), Language::En) => (format!("{n} of 18 characters"), false),
        (Feedback::Valid(_), Language::ZhCn) => ("✓ 号码正确，请点“确认号码”".into(), false),
        (Feedback::Valid(_), Language::En) => ("✓ Number is valid: tap “Confirm”".into(), false),
        (Feedback::Invalid(p), Language::ZhCn) => (p.zh(), true),
        (Feedback::Invalid(p), Language::En) => (p.en(), true),
    }
}

/// Shows the keypad's state; returns the feedback.
pub fn render(
    ui: &MainWindow,
    entry: &KeypadEntry,
    today: NaiveDate,
    language: Language,
) -> Feedback {
    let a = ui.global::<IdentifyAdapter>();
    let f = entry.feedback(today);
    let (text, error) = feedback_text(&f, language);
    a.set_typed(entry.display().into());
    a.set_feedback(text.into());
    a.set_feedback_is_error(error);
    a.set_can_confirm(matches!(f, Feedback::Valid(_)));
    f
}

/// Wires the keys and the confirm button.
pub fn connect(
    ui: &MainWindow,
    on_key: impl Fn(&MainWindow, Key) + 'static,
    on_confirm: impl Fn(&MainWindow) + 'static,
) {
    let a = ui.global::<IdentifyAdapter>();
    let weak = ui.as_weak();
    a.on_key(move |name| {
        if let (Some(ui), Some(k)) = (weak.upgrade(), key_from_name(&name)) {
            on_key(&ui, k);
        }
    });
    let weak = ui.as_weak();
    a.on_confirm(move || {
        if let Some(ui) = weak.upgrade() {
            on_confirm(&ui);
        }
    });
}
