//! Fleet benchmark (issue #21): N simulated kiosks, each signing with its own registered key,
//! against real `jiuzhu-central serve` processes — one instance on SQLite, one and two instances
//! on one PostgreSQL — behind the same round-robin TCP balancer (`tests/support/fleet.rs`).
//! Each kiosk repeats a resident's mix: status reads (half of all requests), certification
//! results with idempotency keys (three in ten), and applications each followed by one material
//! (a 150 kB document photo). Every request must succeed; throughput and latency percentiles are
//! printed per configuration and per kind of request.
//!
//! A fourth run, `pg2-kill`, is the two-instance one with the first instance killed (SIGKILL)
//! halfway: the kiosks retry into the survivor, and afterwards the database holds exactly the
//! applications and certifications the kiosks were told of — none lost, none twice.
//!
//! `cargo bench -p jiuzhu-central --bench fleet` (env: `BENCH_SECS`, default 20;
//! `BENCH_KIOSKS`, default 32; `BENCH_ONLY=sqlite|pg1|pg2|pg2-kill`).

#[path = "../tests/support/fleet.rs"]
mod fleet;
#[path = "../tests/support/pg.rs"]
mod pg;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use jiuzhu_central::SqliteStore;
use jiuzhu_central::client::Conn;
use jiuzhu_central::crypto_at_rest::KeysDir;
use jiuzhu_central::store::pg::PgStore;

const BIN: &str = env!("CARGO_BIN_EXE_jiuzhu-central");
/// Recipients each kiosk may certify (each once).
const RECIPIENTS_PER_KIOSK: usize = 250;
/// The mix, repeated: s = status read, c = certification result, a = application + material.
const MIX: &[u8] = b"scsascsasc";

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1e3
}

struct Run {
    requests: usize,
    /// Server errors (5xx) the kiosks retried.
    server_errors: u32,
    failures: Vec<String>,
    secs: f64,
    by_kind: BTreeMap<&'static str, Vec<Duration>>,
}

async fn drive(lb: std::net::SocketAddr, kiosks: usize, secs: u64) -> Run {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for k in 0..kiosks {
        tasks.push(tokio::spawn(async move {
            let kiosk = fleet::kiosk(k);
            let mut conn = Conn::new(lb);
            let mut lat: Vec<(&'static str, Duration)> = Vec::new();
            let mut failures = Vec::new();
            let mut server_errors = 0u32;
            let (mut certified, mut applied, mut i) = (0usize, 0usize, 0usize);
            while Instant::now() < deadline {
                let op = MIX[i % MIX.len()];
                i += 1;
                let op = if op == b'c' && certified == RECIPIENTS_PER_KIOSK {
                    b's'
                } else {
                    op
                };
                let patience = Duration::from_secs(30);
                let mut one =
                    |kind: &'static str, r: Result<fleet::Outcome, String>, ok: &[u16]| match r {
                        Ok(o) if ok.contains(&o.reply.status) => {
                            server_errors += o.server_errors;
                            lat.push((kind, o.latency));
                            Some(o)
                        }
                        Ok(o) => {
                            failures.push(format!("{kind}: {} {}", o.reply.status, o.reply.json()));
                            None
                        }
                        Err(e) => {
                            failures.push(format!("{kind}: {e}"));
                            None
                        }
                    };
                match op {
                    b's' => {
                        // a recipient of this kiosk's, certified or not yet
                        let n = k * RECIPIENTS_PER_KIOSK + (i * 7) % RECIPIENTS_PER_KIOSK;
                        let body =
                            serde_json::json!({"id_number": fleet::recipient_id(n)}).to_string();
                        let r = fleet::call(
                            &mut conn,
                            &kiosk,
                            "POST",
                            "/v1/kiosk/certification/status",
                            body.as_bytes(),
                            &[],
                            patience,
                        )
                        .await;
                        one("status read", r, &[200]);
                    }
                    b'c' => {
                        let n = k * RECIPIENTS_PER_KIOSK + certified;
                        certified += 1;
                        let r = fleet::call(
                            &mut conn,
                            &kiosk,
                            "POST",
                            "/v1/kiosk/certification/results",
                            &fleet::certification(n),
                            &[("idempotency-key", format!("bench-cert-{n:07}"))],
                            patience,
                        )
                        .await;
                        one("certification", r, &[200, 201]);
                    }
                    _ => {
                        let n = k * 100_000 + applied;
                        applied += 1;
                        let r = fleet::call(
                            &mut conn,
                            &kiosk,
                            "POST",
                            "/v1/kiosk/applications",
                            &fleet::application(n),
                            &[("idempotency-key", format!("bench-app-{n:07}"))],
                            patience,
                        )
                        .await;
                        let Some(o) = one("application", r, &[200, 201]) else {
                            continue;
                        };
                        let case = o.reply.json()["case_id"].as_str().unwrap_or("").to_string();
                        let r = fleet::call(
                            &mut conn,
                            &kiosk,
                            "POST",
                            &format!("/v1/kiosk/applications/{case}/materials"),
                            &fleet::material(n, 150_000),
                            &[("content-type", "image/png".into())],
                            patience,
                        )
                        .await;
                        one("material 150 kB", r, &[200, 201]);
                    }
                }
            }
            (lat, failures, server_errors)
        }));
    }
    let mut run = Run {
        requests: 0,
        server_errors: 0,
        failures: Vec::new(),
        secs: 0.0,
        by_kind: BTreeMap::new(),
    };
    for t in tasks {
        let (lat, failures, server_errors) = t.await.unwrap();
        run.server_errors += server_errors;
        run.requests += lat.len() + failures.len();
        run.failures.extend(failures);
        for (kind, d) in lat {
            run.by_kind.entry(kind).or_default().push(d);
        }
    }
    run.secs = t0.elapsed().as_secs_f64();
    for v in run.by_kind.values_mut() {
        v.sort();
    }
    run
}

