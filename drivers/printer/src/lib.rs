//! ESC/POS receipt printer driver and document layouts.
