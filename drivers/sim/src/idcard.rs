//! 二代证 SAM ID-card reader simulator on a pty pair.
//!
//! Speaks the reader side of the SAM 业务终端接口 (GA/T 467-2019 §7) as devices.md §2 records it:
//! frames `AA AA AA 96 69 | Len(BE) | … | XOR`, answers `10 FF` reset, `11 FF` SAM status, `12 FF`
//! SAM id, `20 01` find (`9F` + 4 zero bytes / `80`), `20 02` select (`90` + 8 zero bytes / `81`),
//! `30 01` text + photo and `30 10` text + photo + fingerprint file, and reports a garbled request
//! with `10`/`11` and an unknown one with `21`. A card stays selectable while it lies on the
//! antenna; a read needs a select first (`41` otherwise).
//!
//! The framing and the text-block encoder here are written apart from the driver's, so the driver's
//! tests check two implementations against each other and both against the devices.md vectors.
//!
//! Scripted faults: a wrong checksum, a truncated reply, line noise before a reply, a slow reply,
//! no SAM (`60` to everything), and the card pulled during a read (`41`, card gone). Bytes are
//! paced at the configured baud (10 bits a byte, both directions) because a pty is instant.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use jiuzhu_core::id::IdNumber;
use serialport::{SerialPort, TTYPort};

const PREAMBLE: [u8; 5] = [0xAA, 0xAA, 0xAA, 0x96, 0x69];

/// Which layout a fixture card uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SimCardKind {
    /// 居民身份证.
    Resident,
    /// 外国人永久居留身份证 ('I').
    Foreign,
    /// 港澳台居民居住证 ('J').
    HkMacaoTaiwan,
}

/// A card as a fixture file describes it: the strings as the card stores them.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimCard {
    /// Layout.
    pub kind: SimCardKind,
    /// 姓名 (English name on 'I' cards).
    pub name: String,
    /// Sex code 0/1/2/9.
    pub sex: String,
    /// Nation code, two digits (resident cards only).
    #[serde(default)]
    pub nation: String,
    /// YYYYMMDD.
    pub birth: String,
    /// 住址 (not on 'I' cards).
    #[serde(default)]
    pub address: String,
    /// 公民身份号码 or permit number.
    pub number: String,
    /// 签发机关 (not on 'I' cards).
    #[serde(default)]
    pub issuer: String,
    /// YYYYMMDD.
    pub valid_from: String,
    /// YYYYMMDD or 长期.
    pub valid_until: String,
    /// Fingers in the card's fingerprint file (0–2).
    #[serde(default)]
    pub fingerprints: u8,
    /// 'I': Chinese name.
    #[serde(default)]
    pub chinese_name: String,
    /// 'I': ISO 3166 alpha-3 nationality.
    #[serde(default)]
    pub nationality: String,
    /// 'I': card version.
    #[serde(default)]
    pub card_version: String,
    /// 'I': issuing authority code.
    #[serde(default)]
    pub issuer_code: String,
    /// 'J': 通行证号码.
    #[serde(default)]
    pub pass_number: String,
    /// 'J': 签发次数, two digits.
    #[serde(default)]
    pub issue_count: String,
}

impl std::fmt::Debug for SimCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let first: String = self.name.chars().take(1).collect();
        write!(f, "SimCard {{ {:?}, {first}** }}", self.kind)
    }
}

/// Why a fixture is not usable.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Not TOML of the fixture schema.
    #[error("{path}: {message}")]
    Toml {
        /// File.
        path: PathBuf,
        /// Parser message.
        message: String,
    },
    /// A field does not fit the card.
    #[error("{path}: field {field}: {reason}")]
    Field {
        /// File.
        path: PathBuf,
        /// Field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// Built-in fixture cards, by file stem (so the standalone simulator works from any directory).
pub const BUILTIN_CARDS: &[(&str, &str)] = &[
    (
        "ran-guangxiu",
        include_str!("../fixtures/idcards/ran-guangxiu.toml"),
    ),
    (
        "wang-defu",
        include_str!("../fixtures/idcards/wang-defu.toml"),
    ),
    (
        "chen-shufen",
        include_str!("../fixtures/idcards/chen-shufen.toml"),
    ),
    (
        "tan-yonggui",
        include_str!("../fixtures/idcards/tan-yonggui.toml"),
    ),
    (
        "expired-liu-guilan",
        include_str!("../fixtures/idcards/expired-liu-guilan.toml"),
    ),
    (
        "hk-huang-zhiming",
        include_str!("../fixtures/idcards/hk-huang-zhiming.toml"),
    ),
    (
        "foreign-maria",
        include_str!("../fixtures/idcards/foreign-maria.toml"),
    ),
];

/// The fixture directory in the source tree.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/idcards")
}

