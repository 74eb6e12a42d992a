//! `jiuzhu-kiosk devices …`: technician diagnostics, one subcommand per device class.
//! Each device class adds one variant here and keeps its code in its own module.

use clap::Subcommand;

/// Device diagnostics.
#[derive(Debug, Subcommand)]
pub enum DevicesCmd {
    /// List serial ports and known USB devices.
    List,
}

pub fn run(cmd: DevicesCmd) -> anyhow::Result<()> {
    match cmd {
        DevicesCmd::List => list(),
    }
}

fn list() -> anyhow::Result<()> {
    anyhow::bail!("device listing is being assembled")
}
