//! The liveness state machine on landmark sequences made from the real mesh of a registry photo:
//! real 3-D rotation (parallax) vs a flat photo tilted in perspective (one homography), blinks by EAR,
//! cuts, two faces, timeouts. Pose and parallax come from the real solvePnP / findHomography code.

use std::time::Duration;

use jiuzhu_vision::geometry::{eye_aspect_ratio, head_pose, homography_residual, mouth_opening};
use jiuzhu_vision::image::load_bgr;
use jiuzhu_vision::liveness::{
    Challenge, LivenessConfig, LivenessSession, Pace, random_challenges,
};
use jiuzhu_vision::{FacePipeline, Landmarks, ModelPaths, Observation};
use rstest::rstest;

const W: f32 = 910.0;
const H: f32 = 1137.0;

fn base() -> Observation {
    let paths = ModelPaths::locate();
    let mut p = FacePipeline::load(&paths).unwrap();
    p.analyse(&load_bgr(&paths.test_image("obama.jpg").unwrap()).unwrap())
        .unwrap()
}

fn obs_from(lm: Landmarks, template: &Observation) -> Observation {
    let mut o = template.clone();
    o.ear = eye_aspect_ratio(&lm);
    o.mouth = mouth_opening(&lm);
    o.pose = head_pose(&lm, W, H).unwrap();
    o.landmarks = Some(lm);
    o
}

/// Rotates the mesh in depth about its centre (yaw around the vertical axis, pitch around the horizontal).
fn rotate(lm: &Landmarks, yaw_deg: f32, pitch_deg: f32) -> Landmarks {
    let (cx, cy, _) = lm.extent();
    let cz = lm.points.iter().map(|p| p[2]).sum::<f32>() / lm.points.len() as f32;
    let (sy, cyw) = yaw_deg.to_radians().sin_cos();
    let (sp, cp) = pitch_deg.to_radians().sin_cos();
    let points = lm
        .points
        .iter()
        .map(|p| {
            let (x, y, z) = (p[0] - cx, p[1] - cy, p[2] - cz);
            let (x1, z1) = (x * cyw - z * sy, x * sy + z * cyw);
            let (y2, z2) = (y * cp - z1 * sp, y * sp + z1 * cp);
            [x1 + cx, y2 + cy, z2 + cz]
        })
        .collect();
    Landmarks {
        points,
        score: lm.score,
    }
}

/// The same face printed flat (z = 0) and the print tilted by `deg` in depth, seen by a pinhole camera.
fn tilt_flat(lm: &Landmarks, deg: f32) -> Landmarks {
    let (cx, cy, side) = lm.extent();
    let f = 3.0 * side;
    let (s, c) = deg.to_radians().sin_cos();
    let points = lm
        .points
        .iter()
        .map(|p| {
            let (x, y) = (p[0] - cx, p[1] - cy);
            let (x1, z1) = (x * c, x * s + f);
            [x1 * f / z1 + cx, y * f / z1 + cy, 0.0]
        })
        .collect();
    Landmarks {
        points,
        score: lm.score,
    }
}

fn run(session: &mut LivenessSession, frames: &[Observation]) {
    for (i, o) in frames.iter().enumerate() {
        session.push_frame(o, Duration::from_millis(33 * i as u64));
    }
}

#[test]
fn parallax_separates_a_turning_head_from_a_tilted_photo() {
    let b = base();
    let lm = b.landmarks.as_ref().unwrap();
    let real = homography_residual(lm, &rotate(lm, 25.0, 0.0)).unwrap();
    let flat = homography_residual(lm, &tilt_flat(lm, 35.0)).unwrap();
    eprintln!("residual: real turn {real:.4}, tilted photo {flat:.4}");
    assert!(real > LivenessConfig::default().min_parallax, "{real}");
    assert!(
        flat < LivenessConfig::default().min_parallax / 4.0,
        "{flat}"
    );
}

