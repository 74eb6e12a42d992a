//! 1:1 matching on real photos of many people: every face of every given photo is found (the
//! short-range detector over overlapping tiles, since a group photo's faces are small), embedded
//! with FaceNet, and compared with every other face **of the same photo** — different people by
//! construction (one person is not twice in one group photo), so every such pair is an impostor
//! pair. Prints the impostor cosines' distribution and the false accepts at thresholds around
//! `MATCH_THRESHOLD`. Faces of different photos are not paired: the same people may recur across
//! photos and nobody has labelled them.
//!
//! Usage: `cargo run --release -p jiuzhu-vision --example far_report -- PHOTO...`
//! (vision/README.md, "1:1 matching on real group photos", names the photos used).

use jiuzhu_vision::detect::{BlazeFace, Detection, weighted_nms};
use jiuzhu_vision::embed::FaceNet;
use jiuzhu_vision::image::load_bgr;
use jiuzhu_vision::{FaceMesh, MATCH_THRESHOLD, ModelPaths};
use opencv::core::{Mat, Rect};
use opencv::prelude::*;

/// Tile sides (pixels of the photo); tiles overlap by half, so a face up to half a tile wide is
/// whole in some tile of its scale.
const TILES: [i32; 3] = [384, 768, 1536];
/// The face mesh's face score a detection must reach to count as a face.
const MIN_MESH_SCORE: f32 = 0.5;
/// Faces narrower than this are too small for a fair FaceNet crop.
const MIN_FACE_PX: f32 = 48.0;

fn faces(det: &mut BlazeFace, mesh: &mut FaceMesh, bgr: &Mat) -> Vec<Detection> {
    let (w, h) = (bgr.cols(), bgr.rows());
    let mut all = Vec::new();
    for tile_side in TILES {
        let stride = tile_side / 2;
        let mut y = 0;
        loop {
            let mut x = 0;
            let th = tile_side.min(h - y);
            loop {
                let tw = tile_side.min(w - x);
                let tile = Mat::roi(bgr, Rect::new(x, y, tw, th))
                    .and_then(|m| m.try_clone())
                    .expect("tile");
                for d in det.detect(&tile).expect("detector") {
                    // a face cut by the tile's edge is found whole in an overlapping tile; its
                    // cut copy would pair with it as a "different person"
                    let (l, t, r, b) = d.bbox.edges();
                    let cut = (l < 1.0 && x > 0)
                        || (t < 1.0 && y > 0)
                        || (r > (tw - 1) as f32 && x + tw < w)
                        || (b > (th - 1) as f32 && y + th < h);
                    if !cut {
                        all.push(d.shifted(x as f32, y as f32));
                    }
                }
                if x + tw >= w {
                    break;
                }
                x += stride;
            }
            if y + th >= h {
                break;
            }
            y += stride;
        }
    }
    weighted_nms(all, 0.3)
        .into_iter()
        .filter(|d| d.bbox.w >= MIN_FACE_PX)
        // the face mesh must see a face there too: the detector over many tiles finds some
        // hair, sleeves and lamps (looked at: 11 of 33 in the six photos)
        .filter(|d| {
            let side = d.bbox.w.max(d.bbox.h) * 1.5;
            mesh.run(bgr, d.bbox.cx, d.bbox.cy, side)
                .is_ok_and(|lm| lm.score >= MIN_MESH_SCORE)
        })
        .filter(|d| {
            // whole faces only: a face cut by the photo's edge is not a fair sample
            let (l, t, r, b) = d.bbox.edges();
            l >= 0.0 && t >= 0.0 && r <= w as f32 && b <= h as f32
        })
        .collect()
}

fn main() {
    let photos: Vec<String> = std::env::args().skip(1).collect();
    if photos.is_empty() {
        eprintln!("usage: far_report PHOTO...");
        std::process::exit(2);
    }
    let paths = ModelPaths::locate();
    let mut det = BlazeFace::load_with(&paths, jiuzhu_vision::Engine::from_env().expect("engine"))
        .expect("detector (run `make models`)");
    let mut net = FaceNet::load(&paths).expect("FaceNet (run `make models`)");
    let mut mesh = FaceMesh::load_with(&paths, jiuzhu_vision::Engine::from_env().expect("engine"))
        .expect("face mesh");
    let mut impostor: Vec<f32> = Vec::new();
    let mut people = 0usize;
    for p in &photos {
        let bgr = load_bgr(std::path::Path::new(p)).expect("photo");
        let found = faces(&mut det, &mut mesh, &bgr);
        let emb: Vec<_> = found
            .iter()
            .map(|d| net.embed(&bgr, d).expect("embedding"))
            .collect();
        if let Ok(dir) = std::env::var("FAR_CROPS") {
            // each face as a PNG, to look at
            let stem = std::path::Path::new(p)
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("photo");
            for (k, d) in found.iter().enumerate() {
                let r = Rect::new(
                    (d.bbox.cx - d.bbox.w / 2.0) as i32,
                    (d.bbox.cy - d.bbox.h / 2.0) as i32,
                    d.bbox.w as i32,
                    d.bbox.h as i32,
                );
                let crop = Mat::roi(&bgr, r).expect("crop");
                let out = format!("{dir}/{stem}-{k}.png");
                opencv::imgcodecs::imwrite(&out, &crop, &opencv::core::Vector::new())
                    .expect("write crop");
            }
        }
        let mut here = Vec::new();
        for i in 0..emb.len() {
            for j in i + 1..emb.len() {
                let c = emb[i].cosine(&emb[j]).expect("both FaceNet");
                if c >= 0.5 {
                    println!("  faces {i} and {j}: cosine {c:.3}");
                }
                here.push(c);
            }
        }
        let max = here.iter().copied().fold(f32::MIN, f32::max);
        println!(
            "{p}: {} faces, {} pairs, highest cosine {:.3}",
            found.len(),
            here.len(),
            if here.is_empty() { f32::NAN } else { max }
        );
        people += found.len();
        impostor.extend(here);
    }
    impostor.sort_by(f32::total_cmp);
    let n = impostor.len();
    println!("{people} faces, {n} impostor pairs (within photos)");
    if n == 0 {
        return;
    }
    let q = |f: f64| impostor[((n - 1) as f64 * f).round() as usize];
    println!(
        "impostor cosine: median {:.3}, 99th percentile {:.3}, highest {:.3}",
        q(0.5),
        q(0.99),
        impostor[n - 1]
    );
    for t in [0.50f32, 0.55, MATCH_THRESHOLD, 0.65, 0.70, 0.75] {
        let fa = impostor.iter().filter(|c| **c >= t).count();
        println!(
            "threshold {t:.2}: {fa} false accepts of {n} ({:.2} %)",
            100.0 * fa as f64 / n as f64
        );
    }
}
