//! Fingerprint drivers for Jiuzhu Kiosk: Synochip R30x/AS608 serial modules ([`r30x`]),
//! DigitalPersona U.are.U 4000/4000B/4500 USB readers ([`uru4000`]), host-side matching
//! ([`matching`]) and the capture policy ([`policy`]). Only [`transport`] touches serial/USB crates.

pub mod fixtures;
pub mod matching;
pub mod policy;
pub mod r30x;
pub mod transport;
pub mod uru4000;

/// USB vendor:product IDs this crate drives (U.are.U 4000 family, devices.md §3).
pub const USB_IDS: &[(u16, u16, &str)] = &[
    (
        0x045e,
        0x00bb,
        "Microsoft Fingerprint Reader (U.are.U 4000)",
    ),
    (
        0x045e,
        0x00bc,
        "Microsoft Wireless IntelliMouse with Fingerprint Reader",
    ),
    (0x045e, 0x00bd, "Microsoft Keyboard with Fingerprint Reader"),
    (0x045e, 0x00ca, "Microsoft Fingerprint Reader v2"),
    (0x05ba, 0x0007, "DigitalPersona U.are.U 4000"),
    (0x05ba, 0x0008, "DigitalPersona U.are.U 4000B"),
    (0x05ba, 0x000a, "DigitalPersona U.are.U 4500"),
];