#[rstest]
#[case::turn_right(Challenge::TurnRight, 30.0)]
#[case::turn_left(Challenge::TurnLeft, -30.0)]
fn a_real_head_turn_passes_and_a_tilted_photo_does_not(#[case] ch: Challenge, #[case] deg: f32) {
    let b = base();
    let lm = b.landmarks.clone().unwrap();
    let turn: Vec<_> = (0..=20)
        .chain((0..=20).rev())
        .map(|i| obs_from(rotate(&lm, deg * i as f32 / 20.0, 0.0), &b))
        .collect();
    let mut s = LivenessSession::new(vec![ch], LivenessConfig::default());
    run(&mut s, &turn);
    let v = s.finish();
    assert!(v.passed, "{v:?}");
    let tilt: Vec<_> = (0..=20)
        .chain((0..=20).rev())
        .map(|i| obs_from(tilt_flat(&lm, deg * 1.5 * i as f32 / 20.0), &b))
        .collect();
    let mut s = LivenessSession::new(vec![ch], LivenessConfig::default());
    run(&mut s, &tilt);
    let v = s.finish();
    eprintln!("tilted photo {ch:?}: {:?}", v.reasons);
    assert!(!v.passed, "tilted photo passed: {v:?}");
}

#[test]
fn blink_then_mouth_passes_with_timings_and_a_still_face_times_out() {
    let b = base();
    let e = b.ear;
    let mut frames: Vec<Observation> = Vec::new();
    for k in [1.0, 1.0, 0.9, 0.5, 0.3, 0.4, 0.8, 1.0, 1.0] {
        let mut o = b.clone();
        o.ear = e * k;
        frames.push(o);
    }
    for m in [0.0, 0.1, 0.3, 0.45] {
        let mut o = b.clone();
        o.mouth = b.mouth + m;
        frames.push(o);
    }
    let mut s = LivenessSession::new(
        vec![Challenge::Blink, Challenge::OpenMouth],
        LivenessConfig::default(),
    );
    run(&mut s, &frames);
    let v = s.finish();
    assert!(v.passed, "{v:?}");
    assert_eq!(v.timings.len(), 2);

    let still: Vec<_> = (0..250).map(|_| b.clone()).collect();
    let mut s = LivenessSession::new(
        vec![Challenge::Blink, Challenge::Nod],
        LivenessConfig {
            max_reaction: None,
            ..LivenessConfig::default()
        },
    );
    run(&mut s, &still);
    let v = s.finish();
    assert!(
        !v.passed && v.reasons[0].contains("Blink not done"),
        "{v:?}"
    );
}

