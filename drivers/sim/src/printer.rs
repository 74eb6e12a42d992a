//! ESC/POS receipt printer simulator: parses the byte stream a kiosk sends (over TCP on
//! 127.0.0.1 or a pty pair) and renders each cut page to a grayscale image, the way a 203 dpi
//! thermal head would: text with the installed Noto Sans CJK font on a fixed 12/24-dot pitch,
//! `GS v 0` raster images dot for dot, and `GS ( k` QR codes drawn from the stored data with the
//! `qrcode` crate. It answers `DLE EOT` 1, 2 and 4 from a configurable paper state.
//!
//! Protocol facts: devices.md §6 (python-escpos constants [C]); DLE EOT 1/2 bit meanings from
//! Epson's ESC/POS reference [U]. Commands it does not know are recorded, not guessed at.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use ab_glyph::{Font, FontVec, PxScale, point};
use image::GrayImage;

/// What the paper sensors and cover switch report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PaperState {
    /// Near-end sensor on.
    pub near_end: bool,
    /// No paper.
    pub out: bool,
    /// Cover open.
    pub cover_open: bool,
    /// Powered off / unplugged: no status replies, nothing printed.
    pub silent: bool,
}

impl PaperState {
    fn can_print(self) -> bool {
        !(self.out || self.cover_open || self.silent)
    }

    fn reply(self, n: u8) -> Option<u8> {
        if self.silent {
            return None;
        }
        let offline = self.out || self.cover_open;
        Some(
            0x12 | match n {
                1 => u8::from(offline) << 3,
                2 => (u8::from(self.cover_open) << 2) | (u8::from(self.out) << 5),
                4 => (if self.near_end { 0x0C } else { 0 }) | (if self.out { 0x60 } else { 0 }),
                _ => 0,
            },
        )
    }
}

/// Why the simulator cannot render.
#[derive(Debug, thiserror::Error)]
pub enum PrinterSimError {
    /// No CJK font.
    #[error("no Noto Sans CJK font found ({0}); install fonts-noto-cjk (packaging/deps.sh)")]
    Font(String),
    /// Writing a PNG failed.
    #[error("cannot write {path}: {reason}")]
    Png {
        /// Target.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// Finds the Noto Sans CJK SC face: `fc-match`, then the Debian path (face 2 of the collection
/// is SC).
pub fn find_cjk_font() -> Result<(PathBuf, u32), PrinterSimError> {
    if let Ok(out) = std::process::Command::new("fc-match")
        .args(["-f", "%{file}\n%{index}", "Noto Sans CJK SC:style=Regular"])
        .output()
    {
        let text = String::from_utf8_lossy(&out.stdout);
        let mut it = text.lines();
        if let (Some(file), Some(index)) = (it.next(), it.next()) {
            let p = PathBuf::from(file);
            if out.status.success()
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().contains("CJK"))
            {
                return Ok((p, index.trim().parse().unwrap_or(0)));
            }
        }
    }
    for (p, i) in [
        ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
        ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ] {
        if Path::new(p).exists() {
            return Ok((PathBuf::from(p), i));
        }
    }
    Err(PrinterSimError::Font(
        "fc-match found none and NotoSansCJK-Regular.ttc is not in the usual places".into(),
    ))
}

fn font() -> Result<Arc<FontVec>, PrinterSimError> {
    static FONT: OnceLock<Result<Arc<FontVec>, String>> = OnceLock::new();
    FONT.get_or_init(|| {
        let (path, index) = find_cjk_font().map_err(|e| e.to_string())?;
        let data = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        FontVec::try_from_vec_and_index(data, index)
            .map(Arc::new)
            .map_err(|e| format!("{}: {e}", path.display()))
    })
    .clone()
    .map_err(PrinterSimError::Font)
}

#[derive(Debug, Clone, Copy)]
struct Style {
    bold: bool,
    underline: bool,
    w: u8,
    h: u8,
}

struct Glyph {
    ch: char,
    cells: u32,
    style: Style,
}

/// A command the simulator did not recognise: its first bytes and stream offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCommand {
    /// Offset in the stream.
    pub offset: usize,
    /// The command bytes (first two).
    pub bytes: Vec<u8>,
}