/// A built-in card by name (file stem), e.g. `"wang-defu"`.
pub fn builtin(name: &str) -> Option<SimCard> {
    BUILTIN_CARDS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, t)| SimCard::from_toml(t, Path::new(n)).expect("built-in fixtures are valid"))
}

impl SimCard {
    /// Loads and checks a fixture file.
    pub fn load(path: &Path) -> Result<Self, FixtureError> {
        let text = std::fs::read_to_string(path).map_err(|source| FixtureError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml(&text, path)
    }

    /// Parses and checks fixture text; `path` only names it in errors.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, FixtureError> {
        let card: SimCard = toml::from_str(text).map_err(|e| FixtureError::Toml {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        card.check()
            .map_err(|(field, reason)| FixtureError::Field {
                path: path.to_path_buf(),
                field,
                reason,
            })?;
        Ok(card)
    }

    fn check(&self) -> Result<(), (&'static str, String)> {
        let date = |field: &'static str, s: &str| {
            if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
                Ok(())
            } else {
                Err((field, format!("{s:?} is not YYYYMMDD")))
            }
        };
        if !matches!(self.sex.as_str(), "0" | "1" | "2" | "9") {
            return Err(("sex", "must be 0, 1, 2 or 9".into()));
        }
        date("birth", &self.birth)?;
        date("valid_from", &self.valid_from)?;
        if self.valid_until != "长期" {
            date("valid_until", &self.valid_until)?;
        }
        if self.fingerprints > 2 {
            return Err(("fingerprints", "at most 2".into()));
        }
        for (field, off, len, value) in self.fields() {
            if value.encode_utf16().count() * 2 > len {
                return Err((field, format!("longer than its {} characters", len / 2)));
            }
            let _ = off;
        }
        match self.kind {
            SimCardKind::Resident | SimCardKind::HkMacaoTaiwan => {
                if self.kind == SimCardKind::Resident {
                    let code: u8 = self
                        .nation
                        .parse()
                        .map_err(|_| ("nation", "must be a two-digit code".to_string()))?;
                    if self.nation.len() != 2 || !matches!(code, 1..=56 | 97 | 98) {
                        return Err(("nation", "must be 01–56, 97 or 98".into()));
                    }
                }
                // Made-up people still get valid GB 11643 numbers (830000 aside).
                if !self.number.starts_with("83") {
                    let id =
                        IdNumber::parse(&self.number).map_err(|e| ("number", e.to_string()))?;
                    if id.birth_date().format("%Y%m%d").to_string() != self.birth {
                        return Err(("number", "birth date differs from `birth`".into()));
                    }
                }
            }
            SimCardKind::Foreign => {
                if self.number.is_empty() || !self.number.chars().all(|c| c.is_ascii_alphanumeric())
                {
                    return Err(("number", "letters and digits only".into()));
                }
            }
        }
        Ok(())
    }

