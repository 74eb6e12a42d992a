//! Generated test clips from the registry photos: genuine sessions rendered from the face mesh, and
//! presentation attacks (print, screen, swap, two faces). Everything is made in memory at test time.
//!
//! A [`Subject`] is one registry photo placed on a 640×480 stage with its 468 mesh points, a ring of
//! points that follow the head (hair, ears) and a fixed outer ring and border (background), triangulated
//! once (Delaunay on the neutral positions). A frame is a piecewise-affine warp of the stage, triangle by
//! triangle, far triangles first and back-facing ones culled:
//! - blink: the upper eyelid points (and the skin above them, with a falloff) move down to meet the
//!   lower lid, which rises a little;
//! - mouth: the lower lip, chin and jaw drop, the gap between the inner lips is painted as a mouth cavity
//!   with upper teeth;
//! - head turns and nods: the mesh's 3-D points are rotated about a neck pivot behind the face and
//!   projected with a pinhole camera, so nose, cheeks and contour move with real parallax.
//!
//! Then camera effects: sensor noise, a little jitter and a slow brightness drift. Attacks reuse these
//! renders: a print is the still stage with halftone and lower contrast on a sheet that is bent, tilted
//! and jittered in 3-D; a screen shows a still or a recorded session with gamma, blur, a bezel, a
//! reflection and moiré, held flat in front of the camera.

use std::cmp::Ordering;

use jiuzhu_drivers_api::camera::Frame;
use opencv::core::{
    self as cvcore, BORDER_CONSTANT, BORDER_REFLECT_101, CV_8U, CV_8UC3, CV_16SC3, CV_32F,
    CV_32FC3, Mat, Point, Point2f, Rect, Scalar, Size, Vec6f, Vector,
};
use opencv::imgproc;
use opencv::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::detect::FaceBox;
use crate::image::{bgr_to_frame, load_bgr};
use crate::liveness::Challenge;
use crate::mesh::POINTS;
use crate::models::{ModelPaths, Result, VisionError};
use crate::pipeline::FacePipeline;

/// Stage width.
pub const WIDTH: i32 = 640;
/// Stage height.
pub const HEIGHT: i32 = 480;
/// Face box side on the stage, in pixels.
const FACE_SIDE: f32 = 190.0;
const FACE_CENTRE: (f32, f32) = (320.0, 225.0);

/// Upper and lower eyelid contours (mesh indices, corner to corner) of each eye.
const EYES: [([usize; 9], [usize; 9]); 2] = [
    (
        [33, 246, 161, 160, 159, 158, 157, 173, 133],
        [33, 7, 163, 144, 145, 153, 154, 155, 133],
    ),
    (
        [263, 466, 388, 387, 386, 385, 384, 398, 362],
        [263, 249, 390, 373, 374, 380, 381, 382, 362],
    ),
];
/// Inner lip contours, corner to corner.
const UPPER_INNER_LIP: [usize; 11] = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308];
const LOWER_INNER_LIP: [usize; 11] = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308];
/// Mouth corners (outer and inner).
const MOUTH_CORNERS: [usize; 4] = [61, 291, 78, 308];

/// The registry photos used as subjects, with the person they show.
pub const REGISTRY_SUBJECTS: [(&str, &str); 4] = [
    ("obama.jpg", "obama"),
    ("obama2.jpg", "obama"),
    ("obama3.jpg", "obama"),
    ("biden.jpg", "biden"),
];

/// What a clip shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ClipKind {
    /// A live person doing the requested challenges.
    Genuine,
    /// A printed photo held by hand: jitter, tilt, bending, halftone, lower contrast. When a head
    /// challenge is asked the attacker tilts or tips the print; otherwise flexes it.
    Print,
    /// A still photo on a phone screen held by hand: gamma, blur, bezel, reflection, moiré.
    ScreenPhoto,
    /// A recording of the same person doing a different challenge sequence, replayed on a screen.
    ScreenReplay,
    /// A recording of the person doing all five actions in a row, replayed on a screen.
    ScreenAllActions,
    /// Person A does the first challenge, then person B (aligned to the same place and size) the rest.
    Swap,
    /// The person does the challenges with a second face in view.
    TwoFaces,
    /// A screen showing the person doing exactly the requested challenges in time (a live puppet or
    /// deepfake driven by the attacker). Geometry cannot tell it from a live face; reported, not
    /// expected to be rejected.
    ScreenPuppet,
}

impl ClipKind {
    /// Every attack kind.
    pub const ATTACKS: [ClipKind; 7] = [
        ClipKind::Print,
        ClipKind::ScreenPhoto,
        ClipKind::ScreenReplay,
        ClipKind::ScreenAllActions,
        ClipKind::Swap,
        ClipKind::TwoFaces,
        ClipKind::ScreenPuppet,
    ];

    /// Short name (`genuine`, `print`, `screen-photo`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ClipKind::Genuine => "genuine",
            ClipKind::Print => "print",
            ClipKind::ScreenPhoto => "screen-photo",
            ClipKind::ScreenReplay => "screen-replay",
            ClipKind::ScreenAllActions => "screen-all-actions",
            ClipKind::Swap => "swap",
            ClipKind::TwoFaces => "two-faces",
            ClipKind::ScreenPuppet => "screen-puppet",
        }
    }

    /// Parses [`ClipKind::name`].
    pub fn parse(s: &str) -> Option<Self> {
        std::iter::once(ClipKind::Genuine)
            .chain(Self::ATTACKS)
            .find(|k| k.name() == s)
    }

    /// True for presentation attacks.
    pub fn is_attack(self) -> bool {
        self != ClipKind::Genuine
    }
}

/// What to render.
#[derive(Clone, Debug, PartialEq)]
pub struct ClipSpec {
    /// Genuine or which attack.
    pub kind: ClipKind,
    /// The challenges the kiosk asks for (the clip performs them, or tries to).
    pub challenges: Vec<Challenge>,
    /// Seed of every random choice (timing, amplitudes, noise).
    pub seed: u64,
    /// Frames per second.
    pub fps: f64,
    /// Mirror the subject left-right (a different-looking clip of the same person).
    pub mirror: bool,
}

/// A rendered clip. Biometric data: `Debug` never shows pixels.
#[derive(Clone)]
pub struct Clip {
    /// The frames, `fps` apart.
    pub frames: Vec<Frame>,
    /// Frames per second.
    pub fps: f64,
    /// What was rendered.
    pub kind: ClipKind,
    /// Challenges the clip was made for.
    pub challenges: Vec<Challenge>,
    /// Person whose face the kiosk should see at the end (the one to match against).
    pub person: String,
    /// Per frame, how much of the kiosk screen's light each pixel reflects back to the camera
    /// (CV_8U, half the frame's size, 255 = a white surface facing the screen): the head's Lambert
    /// cosine for live people, an even share over a print, none for screens (they emit their
    /// picture). A simulated camera uses it to answer the kiosk's colour flashes. Empty unless
    /// rendered by [`Generator::render_with_light`].
    pub light: Vec<Mat>,
    /// Per frame, the scene in near infrared (Gray8, the frame's size) as a binocular camera's NIR
    /// lens with its illuminator sees it ([`crate::nir::render`]: skin for live people, nothing for
    /// screens; prints in carbon black on even seeds, in inkjet dyes on odd ones). Empty unless
    /// rendered by [`Generator::render_binocular`].
    pub nir: Vec<Frame>,
}

impl std::fmt::Debug for Clip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clip")
            .field("frames", &self.frames)
            .field("fps", &self.fps)
            .field("kind", &self.kind)
            .field("challenges", &self.challenges)
            .field("person", &self.person)
            .field("light", &format_args!("{} maps", self.light.len()))
            .field("nir", &format_args!("{} frames", self.nir.len()))
            .finish()
    }
}

/// One pose and expression of the head.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HeadState {
    /// Degrees, positive turns the face towards the image's right.
    pub yaw: f32,
    /// Degrees, positive = chin down.
    pub pitch: f32,
    /// Degrees in the image plane.
    pub roll: f32,
    /// Eye closure 0 (open) ..1 (closed).
    pub blink: f32,
    /// Mouth opening 0..1 (wide open).
    pub mouth: f32,
}

/// A registry photo placed on the stage with its mesh rig.
pub struct Subject {
    /// File name of the photo.
    pub photo: String,
    /// Person shown.
    pub person: String,
    stage: Mat,
    /// 3-D positions: mesh points, then the head ring, then the fixed ring and border.
    rest: Vec<[f32; 3]>,
    head_points: usize,
    triangles: Vec<[usize; 3]>,
    blink_dy: Vec<f32>,
    mouth_dy: Vec<f32>,
    pivot: [f32; 3],
    camera_dist: f32,
}

