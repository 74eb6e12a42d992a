//! The kiosk's face check on the simulated camera, as `src/app.rs` (`face_check`) runs it: the
//! simulated resident of `services::sim_camera_config` (a genuine clip of obama2.jpg, looped), the
//! reference enrolled from obama.jpg, the screen-light check on with a random colour schedule, the
//! check going on while `flash_pending`. Colours follow the wall clock at the kiosk; here the wall
//! clock is simulated: the first frame comes `OFFSET_MS` after the schedule starts (the clip's
//! rendering) and each frame `STEP_MS` after the previous one (the kiosk's pace: 100 ms at 10 fps,
//! more when the verifier is slower than the camera).
//!
//! `cargo run -p jiuzhu-sim --example kiosk_face -- [SEEDS] [STEP_MS] [OFFSET_MS] [KIND] [MIN_COLOURS]`
//! prints each session's verdict and reasons.

use std::time::Duration;

use jiuzhu_drivers_api::camera::FrameSource;
use jiuzhu_sim::camera::{ScreenLight, SimCamera, SimCameraConfig};
use jiuzhu_vision::ModelPaths;
use jiuzhu_vision::flash::{FlashConfig, Schedule};
use jiuzhu_vision::liveness::Pace;
use jiuzhu_vision::synth::ClipKind;
use jiuzhu_vision::verifier::{Verifier, VerifierConfig};
use rand::SeedableRng;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seeds: u64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(8);
    let step: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100);
    let offset: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(3000);
    let kind = args
        .get(3)
        .and_then(|k| ClipKind::parse(k))
        .unwrap_or(ClipKind::Genuine);
    let models = ModelPaths::locate();
    let refs = jiuzhu_vision::pad::references(&models).expect("run `make models` first");
    let reference = refs
        .iter()
        .find(|(person, _)| person.contains("obama"))
        .map(|(_, e)| e.clone())
        .expect("obama's reference");
    let cam_cfg = SimCameraConfig {
        kind,
        looped: true,
        ..SimCameraConfig::default()
    };
    let clip = SimCamera::generate(&models, cam_cfg.clone()).expect("the clip");
    let len = clip.clip_len();
    drop(clip);
    let mut refused = 0;
    for seed in 0..seeds {
        let light = ScreenLight::default();
        let mut cam = SimCamera::generate(&models, cam_cfg.clone())
            .unwrap()
            .lit_by(light.clone());
        let schedule = Schedule::random(&mut rand::rngs::StdRng::seed_from_u64(seed));
        let mut cfg = VerifierConfig::default().with_pace(Pace::Standard);
        let mut flash = FlashConfig::default();
        if let Some(n) = args.get(4).and_then(|s| s.parse().ok()) {
            flash.min_colours = n;
        }
        cfg.flash = Some(flash);
        let challenges = cam_cfg.challenges.clone();
        let mut v =
            Verifier::with_config(&models, challenges, Some(reference.clone()), cfg).unwrap();
        let limit = Pace::Standard.session_limit(cam_cfg.challenges.len());
        let mut wall = Duration::from_millis(offset);
        let mut first = None;
        let mut frames = 0;
        let mut log = Vec::new();
        let mut runs: Vec<usize> = Vec::new();
        loop {
            if wall > limit {
                break;
            }
            let colour = schedule.colour_at(wall);
            light.show(colour);
            let k = jiuzhu_vision::flash::KIOSK_PALETTE
                .iter()
                .position(|c| *c == colour)
                .unwrap_or(9);
            if runs.last() != Some(&k) {
                runs.push(k);
            }
            let Some(pair) = cam.next_pair().unwrap() else {
                break;
            };
            frames += 1;
            let at = pair.rgb.captured.unwrap();
            let t = at.saturating_sub(*first.get_or_insert(at));
            let p = v.push_pair_lit(&pair, t, Some(colour)).unwrap();
            log.push(format!(
                "{:.1}:{:?}/{}/{}",
                t.as_secs_f32(),
                p.current_challenge.map(|c| c.name()),
                p.done,
                p.hint
            ));
            wall += Duration::from_millis(step);
            if p.current_challenge.is_none() && !v.flash_pending() {
                break;
            }
        }
        let out = v.finish();
        refused += usize::from(!out.verdict.passed);
        println!(
            "seed {seed}: passed={} frames={frames} (clip {len}) similarity={:?} identity_min={:?} moire={:?} timings={:?} scores={:?} reasons={:?}\n  flash={:?}",
            out.verdict.passed,
            out.similarity,
            out.identity_min,
            out.moire,
            out.verdict.timings,
            out.verdict.scores,
            out.verdict.reasons,
            out.flash,
        );
        println!("  colours: {runs:?}");
        if !out.verdict.passed {
            println!("  progress: {}", log.join(" "));
        }
    }
    println!("{refused} of {seeds} refused (step {step} ms, offset {offset} ms)");
}
