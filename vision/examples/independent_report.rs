//! The independent evaluation set (vision/src/eval: ray-cast print attacks on flat, folded and bent
//! paper; replays and puppets on physically rendered screens; slow, dim and far genuine sessions)
//! through the real Verifier, with the depth cue on and off, and with the kiosk flashing its colours
//! (`--flash`: the screen-light check on; the table is printed with and without its reasons).
//! Run after `make models`:
//! `cargo run -p jiuzhu-vision --example independent_report --release [-- SEEDS_PER_SUBJECT [--verbose]
//! [--no-depth] [--flash] [--screens] [--genuine] [--model arcface] [--dump DIR]]` (`--screens` /
//! `--genuine`: only the screen / genuine cases; `--model arcface`: the references and the identity
//! samples made with the face pack's ArcFace instead of FaceNet; `--dump`:
//! also write frame 20 of each screen case as a PNG into DIR, to look at). `pad_report` gives the
//! generated (synth) set's table.

use jiuzhu_vision::ModelPaths;
use jiuzhu_vision::embed::FaceModel;
use jiuzhu_vision::eval::set::{
    Kind, Outcome, Table, cases, evaluate_lit, kiosk_colours, render_lit,
};
use jiuzhu_vision::flash::FlashConfig;
use jiuzhu_vision::pad::references_with;
use jiuzhu_vision::synth::Generator;
use jiuzhu_vision::verifier::VerifierConfig;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let per: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(1);
    let verbose = args.iter().any(|a| a == "--verbose");
    opencv::core::set_num_threads(1)?;
    let paths = ModelPaths::locate();
    let generator = Generator::load(&paths, false)?;
    let model = match args.iter().position(|a| a == "--model") {
        Some(i) => match args.get(i + 1).map(String::as_str) {
            Some("arcface") => FaceModel::ArcFace,
            Some("facenet") => FaceModel::FaceNet,
            other => return Err(format!("--model facenet|arcface, not {other:?}").into()),
        },
        None => FaceModel::FaceNet,
    };
    let refs = references_with(&paths, model)?;
    let mut cfg = VerifierConfig::default();
    if args.iter().any(|a| a == "--no-depth") {
        cfg.liveness.min_depth = None;
    }
    let flashes = args.iter().any(|a| a == "--flash");
    if flashes {
        cfg.flash = Some(FlashConfig::default());
    }
    let only_screens = args.iter().any(|a| a == "--screens");
    let only_genuine = args.iter().any(|a| a == "--genuine");
    let dump = args
        .iter()
        .position(|a| a == "--dump")
        .and_then(|i| args.get(i + 1).cloned());
    let started = std::time::Instant::now();
    let mut outcomes = Vec::new();
    for case in cases(generator.subjects().len(), per) {
        if only_screens && !matches!(case.kind, Kind::Screen { .. }) {
            continue;
        }
        if only_genuine && case.kind.is_attack() {
            continue;
        }
        if let (Some(dir), Kind::Screen { screen, .. }) = (dump.as_ref(), case.kind) {
            let shown = flashes.then(|| kiosk_colours(&case));
            let frames = render_lit(&paths, &generator, &case, shown.as_deref())?;
            let f = &frames[20.min(frames.len() - 1)];
            let img = jiuzhu_vision::image::frame_to_bgr(f)?;
            let name = format!(
                "{dir}/screen{screen}-{}.png",
                generator.subjects()[case.subject].photo
            );
            opencv::imgcodecs::imwrite(&name, &img, &opencv::core::Vector::new())?;
            if args.iter().any(|a| a == "--dump-only") {
                continue;
            }
        }
        let o = evaluate_lit(&paths, &generator, &refs, &case, &cfg, flashes)?;
        if verbose {
            let v = &o.verification;
            println!(
                "{:45} {:10} {:?} passed={} sim={:?} identity={:?} doubts={} moire={:?} flash={:?} hints={:?} reactions={:?} depth={:?} scores={:?} reasons={:?}",
                o.group,
                o.photo,
                o.challenges,
                v.verdict.passed,
                v.similarity.map(|s| (s * 100.0).round() / 100.0),
                v.identity_min.map(|s| (s * 100.0).round() / 100.0),
                v.identity_doubts,
                v.moire,
                v.flash.as_ref().map(|r| format!(
                    "corr {:.2} lag {} response {:.3} oblique/frontal {:.2} albedo {:?} brightness {:?}",
                    r.correlation, r.lag, r.response[0], r.oblique_ratio, r.albedo_follow, r.brightness_follow
                )),
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
    if flashes {
        println!(
            "without the screen-light check:\n{}",
            Table::from_decisions(&outcomes, Outcome::passed_without_flash)
        );
        println!("with it:");
    }
    println!("{}", Table::from_outcomes(&outcomes));
    // the kiosk's decision on the match: confirmed by the face alone (the model's confirm
    // threshold, FAR ≤ 0.1 %), or a live and matched session that asks for a second factor
    let passed: Vec<&_> = outcomes
        .iter()
        .filter(|o| !o.attack && o.verification.verdict.passed)
        .collect();
    let confirmed = passed
        .iter()
        .filter(|o| o.verification.confirmed == Some(true))
        .count();
    let sims: Vec<f32> = passed
        .iter()
        .filter_map(|o| o.verification.similarity)
        .collect();
    println!(
        "genuine sessions passed: {}, confirmed by the face alone (≥ {:?}): {confirmed}, similarity {:.2}–{:.2}",
        passed.len(),
        passed
            .first()
            .and_then(|o| o.verification.confirm_threshold),
        sims.iter().copied().fold(f32::INFINITY, f32::min),
        sims.iter().copied().fold(f32::NEG_INFINITY, f32::max),
    );
    println!(
        "{} clips, {frames} frames in {:.1} s",
        outcomes.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