    /// (field, byte offset, byte length, value) as the card's layout places them.
    fn fields(&self) -> Vec<(&'static str, usize, usize, &str)> {
        match self.kind {
            SimCardKind::Resident | SimCardKind::HkMacaoTaiwan => {
                let mut v = vec![
                    ("name", 0, 30, self.name.as_str()),
                    ("sex", 30, 2, self.sex.as_str()),
                    ("nation", 32, 4, self.nation.as_str()),
                    ("birth", 36, 16, self.birth.as_str()),
                    ("address", 52, 70, self.address.as_str()),
                    ("number", 122, 36, self.number.as_str()),
                    ("issuer", 158, 30, self.issuer.as_str()),
                    ("valid_from", 188, 16, self.valid_from.as_str()),
                    ("valid_until", 204, 16, self.valid_until.as_str()),
                ];
                if self.kind == SimCardKind::HkMacaoTaiwan {
                    v.push(("pass_number", 220, 18, self.pass_number.as_str()));
                    v.push(("issue_count", 238, 4, self.issue_count.as_str()));
                    v.push(("type", 248, 2, "J"));
                }
                v
            }
            SimCardKind::Foreign => vec![
                ("name", 0, 120, self.name.as_str()),
                ("sex", 120, 2, self.sex.as_str()),
                ("number", 122, 30, self.number.as_str()),
                ("nationality", 152, 6, self.nationality.as_str()),
                ("chinese_name", 158, 30, self.chinese_name.as_str()),
                ("valid_from", 188, 16, self.valid_from.as_str()),
                ("valid_until", 204, 16, self.valid_until.as_str()),
                ("birth", 220, 16, self.birth.as_str()),
                ("card_version", 236, 4, self.card_version.as_str()),
                ("issuer_code", 240, 8, self.issuer_code.as_str()),
                ("type", 248, 2, "I"),
            ],
        }
    }

    /// The 256-byte text block: UCS-2LE, every field space-padded.
    pub fn text_block(&self) -> Vec<u8> {
        let mut b: Vec<u8> = [0x20, 0x00].repeat(128);
        for (_, off, len, value) in self.fields() {
            for (i, unit) in value.encode_utf16().take(len / 2).enumerate() {
                b[off + 2 * i..off + 2 * i + 2].copy_from_slice(&unit.to_le_bytes());
            }
        }
        b
    }

    /// A stand-in for the WLT photo: 1024 bytes derived from the number (real WLT needs a
    /// licensed encoder; the host treats the photo as opaque either way).
    pub fn photo(&self) -> Vec<u8> {
        noise_bytes(seed_of(&self.number) ^ 0x5057_4C54, 1024)
    }

    /// A stand-in fingerprint file: 512 bytes a finger, derived from the number.
    pub fn fingerprint_file(&self) -> Vec<u8> {
        noise_bytes(
            seed_of(&self.number) ^ 0x4650,
            512 * usize::from(self.fingerprints),
        )
    }
}

fn seed_of(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn noise_bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A scripted fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The reply's CHK byte is wrong.
    BadChecksum,
    /// Only the first half of the reply is sent.
    Truncated,
    /// This many bytes of line noise (no preamble in them) precede the reply.
    Noise(usize),
    /// The reply starts this late.
    SlowReply(Duration),
    /// The card leaves during the read: the reply is `41` and the card is gone.
    PullCardMidRead,
}

/// Simulator settings.
#[derive(Debug, Clone)]
pub struct IdCardSimConfig {
    /// Baud used for pacing; `None` sends as fast as the pty takes bytes.
    pub pace_baud: Option<u32>,
    /// Time the simulated SAM spends reading the card before replying to `30 01`/`30 10`
    /// (about 1 s on real readers; zero by default so tests run fast).
    pub card_read_time: Duration,
}

impl Default for IdCardSimConfig {
    fn default() -> Self {
        Self {
            pace_baud: Some(115_200),
            card_read_time: Duration::ZERO,
        }
    }
}

/// What the simulator has done, for tests and benchmarks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Requests answered, by CMD/PARA.
    pub requests: Vec<[u8; 2]>,
    /// Bytes received.
    pub bytes_in: u64,
    /// Bytes sent.
    pub bytes_out: u64,
    /// Successful reads (`90` replies to `30 01`/`30 10`).
    pub reads: u64,
}

struct State {
    card: Option<SimCard>,
    selected: bool,
    sam_ok: bool,
    faults: VecDeque<(Option<[u8; 2]>, Fault)>,
    stats: SimStats,
    placed_at: Option<Instant>,
}

