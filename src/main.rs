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
    Run(cli::run::RunArgs),
    /// Device diagnostics for technicians (no personal data unless asked).
    #[command(subcommand)]
    Devices(cli::devices::DevicesCmd),
    /// Identity-number (GB 11643) tools.
    #[command(subcommand)]
    Id(cli::id::IdCmd),
    /// Working-day calendar tools.
    #[command(subcommand)]
    Calendar(cli::calendar::CalendarCmd),
    /// Configuration tools.
    #[command(subcommand)]
    Config(cli::config::ConfigCmd),
    /// Check devices, fonts, keys, disk and configuration; non-zero exit when the kiosk cannot serve.
    Doctor(cli::doctor::DoctorArgs),
    /// Create this kiosk's signing key and print what the district bureau registers.
    Enroll(cli::enroll::EnrollArgs),
    /// 社会救助身份证明 tools: verify a proof code offline.
    #[command(subcommand)]
    Proof(cli::proof::ProofCmd),
    /// Face check tools: verify a recording or a camera, enroll a template, render test clips;
    /// scan a document photo.
    #[command(subcommand)]
    Vision(cli::vision::VisionCmd),
    /// Voice tools: speak a prompt into a WAV file, show how a text is read.
    #[command(subcommand)]
    Voice(cli::voice::VoiceCmd),
    /// Packaging helpers (udev rules from the drivers' USB id tables).
    #[command(subcommand)]
    Packaging(cli::packaging::PackagingCmd),
}

fn main() -> anyhow::Result<()> {
    init_logging();
    let cli = Cli::parse();
    match cli
        .command
        .unwrap_or(Command::Run(cli::run::RunArgs::default()))
    {
        Command::Run(args) => cli::run::run(args),
        Command::Devices(cmd) => cli::devices::run(cmd),
        Command::Id(cmd) => exit_with(cli::id::run(cmd)),
        Command::Calendar(cmd) => exit_with(cli::calendar::run(cmd)),
        Command::Config(cmd) => exit_with(cli::config::run(cmd)),
        Command::Doctor(args) => exit_with(cli::doctor::run(args)),
        Command::Packaging(cmd) => cli::packaging::run(cmd),
        Command::Enroll(args) => exit_with(cli::enroll::run(args)),
        Command::Proof(cmd) => exit_with(cli::proof::run(cmd)),
        Command::Vision(cmd) => exit_with(cli::vision::run(cmd)),
        Command::Voice(cmd) => exit_with(cli::voice::run(cmd)),
    }
}

/// Ends the process with the command's exit code (2 for invalid input the command reported).
fn exit_with(code: anyhow::Result<i32>) -> anyhow::Result<()> {
    let code = code?;
    if code != 0 {
        std::process::exit(code);
    }
    Ok(())
}

/// Logs go to standard error (journald under systemd) through `tracing`; the level comes from
/// `RUST_LOG` (default `warn`). Personal data reaches the logs only through masked types.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
