//! DigitalPersona U.are.U 4000 / 4000B / 4500 (and Microsoft-branded) USB image readers.
//!
//! Protocol facts (devices.md §3; libfprint `libfprint/drivers/uru4000.c`, snapshot 1f5e082):
//! - register access = vendor control transfer, bRequest 0x04, wValue = register, wIndex 0,
//!   wLength = count (OUT write / IN read), 5 s timeout;
//! - registers: 0x07 HWSTAT, 0x33 scramble data index (5 B), 0x34 scramble key (4 B), 0x4E MODE,
//!   0xF0 DEVICE_INFO (16 B); MODE 0x10 await finger on, 0x12 await finger off, 0x20 capture,
//!   0x70 off;
//! - IRQ endpoint 0x81, 64-byte transfers, first u16 big-endian: 0x56AA power on, 0x0101 finger
//!   on, 0x0200 finger off, 0x0800 "death";
//! - image endpoint 0x82 (bulk): 64-byte header {u8[4]; num_lines u16 LE; key_number u8; u8[9];
//!   15 × {flags, num_lines}; u8[18]} + up to 290 lines of 384 bytes; flags 0x80 change key,
//!   0x04 no key update, 0x02 encrypted, 0x01 not present;
//! - scrambled images (adjacent-line variance ≥ 5000): write [key_number, seed LE32] to 0x33, read
//!   4 bytes from 0x34, key = LE32 ^ seed, then run a 32-bit LFSR (taps 0x9248144d) whose bits
//!   4,8,11,14,18,21,24,29 form the XOR byte: data[i] = data[i+1] ^ x, last byte 0;
//! - pixels are inverted, and the image is flipped except on the 4000B.
//!
//! The driver is generic over [`UsbTransport`]; `transport::RusbTransport` talks to hardware and
//! [`replay::ScriptedUsb`] replays a scripted session in tests.

pub mod replay;

use std::time::{Duration, Instant};

use jiuzhu_drivers_api::fingerprint::{
    Capture, CaptureKind, CaptureRequest, Enrollment, FingerImage, FingerprintError,
    FingerprintInfo, FingerprintReader, FingerprintStatus, RetryReason, Template, TemplateFormat,
    VerifyOutcome,
};

use crate::matching;

/// Vendor request used for register access.
pub const REQ_REG: u8 = 0x04;
/// bmRequestType of a vendor, device-recipient control write.
pub const CTRL_OUT: u8 = 0x40;
/// bmRequestType of a vendor, device-recipient control read.
pub const CTRL_IN: u8 = 0xC0;
/// Hardware status register.
pub const REG_HWSTAT: u16 = 0x07;
/// Scramble data index register (5 bytes).
pub const REG_SCRAMBLE_INDEX: u16 = 0x33;
/// Scramble key register (4 bytes).
pub const REG_SCRAMBLE_KEY: u16 = 0x34;
/// Mode register.
pub const REG_MODE: u16 = 0x4E;
/// Device info register (16 bytes).
pub const REG_DEVICE_INFO: u16 = 0xF0;
/// Interrupt endpoint.
pub const EP_IRQ: u8 = 0x81;
/// Image endpoint.
pub const EP_IMAGE: u8 = 0x82;
/// Bytes per image line.
pub const LINE_WIDTH: usize = 384;
/// Most lines in a frame.
pub const MAX_LINES: usize = 290;
/// Frame header length.
pub const HEADER_LEN: usize = 64;
/// Largest frame on EP 0x82.
pub const FRAME_LEN: usize = HEADER_LEN + MAX_LINES * LINE_WIDTH;
/// LFSR taps.
pub const LFSR_TAPS: u32 = 0x9248_144d;

/// MODE register values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    /// 0x00.
    Init = 0x00,
    /// 0x10.
    AwaitFingerOn = 0x10,
    /// 0x12.
    AwaitFingerOff = 0x12,
    /// 0x20.
    Capture = 0x20,
    /// 0x30.
    CaptureAux = 0x30,
    /// 0x70.
    Off = 0x70,
    /// 0x80.
    Ready = 0x80,
}

/// IRQ message types (first two bytes, big-endian).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Irq {
    /// 0x56AA.
    ScanPowerOn,
    /// 0x0101.
    FingerOn,
    /// 0x0200.
    FingerOff,
    /// 0x0800: the next scan may fail.
    Death,
    /// Anything else.
    Other(u16),
}

