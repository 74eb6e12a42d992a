//! WCAG 2.x contrast arithmetic, used to hold the theme to its 7:1 promise.

/// Relative luminance of an sRGB colour (WCAG 2.2 definition).
pub fn relative_luminance(r: u8, g: u8, b: u8) -> f64 {
    fn channel(c: u8) -> f64 {
        let c = c as f64 / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    }
    0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}

/// Contrast ratio between two opaque colours, from 1.0 to 21.0.
pub fn contrast_ratio(a: slint::Color, b: slint::Color) -> f64 {
    let la = relative_luminance(a.red(), a.green(), a.blue());
    let lb = relative_luminance(b.red(), b.green(), b.blue());
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn black_on_white_is_21() {
        let r = contrast_ratio(
            slint::Color::from_rgb_u8(0, 0, 0),
            slint::Color::from_rgb_u8(255, 255, 255),
        );
        assert!((r - 21.0).abs() < 1e-9);
    }

    #[test]
    fn known_pair() {
        // #767676 on white is the classic 4.54:1 AA boundary.
        let r = contrast_ratio(
            slint::Color::from_rgb_u8(0x76, 0x76, 0x76),
            slint::Color::from_rgb_u8(255, 255, 255),
        );
        assert!((r - 4.54).abs() < 0.01, "{r}");
    }
}
