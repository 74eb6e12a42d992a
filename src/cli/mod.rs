//! Subcommands of `jiuzhu-kiosk`, one module each.

pub mod run;
