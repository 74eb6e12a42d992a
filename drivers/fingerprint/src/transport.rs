//! The only module that touches the serial and USB crates: opening an R30x serial port and a
//! U.are.U reader through libusb.

use std::time::Duration;

use crate::uru4000::{UsbError, UsbTransport, Variant};

/// An open serial port (reads time out after the configured interval).
pub type SerialLink = Box<dyn serialport::SerialPort>;

/// Open `path` at `baud`, 8N1, with a short read timeout so the driver can poll deadlines.
pub fn open_serial(path: &str, baud: u32) -> Result<SerialLink, String> {
    serialport::new(path, baud)
        .data_bits(serialport::DataBits::Eight)
        .parity(serialport::Parity::None)
        .stop_bits(serialport::StopBits::One)
        .flow_control(serialport::FlowControl::None)
        .timeout(Duration::from_millis(50))
        .open()
        .map_err(|e| {
            format!("cannot open {path}: {e} (check the path and that no other program holds it)")
        })
}

/// A U.are.U reader opened through libusb.
pub struct RusbTransport {
    handle: rusb::DeviceHandle<rusb::GlobalContext>,
}

impl std::fmt::Debug for RusbTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RusbTransport")
    }
}

fn usb_err(e: rusb::Error) -> UsbError {
    match e {
        rusb::Error::Timeout => UsbError::Timeout,
        rusb::Error::NoDevice => UsbError::NoDevice,
        other => UsbError::Other(other.to_string()),
    }
}

/// USB IDs of connected readers this crate drives.
pub fn find_usb_readers() -> Result<Vec<(u16, u16)>, UsbError> {
    let devices = rusb::devices().map_err(usb_err)?;
    Ok(devices
        .iter()
        .filter_map(|d| d.device_descriptor().ok())
        .map(|d| (d.vendor_id(), d.product_id()))
        .filter(|id| crate::USB_IDS.iter().any(|(v, p, _)| (*v, *p) == *id))
        .collect())
}

impl RusbTransport {
    /// Open the first connected U.are.U 4000-family reader and claim interface 0.
    pub fn open_first() -> Result<(Self, Variant), UsbError> {
        let (vid, pid) = find_usb_readers()?
            .into_iter()
            .next()
            .ok_or_else(|| UsbError::Other("no U.are.U 4000-family reader is connected".into()))?;
        let handle = rusb::open_device_with_vid_pid(vid, pid).ok_or_else(|| {
            UsbError::Other(format!(
                "cannot open {vid:04x}:{pid:04x}; check the udev rule grants access"
            ))
        })?;
        let _ = handle.set_auto_detach_kernel_driver(true);
        handle.claim_interface(0).map_err(usb_err)?;
        Ok((Self { handle }, Variant::for_id(vid, pid)))
    }
}

impl UsbTransport for RusbTransport {
    fn control_in(
        &mut self,
        request_type: u8,
        request: u8,
        value: u16,
        index: u16,
        buf: &mut [u8],
        timeout: Duration,
    ) -> Result<usize, UsbError> {
        self.handle
            .read_control(request_type, request, value, index, buf, timeout)
            .map_err(usb_err)
    }

    fn control_out(
        &mut self,
        request_type: u8,
        request: u8,
        value: u16,
        index: u16,
        data: &[u8],
        timeout: Duration,
    ) -> Result<usize, UsbError> {
        self.handle
            .write_control(request_type, request, value, index, data, timeout)
            .map_err(usb_err)
    }

    fn bulk_in(
        &mut self,
        endpoint: u8,
        buf: &mut [u8],
        timeout: Duration,
    ) -> Result<usize, UsbError> {
        self.handle
            .read_bulk(endpoint, buf, timeout)
            .map_err(usb_err)
    }

    fn interrupt_in(
        &mut self,
        endpoint: u8,
        buf: &mut [u8],
        timeout: Duration,
    ) -> Result<usize, UsbError> {
        self.handle
            .read_interrupt(endpoint, buf, timeout)
            .map_err(usb_err)
    }
}
