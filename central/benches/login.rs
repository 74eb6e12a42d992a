//! Staff-login benchmark on loopback (issue #17 item 4): the latency of a wrong password for an
//! existing account against an unknown account (they must be alike: no username enumeration by
//! timing), and the process's resident memory before and after 150 parallel logins (the argon2
//! runs are bounded, so the flood must not grow memory by GiB).
//!
//! `cargo bench -p jiuzhu-central --bench login` (optional env: `BENCH_ROUNDS`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use jiuzhu_central::client::Conn;
use jiuzhu_central::login_guard::{LoginGuard, LoginPolicy};
use jiuzhu_central::{AppState, SqliteStore, seed};
use serde_json::json;

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

async fn login(c: &mut Conn, user: &str, pw: &str) -> u16 {
    c.send(
        "POST",
        "/v1/staff/login",
        &[("content-type", "application/json".into())],
        json!({"username": user, "password": pw})
            .to_string()
            .as_bytes(),
    )
    .await
    .map(|r| r.status)
    .unwrap_or(0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("central.db")).unwrap());
    let hash = |p: &str| jiuzhu_central::http::hash_password(p).unwrap();
    seed::seed_demo(store.as_ref(), jiuzhu_core::id::today_in_china(), &hash).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // no back-off here: every attempt reaches the password check, as the first few of an
    // attacker's do
    let policy = LoginPolicy {
        account_free: u32::MAX,
        address_free: u32::MAX,
        ..LoginPolicy::default()
    };
    let permits = policy.concurrent_hashes;
    let st = AppState::new(store, ed25519_dalek::SigningKey::from_bytes(&[7; 32]))
        .with_login_guard(LoginGuard::new(policy));
    tokio::spawn(jiuzhu_central::serve_on(listener, st));

    let mut c = Conn::new(addr);
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..rounds {
        for (user, out) in [("clerk", &mut known), ("no-such-user", &mut unknown)] {
            let t = Instant::now();
            let s = login(&mut c, user, &format!("wrong-password-{i}")).await;
            out.push(t.elapsed());
            assert_eq!(s, 401);
        }
    }
    println!(
        "wrong password, existing account: median {:.1} ms; unknown account: median {:.1} ms ({rounds} each)",
        median(known).as_secs_f64() * 1e3,
        median(unknown).as_secs_f64() * 1e3
    );

    let before = rss_kib("VmRSS:");
    let t = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..150 {
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::new(addr);
            login(&mut c, &format!("user{}", i % 9), "flood-password-1").await
        }));
    }
    let mut by_status = std::collections::BTreeMap::new();
    for t in tasks {
        *by_status.entry(t.await.unwrap()).or_insert(0) += 1;
    }
    println!(
        "150 parallel logins in {:.2} s, answers {by_status:?}; RSS {} MiB before, {} MiB after, peak {} MiB (argon2 runs at once ≤ {permits})",
        t.elapsed().as_secs_f64(),
        before / 1024,
        rss_kib("VmRSS:") / 1024,
        rss_kib("VmHWM:") / 1024,
    );
}
