//! A fleet of kiosks against real central instances (issue #21): each instance is the
//! `jiuzhu-central serve` binary in its own process, on one database; a TCP load balancer in
//! front of them hands every new connection to the next instance that accepts it, as the
//! city's balancer would; each simulated kiosk signs its requests with its own registered key and
//! retries what failed in transit with the same idempotency key and a fresh nonce, as the kiosk's
//! outbox does (`src/sync`). Shared by the fail-over test (`tests/fleet.rs`) and the fleet
//! benchmark (`benches/fleet.rs`).

#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use ed25519_dalek::SigningKey;
use jiuzhu_central::client::{Conn, KioskSigner, Reply};
use jiuzhu_central::seed::{self, DEMO_TOWNSHIP, demo_id};
use jiuzhu_central::store::{Recipient, Store};
use jiuzhu_core::api::AssistanceType;

/// One `jiuzhu-central serve` process.
pub struct Instance {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Instance {
    /// Starts `bin serve` on a free loopback port with `db` (`--db …` arguments) and the keys
    /// directory `keys`; waits until it listens.
    pub fn start(bin: &str, db: &[&str], keys: &Path) -> Instance {
        let mut child = Command::new(bin)
            .arg("--keys-dir")
            .arg(keys)
            .arg("serve")
            .args(db)
            .args(["--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
        let out = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(out).lines();
            if let Some(Ok(l)) = lines.next() {
                let _ = tx.send(l);
            }
            // keep reading so the instance never blocks on a full pipe
            for _ in lines {}
        });
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("{bin} serve did not say where it listens within 60 s"));
        let addr = line
            .rsplit("//")
            .next()
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        Instance { child, addr }
    }

    /// Kills the process at once (SIGKILL: no graceful shutdown, requests in flight are cut).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the process still runs.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A round-robin TCP balancer on loopback: each new connection goes to the next backend that
/// accepts it within 1 s (a dead one is skipped), bytes copied both ways until either side closes.
pub async fn balancer(backends: Vec<SocketAddr>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else {
                continue;
            };
            let backends = backends.clone();
            let next = next.clone();
            tokio::spawn(async move {
                let start = next.fetch_add(1, Ordering::Relaxed);
                for i in 0..backends.len() {
                    let b = backends[(start + i) % backends.len()];
                    let Ok(Ok(mut out)) = tokio::time::timeout(
                        Duration::from_secs(1),
                        tokio::net::TcpStream::connect(b),
                    )
                    .await
                    else {
                        continue;
                    };
                    let _ = out.set_nodelay(true);
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    return;
                }
            });
        }
    });
    addr
}

/// The signing key of fleet kiosk `i`.
pub fn kiosk(i: usize) -> KioskSigner {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
    seed[8] = 0xf1;
    KioskSigner {
        id: format!("fleet-{i:03}"),
        key: SigningKey::from_bytes(&seed),
    }
}

/// A recipient due for certification, number `n` (distinct identity numbers).
pub fn recipient_id(n: usize) -> String {
    let birth = NaiveDate::from_ymd_opt(1935, 1, 1).unwrap() + Days::new((n / 800) as u64);
    demo_id(&birth.format("%Y%m%d").to_string(), (n % 800) as u16 + 100)
}

/// An applicant, number `n`, distinct from every recipient.
pub fn applicant_id(n: usize) -> String {
    let birth = NaiveDate::from_ymd_opt(1955, 1, 1).unwrap() + Days::new((n / 800) as u64);
    demo_id(&birth.format("%Y%m%d").to_string(), (n % 800) as u16 + 100)
}

/// Seeds the demo data, `kiosks` fleet kiosks of the demo township and `recipients` recipients
/// due for certification.
pub fn seed(store: &dyn Store, kiosks: usize, recipients: usize) {
    let today = jiuzhu_core::id::today_in_china();
    // a cheap hash: the fleet never logs staff in
    let hash = |p: &str| format!("unused-{p}");
    seed::seed_demo(store, today, &hash).unwrap();
    for i in 0..kiosks {
        let k = kiosk(i);
        store
            .add_kiosk(
                &k.id,
                DEMO_TOWNSHIP,
                k.key.verifying_key().as_bytes(),
                "fleet",
            )
            .unwrap();
    }
    for n in 0..recipients {
        store
            .put_recipient(
                &Recipient {
                    id_number: recipient_id(n),
                    name: "张秀兰".into(),
                    township: DEMO_TOWNSHIP.into(),
                    assistance_type: AssistanceType::Dibao,
                    household_size: 1,
                    amount_fen: 62_000,
                    since: today - Days::new(900),
                    last_certified_on: None,
                },
                "fleet",
            )
            .unwrap();
    }
}