impl std::fmt::Debug for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Subject({}, {} triangles, pixels masked)",
            self.photo,
            self.triangles.len()
        )
    }
}

fn err(msg: impl Into<String>) -> VisionError {
    VisionError::Image("synthetic clip".into(), msg.into())
}

fn smooth(x: f32) -> f32 {
    let x = x.clamp(0.0, 1.0);
    x * x * (3.0 - 2.0 * x)
}

/// Interpolated y of a polyline (points sorted by x) at `x`, clamped at its ends.
fn curve_y(curve: &[(f32, f32)], x: f32) -> f32 {
    let first = curve[0];
    let last = curve[curve.len() - 1];
    if x <= first.0 {
        return first.1;
    }
    if x >= last.0 {
        return last.1;
    }
    for w in curve.windows(2) {
        let (a, b) = (w[0], w[1]);
        if x >= a.0 && x <= b.0 {
            let t = if b.0 > a.0 {
                (x - a.0) / (b.0 - a.0)
            } else {
                0.0
            };
            return a.1 + t * (b.1 - a.1);
        }
    }
    last.1
}

fn polyline(points: &[[f32; 3]], idx: &[usize]) -> Vec<(f32, f32)> {
    let mut c: Vec<(f32, f32)> = idx.iter().map(|&i| (points[i][0], points[i][1])).collect();
    c.sort_by(|a, b| a.0.total_cmp(&b.0));
    c
}

/// Vertical displacement of every mesh point for fully closed eyes.
fn blink_field(points: &[[f32; 3]]) -> Vec<f32> {
    let mut dy = vec![0.0f32; points.len()];
    for (upper, lower) in EYES {
        let up = polyline(points, &upper);
        let lo = polyline(points, &lower);
        let (x0, x1) = (up[0].0, up[up.len() - 1].0);
        let w = (x1 - x0).max(1.0);
        for (i, p) in points.iter().enumerate() {
            let (x, y) = (p[0], p[1]);
            if x < x0 - 0.05 * w || x > x1 + 0.05 * w {
                continue;
            }
            let (yu, yl) = (curve_y(&up, x), curve_y(&lo, x));
            let h = (yl - yu).max(0.0);
            let meet = yu + 0.78 * h;
            let d = if upper[1..8].contains(&i) {
                meet - yu
            } else if lower[1..8].contains(&i) {
                meet - yl
            } else if y < yu && yu - y < 0.8 * w {
                (meet - yu) * (1.0 - (yu - y) / (0.8 * w))
            } else if y > yl && y - yl < 0.35 * w {
                (meet - yl) * (1.0 - (y - yl) / (0.35 * w))
            } else {
                0.0
            };
            if d.abs() > dy[i].abs() {
                dy[i] = d;
            }
        }
    }
    dy
}

/// Vertical displacement of every mesh point for a wide-open mouth (the jaw drops).
fn mouth_field(points: &[[f32; 3]]) -> Vec<f32> {
    let upper = polyline(points, &UPPER_INNER_LIP);
    let (x0, x1) = (upper[0].0, upper[upper.len() - 1].0);
    let mw = (x1 - x0).max(1.0);
    let xm = (x0 + x1) / 2.0;
    let drop = 0.35 * mw;
    let chin = points[152];
    points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (x, y) = (p[0], p[1]);
            if UPPER_INNER_LIP[1..10].contains(&i) {
                return 0.0;
            }
            let lateral = ((x - xm).abs() / (1.6 * mw)).min(1.0);
            if LOWER_INNER_LIP[1..10].contains(&i) {
                return drop * (1.0 - lateral * lateral);
            }
            if MOUTH_CORNERS.contains(&i) {
                return 0.3 * drop;
            }
            let yu = curve_y(&upper, x);
            if y <= yu + 0.5 || y > chin[1] + 0.2 * mw {
                return 0.0;
            }
            let lateral = ((x - xm).abs() / (1.6 * mw)).min(1.0);
            let hf = 1.0 - lateral * lateral;
            // the jaw hinges near the ears: points just below the mouth corners level move less
            let vf = ((y - yu) / (0.25 * mw)).min(1.0);
            drop * hf * (0.35 + 0.65 * vf)
        })
        .collect()
}

fn ring(centre: (f32, f32), points: &[[f32; 3]], scale: f32, n: usize) -> Vec<(f32, f32)> {
    let mut radius = vec![0.0f32; n];
    for p in points {
        let (dx, dy) = (p[0] - centre.0, p[1] - centre.1);
        let a = dy.atan2(dx).rem_euclid(std::f32::consts::TAU);
        let k = ((a / std::f32::consts::TAU) * n as f32) as usize % n;
        radius[k] = radius[k].max((dx * dx + dy * dy).sqrt());
    }
    // smooth over neighbours so that the ring is convex-ish
    let r: Vec<f32> = (0..n)
        .map(|k| {
            let a = radius[(k + n - 1) % n];
            let b = radius[k];
            let c = radius[(k + 1) % n];
            a.max(b).max(c)
        })
        .collect();
    (0..n)
        .map(|k| {
            let a = (k as f32 + 0.5) / n as f32 * std::f32::consts::TAU;
            (
                centre.0 + scale * r[k] * a.cos(),
                centre.1 + scale * r[k] * a.sin(),
            )
        })
        .collect()
}

fn delaunay(points: &[[f32; 3]], w: i32, h: i32) -> Result<Vec<[usize; 3]>> {
    let mut sub = imgproc::Subdiv2D::new(Rect::new(-2, -2, w + 4, h + 4))?;
    for p in points {
        sub.insert(Point2f::new(p[0], p[1]))?;
    }
    let mut list: Vector<Vec6f> = Vector::new();
    sub.get_triangle_list(&mut list)?;
    let find = |x: f32, y: f32| {
        points
            .iter()
            .position(|p| (p[0] - x).abs() < 0.01 && (p[1] - y).abs() < 0.01)
    };
    let mut out = Vec::new();
    for t in list {
        let ids = [find(t[0], t[1]), find(t[2], t[3]), find(t[4], t[5])];
        if let [Some(a), Some(b), Some(c)] = ids {
            out.push([a, b, c]);
        }
    }
    Ok(out)
}

/// Places `photo` so that its face box has side [`FACE_SIDE`] around [`FACE_CENTRE`] on a
/// [`WIDTH`]×[`HEIGHT`] stage (edges reflected where the photo is too small).
fn stage_photo(photo: &Mat, face: &FaceBox, mirror: bool) -> Result<Mat> {
    let k = FACE_SIDE / face.w.max(face.h).max(1.0);
    let (mut sx, tx) = (k, FACE_CENTRE.0 - k * face.cx);
    let mut tx = tx;
    if mirror {
        sx = -k;
        tx = FACE_CENTRE.0 + k * face.cx;
    }
    let m = Mat::from_slice_2d(&[
        [sx as f64, 0.0, tx as f64],
        [0.0, k as f64, (FACE_CENTRE.1 - k * face.cy) as f64],
    ])?;
    let mut out = Mat::default();
    imgproc::warp_affine(
        photo,
        &mut out,
        &m,
        Size::new(WIDTH, HEIGHT),
        imgproc::INTER_AREA,
        BORDER_REFLECT_101,
        Scalar::default(),
    )?;
    Ok(out)
}

