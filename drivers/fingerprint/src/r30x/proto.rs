//! Synochip R30x / R50x / AS608 / ZFM-20 packet codec.
//!
//! Protocol facts (devices.md §1, sources: ZFM-20 user manual v2.0 §6 as mirrored in
//! adafruit/Adafruit-Fingerprint-Sensor-Library `documentation/ZFM-20_Fingerprint_Module.pdf`,
//! `Adafruit_Fingerprint.h` b5de3ff, brianrho/FPM `src/fpm.h`/`fpm.cpp` 9b4cb89):
//! - packet = `EF 01` | address u32 BE | PID u8 | length u16 BE (= content + 2) | content | checksum u16 BE
//! - checksum = 16-bit sum (carry dropped) of PID, both length bytes and the content bytes
//! - PID 0x01 command, 0x02 data (more follow), 0x07 ack, 0x08 end of data; content ≤ 256 bytes
//! - ack content = confirmation code + results; data packets carry no ack.

use std::fmt;

/// The two header bytes that open every packet.
pub const HEADER: [u8; 2] = [0xEF, 0x01];
/// The factory-default module address.
pub const DEFAULT_ADDRESS: u32 = 0xFFFF_FFFF;
/// Largest content a packet may carry (packet-size code 3).
pub const MAX_CONTENT: usize = 256;
/// Bytes before the content: header 2 + address 4 + PID 1 + length 2.
pub const PREFIX_LEN: usize = 9;
/// Image geometry on the UART: 256×288, 4 bits per pixel.
pub const IMAGE_WIDTH: usize = 256;
/// Image height in rows.
pub const IMAGE_HEIGHT: usize = 288;
/// Bytes of a 4-bit UART image (two pixels per byte).
pub const IMAGE_BYTES_4BIT: usize = IMAGE_WIDTH * IMAGE_HEIGHT / 2;
/// Bytes of a template as sent by `UpChar` / accepted by `DownChar`.
pub const TEMPLATE_BYTES: usize = 512;

/// Packet identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pid {
    /// 0x01 command packet.
    Command,
    /// 0x02 data packet, more follow.
    Data,
    /// 0x07 acknowledge packet.
    Ack,
    /// 0x08 last data packet.
    EndData,
}

impl Pid {
    /// The wire byte.
    pub fn byte(self) -> u8 {
        match self {
            Self::Command => 0x01,
            Self::Data => 0x02,
            Self::Ack => 0x07,
            Self::EndData => 0x08,
        }
    }
    /// Parse the wire byte.
    pub fn from_byte(b: u8) -> Option<Self> {
        Some(match b {
            0x01 => Self::Command,
            0x02 => Self::Data,
            0x07 => Self::Ack,
            0x08 => Self::EndData,
            _ => return None,
        })
    }
}

/// One packet.
#[derive(Clone, PartialEq, Eq)]
pub struct Packet {
    /// Module address.
    pub address: u32,
    /// Packet kind.
    pub pid: Pid,
    /// Content (instruction + params, confirmation + results, or data).
    pub content: Vec<u8>,
}

impl fmt::Debug for Packet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Data packets carry images and templates: print only their size.
        match self.pid {
            Pid::Data | Pid::EndData => write!(
                f,
                "Packet {{ {:08X} {:?} {} B }}",
                self.address,
                self.pid,
                self.content.len()
            ),
            _ => write!(
                f,
                "Packet {{ {:08X} {:?} {:02X?} }}",
                self.address, self.pid, self.content
            ),
        }
    }
}

/// Why bytes did not form a packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Not enough bytes yet; `need` more are required at least.
    #[error("incomplete packet: {need} more byte(s) needed")]
    Incomplete {
        /// Minimum number of further bytes.
        need: usize,
    },
    /// The first two bytes are not `EF 01`.
    #[error("bad header {0:02X?}, expected EF 01")]
    BadHeader([u8; 2]),
    /// Unknown packet identifier.
    #[error("unknown packet identifier 0x{0:02X}")]
    BadPid(u8),
    /// Length field below 2 or content above 256 bytes.
    #[error("bad length field {0}")]
    BadLength(u16),
    /// Checksum mismatch.
    #[error("checksum mismatch: packet says {stated:04X}, computed {computed:04X}")]
    BadChecksum {
        /// The checksum on the wire.
        stated: u16,
        /// The checksum of the bytes received.
        computed: u16,
    },
}

