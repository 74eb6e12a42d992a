//! Detection, landmarks, quality and 1:1 matching on the registry photos fetched by `make models`.

mod common;

use common::photo;
use jiuzhu_vision::detect::{anchors, decode, weighted_nms};
use jiuzhu_vision::embed::MATCH_THRESHOLD;
use jiuzhu_vision::{FaceNet, FacePipeline, ModelPaths, VisionError};
use rstest::rstest;

#[rstest]
#[case("obama.jpg", 493.5, 279.1, 277.8)]
#[case("obama2.jpg", 345.5, 447.0, 286.9)]
#[case("obama3.jpg", 770.2, 462.5, 315.5)]
#[case("biden.jpg", 561.1, 394.1, 362.7)]
fn one_face_found_where_the_python_reference_finds_it(
    #[case] name: &str,
    #[case] cx: f32,
    #[case] cy: f32,
    #[case] side: f32,
) {
    let mut p = FacePipeline::load(&ModelPaths::locate()).unwrap();
    let dets = p.detect(&photo(name)).unwrap();
    assert_eq!(dets.len(), 1, "{name}: {dets:?}");
    let d = &dets[0];
    assert!(d.score > 0.75, "{name} score {}", d.score);
    // models/check.py (Python cv2, no NMS) found the best anchor there; NMS averaging moves it a little.
    assert!(
        (d.bbox.cx - cx).abs() < 0.05 * side && (d.bbox.cy - cy).abs() < 0.05 * side,
        "{name}: {:?}",
        d.bbox
    );
    assert!((d.bbox.w - side).abs() < 0.1 * side);
    // the eyes sit above the mouth, the right eye (subject's) on the image's left
    let (re, le, mouth) = (d.keypoints[0], d.keypoints[1], d.keypoints[3]);
    assert!(re.0 < le.0 && re.1 < mouth.1 && le.1 < mouth.1);
}

#[rstest]
#[case("obama.jpg")]
#[case("obama2.jpg")]
#[case("obama3.jpg")]
#[case("biden.jpg")]
fn photos_have_open_eyes_plausible_pose_and_good_exposure(#[case] name: &str) {
    let mut p = FacePipeline::load(&ModelPaths::locate()).unwrap();
    let img = photo(name);
    let o = p.analyse(&img).unwrap();
    assert_eq!(o.faces, 1);
    assert!(o.landmarks.as_ref().unwrap().score > 0.9);
    assert!((0.18..0.40).contains(&o.ear), "{name} EAR {}", o.ear);
    // obama and obama2 smile with parted lips; none opens the mouth wide
    assert!(o.mouth < 0.6, "{name} mouth {}", o.mouth);
    assert!(
        o.pose.yaw.abs() < 25.0 && o.pose.roll.abs() < 15.0,
        "{name} pose {:?}",
        o.pose
    );
    assert!(
        o.measures.sharpness > 15.0 && (50.0..210.0).contains(&o.measures.brightness),
        "{name}: {:?}",
        o.measures
    );
    // second frame is tracked from the landmarks without running the detector, same face
    let o2 = p.analyse(&img).unwrap();
    assert!(!o2.detected);
    assert!((o2.ear - o.ear).abs() < 0.05);
}

#[rstest]
#[case::mirrored_yaw_flips(true)]
fn mirrored_photo_mirrors_the_yaw(#[case] _mirror: bool) {
    let mut p = FacePipeline::load(&ModelPaths::locate()).unwrap();
    let img = photo("obama2.jpg");
    let mut flipped = opencv::core::Mat::default();
    opencv::core::flip(&img, &mut flipped, 1).unwrap();
    let a = p.analyse(&img).unwrap().pose;
    p.reset();
    let b = p.analyse(&flipped).unwrap().pose;
    assert!(
        a.yaw * b.yaw < 0.0 && (a.yaw + b.yaw).abs() < 7.0,
        "{a:?} vs {b:?}"
    );
}

#[test]
fn blank_and_tiny_images_have_no_face() {
    let mut p = FacePipeline::load(&ModelPaths::locate()).unwrap();
    let grey = common::solid(480, 640, opencv::core::CV_8UC3, 128.0);
    assert!(p.detect(&grey).unwrap().is_empty());
    let o = p.analyse(&grey).unwrap();
    assert_eq!(o.faces, 0);
    let mut small = opencv::core::Mat::default();
    opencv::imgproc::resize(
        &photo("obama.jpg"),
        &mut small,
        opencv::core::Size::new(91, 114),
        0.0,
        0.0,
        opencv::imgproc::INTER_AREA,
    )
    .unwrap();
    let o = p.analyse(&small).unwrap();
    assert!(
        o.issues
            .contains(&jiuzhu_vision::quality::QualityIssue::TooSmall)
            || o.faces == 0,
        "{:?}",
        o.issues
    );
}

