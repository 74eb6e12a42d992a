//! `jiuzhu-kiosk config check [--file PATH]`: validates the kiosk configuration.

use std::path::PathBuf;

use clap::Subcommand;
use jiuzhu_kiosk::config::{DEFAULT_PATH, KioskConfig};

/// Configuration tools.
#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Validate a configuration file; prints each problem with the key and the fix (exit 2).
    Check {
        /// The file to check.
        #[arg(long, default_value = DEFAULT_PATH)]
        file: PathBuf,
    },
}

/// Runs a `config` subcommand and returns the exit code.
pub fn run(cmd: ConfigCmd) -> anyhow::Result<i32> {
    match cmd {
        ConfigCmd::Check { file } => match KioskConfig::load(&file) {
            Ok(cfg) => {
                println!(
                    "{}: valid — kiosk {:?}, township {}, central {}",
                    file.display(),
                    cfg.kiosk.name,
                    cfg.kiosk.township,
                    cfg.central.url
                );
                Ok(0)
            }
            Err(e) => {
                println!("{e}");
                Ok(2)
            }
        },
    }
}
