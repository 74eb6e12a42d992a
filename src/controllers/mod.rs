//! Flows as plain Rust state machines (house style habit 3): no Slint, no I/O, injected clocks.
//! Each controller takes events and returns effects; `src/app.rs` and the UI adapters carry the
//! effects out on the worker thread and feed the results back as events.

pub mod apply;
pub mod certify;
pub mod help_call;
pub mod identify;
pub mod progress;
pub mod session;
pub mod sign;
pub mod staff;
pub mod text;
