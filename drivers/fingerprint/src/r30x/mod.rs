//! Synochip R30x / R50x / AS608 / ZFM-20 serial modules.
pub mod driver;
pub mod proto;

pub use driver::{R30x, R30xConfig, R30xError};
