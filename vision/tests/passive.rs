//! Passive signals on real images: the screen-pattern measure on a registry photo with and without a
//! moiré-like periodic gain, and the converted PAD CNNs of npm `@vladmandic/human` on the same photo
//! (their scores recorded by models/check.py with Python cv2 from the detector's best anchor box).

use jiuzhu_vision::image::load_bgr;
use jiuzhu_vision::passive::{PadNets, ScreenPattern};
use jiuzhu_vision::verifier::MOIRE_MAX;
use jiuzhu_vision::{FaceBox, FacePipeline, ModelPaths};
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
    // a sharp image needs a strong beat (a 5 % beat on this photo measures only ~2.5, see README);
    // a screen's slight blur (3×3, σ 0.8) lowers the skin texture and a weaker beat stands out
    let mut blurred = Mat::default();
    opencv::imgproc::gaussian_blur(
        &img,
        &mut blurred,
        opencv::core::Size::new(3, 3),
        0.8,
        0.8,
        opencv::core::BORDER_DEFAULT,
    )
    .unwrap();
    for (period, angle) in [(6.0, 0.3), (4.5, -0.5), (9.0, 1.2)] {
        for (what, base, amplitude) in [("sharp", &img, 0.15), ("blurred", &blurred, 0.10)] {
            let beat = with_beat(base, period, angle, amplitude);
            let s = m.measure(&beat, cx, cy, side).unwrap().unwrap();
            eprintln!("{what}, beat period {period} px, amplitude {amplitude}: {s:.2}");
            assert!(s > MOIRE_MAX + 0.15, "{s}");
        }
    }
    // an MJPG camera's 8×8 JPEG blocks are not a screen pattern
    for quality in [30, 60, 90] {
        let mut buf = opencv::core::Vector::<u8>::new();
        let params =
            opencv::core::Vector::from_slice(&[opencv::imgcodecs::IMWRITE_JPEG_QUALITY, quality]);
        opencv::imgcodecs::imencode(".jpg", &img, &mut buf, &params).unwrap();
        let jpeg = opencv::imgcodecs::imdecode(&buf, opencv::imgcodecs::IMREAD_COLOR).unwrap();
        let s = m.measure(&jpeg, cx, cy, side).unwrap().unwrap();
        eprintln!("JPEG quality {quality}: {s:.2}");
        assert!(s < MOIRE_MAX, "{s}");
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
    let mut d = p.detect(&img).unwrap().remove(0);
    let mut nets = PadNets::load(&paths).unwrap();
    let own = nets.scores(&img, &d).unwrap();
    // models/check.py records antispoof 0.5662, liveness 0.9902 on the best anchor's box
    // (493.52, 279.05, side 277.76); the same box here must give the same scores
    d.bbox = FaceBox {
        cx: 493.52,
        cy: 279.05,
        w: 277.76,
        h: 277.76,
    };
    let s = nets.scores(&img, &d).unwrap();
    eprintln!("on the NMS box {own:?}, on check.py's box {s:?}");
    assert!((s.antispoof - 0.5662).abs() < 0.005, "{s:?}");
    assert!((s.liveness - 0.9902).abs() < 0.005, "{s:?}");
    // antispoof is sensitive to the crop: a few pixels of box move it by several hundredths
    assert!((own.antispoof - s.antispoof).abs() < 0.1, "{own:?}");
}
