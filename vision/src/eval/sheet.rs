//! Print attacks rendered by ray casting, a different method from [`crate::synth`] (which warps a
//! triangulated rig and a 12×14 grid): every output pixel's ray from a pinhole camera is intersected
//! analytically with a paper surface in 3-D — flat, folded along a vertical or horizontal crease (two
//! planes), or bent as a cylinder — the hit's arc-length coordinates on the paper index the printed
//! photo (`remap`), and the paper is shaded by its normal (Lambert: room light plus, optionally, the
//! kiosk screen's coloured light). The attacker holds the sheet by hand: it follows the asked head
//! motion with some exaggeration, trembles (random walk of position and angles) and sits in
//! perspective at about 1.7 sheet widths from the camera.

use jiuzhu_drivers_api::camera::Frame;
use opencv::core::{self as cvcore, BORDER_CONSTANT, CV_8UC3, CV_32F, Mat, Scalar, Size};
use opencv::imgproc;
use opencv::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::image::bgr_to_frame;
use crate::liveness::Challenge;
use crate::models::Result;
use crate::synth::{HEIGHT, HeadState, WIDTH, perform};

/// The paper's shape (in its own frame: x right, y down, z away from the camera; arc-length units of
/// sheet widths).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shape {
    /// Flat.
    Flat,
    /// Folded along the vertical centre line (a crease down the nose), each half bent back by the angle
    /// in degrees.
    VFold(f32),
    /// Folded along the horizontal line through the eyes' level, each half bent back by the angle.
    HFold(f32),
    /// Bent around a vertical axis with this radius (sheet widths), the middle nearest the camera.
    Cylinder(f32),
}

impl Shape {
    /// A short name for tables.
    pub fn name(self) -> String {
        match self {
            Shape::Flat => "flat".into(),
            Shape::VFold(a) => format!("v-fold {a:.0}°"),
            Shape::HFold(a) => format!("h-fold {a:.0}°"),
            Shape::Cylinder(r) => format!("cylinder r {r:.2}"),
        }
    }
}

/// Where the sheet is: angles in degrees (yaw about the vertical, pitch about the horizontal, roll in
/// the image), offset of its centre from the optical axis and distance, in sheet widths.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SheetPose {
    /// Degrees.
    pub yaw: f32,
    /// Degrees.
    pub pitch: f32,
    /// Degrees.
    pub roll: f32,
    /// Sheet widths right of the axis.
    pub x: f32,
    /// Sheet widths below the axis.
    pub y: f32,
    /// Sheet widths from the camera.
    pub dist: f32,
}

/// Light on the sheet: ambient, a room light from above, and the kiosk screen (around the camera)
/// shining a colour at it. Paper reflects the screen's colour in proportion to its own (`screen_gain`);
/// a phone or monitor emits its picture (`ambient` 1, `room` 0, `screen_gain` 0) and its glass only
/// mirrors a little of the kiosk's light evenly (`glare`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Light {
    /// Ambient share.
    pub ambient: f32,
    /// Room light share.
    pub room: f32,
    /// Kiosk screen colour (B, G, R) in 0..1.
    pub screen: [f32; 3],
    /// Grey levels a white sheet facing the screen gains from a full screen colour.
    pub screen_gain: f32,
    /// Grey levels of the screen's colour mirrored evenly by a glass surface.
    pub glare: f32,
}

impl Default for Light {
    fn default() -> Self {
        Self {
            ambient: 0.45,
            room: 0.55,
            screen: [0.0; 3],
            screen_gain: 60.0,
            glare: 0.0,
        }
    }
}

impl Light {
    /// A phone or monitor showing a picture, its glass mirroring the kiosk's `screen` colour.
    pub fn emitting(screen: [f32; 3]) -> Self {
        Self {
            ambient: 1.0,
            room: 0.0,
            screen,
            screen_gain: 0.0,
            glare: 12.0,
        }
    }
}

type V3 = [f64; 3];

fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub(crate) fn rotation(pose: &SheetPose) -> [[f64; 3]; 3] {
    let (sy, cy) = f64::from(pose.yaw).to_radians().sin_cos();
    let (sp, cp) = f64::from(pose.pitch).to_radians().sin_cos();
    let (sr, cr) = f64::from(pose.roll).to_radians().sin_cos();
    // R = Rroll · Rpitch · Ryaw (yaw first, as a head turns)
    let ry = [[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]];
    let rp = [[1.0, 0.0, 0.0], [0.0, cp, -sp], [0.0, sp, cp]];
    let rr = [[cr, -sr, 0.0], [sr, cr, 0.0], [0.0, 0.0, 1.0]];
    mul(&rr, &mul(&rp, &ry))
}

fn mul(a: &[[f64; 3]; 3], b: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let mut m = [[0.0; 3]; 3];
    for (i, row) in m.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    m
}

fn apply(m: &[[f64; 3]; 3], v: V3) -> V3 {
    [dot(m[0], v), dot(m[1], v), dot(m[2], v)]
}

pub(crate) fn apply_t(m: &[[f64; 3]; 3], v: V3) -> V3 {
    [
        m[0][0] * v[0] + m[1][0] * v[1] + m[2][0] * v[2],
        m[0][1] * v[0] + m[1][1] * v[1] + m[2][1] * v[2],
        m[0][2] * v[0] + m[1][2] * v[1] + m[2][2] * v[2],
    ]
}

/// The nearest intersection of the ray `o + λd` (sheet frame) with the paper: arc-length coordinates
/// (a, b) and the surface normal (sheet frame, facing the camera side).
fn hit(shape: Shape, o: V3, d: V3) -> Option<(f64, f64, V3)> {
    let at = |l: f64| [o[0] + l * d[0], o[1] + l * d[1], o[2] + l * d[2]];
    match shape {
        Shape::Flat => {
            let l = -o[2] / d[2];
            (l > 0.0).then(|| {
                let p = at(l);
                (p[0], p[1], [0.0, 0.0, -1.0])
            })
        }
        Shape::VFold(deg) | Shape::HFold(deg) => {
            let (s, c) = f64::from(deg).to_radians().sin_cos();
            let vertical = matches!(shape, Shape::VFold(_));
            let mut best: Option<(f64, f64, f64, V3)> = None;
            for side in [1.0f64, -1.0] {
                // the half with a ≥ 0 (side 1) or a < 0 (side −1): points (a c, ·, |a| s)
                let n = if vertical {
                    [-side * s, 0.0, c]
                } else {
                    [0.0, -side * s, c]
                };
                let den = dot(n, d);
                if den.abs() < 1e-12 {
                    continue;
                }
                let l = -dot(n, o) / den;
                if l <= 0.0 {
                    continue;
                }
                let p = at(l);
                let along = if vertical { p[0] } else { p[1] };
                if along * side < 0.0 {
                    continue;
                }
                let a = along / c;
                let normal = [-n[0], -n[1], -n[2]];
                let (u, v) = if vertical { (a, p[1]) } else { (p[0], a) };
                if best.is_none_or(|b| l < b.0) {
                    best = Some((l, u, v, normal));
                }
            }
            best.map(|(_, u, v, n)| (u, v, n))
        }
        Shape::Cylinder(r) => {
            let r = f64::from(r);
            // x² + (z − r)² = r², front half z ≤ r
            let (ox, oz) = (o[0], o[2] - r);
            let qa = d[0] * d[0] + d[2] * d[2];
            let qb = 2.0 * (ox * d[0] + oz * d[2]);
            let qc = ox * ox + oz * oz - r * r;
            let disc = qb * qb - 4.0 * qa * qc;
            if disc < 0.0 || qa < 1e-12 {
                return None;
            }
            let sq = disc.sqrt();
            [(-qb - sq) / (2.0 * qa), (-qb + sq) / (2.0 * qa)]
                .into_iter()
                .filter(|&l| l > 0.0)
                .map(at)
                .find(|p| p[2] <= r)
                .map(|p| {
                    let a = r * p[0].atan2(r - p[2]);
                    let n = [p[0] / r, 0.0, (p[2] - r) / r];
                    (a, p[1], n)
                })
        }
    }
}

