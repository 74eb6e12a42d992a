//! The driver on the pty slave, the simulator on the master: the real serial path, every fault.
//! Pty pairs are not thread-safe, so every test holds `PTY`.

use std::io::{Read, Write};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use jiuzhu_drivers_api::fingerprint::CancelToken;
use jiuzhu_drivers_api::idcard::{
    CardKind, IdCardError, IdCardEvent, IdCardReader, IdCardRetry, ReaderStatus, Sex, ValidUntil,
};
use jiuzhu_idcard::proto::{Command, Decoded, FrameDecoder};
use jiuzhu_idcard::{ReaderConfig, SamReader, SerialTransport, open_serial};
use jiuzhu_sim::idcard::{BUILTIN_CARDS, Fault, IdCardSim, IdCardSimConfig, builtin};
use rstest::rstest;

static PTY: Mutex<()> = Mutex::new(());

struct Rig {
    reader: SamReader<SerialTransport>,
    sim: IdCardSim,
    _guard: MutexGuard<'static, ()>,
}

fn config() -> ReaderConfig {
    ReaderConfig {
        reply_timeout: Duration::from_millis(250),
        read_timeout: Duration::from_millis(600),
        poll_interval: Duration::from_millis(2),
        ..ReaderConfig::default()
    }
}

fn rig_with(sim_cfg: IdCardSimConfig, cfg: ReaderConfig) -> Rig {
    let guard = PTY.lock().unwrap_or_else(|p| p.into_inner());
    let sim = IdCardSim::spawn(sim_cfg).expect("simulator starts");
    let reader = open_serial(sim.path(), 115_200, cfg).expect("pty opens");
    Rig {
        reader,
        sim,
        _guard: guard,
    }
}

fn rig() -> Rig {
    rig_with(IdCardSimConfig::default(), config())
}

const WAIT: Duration = Duration::from_secs(5);

fn read(r: &mut Rig) -> Result<jiuzhu_drivers_api::idcard::IdentityCard, IdCardError> {
    r.reader.read_card(WAIT, &CancelToken::new())
}

#[rstest]
fn every_fixture_card_reads_as_written(#[values(false, true)] fingerprints: bool) {
    let mut r = rig();
    r.reader.set_read_fingerprints(fingerprints);
    for (name, _) in BUILTIN_CARDS {
        let fixture = builtin(name).unwrap();
        r.sim.place(fixture.clone());
        let card = read(&mut r).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(card.name.as_unmasked_str(), fixture.name, "{name}");
        assert_eq!(card.number.as_unmasked_str(), fixture.number, "{name}");
        assert_eq!(
            card.birth_date.format("%Y%m%d").to_string(),
            fixture.birth,
            "{name}"
        );
        assert_eq!(card.address.as_unmasked_str(), fixture.address, "{name}");
        assert_eq!(card.issuer, fixture.issuer, "{name}");
        assert_eq!(card.sex.code().to_string(), fixture.sex, "{name}");
        assert_eq!(card.photo.0, fixture.photo(), "{name}");
        let expected_fp = if fingerprints {
            fixture.fingerprint_file()
        } else {
            vec![]
        };
        assert_eq!(card.fingerprints.0, expected_fp, "{name}");
        match fixture.valid_until.as_str() {
            "长期" => assert_eq!(card.valid_until, ValidUntil::LongTerm),
            d => assert_eq!(
                card.valid_until,
                ValidUntil::Date(chrono::NaiveDate::parse_from_str(d, "%Y%m%d").unwrap())
            ),
        }
        r.sim.remove();
        // Drain the removal so the next card starts from Searching.
        let ev = r
            .reader
            .next_event(WAIT, &CancelToken::new())
            .unwrap()
            .unwrap();
        assert_eq!(ev, IdCardEvent::CardRemoved, "{name}");
    }
    let cmd = if fingerprints {
        [0x30, 0x10]
    } else {
        [0x30, 0x01]
    };
    assert!(r.sim.stats().requests.contains(&cmd));
    assert_eq!(r.reader.stats().resends, 0);
}

