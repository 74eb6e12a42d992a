//! Screen replays and live puppets shown on an emissive screen, rendered from the screen's physics —
//! a method different from [`crate::synth`]'s, which multiplies a screenshot by two sinusoidal gain
//! beats (its "moiré" model).
//!
//! The screen is an active area `width_mm` wide of square pixels `pitch_mm` apart, each made of three
//! vertical sub-pixel stripes R, G, B, each emitting over `fill` of its third of the pixel; the rest,
//! and a band between pixel rows, is black matrix. Its picture (the content: a recording of the
//! person, or a puppet acting out the asked challenges) is turned into emitted light by the screen's
//! gamma and white point. The camera (pinhole, f = 1.1 × frame width, as for the prints) looks at the
//! screen plane held by hand (perspective, tremor): every camera pixel's ray is intersected with the
//! plane, which gives the screen coordinates the pixel sees and its footprint there (J screen pixels
//! per camera pixel). What the pixel records of the stripe grid is the grid convolved with the lens
//! blur (a Gaussian of `focus_sigma` camera pixels) and the pixel's own aperture (a box of J),
//! computed from the grid's Fourier series: a grid about as fine as the camera's pixels aliases into
//! moiré exactly as far as blur and aperture let it through, a much finer one averages out. The
//! glass mirrors a room lamp (a highlight that moves twice as fast as the screen turns) and, during
//! the screen-light check, the kiosk's own colour (Fresnel `reflectance`, evenly: the kiosk's screen
//! is a large source around the camera); the bezel is dark plastic. Light is summed linearly and
//! the camera encodes it with a gamma of 1/2.2, then adds sensor noise. Not modelled: the camera's
//! Bayer mosaic and demosaicing (colour moiré), the screen's viewing-angle colour shift, flicker,
//! and the pixel blocks of a coarse screen showing a finer video (the content is sampled smoothly;
//! only the stripes and the black matrix are drawn).

use jiuzhu_drivers_api::camera::Frame;
use opencv::core::{self as cvcore, BORDER_CONSTANT, CV_32F, Mat, Rect, Scalar, Size, Vec3f};
use opencv::imgcodecs;
use opencv::imgproc;
use opencv::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::sheet::{SheetPose, Tremor, apply_t, rotation, sensor_noise, wall};
use crate::image::bgr_to_frame;
use crate::liveness::Challenge;
use crate::models::{Result, VisionError};
use crate::pipeline::FacePipeline;
use crate::synth::{HEIGHT, Subject, WIDTH, perform};

/// One screen and how it is held.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Screen {
    /// Short name for tables.
    pub name: &'static str,
    /// Pixel pitch, mm.
    pub pitch_mm: f32,
    /// Width of the active area, mm.
    pub width_mm: f32,
    /// The screen's gamma relative to the content's (1 = exact, < 1 brighter mid-tones).
    pub gamma: f32,
    /// White point: gains of the emitted (R, G, B).
    pub white: [f32; 3],
    /// Share of each sub-pixel's third that emits.
    pub fill: f32,
    /// Peak of the room lamp's reflection on the glass (linear, 1 = the screen's white).
    pub glare: f32,
    /// Fresnel reflectance of the glass for the kiosk's light (0.04 glossy, ≈ 0.01 anti-reflective).
    pub reflectance: f32,
    /// Held so close that it fills the camera's view (no bezel, no room): the content is a whole
    /// camera frame; otherwise the whole screen and its bezel are in view and the content is a crop
    /// around the face.
    pub fills_view: bool,
    /// Defocus of the camera on the screen: Gaussian σ in camera pixels.
    pub focus_sigma: f32,
}

/// Camera focal length over frame width (as [`super::sheet`]).
const FOCAL: f64 = 1.1;
/// Bezel width, mm.
const BEZEL_MM: f64 = 9.0;
/// Brightness of the screen's white in the camera (linear, before encoding).
const BRIGHTNESS: f32 = 0.8;
/// Phase bins of the grid look-up tables (one pixel period).
const PHASES: i32 = 128;
/// Footprint bins of the look-up tables (log-spaced).
const FOOTPRINTS: i32 = 48;

impl Screen {
    /// Camera pixels per screen pixel at the screen's centre, at distance `dist_mm`.
    pub fn camera_px_per_pixel(&self, dist_mm: f32) -> f32 {
        self.pitch_mm * FOCAL as f32 * WIDTH as f32 / dist_mm
    }

