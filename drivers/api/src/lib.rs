//! Device-class traits and shared types for Jiuzhu Kiosk drivers. No I/O crates.
pub mod camera;
pub mod fingerprint;
pub mod idcard;
pub mod printer;