/// The ESC/POS interpreter and page renderer, without any I/O.
pub struct Interpreter {
    width: u32,
    font: Arc<FontVec>,
    pending: Vec<u8>,
    offset: usize,
    canvas: Vec<u8>,
    y: u32,
    line: Vec<Glyph>,
    align: u8,
    style: Style,
    chinese: bool,
    qr_data: Vec<u8>,
    qr_module: u8,
    qr_ec: qrcode::EcLevel,
    paper: PaperState,
    pages: Vec<GrayImage>,
    unknown: Vec<UnknownCommand>,
    /// Text printed, line by line, for assertions and logs.
    text: Vec<String>,
}

const CELL: u32 = 12;
const LINE_GAP: u32 = 6;

impl Interpreter {
    /// A printer `width_dots` wide (384 for 58 mm, 576 for 80 mm).
    pub fn new(width_dots: u32) -> Result<Self, PrinterSimError> {
        Ok(Interpreter {
            width: width_dots,
            font: font()?,
            pending: Vec::new(),
            offset: 0,
            canvas: Vec::new(),
            y: 0,
            line: Vec::new(),
            align: 0,
            style: Style {
                bold: false,
                underline: false,
                w: 1,
                h: 1,
            },
            chinese: false,
            qr_data: Vec::new(),
            qr_module: 3,
            qr_ec: qrcode::EcLevel::L,
            paper: PaperState::default(),
            pages: Vec::new(),
            unknown: Vec::new(),
            text: Vec::new(),
        })
    }

    /// Sets the paper state used for status replies and for whether printing happens.
    pub fn set_paper(&mut self, p: PaperState) {
        self.paper = p;
    }

