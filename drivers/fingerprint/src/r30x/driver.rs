//! R30x / AS608 driver, generic over a byte transport (`Read + Write` with read timeouts).
//!
//! Protocol facts (devices.md §1; ZFM-20 user manual v2.0 §6, Adafruit_Fingerprint b5de3ff, FPM 9b4cb89):
//! - every command is answered by one ack packet (PID 0x07) whose first content byte is the
//!   confirmation code; `UpChar`/`UpImage` acks are followed by data packets (0x02…, last 0x08),
//!   `DownChar`/`DownImage` acks are followed by the host's data packets, which get no ack;
//! - capacity and packet size come from `ReadSysPara`, never hard-coded;
//! - 1:1 verify = DownChar(2, reference) + GenImg + Img2Tz(1) + Match; enroll =
//!   GenImg→Img2Tz(1)→finger off→GenImg→Img2Tz(2)→RegModel→[Store]→UpChar(1) (512 bytes);
//! - the UART image is 256×288 at 4 bits per pixel, high nibble = left pixel.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use jiuzhu_drivers_api::fingerprint::{
    Capture, CaptureKind, CaptureRequest, Enrollment, FingerImage, FingerprintError,
    FingerprintInfo, FingerprintReader, FingerprintStatus, RetryReason, Template, TemplateFormat,
    VerifyOutcome,
};

use super::proto::{
    self, Command, Confirm, DEFAULT_ADDRESS, DecodeError, Packet, Pid, SysPara, TEMPLATE_BYTES,
};

/// Connection settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct R30xConfig {
    /// Module address (default 0xFFFFFFFF).
    pub address: u32,
    /// Password sent with VfyPwd (default 0).
    pub password: u32,
    /// How long to wait for the first byte of a reply.
    pub reply_timeout: Duration,
    /// Times a command is re-sent after a garbled reply.
    pub resend: u8,
}

impl Default for R30xConfig {
    fn default() -> Self {
        Self {
            address: DEFAULT_ADDRESS,
            password: 0,
            reply_timeout: Duration::from_millis(1000),
            resend: 2,
        }
    }
}

