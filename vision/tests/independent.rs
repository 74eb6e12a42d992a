//! Acceptance on the independent set (vision/src/eval), made apart from synth's attack generator:
//! print attacks ray-cast onto flat, V-folded, H-folded and cylinder-bent paper held by hand, and
//! genuine sessions that are late (2–5 s), elderly (7 s late, slow, smaller movements, 长辈模式), dim
//! (face mean grey ≈ 40–70) or far (face ≈ 95 px). Every case goes through the real Verifier with
//! FaceNet identity continuity and the match against the person's reference photo. The genuine heads
//! are still synth's 3-D rig of the registry photos: new conditions, not new faces
//! (vision/README.md says what that leaves unknown).
//! `cargo run -p jiuzhu-vision --example independent_report --release` prints the larger table.
//!
//! `make test` runs every second case of the three sets (`JIUZHU_EVAL_EVERY=2`, tests/common); `make
//! eval` and a plain `cargo test` run them whole, and their counts below are the whole sets'.

mod common;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use jiuzhu_vision::ModelPaths;
use jiuzhu_vision::embed::Embedding;
use jiuzhu_vision::eval::screen::{Content, SCREENS};
use jiuzhu_vision::eval::set::{Case, Kind, Outcome, Table, cases, evaluate_lit};
use jiuzhu_vision::flash::FlashConfig;
use jiuzhu_vision::pad::references;
use jiuzhu_vision::synth::Generator;
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

/// With `flashes`, the kiosk shows its colour sequence during every case (rendered lit, frames
/// pushed with their colours).
fn run_lit(cases: &[Case], cfg: &VerifierConfig, flashes: bool) -> Vec<Outcome> {
    let f = fixture();
    cases
        .iter()
        .map(|c| {
            let o = evaluate_lit(&f.paths, &f.generator, &f.refs, c, cfg, flashes).unwrap();
            let v = &o.verification;
            eprintln!(
                "{:40} {:10} {:?} passed={} moire={:?} flash={:?} hints={:?} depth={:?} reasons={:?}",
                o.group,
                o.photo,
                o.challenges,
                v.verdict.passed,
                v.moire,
                v.flash.as_ref().map(|r| format!(
                    "corr {:.2} lag {} response {:.3} oblique/frontal {:.2} albedo {:?} brightness {:?}",
                    r.correlation, r.lag, r.response[0], r.oblique_ratio, r.albedo_follow, r.brightness_follow
                )),
                o.hints,
                v.verdict.depth,
                v.verdict.reasons
            );
            o
        })
        .collect()
}

fn with_flash() -> VerifierConfig {
    VerifierConfig {
        flash: Some(FlashConfig::default()),
        ..VerifierConfig::default()
    }
}

/// The whole set's genuine sessions or its prints.
fn set(attack: bool) -> Vec<Case> {
    cases(fixture().generator.subjects().len(), 1)
        .into_iter()
        .filter(|c| c.kind.is_attack() == attack && !matches!(c.kind, Kind::Screen { .. }))
        .collect()
}

/// The whole set's screens.
fn screens() -> Vec<Case> {
    cases(fixture().generator.subjects().len(), 1)
        .into_iter()
        .filter(|c| matches!(c.kind, Kind::Screen { .. }))
        .collect()
}

