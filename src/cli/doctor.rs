//! `jiuzhu-kiosk doctor [--config PATH]`: checks devices, fonts, keys, disk and configuration,
//! prints a table, and exits non-zero when the kiosk cannot serve.

use std::path::PathBuf;

use jiuzhu_kiosk::config::{DEFAULT_PATH, KioskConfig};
use jiuzhu_kiosk::doctor::{self, Status};

/// Options of `jiuzhu-kiosk doctor`.
#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// Configuration file.
    #[arg(long, default_value = DEFAULT_PATH)]
    pub config: PathBuf,
}

/// Runs the checks; exit code 1 when any check fails.
pub fn run(args: DoctorArgs) -> anyhow::Result<i32> {
    let cfg = match KioskConfig::load(&args.config) {
        Ok(c) => c,
        Err(e) => {
            println!("configuration  FAIL  {e}");
            return Ok(1);
        }
    };
    let rows = doctor::run_all(&cfg);
    print!("{}", doctor::render(&rows));
    let failed = rows.iter().filter(|r| r.status == Status::Fail).count();
    if failed > 0 {
        println!("{failed} check(s) failed: this kiosk cannot serve until they are fixed.");
        Ok(1)
    } else {
        println!("The kiosk can serve.");
        Ok(0)
    }
}
