//! `jiuzhu-kiosk packaging udev-rules`: generates the udev rules from the drivers' USB id tables.

use clap::Subcommand;
use jiuzhu_kiosk::udev::{UsbTable, rules};

/// Packaging helpers.
#[derive(Debug, Subcommand)]
pub enum PackagingCmd {
    /// Print the udev rules for every USB device the kiosk drives (packaging/udev/60-jiuzhu.rules).
    UdevRules,
}

/// The USB id tables of every driver, by device class.
pub fn usb_tables() -> Vec<UsbTable<'static>> {
    vec![
        UsbTable {
            class: "idcard",
            ids: jiuzhu_idcard::USB_IDS,
        },
        UsbTable {
            class: "fingerprint",
            ids: jiuzhu_fingerprint::USB_IDS,
        },
        UsbTable {
            class: "printer",
            ids: jiuzhu_printer::USB_IDS,
        },
    ]
}

/// Runs a `packaging` subcommand.
pub fn run(cmd: PackagingCmd) -> anyhow::Result<()> {
    match cmd {
        PackagingCmd::UdevRules => print!("{}", rules(&usb_tables())),
    }
    Ok(())
}
