//! The independent set's cases, run through the real [`Verifier`], and its table.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;

use jiuzhu_drivers_api::camera::Frame;
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::screen::{Content, SCREENS, screen_clip};
use super::sheet::{Shape, attack_clip};
use super::{Manner, dim, face_print, far, genuine_clip_lit};
use crate::embed::Embedding;
use crate::flash::Schedule;
use crate::image::load_bgr;
use crate::liveness::{Challenge, Pace};
use crate::models::{ModelPaths, Result};
use crate::pad::FPS;
use crate::pipeline::FacePipeline;
use crate::synth::Generator;
use crate::verifier::{Verification, Verifier, VerifierConfig};

/// What a case shows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// A live person (synth's 3-D rig) in `Manner`.
    Genuine(Manner),
    /// A live person in a dim hall: gamma and gain applied to every frame.
    Dim {
        /// Gamma (> 1 darker).
        gamma: f32,
        /// Gain.
        gain: f32,
    },
    /// A live person further away: frames shrunk by this scale.
    Far(f32),
    /// A hand-held print of the person's photo on this paper shape (ray-cast, [`super::sheet`]).
    Print(Shape),
    /// The person on a screen ([`super::screen::SCREENS`]\[screen\]), a replay or a puppet.
    Screen {
        /// Index into [`SCREENS`].
        screen: usize,
        /// Replay or puppet.
        content: Content,
    },
}

impl Kind {
    /// True for attacks.
    pub fn is_attack(self) -> bool {
        matches!(self, Kind::Print(_) | Kind::Screen { .. })
    }

    /// The table row this case belongs to.
    pub fn group(self) -> String {
        match self {
            Kind::Genuine(m) if m.slowness > 1.0 => {
                format!("genuine, elderly (late {:.0} s, slow, small)", m.reaction)
            }
            Kind::Genuine(m) => format!("genuine, reacting after {:.0} s", m.reaction),
            Kind::Dim { .. } => "genuine, dim (face mean grey 40–70)".into(),
            Kind::Far(s) => format!("genuine, far (frame × {s:.2})"),
            Kind::Print(Shape::Flat) => "print, flat, hand-held".into(),
            Kind::Print(Shape::VFold(_)) => "print, folded down the nose (V)".into(),
            Kind::Print(Shape::HFold(_)) => "print, folded across".into(),
            Kind::Print(Shape::Cylinder(_)) => "print, bent (cylinder)".into(),
            Kind::Screen { screen, content } => {
                let s = &SCREENS[screen];
                // camera pixels per screen pixel at the usual distance (1.75 widths, or filling
                // the view)
                let dist = if s.fills_view {
                    s.width_mm * 1.1 / 1.15
                } else {
                    1.75 * s.width_mm
                };
                let what = match content {
                    Content::Replay => "screen replay",
                    Content::Puppet => "puppet on a screen",
                };
                format!(
                    "{what}, {} ({:.2} camera px per pixel)",
                    s.name,
                    s.camera_px_per_pixel(dist)
                )
            }
        }
    }
}

/// One case of the independent set.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    /// Subject index in the [`Generator`] (its photo is also the print's).
    pub subject: usize,
    /// What the clip shows.
    pub kind: Kind,
    /// Challenges asked.
    pub challenges: Vec<Challenge>,
    /// The kiosk's pace.
    pub pace: Pace,
    /// Seed.
    pub seed: u64,
}

/// The set: for each of `subjects` subjects and `per` seeds, genuine sessions reacting after 2, 4 and
/// 5 s (standard pace), an elderly session (7 s late, slow, small; elder pace), two dim ones (face mean
/// grey about 45 and 65), a far one (face ≈ 95 px), print attacks on flat, V-folded (20° and 35°),
/// H-folded and cylinder-bent paper, replays on screens 0–3 of [`SCREENS`] and puppets on screens 4–6.
/// Challenges are one head motion plus one other (the production rule).
pub fn cases(subjects: usize, per: usize) -> Vec<Case> {
    let heads = [Challenge::TurnLeft, Challenge::TurnRight, Challenge::Nod];
    let others = [Challenge::Blink, Challenge::OpenMouth];
    let mut out = Vec::new();
    for subject in 0..subjects {
        for k in 0..per {
            let seed = 7000 + 100 * subject as u64 + 10 * k as u64;
            let pick = |i: u64| heads[((seed / 10 + i) % 3) as usize];
            let other = others[((seed / 10) % 2) as usize];
            let mut push = |kind: Kind, challenges: Vec<Challenge>, pace: Pace, n: u64| {
                out.push(Case {
                    subject,
                    kind,
                    challenges,
                    pace,
                    seed: seed + n,
                })
            };
            for (n, r) in [2.0f32, 4.0, 5.0].into_iter().enumerate() {
                push(
                    Kind::Genuine(Manner::late(r)),
                    vec![pick(n as u64), other],
                    Pace::Standard,
                    n as u64,
                );
            }
            push(
                Kind::Genuine(Manner::elderly(7.0)),
                vec![other, pick(3)],
                Pace::Elder,
                3,
            );
            push(
                Kind::Dim {
                    gamma: 1.8,
                    gain: 0.68,
                },
                vec![pick(4), other],
                Pace::Standard,
                4,
            );
            push(
                Kind::Dim {
                    gamma: 1.7,
                    gain: 0.7,
                },
                vec![other, pick(5)],
                Pace::Standard,
                5,
            );
            push(Kind::Far(0.5), vec![pick(6), other], Pace::Standard, 6);
            for (n, shape) in [
                Shape::Flat,
                Shape::VFold(20.0),
                Shape::VFold(35.0),
                Shape::HFold(30.0),
                Shape::Cylinder(0.6),
            ]
            .into_iter()
            .enumerate()
            {
                push(
                    Kind::Print(shape),
                    vec![pick(n as u64)],
                    Pace::Standard,
                    10 + n as u64,
                );
            }
            for screen in 0..SCREENS.len() {
                let content = if screen < 4 {
                    Content::Replay
                } else {
                    Content::Puppet
                };
                push(
                    Kind::Screen { screen, content },
                    vec![pick(screen as u64), other],
                    Pace::Standard,
                    20 + screen as u64,
                );
            }
        }
    }
    out
}

