//! The second evaluation set, made apart from [`crate::synth`]'s attack generator:
//!
//! - [`sheet`]: print attacks rendered by ray casting onto flat, folded and bent paper held by hand;
//! - [`screen`]: replays and puppets on an emissive screen (sub-pixel stripes at several pitches,
//!   gamma and white point, glare, bezel, focus), held by hand;
//! - genuine sessions of people who are slow (late reactions, slow and smaller movements), in dim
//!   light (the frame darkened by a gamma curve and a gain to a face mean grey of 40–70) or far from
//!   the camera (the frame shrunk into a wider field of view); the heads are [`crate::synth`]'s 3-D
//!   rig of the registry photos, so these clips test the decision logic on new conditions, not on
//!   new faces.
//!
//! Nothing here is a recording of a real person or a real attack: what that leaves unknown is in
//! vision/README.md.

pub mod flash;
pub mod screen;
pub mod set;
pub mod sheet;

use jiuzhu_drivers_api::camera::Frame;
use opencv::core::{self as cvcore, BORDER_CONSTANT, Mat, Rect, Scalar, Size};
use opencv::imgproc;
use opencv::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::image::{bgr_to_frame, frame_to_bgr};
use crate::liveness::Challenge;
use crate::models::{Result, VisionError};
use crate::pipeline::FacePipeline;
use crate::synth::{HeadState, Subject};

/// The part of `photo` that a printed face attack shows: a crop centred on the detected face, 2.2 face
/// boxes wide and 2.6 high (white paper where the photo ends).
pub fn face_print(pipeline: &mut FacePipeline, photo: &Mat, seed: u64) -> Result<Mat> {
    let dets = pipeline.detect(photo)?;
    let d = dets
        .first()
        .ok_or_else(|| VisionError::NoFace("the photo to print".into()))?;
    let side = d.bbox.w.max(d.bbox.h);
    let (w, h) = ((2.2 * side) as i32, (2.6 * side) as i32);
    let (x0, y0) = (
        (d.bbox.cx - w as f32 / 2.0) as i32,
        (d.bbox.cy - 0.45 * h as f32) as i32,
    );
    let mut padded = Mat::default();
    let pad = w.max(h);
    cvcore::copy_make_border(
        photo,
        &mut padded,
        pad,
        pad,
        pad,
        pad,
        BORDER_CONSTANT,
        Scalar::all(245.0),
    )?;
    let crop = Mat::roi(&padded, Rect::new(x0 + pad, y0 + pad, w, h))?.try_clone()?;
    sheet::print_of(&crop, seed)
}

/// How a genuine person performs: the delay before each action and how slow and large it is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Manner {
    /// Seconds from each prompt to the start of the motion.
    pub reaction: f32,
    /// Time stretch of each motion (1 = [`crate::synth::perform`]'s pace, 2 = twice as slow).
    pub slowness: f32,
    /// Fraction of the usual amplitude (turns 24–32°, nods 16–24°).
    pub amplitude: f32,
}

impl Manner {
    /// Prompt to motion in `reaction` s, otherwise ordinary.
    pub fn late(reaction: f32) -> Self {
        Self {
            reaction,
            slowness: 1.0,
            amplitude: 1.0,
        }
    }

    /// An elderly person: late, slow and with smaller movements.
    pub fn elderly(reaction: f32) -> Self {
        Self {
            reaction,
            slowness: 1.8,
            amplitude: 0.8,
        }
    }
}

fn smooth(x: f32) -> f32 {
    let x = x.clamp(0.0, 1.0);
    x * x * (3.0 - 2.0 * x)
}

/// A performance of `challenges` in `manner`. The kiosk gives the next prompt when it sees the action
/// done (near the motion's peak), so each reaction counts from about the previous peak.
pub fn perform_in(
    challenges: &[Challenge],
    manner: Manner,
    fps: f64,
    rng: &mut StdRng,
) -> Vec<HeadState> {
    struct Act {
        ch: Challenge,
        start: f32,
        up: f32,
        hold: f32,
        down: f32,
        amp: f32,
    }
    let k = manner.slowness;
    let mut t = rng.gen_range(0.6..1.0f32);
    let mut acts = Vec::new();
    for &ch in challenges {
        t += manner.reaction;
        let (up, hold, down, amp) = match ch {
            Challenge::Blink => (0.13, 0.25, 0.16, 1.0),
            Challenge::OpenMouth => (0.35, 0.6, 0.35, rng.gen_range(0.85..1.0)),
            Challenge::TurnLeft | Challenge::TurnRight => {
                (0.65, 0.3, 0.5, rng.gen_range(24.0..32.0))
            }
            Challenge::Nod => (0.5, 0.25, 0.4, rng.gen_range(16.0..24.0)),
        };
        let amp = match ch {
            Challenge::Blink | Challenge::OpenMouth => amp,
            _ => amp * manner.amplitude,
        };
        let (up, hold, down) = (up * k, hold * k, down * k);
        acts.push(Act {
            ch,
            start: t,
            up,
            hold,
            down,
            amp,
        });
        // the next prompt comes when this action is seen done, near its peak
        t += up + hold / 2.0;
    }
    let end = acts
        .last()
        .map_or(t, |a| a.start + a.up + a.hold + a.down + 0.8);
    let phase: f32 = rng.r#gen();
    let n = (f64::from(end) * fps).ceil() as usize;
    (0..n)
        .map(|i| {
            let t = (i as f64 / fps) as f32;
            let tau = std::f32::consts::TAU;
            let mut s = HeadState {
                yaw: 1.2 * (tau * 0.21 * t + tau * phase).sin(),
                pitch: 1.0 * (tau * 0.29 * t + tau * phase).cos(),
                ..HeadState::default()
            };
            for a in &acts {
                let v = a.amp
                    * if t < a.start {
                        0.0
                    } else if t < a.start + a.up {
                        smooth((t - a.start) / a.up)
                    } else if t < a.start + a.up + a.hold {
                        1.0
                    } else {
                        1.0 - smooth((t - a.start - a.up - a.hold) / a.down)
                    };
                match a.ch {
                    Challenge::Blink => s.blink = s.blink.max(v),
                    Challenge::OpenMouth => s.mouth = s.mouth.max(v),
                    Challenge::TurnLeft => s.yaw -= v,
                    Challenge::TurnRight => s.yaw += v,
                    Challenge::Nod => s.pitch += v,
                }
            }
            s
        })
        .collect()
}

