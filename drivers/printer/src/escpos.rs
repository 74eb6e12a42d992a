//! ESC/POS byte encoder and DLE EOT status parsing. Pure: no I/O.
//!
//! Protocol facts (devices.md §6, from python-escpos `constants.py` / `escpos.py` [C]):
//! `1B 40` init; `1B 61 n` align; `1B 45 n` bold; `1B 2D n` underline; `1D 21 n` character size
//! (width−1 in the high nibble, height−1 in the low); `1C 26` / `1C 2E` enter / leave Chinese
//! (GB18030/GBK double-byte) mode; `0A` LF; `1B 64 n` feed n lines; `1D 76 30 m xL xH yL yH d…`
//! raster image, 1 bit per dot, MSB leftmost, x in bytes per row; `1D 28 6B pL pH 31 fn …` QR
//! (model `41`, module size `43`, error correction `45`, store `50 30 data`, print `51 30`, with
//! pL/pH = data length + 3 for store); `1D 56 00/01` full/partial cut, `1D 56 42 n` feed then cut;
//! `10 04 n` real-time status.
//! DLE EOT replies: every reply byte has bit 1 and bit 4 set and bits 0 and 7 clear (`0x12` fixed
//! bits, python-escpos masks). n = 4 paper sensor: bits 2–3 paper near end, bits 5–6 paper end
//! [C python-escpos `RT_MASK_LOWPAPER` 0x1E, `RT_MASK_NOPAPER` 0x72]. n = 1 printer status: bit 3
//! offline; n = 2 offline cause: bit 2 cover open, bit 5 stopped by paper end, bit 6 error
//! [U: Epson ESC/POS command reference, DLE EOT; not in devices.md].
//!
//! Text is sent in Chinese mode as GBK double-byte codes. GB18030 four-byte sequences are never
//! sent because common receipt printers carry only a GB2312/GBK font [U per model]; characters
//! outside GBK are replaced with `□` by [`sanitize`] before they reach the encoder.

use encoding_rs::GBK;

/// Text alignment (`ESC a`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Left.
    Left = 0,
    /// Centre.
    Center = 1,
    /// Right.
    Right = 2,
}

/// QR error correction level (`GS ( k` fn 0x45).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrEc {
    /// ~7 %.
    L = 0,
    /// ~15 %.
    M = 1,
    /// ~25 %.
    Q = 2,
    /// ~30 %.
    H = 3,
}

/// Cut command (`GS V`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// `1D 56 00`.
    Full,
    /// `1D 56 01`.
    Partial,
    /// `1D 56 42 n`: feed n dots' worth of lines, then partial cut.
    FeedPartial(u8),
}

/// A 1-bit image for `GS v 0`: rows of `width_bytes` bytes, MSB = leftmost dot, 1 = black.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raster {
    width_bytes: u16,
    height: u16,
    bits: Vec<u8>,
}

impl Raster {
    /// A blank (white) raster of `width_dots` (rounded up to a multiple of 8) × `height` dots.
    pub fn new(width_dots: u16, height: u16) -> Self {
        let width_bytes = width_dots.div_ceil(8);
        Raster {
            width_bytes,
            height,
            bits: vec![0; usize::from(width_bytes) * usize::from(height)],
        }
    }

    /// Width in dots (a multiple of 8).
    pub fn width_dots(&self) -> u16 {
        self.width_bytes * 8
    }

    /// Height in dots.
    pub fn height(&self) -> u16 {
        self.height
    }

    /// Sets a dot black (`true`) or white. Out-of-range dots are ignored.
    pub fn set(&mut self, x: u16, y: u16, black: bool) {
        if x >= self.width_dots() || y >= self.height {
            return;
        }
        let i = usize::from(y) * usize::from(self.width_bytes) + usize::from(x / 8);
        let m = 0x80 >> (x % 8);
        if black {
            self.bits[i] |= m;
        } else {
            self.bits[i] &= !m;
        }
    }

