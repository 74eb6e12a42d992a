//! The Jiuzhu kiosk as a library: controllers, UI adapters, local store and sync.
//! `src/main.rs` is the command-line front door over it.

pub mod app;
pub mod config;
pub mod controllers;
pub mod doctor;
pub mod services;
pub mod signature;
pub mod store;
pub mod sync;
pub mod udev;
pub mod ui;
pub mod watchdog;