struct Shared {
    state: Mutex<State>,
    stop: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running simulator. The driver opens [`path`](Self::path); dropping it stops the simulator.
pub struct IdCardSim {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    path: String,
    _slave: TTYPort,
}

/// Starts a simulator on a new pty pair (see [`IdCardSim`]).
pub fn spawn(config: IdCardSimConfig) -> std::io::Result<IdCardSim> {
    IdCardSim::spawn(config)
}

impl IdCardSim {
    /// Starts a simulator on a new pty pair; the driver opens the slave at [`path`](Self::path).
    pub fn spawn(config: IdCardSimConfig) -> std::io::Result<Self> {
        let (mut master, slave) = TTYPort::pair().map_err(std::io::Error::other)?;
        let path = slave
            .name()
            .ok_or_else(|| std::io::Error::other("the pty slave has no name"))?;
        master
            .set_timeout(Duration::from_millis(10))
            .map_err(std::io::Error::other)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                card: None,
                selected: false,
                sam_ok: true,
                faults: VecDeque::new(),
                stats: SimStats::default(),
                placed_at: None,
            }),
            stop: AtomicBool::new(false),
        });
        let s = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("idcard-sim".into())
            .spawn(move || serve(&mut master, &s, &config))?;
        Ok(Self {
            shared,
            thread: Some(thread),
            path,
            _slave: slave,
        })
    }

    /// The pty slave path for the driver.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Lays a card on the antenna (replacing any other).
    pub fn place(&self, card: SimCard) {
        let mut s = self.shared.lock();
        s.card = Some(card);
        s.selected = false;
        s.placed_at = Some(Instant::now());
    }

    /// Takes the card away.
    pub fn remove(&self) {
        let mut s = self.shared.lock();
        s.card = None;
        s.selected = false;
    }

    /// When the current card was placed.
    pub fn placed_at(&self) -> Option<Instant> {
        self.shared.lock().placed_at
    }

    /// Applies `fault` to the next reply, whatever the command.
    pub fn inject(&self, fault: Fault) {
        self.shared.lock().faults.push_back((None, fault));
    }

    /// Applies `fault` to the next reply to CMD/PARA `code` (e.g. `[0x30, 0x01]`).
    pub fn inject_on(&self, code: [u8; 2], fault: Fault) {
        self.shared.lock().faults.push_back((Some(code), fault));
    }

    /// Faults not yet applied.
    pub fn pending_faults(&self) -> usize {
        self.shared.lock().faults.len()
    }

    /// Installs or removes the SAM; without it every command is answered `60`.
    pub fn set_sam_ok(&self, ok: bool) {
        self.shared.lock().sam_ok = ok;
    }

    /// Counters so far.
    pub fn stats(&self) -> SimStats {
        self.shared.lock().stats.clone()
    }

    /// Clears the counters.
    pub fn reset_stats(&self) {
        self.shared.lock().stats = SimStats::default();
    }
}