/// What the verifier said about a case.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Outcome {
    /// The case's table row.
    pub group: String,
    /// Attack or not.
    pub attack: bool,
    /// Subject photo.
    pub photo: String,
    /// Challenges asked.
    pub challenges: Vec<Challenge>,
    /// Seed.
    pub seed: u64,
    /// Every progress hint the kiosk was given, in order of first appearance.
    pub hints: Vec<String>,
    /// The verification.
    pub verification: Verification,
}

/// Renders the frames of `case`.
pub fn render(paths: &ModelPaths, generator: &Generator, case: &Case) -> Result<Vec<Frame>> {
    render_lit(paths, generator, case, None)
}

/// The colours (R, G, B) the kiosk shows during `case`'s frames: a [`Schedule`] seeded by the case,
/// sampled at the frame times (long enough for any clip of the set).
pub fn kiosk_colours(case: &Case) -> Vec<[f32; 3]> {
    let mut rng = StdRng::seed_from_u64(case.seed ^ 0xf1a5);
    let schedule = Schedule::random(&mut rng);
    (0..600)
        .map(|i| schedule.colour_at(Duration::from_secs_f64(i as f64 / FPS)))
        .collect()
}

/// Renders the frames of `case` while the kiosk's screen shows `shown[i]` during frame i (None: no
/// flashes); the camera sees each colour one frame late.
pub fn render_lit(
    paths: &ModelPaths,
    generator: &Generator,
    case: &Case,
    shown: Option<&[[f32; 3]]>,
) -> Result<Vec<Frame>> {
    let subject = &generator.subjects()[case.subject];
    let mut rng = StdRng::seed_from_u64(case.seed ^ 0xd1);
    let seen = |i: usize| match (shown, i) {
        (Some(s), 1..) => s.get(i - 1).copied().unwrap_or([0.0; 3]),
        _ => [0.0; 3],
    };
    let lit = shown.is_some();
    let kiosk: Option<&dyn Fn(usize) -> [f32; 3]> = if lit { Some(&seen) } else { None };
    let plain = |m: Manner| genuine_clip_lit(subject, &case.challenges, m, case.seed, FPS, kiosk);
    match case.kind {
        Kind::Genuine(m) => plain(m),
        Kind::Dim { gamma, gain } => plain(Manner::late(1.0))?
            .iter()
            .map(|f| dim(f, gamma, gain, &mut rng))
            .collect(),
        Kind::Far(s) => plain(Manner::late(1.0))?
            .iter()
            .map(|f| far(f, s))
            .collect(),
        Kind::Print(shape) => {
            let mut pipeline = FacePipeline::load(paths)?;
            let photo = load_bgr(&paths.test_image(&subject.photo)?)?;
            let print = face_print(&mut pipeline, &photo, case.seed)?;
            // the paper's light is in B, G, R
            let bgr = |i: usize| {
                let c = seen(i);
                [c[2], c[1], c[0]]
            };
            let paper: Option<&dyn Fn(usize) -> [f32; 3]> = if lit { Some(&bgr) } else { None };
            attack_clip(&print, shape, &case.challenges, case.seed, FPS, paper)
        }
        Kind::Screen { screen, content } => {
            let mut pipeline = FacePipeline::load(paths)?;
            screen_clip(
                &mut pipeline,
                subject,
                &SCREENS[screen],
                content,
                &case.challenges,
                case.seed,
                FPS,
                kiosk,
            )
        }
    }
}

