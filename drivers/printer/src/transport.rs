//! Links to a receipt printer: a serial port (`serialport`), the Linux `usblp` device file
//! (`/dev/usb/lp0`, the kernel's USB printer class driver: bulk OUT for data, bulk IN for the
//! status replies of bidirectional printers) and TCP port 9100 (raw printing on network
//! printers). The only file of this crate that does I/O.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// A byte link to a printer.
pub trait Transport {
    /// Sends every byte.
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Reads one byte, `None` when nothing arrives within `timeout`.
    fn read_byte(&mut self, timeout: Duration) -> io::Result<Option<u8>>;
    /// Drops bytes already waiting (stale status replies).
    fn discard_input(&mut self) -> io::Result<()> {
        while self.read_byte(Duration::from_millis(1))?.is_some() {}
        Ok(())
    }
}

/// TCP, usually port 9100.
pub struct TcpTransport {
    stream: TcpStream,
}

impl TcpTransport {
    /// Connects within `timeout`.
    pub fn connect(addr: &str, timeout: Duration) -> io::Result<Self> {
        let mut last = io::Error::new(io::ErrorKind::NotFound, format!("{addr} does not resolve"));
        for a in addr.to_socket_addrs()? {
            match TcpStream::connect_timeout(&a, timeout) {
                Ok(stream) => {
                    stream.set_nodelay(true)?;
                    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
                    return Ok(TcpTransport { stream });
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

impl Transport for TcpTransport {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stream.flush()
    }

    fn read_byte(&mut self, timeout: Duration) -> io::Result<Option<u8>> {
        self.stream
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))?;
        let mut b = [0u8; 1];
        match self.stream.read(&mut b) {
            Ok(0) => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the printer closed the connection",
            )),
            Ok(_) => Ok(Some(b[0])),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

/// A serial port (RS-232 or USB-serial), 8N1.
pub struct SerialTransport {
    port: Box<dyn serialport::SerialPort>,
}

impl SerialTransport {
    /// Opens `path` at `baud` (receipt printers commonly ship at 9600, 19200 or 115200).
    pub fn open(path: &str, baud: u32) -> io::Result<Self> {
        let port = serialport::new(path, baud)
            .timeout(Duration::from_millis(50))
            .open()
            .map_err(io::Error::other)?;
        Ok(SerialTransport { port })
    }
}

impl Transport for SerialTransport {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.port.write_all(bytes)?;
        self.port.flush()
    }

    fn read_byte(&mut self, timeout: Duration) -> io::Result<Option<u8>> {
        self.port
            .set_timeout(timeout.max(Duration::from_millis(1)))
            .map_err(io::Error::other)?;
        let mut b = [0u8; 1];
        match self.port.read(&mut b) {
            Ok(0) => Ok(None),
            Ok(_) => Ok(Some(b[0])),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn discard_input(&mut self) -> io::Result<()> {
        self.port
            .clear(serialport::ClearBuffer::Input)
            .map_err(io::Error::other)
    }
}

/// The `usblp` character device. Reads are non-blocking and polled, since a printer that does
/// not answer status requests would otherwise block forever.
pub struct UsbLpTransport {
    file: std::fs::File,
}

impl UsbLpTransport {
    /// Opens e.g. `/dev/usb/lp0` for reading and writing.
    pub fn open(path: &str) -> io::Result<Self> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)?;
        Ok(UsbLpTransport { file })
    }
}

impl Transport for UsbLpTransport {
    fn write_all(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !bytes.is_empty() {
            match self.file.write(bytes) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "printer took no bytes",
                    ));
                }
                Ok(n) => bytes = &bytes[n..],
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn read_byte(&mut self, timeout: Duration) -> io::Result<Option<u8>> {
        let deadline = Instant::now() + timeout;
        let mut b = [0u8; 1];
        loop {
            match self.file.read(&mut b) {
                Ok(1) => return Ok(Some(b[0])),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// Where the printer is, parsed from the kiosk configuration or the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterAddress {
    /// `tcp:HOST:PORT` or `HOST:PORT`.
    Tcp(String),
    /// A serial port path and baud rate (`serial:/dev/ttyUSB0[@115200]`).
    Serial(String, u32),
    /// A usblp device file (`/dev/usb/lp0`).
    UsbLp(String),
}

impl PrinterAddress {
    /// Opens the link.
    pub fn open(&self) -> io::Result<Box<dyn Transport + Send>> {
        Ok(match self {
            PrinterAddress::Tcp(a) => Box::new(TcpTransport::connect(a, Duration::from_secs(3))?),
            PrinterAddress::Serial(p, baud) => Box::new(SerialTransport::open(p, *baud)?),
            PrinterAddress::UsbLp(p) => Box::new(UsbLpTransport::open(p)?),
        })
    }
}

impl Transport for Box<dyn Transport + Send> {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        (**self).write_all(bytes)
    }
    fn read_byte(&mut self, timeout: Duration) -> io::Result<Option<u8>> {
        (**self).read_byte(timeout)
    }
    fn discard_input(&mut self) -> io::Result<()> {
        (**self).discard_input()
    }
}
