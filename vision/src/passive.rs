//! Passive presentation-attack signals: extra scores next to the active challenges, never a decision
//! on their own (a session can fail on them, never pass on them).
//!
//! - [`ScreenPattern`]: periodic texture on the face. A screen filmed by a camera shows a moiré beat
//!   between its pixel grid and the sensor's (and a halftone print shows its dot screen): a few sharp,
//!   isolated peaks in the spatial spectrum of the face region, where skin has a smooth, falling
//!   spectrum. The measure is the mean of the four strongest spectral peaks over the median power in
//!   the band of periods 3.3–11 px, as log10, on a 128×128 window of the face interior (high-passed with
//!   a σ 4 px Gaussian, Hann-windowed). Literature: moiré analysis for face anti-spoofing, e.g. Patel,
//!   Han, Jain, "Live face video vs. spoof face video: use of moiré patterns to detect replay video
//!   attacks" (ICB 2015); no code from it is used.
//! - [`PadNets`]: the two small CNNs of npm `@vladmandic/human@3.3.6` (`antispoof`, 128×128, sigmoid
//!   "real" score; `liveness`, 32×32, softmax whose first value is "live"), converted by
//!   `models/tfjs2onnx.py`; input is the detector box as RGB in 0..1, as Human feeds them. Their
//!   training data is undocumented and they do not separate the generated clips (vision/README.md), so
//!   by default they are only reported.

use opencv::core::{self as cvcore, CV_32F, Mat, Rect, Scalar, Size, Vec2f};
use opencv::dnn::{self, Net};
use opencv::imgproc;
use opencv::prelude::*;

use crate::detect::Detection;
use crate::image::square_crop;
use crate::models::{ModelPaths, Result, path_str};

/// Side of the analysed window, in image pixels.
pub const WINDOW: i32 = 128;
/// Smallest face (landmark extent, pixels) whose interior holds the window.
pub const MIN_FACE: f32 = 140.0;
/// Band of spatial frequencies searched for peaks, in cycles per pixel (periods 11 to 3.3 px).
const BAND: (f32, f32) = (0.09, 0.30);
/// Median band power below which the patch counts as textureless (a sinusoid of 0.01 grey levels
/// already gives about 1).
const MIN_POWER: f32 = 1e-3;
/// Peaks averaged (a real sinusoid gives a symmetric pair; two beats give two pairs).
const PEAKS: usize = 4;

/// Spectral peakiness of the face region; buffers are reused between frames.
pub struct ScreenPattern {
    window: Mat,
    band: Vec<usize>,
    power: Vec<f32>,
    grey: Mat,
    patch: Mat,
    smooth: Mat,
    spectrum: Mat,
}

impl ScreenPattern {
    /// Precomputes the Hann window and the band's bins.
    pub fn new() -> Result<Self> {
        let mut window = Mat::default();
        imgproc::create_hanning_window(&mut window, Size::new(WINDOW, WINDOW), CV_32F)?;
        let n = WINDOW as usize;
        let freq = |i: usize| {
            let k = if i < n / 2 {
                i as f32
            } else {
                i as f32 - n as f32
            };
            k / n as f32
        };
        let band = (0..n * n)
            .filter(|&i| {
                let r = freq(i / n).hypot(freq(i % n));
                (BAND.0..=BAND.1).contains(&r)
            })
            .collect::<Vec<_>>();
        Ok(Self {
            window,
            power: Vec::with_capacity(band.len()),
            band,
            grey: Mat::default(),
            patch: Mat::default(),
            smooth: Mat::default(),
            spectrum: Mat::default(),
        })
    }

