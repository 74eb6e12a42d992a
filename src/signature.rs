//! The handwritten signature drawn with a finger on the screen: strokes in pad coordinates, the
//! path the pad draws while the finger moves, and the PNG that is uploaded with the
//! authorization (its SHA-256 goes into `SignAuthorization::handwriting_sha256`).

use std::fmt;

/// A signature being drawn. `Debug` shows only counts (a signature is personal data).
#[derive(Clone, Default, PartialEq)]
pub struct Strokes {
    strokes: Vec<Vec<(f32, f32)>>,
    drawing: bool,
}

impl fmt::Debug for Strokes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Strokes({} strokes, {} points)",
            self.strokes.len(),
            self.points()
        )
    }
}

/// Why a signature cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Nothing, or only a dot, was drawn.
    #[error("the signature pad is empty: write your name with your finger")]
    Empty,
    /// The pad size is impossible.
    #[error("the signature pad is {0}×{1} px; it must be at least 32×32")]
    BadSize(u32, u32),
    /// PNG encoding failed.
    #[error("the signature could not be encoded: {0}")]
    Encode(String),
}

/// White space kept around the ink in the PNG, in pixels.
pub const MARGIN: f32 = 16.0;

/// The least ink a signature must have, in pad pixels along the strokes.
pub const MIN_INK: f32 = 40.0;

impl Strokes {
    /// The finger touched down or moved to (`x`, `y`); `down` false lifts it.
    pub fn pen(&mut self, x: f32, y: f32, down: bool) {
        if !x.is_finite() || !y.is_finite() {
            return;
        }
        if !down {
            self.drawing = false;
            return;
        }
        if !self.drawing {
            self.strokes.push(Vec::new());
            self.drawing = true;
        }
        if let Some(s) = self.strokes.last_mut() {
            // Skip sub-pixel moves: they add points, not ink.
            if s.last()
                .is_none_or(|&(px, py)| (px - x).abs() + (py - y).abs() >= 1.0)
            {
                s.push((x, y));
            }
        }
    }

    /// Wipes the pad.
    pub fn clear(&mut self) {
        self.strokes.clear();
        self.drawing = false;
    }

    /// Whether nothing was drawn.
    pub fn is_empty(&self) -> bool {
        self.strokes.iter().all(|s| s.is_empty())
    }

    /// Points drawn.
    pub fn points(&self) -> usize {
        self.strokes.iter().map(Vec::len).sum()
    }

    /// Length of all strokes, in pad pixels.
    pub fn ink(&self) -> f32 {
        self.strokes
            .iter()
            .flat_map(|s| s.windows(2))
            .map(|w| ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt())
            .sum()
    }

    /// SVG path commands for a Slint `Path` whose viewbox is the pad's size.
    pub fn path_commands(&self) -> String {
        let mut out = String::new();
        for s in &self.strokes {
            for (i, (x, y)) in s.iter().enumerate() {
                let op = if i == 0 { 'M' } else { 'L' };
                out.push_str(&format!("{op}{x:.1} {y:.1} "));
            }
            // A single tap still shows as a dot.
            if let [(x, y)] = s.as_slice() {
                out.push_str(&format!("L{:.1} {:.1} ", x + 0.5, y + 0.5));
            }
        }
        out.trim_end().to_string()
    }

