//! 1:1 verify through the R30x simulator at 57600 baud, against the time its bytes need on the
//! wire (10 bits per byte). Run: `cargo bench -p jiuzhu-sim --bench r30x_verify`.

use std::time::{Duration, Instant};

use jiuzhu_drivers_api::fingerprint::{
    CancelToken, CaptureKind, CaptureRequest, FingerprintReader,
};
use jiuzhu_fingerprint::fixtures::{load_afis, r30x_view};
use jiuzhu_fingerprint::r30x::proto::{self, Command, DEFAULT_ADDRESS, Packet, Pid};
use jiuzhu_fingerprint::r30x::{R30x, R30xConfig};
use jiuzhu_fingerprint::transport::open_serial;
use jiuzhu_sim::r30x::{R30xSim, R30xSimConfig, SimFinger};

fn wire_bytes_of_verify(packet_size: usize) -> usize {
    let cmd = |c: Command| Packet::command(DEFAULT_ADDRESS, c.content()).encode().len();
    let ack = |n: usize| {
        Packet {
            address: DEFAULT_ADDRESS,
            pid: Pid::Ack,
            content: vec![0; n],
        }
        .encode()
        .len()
    };
    let data: usize = proto::data_packets(DEFAULT_ADDRESS, &[0; 512], packet_size)
        .iter()
        .map(|p| p.encode().len())
        .sum();
    cmd(Command::DownChar { buffer: 2 })
        + ack(1)
        + data
        + cmd(Command::GenImg)
        + ack(1)
        + cmd(Command::Img2Tz { buffer: 1 })
        + ack(1)
        + cmd(Command::Match)
        + ack(3)
}

fn main() {
    let fingers: Vec<SimFinger> = ["p1_1", "p1_2"]
        .iter()
        .map(|n| SimFinger {
            name: n.to_string(),
            image: r30x_view(&load_afis(n).unwrap_or_else(|e| panic!("{e}"))),
        })
        .collect();
    let baud = 57_600u32;
    let sim = R30xSim::spawn(R30xSimConfig::default(), fingers).expect("simulator");
    let mut drv = R30x::new(
        open_serial(sim.path(), baud).expect("pty"),
        R30xConfig::default(),
    );
    let ctl = sim.control();
    let req = CaptureRequest {
        timeout: Duration::from_secs(5),
        kind: CaptureKind::Template,
        cancel: CancelToken::new(),
    };
    ctl.touches([Some(0), None, Some(0)]);
    let reference = drv.enroll(None, &req).expect("enroll").template;
    ctl.place(1);
    let packet_size = drv.sys_para().expect("opened").packet_size();
    let bytes = wire_bytes_of_verify(packet_size);
    let wire = Duration::from_secs_f64(bytes as f64 * 10.0 / f64::from(baud));

    let runs = 30;
    let mut times = Vec::with_capacity(runs);
    let mut score = 0;
    drv.verify(&reference, &req).expect("warm-up");
    for _ in 0..runs {
        let t = Instant::now();
        let v = drv.verify(&reference, &req).expect("verify");
        times.push(t.elapsed());
        assert!(v.matched);
        score = v.score;
    }
    times.sort();
    let mean = times.iter().sum::<Duration>() / runs as u32;
    let median = times[runs / 2];
    println!("r30x 1:1 verify @ {baud} baud, packet size {packet_size}, genuine score {score}");
    println!(
        "  wire bytes {bytes} → wire time {:.1} ms",
        wire.as_secs_f64() * 1e3
    );
    println!(
        "  measured over {runs} runs: mean {:.1} ms, median {:.1} ms, min {:.1} ms, max {:.1} ms",
        mean.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[runs - 1].as_secs_f64() * 1e3
    );
    println!(
        "  ratio mean/wire {:.3}, median/wire {:.3} (goal ≤ 1.10)",
        mean.as_secs_f64() / wire.as_secs_f64(),
        median.as_secs_f64() / wire.as_secs_f64()
    );
}