/// Renders `print` (BGR, the printed photo, its width = one sheet width) on `shape` at `pose` over
/// `background` (640×480 BGR), lit by `light`.
pub fn render(
    print: &Mat,
    shape: Shape,
    pose: &SheetPose,
    light: &Light,
    background: &Mat,
) -> Result<Mat> {
    let (w, h) = (WIDTH, HEIGHT);
    let (tw, th) = (print.cols() as f64, print.rows() as f64);
    let aspect = th / tw;
    let f = 1.1 * f64::from(w);
    let (cx, cy) = (f64::from(w) / 2.0, f64::from(h) / 2.0);
    let rot = rotation(pose);
    let t = [f64::from(pose.x), f64::from(pose.y), f64::from(pose.dist)];
    let origin = apply_t(&rot, [-t[0], -t[1], -t[2]]);
    let room_dir = {
        let v = [0.25, -0.6, -0.75];
        let n = dot(v, v).sqrt();
        [v[0] / n, v[1] / n, v[2] / n]
    };
    let n = (w * h) as usize;
    let (mut mx, mut my, mut shade, mut tint) = (
        vec![-1.0f32; n],
        vec![-1.0f32; n],
        vec![0.0f32; n],
        vec![0.0f32; n],
    );
    for v in 0..h {
        for u in 0..w {
            let d_cam = [(f64::from(u) - cx) / f, (f64::from(v) - cy) / f, 1.0];
            let d = apply_t(&rot, d_cam);
            let Some((a, b, normal)) = hit(shape, origin, d) else {
                continue;
            };
            if a.abs() > 0.5 || b.abs() > 0.5 * aspect {
                continue;
            }
            let i = (v * w + u) as usize;
            mx[i] = ((a + 0.5) * tw) as f32;
            my[i] = ((b / aspect + 0.5) * th) as f32;
            let nw = apply(&rot, normal);
            // towards the camera (the paper's printed side faces it)
            let lambert = (-dot(nw, room_dir)).max(0.0);
            shade[i] = light.ambient + light.room * lambert as f32;
            // the screen sits around the camera: light along the viewing ray, back to the eye
            let len = dot(d_cam, d_cam).sqrt();
            tint[i] = (-dot(nw, [d_cam[0] / len, d_cam[1] / len, d_cam[2] / len])).max(0.0) as f32;
        }
    }
    let map_x = Mat::new_rows_cols_with_data(h, w, &mx)?;
    let map_y = Mat::new_rows_cols_with_data(h, w, &my)?;
    let mut paper = Mat::default();
    imgproc::remap(
        print,
        &mut paper,
        &map_x,
        &map_y,
        imgproc::INTER_LINEAR,
        BORDER_CONSTANT,
        Scalar::all(0.0),
    )?;
    let mut out = background.try_clone()?;
    let pb = paper.data_bytes()?;
    let ob = out.data_bytes_mut()?;
    for i in 0..n {
        if mx[i] < 0.0 {
            continue;
        }
        for c in 0..3 {
            let albedo = f32::from(pb[3 * i + c]) / 255.0;
            let lit = albedo * (255.0 * shade[i] + light.screen_gain * light.screen[c] * tint[i])
                + light.glare * light.screen[c];
            ob[3 * i + c] = lit.clamp(0.0, 255.0) as u8;
        }
    }
    Ok(out)
}

