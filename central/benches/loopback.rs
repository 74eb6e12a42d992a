//! Loopback benchmark: signed status reads and signed submissions against a real server on
//! port 0 with a real SQLite file. Prints throughput and p50/p99 latency.
//!
//! `cargo bench -p jiuzhu-central --bench loopback` (optional env: `BENCH_SECS`, `BENCH_CLIENTS`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use jiuzhu_central::client::{Conn, KioskSigner};
use jiuzhu_central::seed::{self, DEMO_TOWNSHIP, demo_id};
use jiuzhu_central::store::prelude::*;
use jiuzhu_central::{AppState, SqliteStore};
use serde_json::json;

/// A distinct applicant per (client, request): one case per person, as in life.
fn applicant(client: usize, n: u64) -> String {
    let birth = chrono::NaiveDate::from_ymd_opt(1950, 1, 1).unwrap()
        + chrono::Days::new(client as u64 * 2000 + n / 900);
    demo_id(&birth.format("%Y%m%d").to_string(), (n % 900) as u16 + 100)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn run(
    name: &str,
    addr: std::net::SocketAddr,
    kiosk: KioskSigner,
    clients: usize,
    secs: u64,
    submit: bool,
) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let kiosk = kiosk.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(addr);
            let mut lat = Vec::new();
            let mut n = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                let r = if submit {
                    let body = json!({
                        "township": DEMO_TOWNSHIP,
                        "assistance_type": "dibao",
                        "applicant": {"id_number": applicant(c, n), "name": "张三"},
                    })
                    .to_string();
                    let key = format!("bench-{c}-{n:012}");
                    conn.signed(
                        &kiosk,
                        "POST",
                        "/v1/kiosk/applications",
                        body.as_bytes(),
                        &[("idempotency-key", key)],
                    )
                    .await
                } else {
                    let body = json!({"id_number": applicant(0, n % 50)}).to_string();
                    conn.signed(&kiosk, "POST", "/v1/kiosk/status", body.as_bytes(), &[])
                        .await
                };
                let r = r.expect("request failed");
                assert!(
                    r.status == 200 || r.status == 201,
                    "{}: {:?}",
                    r.status,
                    r.json()
                );
                lat.push(t.elapsed());
                n += 1;
            }
            lat
        }));
    }
    let start = Instant::now();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let elapsed = start.elapsed().as_secs_f64().max(secs as f64);
    all.sort();
    println!(
        "{name:<12} {:>8.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  ({} requests, {clients} clients, {secs} s)",
        all.len() as f64 / elapsed,
        pct(&all, 0.50).as_secs_f64() * 1e3,
        pct(&all, 0.99).as_secs_f64() * 1e3,
        all.len()
    );
}

fn main() {
    let secs: u64 = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let clients: usize = std::env::var("BENCH_CLIENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(&dir.path().join("bench.db")).unwrap());
        let hash = |p: &str| jiuzhu_central::http::hash_password(p).unwrap();
        seed::seed_demo(store.as_ref(), jiuzhu_core::id::today_in_china(), &hash).unwrap();
        let key = SigningKey::from_bytes(&[9; 32]);
        store
            .add_kiosk(
                "bench",
                DEMO_TOWNSHIP,
                key.verifying_key().as_bytes(),
                "bench",
            )
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(jiuzhu_central::serve_on(
            listener,
            AppState::new(store.clone(), SigningKey::from_bytes(&[8; 32])),
        ));
        let kiosk = KioskSigner {
            id: "bench".into(),
            key,
        };
        // Submissions first, so the status reads find cases (one per person).
        run("submissions", addr, kiosk.clone(), clients, secs, true).await;
        run("status reads", addr, kiosk, clients, secs, false).await;
    });
}