/// 16-bit sum of PID, length bytes and content, carry dropped.
pub fn checksum(pid: u8, len_field: u16, content: &[u8]) -> u16 {
    let [lh, ll] = len_field.to_be_bytes();
    content.iter().fold(
        u16::from(pid)
            .wrapping_add(u16::from(lh))
            .wrapping_add(u16::from(ll)),
        |s, b| s.wrapping_add(u16::from(*b)),
    )
}

impl Packet {
    /// A command packet.
    pub fn command(address: u32, content: Vec<u8>) -> Self {
        Self {
            address,
            pid: Pid::Command,
            content,
        }
    }

    /// Encode to wire bytes.
    ///
    /// # Panics
    /// Never for content ≤ 256 bytes; larger content is a programming error and is rejected by
    /// a debug assertion (the length field still wraps consistently in release).
    pub fn encode(&self) -> Vec<u8> {
        debug_assert!(self.content.len() <= MAX_CONTENT);
        let len_field = (self.content.len() + 2) as u16;
        let mut out = Vec::with_capacity(PREFIX_LEN + self.content.len() + 2);
        out.extend_from_slice(&HEADER);
        out.extend_from_slice(&self.address.to_be_bytes());
        out.push(self.pid.byte());
        out.extend_from_slice(&len_field.to_be_bytes());
        out.extend_from_slice(&self.content);
        out.extend_from_slice(&checksum(self.pid.byte(), len_field, &self.content).to_be_bytes());
        out
    }

    /// Decode one packet from the start of `buf`; returns it and the bytes consumed.
    pub fn decode(buf: &[u8]) -> Result<(Self, usize), DecodeError> {
        if buf.len() < 2 {
            return Err(DecodeError::Incomplete {
                need: PREFIX_LEN - buf.len(),
            });
        }
        if buf[..2] != HEADER {
            return Err(DecodeError::BadHeader([buf[0], buf[1]]));
        }
        if buf.len() < PREFIX_LEN {
            return Err(DecodeError::Incomplete {
                need: PREFIX_LEN - buf.len(),
            });
        }
        let address = u32::from_be_bytes([buf[2], buf[3], buf[4], buf[5]]);
        let pid = Pid::from_byte(buf[6]).ok_or(DecodeError::BadPid(buf[6]))?;
        let len_field = u16::from_be_bytes([buf[7], buf[8]]);
        if len_field < 2 || usize::from(len_field) > MAX_CONTENT + 2 {
            return Err(DecodeError::BadLength(len_field));
        }
        let total = PREFIX_LEN + usize::from(len_field);
        if buf.len() < total {
            return Err(DecodeError::Incomplete {
                need: total - buf.len(),
            });
        }
        let content = &buf[PREFIX_LEN..total - 2];
        let stated = u16::from_be_bytes([buf[total - 2], buf[total - 1]]);
        let computed = checksum(buf[6], len_field, content);
        if stated != computed {
            return Err(DecodeError::BadChecksum { stated, computed });
        }
        Ok((
            Self {
                address,
                pid,
                content: content.to_vec(),
            },
            total,
        ))
    }
}

/// Instruction codes (devices.md §1 table, datasheet §6.4.2, plus library extensions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Op {
    /// Capture an image into ImageBuffer.
    GenImg = 0x01,
    /// Image → character file in CharBuffer n.
    Img2Tz = 0x02,
    /// Compare CharBuffer1 with CharBuffer2.
    Match = 0x03,
    /// Search the library with CharBuffer n.
    Search = 0x04,
    /// Merge CharBuffer1 + 2 into a template.
    RegModel = 0x05,
    /// Store CharBuffer n at a page.
    Store = 0x06,
    /// Load a page into CharBuffer n.
    LoadChar = 0x07,
    /// Upload CharBuffer n to the host.
    UpChar = 0x08,
    /// Download a template from the host into CharBuffer n.
    DownChar = 0x09,
    /// Upload ImageBuffer.
    UpImage = 0x0A,
    /// Download an image into ImageBuffer.
    DownImage = 0x0B,
    /// Delete N templates from a page.
    DeleteChar = 0x0C,
    /// Clear the library.
    Empty = 0x0D,
    /// Set a system parameter.
    SetSysPara = 0x0E,
    /// Read the 16-byte system parameters.
    ReadSysPara = 0x0F,
    /// Set the password.
    SetPwd = 0x12,
    /// Verify the password.
    VfyPwd = 0x13,
    /// Get a random number.
    GetRandomCode = 0x14,
    /// Set the module address.
    SetAdder = 0x15,
    /// Number of stored templates.
    TemplateNum = 0x1D,
    /// Read the index table (occupancy bitmap) of one 256-slot page.
    ReadConList = 0x1F,
}