    /// Distance (mm) the screen is held at: `widths` screen widths, or, filling the view, so that the
    /// screen spans 1.15 frame widths.
    fn distance(&self, widths: f32) -> f32 {
        if self.fills_view {
            self.width_mm * FOCAL as f32 / 1.15
        } else {
            self.width_mm * widths
        }
    }
}

/// The screens of the independent set (replays 0–3, puppets 4–6: [`super::set::cases`]). At the
/// usual 1.6–1.9 screen widths, 1 mm of a 240 mm screen is about 1.7 camera pixels; filling the view
/// (0.96 widths) about 3.1.
pub const SCREENS: [Screen; 7] = [
    Screen {
        name: "tablet 0.25 mm, glossy, bezel in view",
        pitch_mm: 0.25,
        width_mm: 240.0,
        gamma: 1.0,
        white: [0.93, 1.0, 1.1],
        fill: 0.8,
        glare: 0.12,
        reflectance: 0.04,
        fills_view: false,
        focus_sigma: 0.5,
    },
    Screen {
        name: "monitor 0.6 mm, anti-reflective, filling the view",
        pitch_mm: 0.6,
        width_mm: 240.0,
        gamma: 0.9,
        white: [1.0, 1.0, 1.0],
        fill: 0.75,
        glare: 0.05,
        reflectance: 0.012,
        fills_view: true,
        focus_sigma: 0.7,
    },
    Screen {
        name: "coarse 1.3 mm, warm, bezel in view",
        pitch_mm: 1.3,
        width_mm: 240.0,
        gamma: 1.15,
        white: [1.05, 1.0, 0.88],
        fill: 0.7,
        glare: 0.15,
        reflectance: 0.04,
        fills_view: false,
        focus_sigma: 0.5,
    },
    Screen {
        name: "fine 0.08 mm (unresolved), bezel in view",
        pitch_mm: 0.08,
        width_mm: 240.0,
        gamma: 1.0,
        white: [0.95, 1.0, 1.08],
        fill: 0.8,
        glare: 0.1,
        reflectance: 0.04,
        fills_view: false,
        focus_sigma: 0.6,
    },
    Screen {
        name: "0.4 mm out of focus (σ 1.5 px), filling the view",
        pitch_mm: 0.4,
        width_mm: 240.0,
        gamma: 1.0,
        white: [1.0, 1.0, 1.0],
        fill: 0.8,
        glare: 0.08,
        reflectance: 0.04,
        fills_view: true,
        focus_sigma: 1.5,
    },
    Screen {
        name: "0.9 mm, bezel in view",
        pitch_mm: 0.9,
        width_mm: 240.0,
        gamma: 0.95,
        white: [0.97, 1.0, 1.05],
        fill: 0.75,
        glare: 0.12,
        reflectance: 0.04,
        fills_view: false,
        focus_sigma: 0.5,
    },
    Screen {
        name: "fine 0.08 mm (unresolved), filling the view",
        pitch_mm: 0.08,
        width_mm: 240.0,
        gamma: 1.0,
        white: [0.95, 1.0, 1.08],
        fill: 0.8,
        glare: 0.06,
        reflectance: 0.04,
        fills_view: true,
        focus_sigma: 0.6,
    },
];

fn sinc(x: f64) -> f64 {
    if x.abs() < 1e-9 {
        1.0
    } else {
        let p = std::f64::consts::PI * x;
        p.sin() / p
    }
}