/// Takes the card away, waits until the reader has seen it go, and lays `name` down.
fn swap(r: &mut Rig, name: &str) {
    r.sim.remove();
    let ev = r.reader.next_event(WAIT, &CancelToken::new()).unwrap();
    assert_eq!(ev, Some(IdCardEvent::CardRemoved));
    r.sim.place(builtin(name).unwrap());
}

#[test]
fn card_kinds_and_details() {
    let mut r = rig();
    r.sim.place(builtin("ran-guangxiu").unwrap());
    let c = read(&mut r).unwrap();
    assert_eq!(c.kind, CardKind::Resident);
    assert_eq!(c.sex, Sex::Female);
    assert_eq!(c.nation.unwrap().name, "土家");
    assert_eq!(c.id_number().unwrap().region_code(), "500102");

    swap(&mut r, "hk-huang-zhiming");
    let c = read(&mut r).unwrap();
    assert_eq!(c.kind, CardKind::HkMacaoTaiwanResidence);
    assert_eq!(
        c.residence.unwrap().pass_number.as_unmasked_str(),
        "H01234567"
    );

    swap(&mut r, "foreign-maria");
    let c = read(&mut r).unwrap();
    assert_eq!(c.kind, CardKind::ForeignPermanentResident);
    assert_eq!(c.foreign.unwrap().nationality, "BRA");

    swap(&mut r, "expired-liu-guilan");
    let c = read(&mut r).unwrap();
    assert!(!c.is_valid_on(chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()));
}

#[test]
fn a_card_is_read_once_and_must_leave_first() {
    let mut r = rig();
    let cancel = CancelToken::new();
    r.sim.place(builtin("wang-defu").unwrap());
    assert_eq!(
        r.reader.next_event(WAIT, &cancel).unwrap(),
        Some(IdCardEvent::CardPresent)
    );
    assert!(matches!(
        r.reader.next_event(WAIT, &cancel).unwrap(),
        Some(IdCardEvent::CardRead(_))
    ));
    // The card stays: nothing happens, and it is not read again.
    assert_eq!(
        r.reader
            .next_event(Duration::from_millis(300), &cancel)
            .unwrap(),
        None
    );
    assert_eq!(r.sim.stats().reads, 1);
    r.sim.remove();
    assert_eq!(
        r.reader.next_event(WAIT, &cancel).unwrap(),
        Some(IdCardEvent::CardRemoved)
    );
    r.sim.place(builtin("wang-defu").unwrap());
    assert!(read(&mut r).is_ok());
    assert_eq!(r.sim.stats().reads, 2);
}

/// One-shot line faults on the read reply: the driver resends or resynchronises and reads the card.
#[rstest]
#[case::bad_checksum(Fault::BadChecksum, 1)]
#[case::truncated(Fault::Truncated, 1)]
#[case::noise(Fault::Noise(64), 0)]
#[case::slow_within_timeout(Fault::SlowReply(Duration::from_millis(200)), 0)]
#[case::slow_past_timeout(Fault::SlowReply(Duration::from_millis(900)), 1)]
fn line_faults_on_the_read_are_recovered(#[case] fault: Fault, #[case] resends: u64) {
    let mut r = rig();
    r.sim.inject_on([0x30, 0x01], fault);
    r.sim.place(builtin("chen-shufen").unwrap());
    let card = read(&mut r).unwrap();
    assert_eq!(card.number.as_unmasked_str(), "500102195805202427");
    assert_eq!(r.sim.pending_faults(), 0, "the fault was applied");
    let s = r.reader.stats();
    assert_eq!(s.resends, resends, "{s:?}");
    if let Fault::Noise(n) = fault {
        assert!(s.skipped_bytes >= n as u64, "{s:?}");
    }
    if fault == Fault::BadChecksum {
        assert_eq!(s.broken_frames, 1);
    }
}