impl Op {
    /// Parse an instruction byte.
    pub fn from_byte(b: u8) -> Option<Self> {
        use Op::*;
        Some(match b {
            0x01 => GenImg,
            0x02 => Img2Tz,
            0x03 => Match,
            0x04 => Search,
            0x05 => RegModel,
            0x06 => Store,
            0x07 => LoadChar,
            0x08 => UpChar,
            0x09 => DownChar,
            0x0A => UpImage,
            0x0B => DownImage,
            0x0C => DeleteChar,
            0x0D => Empty,
            0x0E => SetSysPara,
            0x0F => ReadSysPara,
            0x12 => SetPwd,
            0x13 => VfyPwd,
            0x14 => GetRandomCode,
            0x15 => SetAdder,
            0x1D => TemplateNum,
            0x1F => ReadConList,
            _ => return None,
        })
    }
}

/// A typed command: one variant per instruction, each knowing its parameter bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// 0x01.
    GenImg,
    /// 0x02 BufferID.
    Img2Tz {
        /// 1 or 2.
        buffer: u8,
    },
    /// 0x03.
    Match,
    /// 0x04 BufferID, StartPage, PageNum.
    Search {
        /// 1 or 2.
        buffer: u8,
        /// First page searched.
        start: u16,
        /// Number of pages searched.
        count: u16,
    },
    /// 0x05.
    RegModel,
    /// 0x06 BufferID, PageID.
    Store {
        /// 1 or 2.
        buffer: u8,
        /// Library slot.
        page: u16,
    },
    /// 0x07 BufferID, PageID.
    LoadChar {
        /// 1 or 2.
        buffer: u8,
        /// Library slot.
        page: u16,
    },
    /// 0x08 BufferID.
    UpChar {
        /// 1 or 2.
        buffer: u8,
    },
    /// 0x09 BufferID.
    DownChar {
        /// 1 or 2.
        buffer: u8,
    },
    /// 0x0A.
    UpImage,
    /// 0x0B.
    DownImage,
    /// 0x0C PageID, N.
    DeleteChar {
        /// First slot.
        page: u16,
        /// Number of slots.
        count: u16,
    },
    /// 0x0D.
    Empty,
    /// 0x0E param#, value.
    SetSysPara {
        /// 4 baud N, 5 security level, 6 packet-size code.
        param: u8,
        /// New value.
        value: u8,
    },
    /// 0x0F.
    ReadSysPara,
    /// 0x12 password.
    SetPwd(u32),
    /// 0x13 password.
    VfyPwd(u32),
    /// 0x14.
    GetRandomCode,
    /// 0x15 new address.
    SetAdder(u32),
    /// 0x1D.
    TemplateNum,
    /// 0x1F index page 0..=3.
    ReadConList {
        /// Index page (256 slots each).
        page: u8,
    },
}

impl Command {
    /// The instruction code.
    pub fn op(&self) -> Op {
        match self {
            Self::GenImg => Op::GenImg,
            Self::Img2Tz { .. } => Op::Img2Tz,
            Self::Match => Op::Match,
            Self::Search { .. } => Op::Search,
            Self::RegModel => Op::RegModel,
            Self::Store { .. } => Op::Store,
            Self::LoadChar { .. } => Op::LoadChar,
            Self::UpChar { .. } => Op::UpChar,
            Self::DownChar { .. } => Op::DownChar,
            Self::UpImage => Op::UpImage,
            Self::DownImage => Op::DownImage,
            Self::DeleteChar { .. } => Op::DeleteChar,
            Self::Empty => Op::Empty,
            Self::SetSysPara { .. } => Op::SetSysPara,
            Self::ReadSysPara => Op::ReadSysPara,
            Self::SetPwd(_) => Op::SetPwd,
            Self::VfyPwd(_) => Op::VfyPwd,
            Self::GetRandomCode => Op::GetRandomCode,
            Self::SetAdder(_) => Op::SetAdder,
            Self::TemplateNum => Op::TemplateNum,
            Self::ReadConList { .. } => Op::ReadConList,
        }
    }

