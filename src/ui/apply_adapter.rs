//! `ApplyAdapter`: shows the application controller's current step.

use slint::{ComponentHandle, ModelRc, VecModel};

use crate::controllers::apply::{ApplyFlow, Choice, Step, choice_label, screen_text};
use crate::controllers::text::ScreenText;

use super::certify_adapter::lang;
use super::{ApplyAdapter, ApplyButton, ApplyView, Language, MainWindow};

/// Which view a step is shown with.
pub fn view_of(step: &Step) -> ApplyView {
    match step {
        Step::Identify(_) => ApplyView::Identify,
        Step::NeedName(_) => ApplyView::Name,
        Step::Amount(_) => ApplyView::Amount,
        Step::ConfirmPage(_) => ApplyView::Page,
        Step::Authorization(_) | Step::Review => ApplyView::Text,
        Step::Handwriting(..) => ApplyView::Signature,
        Step::Submitting | Step::Scanning(_) | Step::SignerCheck(..) => ApplyView::Busy,
        Step::Done(_) | Step::Problem(_) => ApplyView::Message,
        _ => ApplyView::List,
    }
}

/// Whether a choice belongs in the big list rather than the action row.
fn is_row(c: Choice) -> bool {
    matches!(
        c,
        Choice::Type(_)
            | Choice::ForSelf
            | Choice::ForOther
            | Choice::AgentRelation(_)
            | Choice::AddMember
            | Choice::RemoveMember(_)
            | Choice::Relation(_)
            | Choice::Edit(_)
            | Choice::Capture(_)
    )
}

fn primary(c: Choice) -> bool {
    matches!(
        c,
        Choice::Next
            | Choice::Submit
            | Choice::UsePage
            | Choice::SignFingerprint
            | Choice::Retry
            | Choice::No
            | Choice::AddMember
            | Choice::ForSelf
    )
}

/// Shows `flow` in `language`; returns the words shown (which the caller speaks).
pub fn render(ui: &MainWindow, flow: &ApplyFlow, language: Language) -> ScreenText {
    let a = ui.global::<ApplyAdapter>();
    let l = lang(language);
    let step = flow.step();
    let text = screen_text(flow, l);
    a.set_view(view_of(step));
    a.set_problem(matches!(step, Step::Problem(_)));
    a.set_success(matches!(step, Step::Done(_)));
    a.set_title(text.title.as_str().into());
    a.set_body(text.body.as_str().into());
    a.set_typed(flow.typed().into());
    let (mut rows, mut actions) = (Vec::new(), Vec::new());
    for (i, c) in flow.choices().into_iter().enumerate() {
        let b = ApplyButton {
            label: choice_label(flow, c, l).into(),
            id: i as i32,
            primary: primary(c),
            enabled: flow.enabled(c),
        };
        if is_row(c) {
            rows.push(b);
        } else {
            actions.push(b);
        }
    }
    a.set_rows(ModelRc::new(VecModel::from(rows)));
    a.set_actions(ModelRc::new(VecModel::from(actions)));
    a.set_seq(i32::try_from(flow.seq()).unwrap_or(i32::MAX));
    text
}

/// The choice behind a button id of the screen shown.
pub fn choice_of(flow: &ApplyFlow, id: i32) -> Option<Choice> {
    usize::try_from(id)
        .ok()
        .and_then(|i| flow.choices().get(i).copied())
}

/// Empties every model of the page (nothing personal stays in the UI).
pub fn clear(ui: &MainWindow) {
    let a = ui.global::<ApplyAdapter>();
    a.set_title("".into());
    a.set_body("".into());
    a.set_typed("".into());
    a.set_ink("".into());
    a.set_page(slint::Image::default());
    a.set_rows(ModelRc::default());
    a.set_actions(ModelRc::default());
}