/// A genuine clip of `subject` performing `challenges` in `manner`, with sensor noise.
pub fn genuine_clip(
    subject: &Subject,
    challenges: &[Challenge],
    manner: Manner,
    seed: u64,
    fps: f64,
) -> Result<Vec<Frame>> {
    genuine_clip_lit(subject, challenges, manner, seed, fps, None)
}

/// As [`genuine_clip`], the face lit also by the kiosk's screen: `kiosk(i)` is the colour (R, G, B)
/// the camera sees on the face in frame i ([`crate::synth::Subject::render_lit`] at
/// [`flash::SCREEN_STRENGTH`]).
pub fn genuine_clip_lit(
    subject: &Subject,
    challenges: &[Challenge],
    manner: Manner,
    seed: u64,
    fps: f64,
    kiosk: screen::KioskLight<'_>,
) -> Result<Vec<Frame>> {
    let mut rng = StdRng::seed_from_u64(seed);
    let states = perform_in(challenges, manner, fps, &mut rng);
    states
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let face = match kiosk {
                Some(k) => subject.render_lit(s, k(i), flash::SCREEN_STRENGTH)?,
                None => subject.render(s)?,
            };
            let img = sheet::sensor_noise(&face, &mut rng)?;
            let mut f = bgr_to_frame(&img)?;
            f.seq = i as u64;
            Ok(f)
        })
        .collect()
}

/// Darkens a frame as a dim hall does: gamma `gamma` (> 1 darkens the mid-tones more) then gain
/// `gain`, then the sensor noise of a camera at high gain (σ 3).
pub fn dim(frame: &Frame, gamma: f32, gain: f32, rng: &mut StdRng) -> Result<Frame> {
    let bgr = frame_to_bgr(frame)?;
    let lut: Vec<u8> = (0..256)
        .map(|v| {
            let x = v as f32 / 255.0;
            (255.0 * gain * x.powf(gamma)).round().clamp(0.0, 255.0) as u8
        })
        .collect();
    let lut = Mat::new_rows_cols_with_data(1, 256, &lut)?;
    let mut dark = Mat::default();
    cvcore::lut(&bgr, &lut, &mut dark)?;
    let noisy = sheet::sensor_noise(&dark, rng)?;
    let mut f = bgr_to_frame(&noisy)?;
    f.seq = frame.seq;
    Ok(f)
}

/// The same scene seen from further away: the frame shrunk by `scale` (< 1) into the middle of a
/// frame of the same size, the rest filled by the shrunk image's edge (the room continues).
pub fn far(frame: &Frame, scale: f32) -> Result<Frame> {
    let bgr = frame_to_bgr(frame)?;
    let (w, h) = (bgr.cols(), bgr.rows());
    let (sw, sh) = (
        (w as f32 * scale).round() as i32,
        (h as f32 * scale).round() as i32,
    );
    let mut small = Mat::default();
    imgproc::resize(
        &bgr,
        &mut small,
        Size::new(sw, sh),
        0.0,
        0.0,
        imgproc::INTER_AREA,
    )?;
    let (l, t) = ((w - sw) / 2, (h - sh) / 2);
    let mut out = Mat::default();
    cvcore::copy_make_border(
        &small,
        &mut out,
        t,
        h - sh - t,
        l,
        w - sw - l,
        cvcore::BORDER_REPLICATE,
        Scalar::all(0.0),
    )?;
    let mut f = bgr_to_frame(&out)?;
    f.seq = frame.seq;
    Ok(f)
}

/// Mean grey level of the face region of a frame (for reporting the dimming).
pub fn face_mean_grey(pipeline: &mut FacePipeline, frame: &Frame) -> Result<Option<f64>> {
    let bgr = frame_to_bgr(frame)?;
    pipeline.reset();
    let obs = pipeline.analyse(&bgr)?;
    pipeline.reset();
    Ok(obs.landmarks.is_some().then_some(obs.measures.brightness))
}