impl Drop for IdCardSim {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Help for [`IdCardSim::command`].
pub const COMMAND_HELP: &str = "place NAME|PATH · remove · fault checksum|truncate|pull · fault noise N · \
fault slow MS · fault … on find|select|read · sam on|off · cards · stats · quit";

impl IdCardSim {
    /// Runs one text command (the standalone simulator's stdin, a test script) and says what it
    /// did. Faults apply to the next reply, or to the next reply to `find`/`select`/`read`
    /// when the command ends with `on find` and so on.
    pub fn command(&self, line: &str) -> Result<String, String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["place", what] => {
                let card = match builtin(what) {
                    Some(c) => c,
                    None => SimCard::load(Path::new(what)).map_err(|e| e.to_string())?,
                };
                let shown = format!("{card:?}");
                self.place(card);
                Ok(format!("placed {shown}"))
            }
            ["remove"] => {
                self.remove();
                Ok("removed".into())
            }
            ["sam", "on"] => {
                self.set_sam_ok(true);
                Ok("SAM installed".into())
            }
            ["sam", "off"] => {
                self.set_sam_ok(false);
                Ok("SAM removed: every reply is 60".into())
            }
            ["cards"] => Ok(BUILTIN_CARDS
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(" ")),
            ["stats"] => {
                let s = self.stats();
                Ok(format!(
                    "{} requests, {} reads, {} B in, {} B out",
                    s.requests.len(),
                    s.reads,
                    s.bytes_in,
                    s.bytes_out
                ))
            }
            ["fault", rest @ ..] => {
                let (spec, target) = match rest {
                    [spec @ .., "on", t] => (spec, Some(*t)),
                    spec => (spec, None),
                };
                let fault = match spec {
                    ["checksum"] => Fault::BadChecksum,
                    ["truncate"] => Fault::Truncated,
                    ["pull"] => Fault::PullCardMidRead,
                    ["noise", n] => {
                        Fault::Noise(n.parse().map_err(|_| "noise needs a byte count")?)
                    }
                    ["slow", ms] => Fault::SlowReply(Duration::from_millis(
                        ms.parse().map_err(|_| "slow needs milliseconds")?,
                    )),
                    _ => return Err(format!("unknown fault; use: {COMMAND_HELP}")),
                };
                let code = match target {
                    None if fault == Fault::PullCardMidRead => Some([0x30, 0x01]),
                    None => None,
                    Some("find") => Some([0x20, 0x01]),
                    Some("select") => Some([0x20, 0x02]),
                    Some("read") => Some([0x30, 0x01]),
                    Some("readfp") => Some([0x30, 0x10]),
                    Some("status") => Some([0x11, 0xFF]),
                    Some(t) => {
                        return Err(format!(
                            "unknown target {t}: find|select|read|readfp|status"
                        ));
                    }
                };
                match code {
                    Some(c) => self.inject_on(c, fault),
                    None => self.inject(fault),
                }
                Ok(format!("armed {fault:?}"))
            }
            _ => Err(format!("unknown command; use: {COMMAND_HELP}")),
        }
    }
}

fn xor(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |a, b| a ^ b)
}

fn reply_frame(sw3: u8, data: &[u8]) -> Vec<u8> {
    let len = (3 + data.len() + 1) as u16;
    let mut f = PREAMBLE.to_vec();
    f.extend_from_slice(&len.to_be_bytes());
    f.extend_from_slice(&[0, 0, sw3]);
    f.extend_from_slice(data);
    f.push(xor(&f[5..]));
    f
}

/// Outcome of scanning the receive buffer for one request.
enum Scan {
    NeedMore,
    Request([u8; 2], usize),
    Garbled(u8, usize),
}

fn scan_request(rx: &mut Vec<u8>) -> Scan {
    match rx.windows(5).position(|w| w == PREAMBLE) {
        Some(i) => {
            rx.drain(..i);
        }
        None => {
            let keep = rx.len().min(4);
            rx.drain(..rx.len() - keep);
            return Scan::NeedMore;
        }
    }
    if rx.len() < 7 {
        return Scan::NeedMore;
    }
    let len = usize::from(u16::from_be_bytes([rx[5], rx[6]]));
    if !(3..=0x400).contains(&len) {
        return Scan::Garbled(0x11, 1);
    }
    if rx.len() < 7 + len {
        return Scan::NeedMore;
    }
    if xor(&rx[5..6 + len]) != rx[6 + len] {
        return Scan::Garbled(0x10, 7 + len);
    }
    Scan::Request([rx[7], rx[8]], 7 + len)
}

struct Pacer {
    byte_time: Option<Duration>,
}

impl Pacer {
    fn wire_time(&self, bytes: usize) -> Duration {
        self.byte_time.map_or(Duration::ZERO, |t| t * bytes as u32)
    }

    /// Writes `bytes` no faster than the line would carry them.
    fn send(&self, port: &mut TTYPort, bytes: &[u8], stop: &AtomicBool) {
        let start = Instant::now();
        for (i, chunk) in bytes.chunks(16).enumerate() {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            if port.write_all(chunk).is_err() {
                return;
            }
            let due = start + self.wire_time((i + 1) * 16);
            let now = Instant::now();
            if due > now && self.byte_time.is_some() {
                std::thread::sleep(due - now);
            }
        }
        let _ = port.flush();
    }
}

