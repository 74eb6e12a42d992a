//! R30x / AS608 fingerprint module simulator on a pty pair.
//!
//! Speaks the Synochip packet protocol of devices.md §1 (ZFM-20 manual v2.0 §6): every
//! instruction of the table, multi-packet UpChar/UpImage/DownChar/DownImage transfers, the
//! password and address rules and the ReadSysPara block. Its "sensor" images the fingers it is
//! given (fixture prints cropped to 256×288); Img2Tz runs real MINDTCT extraction and Match /
//! Search / RegModel real BOZORTH3 scores, so scores are genuine. A character file is an
//! ISO/IEC 19794-2:2005 record of at most 80 minutiae padded to 512 bytes (the real module's
//! format is proprietary; the host treats both as opaque).
//!
//! Scripted events: a finger placed or lifted (and which one), a queue of touches consumed one per
//! GenImg, a poor image, busy, line noise before a reply, a reply with a wrong checksum, a lost
//! reply. Bytes are paced at the configured baud rate (10 bits per byte) in both directions,
//! because a pty delivers them instantly.

use std::collections::{BTreeMap, VecDeque};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use jiuzhu_drivers_api::fingerprint::FingerImage;
use jiuzhu_fingerprint::matching::{self, Features};
use jiuzhu_fingerprint::r30x::proto::{
    self, Command, Confirm, DecodeError, Packet, Pid, SysPara, TEMPLATE_BYTES,
};
use serialport::{SerialPort, TTYPort};

/// A finger the simulated sensor can see.
#[derive(Debug, Clone)]
pub struct SimFinger {
    /// Label, e.g. `"p1_1"`.
    pub name: String,
    /// What the sensor images: 256×288, 8-bit (sent as 4-bit).
    pub image: FingerImage,
}

/// Simulator settings.
#[derive(Debug, Clone)]
pub struct R30xSimConfig {
    /// Module address.
    pub address: u32,
    /// Password (0 = default, no VfyPwd needed).
    pub password: u32,
    /// Library capacity reported by ReadSysPara.
    pub capacity: u16,
    /// Security level 1..=5 (BOZORTH3 thresholds 25/32/40/50/60).
    pub security_level: u8,
    /// Packet-size code 0..=3.
    pub packet_size_code: u8,
    /// Baud rate used for pacing; `None` = no pacing.
    pub pace_baud: Option<u32>,
}

impl Default for R30xSimConfig {
    fn default() -> Self {
        Self {
            address: proto::DEFAULT_ADDRESS,
            password: 0,
            capacity: 162,
            security_level: 3,
            packet_size_code: 2,
            pace_baud: Some(57_600),
        }
    }
}

/// A one-shot fault applied to the next matching exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The next GenImg images a dry fingertip barely touching (a small patch of ridges).
    PoorImage,
    /// ReadSysPara reports busy for the next `n` reads.
    Busy(u8),
    /// `n` bytes of line noise precede the next reply.
    Noise(u8),
    /// The next reply carries a wrong checksum.
    BadChecksum,
    /// The next command gets no reply.
    DropReply,
}

#[derive(Debug)]
struct Charfile(Vec<u8>);

impl Charfile {
    fn from_features(f: &Features) -> Self {
        let mut b = matching::to_iso19794_2(f, 80);
        b.resize(TEMPLATE_BYTES, 0);
        Self(b)
    }
    fn features(&self) -> Option<Features> {
        matching::from_iso19794_2(&self.0).ok()
    }
}

struct State {
    cfg: R30xSimConfig,
    baud_n: u8,
    verified: bool,
    fingers: Vec<SimFinger>,
    chars: Vec<Option<Vec<u8>>>,
    on_sensor: Option<usize>,
    touches: VecDeque<Option<usize>>,
    faults: VecDeque<Fault>,
    busy_reads: u8,
    image: Option<(FingerImage, Option<usize>)>,
    buf: [Option<Vec<u8>>; 2],
    library: BTreeMap<u16, Vec<u8>>,
    rng: u32,
    log: Vec<Command>,
}

/// What the protocol engine wants sent, and whether data packets are expected next.
struct Reply {
    packets: Vec<Packet>,
    expect_data: Option<Download>,
    new_address: Option<u32>,
    after: Option<(u8, u8)>,
}