/// What a fleet call came to.
pub struct Outcome {
    /// The final answer.
    pub reply: Reply,
    /// Attempts it took (1 when nothing failed in transit).
    pub attempts: u32,
    /// Server errors (5xx) answered before the final answer, each retried.
    pub server_errors: u32,
    /// From the first attempt to the answer.
    pub latency: Duration,
}

/// Sends a signed request through `conn`, retrying what the kiosk's outbox retries (no answer,
/// a server error 5xx, 408 / 425 / 429, 409 `in_progress`; `src/sync/client.rs`
/// `SyncError::is_permanent`) with a fresh nonce and the same headers (idempotency key) until
/// `patience` has passed; the last answer or error.
pub async fn call(
    conn: &mut Conn,
    kiosk: &KioskSigner,
    method: &str,
    path: &str,
    body: &[u8],
    headers: &[(&str, String)],
    patience: Duration,
) -> Result<Outcome, String> {
    let t0 = Instant::now();
    let (mut attempts, mut server_errors) = (0, 0);
    loop {
        attempts += 1;
        let r = conn.signed(kiosk, method, path, body, headers).await;
        let transient = |reply: &Reply| {
            reply.status >= 500
                || matches!(reply.status, 408 | 425 | 429)
                || (reply.status == 409 && reply.error_code() == "in_progress")
        };
        if let Ok(reply) = &r
            && reply.status >= 500
        {
            server_errors += 1;
        }
        match r {
            Ok(reply) if !transient(&reply) => {
                return Ok(Outcome {
                    reply,
                    attempts,
                    server_errors,
                    latency: t0.elapsed(),
                });
            }
            other => {
                if t0.elapsed() > patience {
                    return Err(match other {
                        Ok(reply) => {
                            format!("{path}: still {} after {attempts} attempts", reply.status)
                        }
                        Err(e) => format!("{path}: {e} after {attempts} attempts"),
                    });
                }
                tokio::time::sleep(Duration::from_millis(20 * u64::from(attempts.min(10)))).await;
            }
        }
    }
}

/// An application of applicant `n` (the kiosk's township, 低保, the applicant alone).
pub fn application(n: usize) -> Vec<u8> {
    serde_json::json!({
        "township": DEMO_TOWNSHIP,
        "assistance_type": "dibao",
        "applicant": {"id_number": applicant_id(n), "name": "李桂兰"},
    })
    .to_string()
    .into_bytes()
}

/// A certification result: recipient `n` passed the face check and matched.
pub fn certification(n: usize) -> Vec<u8> {
    serde_json::json!({
        "id_number": recipient_id(n),
        "mode": "self_check",
        "modality": "face",
        "liveness_passed": true,
        "matched": true,
        "score": 0.74,
    })
    .to_string()
    .into_bytes()
}

/// A material as a document camera sends it: a PNG of `bytes` bytes, its content distinct per
/// `n` (materials are stored by content: the same bytes twice are stored once).
pub fn material(n: usize, bytes: usize) -> Vec<u8> {
    let mut m = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    m.extend_from_slice(&(n as u64).to_le_bytes());
    m.resize(bytes.max(m.len()), 0x5a);
    m
}

/// Sends a signed request to `addr` on a connection of its own and returns the connection
/// without reading the answer: the caller drops it when the answer should be lost.
pub async fn send_unanswered(
    addr: SocketAddr,
    kiosk: &KioskSigner,
    path: &str,
    body: &[u8],
    extra: &[(&str, String)],
) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt as _;
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in jiuzhu_central::client::signed_headers(kiosk, "POST", path, body, extra) {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    s
}

/// Writes the connection string to `dir/central-db.url`, readable by its owner only, as
/// `--db-url-file` wants it; the path.
pub fn write_url_file(dir: &Path, url: &str) -> std::path::PathBuf {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let p = dir.join("central-db.url");
    let mut f = std::fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(0o600)
        .open(&p)
        .unwrap();
    writeln!(f, "{url}").unwrap();
    p
}
