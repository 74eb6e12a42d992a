//! `ProgressAdapter`: the 进度查询 screens from the flow's state and words.

use std::rc::Rc;

use chrono::NaiveDate;
use jiuzhu_core::calendar::Calendar;
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use crate::controllers::progress::{
    Choice, Lang, ProgressFlow, RightStage, ScreenText, StageStatus, Step, screen_text,
};

use super::{
    Language, MainWindow, ProgressAdapter, ProgressCase, ProgressChoice, ProgressStage,
    ProgressView,
};

fn lang(l: Language) -> Lang {
    match l {
        Language::ZhCn => Lang::Zh,
        Language::En => Lang::En,
    }
}

fn strings(v: &[String]) -> ModelRc<SharedString> {
    ModelRc::from(Rc::new(VecModel::from(
        v.iter().map(SharedString::from).collect::<Vec<_>>(),
    )))
}

/// Shows the flow's screen on `today`; returns its words (the caller speaks the Chinese ones).
pub fn render(
    ui: &MainWindow,
    flow: &ProgressFlow,
    cal: &Calendar,
    today: NaiveDate,
    hotline: &str,
    language: Language,
) -> ScreenText {
    let a = ui.global::<ProgressAdapter>();
    let l = lang(language);
    let text = screen_text(flow, cal, today, hotline, l);
    a.set_view(match flow.step() {
        Step::Identify { .. } => ProgressView::Identify,
        Step::Asking => ProgressView::Asking,
        Step::Cases(_) => ProgressView::Cases,
        Step::NoCase { .. } | Step::Unavailable(_) => ProgressView::Message,
        Step::Notice(_) | Step::Postings(_) => ProgressView::Notice,
        Step::FindNumber(_) => ProgressView::Keypad,
        Step::Phone(v) => match v.stage {
            crate::controllers::progress::PhoneStage::Typing { .. } => ProgressView::Keypad,
            _ => ProgressView::Message,
        },
        Step::Right(v) => match v.stage {
            RightStage::Done { .. } => ProgressView::Notice,
            RightStage::Reason => ProgressView::Options,
            _ => ProgressView::Message,
        },
    });
    a.set_document(text.document.as_str().into());
    a.set_title(text.title.as_str().into());
    a.set_body(text.body.as_str().into());
    a.set_cached(text.cached.as_str().into());
    let cases: Vec<ProgressCase> = text
        .cases
        .iter()
        .map(|c| ProgressCase {
            heading: c.heading.as_str().into(),
            case_no: c.case_no.as_str().into(),
            state: c.state.as_str().into(),
            stages: ModelRc::from(Rc::new(VecModel::from(
                c.stages
                    .iter()
                    .map(|s| ProgressStage {
                        label: s.label.as_str().into(),
                        date: s.date.as_str().into(),
                        status: match s.status {
                            StageStatus::Todo => 0,
                            StageStatus::Current => 1,
                            StageStatus::Done => 2,
                        },
                    })
                    .collect::<Vec<_>>(),
            ))),
            deadlines: strings(&c.deadlines),
            notice: c.notice.as_str().into(),
            missing: strings(&c.missing),
            notice_open: c.notice_open,
            signatures: c.signatures.as_str().into(),
            contact: c.contact.as_str().into(),
        })
        .collect();
    a.set_cases(ModelRc::from(Rc::new(VecModel::from(cases))));
    let mut contact: Vec<&str> = Vec::new();
    for c in &text.cases {
        if !contact.contains(&c.contact.as_str()) {
            contact.push(&c.contact);
        }
    }
    a.set_contact(contact.join("\n").into());
    let button = |c: Choice| ProgressChoice {
        label: flow.label(c, l).into(),
        name: c.name().into(),
        primary: matches!(
            c,
            Choice::Reprint
                | Choice::Retry
                | Choice::Notices
                | Choice::ConfirmReceived
                | Choice::Confirm
                | Choice::ObjectThis
                | Choice::Finish
                | Choice::SavePhone
                | Choice::FindNow
        ),
    };
    let (keys, others): (Vec<Choice>, Vec<Choice>) = flow
        .choices()
        .into_iter()
        .partition(|c| matches!(c, Choice::Digit(_) | Choice::DeleteDigit));
    let (reasons, choices): (Vec<Choice>, Vec<Choice>) = others
        .into_iter()
        .partition(|c| matches!(c, Choice::Reason(_)));
    let key = |c: &Choice| ProgressChoice {
        label: match c {
            Choice::Digit(d) => d.to_string().into(),
            _ => flow.label(*c, l).into(),
        },
        name: c.name().into(),
        primary: false,
    };
    let row = |r: &[Choice]| {
        ModelRc::from(Rc::new(VecModel::from(
            r.iter().map(key).collect::<Vec<_>>(),
        )))
    };
    a.set_keys1(row(keys.get(..5.min(keys.len())).unwrap_or(&[])));
    a.set_keys2(row(keys.get(5..10.min(keys.len())).unwrap_or(&[])));
    a.set_keys3(row(keys.get(10..).unwrap_or(&[])));
    a.set_options(ModelRc::from(Rc::new(VecModel::from(
        reasons.into_iter().map(button).collect::<Vec<_>>(),
    ))));
    a.set_choices(ModelRc::from(Rc::new(VecModel::from(
        choices.into_iter().map(button).collect::<Vec<_>>(),
    ))));
    let (page, total) = flow.page();
    a.set_page_text(text.page.as_str().into());
    a.set_can_prev(total > 1 && page > 0);
    a.set_can_next(page + 1 < total);
    a.set_prev_label(Choice::PrevPage.label(l).into());
    a.set_next_label(Choice::NextPage.label(l).into());
    a.set_seq(i32::try_from(flow.seq()).unwrap_or(i32::MAX));
    text
}

/// Clears every personal field of the page.
pub fn clear(ui: &MainWindow) {
    let a = ui.global::<ProgressAdapter>();
    a.set_view(ProgressView::Message);
    a.set_body("".into());
    a.set_document("".into());
    a.set_cached("".into());
    a.set_contact("".into());
    a.set_cases(ModelRc::default());
    a.set_choices(ModelRc::default());
    a.set_options(ModelRc::default());
    a.set_keys1(ModelRc::default());
    a.set_keys2(ModelRc::default());
    a.set_keys3(ModelRc::default());
    a.set_page_text("".into());
    a.set_can_prev(false);
    a.set_can_next(false);
}

/// Wires the buttons: `on_choose(ui, seq, choice)` and 回到首页.
pub fn connect(
    ui: &MainWindow,
    on_choose: impl Fn(&MainWindow, u64, Choice) + 'static,
    on_home: impl Fn() + 'static,
) {
    let a = ui.global::<ProgressAdapter>();
    let weak = ui.as_weak();
    a.on_choose(move |seq, name| {
        let (Some(ui), Some(c), Ok(seq)) =
            (weak.upgrade(), Choice::from_name(&name), u64::try_from(seq))
        else {
            return;
        };
        on_choose(&ui, seq, c);
    });
    a.on_home(on_home);
}