#[derive(Debug, Clone, Copy)]
enum Download {
    Char(u8),
    Image,
}

impl State {
    fn threshold(&self) -> u32 {
        [25, 32, 40, 50, 60][usize::from(self.cfg.security_level.clamp(1, 5) - 1)]
    }

    fn ack(&self, code: Confirm, rest: &[u8]) -> Packet {
        let mut c = vec![code.byte()];
        c.extend_from_slice(rest);
        Packet {
            address: self.cfg.address,
            pid: Pid::Ack,
            content: c,
        }
    }

    fn simple(&self, code: Confirm, rest: &[u8]) -> Reply {
        Reply {
            packets: vec![self.ack(code, rest)],
            expect_data: None,
            new_address: None,
            after: None,
        }
    }

    fn packet_size(&self) -> usize {
        32 << self.cfg.packet_size_code.min(3)
    }

    fn score(a: &[u8], b: &[u8]) -> u32 {
        match (
            Charfile(a.to_vec()).features(),
            Charfile(b.to_vec()).features(),
        ) {
            (Some(x), Some(y)) => matching::score(&x, &y),
            _ => 0,
        }
    }

    fn char_for_image(
        &mut self,
        img: &FingerImage,
        finger: Option<usize>,
    ) -> Result<Vec<u8>, Confirm> {
        if let Some(i) = finger
            && let Some(Some(c)) = self.chars.get(i)
        {
            return Ok(c.clone());
        }
        let f = matching::extract(img).map_err(|_| Confirm::NoValidImage)?;
        if f.minutiae.len() < 4 {
            return Err(Confirm::TooMessy);
        }
        if f.minutiae.len() < 12 {
            return Err(Confirm::TooFewFeatures);
        }
        let c = Charfile::from_features(&f).0;
        if let Some(i) = finger
            && let Some(slot) = self.chars.get_mut(i)
        {
            *slot = Some(c.clone());
        }
        Ok(c)
    }