    /// Instruction byte followed by its parameters.
    pub fn content(&self) -> Vec<u8> {
        let mut c = vec![self.op() as u8];
        match *self {
            Self::Img2Tz { buffer } | Self::UpChar { buffer } | Self::DownChar { buffer } => {
                c.push(buffer)
            }
            Self::Search {
                buffer,
                start,
                count,
            } => {
                c.push(buffer);
                c.extend_from_slice(&start.to_be_bytes());
                c.extend_from_slice(&count.to_be_bytes());
            }
            Self::Store { buffer, page } | Self::LoadChar { buffer, page } => {
                c.push(buffer);
                c.extend_from_slice(&page.to_be_bytes());
            }
            Self::DeleteChar { page, count } => {
                c.extend_from_slice(&page.to_be_bytes());
                c.extend_from_slice(&count.to_be_bytes());
            }
            Self::SetSysPara { param, value } => c.extend_from_slice(&[param, value]),
            Self::SetPwd(v) | Self::VfyPwd(v) | Self::SetAdder(v) => {
                c.extend_from_slice(&v.to_be_bytes())
            }
            Self::ReadConList { page } => c.push(page),
            Self::GenImg
            | Self::Match
            | Self::RegModel
            | Self::UpImage
            | Self::DownImage
            | Self::Empty
            | Self::ReadSysPara
            | Self::GetRandomCode
            | Self::TemplateNum => {}
        }
        c
    }

    /// Parse command content (the simulator's side).
    pub fn parse(content: &[u8]) -> Option<Self> {
        let (&op, p) = content.split_first()?;
        let u16_at =
            |i: usize| -> Option<u16> { Some(u16::from_be_bytes([*p.get(i)?, *p.get(i + 1)?])) };
        let u32_at = |i: usize| -> Option<u32> {
            Some(u32::from_be_bytes([
                *p.get(i)?,
                *p.get(i + 1)?,
                *p.get(i + 2)?,
                *p.get(i + 3)?,
            ]))
        };
        let need = |n: usize| (p.len() == n).then_some(());
        Some(match Op::from_byte(op)? {
            Op::GenImg => need(0).map(|_| Self::GenImg)?,
            Op::Img2Tz => need(1).map(|_| Self::Img2Tz { buffer: p[0] })?,
            Op::Match => need(0).map(|_| Self::Match)?,
            Op::Search => {
                need(5)?;
                Self::Search {
                    buffer: p[0],
                    start: u16_at(1)?,
                    count: u16_at(3)?,
                }
            }
            Op::RegModel => need(0).map(|_| Self::RegModel)?,
            Op::Store => {
                need(3)?;
                Self::Store {
                    buffer: p[0],
                    page: u16_at(1)?,
                }
            }
            Op::LoadChar => {
                need(3)?;
                Self::LoadChar {
                    buffer: p[0],
                    page: u16_at(1)?,
                }
            }
            Op::UpChar => need(1).map(|_| Self::UpChar { buffer: p[0] })?,
            Op::DownChar => need(1).map(|_| Self::DownChar { buffer: p[0] })?,
            Op::UpImage => need(0).map(|_| Self::UpImage)?,
            Op::DownImage => need(0).map(|_| Self::DownImage)?,
            Op::DeleteChar => {
                need(4)?;
                Self::DeleteChar {
                    page: u16_at(0)?,
                    count: u16_at(2)?,
                }
            }
            Op::Empty => need(0).map(|_| Self::Empty)?,
            Op::SetSysPara => {
                need(2)?;
                Self::SetSysPara {
                    param: p[0],
                    value: p[1],
                }
            }
            Op::ReadSysPara => need(0).map(|_| Self::ReadSysPara)?,
            Op::SetPwd => {
                need(4)?;
                Self::SetPwd(u32_at(0)?)
            }
            Op::VfyPwd => {
                need(4)?;
                Self::VfyPwd(u32_at(0)?)
            }
            Op::GetRandomCode => need(0).map(|_| Self::GetRandomCode)?,
            Op::SetAdder => {
                need(4)?;
                Self::SetAdder(u32_at(0)?)
            }
            Op::TemplateNum => need(0).map(|_| Self::TemplateNum)?,
            Op::ReadConList => need(1).map(|_| Self::ReadConList { page: p[0] })?,
        })
    }

