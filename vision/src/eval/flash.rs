//! Clips for the screen-light check ([`crate::flash`]): a live head lit by the kiosk's colours
//! (synth's rig shaded by its own normals, [`crate::synth::Subject::render_lit`]), a print held up
//! (ray-cast paper reflecting the colours by its own normals, [`super::sheet`]) and a phone replaying a
//! recording of the person (the picture emits its own light; the glass mirrors the kiosk's colours
//! evenly). The camera sees each colour one frame after it was shown.

use jiuzhu_drivers_api::camera::Frame;
use opencv::core::{self as cvcore, BORDER_CONSTANT, Mat, Rect, Scalar};
use opencv::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::face_print;
use super::sheet::{Light, Shape, held_clip, sensor_noise};
use crate::image::bgr_to_frame;
use crate::models::{Result, VisionError};
use crate::pipeline::FacePipeline;
use crate::synth::{HeadState, Subject};

/// What is in front of the kiosk during the flashes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Presenter {
    /// The live person.
    Live,
    /// A print of the person's photo on this paper shape.
    Print(Shape),
    /// A phone showing a recording of the person.
    Phone,
}

/// Strength of the screen's light on a live face relative to the room light (a bright kiosk screen at
/// arm's length in a dim hall).
pub const SCREEN_STRENGTH: f32 = 0.3;

fn bgr(rgb: [f32; 3]) -> [f32; 3] {
    [rgb[2], rgb[1], rgb[0]]
}

/// The frames the camera takes while the screen shows `shown` (RGB per frame), one frame late.
pub fn flash_clip(
    pipeline: &mut FacePipeline,
    subject: &Subject,
    photo: &Mat,
    who: Presenter,
    shown: &[[f32; 3]],
    seed: u64,
) -> Result<Vec<Frame>> {
    let seen = |i: usize| if i == 0 { [0.0; 3] } else { shown[i - 1] };
    let n = shown.len();
    let sway = |i: usize| HeadState {
        yaw: 1.2 * (i as f32 * 0.21).sin(),
        pitch: 0.8 * (i as f32 * 0.17).cos(),
        ..HeadState::default()
    };
    match who {
        Presenter::Live => {
            let mut rng = StdRng::seed_from_u64(seed);
            (0..n)
                .map(|i| {
                    let img = subject.render_lit(&sway(i), seen(i), SCREEN_STRENGTH)?;
                    let mut f = bgr_to_frame(&sensor_noise(&img, &mut rng)?)?;
                    f.seq = i as u64;
                    Ok(f)
                })
                .collect()
        }
        Presenter::Print(shape) => {
            let print = face_print(pipeline, photo, seed)?;
            held_clip(&|_| Ok(print.try_clone()?), shape, n, seed, &|i| Light {
                screen: bgr(seen(i)),
                ..Light::default()
            })
        }
        Presenter::Phone => {
            // the recording: the person on the stage, cropped around the face as a phone frames it
            let stage = subject.stage();
            let d = pipeline
                .detect(stage)?
                .into_iter()
                .next()
                .ok_or_else(|| VisionError::NoFace("the stage".into()))?;
            let side = d.bbox.w.max(d.bbox.h);
            let (w, h) = ((2.2 * side) as i32, (2.6 * side) as i32);
            let (x0, y0) = (
                (d.bbox.cx - w as f32 / 2.0) as i32,
                (d.bbox.cy - 0.45 * h as f32) as i32,
            );
            let pad = w.max(h);
            let frame_of = |i: usize| -> Result<Mat> {
                let img = subject.render(&sway(i + 7))?;
                let mut padded = Mat::default();
                cvcore::copy_make_border(
                    &img,
                    &mut padded,
                    pad,
                    pad,
                    pad,
                    pad,
                    BORDER_CONSTANT,
                    Scalar::all(20.0),
                )?;
                Ok(Mat::roi(&padded, Rect::new(x0 + pad, y0 + pad, w, h))?.try_clone()?)
            };
            held_clip(&frame_of, Shape::Flat, n, seed, &|i| {
                Light::emitting(bgr(seen(i)))
            })
        }
    }
}