    /// The signature as a black-on-white PNG cropped to the ink with a margin of
    /// [`MARGIN`] px, strokes `thickness` px wide. Refuses a pad with less than [`MIN_INK`] of ink.
    pub fn to_png(&self, thickness: f32) -> Result<Vec<u8>, SignatureError> {
        if self.is_empty() || self.ink() < MIN_INK {
            return Err(SignatureError::Empty);
        }
        let pts = self.strokes.iter().flatten();
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for &(x, y) in pts {
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
        let pad = MARGIN + thickness;
        let (ox, oy) = (x0 - pad, y0 - pad);
        let width = ((x1 - x0 + 2.0 * pad).ceil() as u32).max(32);
        let height = ((y1 - y0 + 2.0 * pad).ceil() as u32).max(32);
        if width > 4096 || height > 4096 {
            return Err(SignatureError::BadSize(width, height));
        }
        let moved: Vec<Vec<(f32, f32)>> = self
            .strokes
            .iter()
            .map(|s| s.iter().map(|&(x, y)| (x - ox, y - oy)).collect())
            .collect();
        let mut img = image::GrayImage::from_pixel(width, height, image::Luma([255]));
        let r = (thickness / 2.0).max(0.5);
        let mut dab = |cx: f32, cy: f32| {
            let (x0, x1) = ((cx - r).floor() as i64, (cx + r).ceil() as i64);
            let (y0, y1) = ((cy - r).floor() as i64, (cy + r).ceil() as i64);
            for y in y0.max(0)..=y1.min(i64::from(height) - 1) {
                for x in x0.max(0)..=x1.min(i64::from(width) - 1) {
                    let (dx, dy) = (x as f32 - cx, y as f32 - cy);
                    if dx * dx + dy * dy <= r * r {
                        img.put_pixel(x as u32, y as u32, image::Luma([0]));
                    }
                }
            }
        };
        for s in &moved {
            if let [(x, y)] = s.as_slice() {
                dab(*x, *y);
            }
            for w in s.windows(2) {
                let ((ax, ay), (bx, by)) = (w[0], w[1]);
                let len = ((bx - ax).powi(2) + (by - ay).powi(2)).sqrt();
                let steps = (len / (r * 0.5).max(0.5)).ceil().max(1.0) as usize;
                for i in 0..=steps {
                    let t = i as f32 / steps as f32;
                    dab(ax + (bx - ax) * t, ay + (by - ay) * t);
                }
            }
        }
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png)
            .map_err(|e| SignatureError::Encode(e.to_string()))?;
        Ok(out.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drawn() -> Strokes {
        let mut s = Strokes::default();
        for i in 0..50 {
            s.pen(20.0 + i as f32 * 4.0, 50.0 + (i % 7) as f32 * 3.0, true);
        }
        s.pen(0.0, 0.0, false);
        s.pen(100.0, 20.0, true);
        s.pen(100.0, 90.0, true);
        s.pen(0.0, 0.0, false);
        s
    }

    #[test]
    fn strokes_become_a_path_and_a_png_with_ink_where_drawn() {
        let s = drawn();
        assert_eq!(s.strokes.len(), 2);
        let path = s.path_commands();
        assert!(path.starts_with("M20.0 50.0 L24.0 53.0"), "{path}");
        assert_eq!(path.matches('M').count(), 2);
        let png = s.to_png(6.0).unwrap();
        let img = image::load_from_memory(&png).unwrap().to_luma8();
        // Ink from x 20–216, y 20–90, plus 16 + 6 px each side.
        assert_eq!(img.dimensions(), (240, 114));
        // Ink on the vertical stroke (pad x 100 → 100 - 20 + 22), paper in a far corner.
        assert_eq!(img.get_pixel(102, 60)[0], 0);
        assert_eq!(img.get_pixel(235, 2)[0], 255);
        let dark = img.pixels().filter(|p| p[0] == 0).count();
        assert!(dark > 500 && dark < 240 * 114 / 3, "{dark} dark pixels");
    }

    #[test]
    fn an_empty_or_dot_only_pad_is_refused() {
        let mut s = Strokes::default();
        assert_eq!(s.to_png(6.0), Err(SignatureError::Empty));
        s.pen(10.0, 10.0, true);
        s.pen(10.0, 10.0, false);
        assert!(!s.is_empty());
        assert!(s.path_commands().contains('L'), "a tap shows as a dot");
        assert_eq!(s.to_png(6.0), Err(SignatureError::Empty));
        s.clear();
        assert!(s.is_empty());
    }

    #[test]
    fn bad_sizes_and_bad_points_are_refused() {
        let mut s = drawn();
        s.pen(9000.0, 10.0, true);
        assert!(matches!(s.to_png(6.0), Err(SignatureError::BadSize(..))));
        let mut t = Strokes::default();
        t.pen(f32::NAN, 1.0, true);
        t.pen(1.0, f32::INFINITY, true);
        assert!(t.is_empty());
    }

    #[test]
    fn debug_shows_no_coordinates() {
        let d = format!("{:?}", drawn());
        assert!(d.starts_with("Strokes(2 strokes"), "{d}");
        assert!(!d.contains("20.0"));
    }
}