    /// The packed rows.
    pub fn bits(&self) -> &[u8] {
        &self.bits
    }
}

/// Why bytes could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A character outside GBK reached the encoder; run [`sanitize`] first.
    #[error("character {0:?} has no GBK code; replace it with sanitize() before printing")]
    Unmappable(char),
    /// QR data longer than a QR code holds.
    #[error("QR data of {0} bytes is longer than the 7089 a QR code holds")]
    QrTooLong(usize),
    /// Module size outside 1..=16.
    #[error("QR module size {0} must be 1 to 16 dots")]
    QrModule(u8),
    /// Raster taller than 2303 dots (the GS v 0 limit).
    #[error("raster image of {0} rows is taller than the 2303 rows GS v 0 allows; split it")]
    RasterTooTall(u16),
}

/// Builds an ESC/POS byte stream.
#[derive(Debug, Clone, Default)]
pub struct Encoder {
    buf: Vec<u8>,
}

/// The replacement for characters a GBK printer cannot print.
pub const REPLACEMENT: char = '□';

fn gbk_bytes(c: char) -> Option<Vec<u8>> {
    if c.is_ascii() {
        return (!c.is_ascii_control()).then(|| vec![c as u8]);
    }
    let mut enc = GBK.new_encoder();
    let mut s = [0u8; 4];
    let src = c.encode_utf8(&mut s);
    let mut out = vec![0u8; 8];
    let (res, _read, written) = enc.encode_from_utf8_without_replacement(src, &mut out, true);
    match res {
        encoding_rs::EncoderResult::InputEmpty if written == 2 => {
            out.truncate(written);
            Some(out)
        }
        _ => None,
    }
}

/// Display width of a character on the printer in half-width cells (1 for ASCII, 2 for GBK
/// double-byte), or `None` if it cannot be printed.
pub fn char_cells(c: char) -> Option<usize> {
    gbk_bytes(c).map(|b| b.len())
}

/// Display width of printable text in half-width cells.
pub fn cells(s: &str) -> usize {
    s.chars().map(|c| char_cells(c).unwrap_or(2)).sum()
}

/// Replaces every character the printer cannot print (outside GBK, or control characters) with
/// [`REPLACEMENT`] (tabs become a space) and returns the characters replaced.
pub fn sanitize(s: &str) -> (String, Vec<char>) {
    let mut out = String::with_capacity(s.len());
    let mut replaced = Vec::new();
    for c in s.chars() {
        if c == '\t' {
            out.push(' ');
        } else if char_cells(c).is_some() {
            out.push(c);
        } else {
            out.push(REPLACEMENT);
            replaced.push(c);
        }
    }
    (out, replaced)
}

impl Encoder {
    /// An empty stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends raw bytes.
    pub fn raw(&mut self, b: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(b);
        self
    }

    /// `ESC @`.
    pub fn init(&mut self) -> &mut Self {
        self.raw(&[0x1B, 0x40])
    }

    /// `ESC a n`.
    pub fn align(&mut self, a: Align) -> &mut Self {
        self.raw(&[0x1B, 0x61, a as u8])
    }

    /// `ESC E n`.
    pub fn bold(&mut self, on: bool) -> &mut Self {
        self.raw(&[0x1B, 0x45, u8::from(on)])
    }

    /// `ESC - n` (0 off, 1 thin, 2 thick).
    pub fn underline(&mut self, n: u8) -> &mut Self {
        self.raw(&[0x1B, 0x2D, n.min(2)])
    }

    /// `GS ! n`: width and height multipliers, each clamped to 1..=8.
    pub fn size(&mut self, width: u8, height: u8) -> &mut Self {
        let w = width.clamp(1, 8) - 1;
        let h = height.clamp(1, 8) - 1;
        self.raw(&[0x1D, 0x21, (w << 4) | h])
    }

    /// `FS &` (on) / `FS .` (off): Chinese double-byte mode.
    pub fn chinese(&mut self, on: bool) -> &mut Self {
        self.raw(if on { &[0x1C, 0x26] } else { &[0x1C, 0x2E] })
    }

