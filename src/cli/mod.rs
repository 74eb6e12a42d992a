//! Subcommands of `jiuzhu-kiosk`, one module each.

pub mod calendar;
pub mod config;
pub mod devices;
pub mod doctor;
pub mod enroll;
pub mod fingerprint;
pub mod id;
pub mod idcard;
pub mod packaging;
pub mod printer;
pub mod proof;
pub mod run;
pub mod vision;
pub mod voice;