impl Irq {
    /// Parse an IRQ transfer.
    pub fn parse(b: &[u8]) -> Option<Self> {
        let v = u16::from_be_bytes([*b.first()?, *b.get(1)?]);
        Some(match v {
            0x56AA => Self::ScanPowerOn,
            0x0101 => Self::FingerOn,
            0x0200 => Self::FingerOff,
            0x0800 => Self::Death,
            o => Self::Other(o),
        })
    }
    /// The wire value.
    pub fn value(self) -> u16 {
        match self {
            Self::ScanPowerOn => 0x56AA,
            Self::FingerOn => 0x0101,
            Self::FingerOff => 0x0200,
            Self::Death => 0x0800,
            Self::Other(v) => v,
        }
    }
}

/// USB transport errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsbError {
    /// The transfer timed out (e.g. no IRQ because no finger).
    #[error("USB transfer timed out")]
    Timeout,
    /// The device is gone.
    #[error("USB device disconnected; replug the reader")]
    NoDevice,
    /// Any other failure.
    #[error("USB transfer failed: {0}")]
    Other(String),
}

/// The four transfer kinds the driver needs.
pub trait UsbTransport {
    /// Control read into `buf`.
    fn control_in(
        &mut self,
        request_type: u8,
        request: u8,
        value: u16,
        index: u16,
        buf: &mut [u8],
        timeout: Duration,
    ) -> Result<usize, UsbError>;
    /// Control write of `data`.
    fn control_out(
        &mut self,
        request_type: u8,
        request: u8,
        value: u16,
        index: u16,
        data: &[u8],
        timeout: Duration,
    ) -> Result<usize, UsbError>;
    /// Bulk read from `endpoint`.
    fn bulk_in(
        &mut self,
        endpoint: u8,
        buf: &mut [u8],
        timeout: Duration,
    ) -> Result<usize, UsbError>;
    /// Interrupt read from `endpoint`.
    fn interrupt_in(
        &mut self,
        endpoint: u8,
        buf: &mut [u8],
        timeout: Duration,
    ) -> Result<usize, UsbError>;
}

/// One LFSR step: shift right, feeding the parity of the tapped bits into bit 31.
pub fn lfsr_step(key: u32) -> u32 {
    (((key & LFSR_TAPS).count_ones() & 1) << 31) | (key >> 1)
}

/// The XOR byte drawn from the key (bits 4, 8, 11, 14, 18, 21, 24, 29 → bits 0..7).
pub fn xor_byte(key: u32) -> u8 {
    [4, 8, 11, 14, 18, 21, 24, 29]
        .iter()
        .enumerate()
        .fold(0u8, |x, (i, b)| x | ((((key >> b) & 1) as u8) << i))
}

/// Descramble `data` in place; returns the key for the next block.
pub fn descramble(data: &mut [u8], mut key: u32) -> u32 {
    let n = data.len();
    if n == 0 {
        return key;
    }
    for i in 0..n - 1 {
        let x = xor_byte(key);
        key = lfsr_step(key);
        data[i] = data[i + 1] ^ x;
    }
    data[n - 1] = 0;
    lfsr_step(key)
}

/// The inverse of [`descramble`] (what the device does); the block's last byte is lost on the way.
pub fn scramble(data: &mut [u8], mut key: u32) -> u32 {
    let n = data.len();
    if n == 0 {
        return key;
    }
    let plain = data.to_vec();
    data[0] = 0x5A;
    for i in 0..n - 1 {
        let x = xor_byte(key);
        key = lfsr_step(key);
        data[i + 1] = plain[i] ^ x;
    }
    lfsr_step(key)
}

/// Block flags in the frame header.
pub mod block_flags {
    /// Change the key before this block.
    pub const CHANGE_KEY: u8 = 0x80;
    /// Do not advance the key over this block.
    pub const NO_KEY_UPDATE: u8 = 0x04;
    /// The block is scrambled.
    pub const ENCRYPTED: u8 = 0x02;
    /// The block's lines are not part of the image.
    pub const NOT_PRESENT: u8 = 0x01;
}

/// A parsed frame header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameHeader {
    /// Lines in the frame.
    pub num_lines: u16,
    /// Key index to ask the device for.
    pub key_number: u8,
    /// (flags, lines) per block, up to the first empty block.
    pub blocks: Vec<(u8, u8)>,
}