/// The printed photo: ink on paper (contrast 0.8 over the paper white, a little dot gain as blur) and
/// the paper's grain, fixed for a sheet.
pub fn print_of(photo: &Mat, seed: u64) -> Result<Mat> {
    let mut soft = Mat::default();
    imgproc::gaussian_blur(
        photo,
        &mut soft,
        Size::new(0, 0),
        0.9,
        0.0,
        cvcore::BORDER_REFLECT_101,
    )?;
    let mut inked = Mat::default();
    soft.convert_to(&mut inked, CV_32F, 0.8 / 255.0, 0.17)?;
    let mut grain = Mat::new_rows_cols_with_default(
        photo.rows(),
        photo.cols(),
        cvcore::CV_32FC3,
        Scalar::all(0.0),
    )?;
    cvcore::set_rng_seed(seed as i32)?;
    cvcore::randn(&mut grain, &Scalar::all(0.0), &Scalar::all(0.012))?;
    let mut sum = Mat::default();
    cvcore::add(&inked, &grain, &mut sum, &cvcore::no_array(), -1)?;
    let mut out = Mat::default();
    sum.convert_to(&mut out, CV_8UC3, 255.0, 0.0)?;
    Ok(out)
}

/// A plain room wall: a vertical gradient and a seeded low-frequency blotch pattern.
pub fn wall(seed: u64) -> Result<Mat> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x3a11);
    let base: f32 = rng.gen_range(110.0..170.0);
    let tint: [f32; 3] = [
        rng.gen_range(0.9..1.05),
        rng.gen_range(0.95..1.05),
        rng.gen_range(0.95..1.1),
    ];
    let blobs: Vec<(f32, f32, f32, f32)> = (0..6)
        .map(|_| {
            (
                rng.gen_range(0.0..WIDTH as f32),
                rng.gen_range(0.0..HEIGHT as f32),
                rng.gen_range(60.0..200.0),
                rng.gen_range(-15.0..15.0),
            )
        })
        .collect();
    let mut data = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            let mut g = base - 25.0 * y as f32 / HEIGHT as f32;
            for &(bx, by, r, a) in &blobs {
                let d2 = ((x as f32 - bx).powi(2) + (y as f32 - by).powi(2)) / (r * r);
                g += a * (-d2).exp();
            }
            let i = ((y * WIDTH + x) * 3) as usize;
            for c in 0..3 {
                data[i + c] = (g * tint[c]).clamp(0.0, 255.0) as u8;
            }
        }
    }
    let px: Vec<cvcore::Vec3b> = data
        .chunks_exact(3)
        .map(|c| cvcore::Vec3b::from([c[0], c[1], c[2]]))
        .collect();
    Ok(Mat::new_rows_cols_with_data(HEIGHT, WIDTH, &px)?.try_clone()?)
}

/// Adds sensor noise (σ 2.5 grey levels) to a frame.
pub fn sensor_noise(img: &Mat, rng: &mut StdRng) -> Result<Mat> {
    let mut wide = Mat::default();
    img.convert_to(&mut wide, cvcore::CV_16SC3, 1.0, 0.0)?;
    let mut noise = Mat::new_rows_cols_with_default(
        img.rows(),
        img.cols(),
        cvcore::CV_16SC3,
        Scalar::all(0.0),
    )?;
    cvcore::set_rng_seed(rng.r#gen::<i32>())?;
    cvcore::randn(&mut noise, &Scalar::all(0.0), &Scalar::all(2.5))?;
    let mut sum = Mat::default();
    cvcore::add(&wide, &noise, &mut sum, &cvcore::no_array(), -1)?;
    let mut out = Mat::default();
    sum.convert_to(&mut out, CV_8UC3, 1.0, 0.0)?;
    Ok(out)
}

/// The hand: a random walk of the sheet's position (±0.02 widths) and angles (±3°).
pub(crate) struct Tremor {
    rng: StdRng,
    /// Offset (x, y) in sheet widths.
    pub(crate) pos: (f32, f32),
    /// Yaw, pitch, roll in degrees.
    pub(crate) ang: (f32, f32, f32),
}

impl Tremor {
    /// A hand at rest, its walk seeded by `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed ^ 0x7e3),
            pos: (0.0, 0.0),
            ang: (0.0, 0.0, 0.0),
        }
    }

    /// One frame's step of the walk.
    pub(crate) fn step(&mut self) {
        let r = &mut self.rng;
        self.pos.0 = (self.pos.0 + r.gen_range(-0.006..0.006f32)).clamp(-0.02, 0.02);
        self.pos.1 = (self.pos.1 + r.gen_range(-0.006..0.006f32)).clamp(-0.02, 0.02);
        self.ang.0 = (self.ang.0 + r.gen_range(-0.8..0.8f32)).clamp(-3.0, 3.0);
        self.ang.1 = (self.ang.1 + r.gen_range(-0.8..0.8f32)).clamp(-3.0, 3.0);
        self.ang.2 = (self.ang.2 + r.gen_range(-0.5..0.5f32)).clamp(-2.0, 2.0);
    }
}

