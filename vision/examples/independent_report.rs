//! The independent evaluation set (vision/src/eval: ray-cast print attacks on flat, folded and bent
//! paper; slow, dim and far genuine sessions) through the real Verifier, with the depth cue on and off.
//! Run after `make models`:
//! `cargo run -p jiuzhu-vision --example independent_report --release [-- SEEDS_PER_SUBJECT [--verbose]
//! [--no-depth]]`. `pad_report` gives the generated (synth) set's table.

use jiuzhu_vision::ModelPaths;
use jiuzhu_vision::eval::set::{Table, cases, evaluate};
use jiuzhu_vision::pad::references;
use jiuzhu_vision::synth::Generator;
use jiuzhu_vision::verifier::VerifierConfig;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let per: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(1);
    let verbose = args.iter().any(|a| a == "--verbose");
    opencv::core::set_num_threads(1)?;
    let paths = ModelPaths::locate();
    let generator = Generator::load(&paths, false)?;
    let refs = references(&paths)?;
    let mut cfg = VerifierConfig::default();
    if args.iter().any(|a| a == "--no-depth") {
        cfg.liveness.min_depth = None;
    }
    let started = std::time::Instant::now();
    let mut outcomes = Vec::new();
    for case in cases(generator.subjects().len(), per) {
        let o = evaluate(&paths, &generator, &refs, &case, &cfg)?;
        if verbose {
            let v = &o.verification;
            println!(
                "{:45} {:10} {:?} passed={} sim={:?} hints={:?} reactions={:?} depth={:?} scores={:?} reasons={:?}",
                o.group,
                o.photo,
                o.challenges,
                v.verdict.passed,
                v.similarity.map(|s| (s * 100.0).round() / 100.0),
                o.hints,
                v.verdict
                    .reactions
                    .iter()
                    .map(|(c, d)| format!("{c:?}:{:.1}", d.as_secs_f64()))
                    .collect::<Vec<_>>(),
                v.verdict
                    .depth
                    .iter()
                    .map(|(c, f)| format!(
                        "{c:?}:plane {:.4} sheet {:.4} head {:.4}",
                        f.plane, f.sheet, f.head
                    ))
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
    println!("{}", Table::from_outcomes(&outcomes));
    println!(
        "{} clips, {frames} frames in {:.1} s",
        outcomes.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