impl Subject {
    /// Stages `photo` (BGR) for rendering: detection, mesh, rings, triangulation.
    pub fn from_photo(
        pipeline: &mut FacePipeline,
        photo: &Mat,
        name: &str,
        person: &str,
        mirror: bool,
    ) -> Result<Self> {
        let dets = pipeline.detect(photo)?;
        let det = dets
            .first()
            .ok_or_else(|| VisionError::NoFace(name.into()))?;
        let stage = stage_photo(photo, &det.bbox, mirror)?;
        pipeline.reset();
        let obs = pipeline.analyse(&stage)?;
        let lm = obs
            .landmarks
            .ok_or_else(|| VisionError::NoFace(format!("{name} on the stage")))?;
        pipeline.reset();
        let mesh = lm.points;
        let (cx, cy, side) = {
            let (x0, x1) = mesh
                .iter()
                .fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p[0]), b.max(p[0])));
            let (y0, y1) = mesh
                .iter()
                .fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p[1]), b.max(p[1])));
            ((x0 + x1) / 2.0, (y0 + y1) / 2.0, (x1 - x0).max(y1 - y0))
        };
        let cz = mesh.iter().map(|p| p[2]).sum::<f32>() / mesh.len() as f32;
        let mut rest = mesh.clone();
        // head ring: hair, ears, the sides of the head; rotates with the head, behind the face
        for (x, y) in ring((cx, cy), &mesh, 1.18, 28) {
            rest.push([x, y, cz + 0.45 * side]);
        }
        let head_points = rest.len();
        // background ring and border: fixed
        let clampx = |x: f32| x.clamp(0.0, (WIDTH - 1) as f32);
        let clampy = |y: f32| y.clamp(0.0, (HEIGHT - 1) as f32);
        let mut fixed: Vec<(f32, f32)> = ring((cx, cy), &mesh, 1.75, 24)
            .into_iter()
            .map(|(x, y)| (clampx(x), clampy(y)))
            .collect();
        for i in 0..=8 {
            let x = clampx(i as f32 * WIDTH as f32 / 8.0);
            fixed.push((x, 0.0));
            fixed.push((x, (HEIGHT - 1) as f32));
        }
        for i in 1..6 {
            let y = clampy(i as f32 * HEIGHT as f32 / 6.0);
            fixed.push((0.0, y));
            fixed.push(((WIDTH - 1) as f32, y));
        }
        for (x, y) in fixed {
            if rest
                .iter()
                .all(|p| (p[0] - x).abs() + (p[1] - y).abs() > 6.0)
            {
                rest.push([x, y, cz + 20.0 * side]);
            }
        }
        let triangles = delaunay(&rest, WIDTH, HEIGHT)?;
        let blink_dy = blink_field(&mesh);
        let mouth_dy = mouth_field(&mesh);
        Ok(Self {
            photo: name.into(),
            person: person.into(),
            stage,
            rest,
            head_points,
            triangles,
            blink_dy,
            mouth_dy,
            pivot: [cx, cy + 0.15 * side, cz + 0.55 * side],
            camera_dist: 5.0 * side,
        })
    }

    /// The staged photo (neutral, no camera effects).
    pub fn stage(&self) -> &Mat {
        &self.stage
    }

    /// Number of triangles of the rig.
    pub fn triangle_count(&self) -> usize {
        self.triangles.len()
    }

    /// Positions (x, y, depth) of every rig point for `s`.
    fn posed(&self, s: &HeadState) -> Vec<[f32; 3]> {
        let (sy, cy) = s.yaw.to_radians().sin_cos();
        let (sp, cp) = s.pitch.to_radians().sin_cos();
        let (sr, cr) = s.roll.to_radians().sin_cos();
        let [px, py, pz] = self.pivot;
        let d = self.camera_dist;
        let cz = self.pivot[2] - 0.55 * (self.camera_dist / 5.0);
        self.rest
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if i >= self.head_points {
                    return *p;
                }
                let mut y = p[1];
                if i < POINTS {
                    y += s.blink * self.blink_dy[i] + s.mouth * self.mouth_dy[i];
                }
                let (x, y, z) = (p[0] - px, y - py, p[2] - pz);
                // yaw about the vertical axis, then pitch about the horizontal, then roll in the image
                let (x1, z1) = (x * cy - z * sy, x * sy + z * cy);
                let (y2, z2) = (y * cp - z1 * sp, y * sp + z1 * cp);
                let (x3, y3) = (x1 * cr - y2 * sr, x1 * sr + y2 * cr);
                let depth = z2 + pz - cz;
                let f = d / (d + depth).max(1.0);
                let f0 = d / (d + (p[2] - cz)).max(1.0);
                let k = f / f0.max(1e-3);
                [px + x3 * k, py + y3 * k, z2 + pz]
            })
            .collect()
    }

    /// Renders the head in state `s` (no camera effects).
    pub fn render(&self, s: &HeadState) -> Result<Mat> {
        let posed = self.posed(s);
        let mut out = self.stage.try_clone()?;
        let mut order: Vec<(f32, usize)> = self
            .triangles
            .iter()
            .enumerate()
            .filter(|(_, t)| {
                t.iter().any(|&v| {
                    (posed[v][0] - self.rest[v][0]).abs() > 0.05
                        || (posed[v][1] - self.rest[v][1]).abs() > 0.05
                })
            })
            .map(|(i, t)| (t.iter().map(|&v| posed[v][2]).sum::<f32>(), i))
            .collect();
        order.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(Ordering::Equal));
        for (_, i) in order {
            let t = self.triangles[i];
            let src = t.map(|v| (self.rest[v][0], self.rest[v][1]));
            let dst = t.map(|v| (posed[v][0], posed[v][1]));
            let (a0, a1) = (signed_area(&src), signed_area(&dst));
            if a0 * a1 <= 0.0 {
                continue;
            }
            warp_triangle(&self.stage, &mut out, src, dst)?;
        }
        if s.mouth > 0.05 {
            out = paint_mouth(&out, &posed, s.mouth)?;
        }
        if s.blink > 0.3 {
            out = self.paint_eyelids(&out, &posed, (s.blink - 0.3) / 0.7)?;
        }
        Ok(out)
    }
}

impl Subject {
    /// Renders the head in state `s` lit also by the kiosk screen's colour `screen` (R, G, B in 0..1)
    /// at `strength` relative to the room light: the added light follows Lambert's law on the posed
    /// rig's surface normals (the screen sits around the camera, so the cosine is the normal's
    /// component towards the camera) and is reflected in proportion to the skin's own colour; the
    /// room behind gets none (too far from the screen).
    pub fn render_lit(&self, s: &HeadState, screen: [f32; 3], strength: f32) -> Result<Mat> {
        let img = self.render(s)?;
        if strength <= 0.0 || screen.iter().all(|&c| c <= 0.0) {
            return Ok(img);
        }
        let soft = self.screen_shade(s)?;
        let mut out = img.try_clone()?;
        let sh = soft.data_typed::<f32>()?;
        let ob = out.data_bytes_mut()?;
        for (i, &k) in sh.iter().enumerate() {
            if k <= 0.0 {
                continue;
            }
            for c in 0..3 {
                let v = f32::from(ob[3 * i + c]);
                // BGR pixel, RGB screen
                let lit = v * (1.0 + strength * screen[2 - c] * k);
                ob[3 * i + c] = lit.clamp(0.0, 255.0) as u8;
            }
        }
        Ok(out)
    }

