//! Runs the ESC/POS printer simulator and saves every cut page as a PNG.
//!
//! `cargo run -p jiuzhu-sim --bin printer-sim -- [--pty] [--width 384|576] [--out DIR]`
//! prints the address to give `devices printer test --tcp` (or the pty path for `--port`), then
//! reads commands on stdin: `paper ok|low|out`, `cover open|closed`, `power off|on`, `quit`.

use std::io::BufRead;
use std::path::PathBuf;

use jiuzhu_sim::printer::{PaperState, PrinterSim, SimEndpoint, save_png};

fn main() {
    if let Err(e) = run() {
        eprintln!("printer-sim: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut width = 576;
    let mut out = PathBuf::from(".");
    let mut pty = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--pty" => pty = true,
            "--width" => {
                width = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|w| *w == 384 || *w == 576)
                    .ok_or("--width needs 384 (58 mm) or 576 (80 mm)")?
            }
            "--out" => out = args.next().ok_or("--out needs a directory")?.into(),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    std::fs::create_dir_all(&out)?;
    let sim = if pty {
        PrinterSim::spawn_pty(width)?
    } else {
        PrinterSim::spawn_tcp(width)?
    };
    match sim.endpoint() {
        SimEndpoint::Tcp(a) => println!("listening on {a}  (devices printer test --tcp {a})"),
        SimEndpoint::Pty(p) => println!("pty {p}  (devices printer test --port {p})"),
    }
    let control = sim.control();
    let saver_control = control.clone();
    let saver_out = out.clone();
    std::thread::spawn(move || {
        let mut saved = 0;
        loop {
            let pages = saver_control.pages();
            for (i, page) in pages.iter().enumerate().skip(saved) {
                let path = saver_out.join(format!("page-{:03}.png", i + 1));
                match save_png(page, &path) {
                    Ok(()) => println!("saved {}", path.display()),
                    Err(e) => eprintln!("{e}"),
                }
            }
            saved = pages.len();
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    });
    let mut paper = PaperState::default();
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        match line.split_whitespace().collect::<Vec<_>>().as_slice() {
            ["paper", "ok"] => (paper.near_end, paper.out) = (false, false),
            ["paper", "low"] => (paper.near_end, paper.out) = (true, false),
            ["paper", "out"] => (paper.near_end, paper.out) = (true, true),
            ["cover", "open"] => paper.cover_open = true,
            ["cover", "closed"] => paper.cover_open = false,
            ["power", "off"] => paper.silent = true,
            ["power", "on"] => paper.silent = false,
            ["quit"] => break,
            [] => continue,
            _ => {
                eprintln!("commands: paper ok|low|out, cover open|closed, power off|on, quit");
                continue;
            }
        }
        control.set_paper(paper);
        println!("{paper:?}");
    }
    Ok(())
}
