//! Per-frame trace of independent-set cases (vision/src/eval), to find why one is refused: for each
//! case whose group contains FILTER (and whose photo contains PHOTO, when given) the frames are
//! rendered lit by the kiosk's colours as in `tests/independent.rs`, every frame's observation is
//! printed (faces, face side, mean grey, EAR, eye contrast, the blink ratio to the first good frame,
//! yaw, pitch, quality issues), then the verdict of the real `Verifier` with the screen-light check.
//! `cargo run -p jiuzhu-vision --example genuine_trace -- FILTER [PHOTO]` (`NO_TRACE=1`: verdicts only,
//! with a count of refusals; `PER=n`: n seeds per subject; `SKIP_FIRST=1`: without the tests' seed)

use std::time::Duration;

use jiuzhu_vision::ModelPaths;
use jiuzhu_vision::eval::set::{cases, evaluate_lit, kiosk_colours, render_lit};
use jiuzhu_vision::flash::FlashConfig;
use jiuzhu_vision::image::frame_to_bgr;
use jiuzhu_vision::pad::references;
use jiuzhu_vision::pipeline::FacePipeline;
use jiuzhu_vision::synth::Generator;
use jiuzhu_vision::verifier::VerifierConfig;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let filter = args.first().cloned().unwrap_or_default();
    let photo = args.get(1).cloned().unwrap_or_default();
    opencv::core::set_num_threads(1)?;
    let paths = ModelPaths::locate();
    let generator = Generator::load(&paths, false)?;
    let refs = references(&paths)?;
    let cfg = VerifierConfig {
        flash: Some(FlashConfig::default()),
        ..VerifierConfig::default()
    };
    // `PER=n`: n seeds per subject (the tests use 1); `SKIP_FIRST=1` leaves out the first seed's cases
    let per: usize = std::env::var("PER")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let skip_first = std::env::var_os("SKIP_FIRST").is_some();
    let (mut runs, mut refused) = (0, 0);
    for case in cases(generator.subjects().len(), per) {
        if skip_first && (case.seed % 100) / 10 == 0 {
            continue;
        }
        let subject = &generator.subjects()[case.subject];
        if !case.kind.group().contains(&filter) || !subject.photo.contains(&photo) {
            continue;
        }
        println!(
            "== {} {} {:?} seed {}",
            case.kind.group(),
            subject.photo,
            case.challenges,
            case.seed
        );
        let shown = kiosk_colours(&case);
        if std::env::var_os("NO_TRACE").is_some() {
            let out = evaluate_lit(&paths, &generator, &refs, &case, &cfg, true)?;
            println!(
                "-> {:?} {:?}",
                out.verification.verdict.reasons, out.verification.flash
            );
            runs += 1;
            refused += usize::from(!out.verification.verdict.passed);
            continue;
        }
        let frames = render_lit(&paths, &generator, &case, Some(&shown))?;
        let mut pipeline = FacePipeline::load(&paths)?;
        pipeline.detect_every_frame = true;
        let mut base: Option<(f32, f32)> = None;
        let mut base_eyes: Option<Vec<f32>> = None;
        let dump = std::env::var("DUMP").ok();
        for (i, f) in frames.iter().enumerate() {
            let t = Duration::from_secs_f64(i as f64 / 10.0);
            let bgr = frame_to_bgr(f)?;
            if let Some(dir) = dump.as_ref() {
                let name = format!("{dir}/{}-{i:03}.png", case.seed);
                opencv::imgcodecs::imwrite(&name, &bgr, &opencv::core::Vector::new())?;
            }
            let o = pipeline.analyse(&bgr)?;
            let side = o.landmarks.as_ref().map_or(0.0, |l| l.extent().2);
            if base.is_none() && o.issues.is_empty() {
                base = Some((o.ear, o.eye_contrast));
                base_eyes = Some(o.eye_patches.clone());
            }
            let ncc = base_eyes
                .as_ref()
                .and_then(|b| jiuzhu_vision::geometry::eye_similarity(b, &o.eye_patches))
                .unwrap_or(0.0);
            let r = base.map_or(0.0, |(e, c)| (o.ear / e) * (o.eye_contrast / c));
            println!(
                "{:5.1} faces {} side {:5.1} grey {:5.1} ear {:.3} eye {:.3} ratio {:.3} ncc {:.3} yaw {:6.1} pitch {:6.1} {:?}",
                t.as_secs_f32(),
                o.faces,
                side,
                o.measures.brightness,
                o.ear,
                o.eye_contrast,
                r,
                ncc,
                o.pose.yaw,
                o.pose.pitch,
                o.issues
            );
        }
        let out = evaluate_lit(&paths, &generator, &refs, &case, &cfg, true)?;
        let v = &out.verification;
        println!(
            "-> passed={} hints={:?} similarity={:?} scores={:?} reasons={:?}\n   flash={:?}",
            v.verdict.passed, out.hints, v.similarity, v.verdict.scores, v.verdict.reasons, v.flash
        );
    }
    if runs > 0 {
        println!("{refused} of {runs} refused");
    }
    Ok(())
}