/// A blink that begins `wait` frames (33 ms each) after the prompt: reactions of 2–5 s pass at the
/// standard pace with their reaction time reported, a 7 s reaction only at the elder pace (长辈模式);
/// later than the pace allows, the reaction-time check ends the attempt with a neutral reason (no
/// "recording?"), even though the timeout would allow it. The hint turns to `remind` (the kiosk repeats
/// the prompt) before that.
#[rstest]
#[case::two_seconds(60, Pace::Standard, true)]
#[case::four_seconds(121, Pace::Standard, true)]
#[case::five_seconds(151, Pace::Standard, true)]
#[case::seven_seconds(212, Pace::Standard, false)]
#[case::seven_seconds_elder(212, Pace::Elder, true)]
#[case::eleven_seconds_elder(333, Pace::Elder, false)]
fn an_action_must_begin_within_the_pace_of_the_person(
    #[case] wait: usize,
    #[case] pace: Pace,
    #[case] on_time: bool,
) {
    let b = base();
    let mut frames: Vec<Observation> = (0..=wait).map(|_| b.clone()).collect();
    for k in [0.9, 0.5, 0.3, 0.4, 0.8, 1.0, 1.0] {
        let mut o = b.clone();
        o.ear = b.ear * k;
        frames.push(o);
    }
    let cfg = LivenessConfig::for_pace(pace);
    let mut s = LivenessSession::new(vec![Challenge::Blink], cfg.clone());
    let mut hints = Vec::new();
    for (i, o) in frames.iter().enumerate() {
        let p = s.push_frame(o, Duration::from_millis(33 * i as u64));
        if hints.last() != Some(&p.hint) {
            hints.push(p.hint);
        }
    }
    let v = s.finish();
    let began = Duration::from_millis(33 * (wait as u64 + 1));
    let waited = Duration::from_millis(33 * wait as u64);
    assert_eq!(
        hints.contains(&"remind"),
        waited > cfg.remind_after.unwrap(),
        "the prompt is repeated after a while of waiting: {hints:?}"
    );
    if on_time {
        assert!(v.passed, "{v:?}");
        assert_eq!(v.reactions, vec![(Challenge::Blink, began)]);
    } else {
        let limit = cfg.max_reaction.unwrap().as_secs_f64();
        assert!(
            !v.passed && v.reasons[0].contains(&format!("did not begin within {limit:.1} s")),
            "{v:?}"
        );
        assert!(!v.reasons[0].contains("recording"), "{v:?}");
        let mut s = LivenessSession::new(
            vec![Challenge::Blink],
            LivenessConfig {
                max_reaction: None,
                timeout: Duration::from_secs(20),
                ..cfg
            },
        );
        run(&mut s, &frames);
        let v = s.finish();
        assert!(v.passed, "without the check the late blink passes: {v:?}");
        assert_eq!(v.reactions, vec![(Challenge::Blink, began)]);
    }
}

/// Guidance before failure: frames too dark or with a face too small to start the session give the
/// hint that helps; a dim but usable face starts the session and still asks for light.
#[test]
fn dim_or_small_faces_get_guidance_not_failure() {
    use jiuzhu_vision::quality::QualityIssue;
    let b = base();
    let mut s = LivenessSession::new(vec![Challenge::Blink], LivenessConfig::default());
    let mut dark = b.clone();
    dark.issues = vec![QualityIssue::TooDark];
    dark.measures.brightness = 30.0;
    let mut small = b.clone();
    small.issues = vec![QualityIssue::TooSmall];
    let mut dim = b.clone();
    dim.measures.brightness = 55.0;
    let mut t = 0;
    let mut push = |s: &mut LivenessSession, o: &Observation| {
        t += 100;
        s.push_frame(o, Duration::from_millis(t))
    };
    for _ in 0..100 {
        assert_eq!(push(&mut s, &dark).hint, "too_dark");
    }
    for _ in 0..100 {
        assert_eq!(push(&mut s, &small).hint, "come_closer");
    }
    let p = push(&mut s, &dim);
    assert_eq!((p.hint, p.done), ("too_dark", 0), "{p:?}");
    assert_eq!(p.current_challenge, Some(Challenge::Blink));
    for k in [0.9, 0.5, 0.3, 0.4, 0.8, 1.0, 1.0] {
        let mut o = dim.clone();
        o.ear = b.ear * k;
        push(&mut s, &o);
    }
    let v = s.finish();
    assert!(v.passed, "{v:?}");
}

#[rstest]
#[case::two_faces(2, 0.0, 3)]
#[case::face_swapped_by_a_cut(1, 0.6, 1)]
fn several_faces_or_a_cut_fail(#[case] faces: usize, #[case] shift: f32, #[case] frames: usize) {
    let b = base();
    let mut seq: Vec<_> = (0..5).map(|_| b.clone()).collect();
    let mut o = b.clone();
    o.faces = faces;
    let lm = o.landmarks.as_mut().unwrap();
    let side = lm.extent().2;
    for p in &mut lm.points {
        p[0] += shift * side;
    }
    seq.extend(std::iter::repeat_n(o, frames));
    let mut s = LivenessSession::new(
        vec![Challenge::Blink, Challenge::OpenMouth],
        LivenessConfig::default(),
    );
    run(&mut s, &seq);
    let v = s.finish();
    assert!(!v.passed);
    assert!(
        v.reasons[0].contains("faces") || v.reasons[0].contains("discontinuity"),
        "{v:?}"
    );
}