    fn handle(&mut self, cmd: Command) -> Reply {
        use Confirm as C;
        self.log.push(cmd);
        if self.cfg.password != 0 && !self.verified && !matches!(cmd, Command::VfyPwd(_)) {
            return self.simple(C::PasswordRequired, &[]);
        }
        let buf_idx = |b: u8| (b == 1 || b == 2).then(|| usize::from(b - 1));
        match cmd {
            Command::GenImg => {
                if let Some(t) = self.touches.pop_front() {
                    self.on_sensor = t;
                }
                let Some(i) = self.on_sensor else {
                    return self.simple(C::NoFinger, &[]);
                };
                let poor = self.take_fault(Fault::PoorImage);
                let mut img = self.fingers[i].image.clone();
                if poor {
                    // A dry fingertip barely touching: only a small patch of ridges registers.
                    let w = i64::from(img.width);
                    for (k, p) in img.pixels.iter_mut().enumerate() {
                        let (x, y) = (k as i64 % w - 128, k as i64 / w - 144);
                        if x * x + y * y > 36 * 36 {
                            *p = 255;
                        }
                    }
                }
                // The sensor delivers 4 bits per pixel.
                img.pixels.iter_mut().for_each(|p| *p = (*p >> 4) * 17);
                self.image = Some((img, (!poor).then_some(i)));
                self.simple(C::Ok, &[])
            }
            Command::Img2Tz { buffer } => {
                let Some(b) = buf_idx(buffer) else {
                    return self.simple(C::PacketError, &[]);
                };
                let Some((img, finger)) = self.image.clone() else {
                    return self.simple(C::NoValidImage, &[]);
                };
                match self.char_for_image(&img, finger) {
                    Ok(c) => {
                        self.buf[b] = Some(c);
                        self.simple(C::Ok, &[])
                    }
                    Err(code) => self.simple(code, &[]),
                }
            }
            Command::Match => match (&self.buf[0], &self.buf[1]) {
                (Some(a), Some(b)) => {
                    let s = Self::score(a, b).min(u32::from(u16::MAX)) as u16;
                    let code = if u32::from(s) >= self.threshold() {
                        C::Ok
                    } else {
                        C::NoMatch
                    };
                    self.simple(code, &s.to_be_bytes())
                }
                _ => self.simple(C::NoMatch, &[0, 0]),
            },
            Command::Search {
                buffer,
                start,
                count,
            } => {
                let Some(Some(probe)) = buf_idx(buffer).map(|b| self.buf[b].clone()) else {
                    return self.simple(C::NotFound, &[0, 0, 0, 0]);
                };
                let end = start.saturating_add(count);
                let best = self
                    .library
                    .range(start..end)
                    .map(|(p, t)| (*p, Self::score(&probe, t)))
                    .max_by_key(|(_, s)| *s);
                match best {
                    Some((p, s)) if s >= self.threshold() => {
                        let mut r = p.to_be_bytes().to_vec();
                        r.extend_from_slice(&(s.min(u32::from(u16::MAX)) as u16).to_be_bytes());
                        self.simple(C::Ok, &r)
                    }
                    _ => self.simple(C::NotFound, &[0, 0, 0, 0]),
                }
            }
            Command::RegModel => match (&self.buf[0], &self.buf[1]) {
                (Some(a), Some(b)) if Self::score(a, b) >= self.threshold() => {
                    let merged = a.clone();
                    self.buf[1] = Some(merged);
                    self.simple(C::Ok, &[])
                }
                _ => self.simple(C::MergeFail, &[]),
            },
            Command::Store { buffer, page } => {
                if page >= self.cfg.capacity {
                    return self.simple(C::PageOutOfRange, &[]);
                }
                match buf_idx(buffer).and_then(|b| self.buf[b].clone()) {
                    Some(t) => {
                        self.library.insert(page, t);
                        self.simple(C::Ok, &[])
                    }
                    None => self.simple(C::FlashError, &[]),
                }
            }
            Command::LoadChar { buffer, page } => {
                if page >= self.cfg.capacity {
                    return self.simple(C::PageOutOfRange, &[]);
                }
                match (buf_idx(buffer), self.library.get(&page).cloned()) {
                    (Some(b), Some(t)) => {
                        self.buf[b] = Some(t);
                        self.simple(C::Ok, &[])
                    }
                    _ => self.simple(C::ReadTemplateFail, &[]),
                }
            }
            Command::UpChar { buffer } => match buf_idx(buffer).and_then(|b| self.buf[b].clone()) {
                Some(t) => {
                    let mut r = self.simple(C::Ok, &[]);
                    r.packets.extend(proto::data_packets(
                        self.cfg.address,
                        &t,
                        self.packet_size(),
                    ));
                    r
                }
                None => self.simple(C::UploadFeatureFail, &[]),
            },
            Command::DownChar { buffer } => match buf_idx(buffer) {
                Some(_) => Reply {
                    expect_data: Some(Download::Char(buffer)),
                    ..self.simple(C::Ok, &[])
                },
                None => self.simple(C::CannotReceive, &[]),
            },
            Command::UpImage => match &self.image {
                Some((img, _)) => {
                    let packed = proto::pack_4bit(&img.pixels);
                    let mut r = self.simple(C::Ok, &[]);
                    r.packets.extend(proto::data_packets(
                        self.cfg.address,
                        &packed,
                        self.packet_size(),
                    ));
                    r
                }
                None => self.simple(C::UploadImageFail, &[]),
            },
            Command::DownImage => Reply {
                expect_data: Some(Download::Image),
                ..self.simple(C::Ok, &[])
            },
            Command::DeleteChar { page, count } => {
                if u32::from(page) + u32::from(count) > u32::from(self.cfg.capacity) || count == 0 {
                    return self.simple(C::DeleteFail, &[]);
                }
                let keys: Vec<u16> = self
                    .library
                    .range(page..page + count)
                    .map(|(k, _)| *k)
                    .collect();
                for k in keys {
                    self.library.remove(&k);
                }
                self.simple(C::Ok, &[])
            }
            Command::Empty => {
                self.library.clear();
                self.simple(C::Ok, &[])
            }
            Command::SetSysPara { param, value } => {
                let ok = match param {
                    4 => (1..=12).contains(&value),
                    5 => (1..=5).contains(&value),
                    6 => value <= 3,
                    _ => false,
                };
                if ok {
                    Reply {
                        after: Some((param, value)),
                        ..self.simple(C::Ok, &[])
                    }
                } else {
                    self.simple(C::BadRegister, &[])
                }
            }
            Command::ReadSysPara => {
                let busy = self.busy_reads > 0;
                self.busy_reads = self.busy_reads.saturating_sub(1);
                let status = u16::from(busy)
                    | (u16::from(self.verified || self.cfg.password == 0) << 2)
                    | (u16::from(self.image.is_some()) << 3);
                let s = SysPara {
                    status,
                    system_id: 0,
                    capacity: self.cfg.capacity,
                    security_level: u16::from(self.cfg.security_level),
                    address: self.cfg.address,
                    packet_size_code: u16::from(self.cfg.packet_size_code),
                    baud_n: u16::from(self.baud_n),
                };
                self.simple(C::Ok, &s.encode())
            }
            Command::SetPwd(p) => {
                self.cfg.password = p;
                self.verified = true;
                self.simple(C::Ok, &[])
            }
            Command::VfyPwd(p) => {
                if p == self.cfg.password {
                    self.verified = true;
                    self.simple(C::Ok, &[])
                } else {
                    self.verified = false;
                    self.simple(C::WrongPassword, &[])
                }
            }
            Command::GetRandomCode => {
                self.rng ^= self.rng << 13;
                self.rng ^= self.rng >> 17;
                self.rng ^= self.rng << 5;
                let r = self.rng.to_be_bytes();
                self.simple(C::Ok, &r)
            }
            Command::SetAdder(a) => {
                self.cfg.address = a;
                Reply {
                    new_address: Some(a),
                    ..self.simple(C::Ok, &[])
                }
            }
            Command::TemplateNum => {
                let n = self.library.len() as u16;
                self.simple(C::Ok, &n.to_be_bytes())
            }
            Command::ReadConList { page } => {
                if page > 3 {
                    return self.simple(C::PacketError, &[]);
                }
                let mut bits = [0u8; 32];
                let base = u16::from(page) * 256;
                for k in self
                    .library
                    .range(base..base.saturating_add(256))
                    .map(|(k, _)| k - base)
                {
                    bits[usize::from(k / 8)] |= 1 << (k % 8);
                }
                self.simple(C::Ok, &bits)
            }
        }
    }

