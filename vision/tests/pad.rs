//! Acceptance on generated clips (vision/src/synth.rs) through the real Verifier with real models:
//! every attack clip of the kinds the kiosk claims to stop is rejected and at least 95 % of genuine clips
//! pass. The sets are seeded ([`pad::standard_cases`]); `cargo run -p jiuzhu-vision --example pad_report
//! --release` prints the larger table of vision/README.md. Each test prints its rows.
//!
//! Not asserted to be rejected (their APCER is measured and reported, see vision/README.md):
//! - `screen-puppet`: a screen showing the person doing exactly the asked challenges in time (a live
//!   puppet or deepfake). Geometry cannot tell it from a live face.
//! - `screen-all-actions`: a recording of all five actions in one fixed order. When the asked sequence
//!   appears in that order with no other turn or mouth opening in between (e.g. blink then open mouth)
//!   the recording is indistinguishable from a person obeying; the other sequences are rejected by the
//!   wrong-action rule. The test below checks exactly that split.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use jiuzhu_vision::ModelPaths;
use jiuzhu_vision::embed::Embedding;
use jiuzhu_vision::pad::{Case, Outcome, PadTable, evaluate, references, standard_cases};
use jiuzhu_vision::synth::{ClipKind, Generator};
use jiuzhu_vision::verifier::VerifierConfig;

struct Fixture {
    paths: ModelPaths,
    generator: Generator,
    refs: BTreeMap<String, Embedding>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let paths = ModelPaths::locate();
        let generator = Generator::load(&paths, false).expect("run `make models` first");
        let refs = references(&paths).unwrap();
        Fixture {
            paths,
            generator,
            refs,
        }
    })
}

fn run(cases: &[Case]) -> Vec<Outcome> {
    let f = fixture();
    cases
        .iter()
        .map(|c| {
            let o = evaluate(
                &f.paths,
                &f.generator,
                &f.refs,
                c,
                &VerifierConfig::default(),
            )
            .unwrap();
            eprintln!(
                "{:14} {:10} {:?} passed={} reasons={:?}",
                o.kind.name(),
                o.photo,
                o.challenges,
                o.verification.verdict.passed,
                o.verification.verdict.reasons
            );
            o
        })
        .collect()
}

fn subjects() -> usize {
    fixture().generator.subjects().len()
}

#[test]
fn at_least_95_percent_of_genuine_clips_pass() {
    let cases = standard_cases(subjects(), 10, 0, &[ClipKind::Genuine]);
    assert!(cases.len() >= 40);
    let outcomes = run(&cases);
    let table = PadTable::from_outcomes(&outcomes);
    eprintln!("{table}");
    let bpcer = table.bpcer().unwrap();
    assert!(bpcer <= 0.05, "BPCER {:.1} %", 100.0 * bpcer);
    // the live person matches their own reference photo
    for o in &outcomes {
        if o.verification.verdict.passed {
            assert!(o.verification.similarity.unwrap() >= jiuzhu_vision::MATCH_THRESHOLD);
        }
    }
}

fn assert_all_rejected(kinds: &[ClipKind], per_subject: usize) {
    let cases = standard_cases(subjects(), 0, per_subject, kinds);
    let outcomes = run(&cases);
    let table = PadTable::from_outcomes(&outcomes);
    eprintln!("{table}");
    let accepted: Vec<_> = outcomes
        .iter()
        .filter(|o| o.verification.verdict.passed)
        .map(|o| (o.kind.name(), o.photo.clone(), o.challenges.clone(), o.seed))
        .collect();
    assert!(accepted.is_empty(), "attacks accepted: {accepted:?}");
}

#[test]
fn print_attacks_are_rejected() {
    assert_all_rejected(&[ClipKind::Print], 3);
}

#[test]
fn screen_attacks_are_rejected() {
    assert_all_rejected(&[ClipKind::ScreenPhoto, ClipKind::ScreenReplay], 2);
}

/// A recording of blink, open mouth, turn left, turn right, nod (in that order) is accepted only when the
/// asked sequence is a run of consecutive actions of that order; otherwise the wrong-action rule or a
/// timeout rejects it.
#[test]
fn an_all_actions_recording_passes_only_an_in_order_run() {
    use jiuzhu_vision::liveness::Challenge::{self, *};
    let order = [Blink, OpenMouth, TurnLeft, TurnRight, Nod];
    let is_run = |asked: &[Challenge]| {
        let pos: Vec<usize> = asked
            .iter()
            .map(|c| order.iter().position(|o| o == c).unwrap())
            .collect();
        pos.windows(2).all(|w| w[1] == w[0] + 1)
    };
    let cases = standard_cases(subjects(), 0, 2, &[ClipKind::ScreenAllActions]);
    let outcomes = run(&cases);
    eprintln!("{}", PadTable::from_outcomes(&outcomes));
    for o in &outcomes {
        if o.verification.verdict.passed {
            assert!(
                is_run(&o.challenges),
                "accepted although out of the recording's order: {:?} seed {}",
                o.challenges,
                o.seed
            );
        }
    }
}

#[test]
fn swaps_and_second_faces_are_rejected() {
    assert_all_rejected(&[ClipKind::Swap, ClipKind::TwoFaces], 2);
}
