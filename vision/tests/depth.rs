//! Depth from head motion on landmark sets made from the real mesh of a registry photo: the real 3-D
//! mesh rotated (a head) against the same face printed on paper — flat, folded down the nose, folded
//! across, bent as a cylinder — turned or tipped in front of a pinhole camera. The fits are the real
//! `depth_fit`; the sheets are exact, so the landmark noise of real frames is missing here (the
//! end-to-end tests in `independent.rs` have it).

use jiuzhu_vision::depth::depth_fit;
use jiuzhu_vision::image::load_bgr;
use jiuzhu_vision::liveness::LivenessConfig;
use jiuzhu_vision::{FacePipeline, Landmarks, ModelPaths};
use rstest::rstest;

fn mesh() -> Landmarks {
    let paths = ModelPaths::locate();
    let mut p = FacePipeline::load(&paths).unwrap();
    p.analyse(&load_bgr(&paths.test_image("obama.jpg").unwrap()).unwrap())
        .unwrap()
        .landmarks
        .unwrap()
}

/// Rotates 3-D points (centred) by yaw then pitch and projects them with a pinhole at `dist` face
/// sizes.
fn view(points: &[[f32; 3]], centre: (f32, f32), side: f32, yaw: f32, pitch: f32) -> Landmarks {
    let dist = 5.0 * side;
    let (sy, cy) = yaw.to_radians().sin_cos();
    let (sp, cp) = pitch.to_radians().sin_cos();
    let out = points
        .iter()
        .map(|&[x, y, z]| {
            let (x1, z1) = (x * cy - z * sy, x * sy + z * cy);
            let (y2, z2) = (y * cp - z1 * sp, y * sp + z1 * cp);
            let k = dist / (dist + z2);
            [centre.0 + x1 * k, centre.1 + y2 * k, z2]
        })
        .collect();
    Landmarks {
        points: out,
        score: 1.0,
    }
}

#[derive(Clone, Copy, Debug)]
enum Body {
    Head,
    Flat,
    VFold(f32),
    HFold(f32),
    Cylinder(f32),
}

/// The face's points on `body` (centred coordinates, depth away from the camera).
fn shape(lm: &Landmarks, body: Body) -> (Vec<[f32; 3]>, (f32, f32), f32) {
    let (cx, cy, side) = lm.extent();
    let cz = lm.points.iter().map(|p| p[2]).sum::<f32>() / lm.points.len() as f32;
    let pts = lm
        .points
        .iter()
        .map(|p| {
            let (x, y) = (p[0] - cx, p[1] - cy);
            match body {
                Body::Head => [x, y, p[2] - cz],
                Body::Flat => [x, y, 0.0],
                Body::VFold(deg) => {
                    let (s, c) = deg.to_radians().sin_cos();
                    [x * c, y, x.abs() * s]
                }
                Body::HFold(deg) => {
                    let (s, c) = deg.to_radians().sin_cos();
                    [x, y * c, y.abs() * s]
                }
                Body::Cylinder(r) => {
                    let r = r * side;
                    [r * (x / r).sin(), y, r * (1.0 - (x / r).cos())]
                }
            }
        })
        .collect();
    (pts, (cx, cy), side)
}

/// The sheet residual (depth beyond any paper surface) of `body` turned by `yaw` and tipped by
/// `pitch`, from its frontal view.
fn depth_of(body: Body, yaw: f32, pitch: f32) -> (f32, f32, f32) {
    let lm = mesh();
    let (pts, c, side) = shape(&lm, body);
    let base = view(&pts, c, side, 0.0, 0.0);
    let now = view(&pts, c, side, yaw, pitch);
    let mut base = base;
    // the baseline's depth is what the mesh network predicts on the frontal image: a face shape,
    // whatever the body (the network hallucinates depth on a print)
    for (b, p) in base.points.iter_mut().zip(&lm.points) {
        b[2] = p[2];
    }
    let f = depth_fit(&base, &now).unwrap();
    eprintln!(
        "{body:?} yaw {yaw} pitch {pitch}: plane {:.4} sheet {:.4} head {:.4} → depth {:.4}",
        f.plane,
        f.sheet,
        f.head,
        f.depth()
    );
    (f.depth(), f.sheet, f.head)
}

#[rstest]
#[case::turn(25.0, 0.0)]
#[case::small_turn(-18.0, 0.0)]
#[case::nod(0.0, 14.0)]
fn a_turning_head_shows_depth_beyond_every_paper_surface(#[case] yaw: f32, #[case] pitch: f32) {
    let min = LivenessConfig::default().min_depth.unwrap();
    let (depth, sheet, head) = depth_of(Body::Head, yaw, pitch);
    assert!(
        depth > min,
        "head depth {depth} (sheet {sheet}, head {head})"
    );
    assert!(
        head < sheet / 4.0,
        "the rigid head fits better: {head} vs {sheet}"
    );
}

#[rstest]
#[case::flat(Body::Flat, 35.0, 0.0)]
#[case::flat_tipped(Body::Flat, 0.0, 25.0)]
#[case::v_fold_20(Body::VFold(20.0), 35.0, 0.0)]
#[case::v_fold_40(Body::VFold(40.0), -35.0, 0.0)]
#[case::v_fold_nod(Body::VFold(30.0), 0.0, 25.0)]
#[case::h_fold(Body::HFold(30.0), 35.0, 0.0)]
#[case::h_fold_nod(Body::HFold(30.0), 0.0, 25.0)]
#[case::cylinder(Body::Cylinder(0.8), 35.0, 0.0)]
#[case::tight_cylinder(Body::Cylinder(0.5), -35.0, 0.0)]
#[case::cylinder_nod(Body::Cylinder(0.6), 0.0, 25.0)]
fn paper_flat_folded_or_bent_shows_none(#[case] body: Body, #[case] yaw: f32, #[case] pitch: f32) {
    let min = LivenessConfig::default().min_depth.unwrap();
    let (depth, sheet, _) = depth_of(body, yaw, pitch);
    assert!(depth < min / 3.0, "{body:?}: depth {depth} (sheet {sheet})");
}