    fn take_fault(&mut self, f: Fault) -> bool {
        if let Some(i) = self.faults.iter().position(|x| *x == f) {
            self.faults.remove(i);
            true
        } else {
            false
        }
    }

    fn take_wire_fault(&mut self) -> Option<Fault> {
        let i = self
            .faults
            .iter()
            .position(|x| matches!(x, Fault::Noise(_) | Fault::BadChecksum | Fault::DropReply))?;
        self.faults.remove(i)
    }

    fn finish_download(&mut self, kind: Download, data: Vec<u8>) -> Option<Packet> {
        match kind {
            Download::Char(b) => {
                if data.len() != TEMPLATE_BYTES {
                    return Some(self.ack(Confirm::CannotReceive, &[]));
                }
                self.buf[usize::from(b - 1)] = Some(data);
            }
            Download::Image => {
                if data.len() != proto::IMAGE_BYTES_4BIT {
                    return Some(self.ack(Confirm::CannotReceive, &[]));
                }
                let img = FingerImage {
                    width: proto::IMAGE_WIDTH as u16,
                    height: proto::IMAGE_HEIGHT as u16,
                    ppi: 500,
                    pixels: proto::expand_4bit(&data),
                };
                self.image = Some((img, None));
            }
        }
        // Data packets get no ack.
        None
    }
}

/// Control of a running simulator: place and lift fingers, inject faults, inspect the library.
#[derive(Clone)]
pub struct R30xSimControl(Arc<Mutex<State>>);

impl std::fmt::Debug for R30xSimControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("R30xSimControl")
    }
}