    /// Text in GBK (Chinese mode must be on for non-ASCII). Control characters other than `\n`
    /// and characters outside GBK are refused.
    pub fn text(&mut self, s: &str) -> Result<&mut Self, EncodeError> {
        let mut out = Vec::with_capacity(s.len() * 2);
        for c in s.chars() {
            if c == '\n' {
                out.push(0x0A);
                continue;
            }
            out.extend(gbk_bytes(c).ok_or(EncodeError::Unmappable(c))?);
        }
        self.buf.extend_from_slice(&out);
        Ok(self)
    }

    /// Text then LF.
    pub fn line(&mut self, s: &str) -> Result<&mut Self, EncodeError> {
        self.text(s)?;
        Ok(self.lf())
    }

    /// `LF`.
    pub fn lf(&mut self) -> &mut Self {
        self.raw(&[0x0A])
    }

    /// `ESC d n`: print and feed n lines.
    pub fn feed(&mut self, n: u8) -> &mut Self {
        self.raw(&[0x1B, 0x64, n])
    }

    /// `GS v 0 0`: a raster image at normal density.
    pub fn raster(&mut self, r: &Raster) -> Result<&mut Self, EncodeError> {
        if r.height > 2303 {
            return Err(EncodeError::RasterTooTall(r.height));
        }
        let [xl, xh] = r.width_bytes.to_le_bytes();
        let [yl, yh] = r.height.to_le_bytes();
        self.raw(&[0x1D, 0x76, 0x30, 0x00, xl, xh, yl, yh]);
        Ok(self.raw(&r.bits))
    }

    fn gs_k(&mut self, func: u8, params: &[u8]) -> &mut Self {
        let len = params.len() + 2;
        let [pl, ph] = (len as u16).to_le_bytes();
        self.raw(&[0x1D, 0x28, 0x6B, pl, ph, 0x31, func]);
        self.raw(params)
    }

    /// A QR code printed by the printer (`GS ( k`, model 2): module size in dots, error
    /// correction, store, print.
    pub fn qr(&mut self, data: &[u8], module: u8, ec: QrEc) -> Result<&mut Self, EncodeError> {
        if data.len() > 7089 {
            return Err(EncodeError::QrTooLong(data.len()));
        }
        if !(1..=16).contains(&module) {
            return Err(EncodeError::QrModule(module));
        }
        self.gs_k(0x41, &[0x32, 0x00]);
        self.gs_k(0x43, &[module]);
        self.gs_k(0x45, &[0x30 + ec as u8]);
        let mut store = Vec::with_capacity(data.len() + 1);
        store.push(0x30);
        store.extend_from_slice(data);
        self.gs_k(0x50, &store);
        Ok(self.gs_k(0x51, &[0x30]))
    }

    /// `GS V`.
    pub fn cut(&mut self, c: Cut) -> &mut Self {
        match c {
            Cut::Full => self.raw(&[0x1D, 0x56, 0x00]),
            Cut::Partial => self.raw(&[0x1D, 0x56, 0x01]),
            Cut::FeedPartial(n) => self.raw(&[0x1D, 0x56, 0x42, n]),
        }
    }

    /// The bytes so far.
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The finished stream.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

/// Which real-time status `DLE EOT n` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusQuery {
    /// n = 1: printer status (online/offline).
    Printer = 1,
    /// n = 2: offline cause (cover, paper end, error).
    OfflineCause = 2,
    /// n = 4: roll paper sensor.
    Paper = 4,
}

impl StatusQuery {
    /// `10 04 n`.
    pub fn bytes(self) -> [u8; 3] {
        [0x10, 0x04, self as u8]
    }
}

/// A reply byte that does not have the fixed bits of a status reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "status byte {0:#04x} lacks the fixed bits 0x12 of a DLE EOT reply; the line is noisy or the device is not an ESC/POS printer"
)]
pub struct StatusByteError(pub u8);

