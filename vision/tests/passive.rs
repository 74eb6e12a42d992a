//! Passive signals on real images: the screen-pattern measure on a registry photo with and without a
//! moiré-like periodic gain, and the converted PAD CNNs of npm `@vladmandic/human` on the same photo
//! (their scores recorded by models/check.py with Python cv2 from the detector's best anchor box).

use jiuzhu_vision::image::load_bgr;
use jiuzhu_vision::passive::{PadNets, ScreenPattern};
use jiuzhu_vision::verifier::MOIRE_MAX;
use jiuzhu_vision::{FacePipeline, ModelPaths};
use opencv::core::{CV_8UC3, CV_32FC3, Mat, Scalar};
use opencv::prelude::*;

/// obama.jpg scaled so that the face is about 190 px wide, as at the kiosk's distance.
fn photo() -> (Mat, (f32, f32, f32)) {
    let paths = ModelPaths::locate();
    let img = load_bgr(&paths.test_image("obama.jpg").unwrap()).unwrap();
    let mut small = Mat::default();
    opencv::imgproc::resize(
        &img,
        &mut small,
        opencv::core::Size::new(0, 0),
        0.5,
        0.5,
        opencv::imgproc::INTER_AREA,
    )
    .unwrap();
    let mut p = FacePipeline::load(&paths).unwrap();
    let obs = p.analyse(&small).unwrap();
    let face = obs.landmarks.expect("a face").extent();
    (small, face)
}

/// `img` times (1 + a·sin(2π(x cos θ + y sin θ)/period)): the beat of a screen's pixel grid.
fn with_beat(img: &Mat, period: f32, angle: f32, amplitude: f32) -> Mat {
    let mut f = Mat::default();
    img.convert_to(&mut f, CV_32FC3, 1.0, 0.0).unwrap();
    let (s, c) = angle.sin_cos();
    for y in 0..f.rows() {
        let row = f.at_row_mut::<opencv::core::Vec3f>(y).unwrap();
        for (x, px) in row.iter_mut().enumerate() {
            let u = x as f32 * c + y as f32 * s;
            let g = 1.0 + amplitude * (std::f32::consts::TAU * u / period).sin();
            for ch in 0..3 {
                px[ch] *= g;
            }
        }
    }
    let mut out = Mat::default();
    f.convert_to(&mut out, CV_8UC3, 1.0, 0.0).unwrap();
    out
}

#[test]
fn a_periodic_screen_pattern_stands_out_and_skin_does_not() {
    let (img, (cx, cy, side)) = photo();
    assert!(side > 140.0, "face {side} px");
    let mut m = ScreenPattern::new().unwrap();
    let plain = m.measure(&img, cx, cy, side).unwrap().unwrap();
    eprintln!("plain photo: {plain:.2}");
    assert!(plain < MOIRE_MAX, "{plain}");
    for (period, angle, amplitude) in [(6.0, 0.3, 0.05), (4.5, -0.5, 0.03), (9.0, 1.2, 0.05)] {
        let beat = with_beat(&img, period, angle, amplitude);
        let s = m.measure(&beat, cx, cy, side).unwrap().unwrap();
        eprintln!("beat period {period} px, amplitude {amplitude}: {s:.2}");
        assert!(s > MOIRE_MAX + 0.2, "{s}");
    }
    // too small a face, or a window leaving the image: no measure rather than a wrong one
    assert_eq!(m.measure(&img, cx, cy, 100.0).unwrap(), None);
    assert_eq!(m.measure(&img, 10.0, 10.0, side).unwrap(), None);
    let blank = Mat::new_rows_cols_with_default(480, 640, CV_8UC3, Scalar::all(128.0)).unwrap();
    assert_eq!(m.measure(&blank, 320.0, 240.0, 200.0).unwrap(), None);
}

#[test]
fn pad_networks_score_the_registry_photo_like_python() {
    let paths = ModelPaths::locate();
    let img = load_bgr(&paths.test_image("obama.jpg").unwrap()).unwrap();
    let mut p = FacePipeline::load(&paths).unwrap();
    let d = p.detect(&img).unwrap().remove(0);
    let s = PadNets::load(&paths).unwrap().scores(&img, &d).unwrap();
    eprintln!("{s:?}");
    // models/check.py: antispoof 0.5662, liveness 0.9902 on the best anchor's box (Rust uses the
    // NMS-weighted box, a few pixels off)
    assert!((s.antispoof - 0.566).abs() < 0.03, "{s:?}");
    assert!((s.liveness - 0.990).abs() < 0.02, "{s:?}");
}