impl R30xSimControl {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
    /// Put finger `index` (into the list given at start) on the sensor.
    pub fn place(&self, index: usize) {
        let mut s = self.lock();
        s.touches.clear();
        s.on_sensor = Some(index).filter(|i| *i < s.fingers.len());
    }
    /// Lift the finger.
    pub fn lift(&self) {
        let mut s = self.lock();
        s.touches.clear();
        s.on_sensor = None;
    }
    /// Queue what successive GenImg calls see (`None` = no finger); the last state persists.
    pub fn touches(&self, seq: impl IntoIterator<Item = Option<usize>>) {
        self.lock().touches.extend(seq);
    }
    /// Queue a one-shot fault.
    pub fn inject(&self, f: Fault) {
        let mut s = self.lock();
        if let Fault::Busy(n) = f {
            s.busy_reads = n;
        } else {
            s.faults.push_back(f);
        }
    }
    /// Slots in use.
    pub fn library_slots(&self) -> Vec<u16> {
        self.lock().library.keys().copied().collect()
    }
    /// Put a template straight into the library (e.g. a pre-enrolled resident).
    pub fn enroll_finger(&self, index: usize, page: u16) -> Result<(), String> {
        let mut s = self.lock();
        let img = s.fingers.get(index).ok_or("no such finger")?.image.clone();
        let mut img4 = img;
        img4.pixels.iter_mut().for_each(|p| *p = (*p >> 4) * 17);
        let c = s
            .char_for_image(&img4, Some(index))
            .map_err(|c| c.describe().to_string())?;
        s.library.insert(page, c);
        Ok(())
    }
    /// Commands received so far.
    pub fn commands(&self) -> Vec<Command> {
        self.lock().log.clone()
    }
}

/// A simulator serving the master side of a pty pair on its own thread.
pub struct R30xSim {
    control: R30xSimControl,
    path: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    _slave: TTYPort,
}

impl std::fmt::Debug for R30xSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "R30xSim {{ {} }}", self.path)
    }
}

impl R30xSim {
    /// Start on a new pty pair. Fingers' images must be 256×288; their character files are
    /// extracted now (as if pre-computed by the module's DSP).
    pub fn spawn(cfg: R30xSimConfig, fingers: Vec<SimFinger>) -> std::io::Result<Self> {
        for f in &fingers {
            if usize::from(f.image.width) * usize::from(f.image.height)
                != proto::IMAGE_WIDTH * proto::IMAGE_HEIGHT
            {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("finger {} is not 256×288", f.name),
                ));
            }
        }
        let (mut master, slave) = TTYPort::pair().map_err(std::io::Error::other)?;
        let path = slave
            .name()
            .ok_or_else(|| std::io::Error::other("pty slave has no name"))?;
        master
            .set_timeout(Duration::from_millis(10))
            .map_err(std::io::Error::other)?;
        let baud_n = cfg.pace_baud.map_or(6, |b| (b / 9600).clamp(1, 12) as u8);
        let n = fingers.len();
        let state = State {
            cfg,
            baud_n,
            verified: false,
            fingers,
            chars: vec![None; n],
            on_sensor: None,
            touches: VecDeque::new(),
            faults: VecDeque::new(),
            busy_reads: 0,
            image: None,
            buf: [None, None],
            library: BTreeMap::new(),
            rng: 0x1234_5679,
            log: Vec::new(),
        };
        let control = R30xSimControl(Arc::new(Mutex::new(state)));
        for i in 0..n {
            let _ = control
                .enroll_finger(i, u16::MAX)
                .map(|_| control.lock().library.remove(&u16::MAX));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let control = control.clone();
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("r30x-sim".into())
                .spawn(move || serve(master, control, stop))?
        };
        Ok(Self {
            control,
            path,
            stop,
            thread: Some(thread),
            _slave: slave,
        })
    }

    /// Path of the pty the driver should open.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The control handle.
    pub fn control(&self) -> R30xSimControl {
        self.control.clone()
    }
}