/// A second face found on one or two frames (a blurred passer-by behind, as in obama2.jpg) is skipped;
/// the third consecutive frame with two faces fails the session.
#[test]
fn a_second_face_on_isolated_frames_is_skipped() {
    let b = base();
    let mut two = b.clone();
    two.faces = 2;
    let mut blink = Vec::new();
    for k in [1.0, 1.0, 0.9, 0.5, 0.3, 0.4, 0.8, 1.0, 1.0] {
        let mut o = b.clone();
        o.ear = b.ear * k;
        blink.push(o);
    }
    let mut seq: Vec<_> = blink.clone();
    seq.insert(2, two.clone());
    seq.insert(3, two.clone());
    let mut s = LivenessSession::new(vec![Challenge::Blink], LivenessConfig::default());
    run(&mut s, &seq);
    let v = s.finish();
    assert!(v.passed, "{v:?}");
    let mut seq = blink;
    for _ in 0..3 {
        seq.insert(2, two.clone());
    }
    let mut s = LivenessSession::new(vec![Challenge::Blink], LivenessConfig::default());
    run(&mut s, &seq);
    let v = s.finish();
    assert!(!v.passed && v.reasons[0].contains("2 faces"), "{v:?}");
}

#[test]
fn random_sequences_have_two_or_three_distinct_challenges() {
    use rand::SeedableRng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for _ in 0..50 {
        let c = random_challenges(&mut rng);
        assert!((2..=3).contains(&c.len()));
        assert!(
            c.iter()
                .any(|&x| jiuzhu_vision::liveness::is_head_motion(x))
        );
        assert!(c.iter().enumerate().all(|(i, x)| !c[..i].contains(x)));
    }
}

/// Print-attack replay through the whole pipeline: a still registry photo shown for 8 s at 10 fps, with
/// hand-held jitter (a few pixels of shift), must not pass a blink + turn session, even though the face
/// matches the reference.
#[test]
fn still_photo_replay_is_rejected_end_to_end() {
    use jiuzhu_vision::image::bgr_to_frame;
    use jiuzhu_vision::verifier::Verifier;
    let paths = ModelPaths::locate();
    let img = load_bgr(&paths.test_image("obama2.jpg").unwrap()).unwrap();
    let mut p = FacePipeline::load(&paths).unwrap();
    let d = p.detect(&img).unwrap().remove(0);
    let reference = jiuzhu_vision::FaceNet::load(&paths)
        .unwrap()
        .embed(&img, &d)
        .unwrap();
    let mut v = Verifier::new(
        &paths,
        vec![Challenge::Blink, Challenge::TurnLeft],
        Some(reference),
    )
    .unwrap();
    for i in 0..80u64 {
        let (dx, dy) = (((i * 7) % 5) as f64 - 2.0, ((i * 3) % 5) as f64 - 2.0);
        let m = opencv::core::Mat::from_slice_2d(&[[1.0, 0.0, dx], [0.0, 1.0, dy]]).unwrap();
        let mut shifted = opencv::core::Mat::default();
        opencv::imgproc::warp_affine_def(
            &img,
            &mut shifted,
            &m,
            opencv::core::Size::new(626, 1200),
        )
        .unwrap();
        v.push_frame(
            &bgr_to_frame(&shifted).unwrap(),
            Duration::from_millis(100 * i),
        )
        .unwrap();
    }
    let out = v.finish();
    eprintln!(
        "still photo: {:?} similarity {:?}",
        out.verdict.reasons, out.similarity
    );
    assert!(!out.verdict.passed);
    assert!(out.similarity.unwrap() > 0.9);
}