#[test]
fn decode_and_nms_merge_overlapping_anchors() {
    let a = anchors();
    assert_eq!(a.len(), 896);
    let mut logits = vec![-10.0f32; 896];
    let mut regs = vec![0.0f32; 896 * 16];
    // two neighbouring anchors of the 16x16 grid predict the same 40-pixel face; one far anchor another
    for (i, dx) in [
        (2 * (8 * 16 + 8), 0.0),
        (2 * (8 * 16 + 8) + 1, 2.0),
        (10, 0.0),
    ] {
        logits[i] = 3.0;
        regs[i * 16] = dx;
        regs[i * 16 + 2] = 40.0;
        regs[i * 16 + 3] = 40.0;
    }
    let dets = weighted_nms(decode(&logits, &regs, &a, 0.5), 0.3);
    assert_eq!(dets.len(), 2);
    assert!((dets.iter().map(|d| d.bbox.w).sum::<f32>() - 2.0 * 40.0 / 128.0).abs() < 1e-5);
}

#[test]
fn registry_pairs_match_at_the_threshold() {
    let paths = ModelPaths::locate();
    let mut p = FacePipeline::load(&paths).unwrap();
    let mut f = FaceNet::load(&paths).unwrap();
    let names = ["obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg"];
    let embs: Vec<_> = names
        .iter()
        .map(|n| {
            let img = photo(n);
            let d = p.detect(&img).unwrap().remove(0);
            f.embed(&img, &d).unwrap()
        })
        .collect();
    for i in 0..4 {
        for j in i + 1..4 {
            let s = embs[i].cosine(&embs[j]).unwrap();
            let same = names[i].starts_with("obama") == names[j].starts_with("obama");
            eprintln!("{} {} cosine {s:.3}", names[i], names[j]);
            assert_eq!(
                s >= MATCH_THRESHOLD,
                same,
                "{} vs {}: {s}",
                names[i],
                names[j]
            );
        }
    }
    let t = jiuzhu_vision::Embedding::from_template(&embs[0].to_template()).unwrap();
    assert!((t.cosine(&embs[0]).unwrap() - 1.0).abs() < 1e-5);
    assert!(!format!("{t:?}").contains('.'));
}

#[test]
fn missing_model_names_the_make_target() {
    let paths = ModelPaths::in_dir("/nonexistent/models");
    let err = FacePipeline::load(&paths).err().unwrap();
    assert!(matches!(err, VisionError::MissingModel(_)));
    assert!(err.to_string().contains("make models"));
}

/// The appearance measures read the face's region of the frame only (`geometry::FaceGrey`); on every
/// registry photo, and on a copy shifted so that the face touches the frame's edge, they give exactly
/// what they give on the whole frame's grey levels.
#[test]
fn appearance_measures_on_the_face_region_equal_the_whole_frame() {
    use jiuzhu_vision::geometry::{FaceGrey, eye_contrast_in, eye_patches_in, mouth_darkness_in};
    use opencv::prelude::*;
    let paths = ModelPaths::locate();
    let mut p = jiuzhu_vision::FacePipeline::load(&paths).unwrap();
    for name in ["obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg"] {
        let img = jiuzhu_vision::image::load_bgr(&paths.test_image(name).unwrap()).unwrap();
        // the photo, and its right 45 % (the face cut by the left edge)
        let cut = opencv::core::Mat::roi(
            &img,
            opencv::core::Rect::new(
                img.cols() * 11 / 20,
                0,
                img.cols() - img.cols() * 11 / 20,
                img.rows(),
            ),
        )
        .unwrap()
        .try_clone()
        .unwrap();
        for (what, frame) in [("whole", &img), ("cut", &cut)] {
            p.reset();
            let Some(lm) = p.analyse(frame).unwrap().landmarks else {
                assert_eq!(what, "cut", "{name}: no face in the photo");
                continue;
            };
            let (region, whole) = (
                FaceGrey::new(frame, &lm).unwrap(),
                FaceGrey::whole(frame).unwrap(),
            );
            assert_eq!(
                eye_contrast_in(&region, &lm).unwrap(),
                eye_contrast_in(&whole, &lm).unwrap(),
                "{name} {what}"
            );
            assert_eq!(
                mouth_darkness_in(&region, &lm).unwrap(),
                mouth_darkness_in(&whole, &lm).unwrap(),
                "{name} {what}"
            );
            assert_eq!(
                eye_patches_in(&region, &lm).unwrap(),
                eye_patches_in(&whole, &lm).unwrap(),
                "{name} {what}"
            );
        }
    }
}
