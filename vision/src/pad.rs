//! Presentation-attack evaluation on the generated clips of [`crate::synth`]: a fixed, seeded set of
//! genuine and attack cases, each run through the real [`Verifier`], and the APCER per attack type and
//! BPCER (ISO/IEC 30107-3 terms: attack presentations accepted, bona fide presentations rejected).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::embed::{Embedder, Embedding, FaceModel};
use crate::image::load_bgr;
use crate::liveness::{Challenge, random_challenges};
use crate::models::{ModelPaths, Result};
use crate::pipeline::FacePipeline;
use crate::synth::{ClipKind, ClipSpec, Generator, REGISTRY_SUBJECTS};
use crate::verifier::{Verification, Verifier, VerifierConfig, VerifierModels};

/// Frames per second of the evaluation clips.
pub const FPS: f64 = 10.0;

/// One clip to render and verify.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    /// Subject index in the [`Generator`].
    pub subject: usize,
    /// What the clip shows.
    pub kind: ClipKind,
    /// Challenges the kiosk asks for.
    pub challenges: Vec<Challenge>,
    /// Seed of the rendering.
    pub seed: u64,
}

/// The standard set: for every subject, `genuine_per_subject` genuine clips and `attacks_per_subject`
/// clips of every attack kind, with challenge sequences drawn as in production
/// ([`random_challenges`]) from seeded generators.
pub fn standard_cases(
    subjects: usize,
    genuine_per_subject: usize,
    attacks_per_subject: usize,
    kinds: &[ClipKind],
) -> Vec<Case> {
    let mut out = Vec::new();
    for subject in 0..subjects {
        for kind in kinds {
            let n = if *kind == ClipKind::Genuine {
                genuine_per_subject
            } else {
                attacks_per_subject
            };
            for k in 0..n {
                let seed = 1000 * subject as u64 + 100 * kind_index(*kind) + k as u64;
                let mut rng = StdRng::seed_from_u64(seed);
                out.push(Case {
                    subject,
                    kind: *kind,
                    challenges: random_challenges(&mut rng),
                    seed,
                });
            }
        }
    }
    out
}

fn kind_index(k: ClipKind) -> u64 {
    std::iter::once(ClipKind::Genuine)
        .chain(ClipKind::ATTACKS)
        .position(|x| x == k)
        .unwrap_or(0) as u64
}

/// Reference templates of the registry people (FaceNet), from their photos: the person's first photo,
/// so that the other photos of the same person are matched against a different picture.
pub fn references(paths: &ModelPaths) -> Result<BTreeMap<String, Embedding>> {
    references_with(paths, FaceModel::FaceNet)
}

/// The reference embedding of each registry subject made with `model` (as `vision enroll --model`
/// makes it: the photo's first detection); ArcFace needs the face pack.
pub fn references_with(
    paths: &ModelPaths,
    model: FaceModel,
) -> Result<BTreeMap<String, Embedding>> {
    let mut pipeline = FacePipeline::load(paths)?;
    let mut embedder = Embedder::load(paths, model)?;
    let mut out = BTreeMap::new();
    for (file, person) in REGISTRY_SUBJECTS {
        if !out.contains_key(person) {
            let img = load_bgr(&paths.test_image(file)?)?;
            let (e, _) = crate::cli::embed_image(&mut pipeline, &mut embedder, &img, file)?;
            out.insert(person.to_string(), e);
        }
    }
    Ok(out)
}

/// What the verifier said about one case.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Outcome {
    /// Subject photo.
    pub photo: String,
    /// What the clip showed.
    pub kind: ClipKind,
    /// Challenges asked.
    pub challenges: Vec<Challenge>,
    /// Seed.
    pub seed: u64,
    /// The verification.
    pub verification: Verification,
}