    /// How squarely each pixel of the head in state `s` faces the kiosk's screen (which sits around
    /// the camera): the cosine of Lambert's law from the posed rig's surface normals, 0 off the head
    /// (CV_32F, frame size, softened by a σ 2 px blur).
    pub fn screen_shade(&self, s: &HeadState) -> Result<Mat> {
        let posed = self.posed(s);
        let mut normals = vec![[0.0f32; 3]; posed.len()];
        let head: Vec<&[usize; 3]> = self
            .triangles
            .iter()
            .filter(|t| t.iter().all(|&v| v < self.head_points))
            .collect();
        for t in &head {
            let [a, b, c] = t.map(|v| posed[v]);
            let (u, w) = (
                [b[0] - a[0], b[1] - a[1], b[2] - a[2]],
                [c[0] - a[0], c[1] - a[1], c[2] - a[2]],
            );
            let n = [
                u[1] * w[2] - u[2] * w[1],
                u[2] * w[0] - u[0] * w[2],
                u[0] * w[1] - u[1] * w[0],
            ];
            // orient towards the camera (negative z)
            let sign = if n[2] > 0.0 { -1.0 } else { 1.0 };
            for &v in t.iter() {
                for k in 0..3 {
                    normals[v][k] += sign * n[k];
                }
            }
        }
        let cosine = |v: usize| {
            let n = normals[v];
            let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
            if len > 0.0 {
                (-n[2] / len).max(0.0)
            } else {
                0.0
            }
        };
        let mut shade = Mat::zeros(HEIGHT, WIDTH, CV_32F)?.to_mat()?;
        let mut order: Vec<(f32, &[usize; 3])> = head
            .iter()
            .map(|t| (t.iter().map(|&v| posed[v][2]).sum::<f32>(), *t))
            .collect();
        order.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(Ordering::Equal));
        for (_, t) in order {
            let pts: Vector<Point> = t
                .iter()
                .map(|&v| Point::new(posed[v][0].round() as i32, posed[v][1].round() as i32))
                .collect();
            let c = t.iter().map(|&v| cosine(v)).sum::<f32>() / 3.0;
            imgproc::fill_convex_poly(
                &mut shade,
                &pts,
                Scalar::all(f64::from(c)),
                imgproc::LINE_8,
                0,
            )?;
        }
        let mut soft = Mat::default();
        imgproc::gaussian_blur(
            &shade,
            &mut soft,
            Size::new(0, 0),
            2.0,
            0.0,
            BORDER_REFLECT_101,
        )?;
        Ok(soft)
    }

    /// Covers the closing eyes with lid skin (the colour of the skin just below the eye) and draws the
    /// lash line where the lids meet; `amount` 0..1 is the opacity.
    fn paint_eyelids(&self, img: &Mat, posed: &[[f32; 3]], amount: f32) -> Result<Mat> {
        let mut painted = img.try_clone()?;
        let mut mask = Mat::zeros(img.rows(), img.cols(), CV_8U)?.to_mat()?;
        let mut lashes: Vector<Vector<Point>> = Vector::new();
        let mut feather = 1.0f64;
        for (upper, lower) in EYES {
            let w = ((self.rest[upper[0]][0] - self.rest[upper[8]][0]).powi(2)
                + (self.rest[upper[0]][1] - self.rest[upper[8]][1]).powi(2))
            .sqrt();
            feather = (0.07 * w as f64).max(1.0);
            let up = polyline(&self.rest, &upper);
            let xs = (up[0].0 + up[8].0) / 2.0;
            let yu = curve_y(&up, xs);
            // lid skin: the band between the eye and the brow
            let probe = Rect::new(
                (xs - 0.2 * w) as i32,
                (yu - 0.3 * w) as i32,
                (0.4 * w).max(2.0) as i32,
                (0.12 * w).max(2.0) as i32,
            );
            let skin = cvcore::mean_def(&Mat::roi(&self.stage, probe)?)?;
            // from above the resting upper lid down to the lower lid as posed
            let poly: Vector<Point> = upper
                .iter()
                .map(|&i| (self.rest[i][0], self.rest[i][1] - 0.04 * w))
                .chain(lower.iter().rev().map(|&i| (posed[i][0], posed[i][1])))
                .map(|(x, y)| Point::new(x.round() as i32, y.round() as i32))
                .collect();
            imgproc::fill_convex_poly(&mut painted, &poly, skin, imgproc::LINE_AA, 0)?;
            imgproc::fill_convex_poly(&mut mask, &poly, Scalar::all(255.0), imgproc::LINE_8, 0)?;
            lashes.push(
                upper
                    .iter()
                    .map(|&i| Point::new(posed[i][0].round() as i32, posed[i][1].round() as i32))
                    .collect(),
            );
        }
        let mut soft_mask = Mat::default();
        mask.convert_to(&mut soft_mask, CV_32F, amount as f64 / 255.0, 0.0)?;
        let mut blurred_mask = Mat::default();
        imgproc::gaussian_blur(
            &soft_mask,
            &mut blurred_mask,
            Size::new(0, 0),
            feather,
            feather,
            cvcore::BORDER_DEFAULT,
        )?;
        let mut out = blend(img, &painted, &blurred_mask)?;
        imgproc::polylines(
            &mut out,
            &lashes,
            false,
            Scalar::new(30.0, 28.0, 32.0, 0.0),
            1,
            imgproc::LINE_AA,
            0,
        )?;
        Ok(out)
    }
}

/// `a` where `alpha` (CV_32F, 0..1) is 0, `b` where it is 1.
fn blend(a: &Mat, b: &Mat, alpha: &Mat) -> Result<Mat> {
    let mut planes: Vector<Mat> = Vector::new();
    for _ in 0..3 {
        planes.push(alpha.try_clone()?);
    }
    let mut alpha3 = Mat::default();
    cvcore::merge(&planes, &mut alpha3)?;
    let (mut fa, mut fb) = (Mat::default(), Mat::default());
    a.convert_to(&mut fa, CV_32FC3, 1.0, 0.0)?;
    b.convert_to(&mut fb, CV_32FC3, 1.0, 0.0)?;
    let mut diff = Mat::default();
    cvcore::subtract(&fb, &fa, &mut diff, &cvcore::no_array(), -1)?;
    let mut scaled = Mat::default();
    cvcore::multiply(&diff, &alpha3, &mut scaled, 1.0, -1)?;
    let mut sum = Mat::default();
    cvcore::add(&fa, &scaled, &mut sum, &cvcore::no_array(), -1)?;
    let mut out = Mat::default();
    sum.convert_to(&mut out, CV_8UC3, 1.0, 0.0)?;
    Ok(out)
}

fn signed_area(t: &[(f32, f32); 3]) -> f32 {
    (t[1].0 - t[0].0) * (t[2].1 - t[0].1) - (t[2].0 - t[0].0) * (t[1].1 - t[0].1)
}

fn bounding(t: &[(f32, f32); 3], w: i32, h: i32, pad: i32) -> Option<Rect> {
    let x0 = t.iter().map(|p| p.0).fold(f32::MAX, f32::min).floor() as i32 - pad;
    let y0 = t.iter().map(|p| p.1).fold(f32::MAX, f32::min).floor() as i32 - pad;
    let x1 = t.iter().map(|p| p.0).fold(f32::MIN, f32::max).ceil() as i32 + pad + 1;
    let y1 = t.iter().map(|p| p.1).fold(f32::MIN, f32::max).ceil() as i32 + pad + 1;
    let (x0, y0, x1, y1) = (x0.max(0), y0.max(0), x1.min(w), y1.min(h));
    (x1 > x0 && y1 > y0).then(|| Rect::new(x0, y0, x1 - x0, y1 - y0))
}

/// Copies the triangle `src` of `from` onto the triangle `dst` of `to` (affine map, masked).
pub fn warp_triangle(
    from: &Mat,
    to: &mut Mat,
    src: [(f32, f32); 3],
    dst: [(f32, f32); 3],
) -> Result<()> {
    let Some(rs) = bounding(&src, from.cols(), from.rows(), 2) else {
        return Ok(());
    };
    let Some(rd) = bounding(&dst, to.cols(), to.rows(), 0) else {
        return Ok(());
    };
    let s: Vector<Point2f> = src
        .iter()
        .map(|p| Point2f::new(p.0 - rs.x as f32, p.1 - rs.y as f32))
        .collect();
    let d: Vector<Point2f> = dst
        .iter()
        .map(|p| Point2f::new(p.0 - rd.x as f32, p.1 - rd.y as f32))
        .collect();
    let m = imgproc::get_affine_transform(&s, &d)?;
    let patch_src = Mat::roi(from, rs)?;
    let mut patch = Mat::default();
    imgproc::warp_affine(
        &patch_src,
        &mut patch,
        &m,
        rd.size(),
        imgproc::INTER_LINEAR,
        BORDER_REFLECT_101,
        Scalar::default(),
    )?;
    let mut mask = Mat::zeros(rd.height, rd.width, CV_8U)?.to_mat()?;
    let poly: Vector<Point> = dst
        .iter()
        .map(|p| {
            Point::new(
                (p.0 - rd.x as f32).round() as i32,
                (p.1 - rd.y as f32).round() as i32,
            )
        })
        .collect();
    imgproc::fill_convex_poly(&mut mask, &poly, Scalar::all(255.0), imgproc::LINE_8, 0)?;
    let mut roi = Mat::roi_mut(to, rd)?;
    patch.copy_to_masked(&mut roi, &mask)?;
    Ok(())
}

