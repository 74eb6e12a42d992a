//! Subcommands of `jiuzhu-kiosk`, one module each.

pub mod devices;
pub mod run;
