//! `CertifyAdapter`: shows the certification controller's current step.

use slint::{ComponentHandle, ModelRc, VecModel};

use crate::controllers::certify::{CertifyFlow, Challenge, Choice, Step};
use crate::controllers::text::{Lang, ScreenText, flow_choice_label, flow_text};

use super::{CertifyAdapter, CertifyView, ChallengeKind, ChoiceButton, Language, MainWindow, Tone};

/// Every choice, in the order of the numbers the page passes back.
pub const CHOICES: [Choice; 16] = [
    Choice::SelfCheck,
    Choice::Guardian,
    Choice::Assisted,
    Choice::Consent,
    Choice::Decline,
    Choice::StaffWitness,
    Choice::HomeVisit,
    Choice::Face,
    Choice::Fingerprint,
    Choice::Retry,
    Choice::CallStaff,
    Choice::Home,
    Choice::Print,
    Choice::TakePhoto,
    Choice::Retake,
    Choice::UsePhoto,
];

/// The choice behind a number from the page.
pub fn choice_from_id(id: i32) -> Option<Choice> {
    usize::try_from(id)
        .ok()
        .and_then(|i| CHOICES.get(i).copied())
}

/// The number the page uses for a choice.
pub fn choice_id(c: Choice) -> i32 {
    CHOICES.iter().position(|x| *x == c).unwrap_or(0) as i32
}

/// The controller's language for a UI language.
pub fn lang(l: Language) -> Lang {
    match l {
        Language::ZhCn => Lang::Zh,
        Language::En => Lang::En,
    }
}

/// Which view and tone a step is shown with.
pub fn view_of(step: &Step) -> (CertifyView, Tone) {
    match step {
        Step::Identify(_) => (CertifyView::Identify, Tone::Info),
        Step::Face { .. } => (CertifyView::Face, Tone::Info),
        Step::Photo | Step::PhotoReview => (CertifyView::Photo, Tone::Info),
        Step::TakingPhoto => (CertifyView::Photo, Tone::Waiting),
        Step::Querying | Step::Submitting | Step::RecordingAlternative(_) | Step::Checking(_) => {
            (CertifyView::Busy, Tone::Waiting)
        }
        Step::AlreadyCertified { .. }
        | Step::Certified(_)
        | Step::SavedForUpload
        | Step::AlternativeRecorded(_) => (CertifyView::Message, Tone::Success),
        Step::Failed { .. }
        | Step::Problem { .. }
        | Step::RouteToStaff
        | Step::NotRecipient
        | Step::NotGuardian => (CertifyView::Message, Tone::Problem),
        Step::ChooseMode | Step::Consent | Step::GuardianConsent | Step::ChooseAlternative => {
            (CertifyView::Message, Tone::Info)
        }
        Step::Fingerprint { .. } => (CertifyView::Fingerprint, Tone::Info),
    }
}

/// Whether `c` is the way on from `step` (drawn filled). Calling staff and leaving are not,
/// nor is giving up the face check for the fingerprint while the face check runs.
pub fn is_forward(step: &Step, c: Choice) -> bool {
    match c {
        Choice::Home | Choice::CallStaff => false,
        Choice::Fingerprint => !matches!(step, Step::Face { .. }),
        _ => true,
    }
}

/// Words that must not be broken across two lines: a word joiner (U+2060) between their
/// characters keeps them together when a sentence wraps.
const UNBROKEN: [&str; 4] = ["感应区", "呼叫工作人员", "指纹采集器", "摄像头"];

/// `text` with the words of [`UNBROKEN`] held together (for display; the voice gets the
/// plain words).
pub fn keep_words_together(text: &str) -> String {
    let mut out = text.to_string();
    for w in UNBROKEN {
        if out.contains(w) {
            let joined: String = w
                .chars()
                .map(String::from)
                .collect::<Vec<_>>()
                .join("\u{2060}");
            out = out.replace(w, &joined);
        }
    }
    out
}

/// Shows `flow` in `language`; returns the words shown (which the caller speaks).
pub fn render(ui: &MainWindow, flow: &CertifyFlow, language: Language) -> ScreenText {
    let a = ui.global::<CertifyAdapter>();
    let l = lang(language);
    let step = flow.step();
    let text = flow_text(flow, l);
    let (view, tone) = view_of(step);
    a.set_view(view);
    a.set_tone(tone);
    a.set_title(text.title.as_str().into());
    a.set_body(keep_words_together(&text.body).into());
    let choices: Vec<ChoiceButton> = flow
        .choices()
        .into_iter()
        // 回到首页 has its one place, top right (CertifyAdapter.home)
        .filter(|c| *c != Choice::Home)
        .enumerate()
        .map(|(i, c)| ChoiceButton {
            label: flow_choice_label(flow, c, l).into(),
            id: choice_id(c),
            primary: i == 0 && is_forward(step, c),
        })
        .collect();
    a.set_choices(ModelRc::new(VecModel::from(choices)));
    a.set_seq(i32::try_from(flow.seq()).unwrap_or(i32::MAX));
    let (done, total) = match step {
        Step::Face { done, total, .. } => (*done, *total),
        _ => (0, 0),
    };
    a.set_done(done.into());
    a.set_total(total.into());
    a.set_challenge(match step {
        Step::Face {
            challenge: Some(c), ..
        } => pictogram(*c),
        Step::Face { .. } => ChallengeKind::Look,
        _ => ChallengeKind::None,
    });
    text
}

/// The animated pictogram shown beside a liveness challenge.
pub fn pictogram(c: Challenge) -> ChallengeKind {
    match c {
        Challenge::LookStraight => ChallengeKind::Look,
        Challenge::Blink => ChallengeKind::Blink,
        Challenge::OpenMouth => ChallengeKind::OpenMouth,
        Challenge::TurnLeft => ChallengeKind::TurnLeft,
        Challenge::TurnRight => ChallengeKind::TurnRight,
        Challenge::Nod => ChallengeKind::Nod,
    }
}

/// Wires the page's presses to `choose(seq, choice)`.
pub fn connect(ui: &MainWindow, choose: impl Fn(&MainWindow, u64, Choice) + 'static) {
    let weak = ui.as_weak();
    ui.global::<CertifyAdapter>().on_choose(move |seq, id| {
        let (Some(ui), Some(choice), Ok(seq)) =
            (weak.upgrade(), choice_from_id(id), u64::try_from(seq))
        else {
            return;
        };
        choose(&ui, seq, choice);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_held_together_and_only_joiners_are_added() {
        let shown = keep_words_together("请把身份证放在感应区，或呼叫工作人员。");
        assert!(shown.contains("感\u{2060}应\u{2060}区"), "{shown:?}");
        assert!(
            shown.contains("呼\u{2060}叫\u{2060}工\u{2060}作"),
            "{shown:?}"
        );
        assert_eq!(
            shown.replace('\u{2060}', ""),
            "请把身份证放在感应区，或呼叫工作人员。"
        );
    }

    #[test]
    fn choice_numbers_round_trip() {
        for c in CHOICES {
            assert_eq!(choice_from_id(choice_id(c)), Some(c));
        }
        assert_eq!(choice_from_id(-1), None);
        assert_eq!(choice_from_id(99), None);
    }
}