fn paint_mouth(img: &Mat, posed: &[[f32; 3]], amount: f32) -> Result<Mat> {
    let pt = |i: usize| (posed[i][0], posed[i][1]);
    let up: Vec<(f32, f32)> = UPPER_INNER_LIP.iter().map(|&i| pt(i)).collect();
    let lo: Vec<(f32, f32)> = LOWER_INNER_LIP.iter().map(|&i| pt(i)).collect();
    let ipt = |p: &(f32, f32)| Point::new(p.0.round() as i32, p.1.round() as i32);
    let cavity: Vector<Point> = up.iter().chain(lo.iter().rev()).map(ipt).collect();
    let mut polys: Vector<Vector<Point>> = Vector::new();
    polys.push(cavity);
    let mut mask = Mat::zeros(img.rows(), img.cols(), CV_8U)?.to_mat()?;
    imgproc::fill_poly(
        &mut mask,
        &polys,
        Scalar::all(255.0),
        imgproc::LINE_8,
        0,
        Point::default(),
    )?;
    let mut layer = img.try_clone()?;
    imgproc::fill_poly(
        &mut layer,
        &polys,
        Scalar::new(22.0, 20.0, 48.0, 0.0),
        imgproc::LINE_AA,
        0,
        Point::default(),
    )?;
    let width = ((up[0].0 - up[10].0).powi(2) + (up[0].1 - up[10].1).powi(2)).sqrt();
    // upper teeth under the upper lip
    let teeth: Vector<Point> = up
        .iter()
        .map(ipt)
        .chain(
            up.iter()
                .zip(&lo)
                .rev()
                .map(|(u, l)| ipt(&(u.0, u.1 + 0.1 * (l.1 - u.1).max(0.0)))),
        )
        .collect();
    let mut polys: Vector<Vector<Point>> = Vector::new();
    polys.push(teeth);
    imgproc::fill_poly(
        &mut layer,
        &polys,
        Scalar::new(185.0, 195.0, 205.0, 0.0),
        imgproc::LINE_AA,
        0,
        Point::default(),
    )?;
    let mut alpha = Mat::default();
    mask.convert_to(&mut alpha, CV_32F, (amount.min(1.0) / 255.0) as f64, 0.0)?;
    let mut soft = Mat::default();
    let sigma = (0.03 * width as f64).max(0.8);
    imgproc::gaussian_blur(
        &alpha,
        &mut soft,
        Size::new(0, 0),
        sigma,
        sigma,
        cvcore::BORDER_DEFAULT,
    )?;
    let mut smooth_layer = Mat::default();
    imgproc::gaussian_blur(
        &layer,
        &mut smooth_layer,
        Size::new(3, 3),
        0.0,
        0.0,
        cvcore::BORDER_DEFAULT,
    )?;
    blend(img, &smooth_layer, &soft)
}

/// A scripted performance: the head state at each time.
#[derive(Clone, Debug)]
pub struct Script {
    /// Head states, one per frame.
    pub states: Vec<HeadState>,
    /// Frame index at which each challenge's action peaks.
    pub peaks: Vec<usize>,
}

fn bump(t: f32, start: f32, up: f32, hold: f32, down: f32) -> f32 {
    if t < start {
        0.0
    } else if t < start + up {
        smooth((t - start) / up)
    } else if t < start + up + hold {
        1.0
    } else {
        1.0 - smooth((t - start - up - hold) / down)
    }
}

/// A natural performance of `challenges`: a neutral start, for each challenge a reaction delay, the
/// action and the return, with slow sway and maybe a spontaneous blink; timings and amplitudes vary by
/// `rng`.
pub fn perform(challenges: &[Challenge], fps: f64, rng: &mut StdRng) -> Script {
    struct Action {
        ch: Challenge,
        start: f32,
        up: f32,
        hold: f32,
        down: f32,
        amp: f32,
    }
    let mut t = rng.gen_range(0.6..1.0f32);
    let mut actions = Vec::new();
    for &ch in challenges {
        t += rng.gen_range(0.3..0.8);
        let (up, hold, down, amp) = match ch {
            Challenge::Blink => (
                rng.gen_range(0.1..0.16),
                rng.gen_range(0.15..0.3),
                rng.gen_range(0.12..0.2),
                rng.gen_range(0.9..1.0),
            ),
            Challenge::OpenMouth => (
                rng.gen_range(0.25..0.4),
                rng.gen_range(0.4..0.7),
                rng.gen_range(0.25..0.4),
                rng.gen_range(0.8..1.0),
            ),
            Challenge::TurnLeft | Challenge::TurnRight => (
                rng.gen_range(0.5..0.8),
                rng.gen_range(0.2..0.4),
                rng.gen_range(0.4..0.6),
                rng.gen_range(24.0..32.0),
            ),
            Challenge::Nod => (
                rng.gen_range(0.4..0.6),
                rng.gen_range(0.2..0.3),
                rng.gen_range(0.35..0.5),
                rng.gen_range(16.0..24.0),
            ),
        };
        actions.push(Action {
            ch,
            start: t,
            up,
            hold,
            down,
            amp,
        });
        t += up + hold + down + rng.gen_range(0.2..0.5);
    }
    let end = t + rng.gen_range(0.5..0.8);
    let spontaneous = rng
        .gen_bool(0.4)
        .then(|| rng.gen_range(0.2..end - 0.4).max(0.0));
    let phase: [f32; 3] = [rng.r#gen(), rng.r#gen(), rng.r#gen()];
    let n = (end as f64 * fps).ceil() as usize;
    let mut peaks = Vec::new();
    for a in &actions {
        peaks.push(((a.start + a.up + a.hold / 2.0) as f64 * fps) as usize);
    }
    let states = (0..n)
        .map(|i| {
            let t = (i as f64 / fps) as f32;
            let tau = std::f32::consts::TAU;
            let mut s = HeadState {
                yaw: 1.5 * (tau * 0.23 * t + tau * phase[0]).sin(),
                pitch: 1.2 * (tau * 0.31 * t + tau * phase[1]).sin(),
                roll: 1.0 * (tau * 0.17 * t + tau * phase[2]).sin(),
                blink: 0.0,
                mouth: 0.0,
            };
            for a in &actions {
                let v = a.amp * bump(t, a.start, a.up, a.hold, a.down);
                match a.ch {
                    Challenge::Blink => s.blink = s.blink.max(v),
                    Challenge::OpenMouth => s.mouth = s.mouth.max(v),
                    Challenge::TurnLeft => s.yaw -= v,
                    Challenge::TurnRight => s.yaw += v,
                    Challenge::Nod => s.pitch += v,
                }
            }
            if let Some(b) = spontaneous {
                s.blink = s.blink.max(bump(t, b, 0.08, 0.08, 0.1));
            }
            s
        })
        .collect();
    Script { states, peaks }
}

/// Camera effects over a clip: a slow brightness drift, a little jitter, sensor noise.
struct Camera {
    rng: StdRng,
    phase: f32,
    pos: (f32, f32),
}

impl Camera {
    /// The translation of the last [`Camera::apply`] (its jitter plus `shift`), as a 2×3 matrix.
    fn motion(&self, shift: (f32, f32)) -> Result<Mat> {
        Ok(Mat::from_slice_2d(&[
            [1.0, 0.0, (self.pos.0 + shift.0) as f64],
            [0.0, 1.0, (self.pos.1 + shift.1) as f64],
        ])?)
    }

    /// Moves a map of the scene (the kiosk light's reflectance) as the last frame was moved, so
    /// that it stays on the face it belongs to.
    fn follow(&self, map: &Mat, shift: (f32, f32)) -> Result<Mat> {
        let mut moved = Mat::default();
        imgproc::warp_affine(
            map,
            &mut moved,
            &self.motion(shift)?,
            map.size()?,
            imgproc::INTER_LINEAR,
            BORDER_CONSTANT,
            Scalar::default(),
        )?;
        Ok(moved)
    }

    fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_ca3e);
        let phase = rng.r#gen();
        Self {
            rng,
            phase,
            pos: (0.0, 0.0),
        }
    }

    fn apply(&mut self, img: &Mat, t: f32, shift: (f32, f32)) -> Result<Mat> {
        self.pos.0 = (self.pos.0 + self.rng.gen_range(-0.6..0.6f32)).clamp(-2.0, 2.0);
        self.pos.1 = (self.pos.1 + self.rng.gen_range(-0.6..0.6f32)).clamp(-2.0, 2.0);
        let m = self.motion(shift)?;
        let mut moved = Mat::default();
        imgproc::warp_affine(
            img,
            &mut moved,
            &m,
            img.size()?,
            imgproc::INTER_LINEAR,
            BORDER_REFLECT_101,
            Scalar::default(),
        )?;
        let tau = std::f32::consts::TAU;
        let gain = 1.0 + 0.06 * (tau * (t / 6.0 + self.phase)).sin();
        let offset = 5.0 * (tau * (t / 4.0 + self.phase)).cos();
        let mut wide = Mat::default();
        moved.convert_to(&mut wide, CV_16SC3, gain as f64, offset as f64)?;
        let mut noise =
            Mat::new_rows_cols_with_default(img.rows(), img.cols(), CV_16SC3, Scalar::all(0.0))?;
        cvcore::randn(&mut noise, &Scalar::all(0.0), &Scalar::all(2.5))?;
        let mut sum = Mat::default();
        cvcore::add(&wide, &noise, &mut sum, &cvcore::no_array(), -1)?;
        let mut out = Mat::default();
        sum.convert_to(&mut out, CV_8UC3, 1.0, 0.0)?;
        Ok(out)
    }
}

/// A flat or bent sheet (print, phone) held in front of the camera: its texture, grid and pose.
struct Sheet {
    /// Half-bend angle in radians across the sheet width (0 = flat).
    bend: f32,
    yaw: f32,
    pitch: f32,
    roll: f32,
    shift: (f32, f32),
    scale: f32,
}

