//! Measures behind the liveness thresholds, per generated clip: deepest eye closure (1 − EAR × eye
//! contrast relative to the first good frame), deepest eye-appearance change (1 − the eyes' normalised
//! correlation with the first good frame, `geometry::eye_similarity`, on frames with the head still:
//! yaw within half a turn, pitch within a nod), largest mouth-opening and mouth-darkness increase, largest yaw and pitch
//! change, and the largest homography residual among frames turned (or else nodded) past 60 % of the
//! threshold. Genuine clips show what live faces reach; print and screen-photo clips what noise reaches.
//! `cargo run -p jiuzhu-vision --example pad_calibrate --release [-- CLIPS_PER_SUBJECT]` (with `SERIES=1`
//! also each clip's eye similarity per frame, `*` marking frames with the head not still).

use jiuzhu_vision::geometry::{eye_similarity, homography_residual};
use jiuzhu_vision::image::frame_to_bgr;
use jiuzhu_vision::liveness::{Challenge, LivenessConfig};
use jiuzhu_vision::pad::{FPS, standard_cases};
use jiuzhu_vision::synth::{ClipKind, ClipSpec, Generator};
use jiuzhu_vision::{FacePipeline, ModelPaths};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(4);
    opencv::core::set_num_threads(1)?;
    let paths = ModelPaths::locate();
    let generator = Generator::load(&paths, false)?;
    let mut pipeline = FacePipeline::load(&paths)?;
    pipeline.detect_every_frame = true;
    let cfg = LivenessConfig::default();
    let kinds = [ClipKind::Genuine, ClipKind::Print, ClipKind::ScreenPhoto];
    println!(
        "kind photo challenges closure eye_change mouth mouth_dark yaw+ yaw- pitch+ residual_turning residual_nodding"
    );
    for case in standard_cases(generator.subjects().len(), n, n, &kinds) {
        let spec = ClipSpec {
            kind: case.kind,
            challenges: case.challenges.clone(),
            seed: case.seed,
            fps: FPS,
            mirror: false,
        };
        let clip = generator.render(case.subject, None, &spec)?;
        pipeline.reset();
        let mut base = None;
        let mut eye_change = 0f32;
        let mut series: Vec<String> = Vec::new();
        let (mut closure, mut mouth, mut dark, mut yp, mut ym, mut pp) =
            (0f32, 0f32, 0f32, 0f32, 0f32, 0f32);
        let (mut res, mut res_nod) = (0f32, 0f32);
        for f in &clip.frames {
            let o = pipeline.analyse(&frame_to_bgr(f)?)?;
            let Some(lm) = o.landmarks.clone() else {
                continue;
            };
            let Some(b) = &base else {
                if o.issues.is_empty() {
                    base = Some(o);
                }
                continue;
            };
            let open = (o.ear / b.ear) * (o.eye_contrast / b.eye_contrast.max(1e-3));
            closure = closure.max(1.0 - open);
            mouth = mouth.max(o.mouth - b.mouth);
            dark = dark.max(o.mouth_dark - b.mouth_dark);
            let (dy, dp) = (o.pose.yaw - b.pose.yaw, o.pose.pitch - b.pose.pitch);
            if let Some(s) = eye_similarity(&b.eye_patches, &o.eye_patches) {
                // head still: yaw within half a turn, pitch within a nod
                let quiet = dy.abs() < cfg.turn_deg / 2.0 && dp.abs() < cfg.nod_deg;
                if quiet {
                    eye_change = eye_change.max(1.0 - s);
                }
                series.push(format!("{s:.3}{}", if quiet { "" } else { "*" }));
            }
            yp = yp.max(dy);
            ym = ym.max(-dy);
            pp = pp.max(dp);
            if dy.abs() > 0.6 * cfg.turn_deg {
                res = res.max(homography_residual(b.landmarks.as_ref().unwrap(), &lm)?);
            } else if dp > 0.6 * cfg.nod_deg {
                res_nod = res_nod.max(homography_residual(b.landmarks.as_ref().unwrap(), &lm)?);
            }
        }
        let ch: Vec<&str> = case
            .challenges
            .iter()
            .map(|c| match c {
                Challenge::Blink => "B",
                Challenge::OpenMouth => "M",
                Challenge::TurnLeft => "L",
                Challenge::TurnRight => "R",
                Challenge::Nod => "N",
            })
            .collect();
        println!(
            "{} {} {} {closure:.3} {eye_change:.3} {mouth:.3} {dark:.3} {yp:.1} {ym:.1} {pp:.1} {res:.4} {res_nod:.4}",
            case.kind.name(),
            generator.subjects()[case.subject].photo,
            ch.join("")
        );
        if std::env::var_os("SERIES").is_some() {
            println!("S {}", series.join(" "));
        }
    }
    Ok(())
}
