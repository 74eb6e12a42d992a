//! Acceptance on generated clips (vision/src/synth.rs) through the real Verifier with real models:
//! every attack clip of the kinds the kiosk claims to stop is rejected and at least 95 % of genuine clips
//! pass. The sets are seeded ([`pad::standard_cases`]); `cargo run -p jiuzhu-vision --example pad_report
//! --release` prints the larger table of vision/README.md. Each test prints its rows.
//!
//! Screens, including `screen-puppet` (a screen showing the person doing exactly the asked challenges
//! in time, which geometry cannot tell from a live face), are rejected by the passive screen-pattern
//! (moiré) signal; that signal is only as good as the generator's moiré model (vision/README.md).
//!
//! `screen-all-actions` (a recording of all five actions in one fixed order) is also checked without
//! that signal: when the asked sequence appears in that order with no other turn or mouth opening in
//! between (e.g. blink then open mouth) the geometry cannot tell it from a person obeying; the other
//! sequences are rejected by the wrong-action rule or the reaction-time check. The test below checks
//! exactly that split.
//!
//! `make test` runs every second case of the larger sets (`JIUZHU_EVAL_EVERY=2`, tests/common); `make
//! eval` and a plain `cargo test` run them whole.

mod common;

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
    run_with(cases, &VerifierConfig::default())
}

