//! SAM 业务终端接口 wire format (GA/T 467-2019 §7, as the public readers implement it).
//!
//! Request  `AA AA AA 96 69 | LenH LenL | CMD PARA | DATA… | CHK`
//! Response `AA AA AA 96 69 | LenH LenL | SW1 SW2 SW3 | DATA… | CHK`
//! Len (big-endian) counts the bytes after the length field, CHK included; CHK is the XOR of every
//! byte from LenH to the last data byte. SW1 = SW2 = 00 in practice; SW3 is the status.
//! Sources: shared/reference/devices.md §2 (hev-idcard-reader `hev-dbus-object-idcard-reader.c`,
//! BearPi `IDReader.{h,c}`, libsamv.h status constants, kekxv usb_tool).

use jiuzhu_drivers_api::idcard::{IdCardError, IdCardRetry};

/// The five-byte frame preamble.
pub const PREAMBLE: [u8; 5] = [0xAA, 0xAA, 0xAA, 0x96, 0x69];
/// Preamble plus the two length bytes.
pub const HEADER_LEN: usize = 7;
/// Smallest legal Len: SW1 SW2 SW3 CHK.
pub const MIN_LEN: usize = 4;
/// Largest Len accepted; the biggest known reply (text + photo + two fingers) is 0x090A.
pub const MAX_LEN: usize = 0x0A00;
/// Text block size in a read reply.
pub const TEXT_LEN: usize = 256;
/// WLT photo size in a read reply.
pub const PHOTO_LEN: usize = 1024;
/// One finger record in the fingerprint file.
pub const FINGER_LEN: usize = 512;

/// The commands this driver sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// `10 FF` reset the SAM.
    ResetSam,
    /// `11 FF` SAM status check.
    SamStatus,
    /// `12 FF` read the SAM management information (SAM ID).
    SamId,
    /// `20 01` find card (寻卡).
    FindCard,
    /// `20 02` select card (选卡).
    SelectCard,
    /// `30 01` read text and photo.
    ReadText,
    /// `30 10` read text, photo and fingerprint file.
    ReadTextAndFingerprints,
}

impl Command {
    /// Every command, for tables and tests.
    pub const ALL: [Command; 7] = [
        Self::ResetSam,
        Self::SamStatus,
        Self::SamId,
        Self::FindCard,
        Self::SelectCard,
        Self::ReadText,
        Self::ReadTextAndFingerprints,
    ];

    /// CMD and PARA bytes.
    pub fn code(self) -> [u8; 2] {
        match self {
            Self::ResetSam => [0x10, 0xFF],
            Self::SamStatus => [0x11, 0xFF],
            Self::SamId => [0x12, 0xFF],
            Self::FindCard => [0x20, 0x01],
            Self::SelectCard => [0x20, 0x02],
            Self::ReadText => [0x30, 0x01],
            Self::ReadTextAndFingerprints => [0x30, 0x10],
        }
    }

    /// The command with these CMD/PARA bytes.
    pub fn from_code(code: [u8; 2]) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The complete request frame.
    pub fn encode(self) -> Vec<u8> {
        encode_request(self.code(), &[])
    }

    /// Whether a reply could be the answer to this command. Status codes other than success
    /// are accepted for any command; a success must have this command's data shape. This keeps a
    /// late reply to an earlier command from being taken for the current one.
    pub fn accepts(self, r: &Response) -> bool {
        match (self, r.status()) {
            (Self::FindCard, 0x9F) => true,
            (Self::FindCard, 0x90) => false,
            (Self::SelectCard, 0x90) => r.data.len() == 8,
            (Self::ReadText, 0x90) => r.data.len() == 4 + TEXT_LEN + PHOTO_LEN,
            (Self::ReadTextAndFingerprints, 0x90) => ReadPayload::parse(&r.data, true).is_ok(),
            (Self::SamStatus | Self::ResetSam, 0x90) => r.data.is_empty(),
            (_, 0x9F) => false,
            _ => true,
        }
    }
}

/// XOR of `bytes`.
pub fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |a, b| a ^ b)
}

fn frame(body: &[u8]) -> Vec<u8> {
    let len = body.len() + 1;
    let mut f = Vec::with_capacity(HEADER_LEN + len);
    f.extend_from_slice(&PREAMBLE);
    f.extend_from_slice(&(len as u16).to_be_bytes());
    f.extend_from_slice(body);
    let chk = checksum(&f[PREAMBLE.len()..]);
    f.push(chk);
    f
}

/// A request frame for CMD/PARA and data.
pub fn encode_request(code: [u8; 2], data: &[u8]) -> Vec<u8> {
    let mut body = code.to_vec();
    body.extend_from_slice(data);
    frame(&body)
}