impl Drop for R30xSim {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Pacer {
    byte_time: Option<Duration>,
}

impl Pacer {
    /// Wait until `n` bytes that started arriving at `since` would have crossed the wire.
    fn wait_rx(&self, n: usize, since: Instant) {
        if let Some(bt) = self.byte_time {
            let due = since + bt * n as u32;
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
    }
    /// Write at wire speed, in 16-byte slices.
    fn write(&self, port: &mut TTYPort, bytes: &[u8]) -> std::io::Result<()> {
        let Some(bt) = self.byte_time else {
            return port.write_all(bytes);
        };
        let start = Instant::now();
        let mut sent = 0usize;
        for chunk in bytes.chunks(16) {
            port.write_all(chunk)?;
            sent += chunk.len();
            let due = start + bt * sent as u32;
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        Ok(())
    }
}

fn serve(mut port: TTYPort, control: R30xSimControl, stop: Arc<AtomicBool>) {
    let mut rx: Vec<u8> = Vec::new();
    let mut first_byte: Option<Instant> = None;
    let mut download: Option<(Download, Vec<u8>)> = None;
    let mut buf = [0u8; 1024];
    while !stop.load(Ordering::SeqCst) {
        match port.read(&mut buf) {
            Ok(0) => std::thread::sleep(Duration::from_millis(5)),
            Ok(n) => {
                first_byte.get_or_insert_with(Instant::now);
                rx.extend_from_slice(&buf[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            // EIO while no one holds the slave open: wait for the driver to (re)open it.
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
        loop {
            let (baud, address) = {
                let s = control.lock();
                (u32::from(s.baud_n) * 9600, s.cfg.address)
            };
            let pacer = Pacer {
                byte_time: control
                    .lock()
                    .cfg
                    .pace_baud
                    .map(|_| Duration::from_nanos(10_000_000_000 / u64::from(baud))),
            };
            match Packet::decode(&rx) {
                Ok((p, used)) => {
                    rx.drain(..used);
                    pacer.wait_rx(used, first_byte.unwrap_or_else(Instant::now));
                    first_byte = (!rx.is_empty()).then(Instant::now);
                    if p.address != address {
                        continue; // not for us: a real module stays silent
                    }
                    let out = respond(&control, p, &mut download);
                    for bytes in out {
                        if pacer.write(&mut port, &bytes).is_err() {
                            break;
                        }
                    }
                }
                Err(DecodeError::Incomplete { .. }) => break,
                Err(DecodeError::BadChecksum { .. }) => {
                    // Drop the bad packet and report a receive error.
                    let skip = rx.get(7..9).map_or(rx.len(), |l| {
                        (proto::PREFIX_LEN + usize::from(u16::from_be_bytes([l[0], l[1]])))
                            .min(rx.len())
                    });
                    rx.drain(..skip);
                    download = None;
                    let s = control.lock();
                    let nak = s.ack(Confirm::PacketError, &[]).encode();
                    drop(s);
                    let _ = pacer.write(&mut port, &nak);
                }
                Err(_) => {
                    // Garbage: resynchronise on the next header.
                    let skip = rx
                        .windows(2)
                        .skip(1)
                        .position(|w| w == proto::HEADER)
                        .map_or(rx.len(), |i| i + 1);
                    rx.drain(..skip);
                }
            }
            if rx.is_empty() {
                first_byte = None;
                break;
            }
        }
    }
}

/// One received packet → the byte strings to send back.
fn respond(
    control: &R30xSimControl,
    p: Packet,
    download: &mut Option<(Download, Vec<u8>)>,
) -> Vec<Vec<u8>> {
    let mut s = control.lock();
    if let Some((kind, data)) = download.as_mut() {
        match p.pid {
            Pid::Data | Pid::EndData => {
                data.extend_from_slice(&p.content);
                if p.pid == Pid::EndData {
                    let (kind, data) = (*kind, std::mem::take(data));
                    *download = None;
                    return s
                        .finish_download(kind, data)
                        .map(|a| vec![a.encode()])
                        .unwrap_or_default();
                }
                return Vec::new();
            }
            _ => *download = None,
        }
    }
    if p.pid != Pid::Command {
        return Vec::new();
    }
    let reply = match Command::parse(&p.content) {
        Some(cmd) => s.handle(cmd),
        None => s.simple(Confirm::PacketError, &[]),
    };
    if let Some(kind) = reply.expect_data {
        *download = Some((kind, Vec::new()));
    }
    let fault = s.take_wire_fault();
    let mut out: Vec<Vec<u8>> = reply.packets.iter().map(Packet::encode).collect();
    if let Some((param, value)) = reply.after {
        match param {
            4 => s.baud_n = value,
            5 => s.cfg.security_level = value,
            _ => s.cfg.packet_size_code = value,
        }
    }
    let _ = reply.new_address;
    match fault {
        Some(Fault::DropReply) => out.clear(),
        Some(Fault::BadChecksum) => {
            if let Some(first) = out.first_mut() {
                let n = first.len();
                first[n - 1] ^= 0x5A;
            }
        }
        Some(Fault::Noise(n)) => {
            let junk: Vec<u8> = (0..n).map(|i| 0xEF ^ i.wrapping_mul(37)).collect();
            out.insert(0, junk);
        }
        _ => {}
    }
    out
}
