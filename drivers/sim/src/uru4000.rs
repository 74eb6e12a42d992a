//! Scripted U.are.U 4000-family sessions for the `ScriptedUsb` replay transport.
//!
//! Builds the transfer sequence a reader goes through (devices.md §3, libfprint `uru4000.c`):
//! HWSTAT read/writes at power-up, the 0x56AA IRQ, DEVICE_INFO, then per capture MODE=0x10,
//! IRQ 0x0101, MODE=0x20, the image frame on EP 0x82 (64-byte header + 384-byte lines, inverted,
//! flipped except on the 4000B, optionally scrambled with the device's LFSR), the key exchange on
//! registers 0x33/0x34, MODE=0x12, IRQ 0x0200 and MODE=0x70. Frames are made from real prints
//! (or generated ones), so the host-side matcher sees what a reader would send.

use jiuzhu_drivers_api::fingerprint::FingerImage;
use jiuzhu_fingerprint::uru4000::replay::Step;
use jiuzhu_fingerprint::uru4000::{
    EP_IMAGE, EP_IRQ, FrameHeader, HEADER_LEN, Irq, LINE_WIDTH, Mode, REG_DEVICE_INFO, REG_HWSTAT,
    REG_MODE, REG_SCRAMBLE_INDEX, REG_SCRAMBLE_KEY, Variant, block_flags, lfsr_step, scramble,
};

/// Lines in a simulated frame (the header allows fewer than 290).
pub const FRAME_LINES: usize = 289;

/// The block table of a simulated frame: two scrambled blocks, a plain block between them that
/// still advances the key, and a trailing block marked not present.
pub const BLOCKS: [(u8, u8); 4] = [
    (block_flags::ENCRYPTED, 100),
    (0, 60),
    (block_flags::ENCRYPTED, 119),
    (block_flags::NOT_PRESENT | block_flags::NO_KEY_UPDATE, 10),
];

/// Image lines the driver keeps from a simulated frame (all but the not-present block).
pub const PRESENT_LINES: usize = 279;

/// How the simulated reader scrambles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scrambling {
    /// Key index announced in the frame header.
    pub key_number: u8,
    /// The device's key for that index.
    pub key: u32,
}

/// A simulated reader.
#[derive(Debug, Clone)]
pub struct UruSim {
    /// Which member of the family.
    pub variant: Variant,
    /// The seed the driver will send (must match the driver's).
    pub seed: u32,
    /// `None` = plain frames.
    pub scrambling: Option<Scrambling>,
    /// DEVICE_INFO contents.
    pub device_info: [u8; 16],
}

impl UruSim {
    /// A reader with scrambling on.
    pub fn new(variant: Variant, seed: u32) -> Self {
        Self {
            variant,
            seed,
            scrambling: Some(Scrambling {
                key_number: 5,
                key: 0xC0FF_EE11,
            }),
            device_info: *b"URU4000-SIM-0001",
        }
    }

    /// Power-up: HWSTAT `hwstat` at first read (0x84 forces the reboot branch).
    pub fn init_steps(&self, hwstat: u8) -> Vec<Step> {
        let mut v = vec![Step::ControlIn {
            value: REG_HWSTAT,
            reply: vec![hwstat],
        }];
        let mut hw = hwstat;
        if hw & 0x84 == 0x84 {
            v.push(Step::ControlOut {
                value: REG_HWSTAT,
                data: vec![hw & 0x0F],
            });
            hw = (hw & 0x0F) | 0x01;
            v.push(Step::ControlIn {
                value: REG_HWSTAT,
                reply: vec![hw],
            });
        }
        if hw & 0x80 == 0 {
            hw |= 0x80;
            v.push(Step::ControlOut {
                value: REG_HWSTAT,
                data: vec![hw],
            });
        }
        v.push(Step::ControlOut {
            value: REG_HWSTAT,
            data: vec![hw & 0x0F],
        });
        v.push(Step::ControlIn {
            value: REG_HWSTAT,
            reply: vec![hw & 0x0F],
        });
        v.push(irq(Irq::ScanPowerOn));
        v.push(Step::ControlIn {
            value: REG_DEVICE_INFO,
            reply: self.device_info.to_vec(),
        });
        v
    }