/// MediaPipe's z grows away from the camera (the nose tip is nearest), so `rotate` with a positive pitch
/// moves the nose down: chin down, a nod, which head_pose reports as a positive pitch.
#[test]
fn mesh_depth_grows_away_from_the_camera() {
    let b = base();
    let lm = b.landmarks.as_ref().unwrap();
    let (nose, cheek_l, cheek_r) = (lm.points[1][2], lm.points[234][2], lm.points[454][2]);
    assert!(
        nose < cheek_l && nose < cheek_r,
        "{nose} {cheek_l} {cheek_r}"
    );
    let down = head_pose(&rotate(lm, 0.0, 20.0), W, H).unwrap();
    assert!(down.pitch - b.pose.pitch > 10.0, "{down:?} vs {:?}", b.pose);
}

#[test]
fn a_real_nod_passes_and_a_photo_tipped_back_does_not() {
    let b = base();
    let lm = b.landmarks.clone().unwrap();
    let nod: Vec<_> = (0..=15)
        .chain((0..=15).rev())
        .map(|i| obs_from(rotate(&lm, 0.0, 25.0 * i as f32 / 15.0), &b))
        .collect();
    let mut s = LivenessSession::new(vec![Challenge::Nod], LivenessConfig::default());
    run(&mut s, &nod);
    let v = s.finish();
    assert!(v.passed, "{v:?}");
    // a flat print rotated about its horizontal axis: swap x and y, tilt, swap back
    let swap = |l: &Landmarks| Landmarks {
        points: l.points.iter().map(|p| [p[1], p[0], p[2]]).collect(),
        score: l.score,
    };
    let tipped: Vec<_> = (0..=15)
        .chain((0..=15).rev())
        .map(|i| obs_from(swap(&tilt_flat(&swap(&lm), 40.0 * i as f32 / 15.0)), &b))
        .collect();
    let mut s = LivenessSession::new(vec![Challenge::Nod], LivenessConfig::default());
    run(&mut s, &tipped);
    let v = s.finish();
    eprintln!("tipped photo: {:?}", v.reasons);
    assert!(!v.passed, "{v:?}");
}