/// A hand-held print attack on `challenges`: `print` (the printed photo, the face about 45 % of its
/// width) on `shape`, turned and tipped by `exaggeration` × the motion a person would make, with tremor
/// and sensor noise; `screen` gives the kiosk screen's colour at each frame (None = dark screen).
pub fn attack_clip(
    print: &Mat,
    shape: Shape,
    challenges: &[Challenge],
    seed: u64,
    fps: f64,
    screen: Option<&dyn Fn(usize) -> [f32; 3]>,
) -> Result<Vec<Frame>> {
    let mut rng = StdRng::seed_from_u64(seed);
    let script = perform(challenges, fps, &mut rng);
    let exaggeration = rng.gen_range(1.2..1.5f32);
    let background = wall(seed)?;
    let mut tremor = Tremor {
        rng: StdRng::seed_from_u64(seed ^ 0x7e3),
        pos: (0.0, 0.0),
        ang: (0.0, 0.0, 0.0),
    };
    let dist = rng.gen_range(1.6..1.9f32);
    let mut frames = Vec::with_capacity(script.states.len());
    for (i, s) in script.states.iter().enumerate() {
        tremor.step();
        let HeadState {
            yaw, pitch, roll, ..
        } = *s;
        let pose = SheetPose {
            // the sheet's yaw turns its face towards the image's left: the head's convention is the
            // opposite
            yaw: -exaggeration * yaw + tremor.ang.0,
            pitch: exaggeration * pitch + tremor.ang.1,
            roll: roll + tremor.ang.2,
            x: tremor.pos.0,
            y: tremor.pos.1,
            dist,
        };
        let light = Light {
            screen: screen.map_or([0.0; 3], |f| f(i)),
            ..Light::default()
        };
        let img = render(print, shape, &pose, &light, &background)?;
        let shot = sensor_noise(&img, &mut rng)?;
        let mut frame = bgr_to_frame(&shot)?;
        frame.seq = i as u64;
        frames.push(frame);
    }
    Ok(frames)
}

/// `n` frames of a sheet held up facing the camera with a trembling hand: frame i shows `texture(i)`
/// (BGR; a print, or a phone's picture) lit by `light(i)`.
pub fn held_clip(
    texture: &dyn Fn(usize) -> Result<Mat>,
    shape: Shape,
    n: usize,
    seed: u64,
    light: &dyn Fn(usize) -> Light,
) -> Result<Vec<Frame>> {
    let mut rng = StdRng::seed_from_u64(seed);
    let background = wall(seed)?;
    let mut tremor = Tremor {
        rng: StdRng::seed_from_u64(seed ^ 0x7e3),
        pos: (0.0, 0.0),
        ang: (0.0, 0.0, 0.0),
    };
    let dist = rng.gen_range(1.6..1.9f32);
    (0..n)
        .map(|i| {
            tremor.step();
            let pose = SheetPose {
                yaw: tremor.ang.0,
                pitch: tremor.ang.1,
                roll: tremor.ang.2,
                x: tremor.pos.0,
                y: tremor.pos.1,
                dist,
            };
            let img = render(&texture(i)?, shape, &pose, &light(i), &background)?;
            let mut frame = bgr_to_frame(&sensor_noise(&img, &mut rng)?)?;
            frame.seq = i as u64;
            Ok(frame)
        })
        .collect()
}