/// Renders `case` and runs it through a fresh [`Verifier`] (`cfg` with the case's pace) against the
/// person's reference.
pub fn evaluate(
    paths: &ModelPaths,
    generator: &Generator,
    references: &BTreeMap<String, Embedding>,
    case: &Case,
    cfg: &VerifierConfig,
) -> Result<Outcome> {
    evaluate_lit(paths, generator, references, case, cfg, false)
}

/// As [`evaluate`]; with `flashes` the kiosk shows [`kiosk_colours`] during the check, the clip is
/// rendered lit by them and every frame is pushed with its colour ([`Verifier::push_frame_lit`]).
pub fn evaluate_lit(
    paths: &ModelPaths,
    generator: &Generator,
    references: &BTreeMap<String, Embedding>,
    case: &Case,
    cfg: &VerifierConfig,
    flashes: bool,
) -> Result<Outcome> {
    let shown = flashes.then(|| kiosk_colours(case));
    let frames = render_lit(paths, generator, case, shown.as_deref())?;
    let subject = &generator.subjects()[case.subject];
    let cfg = cfg.clone().with_pace(case.pace);
    let mut v = Verifier::with_models(
        crate::pad::lent_models(paths),
        case.challenges.clone(),
        references.get(&subject.person).cloned(),
        cfg,
    )?;
    let mut hints: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, f) in frames.iter().enumerate() {
        let t = Duration::from_secs_f64(i as f64 / FPS);
        let p = match shown.as_ref().and_then(|s| s.get(i)) {
            Some(&c) => v.push_frame_lit(f, t, c)?,
            None => v.push_frame(f, t)?,
        };
        if seen.insert(p.hint) {
            hints.push(p.hint.to_string());
        }
        if crate::pad::session_over(&p, &v) {
            break;
        }
    }
    Ok(Outcome {
        group: case.kind.group(),
        attack: case.kind.is_attack(),
        photo: subject.photo.clone(),
        challenges: case.challenges.clone(),
        seed: case.seed,
        hints,
        verification: crate::pad::give_back(v),
    })
}

impl Outcome {
    /// Whether the session would have passed without the screen-light check (the same run with its
    /// reasons left out).
    pub fn passed_without_flash(&self) -> bool {
        let flash: &[String] = match self.verification.flash.as_ref() {
            Some(f) => &f.reasons,
            None => &[],
        };
        self.verification
            .verdict
            .reasons
            .iter()
            .all(|r| flash.contains(r))
    }
}

/// Wrong decisions per row.
#[derive(Clone, Debug, Default)]
pub struct Table {
    rows: BTreeMap<(bool, String), (usize, usize)>,
}

impl Table {
    /// Counts `outcomes`.
    pub fn from_outcomes(outcomes: &[Outcome]) -> Self {
        Self::from_decisions(outcomes, |o| o.verification.verdict.passed)
    }

    /// Counts `outcomes` as `passed` decides them.
    pub fn from_decisions(outcomes: &[Outcome], passed: impl Fn(&Outcome) -> bool) -> Self {
        let mut rows = BTreeMap::new();
        for o in outcomes {
            let e = rows.entry((o.attack, o.group.clone())).or_insert((0, 0));
            e.0 += 1;
            if passed(o) == o.attack {
                e.1 += 1;
            }
        }
        Self { rows }
    }

    /// (n, wrong decisions) of each row whose name contains `part`, summed.
    pub fn count(&self, part: &str) -> (usize, usize) {
        self.rows
            .iter()
            .filter(|((_, g), _)| g.contains(part))
            .fold((0, 0), |(n, w), (_, (rn, rw))| (n + rn, w + rw))
    }

    /// Rejected genuine sessions over all genuine ones.
    pub fn bpcer(&self) -> Option<f64> {
        self.rate(false)
    }

    /// Accepted attacks over all attacks.
    pub fn apcer(&self) -> Option<f64> {
        self.rate(true)
    }

    fn rate(&self, attack: bool) -> Option<f64> {
        let (n, w) = self
            .rows
            .iter()
            .filter(|((a, _), _)| *a == attack)
            .fold((0, 0), |(n, w), (_, (rn, rw))| (n + rn, w + rw));
        (n > 0).then(|| w as f64 / n as f64)
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "| clips | n | wrong decisions |")?;
        writeln!(f, "|---|---|---|")?;
        for ((attack, group), (n, w)) in &self.rows {
            let what = if *attack { "accepted" } else { "rejected" };
            writeln!(f, "| {group} | {n} | {w} {what} |")?;
        }
        if let Some(b) = self.bpcer() {
            writeln!(f, "BPCER {:.1} %", 100.0 * b)?;
        }
        if let Some(a) = self.apcer() {
            writeln!(f, "APCER (prints and screens) {:.1} %", 100.0 * a)?;
        }
        Ok(())
    }
}