fn project_sheet(texture: &Mat, sheet: &Sheet, grid: (usize, usize)) -> Vec<(f32, f32, f32, f32)> {
    let (tw, th) = (texture.cols() as f32, texture.rows() as f32);
    let half = tw / 2.0;
    let r = if sheet.bend.abs() > 1e-4 {
        half / sheet.bend
    } else {
        f32::INFINITY
    };
    let (sy, cy) = sheet.yaw.to_radians().sin_cos();
    let (sp, cp) = sheet.pitch.to_radians().sin_cos();
    let (sr, cr) = sheet.roll.to_radians().sin_cos();
    let d = 4.0 * tw;
    let mut out = Vec::new();
    for j in 0..=grid.1 {
        for i in 0..=grid.0 {
            let u = i as f32 / grid.0 as f32 * tw;
            let v = j as f32 / grid.1 as f32 * th;
            let s = u - half;
            let (x, z) = if r.is_finite() {
                let a = s / r;
                (r * a.sin(), r * (1.0 - a.cos()))
            } else {
                (s, 0.0)
            };
            let y = v - th / 2.0;
            let (x1, z1) = (x * cy + z * sy, -x * sy + z * cy);
            let (y2, z2) = (y * cp - z1 * sp, y * sp + z1 * cp);
            let (x3, y3) = (x1 * cr - y2 * sr, x1 * sr + y2 * cr);
            let f = sheet.scale * d / (d + z2);
            out.push((
                u,
                v,
                WIDTH as f32 / 2.0 + sheet.shift.0 + x3 * f,
                HEIGHT as f32 / 2.0 + sheet.shift.1 + y3 * f,
            ));
        }
    }
    out
}

/// Draws `texture` bent and posed as `sheet` over `background`.
fn draw_sheet(background: &Mat, texture: &Mat, sheet: &Sheet, grid: (usize, usize)) -> Result<Mat> {
    let verts = project_sheet(texture, sheet, grid);
    let mut out = background.try_clone()?;
    let at = |i: usize, j: usize| verts[j * (grid.0 + 1) + i];
    for j in 0..grid.1 {
        for i in 0..grid.0 {
            let (a, b, c, d) = (at(i, j), at(i + 1, j), at(i + 1, j + 1), at(i, j + 1));
            for tri in [[a, b, c], [a, c, d]] {
                let src = tri.map(|p| (p.0, p.1));
                let dst = tri.map(|p| (p.2, p.3));
                warp_triangle(texture, &mut out, src, dst)?;
            }
        }
    }
    Ok(out)
}

/// A plain wall behind the attacker's sheet: a soft vertical gradient.
fn wall(seed: u64) -> Result<Mat> {
    let mut rng = StdRng::seed_from_u64(seed);
    let base: f64 = rng.gen_range(120.0..170.0);
    let mut col = Mat::new_rows_cols_with_default(HEIGHT, 1, CV_8UC3, Scalar::all(0.0))?;
    for y in 0..HEIGHT {
        let v = base + 30.0 * (y as f64 / HEIGHT as f64 - 0.5);
        *col.at_2d_mut::<cvcore::Vec3b>(y, 0)? =
            cvcore::Vec3b::from([(v * 0.95) as u8, v as u8, (v * 1.05).min(255.0) as u8]);
    }
    let mut out = Mat::default();
    imgproc::resize(
        &col,
        &mut out,
        Size::new(WIDTH, HEIGHT),
        0.0,
        0.0,
        imgproc::INTER_LINEAR,
    )?;
    Ok(out)
}

/// A pattern in 0..1 (CV_32FC3) multiplied into an image.
fn multiply_pattern(img: &Mat, pattern: &Mat) -> Result<Mat> {
    let mut f = Mat::default();
    img.convert_to(&mut f, CV_32FC3, 1.0, 0.0)?;
    let mut prod = Mat::default();
    cvcore::multiply(&f, pattern, &mut prod, 1.0, -1)?;
    let mut out = Mat::default();
    prod.convert_to(&mut out, CV_8UC3, 1.0, 0.0)?;
    Ok(out)
}

fn pattern(w: i32, h: i32, f: impl Fn(f32, f32) -> f32) -> Result<Mat> {
    let mut m = Mat::new_rows_cols_with_default(h, w, CV_32F, Scalar::all(1.0))?;
    for y in 0..h {
        let row = m.at_row_mut::<f32>(y)?;
        for (x, v) in row.iter_mut().enumerate() {
            *v = f(x as f32, y as f32);
        }
    }
    let mut planes: Vector<Mat> = Vector::new();
    for _ in 0..3 {
        planes.push(m.try_clone()?);
    }
    let mut out = Mat::default();
    cvcore::merge(&planes, &mut out)?;
    Ok(out)
}

/// The printed photo: a crop of the stage around the face with a white margin, a halftone dot screen
/// and lower contrast.
fn print_texture(stage: &Mat, rng: &mut StdRng) -> Result<Mat> {
    let (w, h) = (380, 460);
    let x = (FACE_CENTRE.0 as i32 - w / 2).max(0);
    let y = (FACE_CENTRE.1 as i32 - h / 2 + 20).clamp(0, HEIGHT - h);
    let crop = Mat::roi(stage, Rect::new(x, y, w, h.min(HEIGHT)))?.try_clone()?;
    let mut low = Mat::default();
    let contrast = rng.gen_range(0.7..0.85);
    crop.convert_to(&mut low, CV_8UC3, contrast, 255.0 * (1.0 - contrast) * 0.45)?;
    let period = rng.gen_range(2.5..4.0f32);
    let (s, c) = (0.785f32.sin(), 0.785f32.cos());
    let dots = pattern(low.cols(), low.rows(), |x, y| {
        let (u, v) = (x * c + y * s, -x * s + y * c);
        let k = std::f32::consts::TAU / period;
        0.93 + 0.07 * (k * u).cos() * (k * v).cos()
    })?;
    let inked = multiply_pattern(&low, &dots)?;
    let margin = 14;
    let mut paper = Mat::default();
    cvcore::copy_make_border(
        &inked,
        &mut paper,
        margin,
        margin,
        margin,
        margin,
        BORDER_CONSTANT,
        Scalar::new(236.0, 240.0, 242.0, 0.0),
    )?;
    Ok(paper)
}

/// The phone's display: the content with screen gamma, slight blur and a black bezel.
fn screen_texture(content: &Mat, gamma: f64) -> Result<Mat> {
    let mut lut = Mat::new_rows_cols_with_default(1, 256, CV_8U, Scalar::all(0.0))?;
    for i in 0..256 {
        *lut.at_2d_mut::<u8>(0, i)? = (255.0 * (i as f64 / 255.0).powf(gamma)).round() as u8;
    }
    let mut g = Mat::default();
    cvcore::lut(content, &lut, &mut g)?;
    let mut blurred = Mat::default();
    imgproc::gaussian_blur(
        &g,
        &mut blurred,
        Size::new(3, 3),
        0.8,
        0.8,
        cvcore::BORDER_DEFAULT,
    )?;
    let mut framed = Mat::default();
    cvcore::copy_make_border(
        &blurred,
        &mut framed,
        22,
        22,
        30,
        30,
        BORDER_CONSTANT,
        Scalar::new(12.0, 12.0, 14.0, 0.0),
    )?;
    Ok(framed)
}

/// Moiré of the screen grid against the sensor (two beats) and a reflection band, as a gain pattern
/// (CV_32FC3) twice the frame size so that it can drift with the hand.
fn screen_optics(period: f32, angle: f32) -> Result<Mat> {
    let (s, c) = angle.sin_cos();
    let tau = std::f32::consts::TAU;
    pattern(2 * WIDTH, 2 * HEIGHT, |x, y| {
        let u = x * c + y * s;
        let beat = (tau * u / period).sin();
        let beat2 = (tau * (x * 0.7 - y * 0.3) / (period * 1.7)).sin();
        let glare = (-((x - y * 0.6 - 420.0).powi(2)) / (2.0 * 70.0f32.powi(2))).exp();
        (1.0 + 0.07 * beat + 0.04 * beat2) * (1.0 + 0.25 * glare)
    })
}

/// Applies the part of `optics` shifted by `offset` inside `mask`.
fn apply_optics(img: &Mat, mask: &Mat, optics: &Mat, offset: (i32, i32)) -> Result<Mat> {
    let x = offset.0.clamp(0, WIDTH);
    let y = offset.1.clamp(0, HEIGHT);
    let part = Mat::roi(optics, Rect::new(x, y, WIDTH, HEIGHT))?.try_clone()?;
    let lit = multiply_pattern(img, &part)?;
    let mut out = img.try_clone()?;
    lit.copy_to_masked(&mut out, mask)?;
    Ok(out)
}

