//! `jiuzhu-kiosk devices …`: technician diagnostics, one subcommand per device class.
//! Each device class adds one variant here and keeps its code in its own module.

use clap::Subcommand;

/// Device diagnostics.
#[derive(Debug, Subcommand)]
pub enum DevicesCmd {
    /// List serial ports and known USB devices.
    List,
    /// ID-card reader (二代证): read a card, SAM status (`--port PATH` or `--usb`).
    Idcard(super::idcard::IdcardArgs),
    /// Fingerprint reader: info, capture, enroll, verify (`--port PATH` or `--usb`).
    Fingerprint(super::fingerprint::FingerprintArgs),
    /// Receipt printer: status, test page (`--port PATH`, `--tcp HOST:PORT` or `--usblp PATH`).
    Printer(super::printer::PrinterArgs),
}

pub fn run(cmd: DevicesCmd) -> anyhow::Result<()> {
    match cmd {
        DevicesCmd::List => list(),
        DevicesCmd::Idcard(args) => match super::idcard::run(args)? {
            0 => Ok(()),
            code => std::process::exit(code),
        },
        DevicesCmd::Fingerprint(args) => match super::fingerprint::run(args)? {
            0 => Ok(()),
            code => std::process::exit(code),
        },
        DevicesCmd::Printer(args) => match super::printer::run(args)? {
            0 => Ok(()),
            code => std::process::exit(code),
        },
    }
}

/// One driver crate's USB ids: (vid, pid, description).
type UsbTable = &'static [(u16, u16, &'static str)];

/// USB id tables of the driver crates, by device class.
const USB_TABLES: &[(&str, UsbTable)] = &[
    ("idcard", jiuzhu_idcard::USB_IDS),
    ("fingerprint", jiuzhu_fingerprint::USB_IDS),
];

fn list() -> anyhow::Result<()> {
    println!("Serial ports:");
    match serialport::available_ports() {
        Ok(ports) if ports.is_empty() => println!("  (none)"),
        Ok(ports) => {
            for p in ports {
                let kind = match p.port_type {
                    serialport::SerialPortType::UsbPort(u) => format!(
                        "usb {:04x}:{:04x}{}",
                        u.vid,
                        u.pid,
                        u.product.map(|s| format!(" {s}")).unwrap_or_default()
                    ),
                    serialport::SerialPortType::PciPort => "pci".into(),
                    serialport::SerialPortType::BluetoothPort => "bluetooth".into(),
                    serialport::SerialPortType::Unknown => "other".into(),
                };
                println!("  {:<20} {kind}", p.port_name);
            }
        }
        Err(e) => println!("  cannot list serial ports: {e}"),
    }
    println!("USB devices of known readers:");
    match rusb::devices() {
        Ok(devices) => {
            let mut found = 0;
            for d in devices.iter() {
                let Ok(desc) = d.device_descriptor() else {
                    continue;
                };
                let id = (desc.vendor_id(), desc.product_id());
                for (class, table) in USB_TABLES {
                    for (vid, pid, name) in table.iter().filter(|(v, p, _)| (*v, *p) == id) {
                        println!(
                            "  {vid:04x}:{pid:04x}  bus {:03} addr {:03}  {class}: {name}",
                            d.bus_number(),
                            d.address()
                        );
                        found += 1;
                    }
                }
            }
            if found == 0 {
                println!("  (none attached)");
            }
        }
        Err(e) => println!("  cannot list USB devices: {e} (is libusb usable here?)"),
    }
    Ok(())
}
