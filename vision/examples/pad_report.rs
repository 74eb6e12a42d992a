//! APCER per attack type and BPCER on the generated clips (vision/README.md). Run after `make models`:
//! `cargo run -p jiuzhu-vision --example pad_report --release [-- GENUINE_PER_SUBJECT ATTACKS_PER_SUBJECT
//! [--verbose] [--kinds genuine,screen-puppet,...] [--no-screen-signal] [--no-reaction-check]
//! [--no-hand-check]]`; also counts the clips where the hand check counted a covered sample.

use jiuzhu_vision::ModelPaths;
use jiuzhu_vision::pad::{PadTable, evaluate, references, standard_cases};
use jiuzhu_vision::synth::{ClipKind, Generator};
use jiuzhu_vision::verifier::VerifierConfig;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let genuine: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(12);
    let attacks: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(3);
    let verbose = args.iter().any(|a| a == "--verbose");
    opencv::core::set_num_threads(1)?;
    let paths = ModelPaths::locate();
    let generator = Generator::load(&paths, false)?;
    let refs = references(&paths)?;
    let kinds: Vec<ClipKind> = match args.iter().position(|a| a == "--kinds") {
        Some(i) => args
            .get(i + 1)
            .ok_or("--kinds needs a list")?
            .split(',')
            .map(|k| ClipKind::parse(k).ok_or(format!("unknown clip kind {k}")))
            .collect::<Result<_, _>>()?,
        None => std::iter::once(ClipKind::Genuine)
            .chain(ClipKind::ATTACKS)
            .collect(),
    };
    let cases = standard_cases(generator.subjects().len(), genuine, attacks, &kinds);
    let mut cfg = VerifierConfig::default();
    if args.iter().any(|a| a == "--no-screen-signal") {
        cfg.moire_max = None;
    }
    if args.iter().any(|a| a == "--no-reaction-check") {
        cfg.liveness.max_reaction = None;
    }
    if args.iter().any(|a| a == "--no-hand-check") {
        cfg.palm_min = None;
    }
    let started = std::time::Instant::now();
    let mut outcomes = Vec::new();
    for case in &cases {
        let o = evaluate(&paths, &generator, &refs, case, &cfg)?;
        if verbose {
            let v = &o.verification;
            println!(
                "{:18} {:10} {:?} passed={} sim={:?} id={:?} moire={:?} pad={:?} palm={:?} covered={} reactions={:?} scores={:?} reasons={:?}",
                o.kind.name(),
                o.photo,
                o.challenges,
                v.verdict.passed,
                v.similarity.map(|s| (s * 100.0).round() / 100.0),
                v.identity_min.map(|s| (s * 100.0).round() / 100.0),
                v.moire.map(|s| (s * 100.0).round() / 100.0),
                v.pad_cnn.map(|p| (
                    (p.antispoof * 100.0).round() / 100.0,
                    (p.liveness * 100.0).round() / 100.0
                )),
                v.palm_max.map(|s| (s * 100.0).round() / 100.0),
                v.covered_samples,
                v.verdict
                    .reactions
                    .iter()
                    .map(|(c, d)| format!("{c:?}:{:.1}", d.as_secs_f64()))
                    .collect::<Vec<_>>(),
                v.verdict
                    .scores
                    .iter()
                    .map(|(c, a, b)| format!("{c:?}:{a:.3}/{b:.4}"))
                    .collect::<Vec<_>>(),
                v.verdict.reasons
            );
        }
        outcomes.push(o);
    }
    let frames: usize = outcomes.iter().map(|o| o.verification.frames).sum();
    let mut hands: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for o in &outcomes {
        let e = hands.entry(o.kind.name()).or_default();
        e.0 += usize::from(o.verification.covered_samples > 0);
        e.1 += 1;
    }
    let hands: Vec<String> = hands
        .iter()
        .map(|(k, (c, n))| format!("{k} {c} / {n}"))
        .collect();
    println!(
        "clips with a covered sample (hand check): {}",
        hands.join(", ")
    );
    println!("{}", PadTable::from_outcomes(&outcomes));
    println!(
        "{} clips, {frames} frames in {:.1} s",
        outcomes.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