    /// One capture of `img`, after `waits` IRQ timeouts with no finger.
    pub fn capture_steps(&self, img: &FingerImage, waits: usize) -> Vec<Step> {
        let mut v = vec![mode(Mode::AwaitFingerOn)];
        v.extend((0..waits).map(|_| Step::Interrupt {
            endpoint: EP_IRQ,
            reply: None,
        }));
        v.push(irq(Irq::FingerOn));
        v.push(mode(Mode::Capture));
        v.push(Step::BulkIn {
            endpoint: EP_IMAGE,
            reply: self.frame(img),
        });
        if let Some(s) = self.scrambling {
            let mut idx = vec![s.key_number];
            idx.extend_from_slice(&self.seed.to_le_bytes());
            v.push(Step::ControlOut {
                value: REG_SCRAMBLE_INDEX,
                data: idx,
            });
            v.push(Step::ControlIn {
                value: REG_SCRAMBLE_KEY,
                reply: (s.key ^ self.seed).to_le_bytes().to_vec(),
            });
        }
        v.push(mode(Mode::AwaitFingerOff));
        v.push(irq(Irq::FingerOff));
        v.push(mode(Mode::Off));
        v
    }

    /// The frame the reader sends for `img` (cropped or padded to 384 × [`FRAME_LINES`]).
    pub fn frame(&self, img: &FingerImage) -> Vec<u8> {
        let w = usize::from(img.width);
        let h = usize::from(img.height);
        let (ox, oy) = (
            w as i64 - LINE_WIDTH as i64,
            h as i64 - PRESENT_LINES as i64,
        );
        let (ox, oy) = (ox / 2, oy / 2);
        // Upright picture rows; the not-present block gets filler lines.
        let mut rows: Vec<Vec<u8>> = (0..PRESENT_LINES)
            .map(|y| {
                (0..LINE_WIDTH)
                    .map(|x| {
                        let (sx, sy) = (x as i64 + ox, y as i64 + oy);
                        if sx >= 0 && sy >= 0 && (sx as usize) < w && (sy as usize) < h {
                            img.pixels[sy as usize * w + sx as usize]
                        } else {
                            255
                        }
                    })
                    .collect()
            })
            .collect();
        if self.variant == Variant::Standard {
            rows.reverse();
        }
        rows.extend((PRESENT_LINES..FRAME_LINES).map(|_| vec![0x33u8; LINE_WIDTH]));
        // The sensor reports dark ridges as high values.
        let mut body: Vec<u8> = rows.concat().iter().map(|p| 255 - p).collect();
        let blocks: Vec<(u8, u8)> = match self.scrambling {
            Some(_) => BLOCKS.to_vec(),
            None => BLOCKS
                .iter()
                .map(|(f, n)| (f & !block_flags::ENCRYPTED, *n))
                .collect(),
        };
        if let Some(s) = self.scrambling {
            let mut key = s.key;
            let mut from = 0usize;
            for &(flags, n) in &blocks {
                let n = usize::from(n);
                let block = &mut body[from * LINE_WIDTH..(from + n) * LINE_WIDTH];
                match flags & (block_flags::NO_KEY_UPDATE | block_flags::ENCRYPTED) {
                    block_flags::ENCRYPTED => key = scramble(block, key),
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
        let header = FrameHeader {
            num_lines: FRAME_LINES as u16,
            key_number: self.scrambling.map_or(0, |s| s.key_number),
            blocks,
        };
        let mut frame = Vec::with_capacity(HEADER_LEN + body.len());
        frame.extend_from_slice(&header.encode());
        frame.extend_from_slice(&body);
        frame
    }
}

fn irq(i: Irq) -> Step {
    let mut r = vec![0u8; 64];
    r[..2].copy_from_slice(&i.value().to_be_bytes());
    Step::Interrupt {
        endpoint: EP_IRQ,
        reply: Some(r),
    }
}

fn mode(m: Mode) -> Step {
    Step::ControlOut {
        value: REG_MODE,
        data: vec![m as u8],
    }
}
