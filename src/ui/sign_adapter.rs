//! 签署授权 on the application page's views (`ApplyAdapter`): shows the sign controller's
//! current step.

use crate::controllers::sign::{
    Choice, SignFlow, Step, authorization_details, choice_label, screen_text,
};
use crate::controllers::text::ScreenText;

use super::apply_adapter::{Button, Place, Screen, show_screen};
use super::certify_adapter::lang;
use super::{ApplyView, Language, MainWindow};

/// Which view a step is shown with.
pub fn view_of(step: &Step) -> ApplyView {
    match step {
        Step::Identify => ApplyView::Identify,
        Step::NeedName => ApplyView::Name,
        Step::Choose => ApplyView::List,
        Step::Authorization => ApplyView::Text,
        Step::Handwriting(_) => ApplyView::Signature,
        Step::Looking | Step::SignerCheck(_) | Step::FingerMark(_) | Step::Submitting => {
            ApplyView::Busy
        }
        Step::Done { .. } | Step::Problem(_) => ApplyView::Message,
    }
}

/// Shows `flow` in `language`; returns the words shown (which the caller speaks).
pub fn render(ui: &MainWindow, flow: &SignFlow, language: Language) -> ScreenText {
    let l = lang(language);
    let step = flow.step();
    let text = screen_text(flow, l);
    let buttons = flow
        .choices()
        .into_iter()
        .map(|c| Button {
            label: choice_label(flow, c, l),
            primary: matches!(
                c,
                Choice::SignFingerprint | Choice::Next | Choice::Retry | Choice::Another
            ),
            enabled: true,
            place: match c {
                Choice::Case(_) => Place::Row,
                Choice::Home => Place::Home,
                Choice::Back => Place::Back,
                _ => Place::Action,
            },
        })
        .collect();
    show_screen(
        ui,
        &Screen {
            view: view_of(step),
            problem: matches!(step, Step::Problem(_)),
            success: matches!(step, Step::Done { .. }),
            text: &text,
            typed: "",
            buttons,
            seq: flow.seq(),
        },
    );
    if let Some(full) = authorization_details(flow, l) {
        super::apply_adapter::set_details(ui, &full);
    }
    text
}

/// The choice behind a button id of the screen shown.
pub fn choice_of(flow: &SignFlow, id: i32) -> Option<Choice> {
    usize::try_from(id)
        .ok()
        .and_then(|i| flow.choices().get(i).copied())
}