    /// Whether a successful ack is followed by data packets from the module.
    pub fn uploads(&self) -> bool {
        matches!(self, Self::UpChar { .. } | Self::UpImage)
    }
}

/// Confirmation codes (devices.md §1 "Confirmation codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    /// 0x00.
    Ok,
    /// 0x01 packet receive error.
    PacketError,
    /// 0x02 no finger on the sensor.
    NoFinger,
    /// 0x03 failed to enroll / capture the image.
    ImageFail,
    /// 0x06 image too messy to build a character file.
    TooMessy,
    /// 0x07 too few feature points.
    TooFewFeatures,
    /// 0x08 fingers do not match.
    NoMatch,
    /// 0x09 no matching template in the library.
    NotFound,
    /// 0x0A failed to merge the character files.
    MergeFail,
    /// 0x0B PageID out of the library's range.
    PageOutOfRange,
    /// 0x0C template read error or invalid template.
    ReadTemplateFail,
    /// 0x0D feature upload failed.
    UploadFeatureFail,
    /// 0x0E the module cannot receive the following data packets.
    CannotReceive,
    /// 0x0F image upload failed.
    UploadImageFail,
    /// 0x10 delete failed.
    DeleteFail,
    /// 0x11 clearing the library failed.
    ClearFail,
    /// 0x13 wrong password.
    WrongPassword,
    /// 0x15 no valid primary image in the buffer.
    NoValidImage,
    /// 0x18 flash read/write error.
    FlashError,
    /// 0x1A invalid register number.
    BadRegister,
    /// 0x20 address error.
    AddressError,
    /// 0x21 the password must be verified first.
    PasswordRequired,
    /// Any other code (reserved in the manual).
    Reserved(u8),
}

impl Confirm {
    /// Every named code, for exhaustive tests.
    pub const NAMED: [Confirm; 22] = [
        Self::Ok,
        Self::PacketError,
        Self::NoFinger,
        Self::ImageFail,
        Self::TooMessy,
        Self::TooFewFeatures,
        Self::NoMatch,
        Self::NotFound,
        Self::MergeFail,
        Self::PageOutOfRange,
        Self::ReadTemplateFail,
        Self::UploadFeatureFail,
        Self::CannotReceive,
        Self::UploadImageFail,
        Self::DeleteFail,
        Self::ClearFail,
        Self::WrongPassword,
        Self::NoValidImage,
        Self::FlashError,
        Self::BadRegister,
        Self::AddressError,
        Self::PasswordRequired,
    ];

    /// Parse a code.
    pub fn from_byte(b: u8) -> Self {
        match b {
            0x00 => Self::Ok,
            0x01 => Self::PacketError,
            0x02 => Self::NoFinger,
            0x03 => Self::ImageFail,
            0x06 => Self::TooMessy,
            0x07 => Self::TooFewFeatures,
            0x08 => Self::NoMatch,
            0x09 => Self::NotFound,
            0x0A => Self::MergeFail,
            0x0B => Self::PageOutOfRange,
            0x0C => Self::ReadTemplateFail,
            0x0D => Self::UploadFeatureFail,
            0x0E => Self::CannotReceive,
            0x0F => Self::UploadImageFail,
            0x10 => Self::DeleteFail,
            0x11 => Self::ClearFail,
            0x13 => Self::WrongPassword,
            0x15 => Self::NoValidImage,
            0x18 => Self::FlashError,
            0x1A => Self::BadRegister,
            0x20 => Self::AddressError,
            0x21 => Self::PasswordRequired,
            other => Self::Reserved(other),
        }
    }