fn serve(port: &mut TTYPort, shared: &Shared, config: &IdCardSimConfig) {
    let pacer = Pacer {
        byte_time: config
            .pace_baud
            .filter(|b| *b > 0)
            .map(|b| Duration::from_secs_f64(10.0 / f64::from(b))),
    };
    let mut rx = Vec::new();
    let mut buf = [0u8; 1024];
    let mut first_byte_at: Option<Instant> = None;
    while !shared.stop.load(Ordering::SeqCst) {
        match port.read(&mut buf) {
            Ok(n) if n > 0 => {
                if rx.is_empty() {
                    first_byte_at = Some(Instant::now());
                }
                rx.extend_from_slice(&buf[..n]);
                shared.lock().stats.bytes_in += n as u64;
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
        loop {
            let (reply, used, code) = match scan_request(&mut rx) {
                Scan::NeedMore => break,
                Scan::Garbled(sw3, used) => (vec![(sw3, Vec::new())], used, None),
                Scan::Request(code, used) => (answer(shared, code, config), used, Some(code)),
            };
            // The request's last byte reaches the reader only after its wire time.
            let arrived = first_byte_at.unwrap_or_else(Instant::now) + pacer.wire_time(used);
            rx.drain(..used);
            first_byte_at = if rx.is_empty() {
                None
            } else {
                Some(Instant::now())
            };
            let now = Instant::now();
            if arrived > now {
                std::thread::sleep(arrived - now);
            }
            for (sw3, data) in reply {
                send_reply(port, shared, &pacer, code, sw3, &data);
            }
        }
    }
}

/// The reply to one request.
fn answer(shared: &Shared, code: [u8; 2], config: &IdCardSimConfig) -> Vec<(u8, Vec<u8>)> {
    let is_read = matches!(code, [0x30, 0x01] | [0x30, 0x10]);
    let mut s = shared.lock();
    s.stats.requests.push(code);
    if !s.sam_ok {
        return vec![(0x60, Vec::new())];
    }
    let pull = take_fault(&mut s, code, |f| matches!(f, Fault::PullCardMidRead));
    let r = match code {
        [0x10, 0xFF] | [0x11, 0xFF] => (0x90, Vec::new()),
        [0x12, 0xFF] => (0x90, b"SIM-SAM-05.01-0001".to_vec()),
        [0x20, 0x01] => match s.card {
            Some(_) => (0x9F, vec![0; 4]),
            None => (0x80, Vec::new()),
        },
        [0x20, 0x02] => match s.card {
            Some(_) => {
                s.selected = true;
                (0x90, vec![0; 8])
            }
            None => (0x81, Vec::new()),
        },
        [0x30, p @ (0x01 | 0x10)] => {
            if pull.is_some() && s.card.is_some() {
                s.card = None;
                s.selected = false;
                (0x41, Vec::new())
            } else {
                match (&s.card, s.selected) {
                    (Some(card), true) => {
                        let text = card.text_block();
                        let photo = card.photo();
                        let fp = if p == 0x10 {
                            Some(card.fingerprint_file())
                        } else {
                            None
                        };
                        s.stats.reads += 1;
                        (0x90, read_data(&text, &photo, fp.as_deref()))
                    }
                    _ => (0x41, Vec::new()),
                }
            }
        }
        _ => (0x21, Vec::new()),
    };
    drop(s);
    if is_read && r.0 == 0x90 && !config.card_read_time.is_zero() {
        std::thread::sleep(config.card_read_time);
    }
    vec![r]
}

fn read_data(text: &[u8], photo: &[u8], fp: Option<&[u8]>) -> Vec<u8> {
    let mut d = Vec::new();
    d.extend_from_slice(&(text.len() as u16).to_be_bytes());
    d.extend_from_slice(&(photo.len() as u16).to_be_bytes());
    if let Some(fp) = fp {
        d.extend_from_slice(&(fp.len() as u16).to_be_bytes());
    }
    d.extend_from_slice(text);
    d.extend_from_slice(photo);
    if let Some(fp) = fp {
        d.extend_from_slice(fp);
    }
    d
}

fn take_fault(s: &mut State, code: [u8; 2], pick: impl Fn(&Fault) -> bool) -> Option<Fault> {
    let i = s
        .faults
        .iter()
        .position(|(on, f)| on.is_none_or(|c| c == code) && pick(f))?;
    s.faults.remove(i).map(|(_, f)| f)
}

fn send_reply(
    port: &mut TTYPort,
    shared: &Shared,
    pacer: &Pacer,
    code: Option<[u8; 2]>,
    sw3: u8,
    data: &[u8],
) {
    let mut frame = reply_frame(sw3, data);
    let fault = {
        let mut s = shared.lock();
        let code = code.unwrap_or([0, 0]);
        take_fault(&mut s, code, |f| !matches!(f, Fault::PullCardMidRead))
    };
    let mut out = Vec::with_capacity(frame.len() + 64);
    match fault {
        Some(Fault::BadChecksum) => {
            let last = frame.len() - 1;
            frame[last] ^= 0x5A;
            out.extend_from_slice(&frame);
        }
        Some(Fault::Truncated) => out.extend_from_slice(&frame[..frame.len() / 2]),
        Some(Fault::Noise(n)) => {
            let seed = shared.lock().stats.bytes_out ^ 0x9E37_79B9;
            out.extend(
                noise_bytes(seed, n)
                    .into_iter()
                    .map(|b| if b == 0xAA { 0x55 } else { b }),
            );
            out.extend_from_slice(&frame);
        }
        Some(Fault::SlowReply(d)) => {
            std::thread::sleep(d);
            out.extend_from_slice(&frame);
        }
        Some(Fault::PullCardMidRead) | None => out.extend_from_slice(&frame),
    }
    shared.lock().stats.bytes_out += out.len() as u64;
    pacer.send(port, &out, &shared.stop);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_fixtures_load_and_match_the_files() {
        for (name, _) in BUILTIN_CARDS {
            let from_file = SimCard::load(&fixtures_dir().join(format!("{name}.toml"))).unwrap();
            assert_eq!(builtin(name).unwrap(), from_file);
        }
        let n = std::fs::read_dir(fixtures_dir()).unwrap().count();
        assert_eq!(n, BUILTIN_CARDS.len(), "every fixture file is built in");
    }

    #[test]
    fn text_block_places_fields() {
        let c = builtin("wang-defu").unwrap();
        let b = c.text_block();
        assert_eq!(b.len(), 256);
        assert_eq!(&b[0..2], &0x738Bu16.to_le_bytes()); // 王
        assert_eq!(&b[30..32], b"1\0");
        assert_eq!(&b[122..124], b"5\0");
        assert_eq!(&b[248..250], b" \0");
        let j = builtin("hk-huang-zhiming").unwrap().text_block();
        assert_eq!(&j[248..250], b"J\0");
    }

    #[test]
    fn bad_fixtures_name_the_field() {
        let good = BUILTIN_CARDS[0].1;
        for (from, to, field) in [
            ("500102194603081546", "500102194603081547", "number"),
            ("sex = \"2\"", "sex = \"5\"", "sex"),
            ("nation = \"15\"", "nation = \"60\"", "nation"),
            ("birth = \"19460308\"", "birth = \"1946038\"", "birth"),
        ] {
            let t = good.replace(from, to);
            match SimCard::from_toml(&t, Path::new("x.toml")) {
                Err(FixtureError::Field { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        assert!(matches!(
            SimCard::from_toml("kind = 3", Path::new("x.toml")),
            Err(FixtureError::Toml { .. })
        ));
    }

    #[test]
    fn request_scanner_reports_garbled_frames() {
        let mut rx = vec![
            0x00, 0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x01, 0x23,
        ];
        assert!(matches!(scan_request(&mut rx), Scan::Garbled(0x10, 10)));
        let mut rx = vec![0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x01, 0x22];
        assert!(matches!(
            scan_request(&mut rx),
            Scan::Request([0x20, 0x01], 10)
        ));
        assert_eq!(
            reply_frame(0x90, &[]),
            [
                0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x04, 0x00, 0x00, 0x90, 0x94
            ]
        );
    }
}
