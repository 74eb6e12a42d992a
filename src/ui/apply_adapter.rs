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
    set_details(ui, &authorization_details(flow, l).unwrap_or_default());
    text
}

/// The full text behind the summary (`""` for none), in pages as the body is.
pub fn set_details(ui: &MainWindow, details: &str) {
    let a = ui.global::<ApplyAdapter>();
    a.set_details(keep_words_together(details).into());
    let [normal, elder] = TEXT_LINES.map(|fit| pages_model(details, fit));
    a.set_details_pages(normal);
    a.set_details_pages_elder(elder);
}

/// Lines a page of the text view holds, in the normal size and in 长辈模式: all of a text that
/// fits without a pager, and fewer a page when the pager row (上一页 / 下一页) stands under it.
const TEXT_LINES: [(usize, usize); 2] = [(9, 7), (6, 4)];

/// Width of a line of the text view, in CJK characters (its width is set to 40 of them).
const LINE_UNITS: f32 = 40.0;

fn units(s: &str) -> f32 {
    // Latin letters and digits are narrower than a CJK character; counted generously.
    s.chars()
        .map(|c| if c.is_ascii() { 0.6 } else { 1.0 })
        .sum()
}

fn lines_of(paragraph: &str) -> usize {
    ((units(paragraph) / LINE_UNITS).ceil() as usize).max(1)
}

/// `text` in pages that each fit the text view (`fit`, `paged`: see [`TEXT_LINES`]): one page
/// when it all fits; otherwise whole paragraphs a page where they fit, a longer paragraph cut
/// between words (or CJK characters). Nothing is lost: the pages joined are the text.
pub fn text_pages(text: &str, (fit, paged): (usize, usize)) -> Vec<String> {
    if text.is_empty() {
        return vec![];
    }
    if text.split('\n').map(lines_of).sum::<usize>() <= fit {
        return vec![text.to_string()];
    }
    let limit = paged as f32 * LINE_UNITS * 0.95;
    let mut pieces = Vec::new();
    for p in text.split('\n') {
        let (mut cur, mut u) = (String::new(), 0.0);
        for token in tokens(p) {
            let t = units(token);
            if u + t > limit && !cur.is_empty() {
                pieces.push(std::mem::take(&mut cur));
                u = 0.0;
            }
            cur.push_str(token);
            u += t;
        }
        pieces.push(cur);
    }
    let mut pages: Vec<String> = Vec::new();
    let mut lines = 0;
    for piece in pieces {
        let n = lines_of(&piece);
        match pages.last_mut() {
            Some(page) if lines + n <= paged => {
                page.push('\n');
                page.push_str(&piece);
                lines += n;
            }
            _ => {
                pages.push(piece);
                lines = n;
            }
        }
    }
    pages
}

/// Words (a run of Latin letters with the spaces after it) and single CJK characters.
fn tokens(p: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_word = false;
    for (i, c) in p.char_indices() {
        if !c.is_ascii() {
            if i > start {
                out.push(&p[start..i]);
            }
            out.push(&p[i..i + c.len_utf8()]);
            start = i + c.len_utf8();
            in_word = false;
        } else if c == ' ' {
            in_word = false;
        } else if !in_word {
            if i > start && p[start..i].ends_with(' ') {
                out.push(&p[start..i]);
                start = i;
            }
            in_word = true;
        }
    }
    if start < p.len() {
        out.push(&p[start..]);
    }
    out
}

fn pages_model(text: &str, fit: (usize, usize)) -> ModelRc<slint::SharedString> {
    let pages: Vec<slint::SharedString> = text_pages(text, fit)
        .iter()
        .map(|p| keep_words_together(p).into())
        .collect();
    ModelRc::new(VecModel::from(pages))
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
    let [normal, elder] = TEXT_LINES.map(|fit| pages_model(&s.text.body, fit));
    a.set_body_pages(normal);
    a.set_body_pages_elder(elder);
    a.set_text_page(0);
    a.set_typed(s.typed.into());
    set_details(ui, "");
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

#[cfg(test)]
mod tests {
    use super::{TEXT_LINES, text_pages};

    #[test]
    fn a_text_that_fits_is_one_page_and_a_long_one_pages_without_loss() {
        let short = "类别：城乡低保\n申请人：陈**";
        assert_eq!(text_pages(short, TEXT_LINES[1]), vec![short.to_string()]);
        assert!(text_pages("", TEXT_LINES[0]).is_empty());
        // Eight short lines: one page normally, two in 长辈模式 (six fit).
        let eight: Vec<String> = (1..=8).map(|i| format!("第{i}行")).collect();
        let eight = eight.join("\n");
        assert_eq!(text_pages(&eight, TEXT_LINES[0]).len(), 1);
        let pages = text_pages(&eight, TEXT_LINES[1]);
        assert_eq!(pages.len(), 2, "{pages:?}");
        assert_eq!(pages.join("\n"), eight);
        // A long English paragraph is cut between words, never inside one.
        let words = "Authorization to verify household finances for the review of this social assistance application only. ".repeat(12);
        let pages = text_pages(words.trim_end(), TEXT_LINES[1]);
        assert!(pages.len() > 2, "{}", pages.len());
        assert_eq!(pages.concat(), words.trim_end());
        for p in &pages {
            assert!(!p.starts_with(' ') || p.trim_start().is_empty());
            let last = p.split(' ').next_back().unwrap();
            assert!(words.contains(last));
        }
        // A long Chinese paragraph is cut between characters; each page within its lines.
        let zh =
            "本人同意并授权民政部门及其委托的机构查询核对本人及家庭成员的户籍收入和财产等信息。"
                .repeat(8);
        let pages = text_pages(&zh, TEXT_LINES[1]);
        assert_eq!(pages.concat(), zh);
        assert!(pages.iter().all(|p| p.chars().count() <= 4 * 40));
    }
}
