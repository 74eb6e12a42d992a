//! The driver against the simulator over real links: TCP on 127.0.0.1 and a pty pair. Status
//! faults come back as the UI's faults and nothing is printed while they last.

mod common;

use std::sync::Mutex;

use jiuzhu_drivers_api::printer::{PaperWidth, PrinterError, PrinterStatus, ReceiptPrinter};
use jiuzhu_printer::EscPosPrinter;
use jiuzhu_printer::transport::{SerialTransport, TcpTransport};
use jiuzhu_sim::printer::{PaperState, PrinterSim, SimEndpoint};
use rstest::rstest;

static PTY: Mutex<()> = Mutex::new(());

fn tcp_printer(width: PaperWidth) -> Option<(PrinterSim, EscPosPrinter<TcpTransport>)> {
    let sim = match PrinterSim::spawn_tcp(u32::from(width.dots())) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("skipped: {e}");
            return None;
        }
    };
    let SimEndpoint::Tcp(addr) = sim.endpoint() else {
        unreachable!()
    };
    let link = TcpTransport::connect(&addr.to_string(), std::time::Duration::from_secs(2)).unwrap();
    Some((sim, EscPosPrinter::new(link, width)))
}

#[rstest]
#[case(PaperState::default(), PrinterStatus::Ready)]
#[case(PaperState { near_end: true, ..Default::default() }, PrinterStatus::PaperLow)]
#[case(PaperState { out: true, ..Default::default() }, PrinterStatus::PaperOut)]
#[case(PaperState { cover_open: true, ..Default::default() }, PrinterStatus::CoverOpen)]
#[case(PaperState { silent: true, ..Default::default() }, PrinterStatus::Offline)]
fn status_over_tcp(#[case] paper: PaperState, #[case] want: PrinterStatus) {
    let Some((sim, mut printer)) = tcp_printer(PaperWidth::Mm80) else {
        return;
    };
    sim.control().set_paper(paper);
    assert_eq!(printer.status().unwrap(), want);
}

#[rstest]
#[case(PaperState { out: true, ..Default::default() }, PrinterStatus::PaperOut)]
#[case(PaperState { cover_open: true, ..Default::default() }, PrinterStatus::CoverOpen)]
#[case(PaperState { silent: true, ..Default::default() }, PrinterStatus::Offline)]
fn faults_stop_printing(#[case] paper: PaperState, #[case] want: PrinterStatus) {
    let Some((sim, mut printer)) = tcp_printer(PaperWidth::Mm58) else {
        return;
    };
    sim.control().set_paper(paper);
    match printer.print(&common::receipt()) {
        Err(PrinterError::Fault(s)) => assert_eq!(s, want),
        other => panic!("{other:?}"),
    }
    assert!(sim.control().pages().is_empty());
    // Staff fix it; the same document prints.
    sim.control().set_paper(PaperState::default());
    printer.print(&common::receipt()).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(sim.control().pages().len(), 1);
}

#[test]
fn prints_over_tcp_and_reports_paper_low() {
    let Some((sim, mut printer)) = tcp_printer(PaperWidth::Mm80) else {
        return;
    };
    sim.control().set_paper(PaperState {
        near_end: true,
        ..Default::default()
    });
    let report = printer.print(&common::identity_proof()).unwrap();
    assert!(report.paper_low);
    assert!(report.bytes > 100);
    // The status query after printing was answered, so every byte before it was parsed.
    assert_eq!(sim.control().pages().len(), 1);
    assert!(sim.control().unknown().is_empty());
    assert!(
        sim.control()
            .text()
            .iter()
            .any(|l| l.contains("社会救助身份证明"))
    );
}

#[test]
fn prints_over_pty() {
    let _g = PTY.lock().unwrap_or_else(|e| e.into_inner());
    let sim = match PrinterSim::spawn_pty(384) {
        Ok(s) => s,
        Err(e) => return eprintln!("skipped: {e}"),
    };
    let SimEndpoint::Pty(path) = sim.endpoint() else {
        unreachable!()
    };
    let link = SerialTransport::open(path, 115_200).unwrap();
    let mut printer = EscPosPrinter::new(link, PaperWidth::Mm58);
    assert_eq!(printer.status().unwrap(), PrinterStatus::Ready);
    printer.print(&common::staff_slip()).unwrap();
    assert_eq!(sim.control().pages().len(), 1);
    assert!(
        sim.control()
            .text()
            .iter()
            .any(|l| l.contains("一次性告知书"))
    );
}
