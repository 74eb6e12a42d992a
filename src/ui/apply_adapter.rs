//! `ApplyAdapter`: shows the application controller's current step.

use slint::{ComponentHandle, ModelRc, VecModel};

use crate::controllers::apply::{
    ApplyFlow, Choice, Step, authorization_details, choice_label, explanation, screen_text,
};
use crate::controllers::text::{Lang, ScreenText};

use super::certify_adapter::{keep_words_together, lang};
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
        Step::Submitting | Step::Scanning(_) | Step::SignerCheck(..) | Step::FingerMark(..) => {
            ApplyView::Busy
        }
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
            | Choice::Township(_)
            | Choice::OtherTownship
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
    let l = lang(language);
    let step = flow.step();
    let text = screen_text(flow, l);
    let buttons = flow
        .choices()
        .into_iter()
        .map(|c| Button {
            label: choice_label(flow, c, l),
            primary: if matches!(step, Step::ConfirmTownship(_)) {
                c == Choice::Yes
            } else {
                primary(c)
            },
            enabled: flow.enabled(c),
            place: match c {
                Choice::Back => Place::Back,
                Choice::Home => Place::Home,
                c if is_row(c) => Place::Row,
                _ => Place::Action,
            },
        })
        .collect();
    show_screen(
        ui,
        &Screen {
            view: view_of(step),
            problem: matches!(step, Step::Problem(_)),
            success: matches!(step, Step::Done(_)),
            text: &text,
            typed: flow.typed(),
            buttons,
            seq: flow.seq(),
        },
    );
    let a = ui.global::<ApplyAdapter>();
    a.set_step_text(step_text(step, l).into());
    a.set_explanation(explanation(flow, l).unwrap_or_default().into());
    a.set_details(
        authorization_details(flow, l)
            .map(|t| keep_words_together(&t))
            .unwrap_or_default()
            .into(),
    );
    text
}

/// The stages of 申请救助 a resident goes through, in order.
pub const STAGES: usize = 7;

/// Which stage (1–[`STAGES`]) a screen belongs to; `None` for problem and end screens.
pub fn stage(step: &Step) -> Option<usize> {
    Some(match step {
        Step::ChooseType | Step::ForWhom => 1,
        Step::Identify(_)
        | Step::NeedName(_)
        | Step::AgentRelation
        | Step::ConfirmTownship(_)
        | Step::ChooseTownship => 2,
        Step::Members | Step::MemberRelation | Step::ConfirmRemove(_) => 3,
        Step::Incomes | Step::Assets | Step::Amount(_) => 4,
        Step::Materials | Step::Scanning(_) | Step::ConfirmPage(_) => 5,
        Step::CloseRelative
        | Step::Authorization(_)
        | Step::SignerCheck(..)
        | Step::FingerMark(..)
        | Step::Handwriting(..) => 6,
        Step::Review | Step::Submitting => 7,
        _ => return None,
    })
}

/// "第 N 步，共 M 步" of a screen ("" where there is none).
pub fn step_text(step: &Step, l: Lang) -> String {
    match (stage(step), l) {
        (Some(n), Lang::Zh) => format!("第 {n} 步，共 {STAGES} 步"),
        (Some(n), Lang::En) => format!("Step {n} of {STAGES}"),
        (None, _) => String::new(),
    }
}

/// One button of a screen, in the order of the controller's choices (its index is its id).
pub struct Button {
    /// The words on it.
    pub label: String,
    /// The screen's main action (drawn filled).
    pub primary: bool,
    /// Pressable now.
    pub enabled: bool,
    /// Where it goes.
    pub place: Place,
}

/// Where a button goes on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The big list.
    Row,
    /// The action row at the bottom.
    Action,
    /// 上一步, top right beside 回到首页.
    Back,
    /// 回到首页: the page's own button top right, always there (not repeated below).
    Home,
}

/// A screen of the page, whichever controller decided it (申请救助 or 签署授权).
pub struct Screen<'a> {
    /// Which view.
    pub view: ApplyView,
    /// A problem screen (written mark and colour).
    pub problem: bool,
    /// A success screen.
    pub success: bool,
    /// Heading and body.
    pub text: &'a ScreenText,
    /// Digits typed on the amount keypad.
    pub typed: &'a str,
    /// The buttons, in the controller's order.
    pub buttons: Vec<Button>,
    /// The screen's sequence number.
    pub seq: u64,
}

/// Puts a screen on the page.
pub fn show_screen(ui: &MainWindow, s: &Screen<'_>) {
    let a = ui.global::<ApplyAdapter>();
    a.set_view(s.view);
    a.set_problem(s.problem);
    a.set_success(s.success);
    a.set_title(s.text.title.as_str().into());
    a.set_step_text("".into());
    a.set_body(keep_words_together(&s.text.body).into());
    a.set_typed(s.typed.into());
    a.set_details("".into());
    a.set_show_details(false);
    a.set_explanation("".into());
    let (mut rows, mut actions, mut back) = (Vec::new(), Vec::new(), -1);
    for (i, b) in s.buttons.iter().enumerate() {
        let button = ApplyButton {
            label: b.label.as_str().into(),
            id: i as i32,
            primary: b.primary,
            enabled: b.enabled,
        };
        match b.place {
            Place::Row => rows.push(button),
            Place::Action => actions.push(button),
            Place::Back => back = i as i32,
            Place::Home => {}
        }
    }
    a.set_back_id(back);
    a.set_rows(ModelRc::new(VecModel::from(rows)));
    a.set_actions(ModelRc::new(VecModel::from(actions)));
    a.set_seq(i32::try_from(s.seq).unwrap_or(i32::MAX));
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