/// The same faults while searching (find replies) are absorbed too.
#[rstest]
#[case(Fault::BadChecksum)]
#[case(Fault::Truncated)]
#[case(Fault::Noise(200))]
fn line_faults_while_searching(#[case] fault: Fault) {
    let mut r = rig();
    r.sim.place(builtin("tan-yonggui").unwrap());
    r.sim.inject_on([0x20, 0x01], fault);
    r.sim.inject_on([0x20, 0x02], fault);
    assert!(read(&mut r).is_ok());
    assert_eq!(r.sim.pending_faults(), 0);
}

#[test]
fn persistent_garbage_is_a_link_error_then_the_reader_recovers() {
    let mut r = rig();
    r.sim.place(builtin("wang-defu").unwrap());
    for _ in 0..3 {
        r.sim.inject_on([0x11, 0xFF], Fault::BadChecksum);
    }
    let e = read(&mut r).unwrap_err();
    assert!(
        matches!(e, IdCardError::Link(ref m) if m.contains("checksum")),
        "{e}"
    );
    assert!(!e.is_retry());
    assert!(read(&mut r).is_ok(), "recovers once the line is clean");
}

#[test]
fn no_sam_is_a_fault_not_a_retry() {
    let mut r = rig();
    r.sim.set_sam_ok(false);
    assert_eq!(r.reader.status().unwrap(), ReaderStatus::SamFault(0x60));
    r.sim.place(builtin("wang-defu").unwrap());
    let e = read(&mut r).unwrap_err();
    assert!(matches!(e, IdCardError::Sam { code: 0x60, .. }), "{e}");
    assert!(!e.is_retry());
    assert!(e.to_string().contains("power-cycle"), "{e}");
    r.sim.set_sam_ok(true);
    assert_eq!(r.reader.status().unwrap(), ReaderStatus::Ready);
    assert!(read(&mut r).is_ok());
}

#[test]
fn card_pulled_mid_read_is_a_retry() {
    let mut r = rig();
    let cancel = CancelToken::new();
    r.sim.inject_on([0x30, 0x01], Fault::PullCardMidRead);
    r.sim.place(builtin("ran-guangxiu").unwrap());
    let mut events = Vec::new();
    while events.len() < 2 {
        events.push(r.reader.next_event(WAIT, &cancel).unwrap().unwrap());
    }
    assert_eq!(
        events,
        vec![
            IdCardEvent::CardPresent,
            IdCardEvent::Retry(IdCardRetry::ReadFailed)
        ]
    );
    // The card is gone: nothing more until it comes back.
    assert_eq!(
        r.reader
            .next_event(Duration::from_millis(200), &cancel)
            .unwrap(),
        None
    );
    r.sim.place(builtin("ran-guangxiu").unwrap());
    assert!(read(&mut r).is_ok());
}

/// A card taken away and put down again while nobody polled is the same card to the reader
/// (it never saw it leave) until a new session rearms it.
#[test]
fn a_new_session_rearms_the_reader() {
    let mut r = rig();
    r.sim.place(builtin("chen-shufen").unwrap());
    read(&mut r).unwrap();
    r.sim.remove();
    r.sim.place(builtin("chen-shufen").unwrap());
    let again = r
        .reader
        .read_card(Duration::from_millis(300), &CancelToken::new());
    assert!(matches!(again, Err(IdCardError::Timeout(_))), "{again:?}");
    r.reader.rearm();
    let card = read(&mut r).unwrap();
    assert_eq!(card.number.as_unmasked_str(), "500102195805202427");
}

#[test]
fn read_card_times_out_cleanly_and_can_be_cancelled() {
    let mut r = rig();
    let t0 = Instant::now();
    let e = r
        .reader
        .read_card(Duration::from_millis(300), &CancelToken::new())
        .unwrap_err();
    assert_eq!(e, IdCardError::Timeout(Duration::from_millis(300)));
    assert!(e.is_retry());
    assert!(t0.elapsed() < Duration::from_secs(2));
    let cancel = CancelToken::new();
    cancel.cancel();
    assert_eq!(
        r.reader.read_card(WAIT, &cancel).unwrap_err(),
        IdCardError::Cancelled
    );
}