/// The grid's look-up table: for each footprint bin (rows; J screen pixels per camera pixel, log
/// from `j_lo` to `j_hi`) and phase (columns; position within one pixel period, the last column = the
/// first), the value a camera pixel records of a periodic bar of width `duty` (of the period) starting
/// at `offsets[ch]`, normalised to mean 1: the bar's Fourier series times the transfer function of
/// the pixel aperture (sinc(k J)) and of the lens (exp(−2π² k² (σ J)²)). Three channels (B, G, R).
fn grid_lut(duty: f64, offsets: [f64; 3], sigma: f64, j_lo: f64, j_hi: f64) -> Result<Mat> {
    let tau = std::f64::consts::TAU;
    let mut data = Vec::with_capacity(((PHASES + 1) * FOOTPRINTS) as usize);
    for row in 0..FOOTPRINTS {
        let j = (j_lo.ln() + (j_hi.ln() - j_lo.ln()) * f64::from(row) / f64::from(FOOTPRINTS - 1))
            .exp();
        let terms: Vec<(f64, f64)> = (1..=96)
            .map(|k| {
                let k = f64::from(k);
                let h = sinc(k * j)
                    * (-2.0 * std::f64::consts::PI.powi(2) * (k * sigma * j).powi(2)).exp();
                (k, 2.0 * sinc(k * duty) * h)
            })
            .filter(|(_, a)| a.abs() > 1e-5)
            .collect();
        for col in 0..=PHASES {
            let phi = f64::from(col % PHASES) / f64::from(PHASES);
            let v: [f32; 3] = std::array::from_fn(|c| {
                let centre = offsets[c] + duty / 2.0;
                let s: f64 = terms
                    .iter()
                    .map(|&(k, a)| a * (tau * k * (phi - centre)).cos())
                    .sum();
                (1.0 + s).max(0.0) as f32
            });
            data.push(Vec3f::from(v));
        }
    }
    Ok(Mat::new_rows_cols_with_data(FOOTPRINTS, PHASES + 1, &data)?.try_clone()?)
}

/// The light the kiosk's screen sends while frame i is taken (R, G, B in 0..1), if it flashes.
pub type KioskLight<'a> = Option<&'a dyn Fn(usize) -> [f32; 3]>;