/// A response frame with SW1 = SW2 = 00 (what readers send; the simulator and tests use it).
pub fn encode_response(sw3: u8, data: &[u8]) -> Vec<u8> {
    let mut body = vec![0, 0, sw3];
    body.extend_from_slice(data);
    frame(&body)
}

/// A decoded response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// SW1 SW2 SW3.
    pub sw: [u8; 3],
    /// Bytes between SW3 and CHK.
    pub data: Vec<u8>,
}

impl Response {
    /// SW3, the status.
    pub fn status(&self) -> u8 {
        self.sw[2]
    }
}

/// A broken frame found in the byte stream (the decoder has already skipped it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The CHK byte did not match the XOR of the frame.
    #[error("checksum mismatch: frame says {found:#04x}, bytes give {computed:#04x}")]
    Checksum {
        /// CHK in the frame.
        found: u8,
        /// XOR computed over the frame.
        computed: u8,
    },
    /// Len outside `MIN_LEN..=MAX_LEN`.
    #[error("length field {0} is outside 4..=2560")]
    Length(usize),
}

/// One result of [`FrameDecoder::decode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A complete, checksum-valid frame.
    Frame(Response),
    /// A complete but broken frame, skipped.
    Broken(FrameError),
}

/// Incremental response decoder that resynchronises on the preamble after garbage.
#[derive(Debug, Default)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    discarded: usize,
}

impl FrameDecoder {
    /// An empty decoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes skipped so far because they were not part of a valid frame.
    pub fn discarded(&self) -> usize {
        self.discarded
    }

    /// Bytes held, waiting for the rest of a frame.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Drops everything held.
    pub fn clear(&mut self) {
        self.discarded += self.buf.len();
        self.buf.clear();
    }

    fn skip(&mut self, n: usize) {
        self.buf.drain(..n);
        self.discarded += n;
    }

    /// The next frame or broken frame, or `None` when more bytes are needed.
    pub fn decode(&mut self) -> Option<Decoded> {
        // Find the preamble, keeping a possible partial preamble at the end.
        let start = find_preamble(&self.buf);
        self.skip(start);
        if self.buf.len() < HEADER_LEN {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([self.buf[5], self.buf[6]]));
        if !(MIN_LEN..=MAX_LEN).contains(&len) {
            self.skip(1);
            return Some(Decoded::Broken(FrameError::Length(len)));
        }
        if self.buf.len() < HEADER_LEN + len {
            return None;
        }
        let end = HEADER_LEN + len;
        let computed = checksum(&self.buf[PREAMBLE.len()..end - 1]);
        let found = self.buf[end - 1];
        if computed != found {
            // Rescan from inside the broken frame: a real frame may start there.
            self.skip(1);
            return Some(Decoded::Broken(FrameError::Checksum { found, computed }));
        }
        let sw = [self.buf[7], self.buf[8], self.buf[9]];
        let data = self.buf[HEADER_LEN + 3..end - 1].to_vec();
        self.buf.drain(..end);
        Some(Decoded::Frame(Response { sw, data }))
    }
}

/// Index of the first full preamble, or of the longest preamble prefix ending the buffer.
fn find_preamble(buf: &[u8]) -> usize {
    if let Some(i) = buf.windows(PREAMBLE.len()).position(|w| w == PREAMBLE) {
        return i;
    }
    for keep in (1..PREAMBLE.len()).rev() {
        if buf.len() >= keep && buf[buf.len() - keep..] == PREAMBLE[..keep] {
            return buf.len() - keep;
        }
    }
    buf.len()
}

/// Decodes a request frame (the simulator's side). `None` if it is not one complete valid frame.
pub fn decode_request(frame: &[u8]) -> Option<([u8; 2], Vec<u8>)> {
    if frame.len() < HEADER_LEN + 3 || frame[..5] != PREAMBLE {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([frame[5], frame[6]]));
    if frame.len() != HEADER_LEN + len || len < 3 {
        return None;
    }
    if checksum(&frame[5..frame.len() - 1]) != frame[frame.len() - 1] {
        return None;
    }
    Some(([frame[7], frame[8]], frame[9..frame.len() - 1].to_vec()))
}

/// What a status code calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusClass {
    /// 90: done.
    Ok,
    /// 9F: a card is on the antenna.
    CardFound,
    /// 80: no card.
    NoCard,
    /// 91: the item has no content (e.g. no appended address).
    NoContent,
    /// The resident can fix it by placing the card again.
    Retry(IdCardRetry),
    /// The reader received a garbled frame from us: send it again.
    Resend,
    /// The SAM is broken or unauthorised.
    SamFault,
    /// The command was refused.
    Rejected,
}