fn sheet_mask(texture: &Mat, sheet: &Sheet) -> Result<Mat> {
    let verts = project_sheet(texture, sheet, (1, 1));
    let mut mask = Mat::zeros(HEIGHT, WIDTH, CV_8U)?.to_mat()?;
    let poly: Vector<Point> = [0usize, 1, 3, 2]
        .iter()
        .map(|&i| Point::new(verts[i].2.round() as i32, verts[i].3.round() as i32))
        .collect();
    imgproc::fill_convex_poly(&mut mask, &poly, Scalar::all(255.0), imgproc::LINE_8, 0)?;
    Ok(mask)
}

/// Hand-held motion: a slow random walk of a few pixels and degrees.
struct Hand {
    rng: StdRng,
    yaw: f32,
    pitch: f32,
    roll: f32,
    x: f32,
    y: f32,
}

impl Hand {
    fn new(seed: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed ^ 0x4a4d),
            yaw: 0.0,
            pitch: 0.0,
            roll: 0.0,
            x: 0.0,
            y: 0.0,
        }
    }

    fn step(&mut self) {
        let r = &mut self.rng;
        self.yaw = (self.yaw + r.gen_range(-1.0..1.0f32)).clamp(-4.0, 4.0);
        self.pitch = (self.pitch + r.gen_range(-1.0..1.0f32)).clamp(-4.0, 4.0);
        self.roll = (self.roll + r.gen_range(-0.6..0.6f32)).clamp(-3.0, 3.0);
        self.x = (self.x + r.gen_range(-2.0..2.0f32)).clamp(-8.0, 8.0);
        self.y = (self.y + r.gen_range(-2.0..2.0f32)).clamp(-8.0, 8.0);
    }
}

/// Renders clips of the staged registry subjects.
#[derive(Debug)]
pub struct Generator {
    subjects: Vec<Subject>,
}

impl Generator {
    /// Stages the four registry photos (and, with `mirrored`, their mirror images as extra subjects).
    pub fn load(paths: &ModelPaths, mirrored: bool) -> Result<Self> {
        let mut pipeline = FacePipeline::load(paths)?;
        let mut subjects = Vec::new();
        for (file, person) in REGISTRY_SUBJECTS {
            let img = load_bgr(&paths.test_image(file)?)?;
            subjects.push(Subject::from_photo(
                &mut pipeline,
                &img,
                file,
                person,
                false,
            )?);
            if mirrored {
                let name = format!("{file} (mirrored)");
                subjects.push(Subject::from_photo(
                    &mut pipeline,
                    &img,
                    &name,
                    person,
                    true,
                )?);
            }
        }
        Ok(Self { subjects })
    }

    /// From subjects staged by the caller.
    pub fn from_subjects(subjects: Vec<Subject>) -> Self {
        Self { subjects }
    }

    /// The staged subjects.
    pub fn subjects(&self) -> &[Subject] {
        &self.subjects
    }

    /// Index of a subject showing a different person than `i` (for swaps and second faces).
    pub fn other_person(&self, i: usize, seed: u64) -> Option<usize> {
        let others: Vec<usize> = (0..self.subjects.len())
            .filter(|&j| self.subjects[j].person != self.subjects[i].person)
            .collect();
        (!others.is_empty()).then(|| others[seed as usize % others.len()])
    }

    /// Renders `spec` with subject `subject` (the person the kiosk expects); `other` is the second
    /// person of a swap or a two-face clip (default: [`Generator::other_person`]).
    pub fn render(&self, subject: usize, other: Option<usize>, spec: &ClipSpec) -> Result<Clip> {
        self.render_clip(subject, other, spec, false, false)
    }

    /// As [`Generator::render`], with [`Clip::light`] filled: how each frame answers the kiosk's
    /// screen light (for a simulated camera).
    pub fn render_with_light(
        &self,
        subject: usize,
        other: Option<usize>,
        spec: &ClipSpec,
    ) -> Result<Clip> {
        self.render_clip(subject, other, spec, true, false)
    }

    /// As [`Generator::render_with_light`], with [`Clip::nir`] filled too: the scene as a binocular
    /// camera's near-infrared lens sees it (for a simulated binocular camera; 3.3 ms a frame, so
    /// only when asked).
    pub fn render_binocular(
        &self,
        subject: usize,
        other: Option<usize>,
        spec: &ClipSpec,
    ) -> Result<Clip> {
        self.render_clip(subject, other, spec, true, true)
    }

    fn render_clip(
        &self,
        subject: usize,
        other: Option<usize>,
        spec: &ClipSpec,
        with_light: bool,
        with_nir: bool,
    ) -> Result<Clip> {
        let subj = self
            .subjects
            .get(subject)
            .ok_or_else(|| err(format!("no subject {subject}")))?;
        let mut rng = StdRng::seed_from_u64(spec.seed);
        let fps = spec.fps;
        let need_other = matches!(spec.kind, ClipKind::Swap | ClipKind::TwoFaces);
        let other = match (need_other, other) {
            (false, _) => None,
            (true, Some(o)) => Some(o),
            (true, None) => Some(
                self.other_person(subject, spec.seed)
                    .ok_or_else(|| err("a swap or two-face clip needs a second person"))?,
            ),
        };
        let mut camera = Camera::new(spec.seed);
        let mut frames = Vec::new();
        let mut light = Vec::new();
        let mut nir = Vec::new();
        let material = match spec.kind {
            ClipKind::Genuine | ClipKind::TwoFaces | ClipKind::Swap => crate::nir::Material::Skin,
            ClipKind::Print if spec.seed.is_multiple_of(2) => crate::nir::Material::CarbonPrint,
            ClipKind::Print => crate::nir::Material::DyePrint,
            _ => crate::nir::Material::Screen,
        };
        // `shade`: the frame's reflectance for the kiosk's light (CV_32F, 0..1), None = none
        let mut push = |m: &Mat, i: usize, shift: (f32, f32), shade: Option<Mat>| -> Result<()> {
            let shot = camera.apply(m, (i as f64 / fps) as f32, shift)?;
            let mut f = bgr_to_frame(&shot)?;
            f.seq = i as u64;
            frames.push(f);
            if !with_light {
                return Ok(());
            }
            // the light falls on the face where the camera sees it (jitter, hand motion)
            let k = shade.map(|k| camera.follow(&k, shift)).transpose()?;
            let mut half = Mat::default();
            match &k {
                Some(k) => {
                    let mut small = Mat::default();
                    imgproc::resize(
                        k,
                        &mut small,
                        Size::new(WIDTH / 2, HEIGHT / 2),
                        0.0,
                        0.0,
                        imgproc::INTER_AREA,
                    )?;
                    small.convert_to(&mut half, CV_8U, 255.0, 0.0)?;
                }
                None => half = Mat::zeros(HEIGHT / 2, WIDTH / 2, CV_8U)?.to_mat()?,
            }
            if with_nir {
                // the kiosk's screen sits around the camera, as the NIR illuminator does: the same
                // surfaces face both
                let seed = spec.seed.wrapping_mul(1_000_003).wrapping_add(i as u64);
                let facing = k.unwrap_or_default();
                let mut ir = crate::image::grey_to_frame(&crate::nir::render(
                    &shot, &facing, material, seed,
                )?)?;
                ir.seq = i as u64;
                nir.push(ir);
            }
            light.push(half);
            Ok(())
        };
        let mut person = subj.person.clone();
        match spec.kind {
            ClipKind::Genuine | ClipKind::TwoFaces | ClipKind::Swap => {
                let script = perform(&spec.challenges, fps, &mut rng);
                let cut = script.peaks.first().map(|p| p + (0.6 * fps) as usize);
                let second = other.map(|o| &self.subjects[o]);
                if spec.kind == ClipKind::Swap {
                    // the kiosk expects the person shown after the cut (the one being certified)
                    person = second.map(|s| s.person.clone()).unwrap_or_default();
                }
                for (i, s) in script.states.iter().enumerate() {
                    let who = match (spec.kind, second, cut) {
                        (ClipKind::Swap, Some(b), Some(c)) if i >= c => b,
                        _ => subj,
                    };
                    let mut img = who.render(s)?;
                    let mut shift = (0.0, 0.0);
                    if let (ClipKind::TwoFaces, Some(b)) = (spec.kind, second) {
                        img = with_second_face(&img, b.stage())?;
                        shift = (-60.0, 0.0);
                    }
                    let shade = if with_light {
                        Some(mirror(&who.screen_shade(s)?, spec.mirror)?)
                    } else {
                        None
                    };
                    push(&mirror(&img, spec.mirror)?, i, shift, shade)?;
                }
            }
            ClipKind::Print => {
                let script = perform(&spec.challenges, fps, &mut rng);
                let texture = print_texture(&mirror(subj.stage(), spec.mirror)?, &mut rng)?;
                let bg = wall(spec.seed)?;
                let mut hand = Hand::new(spec.seed);
                let base_bend = rng.gen_range(0.05..0.25f32);
                for (i, s) in script.states.iter().enumerate() {
                    hand.step();
                    // the attacker mimics head challenges by tilting the print and flexes it for
                    // the others
                    let flex = (s.blink + s.mouth).min(1.0);
                    let sheet = Sheet {
                        bend: base_bend + 0.35 * flex,
                        yaw: hand.yaw - 1.3 * s.yaw,
                        pitch: hand.pitch + 1.5 * s.pitch,
                        roll: hand.roll,
                        shift: (hand.x, hand.y + 10.0),
                        scale: 1.0,
                    };
                    let img = draw_sheet(&bg, &texture, &sheet, (12, 14))?;
                    // paper reflects the kiosk's light evenly (its own colour does the rest)
                    let mut even = Mat::default();
                    if with_light {
                        sheet_mask(&texture, &sheet)?.convert_to(
                            &mut even,
                            CV_32F,
                            0.8 / 255.0,
                            0.0,
                        )?;
                    }
                    push(&img, i, (0.0, 0.0), with_light.then_some(even))?;
                }
            }
            ClipKind::ScreenPhoto
            | ClipKind::ScreenReplay
            | ClipKind::ScreenAllActions
            | ClipKind::ScreenPuppet => {
                let shown: Vec<Challenge> = match spec.kind {
                    ClipKind::ScreenPhoto => Vec::new(),
                    ClipKind::ScreenPuppet => spec.challenges.clone(),
                    ClipKind::ScreenAllActions => vec![
                        Challenge::Blink,
                        Challenge::OpenMouth,
                        Challenge::TurnLeft,
                        Challenge::TurnRight,
                        Challenge::Nod,
                    ],
                    _ => other_sequence(&spec.challenges, &mut rng),
                };
                let script = perform(&shown, fps, &mut rng);
                // a still photo is shown as long as a session would take
                let n = if spec.kind == ClipKind::ScreenPhoto {
                    (fps * (2.0 + 3.0 * spec.challenges.len() as f64)) as usize
                } else {
                    script.states.len().max((fps * 4.0) as usize)
                };
                let bg = wall(spec.seed)?;
                let mut hand = Hand::new(spec.seed);
                let gamma = rng.gen_range(0.75..1.3);
                let period = rng.gen_range(4.0..9.0f32);
                let angle = rng.gen_range(-0.6..0.6f32);
                let optics = screen_optics(period, angle)?;
                for i in 0..n {
                    hand.step();
                    let s = script.states.get(i).copied().unwrap_or_default();
                    let content = subj.render(&s)?;
                    let texture = screen_texture(&mirror(&content, spec.mirror)?, gamma)?;
                    let sheet = Sheet {
                        bend: 0.0,
                        yaw: hand.yaw,
                        pitch: hand.pitch,
                        roll: hand.roll,
                        shift: (hand.x, hand.y),
                        scale: 0.92,
                    };
                    let img = draw_flat(&bg, &texture, &sheet)?;
                    let mask = sheet_mask(&texture, &sheet)?;
                    let drift = (
                        WIDTH / 4 + (hand.x * 4.0) as i32 + 3 * i as i32,
                        HEIGHT / 4 + (hand.y * 4.0) as i32,
                    );
                    let img = apply_optics(&img, &mask, &optics, drift)?;
                    push(&img, i, (0.0, 0.0), None)?;
                }
            }
        }
        Ok(Clip {
            frames,
            fps,
            kind: spec.kind,
            challenges: spec.challenges.clone(),
            person,
            light,
            nir,
        })
    }
}

