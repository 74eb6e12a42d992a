//! Layout + ESC/POS encoding of every document, the simulator's page render, and the time the
//! bytes need on a 115200-baud serial line (10 bits per byte).
//! Run: `cargo bench -p jiuzhu-printer --bench print_path`.

#[path = "../tests/common.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use jiuzhu_drivers_api::printer::PaperWidth;
use jiuzhu_printer::documents::render;
use jiuzhu_sim::printer::Interpreter;

fn time<F: FnMut()>(mut f: F) -> Duration {
    for _ in 0..3 {
        f();
    }
    let n = 50;
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed() / n
}

fn main() {
    let docs = [
        ("receipt", common::receipt()),
        ("identity_proof", common::identity_proof()),
        ("staff_slip", common::staff_slip()),
        ("test_page", common::test_page()),
    ];
    println!(
        "{:<16} {:>5} {:>8} {:>12} {:>12} {:>14}",
        "document", "paper", "bytes", "layout", "sim render", "wire @115200"
    );
    for (name, doc) in &docs {
        for width in [PaperWidth::Mm58, PaperWidth::Mm80] {
            let layout = time(|| {
                black_box(render(black_box(doc), width).unwrap());
            });
            let (bytes, _) = render(doc, width).unwrap();
            let sim = match Interpreter::new(u32::from(width.dots())) {
                Ok(_) => Some(time(|| {
                    let mut it = Interpreter::new(u32::from(width.dots())).unwrap();
                    it.feed(&bytes);
                    black_box(it.pages().len());
                })),
                Err(e) => {
                    eprintln!("sim render skipped: {e}");
                    None
                }
            };
            let wire = Duration::from_secs_f64(bytes.len() as f64 * 10.0 / 115_200.0);
            println!(
                "{:<16} {:>5} {:>8} {:>12?} {:>12} {:>14?}",
                name,
                width.dots(),
                bytes.len(),
                layout,
                sim.map(|d| format!("{d:?}")).unwrap_or_else(|| "-".into()),
                wire
            );
        }
    }
}