/// The eye's appearance (`geometry::eye_patches`, normalised for light and contrast) tells a closed
/// eye from an open one in a dim, noisy frame as in a bright one: the photo's eyes painted shut
/// (the lid's skin colour over the eye, a lash line from corner to corner) against the open eyes,
/// plain and darkened as a dim hall does (gamma 1.8, gain 0.68, noise σ 3).
#[test]
fn a_closed_eye_differs_from_the_open_one_in_the_dark_too() {
    use jiuzhu_vision::geometry::{
        LEFT_EYE_CONTOUR, RIGHT_EYE_CONTOUR, eye_patches, eye_similarity,
    };
    use opencv::core::{Mat, Point, Scalar, Vector};
    use opencv::imgproc;
    use opencv::prelude::*;
    let paths = ModelPaths::locate();
    let img = load_bgr(&paths.test_image("obama.jpg").unwrap()).unwrap();
    let lm = base().landmarks.unwrap();
    let mut closed = img.try_clone().unwrap();
    for contour in [&RIGHT_EYE_CONTOUR, &LEFT_EYE_CONTOUR] {
        let pts: Vector<Point> = contour
            .iter()
            .map(|&i| {
                let (x, y) = lm.xy(i);
                Point::new(x.round() as i32, y.round() as i32)
            })
            .collect();
        // the lid's skin: the colour just below the lower lid
        let (a, b) = (lm.xy(contour[0]), lm.xy(contour[8]));
        let w = ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
        let (sx, sy) = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0 + 0.45 * w);
        let skin = *img
            .at_2d::<opencv::core::Vec3b>(sy as i32, sx as i32)
            .unwrap();
        let colour = Scalar::new(
            f64::from(skin[0]),
            f64::from(skin[1]),
            f64::from(skin[2]),
            0.0,
        );
        let mut poly: Vector<Vector<Point>> = Vector::new();
        poly.push(pts);
        imgproc::fill_poly_def(&mut closed, &poly, colour).unwrap();
        imgproc::line(
            &mut closed,
            Point::new(a.0 as i32, a.1 as i32),
            Point::new(b.0 as i32, b.1 as i32),
            Scalar::new(20.0, 20.0, 25.0, 0.0),
            2,
            imgproc::LINE_AA,
            0,
        )
        .unwrap();
    }
    let dim = |m: &Mat| -> Mat {
        let mut lut =
            Mat::new_rows_cols_with_default(1, 256, opencv::core::CV_8U, Scalar::all(0.0)).unwrap();
        for v in 0..256 {
            *lut.at_2d_mut::<u8>(0, v).unwrap() =
                (255.0 * 0.68 * (v as f32 / 255.0).powf(1.8)).round() as u8;
        }
        let mut dark = Mat::default();
        opencv::core::lut(m, &lut, &mut dark).unwrap();
        let mut noise = Mat::new_rows_cols_with_default(
            m.rows(),
            m.cols(),
            opencv::core::CV_16SC3,
            Scalar::all(0.0),
        )
        .unwrap();
        opencv::core::set_rng_seed(7).unwrap();
        opencv::core::randn(&mut noise, &Scalar::all(0.0), &Scalar::all(3.0)).unwrap();
        let mut wide = Mat::default();
        dark.convert_to(&mut wide, opencv::core::CV_16SC3, 1.0, 0.0)
            .unwrap();
        let mut sum = Mat::default();
        opencv::core::add(&wide, &noise, &mut sum, &opencv::core::no_array(), -1).unwrap();
        let mut out = Mat::default();
        sum.convert_to(&mut out, opencv::core::CV_8UC3, 1.0, 0.0)
            .unwrap();
        out
    };
    let open = eye_patches(&img, &lm).unwrap();
    let shut = eye_patches(&closed, &lm).unwrap();
    let open_dark = eye_patches(&dim(&img), &lm).unwrap();
    let shut_dark = eye_patches(&dim(&closed), &lm).unwrap();
    let cfg = LivenessConfig::default();
    let limit = cfg.eye_closed.unwrap();
    let same = eye_similarity(&open, &open_dark).unwrap();
    let bright = eye_similarity(&open, &shut).unwrap();
    let dark = eye_similarity(&open, &shut_dark).unwrap();
    eprintln!(
        "open vs open in the dark {same:.3}, vs closed {bright:.3}, vs closed in the dark {dark:.3}"
    );
    assert!(same > cfg.eye_reopened, "{same}");
    assert!(bright < limit && dark < limit, "{bright} {dark}");
    assert!(eye_similarity(&open, &[]).is_none());
}