impl FrameHeader {
    /// Parse and validate a frame's header against its length.
    pub fn parse(frame: &[u8]) -> Result<Self, String> {
        if frame.len() < HEADER_LEN {
            return Err(format!("frame of {} bytes has no header", frame.len()));
        }
        let num_lines = u16::from_le_bytes([frame[4], frame[5]]);
        if usize::from(num_lines) >= MAX_LINES
            || frame.len() < usize::from(num_lines) * LINE_WIDTH + HEADER_LEN
        {
            return Err(format!(
                "frame claims {num_lines} lines in {} bytes",
                frame.len()
            ));
        }
        let blocks = (0..15)
            .map(|i| (frame[16 + 2 * i], frame[17 + 2 * i]))
            .take_while(|b| b.1 != 0)
            .collect();
        Ok(Self {
            num_lines,
            key_number: frame[6],
            blocks,
        })
    }

    /// Encode into a 64-byte header.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[4..6].copy_from_slice(&self.num_lines.to_le_bytes());
        h[6] = self.key_number;
        for (i, (f, n)) in self.blocks.iter().take(15).enumerate() {
            h[16 + 2 * i] = *f;
            h[17 + 2 * i] = *n;
        }
        h
    }
}

/// Mean over adjacent line pairs of the mean squared pixel difference.
pub fn line_pair_variance(lines: &[u8]) -> u32 {
    let rows: Vec<&[u8]> = lines.chunks_exact(LINE_WIDTH).collect();
    if rows.len() < 2 {
        return 0;
    }
    let total: u64 = rows
        .windows(2)
        .map(|w| {
            w[0].iter()
                .zip(w[1])
                .map(|(a, b)| (i64::from(*a) - i64::from(*b)).pow(2) as u64)
                .sum::<u64>()
                / LINE_WIDTH as u64
        })
        .sum();
    (total / (rows.len() as u64 - 1)) as u32
}

/// Which member of the family (affects the flip).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// U.are.U 4000 / 4500 / Microsoft readers: image flipped.
    Standard,
    /// U.are.U 4000B: not flipped.
    FourThousandB,
}

impl Variant {
    /// The variant for a USB ID.
    pub fn for_id(vid: u16, pid: u16) -> Self {
        if (vid, pid) == (0x05ba, 0x0008) {
            Self::FourThousandB
        } else {
            Self::Standard
        }
    }
}

/// A U.are.U 4000-family reader on a transport.
pub struct Uru4000<T> {
    usb: T,
    variant: Variant,
    seed: u32,
    device_info: Option<[u8; 16]>,
    /// The last image's raw frame header, for diagnostics.
    pub last_header: Option<FrameHeader>,
}

const REG_TIMEOUT: Duration = Duration::from_secs(5);

impl<T: UsbTransport> Uru4000<T> {
    /// Wrap a transport; `seed` is the random value mixed into key requests.
    pub fn new(usb: T, variant: Variant, seed: u32) -> Self {
        Self {
            usb,
            variant,
            seed,
            device_info: None,
            last_header: None,
        }
    }

    /// The transport back (e.g. to check a script ran to its end).
    pub fn into_inner(self) -> T {
        self.usb
    }

    /// Read `n` bytes from a register.
    pub fn read_reg(&mut self, reg: u16, n: usize) -> Result<Vec<u8>, UsbError> {
        let mut buf = vec![0u8; n];
        let got = self
            .usb
            .control_in(CTRL_IN, REQ_REG, reg, 0, &mut buf, REG_TIMEOUT)?;
        if got != n {
            return Err(UsbError::Other(format!(
                "register 0x{reg:02X}: read {got} of {n} bytes"
            )));
        }
        Ok(buf)
    }

    /// Write bytes to a register.
    pub fn write_reg(&mut self, reg: u16, data: &[u8]) -> Result<(), UsbError> {
        let n = self
            .usb
            .control_out(CTRL_OUT, REQ_REG, reg, 0, data, REG_TIMEOUT)?;
        if n != data.len() {
            return Err(UsbError::Other(format!(
                "register 0x{reg:02X}: wrote {n} of {} bytes",
                data.len()
            )));
        }
        Ok(())
    }

    /// Set the MODE register.
    pub fn set_mode(&mut self, m: Mode) -> Result<(), UsbError> {
        self.write_reg(REG_MODE, &[m as u8])
    }

