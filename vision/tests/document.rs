//! The document camera on real images: the page photos of scikit-image 0.25.2 (`page.png`,
//! `text.png`) laid with a known pose on real desk photos (`coffee.png`, a wooden table;
//! `gravel.png`), fetched by `make fixtures` (scripts/fetch-documents.sh). Every frame goes through
//! the real OpenCV pipeline; corners are compared with the projection that placed the page, and
//! the output with the original page by normalised cross-correlation.

use jiuzhu_vision::document::scene::{
    Conditions, PagePose, a4_sheet, compose, desk, fixture, project, truth,
};
use jiuzhu_vision::document::{
    self, Corners, DocumentError, MAX_UPLOAD_BYTES, MAX_UPLOAD_SIDE, ScanConfig, ScannedPage,
};
use opencv::core::{Mat, Size, Vector};
use opencv::prelude::*;
use opencv::{imgcodecs, imgproc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rstest::rstest;

const W: i32 = 1280;
const H: i32 = 960;

struct Set {
    coffee: Mat,
    gravel: Mat,
    page: Mat,
    text: Mat,
    sheet: Mat,
    sheet2: Mat,
}

fn set() -> Set {
    let page = fixture("page.png").expect("run `make fixtures` first");
    let text = fixture("text.png").expect("run `make fixtures` first");
    Set {
        coffee: desk(&fixture("coffee.png").unwrap(), W, H).unwrap(),
        gravel: desk(&fixture("gravel.png").unwrap(), W, H).unwrap(),
        sheet: a4_sheet(&[page.clone(), text.clone()], 840, 0.0).unwrap(),
        sheet2: a4_sheet(&[text.clone(), page.clone(), text.clone()], 900, 0.0).unwrap(),
        page,
        text,
    }
}

fn gray(m: &Mat) -> Mat {
    let mut g = Mat::default();
    imgproc::cvt_color_def(m, &mut g, imgproc::COLOR_BGR2GRAY).unwrap();
    g
}

/// NCC between the scanned page and the original, at the original's size.
fn similarity(out: &ScannedPage, original: &Mat) -> f32 {
    let mut r = Mat::default();
    imgproc::resize(
        &out.to_mat().unwrap(),
        &mut r,
        Size::new(original.cols(), original.rows()),
        0.0,
        0.0,
        imgproc::INTER_AREA,
    )
    .unwrap();
    document::ncc(&gray(&r), &gray(original)).unwrap()
}

fn corner_error(found: &Corners, want: &Corners) -> f32 {
    found
        .iter()
        .zip(want)
        .map(|(a, b)| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt())
        .fold(0.0, f32::max)
}

fn frame_of(
    desk: &Mat,
    pages: &[(&Mat, PagePose)],
    cond: &Conditions,
    seed: u64,
) -> (Mat, Vec<Corners>) {
    let placed: Vec<(&Mat, Corners)> = pages
        .iter()
        .map(|(p, pose)| (*p, project(p.cols(), p.rows(), pose, W as f32)))
        .collect();
    let f = compose(desk, &placed, cond, seed).unwrap();
    if let Ok(d) = std::env::var("DOCSCAN_DUMP") {
        let name = format!(
            "{d}/{}-{seed}.png",
            std::thread::current()
                .name()
                .unwrap_or("t")
                .replace("::", "_")
        );
        imgcodecs::imwrite(&name, &f, &Vector::new()).unwrap();
    }
    (f, placed.iter().map(|(_, c)| truth(*c)).collect())
}

#[test]
fn seeded_poses_corners_within_three_pixels_and_output_upright() {
    // 24 seeded frames; at most one may miss (measured: frame 22, the top edge of the page lying
    // on the white inside of the cup, paper against porcelain, is placed 100 px too high).
    let s = set();
    let mut rng = StdRng::seed_from_u64(8);
    let cfg = ScanConfig::default();
    let (mut errs, mut nccs, mut misses) = (vec![], vec![], vec![]);
    for i in 0..24 {
        let (doc, name) = match i % 3 {
            0 | 1 => (&s.sheet, "sheet 1"),
            _ => (&s.sheet2, "sheet 2"),
        };
        let desk = if i % 2 == 0 { &s.coffee } else { &s.gravel };
        let width = rng.gen_range(420.0..600.0);
        // Poses drawn until the whole page is at least 8 px inside the frame.
        let pose = loop {
            let pose = PagePose {
                centre: [
                    W as f32 / 2.0 + rng.gen_range(-60.0..60.0),
                    H as f32 / 2.0 + rng.gen_range(-30.0..30.0),
                ],
                width,
                rotation_deg: rng.gen_range(-25.0..25.0),
                tilt_x_deg: rng.gen_range(-12.0..12.0),
                tilt_y_deg: rng.gen_range(-12.0..12.0),
            };
            let c = project(doc.cols(), doc.rows(), &pose, W as f32);
            if c.iter().all(|p| {
                p[0] >= 8.0 && p[1] >= 8.0 && p[0] <= (W - 9) as f32 && p[1] <= (H - 9) as f32
            }) {
                break pose;
            }
        };
        let cond = Conditions {
            gradient: rng.gen_range(0.0..0.4),
            gradient_deg: rng.gen_range(0.0..360.0),
            gain: rng.gen_range(0.75..0.92),
            noise_sigma: rng.gen_range(1.0..4.0),
            ..Default::default()
        };
        let (frame, want) = frame_of(desk, &[(doc, pose.clone())], &cond, i);
        let out = document::scan_mat(&frame, &cfg)
            .unwrap_or_else(|e| panic!("frame {i} ({name}, {pose:?}): {e}"));
        let err = corner_error(&out.corners, &want[0]);
        let sim = similarity(&out, doc);
        eprintln!(
            "frame {i:2} {name:9} rot {:6.1}° tilt {:5.1}°/{:5.1}°: corner error {err:.2} px, NCC {sim:.3}, blur {:.2}",
            pose.rotation_deg, pose.tilt_x_deg, pose.tilt_y_deg, out.quality.blur
        );
        if err > 3.0 {
            misses.push(i);
            continue;
        }
        assert!(sim >= 0.85, "frame {i}: NCC {sim}");
        errs.push(err);
        nccs.push(sim);
    }
    errs.sort_by(f32::total_cmp);
    nccs.sort_by(f32::total_cmp);
    let n = errs.len();
    eprintln!(
        "{n} of 24 frames within 3 px (missed: {misses:?}): corner error median {:.2} px, max {:.2} px; NCC min {:.3}, median {:.3}",
        errs[n / 2],
        errs[n - 1],
        nccs[0],
        nccs[n / 2]
    );
    assert!(misses.len() <= 1, "missed frames {misses:?}");
}

#[test]
fn a_page_turned_the_other_way_round_does_not_correlate() {
    // The NCC check above can fail: the same output compared with the page turned upside down.
    let s = set();
    let (frame, _) = frame_of(
        &s.coffee,
        &[(&s.sheet, PagePose::centred(W, H, 560.0))],
        &Conditions::default(),
        1,
    );
    let out = document::scan_mat(&frame, &ScanConfig::default()).unwrap();
    let mut flipped = Mat::default();
    opencv::core::flip(&s.sheet, &mut flipped, -1).unwrap();
    let upright = similarity(&out, &s.sheet);
    let upside_down = similarity(&out, &flipped);
    eprintln!("NCC upright {upright:.3}, against the page turned 180° {upside_down:.3}");
    assert!(upright >= 0.85 && upside_down < 0.5);
}

#[rstest]
#[case(3.0)]
#[case(-2.0)]
fn crooked_print_is_straightened(#[case] skew: f32) {
    let s = set();
    let crooked = a4_sheet(&[s.page.clone(), s.text.clone()], 840, skew).unwrap();
    let (frame, _) = frame_of(
        &s.coffee,
        &[(
            &crooked,
            PagePose {
                rotation_deg: 4.0,
                ..PagePose::centred(W, H, 600.0)
            },
        )],
        &Conditions::default(),
        2,
    );
    let straight = document::scan_mat(&frame, &ScanConfig::default()).unwrap();
    let as_is = document::scan_mat(
        &frame,
        &ScanConfig {
            deskew: false,
            ..Default::default()
        },
    )
    .unwrap();
    let (a, b) = (
        similarity(&straight, &s.sheet),
        similarity(&as_is, &s.sheet),
    );
    eprintln!(
        "print skewed {skew}°: rotation applied {:.1}°, NCC with the straight sheet {a:.3} (without deskew {b:.3})",
        straight.quality.skew_deg
    );
    assert!(
        (straight.quality.skew_deg + skew).abs() <= 0.4,
        "{:?}",
        straight.quality
    );
    assert!(a > b + 0.05 && a >= 0.85);
}

#[test]
fn a_straight_page_is_not_rotated() {
    let s = set();
    let (frame, _) = frame_of(
        &s.gravel,
        &[(
            &s.sheet,
            PagePose {
                rotation_deg: -7.0,
                tilt_x_deg: 8.0,
                ..PagePose::centred(W, H, 580.0)
            },
        )],
        &Conditions::default(),
        3,
    );
    let out = document::scan_mat(&frame, &ScanConfig::default()).unwrap();
    assert_eq!(out.quality.skew_deg, 0.0, "{:?}", out.quality);
}

fn expect_err(frame: &Mat) -> DocumentError {
    match document::scan_mat(frame, &ScanConfig::default()) {
        Ok(p) => panic!("expected an error, got {p:?}"),
        Err(e) => {
            assert!(e.is_retry(), "{e}");
            eprintln!("{e} → {} / {}", e.advice_zh(), e.advice_en());
            e
        }
    }
}

#[rstest]
#[case("coffee")]
#[case("gravel")]
fn empty_desk_is_not_a_page(#[case] which: &str) {
    let s = set();
    let d = if which == "coffee" {
        &s.coffee
    } else {
        &s.gravel
    };
    let (frame, _) = frame_of(d, &[], &Conditions::default(), 4);
    assert!(matches!(expect_err(&frame), DocumentError::NotFound));
}

#[rstest]
#[case([1080.0, 480.0], 0.0)]
#[case([640.0, 120.0], 10.0)]
#[case([200.0, 820.0], -15.0)]
fn page_over_the_edge_is_cut_off(#[case] centre: [f32; 2], #[case] rot: f32) {
    let s = set();
    let pose = PagePose {
        centre,
        rotation_deg: rot,
        ..PagePose::centred(W, H, 560.0)
    };
    let (frame, _) = frame_of(&s.coffee, &[(&s.sheet, pose)], &Conditions::default(), 5);
    assert!(matches!(expect_err(&frame), DocumentError::CutOff));
}

#[test]
fn heavy_blur_is_refused_and_mild_blur_passes() {
    let s = set();
    let pose = PagePose::centred(W, H, 580.0);
    for (sigma, ok) in [
        (0.0, Some(true)),
        (1.0, Some(true)),
        (1.5, None),
        (2.0, None),
        (2.5, None),
        (3.0, Some(false)),
        (5.0, Some(false)),
    ] {
        let cond = Conditions {
            blur_sigma: sigma,
            ..Default::default()
        };
        let (frame, _) = frame_of(&s.coffee, &[(&s.sheet, pose.clone())], &cond, 6);
        let r = document::scan_mat(&frame, &ScanConfig::default());
        eprintln!(
            "blur σ {sigma}: {}",
            match &r {
                Ok(p) => format!("ok, blur measure {:.3}", p.quality.blur),
                Err(e) => e.to_string(),
            }
        );
        match ok {
            Some(true) => assert!(r.is_ok(), "σ {sigma}: {r:?}"),
            Some(false) => assert!(
                matches!(r, Err(DocumentError::Blurred { .. })),
                "σ {sigma}: {r:?}"
            ),
            None => {}
        }
    }
}

#[test]
fn two_pages_are_refused() {
    let s = set();
    let left = PagePose {
        centre: [340.0, 480.0],
        rotation_deg: 5.0,
        ..PagePose::centred(W, H, 480.0)
    };
    let right = PagePose {
        centre: [950.0, 470.0],
        rotation_deg: -8.0,
        ..PagePose::centred(W, H, 470.0)
    };
    let (frame, _) = frame_of(
        &s.coffee,
        &[(&s.sheet, left), (&s.sheet, right)],
        &Conditions::default(),
        7,
    );
    assert!(matches!(
        expect_err(&frame),
        DocumentError::MultiplePages { count: 2 }
    ));
}

#[test]
fn glare_is_refused() {
    let s = set();
    let cond = Conditions {
        glare: Some(([600.0, 380.0], 140.0, 160.0)),
        ..Default::default()
    };
    let (frame, _) = frame_of(
        &s.coffee,
        &[(&s.sheet, PagePose::centred(W, H, 580.0))],
        &cond,
        8,
    );
    assert!(matches!(expect_err(&frame), DocumentError::Glare { .. }));
}

#[test]
fn small_page_is_too_small() {
    let s = set();
    let (frame, _) = frame_of(
        &s.coffee,
        &[(
            &s.sheet,
            PagePose {
                centre: [1000.0, 700.0],
                ..PagePose::centred(W, H, 280.0)
            },
        )],
        &Conditions::default(),
        9,
    );
    assert!(matches!(expect_err(&frame), DocumentError::TooSmall { .. }));
}

#[test]
fn dark_picture_is_too_dark() {
    let s = set();
    let cond = Conditions {
        gain: 0.2,
        ..Default::default()
    };
    let (frame, _) = frame_of(
        &s.coffee,
        &[(&s.sheet, PagePose::centred(W, H, 580.0))],
        &cond,
        10,
    );
    assert!(matches!(expect_err(&frame), DocumentError::TooDark { .. }));
}

#[test]
fn whitened_page_has_white_paper_and_the_same_print() {
    let s = set();
    let cond = Conditions {
        gradient: 0.4,
        ..Default::default()
    };
    let (frame, _) = frame_of(
        &s.coffee,
        &[(&s.sheet, PagePose::centred(W, H, 580.0))],
        &cond,
        11,
    );
    let cfg = ScanConfig {
        whiten: true,
        ..Default::default()
    };
    let plain = document::scan_mat(&frame, &ScanConfig::default()).unwrap();
    let white = document::scan_mat(&frame, &cfg).unwrap();
    // The empty lower part of the sheet (paper only): brighter and more even once whitened.
    let stats = |p: &ScannedPage| {
        let g = gray(&p.to_mat().unwrap());
        let roi = Mat::roi(
            &g,
            opencv::core::Rect::new(
                p.width as i32 / 10,
                p.height as i32 * 3 / 4,
                p.width as i32 / 3,
                p.height as i32 / 10,
            ),
        )
        .unwrap();
        let (mut m, mut sd) = (Vector::<f64>::new(), Vector::<f64>::new());
        opencv::core::mean_std_dev_def(&roi, &mut m, &mut sd).unwrap();
        (m.get(0).unwrap(), sd.get(0).unwrap())
    };
    let (pm, psd) = stats(&plain);
    let (wm, wsd) = stats(&white);
    let sim = similarity(&white, &s.sheet);
    eprintln!("paper grey {pm:.0}±{psd:.1} → whitened {wm:.0}±{wsd:.1}; NCC {sim:.3}");
    assert!(
        wm >= 235.0 && wm > pm + 20.0 && wsd < psd,
        "{wm}±{wsd} vs {pm}±{psd}"
    );
    // Whitening also evens out the grey ground and uneven light of the photographed print, so it
    // departs from the original more than a plain scan does.
    assert!(sim >= 0.7, "{sim}");
}

#[test]
fn jpeg_for_upload_decodes_and_respects_the_limits() {
    let s = set();
    let (frame, _) = frame_of(
        &s.coffee,
        &[(&s.sheet, PagePose::centred(W, H, 580.0))],
        &Conditions::default(),
        12,
    );
    let out = document::scan(
        &document::mat_to_frame(&frame).unwrap(),
        &ScanConfig::default(),
    )
    .unwrap();
    let jpeg = document::encode_jpeg(&out, 90).unwrap();
    assert!(jpeg.starts_with(&[0xFF, 0xD8, 0xFF]) && jpeg.len() <= MAX_UPLOAD_BYTES);
    let back =
        imgcodecs::imdecode(&Vector::<u8>::from_slice(&jpeg), imgcodecs::IMREAD_COLOR).unwrap();
    assert_eq!(
        (back.cols() as u32, back.rows() as u32),
        (out.width, out.height)
    );
    eprintln!(
        "{}x{} page: {} bytes at quality 90",
        out.width,
        out.height,
        jpeg.len()
    );

    // A page larger than A4 at 300 dpi is scaled down to it.
    let mut big = Mat::default();
    imgproc::resize(
        &out.to_mat().unwrap(),
        &mut big,
        Size::new(3000, 4243),
        0.0,
        0.0,
        imgproc::INTER_CUBIC,
    )
    .unwrap();
    let big_page = ScannedPage {
        bgr: document::mat_bytes(&big).unwrap(),
        width: 3000,
        height: 4243,
        ..out.clone()
    };
    let jpeg = document::encode_jpeg(&big_page, 95).unwrap();
    let back =
        imgcodecs::imdecode(&Vector::<u8>::from_slice(&jpeg), imgcodecs::IMREAD_COLOR).unwrap();
    assert_eq!(back.rows() as u32, MAX_UPLOAD_SIDE);
    assert!(jpeg.len() <= MAX_UPLOAD_BYTES);
}

#[test]
fn preview_is_rgb_and_fits() {
    let s = set();
    let (frame, _) = frame_of(
        &s.coffee,
        &[(&s.sheet, PagePose::centred(W, H, 580.0))],
        &Conditions::default(),
        13,
    );
    let out = document::scan_mat(&frame, &ScanConfig::default()).unwrap();
    let p = document::preview_rgb(&out, 400, 400).unwrap();
    assert!(p.width <= 400 && p.height == 400, "{p:?}");
    assert_eq!(p.rgb.len(), (p.width * p.height * 3) as usize);
    // The paper is warm (more red than blue): in RGB order the first byte is the larger.
    let mid = ((p.height * 7 / 8) * p.width + p.width / 4) as usize * 3;
    assert!(p.rgb[mid] > p.rgb[mid + 2], "{:?}", &p.rgb[mid..mid + 3]);
    assert!(format!("{out:?}").contains("masked") && format!("{p:?}").contains("masked"));
}

#[test]
fn bad_frame_is_a_fault_not_a_retry() {
    let f = jiuzhu_drivers_api::camera::Frame {
        width: 10,
        height: 10,
        format: jiuzhu_drivers_api::camera::PixelFormat::Bgr8,
        data: vec![0; 7],
        seq: 0,
        captured: None,
    };
    let e = document::scan(&f, &ScanConfig::default()).unwrap_err();
    assert!(matches!(e, DocumentError::BadFrame(_)) && !e.is_retry());
}