/// `n` frames of `screen` held up by hand showing `content(i)` (BGR; a whole camera frame when the
/// screen fills the view, else a crop around the face), lit by the kiosk's `kiosk` colours.
pub fn held_screen(
    content: &dyn Fn(usize) -> Result<Mat>,
    screen: &Screen,
    n: usize,
    seed: u64,
    kiosk: KioskLight<'_>,
) -> Result<Vec<Frame>> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5c4e);
    let background = wall(seed)?;
    let mut tremor = Tremor::new(seed);
    let widths = rng.gen_range(1.6..1.9f32);
    let dist = f64::from(screen.distance(widths));
    let (w, h) = (WIDTH, HEIGHT);
    let f = FOCAL * f64::from(w);
    let (cx0, cy0) = (f64::from(w) / 2.0, f64::from(h) / 2.0);
    let pitch = f64::from(screen.pitch_mm);
    let width_mm = f64::from(screen.width_mm);
    // screen pixels per camera pixel at the centre
    let j0 = dist / (f * pitch);
    let (j_lo, j_hi) = (j0 / 3.0, j0 * 3.0);
    let sigma = f64::from(screen.focus_sigma);
    let duty = f64::from(screen.fill) / 3.0;
    // stripes left to right R, G, B; the table's channels are B, G, R
    let stripes = grid_lut(duty, [2.0 / 3.0, 1.0 / 3.0, 0.0], sigma, j_lo, j_hi)?;
    let rows = grid_lut(0.85, [0.0; 3], sigma, j_lo, j_hi)?;
    // the room lamp's highlight: where it sits with the screen square to the camera, and its size
    let lamp = (
        rng.gen_range(0.2..0.8) * f64::from(w),
        rng.gen_range(0.1..0.4) * f64::from(h),
        rng.gen_range(60.0..110.0f64),
    );
    let mut frames = Vec::with_capacity(n);
    for i in 0..n {
        tremor.step();
        let pose = SheetPose {
            yaw: tremor.ang.0,
            pitch: tremor.ang.1,
            roll: tremor.ang.2,
            x: tremor.pos.0,
            y: tremor.pos.1,
            dist: 1.0,
        };
        let picture = content(i)?;
        let (cw, ch) = (f64::from(picture.cols()), f64::from(picture.rows()));
        let height_mm = width_mm * ch / cw;
        let (nu, nv) = (width_mm / pitch, height_mm / pitch);
        let rot = rotation(&pose);
        let t = [pose.x as f64 * width_mm, pose.y as f64 * width_mm, dist];
        let origin = apply_t(&rot, [-t[0], -t[1], -t[2]]);
        // screen coordinates (pixels) of every camera pixel corner grid point (w+1)×(h+1)
        let gw = (w + 1) as usize;
        let mut uv = vec![(f64::NAN, f64::NAN); gw * (h + 1) as usize];
        for y in 0..=h {
            for x in 0..=w {
                let d_cam = [(f64::from(x) - cx0) / f, (f64::from(y) - cy0) / f, 1.0];
                let d = apply_t(&rot, d_cam);
                if d[2].abs() < 1e-12 {
                    continue;
                }
                let l = -origin[2] / d[2];
                if l <= 0.0 {
                    continue;
                }
                let (px, py) = (origin[0] + l * d[0], origin[1] + l * d[1]);
                uv[y as usize * gw + x as usize] = (
                    (px + width_mm / 2.0) / pitch,
                    (py + height_mm / 2.0) / pitch,
                );
            }
        }
        // the glass's highlight moves by twice the screen's turn
        let (gx, gy) = (
            lamp.0 + 2.0 * f * f64::from(pose.yaw).to_radians().tan(),
            lamp.1 - 2.0 * f * f64::from(pose.pitch).to_radians().tan(),
        );
        let light = kiosk.map_or([0.0; 3], |k| k(i));
        let reflect: [f32; 3] = std::array::from_fn(|c| screen.reflectance * light[2 - c]);
        let np = (w * h) as usize;
        let (mut mcx, mut mcy, mut mph, mut mpv, mut mj) = (
            vec![-1.0f32; np],
            vec![-1.0f32; np],
            vec![0.0f32; np],
            vec![0.0f32; np],
            vec![0.0f32; np],
        );
        let mut add = vec![Vec3f::from([0.0; 3]); np];
        let mut region = vec![0u8; np];
        let bezel = BEZEL_MM / pitch;
        let log_span = j_hi.ln() - j_lo.ln();
        for y in 0..h as usize {
            for x in 0..w as usize {
                let (u, v) = uv[y * gw + x];
                let (u1, v1) = uv[y * gw + x + 1];
                let (u2, v2) = uv[(y + 1) * gw + x];
                if !(u.is_finite() && u1.is_finite() && u2.is_finite()) {
                    continue;
                }
                let i = y * w as usize + x;
                let inside = (0.0..nu).contains(&u) && (0.0..nv).contains(&v);
                let on_bezel = !inside
                    && (-bezel..nu + bezel).contains(&u)
                    && (-bezel..nv + bezel).contains(&v);
                if !(inside || on_bezel) {
                    continue;
                }
                let r2 = ((x as f64 - gx).powi(2) + (y as f64 - gy).powi(2)) / (lamp.2 * lamp.2);
                let g = screen.glare * (-0.5 * r2).exp() as f32 + 0.01;
                if on_bezel {
                    region[i] = 1;
                    let v: [f32; 3] = std::array::from_fn(|c| 0.012 + g + 0.3 * reflect[c]);
                    add[i] = Vec3f::from(v);
                    continue;
                }
                region[i] = 2;
                // footprint: screen pixels per camera pixel here
                let j = ((u1 - u).powi(2) + (v1 - v).powi(2))
                    .sqrt()
                    .max(((u2 - u).powi(2) + (v2 - v).powi(2)).sqrt());
                mj[i] = ((j.ln() - j_lo.ln()) / log_span * f64::from(FOOTPRINTS - 1))
                    .clamp(0.0, f64::from(FOOTPRINTS - 1)) as f32;
                mph[i] = (u.fract() * f64::from(PHASES)) as f32;
                mpv[i] = (v.fract() * f64::from(PHASES)) as f32;
                mcx[i] = (u / nu * cw - 0.5) as f32;
                mcy[i] = (v / nv * ch - 0.5) as f32;
                let v: [f32; 3] = std::array::from_fn(|c| g + reflect[c]);
                add[i] = Vec3f::from(v);
            }
        }
        let mat = |v: &Vec<f32>| -> Result<Mat> {
            Ok(Mat::new_rows_cols_with_data(h, w, v)?.try_clone()?)
        };
        let (map_cx, map_cy, map_ph, map_pv, map_j) =
            (mat(&mcx)?, mat(&mcy)?, mat(&mph)?, mat(&mpv)?, mat(&mj)?);
        // the content as emitted light: the screen's gamma and white point, blurred by the screen's
        // resampling (when it has fewer pixels than the content) and by the lens
        let mut lin = Mat::default();
        picture.convert_to(&mut lin, CV_32F, 1.0 / 255.0, 0.0)?;
        let mut emitted = Mat::default();
        cvcore::pow(&lin, 2.2 * f64::from(screen.gamma), &mut emitted)?;
        let white = Scalar::new(
            f64::from(screen.white[2]),
            f64::from(screen.white[1]),
            f64::from(screen.white[0]),
            0.0,
        );
        let mut tinted = Mat::default();
        cvcore::multiply(&emitted, &white, &mut tinted, f64::from(BRIGHTNESS), -1)?;
        let per_pixel = cw / nu;
        let sigma_c = ((0.5 * per_pixel.max(1.0) - 0.5).max(0.0).powi(2)
            + (sigma * j0 * per_pixel).powi(2))
        .sqrt();
        let mut source = Mat::default();
        if sigma_c > 0.3 {
            imgproc::gaussian_blur(
                &tinted,
                &mut source,
                Size::new(0, 0),
                sigma_c,
                0.0,
                cvcore::BORDER_REFLECT_101,
            )?;
        } else {
            source = tinted;
        }
        let mut seen = Mat::default();
        imgproc::remap(
            &source,
            &mut seen,
            &map_cx,
            &map_cy,
            imgproc::INTER_LINEAR,
            cvcore::BORDER_REPLICATE,
            Scalar::all(0.0),
        )?;
        let (mut ms, mut mr) = (Mat::default(), Mat::default());
        imgproc::remap(
            &stripes,
            &mut ms,
            &map_ph,
            &map_j,
            imgproc::INTER_LINEAR,
            cvcore::BORDER_REPLICATE,
            Scalar::all(0.0),
        )?;
        imgproc::remap(
            &rows,
            &mut mr,
            &map_pv,
            &map_j,
            imgproc::INTER_LINEAR,
            cvcore::BORDER_REPLICATE,
            Scalar::all(0.0),
        )?;
        let (mut a, mut b) = (Mat::default(), Mat::default());
        cvcore::multiply(&seen, &ms, &mut a, 1.0, -1)?;
        cvcore::multiply(&a, &mr, &mut b, 1.0, -1)?;
        let region_m = Mat::new_rows_cols_with_data(h, w, &region)?.try_clone()?;
        let mut active = Mat::default();
        cvcore::compare(&region_m, &Scalar::all(2.0), &mut active, cvcore::CMP_EQ)?;
        let mut emitted_only =
            Mat::new_rows_cols_with_default(h, w, cvcore::CV_32FC3, Scalar::all(0.0))?;
        b.copy_to_masked(&mut emitted_only, &active)?;
        let add_m = Mat::new_rows_cols_with_data(h, w, &add)?.try_clone()?;
        let mut total = Mat::default();
        cvcore::add(&emitted_only, &add_m, &mut total, &cvcore::no_array(), -1)?;
        let mut clipped = Mat::default();
        imgproc::threshold(&total, &mut clipped, 1.0, 1.0, imgproc::THRESH_TRUNC)?;
        let mut encoded = Mat::default();
        cvcore::pow(&clipped, 1.0 / 2.2, &mut encoded)?;
        let mut img = Mat::default();
        encoded.convert_to(&mut img, cvcore::CV_8UC3, 255.0, 0.0)?;
        let mut room = Mat::default();
        cvcore::compare(&region_m, &Scalar::all(0.0), &mut room, cvcore::CMP_EQ)?;
        background.copy_to_masked(&mut img, &room)?;
        let mut frame = bgr_to_frame(&sensor_noise(&img, &mut rng)?)?;
        frame.seq = i as u64;
        frames.push(frame);
    }
    Ok(frames)
}

