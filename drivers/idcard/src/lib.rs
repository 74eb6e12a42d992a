//! 二代证 SAM ID-card reader driver (serial and USB bulk).