fn main() {
    let secs = env_num("BENCH_SECS", 20) as u64;
    let kiosks = env_num("BENCH_KIOSKS", 32);
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "fleet: {kiosks} kiosks, {secs} s per configuration, mix {} (s status read, c certification, a application + 150 kB material); {} cores",
        String::from_utf8_lossy(MIX),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut cluster = None;
    for (name, instances) in [("sqlite", 1), ("pg1", 1), ("pg2", 2), ("pg2-kill", 2)] {
        if !only.is_empty() && only != name {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let keys_dir = dir.path().join("keys");
        let keys = KeysDir::at(keys_dir.clone()).load().unwrap();
        let t = Instant::now();
        let mut pg_url = None;
        let db_args: Vec<String> = if name == "sqlite" {
            let path = dir.path().join("central.db");
            let store = SqliteStore::open_with_keys(&path, &keys).unwrap();
            fleet::seed(&store, kiosks, kiosks * RECIPIENTS_PER_KIOSK);
            vec!["--db".into(), path.display().to_string()]
        } else {
            let c = cluster.get_or_insert_with(pg::Cluster::start);
            let url = c.new_database();
            pg_url = Some(url.clone());
            let store = PgStore::connect(&url, &keys, 4).unwrap();
            fleet::seed(&store, kiosks, kiosks * RECIPIENTS_PER_KIOSK);
            vec![
                "--db-url-file".into(),
                fleet::write_url_file(dir.path(), &url)
                    .display()
                    .to_string(),
            ]
        };
        let seeded = t.elapsed();
        let args: Vec<&str> = db_args.iter().map(String::as_str).collect();
        let mut servers: Vec<fleet::Instance> = (0..instances)
            .map(|_| fleet::Instance::start(BIN, &args, &keys_dir))
            .collect();
        let counts = |url: &Option<String>| {
            url.as_ref().map(|u| {
                let mut c = postgres::Client::connect(u, postgres::NoTls).unwrap();
                let mut n = |sql: &str| -> i64 { c.query_one(sql, &[]).unwrap().get(0) };
                (
                    n("SELECT count(*) FROM cases"),
                    n("SELECT count(*) FROM certifications"),
                )
            })
        };
        let before = counts(&pg_url);
        let run = rt.block_on(async {
            let lb = fleet::balancer(servers.iter().map(|s| s.addr).collect()).await;
            let killer = (name == "pg2-kill").then(|| {
                let mut doomed = servers.remove(0);
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_secs(secs / 2)).await;
                    doomed.kill();
                })
            });
            let run = drive(lb, kiosks, secs).await;
            if let Some(k) = killer {
                k.await.unwrap();
            }
            run
        });
        drop(servers);
        let all: Vec<Duration> = {
            let mut v: Vec<Duration> = run.by_kind.values().flatten().copied().collect();
            v.sort();
            v
        };
        println!(
            "{name:<6} {instances} instance(s): {:>7.1} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  ({} requests, {} failed; seeded in {seeded:.1?})",
            all.len() as f64 / run.secs,
            pct(&all, 0.5),
            pct(&all, 0.99),
            run.requests,
            run.failures.len()
        );
        for (kind, v) in &run.by_kind {
            println!(
                "         {kind:<16} {:>6} requests  p50 {:>7.2} ms  p99 {:>7.2} ms",
                v.len(),
                pct(v, 0.5),
                pct(v, 0.99)
            );
        }
        let acknowledged = |kind: &str| run.by_kind.get(kind).map_or(0, Vec::len) as i64;
        if let (Some(b), Some(a)) = (before, counts(&pg_url)) {
            let stored = (a.0 - b.0, a.1 - b.1);
            println!(
                "         stored: {} applications, {} certifications; acknowledged to the kiosks: {}, {}",
                stored.0,
                stored.1,
                acknowledged("application"),
                acknowledged("certification")
            );
            assert_eq!(
                stored,
                (acknowledged("application"), acknowledged("certification")),
                "{name}: lost or duplicated"
            );
        }
        if run.server_errors > 0 {
            println!(
                "         {} answer(s) 5xx, each retried by its kiosk (as the outbox does) and then answered",
                run.server_errors
            );
        }
        for f in run.failures.iter().take(5) {
            println!("         FAILED {f}");
        }
        assert!(run.failures.is_empty(), "{name}: requests failed");
    }
}