    /// log10(mean of the strongest peaks / median power) in the band, on the window centred at
    /// (`cx`, `cy`); None when the face (`side`, pixels) is too small or the window leaves the image.
    pub fn measure(&mut self, bgr: &Mat, cx: f32, cy: f32, side: f32) -> Result<Option<f32>> {
        let (x, y) = (
            (cx - WINDOW as f32 / 2.0).round() as i32,
            (cy - WINDOW as f32 / 2.0).round() as i32,
        );
        if side < MIN_FACE || x < 0 || y < 0 || x + WINDOW > bgr.cols() || y + WINDOW > bgr.rows() {
            return Ok(None);
        }
        let roi = Mat::roi(bgr, Rect::new(x, y, WINDOW, WINDOW))?;
        imgproc::cvt_color_def(&roi, &mut self.grey, imgproc::COLOR_BGR2GRAY)?;
        self.grey.convert_to(&mut self.patch, CV_32F, 1.0, 0.0)?;
        imgproc::gaussian_blur(
            &self.patch,
            &mut self.smooth,
            Size::new(0, 0),
            4.0,
            4.0,
            cvcore::BORDER_DEFAULT,
        )?;
        let mut high = Mat::default();
        cvcore::subtract(
            &self.patch,
            &self.smooth,
            &mut high,
            &cvcore::no_array(),
            -1,
        )?;
        let mut windowed = Mat::default();
        cvcore::multiply(&high, &self.window, &mut windowed, 1.0, -1)?;
        cvcore::dft(&windowed, &mut self.spectrum, cvcore::DFT_COMPLEX_OUTPUT, 0)?;
        let bins = self.spectrum.data_typed::<Vec2f>()?;
        self.power.clear();
        self.power.extend(
            self.band
                .iter()
                .map(|&i| bins[i][0].powi(2) + bins[i][1].powi(2)),
        );
        Ok(peakiness(&mut self.power))
    }
}

/// log10(mean of the [`PEAKS`] largest values / median); reorders `power`.
fn peakiness(power: &mut [f32]) -> Option<f32> {
    if power.len() < 2 * PEAKS {
        return None;
    }
    let n = power.len();
    power.select_nth_unstable_by(n - PEAKS, f32::total_cmp);
    let top = power[n - PEAKS..].iter().sum::<f32>() / PEAKS as f32;
    let (_, median, _) = power[..n - PEAKS].select_nth_unstable_by(n / 2, f32::total_cmp);
    let median = *median;
    // a textureless patch (over-exposed, flat) has only rounding noise: no measure
    (median > MIN_POWER).then(|| (top / median).log10())
}

/// Scores of the two PAD CNNs on one face.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct PadScores {
    /// `antispoof`: "real" probability.
    pub antispoof: f32,
    /// `liveness`: "live" probability.
    pub liveness: f32,
}

/// The `antispoof` and `liveness` networks.
pub struct PadNets {
    antispoof: Net,
    liveness: Net,
}

impl PadNets {
    /// Loads both converted networks from the cache.
    pub fn load(paths: &ModelPaths) -> Result<Self> {
        Ok(Self {
            antispoof: dnn::read_net_from_onnx(path_str(&paths.antispoof()?))?,
            liveness: dnn::read_net_from_onnx(path_str(&paths.liveness_cnn()?))?,
        })
    }

    /// Both scores on the detector box.
    pub fn scores(&mut self, bgr: &Mat, det: &Detection) -> Result<PadScores> {
        let side = det.bbox.w.max(det.bbox.h);
        let run = |net: &mut Net, size: i32| -> Result<f32> {
            let (crop, _) = square_crop(bgr, det.bbox.cx, det.bbox.cy, side, size)?;
            let blob = dnn::blob_from_image(
                &crop,
                1.0 / 255.0,
                Size::new(size, size),
                Scalar::default(),
                true,
                false,
                CV_32F,
            )?;
            net.set_input_def(&blob)?;
            let out = net.forward_single_def()?;
            Ok(out.data_typed::<f32>()?.first().copied().unwrap_or(0.0))
        };
        Ok(PadScores {
            antispoof: run(&mut self.antispoof, 128)?,
            liveness: run(&mut self.liveness, 32)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peakiness_of_flat_and_peaked_spectra() {
        let mut flat = vec![1.0f32; 100];
        assert_eq!(peakiness(&mut flat), Some(0.0));
        let mut peaked = vec![1.0f32; 100];
        peaked[10] = 1000.0;
        peaked[60] = 1000.0;
        let p = peakiness(&mut peaked).unwrap();
        assert!((p - (500.5f32).log10()).abs() < 1e-3, "{p}");
        assert_eq!(peakiness(&mut [1.0; 4]), None);
    }
}