/// What the screen shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Content {
    /// A recording of an earlier session of the person doing the same actions (its own timing,
    /// started up to 0.8 s early, with the recording camera's noise and video compression).
    Replay,
    /// A puppet: the person's photo animated to act out exactly the asked challenges in time.
    Puppet,
}

/// The crop of a stage-sized frame a screen showing the face shows: 2.2 face boxes wide, 2.6 high.
fn face_crop(pipeline: &mut FacePipeline, stage: &Mat) -> Result<Rect> {
    let d = pipeline
        .detect(stage)?
        .into_iter()
        .next()
        .ok_or_else(|| VisionError::NoFace("the stage".into()))?;
    let side = d.bbox.w.max(d.bbox.h);
    let (w, h) = ((2.2 * side) as i32, (2.6 * side) as i32);
    Ok(Rect::new(
        (d.bbox.cx - w as f32 / 2.0) as i32,
        (d.bbox.cy - 0.45 * h as f32) as i32,
        w,
        h,
    ))
}

/// `img` cut to `rect` (dark where the rect leaves the image).
fn cut(img: &Mat, rect: Rect) -> Result<Mat> {
    let pad = rect.width.max(rect.height);
    let mut padded = Mat::default();
    cvcore::copy_make_border(
        img,
        &mut padded,
        pad,
        pad,
        pad,
        pad,
        BORDER_CONSTANT,
        Scalar::all(20.0),
    )?;
    Ok(Mat::roi(
        &padded,
        Rect::new(rect.x + pad, rect.y + pad, rect.width, rect.height),
    )?
    .try_clone()?)
}