/// Meaning of an SW3 status code (libsamv.h, kekxv, Delphi SDK constants; devices.md §2).
pub fn status_meaning(sw3: u8) -> &'static str {
    match sw3 {
        0x90 => "success",
        0x91 => "item has no content",
        0x9F => "card found",
        0x10 => "checksum error in the received frame",
        0x11 => "length error in the received frame",
        0x21 => "command or parameter error",
        0x23 => "unauthorised operation",
        0x24 => "unknown error",
        0x31 => "the card failed to authenticate the SAM",
        0x32 => "the SAM failed to authenticate the card",
        0x33 => "information verification error",
        0x40 => "unknown card type",
        0x41 => "reading the card failed",
        0x47 => "getting a random number failed",
        0x60 => "SAM self-test failed",
        0x66 => "SAM not authorised",
        0x80 => "find card failed (no card)",
        0x81 => "select card failed",
        _ => "undocumented status",
    }
}

/// How the driver treats an SW3 status code.
pub fn classify(sw3: u8) -> StatusClass {
    match sw3 {
        0x90 => StatusClass::Ok,
        0x9F => StatusClass::CardFound,
        0x80 => StatusClass::NoCard,
        0x91 => StatusClass::NoContent,
        0x10 | 0x11 => StatusClass::Resend,
        0x81 => StatusClass::Retry(IdCardRetry::SelectFailed),
        0x31 | 0x32 => StatusClass::Retry(IdCardRetry::AuthenticationFailed),
        0x24 | 0x33 | 0x41 | 0x47 => StatusClass::Retry(IdCardRetry::ReadFailed),
        0x40 => StatusClass::Retry(IdCardRetry::UnknownCardType),
        0x60 | 0x66 => StatusClass::SamFault,
        _ => StatusClass::Rejected,
    }
}

/// The error a non-success status becomes, or `None` for statuses that are not errors.
pub fn status_error(sw3: u8) -> Option<IdCardError> {
    match classify(sw3) {
        StatusClass::Ok | StatusClass::CardFound | StatusClass::NoCard | StatusClass::NoContent => {
            None
        }
        StatusClass::Retry(r) => Some(IdCardError::Retry(r)),
        StatusClass::Resend => Some(IdCardError::Link(format!(
            "the reader kept reporting {}",
            status_meaning(sw3)
        ))),
        StatusClass::SamFault => Some(IdCardError::Sam {
            code: sw3,
            meaning: status_meaning(sw3),
        }),
        StatusClass::Rejected => Some(IdCardError::Rejected {
            code: sw3,
            meaning: status_meaning(sw3),
        }),
    }
}

/// The data of a successful read reply, split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadPayload {
    /// 256-byte UCS-2LE text block.
    pub text: Vec<u8>,
    /// 1024-byte WLT photo.
    pub photo: Vec<u8>,
    /// 0, 512 or 1024 bytes of fingerprint file.
    pub fingerprints: Vec<u8>,
}

/// Why a read reply's data is not a text/photo(/fingerprint) payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("read reply: {0}")]
pub struct PayloadError(pub String);

impl ReadPayload {
    /// Splits `data` (after SW3) of a `30 01` (`with_fingerprints = false`) or `30 10` reply.
    pub fn parse(data: &[u8], with_fingerprints: bool) -> Result<Self, PayloadError> {
        let head = if with_fingerprints { 6 } else { 4 };
        if data.len() < head {
            return Err(PayloadError(format!("{} bytes, too short", data.len())));
        }
        let be = |i: usize| usize::from(u16::from_be_bytes([data[i], data[i + 1]]));
        let (text_len, photo_len) = (be(0), be(2));
        let fp_len = if with_fingerprints { be(4) } else { 0 };
        if text_len != TEXT_LEN || photo_len != PHOTO_LEN {
            return Err(PayloadError(format!(
                "text/photo lengths {text_len}/{photo_len}, expected 256/1024"
            )));
        }
        if !matches!(fp_len, 0 | FINGER_LEN | 1024) {
            return Err(PayloadError(format!(
                "fingerprint length {fp_len}, expected 0, 512 or 1024"
            )));
        }
        if data.len() != head + text_len + photo_len + fp_len {
            return Err(PayloadError(format!(
                "{} bytes, the header announces {}",
                data.len(),
                head + text_len + photo_len + fp_len
            )));
        }
        let text = data[head..head + TEXT_LEN].to_vec();
        let photo = data[head + TEXT_LEN..head + TEXT_LEN + PHOTO_LEN].to_vec();
        let fingerprints = data[head + TEXT_LEN + PHOTO_LEN..].to_vec();
        Ok(Self {
            text,
            photo,
            fingerprints,
        })
    }