    /// Feeds bytes; returns the status replies to send back.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.pending.extend_from_slice(bytes);
        let mut replies = Vec::new();
        while let Some(n) = self.step(&mut replies) {
            self.pending.drain(..n);
            self.offset += n;
        }
        replies
    }

    /// Pages finished by a cut so far.
    pub fn pages(&self) -> &[GrayImage] {
        &self.pages
    }

    /// Lines of text printed so far (all pages).
    pub fn text(&self) -> &[String] {
        &self.text
    }

    /// Commands it did not recognise.
    pub fn unknown(&self) -> &[UnknownCommand] {
        &self.unknown
    }

    /// Ends the current page even without a cut (for streams that do not cut).
    pub fn finish(&mut self) {
        self.flush_line();
        if self.y > 0 {
            self.cut();
        }
    }

    fn unknown_cmd(&mut self, n: usize) -> usize {
        let bytes = self.pending[..n.min(self.pending.len())].to_vec();
        self.unknown.push(UnknownCommand {
            offset: self.offset,
            bytes,
        });
        n
    }

    /// Parses one command at the start of `pending`; `None` when more bytes are needed.
    fn step(&mut self, replies: &mut Vec<u8>) -> Option<usize> {
        let p = &self.pending;
        let b0 = *p.first()?;
        match b0 {
            0x0A => {
                self.flush_line_or_blank();
                Some(1)
            }
            0x0D => Some(1),
            0x10 => {
                let (b1, n) = (*p.get(1)?, *p.get(2)?);
                if b1 != 0x04 {
                    return Some(self.unknown_cmd(2));
                }
                if let Some(r) = self.paper.reply(n) {
                    replies.push(r);
                }
                Some(3)
            }
            0x1B => self.esc(),
            0x1D => self.gs(),
            0x1C => match *p.get(1)? {
                0x26 => {
                    self.chinese = true;
                    Some(2)
                }
                0x2E => {
                    self.chinese = false;
                    Some(2)
                }
                _ => Some(self.unknown_cmd(2)),
            },
            b if b < 0x20 || b == 0x7F => Some(self.unknown_cmd(1)),
            b if b < 0x80 => {
                self.put(b as char, 1);
                Some(1)
            }
            b if self.chinese && (0x81..=0xFE).contains(&b) => {
                let b1 = *p.get(1)?;
                let n = if (0x30..=0x39).contains(&b1) { 4 } else { 2 };
                let bytes = p.get(..n)?.to_vec();
                let (s, _, bad) = encoding_rs::GB18030.decode(&bytes);
                let ch = if bad {
                    '?'
                } else {
                    s.chars().next().unwrap_or('?')
                };
                self.put(ch, 2);
                Some(n)
            }
            _ => {
                self.put('?', 1);
                Some(1)
            }
        }
    }

    fn esc(&mut self) -> Option<usize> {
        let p = &self.pending;
        let b1 = *p.get(1)?;
        match b1 {
            0x40 => {
                self.align = 0;
                self.style = Style {
                    bold: false,
                    underline: false,
                    w: 1,
                    h: 1,
                };
                self.chinese = false;
                Some(2)
            }
            0x61 | 0x45 | 0x2D | 0x21 | 0x74 | 0x64 | 0x33 | 0x4A => {
                let n = *p.get(2)?;
                match b1 {
                    0x61 => {
                        if let Some(a) = [0, 1, 2].into_iter().find(|a| n == *a || n == a + b'0') {
                            self.align = a;
                        }
                    }
                    0x45 => self.style.bold = n & 1 == 1,
                    0x2D => self.style.underline = n & 3 != 0,
                    0x21 => {
                        self.style.bold = n & 0x08 != 0;
                        self.style.h = if n & 0x10 != 0 { 2 } else { 1 };
                        self.style.w = if n & 0x20 != 0 { 2 } else { 1 };
                        self.style.underline = n & 0x80 != 0;
                    }
                    0x64 => {
                        self.flush_line();
                        if self.paper.can_print() {
                            self.y += u32::from(n) * (24 + LINE_GAP);
                        }
                    }
                    0x4A => {
                        self.flush_line();
                        if self.paper.can_print() {
                            self.y += u32::from(n);
                        }
                    }
                    _ => {}
                }
                Some(3)
            }
            0x32 => Some(2),
            _ => Some(self.unknown_cmd(2)),
        }
    }

    fn gs(&mut self) -> Option<usize> {
        let p = &self.pending;
        let b1 = *p.get(1)?;
        match b1 {
            0x21 => {
                let n = *p.get(2)?;
                self.style.w = (n >> 4) + 1;
                self.style.h = (n & 0x0F) + 1;
                Some(3)
            }
            0x56 => {
                let m = *p.get(2)?;
                let len = if m >= 0x41 { 4 } else { 3 };
                let feed = if m >= 0x41 { p.get(3).copied()? } else { 0 };
                self.flush_line();
                if self.paper.can_print() {
                    self.y += u32::from(feed);
                }
                self.cut();
                Some(len)
            }
            0x76 => {
                let hdr = p.get(..8)?;
                if hdr[2] != 0x30 {
                    return Some(self.unknown_cmd(3));
                }
                let xb = usize::from(u16::from_le_bytes([hdr[4], hdr[5]]));
                let h = usize::from(u16::from_le_bytes([hdr[6], hdr[7]]));
                let data = p.get(8..8 + xb * h)?.to_vec();
                self.flush_line();
                self.raster(xb, h, &data);
                Some(8 + xb * h)
            }
            0x28 => {
                let hdr = p.get(..5)?;
                if hdr[2] != 0x6B {
                    return Some(self.unknown_cmd(3));
                }
                let len = usize::from(u16::from_le_bytes([hdr[3], hdr[4]]));
                let body = p.get(5..5 + len)?.to_vec();
                self.qr_cmd(&body);
                Some(5 + len)
            }
            _ => Some(self.unknown_cmd(2)),
        }
    }

    fn qr_cmd(&mut self, body: &[u8]) {
        // body = cn fn params…
        if body.len() < 2 || body[0] != 0x31 {
            self.unknown.push(UnknownCommand {
                offset: self.offset,
                bytes: body.iter().take(2).copied().collect(),
            });
            return;
        }
        let params = &body[2..];
        match body[1] {
            0x41 => {}
            0x43 => self.qr_module = params.first().copied().unwrap_or(3).clamp(1, 16),
            0x45 => {
                self.qr_ec = match params.first().copied().unwrap_or(0x30) {
                    0x31 => qrcode::EcLevel::M,
                    0x32 => qrcode::EcLevel::Q,
                    0x33 => qrcode::EcLevel::H,
                    _ => qrcode::EcLevel::L,
                }
            }
            0x50 => self.qr_data = params.get(1..).unwrap_or_default().to_vec(),
            0x51 => {
                self.flush_line();
                self.print_qr();
            }
            _ => self.unknown.push(UnknownCommand {
                offset: self.offset,
                bytes: body[..2].to_vec(),
            }),
        }
    }

    fn ensure_rows(&mut self, rows: u32) {
        let need = (rows as usize) * (self.width as usize);
        if self.canvas.len() < need {
            self.canvas.resize(need, 255);
        }
    }

    fn dot(&mut self, x: u32, y: u32) {
        if x < self.width {
            self.ensure_rows(y + 1);
            let i = (y * self.width + x) as usize;
            self.canvas[i] = 0;
        }
    }

    fn x_start(&self, content: u32) -> u32 {
        match self.align {
            1 => self.width.saturating_sub(content) / 2,
            2 => self.width.saturating_sub(content),
            _ => 0,
        }
    }

    fn raster(&mut self, xb: usize, h: usize, data: &[u8]) {
        if !self.paper.can_print() {
            return;
        }
        let w = (xb * 8) as u32;
        let x0 = self.x_start(w);
        for row in 0..h {
            for col in 0..xb * 8 {
                if data[row * xb + col / 8] & (0x80 >> (col % 8)) != 0 {
                    self.dot(x0 + col as u32, self.y + row as u32);
                }
            }
        }
        self.y += h as u32;
        self.ensure_rows(self.y);
    }

    fn print_qr(&mut self) {
        if !self.paper.can_print() {
            return;
        }
        let Ok(code) = qrcode::QrCode::with_error_correction_level(&self.qr_data, self.qr_ec)
        else {
            self.text.push("[QR data too long: nothing printed]".into());
            return;
        };
        let n = code.width() as u32;
        let m = u32::from(self.qr_module);
        let x0 = self.x_start(n * m);
        let colors = code.to_colors();
        for my in 0..n {
            for mx in 0..n {
                if colors[(my * n + mx) as usize] == qrcode::Color::Dark {
                    for dy in 0..m {
                        for dx in 0..m {
                            self.dot(x0 + mx * m + dx, self.y + my * m + dy);
                        }
                    }
                }
            }
        }
        self.y += n * m + LINE_GAP;
        self.ensure_rows(self.y);
        self.text
            .push(format!("[QR {}]", String::from_utf8_lossy(&self.qr_data)));
    }

    fn put(&mut self, ch: char, cells: u32) {
        let used: u32 = self
            .line
            .iter()
            .map(|g| g.cells * CELL * u32::from(g.style.w))
            .sum();
        if used + cells * CELL * u32::from(self.style.w) > self.width {
            self.flush_line();
        }
        self.line.push(Glyph {
            ch,
            cells,
            style: self.style,
        });
    }

    fn flush_line_or_blank(&mut self) {
        if self.line.is_empty() {
            if self.paper.can_print() {
                self.y += 24 * u32::from(self.style.h) + LINE_GAP;
                self.ensure_rows(self.y);
            }
            self.text.push(String::new());
        } else {
            self.flush_line();
        }
    }

    fn flush_line(&mut self) {
        if self.line.is_empty() {
            return;
        }
        let line = std::mem::take(&mut self.line);
        self.text.push(line.iter().map(|g| g.ch).collect());
        if !self.paper.can_print() {
            return;
        }
        let content: u32 = line
            .iter()
            .map(|g| g.cells * CELL * u32::from(g.style.w))
            .sum();
        let height = line
            .iter()
            .map(|g| 24 * u32::from(g.style.h))
            .max()
            .unwrap_or(24);
        let mut x = self.x_start(content);
        let font = self.font.clone();
        let upem = font.units_per_em().unwrap_or(1000.0);
        let span = font.ascent_unscaled() - font.descent_unscaled();
        for g in &line {
            let cell_w = g.cells * CELL * u32::from(g.style.w);
            let em_y = 24.0 * f32::from(g.style.h);
            let em_x = 24.0 * f32::from(g.style.w);
            let scale = PxScale {
                x: em_x * span / upem,
                y: em_y * span / upem,
            };
            let top = self.y + height - 24 * u32::from(g.style.h);
            // The ideographic em box runs from 0.88 em above the baseline to 0.12 em below.
            let baseline = top as f32 + 0.88 * em_y;
            let id = font.glyph_id(g.ch);
            let adv = font.h_advance_unscaled(id) * scale.x / span;
            let gx = x as f32 + (cell_w as f32 - adv) / 2.0;
            let glyph = id.with_scale_and_position(scale, point(gx, baseline));
            if let Some(og) = font.outline_glyph(glyph) {
                let b = og.px_bounds();
                let mut hits = Vec::new();
                og.draw(|px, py, cov| {
                    if cov > 0.45 {
                        hits.push((b.min.x as i32 + px as i32, b.min.y as i32 + py as i32));
                    }
                });
                for (hx, hy) in hits {
                    if hx >= 0 && hy >= 0 {
                        self.dot(hx as u32, hy as u32);
                        if g.style.bold {
                            self.dot(hx as u32 + 1, hy as u32);
                        }
                    }
                }
            }
            if g.style.underline {
                for ux in x..x + cell_w {
                    self.dot(ux, self.y + height + 1);
                    self.dot(ux, self.y + height + 2);
                }
            }
            x += cell_w;
        }
        self.y += height + LINE_GAP;
        self.ensure_rows(self.y);
    }

    fn cut(&mut self) {
        self.flush_line();
        if !self.paper.can_print() {
            return;
        }
        let h = self.y.max(1);
        self.ensure_rows(h);
        let mut rows = std::mem::take(&mut self.canvas);
        rows.truncate((h * self.width) as usize);
        if let Some(img) = GrayImage::from_raw(self.width, h, rows) {
            self.pages.push(img);
        }
        self.y = 0;
    }
}