/// A screen attack on `challenges`: `subject` shown on `screen` as a replay or a puppet, with the
/// kiosk's `kiosk` colours (None = no flashes).
#[allow(clippy::too_many_arguments)]
pub fn screen_clip(
    pipeline: &mut FacePipeline,
    subject: &Subject,
    screen: &Screen,
    content: Content,
    challenges: &[Challenge],
    seed: u64,
    fps: f64,
    kiosk: KioskLight<'_>,
) -> Result<Vec<Frame>> {
    let mut rng = StdRng::seed_from_u64(seed);
    let states = match content {
        Content::Puppet => perform(challenges, fps, &mut rng).states,
        Content::Replay => {
            let mut earlier = StdRng::seed_from_u64(seed ^ 0xea71);
            let script = perform(challenges, fps, &mut earlier);
            let skip = (rng.gen_range(0.0..0.8) * fps) as usize;
            script.states.into_iter().skip(skip).collect()
        }
    };
    let n = states.len() + fps as usize;
    let crop = (!screen.fills_view)
        .then(|| face_crop(pipeline, subject.stage()))
        .transpose()?;
    let picture = |i: usize| -> Result<Mat> {
        let s = states.get(i).or(states.last()).copied().unwrap_or_default();
        let mut img = subject.render(&s)?;
        if content == Content::Replay {
            // the recording's own camera and compression
            let mut rng = StdRng::seed_from_u64(seed ^ 0x7ec0 ^ ((i as u64) << 24));
            img = sensor_noise(&img, &mut rng)?;
            let mut buf = opencv::core::Vector::<u8>::new();
            let params = opencv::core::Vector::from_slice(&[imgcodecs::IMWRITE_JPEG_QUALITY, 70]);
            imgcodecs::imencode(".jpg", &img, &mut buf, &params)?;
            img = imgcodecs::imdecode(&buf, imgcodecs::IMREAD_COLOR)?;
        }
        match crop {
            Some(r) => cut(&img, r),
            None => Ok(img),
        }
    };
    held_screen(&picture, screen, n, seed, kiosk)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::frame_to_bgr;

    /// Standard deviation and mean of the green channel in the 64×64 window at the frame's centre.
    fn centre_stats(screen: &Screen) -> (f64, f64) {
        let grey =
            Mat::new_rows_cols_with_default(470, 400, cvcore::CV_8UC3, Scalar::all(180.0)).unwrap();
        let quiet = Screen {
            glare: 0.0,
            reflectance: 0.0,
            ..*screen
        };
        let frames = held_screen(&|_| Ok(grey.try_clone()?), &quiet, 1, 7, None).unwrap();
        let bgr = frame_to_bgr(&frames[0]).unwrap();
        let win = Mat::roi(&bgr, Rect::new(WIDTH / 2 - 32, HEIGHT / 2 - 32, 64, 64)).unwrap();
        let (mut mean, mut std) = (Scalar::default(), Scalar::default());
        cvcore::mean_std_dev(&win, &mut mean, &mut std, &cvcore::no_array()).unwrap();
        (std[1], mean[1])
    }

    /// A grid far finer than the camera's pixels averages out to the sensor noise (σ 2.5); a coarse one
    /// (2.2 camera pixels per screen pixel) stays visible; both show the same brightness.
    #[test]
    fn fine_grids_average_out_and_coarse_ones_show() {
        let (fine_std, fine_mean) = centre_stats(&SCREENS[3]);
        let (coarse_std, coarse_mean) = centre_stats(&SCREENS[2]);
        eprintln!(
            "fine σ {fine_std:.1} mean {fine_mean:.0}; coarse σ {coarse_std:.1} mean {coarse_mean:.0}"
        );
        assert!(fine_std < 4.0, "{fine_std}");
        assert!(coarse_std > 8.0, "{coarse_std}");
        assert!(
            (fine_mean - coarse_mean).abs() < 25.0,
            "{fine_mean} / {coarse_mean}"
        );
    }
}