/// A blink that the eye-contrast measure misses (EAR and contrast stay at the baseline, as in a dim,
/// noisy frame) is seen in the eyes' appearance: closed below `eye_closed`, reopened above
/// `eye_reopened`. With that cue off it is not done; a change of appearance while the head turns
/// does not count as a closed eye.
#[test]
fn a_blink_seen_only_in_the_eyes_appearance_is_done() {
    let b = base();
    let open = b.eye_patches.clone();
    assert!(!open.is_empty());
    // a closed eye's patch: the open one's negative has correlation −1 with it; mixed with the
    // open one it gives any similarity in between
    let look = |s: f32| -> Vec<f32> {
        let half = open.len() / 2;
        let mut v: Vec<f32> = Vec::with_capacity(open.len());
        for eye in [&open[..half], &open[half..]] {
            // s · open + √(1 − s²) · (a pattern orthogonal to it, normalised)
            let mut other: Vec<f32> = (0..half).map(|i| ((i * 37 % 11) as f32) - 5.0).collect();
            let mean = other.iter().sum::<f32>() / half as f32;
            other.iter_mut().for_each(|x| *x -= mean);
            let dot: f32 = other.iter().zip(eye).map(|(a, b)| a * b).sum();
            other.iter_mut().zip(eye).for_each(|(x, e)| *x -= dot * e);
            let n = other.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.extend(
                eye.iter()
                    .zip(&other)
                    .map(|(e, o)| s * e + (1.0 - s * s).sqrt() * o / n),
            );
        }
        v
    };
    let frames: Vec<Observation> = [1.0, 0.98, 0.9, 0.8, 0.78, 0.85, 0.97, 1.0, 1.0]
        .into_iter()
        .map(|s| {
            let mut o = b.clone();
            o.eye_patches = look(s);
            o
        })
        .collect();
    let sim = jiuzhu_vision::geometry::eye_similarity(&open, &look(0.78)).unwrap();
    assert!((sim - 0.78).abs() < 1e-3, "{sim}");
    let mut s = LivenessSession::new(vec![Challenge::Blink], LivenessConfig::default());
    run(&mut s, &frames);
    let v = s.finish();
    assert!(v.passed, "{v:?}");
    let mut s = LivenessSession::new(
        vec![Challenge::Blink],
        LivenessConfig {
            eye_closed: None,
            ..LivenessConfig::default()
        },
    );
    run(&mut s, &frames);
    let v = s.finish();
    assert!(
        !v.passed && v.reasons[0].contains("Blink not done"),
        "{v:?}"
    );
    // the same change of appearance with the head turned 12° (a turn changes the eye's look)
    let lm = b.landmarks.clone().unwrap();
    let turned: Vec<Observation> = frames
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let mut t = o.clone();
            if (2..6).contains(&i) {
                let r = obs_from(rotate(&lm, 12.0, 0.0), &b);
                t.pose = r.pose;
                t.landmarks = r.landmarks;
            }
            t
        })
        .collect();
    let mut s = LivenessSession::new(
        vec![Challenge::Blink],
        LivenessConfig {
            reject_wrong_action: false,
            ..LivenessConfig::default()
        },
    );
    run(&mut s, &turned);
    let v = s.finish();
    assert!(!v.passed, "{v:?}");
}

/// Frame `i` of a 30 fps clip.
fn at(i: u64) -> Duration {
    Duration::from_millis(33 * i)
}

/// `b` with its eye aspect ratio scaled by `k` (a blink in progress).
fn with_ear(b: &Observation, k: f32) -> Observation {
    let mut o = b.clone();
    o.ear = b.ear * k;
    o
}

/// A restarted challenge forgets its progress (the `Verifier` restarts one when an identity sample
/// does not look like the session's person): eyes closed before the restart and reopened after it
/// are not a blink; a whole blink after it is, and the reaction is timed from the restart.
#[test]
fn a_restarted_challenge_counts_only_what_follows_the_restart() {
    let b = base();
    let with_ear = |k: f32| with_ear(&b, k);
    let mut s = LivenessSession::new(vec![Challenge::Blink], LivenessConfig::default());
    assert!(
        !s.restart_challenge(at(0)),
        "nothing to restart before the baseline"
    );
    let mut i = 0;
    for k in [1.0, 1.0, 0.5, 0.3] {
        s.push_frame(&with_ear(k), at(i));
        i += 1;
    }
    // the eyes were closed by someone the identity sample did not recognise
    assert!(s.restart_challenge(at(i)));
    let restarted = at(i);
    for k in [1.0, 1.0, 1.0, 1.0] {
        let p = s.push_frame(&with_ear(k), at(i));
        assert_eq!(p.done, 0, "the reopening alone is not a blink");
        i += 1;
    }
    for k in [0.9, 0.5, 0.3, 0.4, 0.8, 1.0, 1.0] {
        s.push_frame(&with_ear(k), at(i));
        i += 1;
    }
    assert!(!s.restart_challenge(at(i)), "nothing to restart when done");
    let v = s.finish();
    assert!(v.passed, "{v:?}");
    let reaction = v.reactions[0].1;
    assert_eq!(reaction, at(8) - restarted, "{v:?}");
}