    /// The wire byte.
    pub fn byte(self) -> u8 {
        match self {
            Self::Ok => 0x00,
            Self::PacketError => 0x01,
            Self::NoFinger => 0x02,
            Self::ImageFail => 0x03,
            Self::TooMessy => 0x06,
            Self::TooFewFeatures => 0x07,
            Self::NoMatch => 0x08,
            Self::NotFound => 0x09,
            Self::MergeFail => 0x0A,
            Self::PageOutOfRange => 0x0B,
            Self::ReadTemplateFail => 0x0C,
            Self::UploadFeatureFail => 0x0D,
            Self::CannotReceive => 0x0E,
            Self::UploadImageFail => 0x0F,
            Self::DeleteFail => 0x10,
            Self::ClearFail => 0x11,
            Self::WrongPassword => 0x13,
            Self::NoValidImage => 0x15,
            Self::FlashError => 0x18,
            Self::BadRegister => 0x1A,
            Self::AddressError => 0x20,
            Self::PasswordRequired => 0x21,
            Self::Reserved(b) => b,
        }
    }

    /// What the manual says the code means.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::PacketError => "packet receive error",
            Self::NoFinger => "no finger on the sensor",
            Self::ImageFail => "failed to capture the image",
            Self::TooMessy => "image too messy",
            Self::TooFewFeatures => "too few feature points",
            Self::NoMatch => "fingers do not match",
            Self::NotFound => "no matching template",
            Self::MergeFail => "failed to merge character files",
            Self::PageOutOfRange => "page id beyond the library",
            Self::ReadTemplateFail => "template read error or invalid template",
            Self::UploadFeatureFail => "feature upload failed",
            Self::CannotReceive => "module cannot receive the following data packets",
            Self::UploadImageFail => "image upload failed",
            Self::DeleteFail => "delete failed",
            Self::ClearFail => "clearing the library failed",
            Self::WrongPassword => "wrong password",
            Self::NoValidImage => "no valid primary image",
            Self::FlashError => "flash read/write error",
            Self::BadRegister => "invalid register number",
            Self::AddressError => "address error",
            Self::PasswordRequired => "password must be verified first",
            Self::Reserved(_) => "reserved code",
        }
    }
}

/// The 16 bytes of `ReadSysPara`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SysPara {
    /// Status register: bit0 busy, bit1 pass, bit2 password verified, bit3 image buffer valid.
    pub status: u16,
    /// System identifier (0x0000).
    pub system_id: u16,
    /// Template library capacity.
    pub capacity: u16,
    /// Security level 1..=5.
    pub security_level: u16,
    /// Device address.
    pub address: u32,
    /// Packet-size code 0..=3 (32/64/128/256 bytes).
    pub packet_size_code: u16,
    /// Baud rate as N × 9600.
    pub baud_n: u16,
}

impl SysPara {
    /// Data packet size in bytes for the packet-size code (0→32 … 3→256).
    pub fn packet_size(&self) -> usize {
        32 << (self.packet_size_code.min(3))
    }
    /// Baud rate in bit/s.
    pub fn baud(&self) -> u32 {
        9600 * u32::from(self.baud_n)
    }
    /// Parse the 16 result bytes.
    pub fn parse(b: &[u8]) -> Option<Self> {
        if b.len() < 16 {
            return None;
        }
        let w = |i: usize| u16::from_be_bytes([b[2 * i], b[2 * i + 1]]);
        Some(Self {
            status: w(0),
            system_id: w(1),
            capacity: w(2),
            security_level: w(3),
            address: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
            packet_size_code: w(6),
            baud_n: w(7),
        })
    }
    /// Encode to the 16 result bytes.
    pub fn encode(&self) -> [u8; 16] {
        let mut o = [0u8; 16];
        for (i, w) in [
            self.status,
            self.system_id,
            self.capacity,
            self.security_level,
        ]
        .iter()
        .enumerate()
        {
            o[2 * i..2 * i + 2].copy_from_slice(&w.to_be_bytes());
        }
        o[8..12].copy_from_slice(&self.address.to_be_bytes());
        o[12..14].copy_from_slice(&self.packet_size_code.to_be_bytes());
        o[14..16].copy_from_slice(&self.baud_n.to_be_bytes());
        o
    }
}