fn run_with(cases: &[Case], cfg: &VerifierConfig) -> Vec<Outcome> {
    let f = fixture();
    cases
        .iter()
        .map(|c| {
            let o = evaluate(&f.paths, &f.generator, &f.refs, c, cfg).unwrap();
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
    let whole = standard_cases(subjects(), 10, 0, &[ClipKind::Genuine]);
    assert!(whole.len() >= 40);
    let cases = common::eval_share(whole);
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
    let cases = common::eval_share(standard_cases(subjects(), 0, per_subject, kinds));
    assert!(!cases.is_empty());
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
    assert_all_rejected(
        &[
            ClipKind::ScreenPhoto,
            ClipKind::ScreenReplay,
            ClipKind::ScreenPuppet,
        ],
        2,
    );
}

/// Without the screen-pattern signal, a recording of blink, open mouth, turn left, turn right, nod (in
/// that order) is accepted only when the asked sequence is a run of consecutive actions of that order;
/// otherwise the wrong-action rule, the reaction-time check or a timeout rejects it. With the signal
/// (the default) every one is rejected.
#[test]
fn without_the_screen_signal_an_all_actions_recording_passes_only_an_in_order_run() {
    use jiuzhu_vision::liveness::Challenge::{self, *};
    let order = [Blink, OpenMouth, TurnLeft, TurnRight, Nod];
    let is_run = |asked: &[Challenge]| {
        let pos: Vec<usize> = asked
            .iter()
            .map(|c| order.iter().position(|o| o == c).unwrap())
            .collect();
        pos.windows(2).all(|w| w[1] == w[0] + 1)
    };
    let cases = common::eval_share(standard_cases(
        subjects(),
        0,
        2,
        &[ClipKind::ScreenAllActions],
    ));
    let geometry_only = VerifierConfig {
        moire_max: None,
        ..VerifierConfig::default()
    };
    let outcomes = run_with(&cases, &geometry_only);
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
    let with_signal = run(&cases);
    assert!(with_signal.iter().all(|o| !o.verification.verdict.passed));
}

#[test]
fn swaps_and_second_faces_are_rejected() {
    assert_all_rejected(&[ClipKind::Swap, ClipKind::TwoFaces], 2);
}

/// Whoever performs each challenge is sampled when it completes: with the timed identity samples
/// made too rare to help (one a minute, so only the session's first good frame), a face swapped in
/// for the second challenge is still caught, and genuine clips still pass.
#[test]
fn a_swap_is_caught_by_the_sample_at_each_completed_challenge() {
    let cfg = VerifierConfig {
        identity_every: std::time::Duration::from_secs(60),
        ..VerifierConfig::default()
    };
    let swaps = standard_cases(subjects(), 0, 1, &[ClipKind::Swap]);
    assert!(!swaps.is_empty());
    let mut by_identity = 0;
    for o in run_with(&swaps, &cfg) {
        let v = &o.verification;
        let reasons = &v.verdict.reasons;
        assert!(!v.verdict.passed, "{v:?}");
        // a swap whose challenge was taken back (the completing frame was another face) fails as
        // not done; one that did every challenge fails for identity
        if !reasons.iter().any(|r| r.ends_with("not done")) {
            assert!(
                reasons
                    .iter()
                    .any(|r| r.contains("the face changed during the session")),
                "{reasons:?}"
            );
        }
        if v.identity_doubts > 0
            || reasons
                .iter()
                .any(|r| r.contains("the face changed during the session"))
        {
            by_identity += 1;
        }
    }
    assert!(by_identity > 0, "no swap was seen by the identity samples");
    let genuine = standard_cases(subjects(), 1, 0, &[ClipKind::Genuine]);
    for o in run_with(&genuine, &cfg) {
        assert!(o.verification.verdict.passed, "{:?}", o.verification);
    }
}

/// When the face changes mid-session (person A does the first challenge, B the rest), B's first
/// identity samples do not look like the session's person: each restarts the challenge in course,
/// the resident is asked to uncover the face (hint `uncover_face`, held for
/// [`jiuzhu_vision::verifier::UNCOVER_HINT`]), and the session is still refused.
#[test]
fn a_face_that_changes_restarts_the_action_and_asks_to_uncover_the_face() {
    use jiuzhu_vision::liveness::Challenge;
    use jiuzhu_vision::synth::ClipSpec;
    use jiuzhu_vision::verifier::Verifier;
    let f = fixture();
    let challenges = vec![Challenge::OpenMouth, Challenge::Nod, Challenge::TurnLeft];
    let spec = ClipSpec {
        kind: ClipKind::Swap,
        challenges: challenges.clone(),
        seed: 2500,
        fps: 10.0,
        mirror: false,
    };
    let subject = f
        .generator
        .subjects()
        .iter()
        .position(|s| s.photo == "obama3.jpg")
        .unwrap();
    let clip = f.generator.render(subject, None, &spec).unwrap();
    let reference = f.refs.get(&clip.person).cloned();
    let mut v =
        Verifier::with_config(&f.paths, challenges, reference, VerifierConfig::default()).unwrap();
    let mut hints = Vec::new();
    for (i, frame) in clip.frames.iter().enumerate() {
        let p = v
            .push_frame(frame, std::time::Duration::from_millis(100 * i as u64))
            .unwrap();
        if hints.last() != Some(&p.hint) {
            hints.push(p.hint);
        }
    }
    let out = v.finish();
    eprintln!(
        "hints {hints:?}, doubts {}, {:?}",
        out.identity_doubts, out.verdict
    );
    assert!(out.identity_doubts >= 1, "{out:?}");
    assert!(hints.contains(&"uncover_face"), "{hints:?}");
    assert!(!out.verdict.passed, "{out:?}");
}

/// The kiosk lends the face check's networks from one resident's session to the next
/// ([`jiuzhu_vision::verifier::VerifierModels`]): a session on lent networks, after a session of
/// another person that ended on a screen replay, decides exactly as one that loaded its own, and
/// networks a session does not run are given back too.
#[test]
fn networks_lent_from_an_earlier_session_decide_as_freshly_loaded_ones() {
    use jiuzhu_vision::embed::FaceModel;
    use jiuzhu_vision::liveness::Challenge;
    use jiuzhu_vision::synth::ClipSpec;
    use jiuzhu_vision::verifier::{Verification, Verifier, VerifierModels};
    let f = fixture();
    let clip = |subject: usize, kind: ClipKind, seed: u64, challenges: &[Challenge]| {
        let spec = ClipSpec {
            kind,
            challenges: challenges.to_vec(),
            seed,
            fps: 10.0,
            mirror: false,
        };
        f.generator.render(subject, None, &spec).unwrap()
    };
    let run = |v: &mut Verifier, frames: &[jiuzhu_drivers_api::camera::Frame]| {
        for (i, frame) in frames.iter().enumerate() {
            v.push_frame(frame, std::time::Duration::from_millis(100 * i as u64))
                .unwrap();
        }
    };
    let asked = [Challenge::Blink, Challenge::TurnLeft];
    let genuine = clip(0, ClipKind::Genuine, 2600, &asked);
    let replay = clip(1, ClipKind::ScreenReplay, 2601, &[Challenge::Nod]);
    let reference = || f.refs.get(&genuine.person).cloned();
    let cfg = VerifierConfig::default();

    let mut fresh =
        Verifier::with_config(&f.paths, asked.to_vec(), reference(), cfg.clone()).unwrap();
    run(&mut fresh, &genuine.frames);
    let fresh = fresh.finish();

    let other_ref = f.refs.get(&replay.person).cloned();
    let mut first = Verifier::with_models(
        VerifierModels::new(&f.paths),
        vec![Challenge::Nod],
        other_ref,
        cfg.clone(),
    )
    .unwrap();
    run(&mut first, &replay.frames);
    let (first, models) = first.finish_lending();
    assert!(!first.verdict.passed, "{first:?}");
    let (engine, embedders, pad_nets) = models.loaded();
    assert!(engine.is_some() && pad_nets, "{models:?}");
    assert_eq!(embedders, vec![FaceModel::FaceNet]);

    let mut lent = Verifier::with_models(models, asked.to_vec(), reference(), cfg.clone()).unwrap();
    run(&mut lent, &genuine.frames);
    let (lent, models) = lent.finish_lending();
    let decision = |v: &Verification| {
        format!(
            "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {}",
            v.verdict,
            v.similarity,
            v.matched,
            v.identity_min,
            v.moire,
            v.pad_cnn,
            v.flash,
            v.frames
        )
    };
    assert!(fresh.verdict.passed, "{fresh:?}");
    assert_eq!(decision(&lent), decision(&fresh));

    // a session without the PAD CNNs keeps them for the next one
    let lean = VerifierConfig {
        pad_cnn: false,
        ..cfg
    };
    let mut v = Verifier::with_models(models, asked.to_vec(), reference(), lean).unwrap();
    run(&mut v, &genuine.frames[..10]);
    let (out, models) = v.finish_lending();
    assert!(out.pad_cnn.is_none());
    assert!(models.loaded().2, "{models:?}");
}
