//! `jiuzhu-kiosk`: the kiosk program and its technician commands.

mod cli;

use clap::{Parser, Subcommand};

/// 救助通 自助终端 — Jiuzhu self-service kiosk.
#[derive(Debug, Parser)]
#[command(name = "jiuzhu-kiosk", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the kiosk user interface (the default).
    Run,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Run) {
        Command::Run => cli::run::run(),
    }
}