/// A challenge taken back (the `Verifier` does it when the frame that completed it did not look like
/// the session's person) must be done again, and its scores and timing are the new attempt's.
#[test]
fn a_challenge_taken_back_is_done_again() {
    let b = base();
    let with_ear = |k: f32| with_ear(&b, k);
    let mut s = LivenessSession::new(
        vec![Challenge::Blink, Challenge::OpenMouth],
        LivenessConfig::default(),
    );
    assert!(!s.revoke_last(at(0)), "nothing done yet");
    let blink = [1.0, 1.0, 0.9, 0.5, 0.3, 0.4, 0.8, 1.0, 1.0];
    let mut i = 0;
    let mut done = 0;
    for k in blink {
        done = s.push_frame(&with_ear(k), at(i)).done;
        i += 1;
    }
    assert_eq!(done, 1);
    assert!(s.revoke_last(at(i)));
    let p = s.progress_now("uncover_face");
    assert_eq!(
        (p.done, p.current_challenge, p.hint),
        (0, Some(Challenge::Blink), "uncover_face")
    );
    // eyes open: still not done
    for _ in 0..5 {
        assert_eq!(s.push_frame(&with_ear(1.0), at(i)).done, 0);
        i += 1;
    }
    let again = i;
    for k in &blink[2..] {
        s.push_frame(&with_ear(*k), at(i));
        i += 1;
    }
    let mut o = b.clone();
    for m in [0.1, 0.3, 0.45] {
        o.mouth = b.mouth + m;
        s.push_frame(&o, at(i));
        i += 1;
    }
    let v = s.finish();
    assert!(v.passed, "{v:?}");
    assert_eq!(v.timings.len(), 2, "one timing per challenge: {v:?}");
    assert_eq!(
        v.reactions[0].1,
        at(again) - at(9),
        "timed from the take-back: {v:?}"
    );
}

/// A nod begun but too small (3–5° against the 6.5° asked) gets the hint `bigger` after a while, at
/// the person's pace (the kiosk asks for a deeper nod), and passes once the nod is deep enough.
#[test]
fn a_small_nod_is_asked_to_be_deeper_then_passes() {
    let b = base();
    let lm = b.landmarks.clone().unwrap();
    let nod = |deg: f32| obs_from(rotate(&lm, 0.0, deg), &b);
    for pace in [Pace::Standard, Pace::Elder] {
        let cfg = LivenessConfig::for_pace(pace);
        let after = cfg.bigger_after.unwrap();
        let mut s = LivenessSession::new(vec![Challenge::Nod], cfg);
        let mut hints = Vec::new();
        let mut i = 0u64;
        let mut push =
            |s: &mut LivenessSession, o: &Observation, hints: &mut Vec<(u64, &'static str)>| {
                let p = s.push_frame(o, Duration::from_millis(33 * i));
                if hints.last().map(|h: &(u64, &str)| h.1) != Some(p.hint) {
                    hints.push((33 * i, p.hint));
                }
                i += 1;
            };
        push(&mut s, &b, &mut hints);
        // small nods, up and down, for twice the time the hint waits
        let frames = 2 * after.as_millis() as u64 / 33;
        for k in 0..frames {
            let deg = 3.0 + 2.0 * ((k as f32) / 6.0).sin().abs();
            push(&mut s, &nod(deg), &mut hints);
        }
        let asked = hints.iter().find(|h| h.1 == "bigger").map(|h| h.0);
        assert!(
            asked.is_some_and(|at| at >= after.as_millis() as u64),
            "{pace:?}: {hints:?}"
        );
        for deg in [6.0, 9.0, 12.0, 9.0, 3.0, 0.0] {
            push(&mut s, &nod(deg), &mut hints);
        }
        let v = s.finish();
        assert!(v.passed, "{pace:?}: {v:?}");
    }
}
