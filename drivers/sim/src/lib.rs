//! Simulators for every device class, speaking the real protocols.
