//! Reference central service for Jiuzhu Kiosk: the signed kiosk API, staff accounts with
//! township scope, SQLite storage with a hash-chained audit log, and the OpenAPI document.
//!
//! The HTTP types and the signing scheme live in [`jiuzhu_core::api`]; this crate is the server.

pub mod audit;
pub mod client;
pub mod conn;
pub mod console;
pub mod crypto_at_rest;
pub mod db;
pub mod error;
pub mod evidence;
pub mod guarded;
pub mod help_calls;
pub mod http;
pub mod keys;
pub mod login_guard;
pub mod notices;
pub mod resident;
pub mod security;
pub mod seed;
pub mod sms;
pub mod staff_access;
pub mod store;
pub mod tls;

pub use error::ApiError;
pub use http::{AppState, router, serve_on, serve_tls_on};
pub use store::{SqliteStore, Store, StoreError};
