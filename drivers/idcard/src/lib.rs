//! 二代证 SAM ID-card reader driver (serial and USB bulk).
//!
//! Protocol facts and their sources (shared/reference/devices.md §2): GA/T 467-2019 §7 业务终端接口
//! as implemented by hev-idcard-reader (`src/hev-dbus-object-idcard-reader.c`, 6f59dde), BearPi
//! `IDReader.{h,c}`, libsamv.h and kekxv's usb_tool (status codes), the Android reader source (the
//! 'I' layout), IDRUSB.h (USB endpoints). Unconfirmed there and marked [U] in the modules: the 'J'
//! reserved-tail offsets and whether a reader answers `9F` or `80` to find while a read card stays.
//!
//! - [`proto`]: frames, checksum, status codes, the read payload.
//! - [`text`]: the 256-byte text block and the nation table.
//! - [`reader`]: the poll state machine over a [`transport::Transport`].
//! - [`transport`]: serial (`serialport`) and USB bulk (`rusb`).

pub mod proto;
pub mod reader;
pub mod text;
pub mod transport;

pub use reader::{LinkStats, PollState, ReaderConfig, SamReader};
pub use transport::{DEFAULT_BAUD, SerialTransport, Transport, UsbTransport};

use jiuzhu_drivers_api::idcard::IdCardError;

/// USB ids of known ID-card readers: (vendor, product, description).
pub const USB_IDS: &[(u16, u16, &str)] = &[(
    0x0400,
    0xc35a,
    "二代证 SAM reader, vendor bulk (EP 0x02/0x81)",
)];

/// Opens a reader on a serial port (`baud` 115200 on most readers).
pub fn open_serial(
    path: &str,
    baud: u32,
    config: ReaderConfig,
) -> Result<SamReader<SerialTransport>, IdCardError> {
    let t = SerialTransport::open(path, baud).map_err(|e| IdCardError::Link(e.0))?;
    Ok(SamReader::new(t, config))
}

/// Opens the first vendor-bulk USB reader listed in [`USB_IDS`].
pub fn open_usb(config: ReaderConfig) -> Result<SamReader<UsbTransport>, IdCardError> {
    let t = UsbTransport::open_first().map_err(|e| IdCardError::Link(e.0))?;
    Ok(SamReader::new(t, config))
}