/// devices.md byte vectors, request and reply, through the pty with a raw port.
#[test]
fn wire_vectors_through_the_pty() {
    let guard = PTY.lock().unwrap_or_else(|p| p.into_inner());
    let sim = IdCardSim::spawn(IdCardSimConfig::default()).unwrap();
    let mut port = serialport::new(sim.path(), 115_200)
        .timeout(Duration::from_millis(300))
        .open()
        .unwrap();
    let mut exchange = |req: &[u8]| -> Vec<u8> {
        port.write_all(req).unwrap();
        let mut d = FrameDecoder::new();
        let mut raw = Vec::new();
        let mut buf = [0u8; 4096];
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(2) {
            let n = port.read(&mut buf).unwrap_or(0);
            raw.extend_from_slice(&buf[..n]);
            d.push(&buf[..n]);
            if let Some(Decoded::Frame(_)) = d.decode() {
                return raw;
            }
        }
        panic!("no reply to {req:02X?}");
    };
    let hex = |s: &str| -> Vec<u8> {
        s.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    };
    assert_eq!(
        exchange(&hex("AA AA AA 96 69 00 03 11 FF ED")),
        hex("AA AA AA 96 69 00 04 00 00 90 94")
    );
    assert_eq!(
        exchange(&hex("AA AA AA 96 69 00 03 20 01 22")),
        hex("AA AA AA 96 69 00 04 00 00 80 84")
    );
    assert_eq!(
        exchange(&hex("AA AA AA 96 69 00 03 20 02 21")),
        hex("AA AA AA 96 69 00 04 00 00 81 85")
    );
    sim.place(builtin("wang-defu").unwrap());
    assert_eq!(
        exchange(&Command::FindCard.encode()),
        hex("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")
    );
    assert_eq!(
        exchange(&Command::SelectCard.encode()),
        hex("AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C")
    );
    let read = exchange(&hex("AA AA AA 96 69 00 03 30 01 32"));
    assert_eq!(read.len(), 1295);
    assert_eq!(&read[5..14], &hex("05 08 00 00 90 01 00 04 00")[..]);
    let read_fp = exchange(&hex("AA AA AA 96 69 00 03 30 10 23"));
    assert_eq!(read_fp.len(), 2321, "two fingers");
    assert_eq!(
        &read_fp[5..16],
        &hex("09 0A 00 00 90 01 00 04 00 04 00")[..]
    );
    // A garbled request is answered "checksum error", an unknown one "command error".
    assert_eq!(
        exchange(&hex("AA AA AA 96 69 00 03 20 01 23")),
        hex("AA AA AA 96 69 00 04 00 00 10 14")
    );
    assert_eq!(
        exchange(&hex("AA AA AA 96 69 00 03 61 FF 9D")),
        hex("AA AA AA 96 69 00 04 00 00 21 25")
    );
    drop(sim);
    drop(guard);
}

#[test]
fn simulator_text_commands() {
    let r = rig();
    let sim = &r.sim;
    assert!(sim.command("place wang-defu").unwrap().contains("王**"));
    assert!(sim.command("fault noise 12 on read").is_ok());
    assert!(sim.command("fault slow 300").is_ok());
    assert!(sim.command("fault pull").is_ok());
    assert_eq!(sim.pending_faults(), 3);
    assert!(sim.command("fault melt").is_err());
    assert!(sim.command("fault checksum on nowhere").is_err());
    assert!(
        sim.command("place /nonexistent.toml")
            .unwrap_err()
            .contains("nonexistent")
    );
    assert!(sim.command("cards").unwrap().contains("foreign-maria"));
    assert!(sim.command("remove").is_ok());
}
