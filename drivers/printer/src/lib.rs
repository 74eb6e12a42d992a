//! ESC/POS receipt printer driver and document layouts.
//!
//! [`EscPosPrinter`] speaks ESC/POS (devices.md §6, after python-escpos) over any
//! [`transport::Transport`]: it asks DLE EOT 1, 2 and 4 before printing so paper out, cover open
//! and offline come back as faults the UI can show, lays the [`Document`] out with
//! [`documents::render`] and asks again afterwards to report a paper near-end.

pub mod documents;
pub mod escpos;
pub mod transport;

use std::time::Duration;

use jiuzhu_drivers_api::printer::{
    Document, PaperWidth, PrintReport, PrinterError, PrinterStatus, ReceiptPrinter,
};

use escpos::{StatusQuery, StatusReply};
use transport::Transport;

/// USB vendor:product ids of receipt printers. Empty on purpose: no id was confirmed from a
/// citable source (devices.md §6 lists none); printers are addressed by their usblp device file,
/// serial port or network address instead.
pub const USB_IDS: &[(u16, u16, &str)] = &[];

/// How long to wait for a DLE EOT reply before calling the printer offline.
pub const STATUS_TIMEOUT: Duration = Duration::from_millis(1000);

/// An ESC/POS printer on a transport.
pub struct EscPosPrinter<T: Transport> {
    link: T,
    width: PaperWidth,
}

impl<T: Transport> EscPosPrinter<T> {
    /// A printer with the given paper on `link`.
    pub fn new(link: T, width: PaperWidth) -> Self {
        EscPosPrinter { link, width }
    }

    fn link_err(e: std::io::Error) -> PrinterError {
        PrinterError::Link(e.to_string())
    }

    fn query(&mut self, q: StatusQuery) -> Result<Option<StatusReply>, PrinterError> {
        self.link.write_all(&q.bytes()).map_err(Self::link_err)?;
        let Some(b) = self
            .link
            .read_byte(STATUS_TIMEOUT)
            .map_err(Self::link_err)?
        else {
            return Ok(None);
        };
        escpos::parse_status(q, b)
            .map(Some)
            .map_err(|e| PrinterError::Link(e.to_string()))
    }

    /// Sends bytes as they are (already laid out).
    pub fn send_raw(&mut self, bytes: &[u8]) -> Result<(), PrinterError> {
        self.link.write_all(bytes).map_err(Self::link_err)
    }

    /// The transport.
    pub fn into_inner(self) -> T {
        self.link
    }
}

impl<T: Transport> ReceiptPrinter for EscPosPrinter<T> {
    fn paper_width(&self) -> PaperWidth {
        self.width
    }

    fn status(&mut self) -> Result<PrinterStatus, PrinterError> {
        self.link.discard_input().map_err(Self::link_err)?;
        let offline = match self.query(StatusQuery::Printer)? {
            None => return Ok(PrinterStatus::Offline),
            Some(StatusReply::Printer { offline }) => offline,
            Some(_) => unreachable!("parse_status answers the query asked"),
        };
        if offline {
            return Ok(match self.query(StatusQuery::OfflineCause)? {
                Some(StatusReply::OfflineCause {
                    cover_open: true, ..
                }) => PrinterStatus::CoverOpen,
                Some(StatusReply::OfflineCause {
                    paper_end_stop: true,
                    ..
                }) => PrinterStatus::PaperOut,
                _ => PrinterStatus::Offline,
            });
        }
        Ok(match self.query(StatusQuery::Paper)? {
            None => PrinterStatus::Offline,
            Some(StatusReply::Paper { end: true, .. }) => PrinterStatus::PaperOut,
            Some(StatusReply::Paper { near_end: true, .. }) => PrinterStatus::PaperLow,
            Some(_) => PrinterStatus::Ready,
        })
    }

    fn print(&mut self, doc: &Document) -> Result<PrintReport, PrinterError> {
        let (bytes, mut report) = documents::render(doc, self.width)
            .map_err(|e| PrinterError::InvalidDocument(e.to_string()))?;
        let before = self.status()?;
        if before.is_fault() {
            return Err(PrinterError::Fault(before));
        }
        self.send_raw(&bytes)?;
        let after = self.status()?;
        if after.is_fault() {
            return Err(PrinterError::Fault(after));
        }
        report.paper_low = after == PrinterStatus::PaperLow;
        Ok(report)
    }
}
