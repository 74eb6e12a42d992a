//! Reference central service for Jiuzhu Kiosk.