    /// The reply data for this payload (the inverse of [`parse`](Self::parse)).
    pub fn to_data(&self, with_fingerprints: bool) -> Vec<u8> {
        let mut d = Vec::new();
        d.extend_from_slice(&(self.text.len() as u16).to_be_bytes());
        d.extend_from_slice(&(self.photo.len() as u16).to_be_bytes());
        if with_fingerprints {
            d.extend_from_slice(&(self.fingerprints.len() as u16).to_be_bytes());
        }
        d.extend_from_slice(&self.text);
        d.extend_from_slice(&self.photo);
        if with_fingerprints {
            d.extend_from_slice(&self.fingerprints);
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    }

    // Request vectors quoted in devices.md §2.
    #[rstest]
    #[case(Command::SamStatus, "AA AA AA 96 69 00 03 11 FF ED")]
    #[case(Command::FindCard, "AA AA AA 96 69 00 03 20 01 22")]
    #[case(Command::SelectCard, "AA AA AA 96 69 00 03 20 02 21")]
    #[case(Command::ReadText, "AA AA AA 96 69 00 03 30 01 32")]
    #[case(Command::ReadTextAndFingerprints, "AA AA AA 96 69 00 03 30 10 23")]
    #[case(Command::SamId, "AA AA AA 96 69 00 03 12 FF EE")]
    #[case(Command::ResetSam, "AA AA AA 96 69 00 03 10 FF EC")]
    fn request_vectors(#[case] cmd: Command, #[case] bytes: &str) {
        assert_eq!(cmd.encode(), hex(bytes));
        assert_eq!(decode_request(&hex(bytes)), Some((cmd.code(), vec![])));
        assert_eq!(Command::from_code(cmd.code()), Some(cmd));
    }

    // Reply vectors quoted in devices.md §2.
    #[rstest]
    #[case("AA AA AA 96 69 00 04 00 00 90 94", 0x90, 0)]
    #[case("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97", 0x9F, 4)]
    #[case("AA AA AA 96 69 00 04 00 00 80 84", 0x80, 0)]
    #[case("AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C", 0x90, 8)]
    #[case("AA AA AA 96 69 00 04 00 00 81 85", 0x81, 0)]
    fn reply_vectors(#[case] bytes: &str, #[case] sw3: u8, #[case] data_len: usize) {
        let bytes = hex(bytes);
        let mut d = FrameDecoder::new();
        d.push(&bytes);
        let Some(Decoded::Frame(r)) = d.decode() else {
            panic!("no frame")
        };
        assert_eq!(r.status(), sw3);
        assert_eq!(r.data, vec![0; data_len]);
        assert_eq!(encode_response(sw3, &r.data), bytes);
        assert_eq!(d.pending(), 0);
    }

    #[rstest]
    #[case(false, 0, 0x0508, 1295)]
    #[case(true, 1024, 0x090A, 2321)]
    #[case(true, 512, 0x070A, 1809)]
    #[case(true, 0, 0x050A, 1297)]
    fn read_reply_sizes(
        #[case] with_fp: bool,
        #[case] fp: usize,
        #[case] len: u16,
        #[case] total: usize,
    ) {
        let p = ReadPayload {
            text: vec![0x20; 256],
            photo: vec![7; 1024],
            fingerprints: vec![9; fp],
        };
        let f = encode_response(0x90, &p.to_data(with_fp));
        assert_eq!(f.len(), total);
        assert_eq!(u16::from_be_bytes([f[5], f[6]]), len);
        assert_eq!(&f[7..14], &[0, 0, 0x90, 0x01, 0x00, 0x04, 0x00]);
        let r = Response {
            sw: [0, 0, 0x90],
            data: f[10..f.len() - 1].to_vec(),
        };
        let cmd = if with_fp {
            Command::ReadTextAndFingerprints
        } else {
            Command::ReadText
        };
        assert!(cmd.accepts(&r));
        assert_eq!(ReadPayload::parse(&r.data, with_fp).unwrap(), p);
    }

    #[rstest]
    #[case(0x90, StatusClass::Ok)]
    #[case(0x9F, StatusClass::CardFound)]
    #[case(0x80, StatusClass::NoCard)]
    #[case(0x81, StatusClass::Retry(IdCardRetry::SelectFailed))]
    #[case(0x41, StatusClass::Retry(IdCardRetry::ReadFailed))]
    #[case(0x40, StatusClass::Retry(IdCardRetry::UnknownCardType))]
    #[case(0x32, StatusClass::Retry(IdCardRetry::AuthenticationFailed))]
    #[case(0x10, StatusClass::Resend)]
    #[case(0x60, StatusClass::SamFault)]
    #[case(0x66, StatusClass::SamFault)]
    #[case(0x21, StatusClass::Rejected)]
    #[case(0x55, StatusClass::Rejected)]
    fn status_classes(#[case] sw3: u8, #[case] class: StatusClass) {
        assert_eq!(classify(sw3), class);
        assert!(!status_meaning(sw3).is_empty());
    }

    #[test]
    fn resyncs_after_garbage_and_broken_frames() {
        let good = encode_response(0x9F, &[0; 4]);
        let mut bad = encode_response(0x90, &[1, 2, 3]);
        *bad.last_mut().unwrap() ^= 0xFF;
        let mut stream = vec![0xAA, 0x13, 0xAA, 0xAA, 0x96];
        stream.extend_from_slice(&bad);
        stream.extend_from_slice(&[0xAA, 0xAA]);
        stream.extend_from_slice(&good);
        let mut d = FrameDecoder::new();
        d.push(&stream);
        assert!(matches!(
            d.decode(),
            Some(Decoded::Broken(FrameError::Checksum { .. }))
        ));
        assert_eq!(
            d.decode(),
            Some(Decoded::Frame(Response {
                sw: [0, 0, 0x9F],
                data: vec![0; 4]
            }))
        );
        assert_eq!(d.decode(), None);
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn stale_replies_are_not_taken_for_the_current_command() {
        let found = Response {
            sw: [0, 0, 0x9F],
            data: vec![0; 4],
        };
        assert!(Command::FindCard.accepts(&found));
        assert!(!Command::SelectCard.accepts(&found));
        assert!(!Command::ReadText.accepts(&found));
        let selected = Response {
            sw: [0, 0, 0x90],
            data: vec![0; 8],
        };
        assert!(!Command::ReadText.accepts(&selected));
        assert!(!Command::FindCard.accepts(&selected));
    }

    proptest! {
        #[test]
        fn response_round_trip(sw3: u8, data in proptest::collection::vec(any::<u8>(), 0..1500),
                               noise in proptest::collection::vec(any::<u8>(), 0..40), split in 0usize..2000) {
            let f = encode_response(sw3, &data);
            // Noise without a preamble in it, then the frame delivered in two pieces.
            let noise: Vec<u8> = noise.into_iter().filter(|b| *b != 0xAA).collect();
            let mut stream = noise.clone();
            stream.extend_from_slice(&f);
            let split = split.min(stream.len());
            let mut d = FrameDecoder::new();
            d.push(&stream[..split]);
            let first = d.decode();
            d.push(&stream[split..]);
            let got = first.or_else(|| d.decode());
            prop_assert_eq!(got, Some(Decoded::Frame(Response { sw: [0, 0, sw3], data })));
            prop_assert_eq!(d.discarded(), noise.len());
        }

        #[test]
        fn request_round_trip(code: [u8; 2], data in proptest::collection::vec(any::<u8>(), 0..300)) {
            prop_assert_eq!(decode_request(&encode_request(code, &data)), Some((code, data)));
        }

        #[test]
        fn decoder_never_panics(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..40)) {
            let mut d = FrameDecoder::new();
            let mut total = 0;
            for c in &chunks {
                total += c.len();
                d.push(c);
                while let Some(x) = d.decode() {
                    if let Decoded::Frame(r) = x {
                        let _ = ReadPayload::parse(&r.data, true);
                        let _ = ReadPayload::parse(&r.data, false);
                    }
                }
            }
            prop_assert!(d.pending() + d.discarded() <= total);
        }

        #[test]
        fn a_corrupted_body_byte_is_always_caught(sw3 in any::<u8>().prop_filter("no preamble byte", |b| *b != 0xAA),
                                                  data in proptest::collection::vec(any::<u8>().prop_filter("no preamble byte", |b| *b != 0xAA), 0..64),
                                                  at: usize, flip in 1u8..) {
            let mut f = encode_response(sw3, &data);
            let i = 7 + at % (f.len() - 7);
            f[i] ^= flip;
            let mut d = FrameDecoder::new();
            d.push(&f);
            let first = d.decode();
            let caught = matches!(first, Some(Decoded::Broken(FrameError::Checksum { .. })));
            prop_assert!(caught);
            while let Some(x) = d.decode() {
                prop_assert!(!matches!(x, Decoded::Frame(_)));
            }
        }
    }
}
