//! Byte transports for the SAM protocol: a serial line (115200 8N1 by default, devices.md §2
//! [C: CSDN README, ZKIDReader.cs]) and USB vendor bulk (0400:c35a, bulk OUT 0x02 / IN 0x81
//! [C: IDRUSB.h]). The only file of the driver that touches `serialport` or `rusb`.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// The serial default of the readers in the field.
pub const DEFAULT_BAUD: u32 = 115_200;

/// USB bulk OUT endpoint of the vendor-bulk reader.
pub const USB_EP_OUT: u8 = 0x02;
/// USB bulk IN endpoint of the vendor-bulk reader.
pub const USB_EP_IN: u8 = 0x81;

/// A transport failure, with what was being done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TransportError(pub String);

/// Moves bytes to and from a reader. Framing is the driver's business.
pub trait Transport {
    /// Writes all of `bytes`.
    fn send(&mut self, bytes: &[u8]) -> Result<(), TransportError>;
    /// Reads what arrives within `timeout` into `buf`; `Ok(0)` when nothing came.
    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError>;
    /// Drops bytes received but not yet read (stale replies).
    fn discard_input(&mut self) -> Result<(), TransportError>;
    /// Where it is connected, for logs.
    fn describe(&self) -> String;
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn send(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        (**self).send(bytes)
    }
    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        (**self).recv(buf, timeout)
    }
    fn discard_input(&mut self) -> Result<(), TransportError> {
        (**self).discard_input()
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}

/// A reader on a serial port (RS-232, USB-serial bridge, or a simulator's pty).
pub struct SerialTransport {
    port: Box<dyn serialport::SerialPort>,
    path: String,
    baud: u32,
}

impl SerialTransport {
    /// Opens `path` at `baud`, 8 data bits, no parity, one stop bit, no flow control.
    pub fn open(path: &str, baud: u32) -> Result<Self, TransportError> {
        let port = serialport::new(path, baud)
            .data_bits(serialport::DataBits::Eight)
            .parity(serialport::Parity::None)
            .stop_bits(serialport::StopBits::One)
            .flow_control(serialport::FlowControl::None)
            .timeout(Duration::from_millis(100))
            .open()
            .map_err(|e| {
                TransportError(format!(
                    "cannot open {path}: {e} (is the path right, and is the user in group dialout?)"
                ))
            })?;
        Ok(Self {
            port,
            path: path.to_string(),
            baud,
        })
    }
}

impl Transport for SerialTransport {
    fn send(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        self.port
            .write_all(bytes)
            .and_then(|()| self.port.flush())
            .map_err(|e| TransportError(format!("writing to {}: {e}", self.path)))
    }

    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        let timeout = timeout.max(Duration::from_millis(1));
        self.port
            .set_timeout(timeout)
            .map_err(|e| TransportError(format!("setting the timeout on {}: {e}", self.path)))?;
        match self.port.read(buf) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => Ok(0),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Ok(0),
            Err(e) => Err(TransportError(format!("reading from {}: {e}", self.path))),
        }
    }

    fn discard_input(&mut self) -> Result<(), TransportError> {
        self.port
            .clear(serialport::ClearBuffer::Input)
            .map_err(|e| TransportError(format!("flushing {}: {e}", self.path)))
    }

    fn describe(&self) -> String {
        format!("serial {} @ {} 8N1", self.path, self.baud)
    }
}

/// The bulk endpoints of a USB device: rusb in production, a script in tests.
pub trait BulkPipe {
    /// Writes `data` to OUT endpoint `ep`; returns the bytes written.
    fn write_bulk(
        &mut self,
        ep: u8,
        data: &[u8],
        timeout: Duration,
    ) -> Result<usize, TransportError>;
    /// Reads one transfer from IN endpoint `ep` into `buf`; `Ok(0)` on timeout.
    fn read_bulk(
        &mut self,
        ep: u8,
        buf: &mut [u8],
        timeout: Duration,
    ) -> Result<usize, TransportError>;
    /// Which device, for logs.
    fn describe(&self) -> String;
}

/// A claimed USB device, through rusb.
pub struct RusbPipe {
    handle: rusb::DeviceHandle<rusb::GlobalContext>,
    label: String,
}