/// Writes a page as PNG.
pub fn save_png(img: &GrayImage, path: &Path) -> Result<(), PrinterSimError> {
    img.save(path).map_err(|e| PrinterSimError::Png {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Shared state of a running simulator.
#[derive(Clone)]
pub struct PrinterSimControl {
    inner: Arc<Mutex<Interpreter>>,
}

impl PrinterSimControl {
    /// Changes what the sensors report.
    pub fn set_paper(&self, p: PaperState) {
        self.lock().set_paper(p);
    }

    /// Pages cut so far.
    pub fn pages(&self) -> Vec<GrayImage> {
        self.lock().pages().to_vec()
    }

    /// Lines of text printed so far.
    pub fn text(&self) -> Vec<String> {
        self.lock().text().to_vec()
    }

    /// Unrecognised commands.
    pub fn unknown(&self) -> Vec<UnknownCommand> {
        self.lock().unknown().to_vec()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Interpreter> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Where a simulator listens.
#[derive(Debug, Clone)]
pub enum SimEndpoint {
    /// A TCP address on 127.0.0.1.
    Tcp(SocketAddr),
    /// The slave side of a pty.
    Pty(String),
}

/// A printer simulator serving one endpoint on its own thread.
pub struct PrinterSim {
    endpoint: SimEndpoint,
    control: PrinterSimControl,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    _slave: Option<serialport::TTYPort>,
}

impl PrinterSim {
    /// Listens on 127.0.0.1 with a free port; serves connections one after another.
    pub fn spawn_tcp(width_dots: u32) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let control = PrinterSimControl {
            inner: Arc::new(Mutex::new(Interpreter::new(width_dots)?)),
        };
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s) = (control.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut stream, _)) => {
                        let _ = stream.set_nonblocking(false);
                        let _ = stream.set_read_timeout(Some(Duration::from_millis(20)));
                        let mut buf = [0u8; 4096];
                        while !s.load(Ordering::Relaxed) {
                            match stream.read(&mut buf) {
                                Ok(0) => break,
                                Ok(n) => {
                                    let r = c.lock().feed(&buf[..n]);
                                    if !r.is_empty() && stream.write_all(&r).is_err() {
                                        break;
                                    }
                                }
                                Err(e)
                                    if matches!(
                                        e.kind(),
                                        std::io::ErrorKind::WouldBlock
                                            | std::io::ErrorKind::TimedOut
                                    ) => {}
                                Err(_) => break,
                            }
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Ok(PrinterSim {
            endpoint: SimEndpoint::Tcp(addr),
            control,
            stop,
            thread: Some(thread),
            _slave: None,
        })
    }

    /// Serves the master side of a new pty pair; the driver opens [`PrinterSim::endpoint`]'s path.
    pub fn spawn_pty(width_dots: u32) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        use serialport::SerialPort;
        let control = PrinterSimControl {
            inner: Arc::new(Mutex::new(Interpreter::new(width_dots)?)),
        };
        let (mut master, slave) = serialport::TTYPort::pair()?;
        master.set_timeout(Duration::from_millis(20))?;
        let path = slave.name().ok_or("the pty slave has no name")?.to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s) = (control.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while !s.load(Ordering::Relaxed) {
                match master.read(&mut buf) {
                    Ok(0) => std::thread::sleep(Duration::from_millis(2)),
                    Ok(n) => {
                        let r = c.lock().feed(&buf[..n]);
                        if !r.is_empty() {
                            let _ = master.write_all(&r);
                            let _ = master.flush();
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Ok(PrinterSim {
            endpoint: SimEndpoint::Pty(path),
            control,
            stop,
            thread: Some(thread),
            _slave: Some(slave),
        })
    }

    /// Where to connect.
    pub fn endpoint(&self) -> &SimEndpoint {
        &self.endpoint
    }

    /// Scripting and inspection.
    pub fn control(&self) -> PrinterSimControl {
        self.control.clone()
    }
}

impl Drop for PrinterSim {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(PaperState::default(), [0x12, 0x12, 0x12])]
    #[case(PaperState { near_end: true, ..Default::default() }, [0x12, 0x12, 0x1E])]
    #[case(PaperState { out: true, ..Default::default() }, [0x1A, 0x32, 0x72])]
    #[case(PaperState { cover_open: true, ..Default::default() }, [0x1A, 0x16, 0x12])]
    fn status_replies(#[case] p: PaperState, #[case] want: [u8; 3]) {
        assert_eq!([p.reply(1), p.reply(2), p.reply(4)], want.map(Some));
    }

    #[test]
    fn silent_printer_does_not_answer() {
        let p = PaperState {
            silent: true,
            ..Default::default()
        };
        assert_eq!(p.reply(4), None);
    }

    #[test]
    fn parses_split_stream_and_records_unknown() {
        let Ok(mut it) = Interpreter::new(384) else {
            eprintln!("skipped: no CJK font installed (packaging/deps.sh installs fonts-noto-cjk)");
            return;
        };
        let stream = [
            &[0x1B, 0x40, 0x1C, 0x26][..],
            &[0xC9, 0xEA, 0xC7, 0xEB, b'A', 0x0A],
            &[0x1B, 0x7E, 0x10, 0x04, 0x04],
            &[0x1D, 0x56, 0x01],
        ]
        .concat();
        let mut replies = Vec::new();
        for b in &stream {
            replies.extend(it.feed(std::slice::from_ref(b)));
        }
        assert_eq!(replies, [0x12]);
        assert_eq!(it.text(), ["申请A"]);
        assert_eq!(it.unknown().len(), 1);
        assert_eq!(it.unknown()[0].bytes, [0x1B, 0x7E]);
        assert_eq!(it.pages().len(), 1);
        assert_eq!(it.pages()[0].width(), 384);
        assert!(
            it.pages()[0].pixels().any(|p| p.0[0] == 0),
            "text was drawn"
        );
    }
}
