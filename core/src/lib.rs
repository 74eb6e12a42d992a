//! Jiuzhu domain core: identity numbers, households and applications, the review
//! workflow of the 涪陵区社会救助网上申请办理流程 as a pure state machine, and the
//! working-day calendar. This crate performs no I/O.
pub mod api;
pub mod application;
pub mod calendar;
pub mod help_call;
pub mod household;
pub mod id;
pub mod notices;
pub mod proof;
pub mod workflow;
