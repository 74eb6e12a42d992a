//! `jiuzhu-kiosk devices printer test (--port PATH | --tcp HOST:PORT | --usblp PATH)`: asks a
//! receipt printer for its status and prints the test page (fonts, sizes, raster, QR).
//! Exit 0 printed; 3 the printer reports a fault (paper out, cover open, offline); 1 link error.

use anyhow::bail;
use clap::{Args, Subcommand, ValueEnum};
use jiuzhu_drivers_api::printer::{
    Document, PaperWidth, PrinterError, PrinterStatus, ReceiptPrinter,
};
use jiuzhu_printer::EscPosPrinter;
use jiuzhu_printer::transport::PrinterAddress;

/// Paper width option.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Paper {
    /// 58 mm (384 dots).
    #[value(name = "58")]
    Mm58,
    /// 80 mm (576 dots).
    #[value(name = "80")]
    Mm80,
}

/// Which printer and how to reach it.
#[derive(Debug, Args)]
pub struct PrinterArgs {
    /// Serial port, e.g. /dev/ttyUSB0 (or a simulator's pty).
    #[arg(long, global = true, conflicts_with_all = ["tcp", "usblp"])]
    port: Option<String>,
    /// Network printer, HOST:PORT (raw printing is usually port 9100).
    #[arg(long, global = true, conflicts_with = "usblp")]
    tcp: Option<String>,
    /// USB printer through the usblp device file, e.g. /dev/usb/lp0.
    #[arg(long, global = true)]
    usblp: Option<String>,
    /// Serial baud rate.
    #[arg(long, default_value_t = 115_200, global = true)]
    baud: u32,
    /// Paper width in millimetres.
    #[arg(long, value_enum, default_value = "80", global = true)]
    paper: Paper,
    #[command(subcommand)]
    cmd: PrinterCmd,
}

/// Printer actions.
#[derive(Debug, Subcommand)]
pub enum PrinterCmd {
    /// Print the test page after a status check.
    Test,
    /// Print only the status.
    Status,
}

/// Runs a printer subcommand and returns the process exit code.
pub fn run(args: PrinterArgs) -> anyhow::Result<i32> {
    let addr = match (&args.port, &args.tcp, &args.usblp) {
        (Some(p), None, None) => PrinterAddress::Serial(p.clone(), args.baud),
        (None, Some(t), None) => PrinterAddress::Tcp(t.clone()),
        (None, None, Some(u)) => PrinterAddress::UsbLp(u.clone()),
        _ => bail!("say where the printer is: --port PATH, --tcp HOST:PORT or --usblp PATH"),
    };
    let width = match args.paper {
        Paper::Mm58 => PaperWidth::Mm58,
        Paper::Mm80 => PaperWidth::Mm80,
    };
    let link = addr
        .open()
        .map_err(|e| anyhow::anyhow!("cannot open the printer at {addr:?}: {e}"))?;
    let mut printer = EscPosPrinter::new(link, width);
    let result = match args.cmd {
        PrinterCmd::Status => printer.status().inspect(|s| {
            println!("{s}: {}", s.prompt_zh());
        }),
        PrinterCmd::Test => {
            let doc = Document::TestPage {
                printed_at: chrono::Utc::now()
                    .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
                    .naive_local(),
            };
            printer.print(&doc).map(|r| {
                println!("printed the test page ({} bytes)", r.bytes);
                if r.paper_low {
                    println!("{}", PrinterStatus::PaperLow.prompt_zh());
                }
                PrinterStatus::Ready
            })
        }
    };
    match result {
        Ok(s) if s.is_fault() => Ok(3),
        Ok(_) => Ok(0),
        Err(PrinterError::Fault(s)) => {
            eprintln!("printer fault: {s} — {}", s.prompt_zh());
            Ok(3)
        }
        Err(e) => Err(e.into()),
    }
}