/// A decoded status reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusReply {
    /// n = 1.
    Printer {
        /// Bit 3.
        offline: bool,
    },
    /// n = 2.
    OfflineCause {
        /// Bit 2.
        cover_open: bool,
        /// Bit 5.
        paper_end_stop: bool,
        /// Bit 6.
        error: bool,
    },
    /// n = 4.
    Paper {
        /// Bits 2–3.
        near_end: bool,
        /// Bits 5–6.
        end: bool,
    },
}

/// Decodes the one-byte reply to `query`.
pub fn parse_status(query: StatusQuery, b: u8) -> Result<StatusReply, StatusByteError> {
    if b & 0x93 != 0x12 {
        return Err(StatusByteError(b));
    }
    Ok(match query {
        StatusQuery::Printer => StatusReply::Printer {
            offline: b & 0x08 != 0,
        },
        StatusQuery::OfflineCause => StatusReply::OfflineCause {
            cover_open: b & 0x04 != 0,
            paper_end_stop: b & 0x20 != 0,
            error: b & 0x40 != 0,
        },
        StatusQuery::Paper => StatusReply::Paper {
            near_end: b & 0x0C != 0,
            end: b & 0x60 != 0,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case::init(Encoder::new().init().bytes().to_vec(), vec![0x1B, 0x40])]
    #[case::center(Encoder::new().align(Align::Center).bytes().to_vec(), vec![0x1B, 0x61, 1])]
    #[case::right(Encoder::new().align(Align::Right).bytes().to_vec(), vec![0x1B, 0x61, 2])]
    #[case::bold(Encoder::new().bold(true).bold(false).bytes().to_vec(), vec![0x1B, 0x45, 1, 0x1B, 0x45, 0])]
    #[case::underline(Encoder::new().underline(5).bytes().to_vec(), vec![0x1B, 0x2D, 2])]
    #[case::size_2x2(Encoder::new().size(2, 2).bytes().to_vec(), vec![0x1D, 0x21, 0x11])]
    #[case::size_1x3(Encoder::new().size(1, 3).bytes().to_vec(), vec![0x1D, 0x21, 0x02])]
    #[case::size_clamped(Encoder::new().size(0, 9).bytes().to_vec(), vec![0x1D, 0x21, 0x07])]
    #[case::chinese(Encoder::new().chinese(true).chinese(false).bytes().to_vec(), vec![0x1C, 0x26, 0x1C, 0x2E])]
    #[case::feed(Encoder::new().feed(3).bytes().to_vec(), vec![0x1B, 0x64, 3])]
    #[case::full_cut(Encoder::new().cut(Cut::Full).bytes().to_vec(), vec![0x1D, 0x56, 0])]
    #[case::partial_cut(Encoder::new().cut(Cut::Partial).bytes().to_vec(), vec![0x1D, 0x56, 1])]
    #[case::feed_cut(Encoder::new().cut(Cut::FeedPartial(4)).bytes().to_vec(), vec![0x1D, 0x56, 0x42, 4])]
    #[case::status(StatusQuery::Paper.bytes().to_vec(), vec![0x10, 0x04, 0x04])]
    fn command_bytes(#[case] got: Vec<u8>, #[case] want: Vec<u8>) {
        assert_eq!(got, want);
    }

    #[test]
    fn chinese_text_is_gbk() {
        let mut e = Encoder::new();
        e.line("申请回执 A1").unwrap();
        // 申 C9EA 请 C7EB 回 BBD8 执 D6B4 (GB2312)
        assert_eq!(
            e.bytes(),
            [
                0xC9, 0xEA, 0xC7, 0xEB, 0xBB, 0xD8, 0xD6, 0xB4, 0x20, 0x41, 0x31, 0x0A
            ]
        );
    }

    #[test]
    fn qr_matches_python_escpos_layout() {
        let mut e = Encoder::new();
        e.qr(b"AB", 6, QrEc::M).unwrap();
        let want: Vec<u8> = [
            &[0x1D, 0x28, 0x6B, 4, 0, 0x31, 0x41, 0x32, 0x00][..],
            &[0x1D, 0x28, 0x6B, 3, 0, 0x31, 0x43, 6],
            &[0x1D, 0x28, 0x6B, 3, 0, 0x31, 0x45, 0x31],
            &[0x1D, 0x28, 0x6B, 5, 0, 0x31, 0x50, 0x30, b'A', b'B'],
            &[0x1D, 0x28, 0x6B, 3, 0, 0x31, 0x51, 0x30],
        ]
        .concat();
        assert_eq!(e.bytes(), want);
    }

    #[test]
    fn raster_header_and_bits() {
        let mut r = Raster::new(10, 2);
        r.set(0, 0, true);
        r.set(9, 1, true);
        r.set(100, 100, true);
        let mut e = Encoder::new();
        e.raster(&r).unwrap();
        assert_eq!(
            e.bytes(),
            [0x1D, 0x76, 0x30, 0, 2, 0, 2, 0, 0x80, 0, 0, 0x40]
        );
    }

    #[rstest]
    #[case('😀')]
    #[case('\u{1}')]
    #[case('𠀀')]
    fn unmappable_refused(#[case] c: char) {
        assert_eq!(
            Encoder::new().text(&c.to_string()).unwrap_err(),
            EncodeError::Unmappable(c)
        );
    }

    #[test]
    fn sanitize_replaces_and_reports() {
        let (s, r) = sanitize("张😀三\u{7}𠀀\tA");
        assert_eq!(s, "张□三□□ A");
        assert_eq!(r, vec!['😀', '\u{7}', '𠀀']);
        assert_eq!(cells(&s), 2 + 2 + 2 + 2 + 2 + 1 + 1);
    }

    #[rstest]
    #[case(StatusQuery::Paper, 0x12, StatusReply::Paper { near_end: false, end: false })]
    #[case(StatusQuery::Paper, 0x1E, StatusReply::Paper { near_end: true, end: false })]
    #[case(StatusQuery::Paper, 0x72, StatusReply::Paper { near_end: false, end: true })]
    #[case(StatusQuery::Paper, 0x7E, StatusReply::Paper { near_end: true, end: true })]
    #[case(StatusQuery::Printer, 0x16, StatusReply::Printer { offline: false })]
    #[case(StatusQuery::Printer, 0x1E, StatusReply::Printer { offline: true })]
    #[case(StatusQuery::OfflineCause, 0x16, StatusReply::OfflineCause { cover_open: true, paper_end_stop: false, error: false })]
    #[case(StatusQuery::OfflineCause, 0x72, StatusReply::OfflineCause { cover_open: false, paper_end_stop: true, error: true })]
    fn status_bytes(#[case] q: StatusQuery, #[case] b: u8, #[case] want: StatusReply) {
        assert_eq!(parse_status(q, b), Ok(want));
    }

    #[rstest]
    #[case(0x00)]
    #[case(0x13)]
    #[case(0x92)]
    #[case(0xFF)]
    fn status_noise_refused(#[case] b: u8) {
        assert_eq!(parse_status(StatusQuery::Paper, b), Err(StatusByteError(b)));
    }

    proptest! {
        #[test]
        fn sanitized_text_always_encodes(s in "\\PC{0,64}") {
            let (clean, _) = sanitize(&s);
            let mut e = Encoder::new();
            prop_assert!(e.text(&clean).is_ok());
            prop_assert_eq!(e.bytes().len(), cells(&clean));
        }

        #[test]
        fn gbk_text_decodes_back(s in "[\\u{4e00}-\\u{9fa5}a-zA-Z0-9 ，。：]{0,40}") {
            let mut e = Encoder::new();
            e.text(&s).unwrap();
            let (back, _, bad) = encoding_rs::GBK.decode(e.bytes());
            prop_assert!(!bad);
            prop_assert_eq!(back, s);
        }
    }
}