/// A flat sheet by one exact homography (a phone screen does not bend).
fn draw_flat(background: &Mat, texture: &Mat, sheet: &Sheet) -> Result<Mat> {
    let v = project_sheet(texture, sheet, (1, 1));
    let src: Vector<Point2f> = [0usize, 1, 3, 2]
        .iter()
        .map(|&i| Point2f::new(v[i].0, v[i].1))
        .collect();
    let dst: Vector<Point2f> = [0usize, 1, 3, 2]
        .iter()
        .map(|&i| Point2f::new(v[i].2, v[i].3))
        .collect();
    let h = imgproc::get_perspective_transform(&src, &dst, cvcore::DECOMP_LU)?;
    let mut warped = Mat::default();
    imgproc::warp_perspective(
        texture,
        &mut warped,
        &h,
        Size::new(WIDTH, HEIGHT),
        imgproc::INTER_LINEAR,
        BORDER_CONSTANT,
        Scalar::default(),
    )?;
    let mask = sheet_mask(texture, sheet)?;
    let mut out = background.try_clone()?;
    warped.copy_to_masked(&mut out, &mask)?;
    Ok(out)
}

/// A different challenge sequence of the same length (an earlier session's recording).
fn other_sequence(asked: &[Challenge], rng: &mut StdRng) -> Vec<Challenge> {
    use rand::seq::SliceRandom;
    let all = [
        Challenge::Blink,
        Challenge::OpenMouth,
        Challenge::TurnLeft,
        Challenge::TurnRight,
        Challenge::Nod,
    ];
    loop {
        let mut v = all.to_vec();
        v.shuffle(rng);
        v.truncate(asked.len().max(2));
        if v != asked {
            return v;
        }
    }
}

fn mirror(img: &Mat, yes: bool) -> Result<Mat> {
    if !yes {
        return Ok(img.try_clone()?);
    }
    let mut out = Mat::default();
    cvcore::flip(img, &mut out, 1)?;
    Ok(out)
}

/// Composites a second person's face (scaled 0.75) beside the main face, blended with a soft elliptical
/// mask.
fn with_second_face(img: &Mat, other_stage: &Mat) -> Result<Mat> {
    let k = 0.75f64;
    // far enough right that the mask stays inside the frame (no reflected border in the blend)
    let (cx, cy) = (520.0f64, 215.0f64);
    let m = Mat::from_slice_2d(&[
        [k, 0.0, cx - k * FACE_CENTRE.0 as f64],
        [0.0, k, cy - k * FACE_CENTRE.1 as f64],
    ])?;
    let mut layer = Mat::default();
    imgproc::warp_affine(
        other_stage,
        &mut layer,
        &m,
        img.size()?,
        imgproc::INTER_AREA,
        BORDER_REFLECT_101,
        Scalar::default(),
    )?;
    let mut mask = Mat::zeros(HEIGHT, WIDTH, CV_32F)?.to_mat()?;
    imgproc::ellipse(
        &mut mask,
        Point::new(cx as i32, cy as i32 + 10),
        Size::new((k * 130.0) as i32, (k * 175.0) as i32),
        0.0,
        0.0,
        360.0,
        Scalar::all(1.0),
        -1,
        imgproc::LINE_AA,
        0,
    )?;
    let mut soft = Mat::default();
    imgproc::gaussian_blur(
        &mask,
        &mut soft,
        Size::new(31, 31),
        10.0,
        10.0,
        cvcore::BORDER_DEFAULT,
    )?;
    let mut planes: Vector<Mat> = Vector::new();
    for _ in 0..3 {
        planes.push(soft.try_clone()?);
    }
    let mut alpha = Mat::default();
    cvcore::merge(&planes, &mut alpha)?;
    let (mut a, mut b) = (Mat::default(), Mat::default());
    img.convert_to(&mut a, CV_32FC3, 1.0, 0.0)?;
    layer.convert_to(&mut b, CV_32FC3, 1.0, 0.0)?;
    let mut inv = Mat::default();
    cvcore::subtract(&Scalar::all(1.0), &alpha, &mut inv, &cvcore::no_array(), -1)?;
    let (mut pa, mut pb) = (Mat::default(), Mat::default());
    cvcore::multiply(&a, &inv, &mut pa, 1.0, -1)?;
    cvcore::multiply(&b, &alpha, &mut pb, 1.0, -1)?;
    let mut sum = Mat::default();
    cvcore::add(&pa, &pb, &mut sum, &cvcore::no_array(), -1)?;
    let mut out = Mat::default();
    sum.convert_to(&mut out, CV_8UC3, 1.0, 0.0)?;
    Ok(out)
}