/// Renders `case` and runs it through a fresh [`Verifier`] against the expected person's reference.
pub fn evaluate(
    paths: &ModelPaths,
    generator: &Generator,
    references: &BTreeMap<String, Embedding>,
    case: &Case,
    cfg: &VerifierConfig,
) -> Result<Outcome> {
    let spec = ClipSpec {
        kind: case.kind,
        challenges: case.challenges.clone(),
        seed: case.seed,
        fps: FPS,
        mirror: false,
    };
    let clip = generator.render(case.subject, None, &spec)?;
    let reference = references.get(&clip.person).cloned();
    let mut v = Verifier::with_models(
        lent_models(paths),
        case.challenges.clone(),
        reference,
        cfg.clone(),
    )?;
    for (i, f) in clip.frames.iter().enumerate() {
        let p = v.push_frame(f, Duration::from_secs_f64(i as f64 / FPS))?;
        if session_over(&p, &v) {
            break;
        }
    }
    Ok(Outcome {
        photo: generator.subjects()[case.subject].photo.clone(),
        kind: case.kind,
        challenges: case.challenges.clone(),
        seed: case.seed,
        verification: give_back(v),
    })
}

/// True when the kiosk stops feeding frames (`src/app.rs`): every challenge done or the session
/// failed, and the screen-light check has what it needs. The evaluations stop there too: frames after
/// it never reach a kiosk's `Verifier` (until 2026-12-08 they were pushed, and could add identity
/// samples and passive measures a kiosk never takes).
pub(crate) fn session_over(p: &crate::liveness::Progress, v: &Verifier) -> bool {
    p.current_challenge.is_none() && !v.flash_pending()
}

thread_local! {
    /// The networks of the evaluating thread, lent from case to case as the kiosk lends them from
    /// resident to resident (loading FaceNet for every case took a tenth of an evaluation).
    static LENT: RefCell<Option<VerifierModels>> = const { RefCell::new(None) };
}

/// This thread's networks when they came from `paths`, else none loaded yet.
pub(crate) fn lent_models(paths: &ModelPaths) -> VerifierModels {
    LENT.with(|l| l.borrow_mut().take())
        .filter(|m| m.paths() == paths)
        .unwrap_or_else(|| VerifierModels::new(paths))
}

/// The verdict of `v`, its networks kept for this thread's next case.
pub(crate) fn give_back(v: Verifier) -> Verification {
    let (verification, models) = v.finish_lending();
    LENT.with(|l| *l.borrow_mut() = Some(models));
    verification
}

/// Error rates per clip kind.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct PadTable {
    /// Kind name → (presentations, wrong decisions).
    pub rows: BTreeMap<String, (usize, usize)>,
}

impl PadTable {
    /// Tallies outcomes: a wrong decision is an accepted attack or a rejected genuine clip.
    pub fn from_outcomes(outcomes: &[Outcome]) -> Self {
        let mut rows: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for o in outcomes {
            let e = rows.entry(o.kind.name().to_string()).or_default();
            e.0 += 1;
            if o.verification.verdict.passed == o.kind.is_attack() {
                e.1 += 1;
            }
        }
        Self { rows }
    }

    /// BPCER: genuine clips rejected / genuine clips.
    pub fn bpcer(&self) -> Option<f64> {
        self.rows
            .get("genuine")
            .map(|&(n, e)| e as f64 / n.max(1) as f64)
    }

    /// APCER of one attack kind: attacks accepted / attacks.
    pub fn apcer(&self, kind: ClipKind) -> Option<f64> {
        self.rows
            .get(kind.name())
            .map(|&(n, e)| e as f64 / n.max(1) as f64)
    }
}

impl fmt::Display for PadTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "| clips | n | wrong decisions | rate |")?;
        writeln!(f, "|---|---|---|---|")?;
        for kind in std::iter::once(ClipKind::Genuine).chain(ClipKind::ATTACKS) {
            if let Some(&(n, e)) = self.rows.get(kind.name()) {
                let what = if kind.is_attack() { "APCER" } else { "BPCER" };
                writeln!(
                    f,
                    "| {} | {n} | {e} | {what} {:.1} % |",
                    kind.name(),
                    100.0 * e as f64 / n.max(1) as f64
                )?;
            }
        }
        Ok(())
    }
}