/// Late (2–5 s) and elderly (7 s late, slow, small movements, 长辈模式) genuine sessions are never
/// ended by the reaction limit and at least 15 of 16 pass; no rejection accuses anyone of a recording; dim and far sessions get their guidance (`too_dark`,
/// `come_closer`); at most one of the 28 is rejected (BPCER ≤ 5 %, issue #16). Last run (2026-12-06
/// 21:30): none rejected; before the eyes'-appearance blink cue 3 (blinks missed in the dark and one
/// by 0.002 in the light); the table is printed.
///
/// The sessions run as at the kiosk, with its colours flashing (the default configuration), so the
/// same run shows that the screen-light check rejects none that the other checks accept (measured:
/// vision/README.md, second set).
#[test]
fn slow_genuine_sessions_pass_and_dim_or_far_ones_are_guided() {
    let whole = set(false);
    assert_eq!(whole.len(), 28);
    let outcomes = run_lit(&common::eval_share(whole), &with_flash(), true);
    eprintln!("{}", Table::from_outcomes(&outcomes));
    let flash_only: Vec<_> = outcomes
        .iter()
        .filter(|o| !o.verification.verdict.passed && o.passed_without_flash())
        .map(|o| {
            (
                o.group.clone(),
                o.photo.clone(),
                o.verification.flash.clone(),
            )
        })
        .collect();
    assert!(
        flash_only.is_empty(),
        "rejected by the screen-light check alone: {flash_only:?}"
    );
    let (mut late, mut late_passed, mut dims, mut dim_guided) = (0, 0, 0, 0);
    for o in &outcomes {
        if o.group.contains("reacting") || o.group.contains("elderly") {
            // the reaction limit follows the person: no late genuine session ends on it
            assert!(
                o.verification
                    .verdict
                    .reasons
                    .iter()
                    .all(|r| !r.contains("did not begin")),
                "{o:?}"
            );
            late_passed += usize::from(o.verification.verdict.passed);
            late += 1;
        }
        if o.group.contains("dim") {
            dims += 1;
            dim_guided += usize::from(o.hints.iter().any(|h| h == "too_dark"));
        }
        if o.group.contains("far") {
            assert!(o.hints.iter().any(|h| h == "come_closer"), "{o:?}");
        }
        assert!(
            o.verification
                .verdict
                .reasons
                .iter()
                .all(|r| !r.contains("recording")),
            "{:?}",
            o.verification.verdict.reasons
        );
    }
    // last run: 16 of 16 (earlier runs 15: a nod of obama.jpg too small for the homography cue, a
    // known thin margin of nods, vision/README.md, and a blink missed by 0.002 — not their timing)
    // last runs: 7 of 8 dim sessions were guided; one face stayed above the 70 advice level
    // (at least 6 of the whole set's 8: three quarters of those run)
    assert!(
        dims > 0 && 4 * dim_guided >= 3 * dims,
        "{dim_guided} of {dims} dim sessions guided"
    );
    assert!(
        late_passed + 1 >= late,
        "{late_passed} of {late} late sessions passed"
    );
    let rejected: Vec<_> = outcomes
        .iter()
        .filter(|o| !o.verification.verdict.passed)
        .map(|o| {
            (
                o.group.clone(),
                o.photo.clone(),
                o.verification.verdict.reasons.clone(),
            )
        })
        .collect();
    // at most one of the whole set's 28 (BPCER ≤ 5 %), and of a share
    assert!(rejected.len() <= 1, "BPCER over 5 %: {rejected:?}");
}

/// Every print — flat, folded across, bent as a cylinder and folded down the nose (V) — turned or
/// tipped by hand with perspective, while the kiosk flashes its colours (the kiosk's default): none
/// is accepted. Without the screen-light check the flat, folded-across and bent ones are still all
/// rejected (the homography and depth cues); the V-folds are reported but not asserted there: on
/// rendered frames the face mesh's landmarks on a V-fold carry face-like parallax of the network's
/// own prior, and 2 of 8 V-folded turns passed the other checks in the last runs (vision/README.md,
/// second set) — paper reflects the kiosk's light evenly, which the screen-light check sees.
#[test]
fn prints_flat_folded_or_bent_are_rejected() {
    let cases: Vec<Case> = set(true)
        .into_iter()
        .filter(|c| matches!(c.kind, Kind::Print(_)))
        .collect();
    assert!(cases.len() >= 20);
    let cases = common::eval_share(cases);
    let outcomes = run_lit(&cases, &with_flash(), true);
    let without = Table::from_decisions(&outcomes, Outcome::passed_without_flash);
    eprintln!("without the screen-light check:\n{without}");
    eprintln!("with it:\n{}", Table::from_outcomes(&outcomes));
    let key = |o: &Outcome| {
        (
            o.group.clone(),
            o.photo.clone(),
            o.challenges.clone(),
            o.seed,
        )
    };
    let accepted: Vec<_> = outcomes
        .iter()
        .filter(|o| o.verification.verdict.passed)
        .map(key)
        .collect();
    assert!(accepted.is_empty(), "prints accepted: {accepted:?}");
    // the group's name ([`Kind::group`]) of the V-folds
    let v_fold = |o: &&Outcome| o.group.contains("(V)");
    let accepted_without: Vec<_> = outcomes
        .iter()
        .filter(|o| o.passed_without_flash() && !v_fold(o))
        .map(key)
        .collect();
    assert!(
        accepted_without.is_empty(),
        "prints other than V-folds accepted without the screen-light check: {accepted_without:?}"
    );
}