impl RusbPipe {
    /// Opens the first attached device with an id from [`crate::USB_IDS`] and claims interface 0.
    pub fn open_first() -> Result<Self, TransportError> {
        let devices =
            rusb::devices().map_err(|e| TransportError(format!("listing USB devices: {e}")))?;
        for d in devices.iter() {
            let Ok(desc) = d.device_descriptor() else {
                continue;
            };
            let (vid, pid) = (desc.vendor_id(), desc.product_id());
            if !crate::USB_IDS
                .iter()
                .any(|(v, p, _)| (*v, *p) == (vid, pid))
            {
                continue;
            }
            let label = format!(
                "usb {vid:04x}:{pid:04x} bus {} addr {}",
                d.bus_number(),
                d.address()
            );
            let handle = d.open().map_err(|e| {
                TransportError(format!(
                    "cannot open {label}: {e} (install the udev rule or run as root)"
                ))
            })?;
            // Detaching only matters when a kernel driver bound it; not all platforms support it.
            let _ = handle.set_auto_detach_kernel_driver(true);
            handle
                .claim_interface(0)
                .map_err(|e| TransportError(format!("claiming interface 0 of {label}: {e}")))?;
            return Ok(Self { handle, label });
        }
        Err(TransportError(
            "no known ID-card reader on USB (expected 0400:c35a); check the cable or use --port"
                .into(),
        ))
    }
}

impl BulkPipe for RusbPipe {
    fn write_bulk(
        &mut self,
        ep: u8,
        data: &[u8],
        timeout: Duration,
    ) -> Result<usize, TransportError> {
        self.handle
            .write_bulk(ep, data, timeout)
            .map_err(|e| TransportError(format!("bulk OUT to {}: {e}", self.label)))
    }

    fn read_bulk(
        &mut self,
        ep: u8,
        buf: &mut [u8],
        timeout: Duration,
    ) -> Result<usize, TransportError> {
        match self.handle.read_bulk(ep, buf, timeout) {
            Ok(n) => Ok(n),
            Err(rusb::Error::Timeout) => Ok(0),
            Err(e) => Err(TransportError(format!("bulk IN from {}: {e}", self.label))),
        }
    }

    fn describe(&self) -> String {
        self.label.clone()
    }
}

/// A vendor-bulk USB reader: requests go to EP 0x02, replies come from EP 0x81 in packets
/// that need not line up with frames.
pub struct UsbTransport<P: BulkPipe = RusbPipe> {
    pipe: P,
    pending: Vec<u8>,
}

impl UsbTransport<RusbPipe> {
    /// Opens the first attached device with an id from [`crate::USB_IDS`].
    pub fn open_first() -> Result<Self, TransportError> {
        Ok(Self::new(RusbPipe::open_first()?))
    }
}

impl<P: BulkPipe> UsbTransport<P> {
    /// Uses an opened pipe.
    pub fn new(pipe: P) -> Self {
        Self {
            pipe,
            pending: Vec::new(),
        }
    }
}

impl<P: BulkPipe> Transport for UsbTransport<P> {
    fn send(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        let n = self
            .pipe
            .write_bulk(USB_EP_OUT, bytes, Duration::from_secs(1))?;
        if n != bytes.len() {
            return Err(TransportError(format!(
                "bulk OUT to {}: {n} of {} bytes written",
                self.pipe.describe(),
                bytes.len()
            )));
        }
        Ok(())
    }

    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        if self.pending.is_empty() {
            // Read whole transfers; a buffer shorter than a packet would overflow.
            let mut packet = vec![0u8; buf.len().max(512)];
            let n = self.pipe.read_bulk(
                USB_EP_IN,
                &mut packet,
                timeout.max(Duration::from_millis(1)),
            )?;
            self.pending.extend_from_slice(&packet[..n]);
        }
        let n = self.pending.len().min(buf.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }

    fn discard_input(&mut self) -> Result<(), TransportError> {
        self.pending.clear();
        let until = Instant::now() + Duration::from_millis(20);
        let mut packet = [0u8; 512];
        while Instant::now() < until {
            if self
                .pipe
                .read_bulk(USB_EP_IN, &mut packet, Duration::from_millis(2))?
                == 0
            {
                break;
            }
        }
        Ok(())
    }

    fn describe(&self) -> String {
        self.pipe.describe()
    }
}
