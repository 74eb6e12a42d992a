//! What the face pipeline sees in each frame of a video: time, faces, the face mesh's presence score,
//! whether the detector ran, and the quality issues; with a DIR, every 15th frame is written there as
//! a JPEG to look at. For real recordings (`vision/README.md`, Real recordings: the mesh's presence
//! score does not notice a hand over the face).
//!
//! `cargo run -p jiuzhu-vision --example frame_probe -- VIDEO [DIR]`
use jiuzhu_vision::{FacePipeline, ModelPaths};
use opencv::prelude::*;
use opencv::videoio;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: frame_probe VIDEO [DIR]");
        std::process::exit(2);
    };
    let dump = std::env::args().nth(2);
    let paths = ModelPaths::locate();
    let mut p = FacePipeline::load(&paths)?;
    let mut cap = videoio::VideoCapture::from_file(&path, videoio::CAP_ANY)?;
    if !cap.is_opened()? {
        return Err(format!("{path}: not a video OpenCV can read").into());
    }
    let fps = cap.get(videoio::CAP_PROP_FPS)?.max(1.0);
    let mut i = 0;
    let mut frame = Mat::default();
    while cap.read(&mut frame)? && !frame.empty() {
        let obs = p.analyse(&frame)?;
        println!(
            "{:6.2} faces={} score={:?} detected={} issues={:?}",
            i as f64 / fps,
            obs.faces,
            obs.landmarks.as_ref().map(|l| l.score),
            obs.detected,
            obs.issues
        );
        if let Some(d) = &dump
            && i % 15 == 0
        {
            opencv::imgcodecs::imwrite_def(format!("{d}/f{i:04}.jpg"), &frame)?;
        }
        i += 1;
    }
    Ok(())
}
