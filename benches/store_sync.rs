//! Store and sync benchmark: durable enqueue latency (p50/p99, each enqueue committed with
//! `synchronous=FULL` in WAL mode, i.e. fsync'd before it returns) on a real file in a temp
//! directory, and drain throughput to the real `jiuzhu-central` on loopback (signed requests,
//! idempotency keys, acknowledgement + purge committed per record). Run:
//! `cargo bench -p jiuzhu-kiosk --bench store_sync`. Results go into docs/store-sync.md.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use jiuzhu_central::store::Township;
use jiuzhu_central::store::prelude::*;
use jiuzhu_central::{AppState, SqliteStore, Store as CentralStore};
use jiuzhu_kiosk::sync::client::{CentralClient, KioskIdentity};
use jiuzhu_kiosk::sync::{SyncEngine, system_clock};

use jiuzhu_kiosk::store::Store;
use jiuzhu_kiosk::store::crypto::FileKeyProvider;
use jiuzhu_kiosk::store::outbox::OutboxKind;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    let n: usize = std::env::var("JIUZHU_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let dir = std::env::var("JIUZHU_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir());
    let tmp = tempfile::tempdir_in(&dir).expect("temp dir");
    let keys = FileKeyProvider::new(tmp.path().join("data.key"));
    let mut store = Store::open(tmp.path(), &keys).expect("open store");
    // A realistic application payload: applicant, agent, three members.
    let payload = r#"{"township":"500102001","assistance_type":"dibao","applicant":{"id_number":"11010519491231002X","name":"张秀英"},"agent":{"id_number":"500102198001010015","name":"李明"},"members":[{"person":{"id_number":"500102197501010011","name":"王芳"},"relation":"spouse"},{"person":{"id_number":"500102200001010019","name":"王强"},"relation":"child"},{"person":{"id_number":"500102195001010016","name":"王建国"},"relation":"obligated"}],"close_relative_declared":false}"#.as_bytes();
    let mut lat = Vec::with_capacity(n);
    let t0 = Instant::now();
    for i in 0..n {
        let t = Instant::now();
        store
            .enqueue(OutboxKind::Application, payload, None, i as i64)
            .expect("enqueue");
        lat.push(t.elapsed());
    }
    let total = t0.elapsed();
    lat.sort();
    println!(
        "durable enqueue ({} B payload, {n} records, dir {}): p50 {:?}  p99 {:?}  max {:?}  ({:.0} records/s)",
        payload.len(),
        dir.display(),
        percentile(&lat, 0.50),
        percentile(&lat, 0.99),
        lat[lat.len() - 1],
        n as f64 / total.as_secs_f64()
    );
    drop(store);
    for in_flight in [1usize, 4, 8] {
        drain_bench(&dir, n.min(1000), in_flight);
    }
}

fn id_number(n: u32) -> String {
    let first17 = format!("50010219500101{:03}", n % 1000);
    let b: [u8; 17] = first17.as_bytes().try_into().unwrap();
    format!("{first17}{}", jiuzhu_core::id::check_char(&b))
}

fn drain_bench(dir: &std::path::Path, n: usize, in_flight: usize) {
    let tmp = tempfile::tempdir_in(dir).expect("temp dir");
    let central = SqliteStore::open(&tmp.path().join("central.db")).expect("central db");
    central
        .put_township(
            &Township {
                code: "500102001".into(),
                name: "涪陵区江东街道".into(),
                hotline: "023-72222222".into(),
                report_phone: "023-72333333".into(),
                delegated: true,
            },
            "bench",
        )
        .unwrap();
    let key = SigningKey::from_bytes(&[1; 32]);
    central
        .add_kiosk(
            "bench",
            "500102001",
            key.verifying_key().as_bytes(),
            "bench",
        )
        .unwrap();
    let central: Arc<dyn CentralStore> = Arc::new(central);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(jiuzhu_central::serve_on(
        listener,
        AppState::new(central.clone(), SigningKey::from_bytes(&[42; 32])),
    ));
    let keys = FileKeyProvider::new(tmp.path().join("data.key"));
    let mut store = Store::open(&tmp.path().join("kiosk"), &keys).unwrap();
    for i in 0..n {
        let body = format!(
            r#"{{"township":"500102001","assistance_type":"dibao","applicant":{{"id_number":"{}","name":"张秀英"}}}}"#,
            id_number(i as u32)
        );
        store
            .enqueue(OutboxKind::Application, body.as_bytes(), None, 0)
            .unwrap();
    }
    let store = Arc::new(Mutex::new(store));
    let client = CentralClient::new(
        &format!("http://{addr}"),
        KioskIdentity::new("bench", key),
        Duration::from_secs(10),
    )
    .unwrap();
    let engine =
        SyncEngine::new(store.clone(), client, system_clock()).with_max_in_flight(in_flight);
    let t = Instant::now();
    let r = rt.block_on(engine.drain()).unwrap();
    let el = t.elapsed();
    assert_eq!(r.acknowledged as usize, n, "{r:?}");
    println!(
        "drain to jiuzhu-central on loopback, {in_flight} in flight: {n} applications in {:?} = {:.0} records/s",
        el,
        n as f64 / el.as_secs_f64()
    );
}
