//! Card placement → parsed identity, through the pty simulator, against the wire time of the bytes
//! a read needs (find + select + read, request and reply, 10 bits a byte).
//!
//! The driver polls inside `read_card` while another thread lays the card down at a random moment,
//! as a resident would; the latency runs from the simulator's `place` to the parsed card.
//! Run: `cargo bench -p jiuzhu-idcard --bench placement` (add `-- --quick` for 10 rounds).

use std::time::{Duration, Instant};

use jiuzhu_drivers_api::fingerprint::CancelToken;
use jiuzhu_drivers_api::idcard::{IdCardEvent, IdCardReader};
use jiuzhu_idcard::proto::Command;
use jiuzhu_idcard::{ReaderConfig, open_serial};
use jiuzhu_sim::idcard::{IdCardSim, IdCardSimConfig, builtin};

struct Case {
    label: &'static str,
    pace: Option<u32>,
    poll: Duration,
    fingerprints: bool,
}

fn wire_bytes(fingerprints: bool) -> usize {
    let req = Command::FindCard.encode().len();
    let read_reply = if fingerprints { 2321 } else { 1295 };
    (req + 15) + (req + 19) + (req + read_reply)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn run(case: &Case, rounds: usize) {
    let sim = IdCardSim::spawn(IdCardSimConfig {
        pace_baud: case.pace,
        card_read_time: Duration::ZERO,
    })
    .expect("simulator");
    let mut reader = open_serial(
        sim.path(),
        115_200,
        ReaderConfig {
            poll_interval: case.poll,
            read_fingerprints: case.fingerprints,
            ..ReaderConfig::default()
        },
    )
    .expect("pty");
    let card = builtin("wang-defu").expect("fixture");
    let cancel = CancelToken::new();
    let mut lat = Vec::with_capacity(rounds);
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut extra_bytes = 0u64;
    for _ in 0..rounds {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let delay = Duration::from_micros(5_000 + rng % 45_000);
        std::thread::scope(|s| {
            let sim = &sim;
            let card = card.clone();
            s.spawn(move || {
                std::thread::sleep(delay);
                sim.reset_stats();
                sim.place(card);
            });
            let c = reader
                .read_card(Duration::from_secs(5), &cancel)
                .expect("card read");
            let done = Instant::now();
            assert_eq!(c.number.as_unmasked_str(), "500102194110020032");
            lat.push(done - sim.placed_at().expect("placed"));
        });
        let st = sim.stats();
        extra_bytes += st.bytes_in + st.bytes_out;
        sim.remove();
        loop {
            match reader.next_event(Duration::from_secs(5), &cancel) {
                Ok(Some(IdCardEvent::CardRemoved)) => break,
                Ok(_) => {}
                Err(e) => panic!("{e}"),
            }
        }
    }
    lat.sort();
    let bytes = wire_bytes(case.fingerprints);
    let wire = Duration::from_secs_f64(bytes as f64 * 10.0 / 115_200.0);
    let mean = lat.iter().sum::<Duration>() / lat.len() as u32;
    let med = percentile(&lat, 0.5);
    println!(
        "| {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.3}× | {:.0} |",
        case.label,
        bytes,
        wire.as_secs_f64() * 1e3,
        mean.as_secs_f64() * 1e3,
        med.as_secs_f64() * 1e3,
        percentile(&lat, 0.95).as_secs_f64() * 1e3,
        lat.last().unwrap().as_secs_f64() * 1e3,
        med.as_secs_f64() / wire.as_secs_f64(),
        extra_bytes as f64 / rounds as f64,
    );
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 10 } else { 60 };
    let cases = [
        Case {
            label: "paced 115200, poll 10 ms (default)",
            pace: Some(115_200),
            poll: Duration::from_millis(10),
            fingerprints: false,
        },
        Case {
            label: "paced 115200, poll 20 ms",
            pace: Some(115_200),
            poll: Duration::from_millis(20),
            fingerprints: false,
        },
        Case {
            label: "paced 115200, poll back-to-back",
            pace: Some(115_200),
            poll: Duration::ZERO,
            fingerprints: false,
        },
        Case {
            label: "paced 115200, +2 fingers (30 10), poll 10 ms",
            pace: Some(115_200),
            poll: Duration::from_millis(10),
            fingerprints: true,
        },
        Case {
            label: "unpaced pty, poll back-to-back",
            pace: None,
            poll: Duration::ZERO,
            fingerprints: false,
        },
    ];
    println!("rounds per case: {rounds}");
    println!(
        "| case | wire bytes | wire ms | mean ms | median ms | p95 ms | max ms | median / wire | bytes seen per read |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for c in &cases {
        run(c, rounds);
    }
}