    /// Wait for one IRQ message.
    pub fn read_irq(&mut self, timeout: Duration) -> Result<Irq, UsbError> {
        let mut buf = [0u8; 64];
        let n = self.usb.interrupt_in(EP_IRQ, &mut buf, timeout)?;
        Irq::parse(&buf[..n]).ok_or_else(|| UsbError::Other(format!("short IRQ of {n} bytes")))
    }

    fn poll_hwstat(&mut self, done: impl Fn(u8) -> bool) -> Result<u8, UsbError> {
        for _ in 0..100 {
            let h = self.read_reg(REG_HWSTAT, 1)?[0];
            if done(h) {
                return Ok(h);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Err(UsbError::Other("HWSTAT did not settle".into()))
    }

    /// Reboot if needed, power the sensor up, wait for 0x56AA and read DEVICE_INFO.
    pub fn init(&mut self) -> Result<[u8; 16], UsbError> {
        let mut hw = self.read_reg(REG_HWSTAT, 1)?[0];
        if hw & 0x84 == 0x84 {
            self.write_reg(REG_HWSTAT, &[hw & 0x0F])?;
            hw = self.poll_hwstat(|h| h & 0x01 != 0)?;
        }
        if hw & 0x80 == 0 {
            hw |= 0x80;
            self.write_reg(REG_HWSTAT, &[hw])?;
        }
        self.write_reg(REG_HWSTAT, &[hw & 0x0F])?;
        self.poll_hwstat(|h| h & 0x80 == 0)?;
        let mut powered = false;
        for _ in 0..3 {
            match self.read_irq(Duration::from_millis(300)) {
                Ok(Irq::ScanPowerOn) => {
                    powered = true;
                    break;
                }
                Ok(_) | Err(UsbError::Timeout) => {}
                Err(e) => return Err(e),
            }
        }
        if !powered {
            return Err(UsbError::Other(
                "sensor did not report power-on (IRQ 0x56AA); replug the reader".into(),
            ));
        }
        let info = self.read_reg(REG_DEVICE_INFO, 16)?;
        let mut out = [0u8; 16];
        out.copy_from_slice(&info);
        self.device_info = Some(out);
        Ok(out)
    }

    /// Turn a raw frame into an upright 8-bit image (dark ridges on white).
    pub fn decode_frame(&mut self, frame: &mut [u8]) -> Result<FingerImage, UsbError> {
        let hdr = FrameHeader::parse(frame).map_err(UsbError::Other)?;
        let lines = usize::from(hdr.num_lines);
        let body = &mut frame[HEADER_LEN..HEADER_LEN + lines * LINE_WIDTH];
        if line_pair_variance(body) >= 5000 {
            let mut idx = [0u8; 5];
            idx[0] = hdr.key_number;
            idx[1..].copy_from_slice(&self.seed.to_le_bytes());
            self.write_reg(REG_SCRAMBLE_INDEX, &idx)?;
            let k = self.read_reg(REG_SCRAMBLE_KEY, 4)?;
            let mut key = u32::from_le_bytes([k[0], k[1], k[2], k[3]]) ^ self.seed;
            let mut from = 0usize;
            for &(flags, n) in &hdr.blocks {
                let n = usize::from(n);
                if from + n > lines {
                    return Err(UsbError::Other("block table exceeds the frame".into()));
                }
                let block = &mut body[from * LINE_WIDTH..(from + n) * LINE_WIDTH];
                match flags & (block_flags::NO_KEY_UPDATE | block_flags::ENCRYPTED) {
                    block_flags::ENCRYPTED => key = descramble(block, key),
                    0 => {
                        for _ in 0..block.len() {
                            key = lfsr_step(key);
                        }
                    }
                    _ => {}
                }
                from += n;
            }
        }
        // Keep present blocks only (all lines when the table is empty).
        let mut rows: Vec<&[u8]> = Vec::with_capacity(lines);
        if hdr.blocks.is_empty() {
            rows.extend(body.chunks_exact(LINE_WIDTH));
        } else {
            let mut from = 0usize;
            for &(flags, n) in &hdr.blocks {
                let n = usize::from(n);
                if flags & block_flags::NOT_PRESENT == 0 {
                    rows.extend(
                        body[from * LINE_WIDTH..(from + n) * LINE_WIDTH].chunks_exact(LINE_WIDTH),
                    );
                }
                from += n;
            }
        }
        if self.variant == Variant::Standard {
            rows.reverse();
        }
        let height = rows.len();
        let pixels: Vec<u8> = rows.concat().iter().map(|p| 255 - p).collect();
        self.last_header = Some(hdr);
        Ok(FingerImage {
            width: LINE_WIDTH as u16,
            height: height as u16,
            ppi: 500,
            pixels,
        })
    }

    /// One capture cycle: await finger, capture, decode, await finger off, sensor off.
    pub fn capture_image(&mut self, req: &CaptureRequest) -> Result<FingerImage, FingerprintError> {
        if self.device_info.is_none() {
            self.init().map_err(link)?;
        }
        let deadline = Instant::now() + req.timeout;
        self.set_mode(Mode::AwaitFingerOn).map_err(link)?;
        loop {
            if req.cancel.is_cancelled() {
                let _ = self.set_mode(Mode::Off);
                return Err(FingerprintError::Cancelled);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let _ = self.set_mode(Mode::Off);
                return Err(FingerprintError::Timeout(req.timeout));
            }
            match self.read_irq(left.min(Duration::from_millis(200))) {
                Ok(Irq::FingerOn) => break,
                Ok(_) | Err(UsbError::Timeout) => {}
                Err(e) => return Err(link(e)),
            }
        }
        self.set_mode(Mode::Capture).map_err(link)?;
        let mut frame = vec![0u8; FRAME_LEN];
        let n = self
            .usb
            .bulk_in(EP_IMAGE, &mut frame, Duration::from_secs(5))
            .map_err(link)?;
        frame.truncate(n);
        let img = match self.decode_frame(&mut frame) {
            Ok(i) => i,
            Err(UsbError::Other(m)) => {
                let _ = self.set_mode(Mode::Off);
                return Err(FingerprintError::Device(m));
            }
            Err(e) => return Err(link(e)),
        };
        self.set_mode(Mode::AwaitFingerOff).map_err(link)?;
        loop {
            match self.read_irq(Duration::from_secs(10)) {
                Ok(Irq::FingerOff) => break,
                Ok(_) => {}
                Err(UsbError::Timeout) => break,
                Err(e) => return Err(link(e)),
            }
        }
        self.set_mode(Mode::Off).map_err(link)?;
        Ok(img)
    }
}

fn link(e: UsbError) -> FingerprintError {
    FingerprintError::Link(e.to_string())
}

/// Minutiae kept in the ISO record a host-side template carries.
pub const ISO_MAX_MINUTIAE: usize = 80;

impl<T: UsbTransport> FingerprintReader for Uru4000<T> {
    fn info(&mut self) -> Result<FingerprintInfo, FingerprintError> {
        let info = match self.device_info {
            Some(i) => i,
            None => self.init().map_err(link)?,
        };
        Ok(FingerprintInfo {
            model: match self.variant {
                Variant::Standard => "U.are.U 4000/4500".into(),
                Variant::FourThousandB => "U.are.U 4000B".into(),
            },
            serial: info.iter().map(|b| format!("{b:02X}")).collect(),
            capacity: 0,
            image_width: LINE_WIDTH as u16,
            image_height: MAX_LINES as u16,
            ppi: 500,
        })
    }

    fn status(&mut self) -> Result<FingerprintStatus, FingerprintError> {
        match self.read_reg(REG_HWSTAT, 1) {
            Ok(h) if h[0] & 0x80 != 0 => Ok(FingerprintStatus::NotReady),
            Ok(_) => Ok(FingerprintStatus::Ready),
            Err(UsbError::NoDevice) => Ok(FingerprintStatus::Fault),
            Err(e) => Err(link(e)),
        }
    }

    fn capture(&mut self, req: &CaptureRequest) -> Result<Capture, FingerprintError> {
        let img = self.capture_image(req)?;
        let f = matching::extract(&img).map_err(|e| FingerprintError::Device(e.to_string()))?;
        if f.minutiae.len() < 12 {
            return Err(FingerprintError::Retry(RetryReason::TooFewFeatures));
        }
        let template =
            matches!(req.kind, CaptureKind::Template | CaptureKind::Both).then(|| Template {
                format: TemplateFormat::Iso19794_2_2005,
                bytes: matching::to_iso19794_2(&f, ISO_MAX_MINUTIAE),
            });
        Ok(Capture {
            image: matches!(req.kind, CaptureKind::Image | CaptureKind::Both).then_some(img),
            template,
            quality: f.quality,
        })
    }

    fn verify(
        &mut self,
        reference: &Template,
        req: &CaptureRequest,
    ) -> Result<VerifyOutcome, FingerprintError> {
        if reference.format != TemplateFormat::Iso19794_2_2005 {
            return Err(FingerprintError::InvalidData(
                "host-side matching needs an ISO/IEC 19794-2:2005 template".into(),
            ));
        }
        let gallery = matching::from_iso19794_2(&reference.bytes)
            .map_err(|e| FingerprintError::InvalidData(e.to_string()))?;
        let img = self.capture_image(req)?;
        let probe = matching::extract(&img).map_err(|e| FingerprintError::Device(e.to_string()))?;
        if probe.minutiae.len() < 12 {
            return Err(FingerprintError::Retry(RetryReason::TooFewFeatures));
        }
        let probe = matching::from_iso19794_2(&matching::to_iso19794_2(&probe, ISO_MAX_MINUTIAE))
            .map_err(|e| FingerprintError::Device(e.to_string()))?;
        let score = matching::score(&probe, &gallery);
        Ok(VerifyOutcome {
            matched: score >= matching::MATCH_THRESHOLD,
            score,
        })
    }

    fn enroll(
        &mut self,
        slot: Option<u16>,
        req: &CaptureRequest,
    ) -> Result<Enrollment, FingerprintError> {
        if slot.is_some() {
            return Err(FingerprintError::Unsupported(
                "image readers have no on-device library; keep the template on the host",
            ));
        }
        let first = self.capture(&CaptureRequest {
            kind: CaptureKind::Template,
            ..req.clone()
        })?;
        let second = self.capture(&CaptureRequest {
            kind: CaptureKind::Template,
            ..req.clone()
        })?;
        let (Some(a), Some(b)) = (first.template, second.template) else {
            return Err(FingerprintError::Device(
                "capture returned no template".into(),
            ));
        };
        let fa = matching::from_iso19794_2(&a.bytes)
            .map_err(|e| FingerprintError::Device(e.to_string()))?;
        let fb = matching::from_iso19794_2(&b.bytes)
            .map_err(|e| FingerprintError::Device(e.to_string()))?;
        if matching::score(&fa, &fb) < matching::MATCH_THRESHOLD {
            return Err(FingerprintError::Retry(RetryReason::MoveFinger));
        }
        let best = if first.quality >= second.quality {
            a
        } else {
            b
        };
        Ok(Enrollment {
            slot: None,
            template: best,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn xor_byte_takes_the_listed_bits() {
        assert_eq!(xor_byte(1 << 4), 0x01);
        assert_eq!(xor_byte(1 << 29), 0x80);
        assert_eq!(xor_byte((1 << 8) | (1 << 24)), 0x42);
        assert_eq!(
            xor_byte(
                !((1 << 4)
                    | (1 << 8)
                    | (1 << 11)
                    | (1 << 14)
                    | (1 << 18)
                    | (1 << 21)
                    | (1 << 24)
                    | (1 << 29))
            ),
            0
        );
    }

    #[test]
    fn lfsr_feeds_parity_into_the_top_bit() {
        assert_eq!(lfsr_step(0), 0);
        assert_eq!(lfsr_step(1), 0x8000_0000); // bit 0 is a tap
        assert_eq!(lfsr_step(2), 1); // bit 1 is not
    }

    #[test]
    fn header_round_trip_and_validation() {
        let h = FrameHeader {
            num_lines: 10,
            key_number: 3,
            blocks: vec![(block_flags::ENCRYPTED, 6), (0, 4)],
        };
        let mut f = h.encode().to_vec();
        f.resize(HEADER_LEN + 10 * LINE_WIDTH, 0);
        assert_eq!(FrameHeader::parse(&f).unwrap(), h);
        assert!(FrameHeader::parse(&f[..HEADER_LEN + 9 * LINE_WIDTH]).is_err());
        let mut big = h.clone();
        big.num_lines = 290;
        assert!(FrameHeader::parse(&big.encode()).is_err());
    }

    proptest! {
        #[test]
        fn scramble_then_descramble_restores_all_but_the_last_byte(data in proptest::collection::vec(any::<u8>(), 1..2000), key: u32) {
            let mut d = data.clone();
            let k1 = scramble(&mut d, key);
            let k2 = descramble(&mut d, key);
            prop_assert_eq!(k1, k2);
            prop_assert_eq!(&d[..data.len() - 1], &data[..data.len() - 1]);
        }

        #[test]
        fn frame_header_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = FrameHeader::parse(&bytes);
            let _ = Irq::parse(&bytes);
        }
    }
}
