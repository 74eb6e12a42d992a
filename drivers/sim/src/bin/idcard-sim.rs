//! Runs the 二代证 ID-card reader simulator on a pty and prints the path to give `--port`.
//!
//! `cargo run -p jiuzhu-sim --bin idcard-sim -- [--fast] [--read-time MS] [--place NAME|PATH]`
//! then type commands on stdin (`help` lists them): `place wang-defu`, `remove`, `fault checksum`,
//! `fault noise 40 on read`, `sam off`, `quit`. Without a terminal on stdin it keeps running
//! until killed, so the kiosk can use it under `make run`.

use std::io::{BufRead, IsTerminal};

use jiuzhu_sim::idcard::{COMMAND_HELP, IdCardSim, IdCardSimConfig};

fn main() {
    if let Err(e) = run() {
        eprintln!("idcard-sim: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let mut cfg = IdCardSimConfig::default();
    let mut place = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--fast" => cfg.pace_baud = None,
            "--read-time" => {
                cfg.card_read_time = std::time::Duration::from_millis(
                    args.next()
                        .and_then(|v| v.parse().ok())
                        .ok_or("--read-time needs milliseconds")?,
                )
            }
            "--place" => place = Some(args.next().ok_or("--place needs a card name or file")?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let sim = IdCardSim::spawn(cfg).map_err(|e| e.to_string())?;
    if let Some(p) = place {
        sim.command(&format!("place {p}"))?;
    }
    println!("{}", sim.path());
    eprintln!("idcard-sim: serving on {} — {COMMAND_HELP}", sim.path());
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| e.to_string())?;
        match line.trim() {
            "" => {}
            "quit" | "exit" => return Ok(()),
            "help" => eprintln!("{COMMAND_HELP}"),
            cmd => match sim.command(cmd) {
                Ok(msg) => eprintln!("{msg}"),
                Err(e) => eprintln!("error: {e}"),
            },
        }
    }
    if !interactive {
        // Stdin closed (e.g. started from a script): keep serving until killed.
        loop {
            std::thread::park();
        }
    }
    Ok(())
}
