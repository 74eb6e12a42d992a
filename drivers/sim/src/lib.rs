//! Simulators for every device class, speaking the real protocols.
pub mod camera;
pub mod doccam;
pub mod idcard;
pub mod printer;
pub mod r30x;
pub mod uru4000;