/// Expand a 4-bit UART image (high nibble = left pixel) to 8-bit pixels (nibble × 17).
pub fn expand_4bit(packed: &[u8]) -> Vec<u8> {
    packed
        .iter()
        .flat_map(|b| [(b >> 4) * 17, (b & 0x0F) * 17])
        .collect()
}

/// Pack 8-bit pixels into the 4-bit UART form, keeping the high nibble (an odd count pads with 0).
pub fn pack_4bit(pixels: &[u8]) -> Vec<u8> {
    pixels
        .chunks(2)
        .map(|p| (p[0] & 0xF0) | (p.get(1).copied().unwrap_or(0) >> 4))
        .collect()
}

/// Split a payload into data packets of `chunk` bytes: all `Data` but the last, which is `EndData`.
pub fn data_packets(address: u32, payload: &[u8], chunk: usize) -> Vec<Packet> {
    let chunk = chunk.clamp(1, MAX_CONTENT);
    let n = payload.len().div_ceil(chunk).max(1);
    (0..n)
        .map(|i| Packet {
            address,
            pid: if i + 1 == n { Pid::EndData } else { Pid::Data },
            content: payload[(i * chunk).min(payload.len())..((i + 1) * chunk).min(payload.len())]
                .to_vec(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[rstest]
    #[case::gen_img(Command::GenImg, "EF01 FFFFFFFF 01 0003 01 0005")]
    #[case::img2tz(Command::Img2Tz { buffer: 1 }, "EF01 FFFFFFFF 01 0004 02 01 0008")]
    #[case::search(Command::Search { buffer: 1, start: 0, count: 162 }, "EF01 FFFFFFFF 01 0008 04 01 0000 00A2 00B0")]
    #[case::vfy_pwd(Command::VfyPwd(0), "EF01 FFFFFFFF 01 0007 13 00000000 001B")]
    #[case::template_num(Command::TemplateNum, "EF01 FFFFFFFF 01 0003 1D 0021")]
    fn command_vectors_from_the_manual(#[case] cmd: Command, #[case] wire: &str) {
        let p = Packet::command(DEFAULT_ADDRESS, cmd.content());
        assert_eq!(p.encode(), hex(wire));
        let (back, used) = Packet::decode(&hex(wire)).unwrap();
        assert_eq!(used, hex(wire).len());
        assert_eq!(Command::parse(&back.content), Some(cmd));
    }

    #[rstest]
    #[case::ok("EF01 FFFFFFFF 07 0003 00 000A", vec![0x00])]
    #[case::no_finger("EF01 FFFFFFFF 07 0003 02 000C", vec![0x02])]
    #[case::found("EF01 FFFFFFFF 07 0007 00 0005 0064 0077", vec![0, 0, 5, 0, 0x64])]
    fn ack_vectors_from_the_manual(#[case] wire: &str, #[case] content: Vec<u8>) {
        let (p, _) = Packet::decode(&hex(wire)).unwrap();
        assert_eq!(p.pid, Pid::Ack);
        assert_eq!(p.content, content);
        assert_eq!(p.encode(), hex(wire));
    }

    #[test]
    fn every_command_round_trips() {
        let all = [
            Command::GenImg,
            Command::Img2Tz { buffer: 2 },
            Command::Match,
            Command::Search {
                buffer: 2,
                start: 3,
                count: 300,
            },
            Command::RegModel,
            Command::Store { buffer: 1, page: 7 },
            Command::LoadChar {
                buffer: 2,
                page: 999,
            },
            Command::UpChar { buffer: 1 },
            Command::DownChar { buffer: 2 },
            Command::UpImage,
            Command::DownImage,
            Command::DeleteChar { page: 4, count: 2 },
            Command::Empty,
            Command::SetSysPara { param: 6, value: 3 },
            Command::ReadSysPara,
            Command::SetPwd(0xDEAD_BEEF),
            Command::VfyPwd(1),
            Command::GetRandomCode,
            Command::SetAdder(0x1234_5678),
            Command::TemplateNum,
            Command::ReadConList { page: 3 },
        ];
        for c in all {
            assert_eq!(Command::parse(&c.content()), Some(c), "{c:?}");
            assert_eq!(Op::from_byte(c.op() as u8), Some(c.op()));
        }
        assert_eq!(Command::parse(&[0x02]), None, "Img2Tz without buffer id");
        assert_eq!(Command::parse(&[0x77]), None, "unknown instruction");
    }

    #[test]
    fn every_confirmation_code_maps_both_ways() {
        for c in Confirm::NAMED {
            assert_eq!(Confirm::from_byte(c.byte()), c);
            assert_ne!(c.describe(), "reserved code");
        }
        let named: Vec<u8> = Confirm::NAMED.iter().map(|c| c.byte()).collect();
        for b in 0..=255u8 {
            let c = Confirm::from_byte(b);
            assert_eq!(c.byte(), b);
            assert_eq!(matches!(c, Confirm::Reserved(_)), !named.contains(&b));
        }
    }

    #[rstest]
    #[case::bad_header("EE01 FFFFFFFF 07 0003 00 000A", DecodeError::BadHeader([0xEE, 0x01]))]
    #[case::bad_pid("EF01 FFFFFFFF 05 0003 00 0008", DecodeError::BadPid(5))]
    #[case::bad_len("EF01 FFFFFFFF 07 0001 00", DecodeError::BadLength(1))]
    #[case::bad_sum("EF01 FFFFFFFF 07 0003 00 000B", DecodeError::BadChecksum { stated: 0x0B, computed: 0x0A })]
    #[case::short("EF01 FFFFFFFF 07 0003 00", DecodeError::Incomplete { need: 2 })]
    fn malformed_packets_are_named(#[case] wire: &str, #[case] err: DecodeError) {
        assert_eq!(Packet::decode(&hex(wire)).unwrap_err(), err);
    }

    #[test]
    fn sys_para_round_trip() {
        let s = SysPara {
            status: 0b0100,
            system_id: 0,
            capacity: 162,
            security_level: 3,
            address: DEFAULT_ADDRESS,
            packet_size_code: 2,
            baud_n: 6,
        };
        assert_eq!(SysPara::parse(&s.encode()), Some(s));
        assert_eq!(s.packet_size(), 128);
        assert_eq!(s.baud(), 57600);
        assert_eq!(SysPara::parse(&[0; 15]), None);
    }

    #[test]
    fn image_nibbles() {
        assert_eq!(expand_4bit(&[0xF0, 0x1E]), vec![255, 0, 17, 238]);
        assert_eq!(pack_4bit(&[255, 0, 17, 238]), vec![0xF0, 0x1E]);
        let pkts = data_packets(1, &vec![0; IMAGE_BYTES_4BIT], 128);
        assert_eq!(pkts.len(), 288);
        assert!(pkts[..287].iter().all(|p| p.pid == Pid::Data));
        assert_eq!(pkts[287].pid, Pid::EndData);
    }

    proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            if let Ok((p, used)) = Packet::decode(&bytes) {
                prop_assert!(used <= bytes.len());
                prop_assert_eq!(p.encode(), bytes[..used].to_vec());
            }
        }

        #[test]
        fn decode_after_valid_prefix_never_panics(content in proptest::collection::vec(any::<u8>(), 0..=256), tail in proptest::collection::vec(any::<u8>(), 0..40), addr: u32, pid in prop_oneof![Just(1u8), Just(2), Just(7), Just(8)]) {
            let p = Packet { address: addr, pid: Pid::from_byte(pid).unwrap(), content };
            let mut wire = p.encode();
            let n = wire.len();
            wire.extend_from_slice(&tail);
            let (q, used) = Packet::decode(&wire).unwrap();
            prop_assert_eq!(used, n);
            prop_assert_eq!(q, p);
            let _ = Command::parse(&tail);
            let _ = SysPara::parse(&tail);
        }

        #[test]
        fn corrupting_one_byte_is_detected(content in proptest::collection::vec(any::<u8>(), 1..64), idx: prop::sample::Index, flip in 1u8..=255) {
            let wire = Packet { address: DEFAULT_ADDRESS, pid: Pid::Ack, content }.encode();
            let i = 9 + idx.index(wire.len() - 9);
            let mut bad = wire.clone();
            bad[i] ^= flip;
            prop_assert!(Packet::decode(&bad).is_err());
        }
    }
}