/// Replays and puppets on physically rendered screens (vision/src/eval/screen.rs: sub-pixel stripes
/// at 0.25–1.3 mm and one too fine to resolve, gamma and white point, glare, bezel or filling the
/// view, focus), 4 subjects × 7 screens, with the kiosk flashing its colours. The same run gives
/// the decision of the current checks (the screen-light reasons left out) and with the screen-light
/// check. Measured 2026-12-06 (vision/README.md, second set): without it 9 of 28 pass (the moiré score
/// stays at 2.05–2.81, under its 3.0 limit, on every screen; the others fail on unseen blinks and the
/// 1:1 match), 11 since blinks are also seen by the eyes' appearance (21:30 run); with it none (27 by
/// the screen-light check itself, one defocused puppet only by its blink and the 1:1 match).
#[test]
fn screens_and_puppets_against_the_screen_light_check() {
    let whole = screens();
    assert_eq!(whole.len(), 28);
    let outcomes = run_lit(&common::eval_share(whole), &with_flash(), true);
    let without = Table::from_decisions(&outcomes, Outcome::passed_without_flash);
    let with = Table::from_outcomes(&outcomes);
    eprintln!("without the screen-light check:\n{without}");
    eprintln!("with it:\n{with}");
    let accepted: Vec<_> = outcomes
        .iter()
        .filter(|o| o.verification.verdict.passed)
        .map(|o| (o.group.clone(), o.photo.clone(), o.seed))
        .collect();
    assert!(accepted.is_empty(), "screens accepted: {accepted:?}");
    // the attack is real without the check: measured 2026-12-06, see vision/README.md
    let (n, passed) = without.count("screen");
    assert_eq!(n, outcomes.len());
    assert!(passed >= 1, "{passed} of {n} passed the other checks");
    // the moiré score does not see these screens (measured 2.05–2.81): reported, not a defence
    let moire_caught = outcomes
        .iter()
        .filter(|o| o.verification.moire.is_some_and(|m| m > 3.0))
        .count();
    eprintln!("moiré over 3.0 on {moire_caught} of {n} screens");
}

/// The one attack of the second seed that passed every check before the brightness cue (2026-12-07,
/// vision/README.md): a replay of biden.jpg on the glossy 0.25 mm tablet, whose colour response read
/// like skin's (albedo follow 0.39 against 0.33). Measured over its whole clip, its brightness follow
/// was −1.34 and refused it alone. Since 2026-12-08 the evaluations stop where the kiosk stops
/// (every action done and the screen-light check fed: here 36 frames, 8 colours), and on those
/// frames the cues read otherwise: the colour cue refuses it (albedo follow −0.56), and the
/// brightness follow is +0.43, over its limit 0.2. With the colour cue off, the tablet passes: the
/// brightness cue alone does not refuse it at the kiosk's length. That gap is asserted here, so that
/// the test fails, and is turned round, when the kiosk looks long enough for the cue to hold.
#[test]
fn the_glossy_tablet_of_the_second_seed_is_refused() {
    let f = fixture();
    let subjects = f.generator.subjects().len();
    let first = cases(subjects, 1);
    let case = cases(subjects, 2)
        .into_iter()
        .filter(|c| !first.contains(c))
        .find(|c| {
            let glossy = matches!(
                c.kind,
                Kind::Screen { screen, content: Content::Replay } if SCREENS[screen].name.contains("glossy")
            );
            glossy && f.generator.subjects()[c.subject].photo == "biden.jpg"
        })
        .expect("the second seed's glossy tablet replay of biden.jpg");
    let o = &run_lit(std::slice::from_ref(&case), &with_flash(), true)[0];
    let flash = o.verification.flash.as_ref().expect("the check ran");
    eprintln!("glossy tablet: {flash:?}");
    assert!(!o.verification.verdict.passed, "{o:?}");
    assert!(
        flash.reasons.iter().any(|r| r.contains("albedo follow")),
        "{flash:?}"
    );
    // the colour cue off
    let no_colour = VerifierConfig {
        flash: Some(FlashConfig {
            min_albedo_follow: f32::NEG_INFINITY,
            ..FlashConfig::default()
        }),
        ..VerifierConfig::default()
    };
    let o = &run_lit(&[case], &no_colour, true)[0];
    let flash = o.verification.flash.as_ref().expect("the check ran");
    eprintln!("glossy tablet, colour cue off: {flash:?}");
    // the known gap: at the kiosk's length the brightness cue alone lets it through
    assert!(
        flash.brightness_follow.is_some_and(|b| b >= 0.2),
        "{flash:?}"
    );
    assert!(o.verification.verdict.passed, "{o:?}");
}
