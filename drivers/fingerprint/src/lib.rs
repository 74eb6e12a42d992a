//! Fingerprint drivers: Synochip R30x/AS608 serial modules, U.are.U 4000 USB readers, host-side matching.