/// Errors of the R30x driver: a refused command, or a link problem.
#[derive(Debug, thiserror::Error)]
pub enum R30xError {
    /// The module answered with a non-ok confirmation code.
    #[error("module refused {op:?}: 0x{code:02X} {}", .code_desc)]
    Refused {
        /// The instruction.
        op: proto::Op,
        /// The confirmation code byte.
        code: u8,
        /// Its meaning.
        code_desc: &'static str,
    },
    /// A reply did not parse.
    #[error("garbled reply: {0}")]
    Garbled(#[from] DecodeError),
    /// The reply was for another address or of the wrong kind.
    #[error("unexpected reply: {0}")]
    Unexpected(String),
    /// Serial I/O failure or timeout.
    #[error("serial I/O: {0}")]
    Io(#[from] io::Error),
}

impl R30xError {
    /// The confirmation code when the module refused a command.
    pub fn confirm(&self) -> Option<Confirm> {
        match self {
            Self::Refused { code, .. } => Some(Confirm::from_byte(*code)),
            _ => None,
        }
    }
}

impl From<R30xError> for FingerprintError {
    fn from(e: R30xError) -> Self {
        match e.confirm() {
            Some(Confirm::NoFinger) => Self::Retry(RetryReason::NoFinger),
            Some(Confirm::ImageFail | Confirm::TooMessy | Confirm::NoValidImage) => {
                Self::Retry(RetryReason::PoorImage)
            }
            Some(Confirm::TooFewFeatures) => Self::Retry(RetryReason::TooFewFeatures),
            Some(Confirm::MergeFail) => Self::Retry(RetryReason::MoveFinger),
            Some(Confirm::PacketError) => Self::Link(e.to_string()),
            Some(Confirm::ReadTemplateFail | Confirm::CannotReceive) => {
                Self::InvalidData(e.to_string())
            }
            Some(_) => Self::Device(e.to_string()),
            None => Self::Link(e.to_string()),
        }
    }
}

/// An R30x-family module on a transport.
pub struct R30x<T> {
    io: T,
    cfg: R30xConfig,
    rx: Vec<u8>,
    sys: Option<SysPara>,
}

impl<T: Read + Write> R30x<T> {
    /// Wrap a transport. Call [`open`](Self::open) before use.
    pub fn new(io: T, cfg: R30xConfig) -> Self {
        Self {
            io,
            cfg,
            rx: Vec::with_capacity(512),
            sys: None,
        }
    }

    /// Verify the password, then read the system parameters (capacity, packet size).
    pub fn open(&mut self) -> Result<SysPara, R30xError> {
        self.vfy_pwd(self.cfg.password)?;
        self.read_sys_para()
    }

    /// The parameters read by the last [`open`](Self::open) / [`read_sys_para`](Self::read_sys_para).
    pub fn sys_para(&self) -> Option<SysPara> {
        self.sys
    }

    /// The transport, e.g. to close it.
    pub fn into_inner(self) -> T {
        self.io
    }

    fn send(&mut self, p: &Packet) -> Result<(), R30xError> {
        self.io.write_all(&p.encode())?;
        self.io.flush()?;
        Ok(())
    }

    /// Read one packet, skipping line noise before the `EF 01` header.
    fn recv(&mut self) -> Result<Packet, R30xError> {
        let deadline = Instant::now() + self.cfg.reply_timeout;
        let mut buf = [0u8; 512];
        loop {
            match Packet::decode(&self.rx) {
                Ok((p, used)) => {
                    self.rx.drain(..used);
                    if p.address != self.cfg.address {
                        return Err(R30xError::Unexpected(format!(
                            "reply from address {:08X}, expected {:08X}",
                            p.address, self.cfg.address
                        )));
                    }
                    return Ok(p);
                }
                Err(DecodeError::Incomplete { .. }) => {}
                Err(
                    DecodeError::BadHeader(_) | DecodeError::BadPid(_) | DecodeError::BadLength(_),
                ) => {
                    // Resynchronise on the next EF 01.
                    let skip = self
                        .rx
                        .windows(2)
                        .skip(1)
                        .position(|w| w == proto::HEADER)
                        .map_or(self.rx.len().saturating_sub(1).max(1), |i| i + 1);
                    self.rx.drain(..skip.min(self.rx.len()));
                    continue;
                }
                Err(e) => {
                    self.rx.clear();
                    return Err(e.into());
                }
            }
            if Instant::now() > deadline {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "no reply from module").into());
            }
            match self.io.read(&mut buf) {
                Ok(0) => {
                    return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "port closed").into());
                }
                Ok(n) => self.rx.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::TimedOut => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Send a command and return the ack's content after the confirmation code.
    pub fn command(&mut self, cmd: Command) -> Result<Vec<u8>, R30xError> {
        let mut attempt = 0;
        loop {
            self.rx.clear();
            self.send(&Packet::command(self.cfg.address, cmd.content()))?;
            match self.recv() {
                Ok(p) if p.pid == Pid::Ack && !p.content.is_empty() => {
                    let code = Confirm::from_byte(p.content[0]);
                    if code == Confirm::Ok {
                        return Ok(p.content[1..].to_vec());
                    }
                    if code == Confirm::PacketError && attempt < self.cfg.resend {
                        attempt += 1;
                        continue;
                    }
                    return Err(R30xError::Refused {
                        op: cmd.op(),
                        code: code.byte(),
                        code_desc: code.describe(),
                    });
                }
                Ok(p) => {
                    return Err(R30xError::Unexpected(format!(
                        "expected an ack to {:?}, got {p:?}",
                        cmd.op()
                    )));
                }
                Err(R30xError::Garbled(_)) if attempt < self.cfg.resend && !cmd.uploads() => {
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Receive data packets until the end-of-data packet.
    fn recv_data(&mut self, max: usize) -> Result<Vec<u8>, R30xError> {
        let mut out = Vec::new();
        loop {
            let p = self.recv()?;
            match p.pid {
                Pid::Data | Pid::EndData => {
                    out.extend_from_slice(&p.content);
                    if out.len() > max {
                        return Err(R30xError::Unexpected(format!(
                            "data transfer exceeds {max} bytes"
                        )));
                    }
                    if p.pid == Pid::EndData {
                        return Ok(out);
                    }
                }
                other => {
                    return Err(R30xError::Unexpected(format!(
                        "{other:?} packet inside a data transfer"
                    )));
                }
            }
        }
    }

    fn packet_size(&self) -> usize {
        self.sys.map_or(128, |s| s.packet_size())
    }

    // ---- one method per instruction ----

    /// 0x01: capture an image into ImageBuffer.
    pub fn gen_img(&mut self) -> Result<(), R30xError> {
        self.command(Command::GenImg).map(drop)
    }
    /// 0x02: build a character file from the image into CharBuffer `buffer`.
    pub fn img2tz(&mut self, buffer: u8) -> Result<(), R30xError> {
        self.command(Command::Img2Tz { buffer }).map(drop)
    }
    /// 0x03: compare CharBuffer1 with CharBuffer2. `Ok(Some(score))` on a match, `Ok(None)` on no match.
    pub fn match_buffers(&mut self) -> Result<Option<u16>, R30xError> {
        match self.command(Command::Match) {
            Ok(r) => Ok(Some(be16(&r, 0)?)),
            Err(e) if e.confirm() == Some(Confirm::NoMatch) => Ok(None),
            Err(e) => Err(e),
        }
    }
    /// 0x04: search the library; `Ok(Some((page, score)))` when found.
    pub fn search(
        &mut self,
        buffer: u8,
        start: u16,
        count: u16,
    ) -> Result<Option<(u16, u16)>, R30xError> {
        match self.command(Command::Search {
            buffer,
            start,
            count,
        }) {
            Ok(r) => Ok(Some((be16(&r, 0)?, be16(&r, 2)?))),
            Err(e) if e.confirm() == Some(Confirm::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }
    /// 0x05: merge CharBuffer1 and 2.
    pub fn reg_model(&mut self) -> Result<(), R30xError> {
        self.command(Command::RegModel).map(drop)
    }
    /// 0x06: store CharBuffer `buffer` at `page`.
    pub fn store(&mut self, buffer: u8, page: u16) -> Result<(), R30xError> {
        self.command(Command::Store { buffer, page }).map(drop)
    }
    /// 0x07: load `page` into CharBuffer `buffer`.
    pub fn load_char(&mut self, buffer: u8, page: u16) -> Result<(), R30xError> {
        self.command(Command::LoadChar { buffer, page }).map(drop)
    }
    /// 0x08: upload CharBuffer `buffer` (512 bytes over several data packets).
    pub fn up_char(&mut self, buffer: u8) -> Result<Vec<u8>, R30xError> {
        self.command(Command::UpChar { buffer })?;
        self.recv_data(TEMPLATE_BYTES * 2)
    }
    /// 0x09: download a template into CharBuffer `buffer`.
    pub fn down_char(&mut self, buffer: u8, template: &[u8]) -> Result<(), R30xError> {
        self.command(Command::DownChar { buffer })?;
        let chunk = self.packet_size();
        for p in proto::data_packets(self.cfg.address, template, chunk) {
            self.send(&p)?;
        }
        Ok(())
    }
    /// 0x0A: upload the 4-bit image and expand it to 8-bit 256×288.
    pub fn up_image(&mut self) -> Result<FingerImage, R30xError> {
        self.command(Command::UpImage)?;
        let packed = self.recv_data(proto::IMAGE_BYTES_4BIT)?;
        if packed.len() != proto::IMAGE_BYTES_4BIT {
            return Err(R30xError::Unexpected(format!(
                "image of {} bytes, expected {}",
                packed.len(),
                proto::IMAGE_BYTES_4BIT
            )));
        }
        Ok(FingerImage {
            width: proto::IMAGE_WIDTH as u16,
            height: proto::IMAGE_HEIGHT as u16,
            ppi: 500,
            pixels: proto::expand_4bit(&packed),
        })
    }
    /// 0x0B: download an 8-bit 256×288 image into ImageBuffer (sent as 4-bit).
    pub fn down_image(&mut self, pixels: &[u8]) -> Result<(), R30xError> {
        if pixels.len() != proto::IMAGE_WIDTH * proto::IMAGE_HEIGHT {
            return Err(R30xError::Unexpected(format!(
                "image of {} pixels, expected 256×288",
                pixels.len()
            )));
        }
        self.command(Command::DownImage)?;
        let chunk = self.packet_size();
        for p in proto::data_packets(self.cfg.address, &proto::pack_4bit(pixels), chunk) {
            self.send(&p)?;
        }
        Ok(())
    }
    /// 0x0C: delete `count` templates from `page`.
    pub fn delete_char(&mut self, page: u16, count: u16) -> Result<(), R30xError> {
        self.command(Command::DeleteChar { page, count }).map(drop)
    }
    /// 0x0D: clear the library.
    pub fn empty(&mut self) -> Result<(), R30xError> {
        self.command(Command::Empty).map(drop)
    }
    /// 0x0E: set parameter 4 (baud N), 5 (security level) or 6 (packet-size code).
    /// The ack still uses the old settings; the change applies afterwards.
    pub fn set_sys_para(&mut self, param: u8, value: u8) -> Result<(), R30xError> {
        self.command(Command::SetSysPara { param, value })?;
        if let Some(s) = self.sys.as_mut() {
            match param {
                5 => s.security_level = u16::from(value),
                6 => s.packet_size_code = u16::from(value),
                4 => s.baud_n = u16::from(value),
                _ => {}
            }
        }
        Ok(())
    }
    /// 0x0F: read the system parameters.
    pub fn read_sys_para(&mut self) -> Result<SysPara, R30xError> {
        let r = self.command(Command::ReadSysPara)?;
        let s = SysPara::parse(&r).ok_or_else(|| {
            R30xError::Unexpected(format!("ReadSysPara returned {} bytes", r.len()))
        })?;
        self.sys = Some(s);
        Ok(s)
    }
    /// 0x12: set a new password.
    pub fn set_pwd(&mut self, password: u32) -> Result<(), R30xError> {
        self.command(Command::SetPwd(password))?;
        self.cfg.password = password;
        Ok(())
    }
    /// 0x13: verify the password.
    pub fn vfy_pwd(&mut self, password: u32) -> Result<(), R30xError> {
        self.command(Command::VfyPwd(password)).map(drop)
    }
    /// 0x14: a random number from the module.
    pub fn random(&mut self) -> Result<u32, R30xError> {
        let r = self.command(Command::GetRandomCode)?;
        Ok((u32::from(be16(&r, 0)?) << 16) | u32::from(be16(&r, 2)?))
    }
    /// 0x15: change the module address (the reply already carries the new one).
    pub fn set_address(&mut self, address: u32) -> Result<(), R30xError> {
        let old = self.cfg.address;
        self.rx.clear();
        self.send(&Packet::command(old, Command::SetAdder(address).content()))?;
        self.cfg.address = address;
        let p = self.recv();
        let p = match p {
            Ok(p) => p,
            Err(e) => {
                self.cfg.address = old;
                return Err(e);
            }
        };
        match p.content.first().map(|b| Confirm::from_byte(*b)) {
            Some(Confirm::Ok) => Ok(()),
            other => {
                self.cfg.address = old;
                let code = other.unwrap_or(Confirm::PacketError);
                Err(R30xError::Refused {
                    op: proto::Op::SetAdder,
                    code: code.byte(),
                    code_desc: code.describe(),
                })
            }
        }
    }
    /// 0x1D: number of stored templates.
    pub fn template_count(&mut self) -> Result<u16, R30xError> {
        let r = self.command(Command::TemplateNum)?;
        be16(&r, 0)
    }
    /// 0x1F: the occupied slots of index page `page` (256 slots each).
    pub fn occupied_slots(&mut self, page: u8) -> Result<Vec<u16>, R30xError> {
        let r = self.command(Command::ReadConList { page })?;
        if r.len() < 32 {
            return Err(R30xError::Unexpected(format!(
                "index table of {} bytes",
                r.len()
            )));
        }
        Ok((0..256u16)
            .filter(|i| r[usize::from(i / 8)] & (1 << (i % 8)) != 0)
            .map(|i| u16::from(page) * 256 + i)
            .collect())
    }

    // ---- flows ----

    /// Poll GenImg until a finger is imaged, honouring the timeout and cancellation.
    fn wait_finger(
        &mut self,
        req: &CaptureRequest,
        deadline: Instant,
    ) -> Result<(), FingerprintError> {
        loop {
            if req.cancel.is_cancelled() {
                return Err(FingerprintError::Cancelled);
            }
            match self.gen_img() {
                Ok(()) => return Ok(()),
                Err(e) if e.confirm() == Some(Confirm::NoFinger) => {}
                Err(e) => return Err(e.into()),
            }
            if Instant::now() >= deadline {
                return Err(FingerprintError::Timeout(req.timeout));
            }
        }
    }

    /// Poll GenImg until the finger is lifted.
    fn wait_finger_off(
        &mut self,
        req: &CaptureRequest,
        deadline: Instant,
    ) -> Result<(), FingerprintError> {
        loop {
            if req.cancel.is_cancelled() {
                return Err(FingerprintError::Cancelled);
            }
            match self.gen_img() {
                Err(e) if e.confirm() == Some(Confirm::NoFinger) => return Ok(()),
                Ok(()) => {}
                Err(e) if e.confirm().is_some() => {}
                Err(e) => return Err(e.into()),
            }
            if Instant::now() >= deadline {
                return Err(FingerprintError::Retry(RetryReason::MoveFinger));
            }
        }
    }

    fn ensure_open(&mut self) -> Result<SysPara, FingerprintError> {
        match self.sys {
            Some(s) => Ok(s),
            None => Ok(self.open()?),
        }
    }
}

fn be16(r: &[u8], at: usize) -> Result<u16, R30xError> {
    r.get(at..at + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or_else(|| R30xError::Unexpected(format!("ack too short ({} bytes)", r.len())))
}

impl<T: Read + Write> FingerprintReader for R30x<T> {
    fn info(&mut self) -> Result<FingerprintInfo, FingerprintError> {
        let s = self.ensure_open()?;
        Ok(FingerprintInfo {
            model: "Synochip R30x/AS608".into(),
            serial: format!("addr {:08X}", s.address),
            capacity: s.capacity,
            image_width: proto::IMAGE_WIDTH as u16,
            image_height: proto::IMAGE_HEIGHT as u16,
            ppi: 500,
        })
    }

    fn status(&mut self) -> Result<FingerprintStatus, FingerprintError> {
        match self.read_sys_para() {
            Ok(s) if s.status & 1 != 0 => Ok(FingerprintStatus::Busy),
            Ok(_) => Ok(FingerprintStatus::Ready),
            Err(e) if e.confirm() == Some(Confirm::PasswordRequired) => {
                Ok(FingerprintStatus::NotReady)
            }
            Err(e @ R30xError::Refused { .. }) => Err(e.into()),
            Err(_) => Ok(FingerprintStatus::Fault),
        }
    }

    fn capture(&mut self, req: &CaptureRequest) -> Result<Capture, FingerprintError> {
        self.ensure_open()?;
        let deadline = Instant::now() + req.timeout;
        self.wait_finger(req, deadline)?;
        let image = match req.kind {
            CaptureKind::Image | CaptureKind::Both => Some(self.up_image()?),
            CaptureKind::Template => None,
        };
        let template = match req.kind {
            CaptureKind::Template | CaptureKind::Both => {
                self.img2tz(1)?;
                Some(Template {
                    format: TemplateFormat::R30xChar,
                    bytes: self.up_char(1)?,
                })
            }
            CaptureKind::Image => None,
        };
        // The module reports no quality; Img2Tz success means "good enough to template".
        let quality = image
            .as_ref()
            .map_or(60, |i| crate::matching::image_quality(i).unwrap_or(0));
        Ok(Capture {
            image,
            template,
            quality,
        })
    }

    fn verify(
        &mut self,
        reference: &Template,
        req: &CaptureRequest,
    ) -> Result<VerifyOutcome, FingerprintError> {
        if reference.format != TemplateFormat::R30xChar || reference.bytes.len() != TEMPLATE_BYTES {
            return Err(FingerprintError::InvalidData(format!(
                "the module compares only its own {TEMPLATE_BYTES}-byte templates, got {reference:?}"
            )));
        }
        self.ensure_open()?;
        self.down_char(2, &reference.bytes)?;
        let deadline = Instant::now() + req.timeout;
        self.wait_finger(req, deadline)?;
        self.img2tz(1)?;
        Ok(match self.match_buffers()? {
            Some(score) => VerifyOutcome {
                matched: true,
                score: u32::from(score),
            },
            None => VerifyOutcome {
                matched: false,
                score: 0,
            },
        })
    }

    fn enroll(
        &mut self,
        slot: Option<u16>,
        req: &CaptureRequest,
    ) -> Result<Enrollment, FingerprintError> {
        let s = self.ensure_open()?;
        if let Some(page) = slot
            && page >= s.capacity
        {
            return Err(FingerprintError::InvalidData(format!(
                "slot {page} is beyond the library capacity {}",
                s.capacity
            )));
        }
        let deadline = Instant::now() + req.timeout;
        self.wait_finger(req, deadline)?;
        self.img2tz(1)?;
        self.wait_finger_off(req, deadline)?;
        self.wait_finger(req, deadline)?;
        self.img2tz(2)?;
        self.reg_model()?;
        if let Some(page) = slot {
            self.store(1, page)?;
        }
        let bytes = self.up_char(1)?;
        if bytes.len() != TEMPLATE_BYTES {
            return Err(FingerprintError::Device(format!(
                "UpChar returned {} bytes, expected {TEMPLATE_BYTES}",
                bytes.len()
            )));
        }
        Ok(Enrollment {
            slot,
            template: Template {
                format: TemplateFormat::R30xChar,
                bytes,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiuzhu_drivers_api::fingerprint::CancelToken;
    use std::collections::VecDeque;

    /// In-memory module: records what the driver writes and answers each command packet with
    /// the next scripted reply.
    #[derive(Default)]
    struct Mock {
        replies: VecDeque<Vec<u8>>,
        written: Vec<u8>,
        scan: usize,
        pending: VecDeque<u8>,
    }

    impl Write for Mock {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.written.extend_from_slice(b);
            while let Ok((p, used)) = Packet::decode(&self.written[self.scan..]) {
                self.scan += used;
                if p.pid == Pid::Command
                    && let Some(r) = self.replies.pop_front()
                {
                    self.pending.extend(r);
                }
            }
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Read for Mock {
        fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
            if self.pending.is_empty() {
                return Err(io::ErrorKind::TimedOut.into());
            }
            let n = b.len().min(self.pending.len());
            for (i, x) in self.pending.drain(..n).enumerate() {
                b[i] = x;
            }
            Ok(n)
        }
    }

    fn ack(rest: &[u8]) -> Vec<u8> {
        Packet {
            address: DEFAULT_ADDRESS,
            pid: Pid::Ack,
            content: rest.to_vec(),
        }
        .encode()
    }

    fn sys_para_reply() -> Vec<u8> {
        let s = SysPara {
            status: 0,
            system_id: 0,
            capacity: 930,
            security_level: 3,
            address: DEFAULT_ADDRESS,
            packet_size_code: 2,
            baud_n: 6,
        };
        let mut c = vec![0];
        c.extend_from_slice(&s.encode());
        ack(&c)
    }

    #[test]
    fn verify_sends_exactly_downchar_genimg_img2tz_match() {
        let mock = Mock {
            replies: [
                ack(&[0]),
                sys_para_reply(),
                ack(&[0]),
                ack(&[0]),
                ack(&[0]),
                ack(&[0, 0x00, 0x64]),
            ]
            .into(),
            ..Mock::default()
        };
        let mut drv = R30x::new(mock, R30xConfig::default());
        let reference = Template {
            format: TemplateFormat::R30xChar,
            bytes: (0..512).map(|i| (i % 256) as u8).collect(),
        };
        let req = CaptureRequest {
            timeout: Duration::from_secs(1),
            kind: CaptureKind::Template,
            cancel: CancelToken::new(),
        };
        let v = drv.verify(&reference, &req).unwrap();
        assert_eq!(
            v,
            VerifyOutcome {
                matched: true,
                score: 100
            }
        );
        assert_eq!(drv.sys_para().unwrap().capacity, 930);
        let mock = drv.into_inner();
        let mut expect = Vec::new();
        for c in [
            Command::VfyPwd(0),
            Command::ReadSysPara,
            Command::DownChar { buffer: 2 },
        ] {
            expect.extend(Packet::command(DEFAULT_ADDRESS, c.content()).encode());
        }
        for p in proto::data_packets(DEFAULT_ADDRESS, &reference.bytes, 128) {
            expect.extend(p.encode());
        }
        for c in [
            Command::GenImg,
            Command::Img2Tz { buffer: 1 },
            Command::Match,
        ] {
            expect.extend(Packet::command(DEFAULT_ADDRESS, c.content()).encode());
        }
        assert_eq!(mock.written, expect);
    }

    #[test]
    fn every_confirmation_code_becomes_a_retry_or_a_fault() {
        for b in 0..=255u8 {
            let e = R30xError::Refused {
                op: proto::Op::GenImg,
                code: b,
                code_desc: Confirm::from_byte(b).describe(),
            };
            let f = FingerprintError::from(e);
            let retry = matches!(
                Confirm::from_byte(b),
                Confirm::NoFinger
                    | Confirm::ImageFail
                    | Confirm::TooMessy
                    | Confirm::TooFewFeatures
                    | Confirm::NoValidImage
                    | Confirm::MergeFail
            );
            assert_eq!(f.is_retry(), retry, "code {b:02X} → {f:?}");
        }
    }

    #[test]
    fn a_truncated_ack_is_an_error_not_a_panic() {
        let mock = Mock {
            replies: [ack(&[0, 0x01])].into(),
            ..Mock::default()
        };
        let mut drv = R30x::new(mock, R30xConfig::default());
        assert!(matches!(
            drv.template_count(),
            Err(R30xError::Unexpected(_))
        ));
    }
}
