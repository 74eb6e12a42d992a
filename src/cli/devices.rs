//! `jiuzhu-kiosk devices …`: technician diagnostics, one subcommand per device class.
//! Each device class adds one variant here and keeps its code in its own module.

use clap::Subcommand;

/// Device diagnostics.
#[derive(Debug, Subcommand)]
pub enum DevicesCmd {
    /// List serial ports and known USB devices.
    List,
    /// Receipt printer: status, test page (`--port PATH`, `--tcp HOST:PORT` or `--usblp PATH`).
    Printer(super::printer::PrinterArgs),
}

pub fn run(cmd: DevicesCmd) -> anyhow::Result<()> {
    match cmd {
        DevicesCmd::List => list(),
        DevicesCmd::Printer(args) => match super::printer::run(args)? {
            0 => Ok(()),
            code => std::process::exit(code),
        },
    }
}

fn list() -> anyhow::Result<()> {
    anyhow::bail!("device listing is being assembled")
}
