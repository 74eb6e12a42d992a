//! Shared by the sync tests: the real `jiuzhu-central` service started in-process on a loopback
//! port, a kiosk registered with it, and a fault-injecting HTTP/1.1 proxy that sits between the
//! kiosk and the real service (503s, slow answers, answers lost after the central service
//! committed). The proxy forwards real requests to the real service; it never answers a
//! successful request itself.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ed25519_dalek::SigningKey;
use jiuzhu_central::store::Township;
use jiuzhu_central::store::prelude::*;
use jiuzhu_central::{AppState, SqliteStore};
use jiuzhu_core::id::check_char;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const TOWNSHIP: &str = "500102001";

/// A running central service.
pub struct Central {
    pub addr: SocketAddr,
    pub store: Arc<dyn Store>,
    pub runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

impl Central {
    /// Starts the real service on 127.0.0.1:0 with one township and `kiosks` registered.
    pub fn start(kiosks: &[(&str, &SigningKey)]) -> Central {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("central.db")).unwrap();
        store
            .put_township(
                &Township {
                    code: TOWNSHIP.into(),
                    name: "涪陵区江东街道".into(),
                    hotline: "023-72222222".into(),
                    report_phone: "023-72333333".into(),
                    delegated: true,
                },
                "test",
            )
            .unwrap();
        for (id, key) in kiosks {
            store
                .add_kiosk(id, TOWNSHIP, key.verifying_key().as_bytes(), "test")
                .unwrap();
        }
        let store: Arc<dyn Store> = Arc::new(store);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let st = AppState::new(store.clone(), SigningKey::from_bytes(&[42; 32]));
        runtime.spawn(async move { jiuzhu_central::serve_on(listener, st).await });
        Central {
            addr,
            store,
            runtime,
            _dir: dir,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Number of certification results the central service recorded (read from its database).
    pub fn certification_count(&self) -> u64 {
        let db = rusqlite::Connection::open_with_flags(
            self._dir.path().join("central.db"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        db.query_row("SELECT count(*) FROM certifications", [], |r| r.get(0))
            .unwrap()
    }

    /// Number of staff sessions of `username` central holds (read from its database).
    pub fn sessions_of(&self, username: &str) -> i64 {
        let db = rusqlite::Connection::open_with_flags(
            self._dir.path().join("central.db"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        db.query_row(
            "SELECT count(*) FROM sessions WHERE username = ?1",
            [username],
            |r| r.get(0),
        )
        .unwrap()
    }

    /// Number of cases the central service holds for the township.
    pub fn case_count(&self) -> u64 {
        self.store
            .statistics(TOWNSHIP)
            .unwrap()
            .by_type
            .values()
            .sum()
    }
}

/// The `n`-th valid test identity number (distinct for n < 1000 × 365).
pub fn id_number(n: u32) -> String {
    let day =
        chrono::NaiveDate::from_ymd_opt(1950, 1, 1).unwrap() + chrono::Days::new((n / 1000) as u64);
    let first17 = format!("500102{}{:03}", day.format("%Y%m%d"), n % 1000);
    let b: [u8; 17] = first17.as_bytes().try_into().unwrap();
    format!("{first17}{}", check_char(&b))
}

/// A passed face certification of recipient `id` (`CertificationResult`).
pub fn certification(id: &str) -> Vec<u8> {
    format!(
        r#"{{"id_number":"{id}","mode":"self_check","modality":"face","liveness_passed":true,"matched":true,"score":0.71}}"#
    )
    .into_bytes()
}

/// A `SubmitApplication` body for applicant `n`.
pub fn application(n: u32) -> Vec<u8> {
    format!(
        r#"{{"township":"{TOWNSHIP}","assistance_type":"dibao","applicant":{{"id_number":"{}","name":"张秀英"}}}}"#,
        id_number(n)
    )
    .into_bytes()
}

pub fn kiosk_key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// Writes the kiosk identity files the way `enroll` does (0600 PEM key + id file).
pub fn write_identity(dir: &Path, id: &str, key: &SigningKey) -> std::path::PathBuf {
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    let kf = dir.join("kiosk.key");
    let pem = key.to_pkcs8_pem(Default::default()).unwrap();
    jiuzhu_kiosk::store::crypto::write_private_file(&kf, pem.as_bytes()).unwrap();
    jiuzhu_kiosk::store::crypto::write_private_file(
        &jiuzhu_kiosk::sync::client::id_file_for(&kf),
        id.as_bytes(),
    )
    .unwrap();
    kf
}

/// What the proxy does to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward and return the answer.
    Pass,
    /// Answer this status without forwarding.
    Status(u16),
    /// Forward, wait, then return the answer (the client times out first if the wait is longer).
    Slow(Duration),
    /// Forward (the central service commits), then close the connection without answering.
    DropAnswer,
}

/// A fault-injecting proxy in front of the real central service.
pub struct Proxy {
    pub addr: SocketAddr,
    script: Arc<Mutex<VecDeque<Fault>>>,
    pub requests: Arc<AtomicUsize>,
    in_flight: Arc<AtomicUsize>,
    pub max_in_flight: Arc<AtomicUsize>,
}

impl Proxy {
    pub fn start(rt: &tokio::runtime::Runtime, upstream: SocketAddr) -> Proxy {
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let p = Proxy {
            addr: listener.local_addr().unwrap(),
            script: Arc::default(),
            requests: Arc::default(),
            in_flight: Arc::default(),
            max_in_flight: Arc::default(),
        };
        let (script, requests, in_flight, max) = (
            p.script.clone(),
            p.requests.clone(),
            p.in_flight.clone(),
            p.max_in_flight.clone(),
        );
        rt.spawn(async move {
            loop {
                let Ok((conn, _)) = listener.accept().await else {
                    return;
                };
                let (script, requests, in_flight, max) = (
                    script.clone(),
                    requests.clone(),
                    in_flight.clone(),
                    max.clone(),
                );
                tokio::spawn(async move {
                    let _ = serve_conn(conn, upstream, script, requests, in_flight, max).await;
                });
            }
        });
        p
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Faults for the next requests, in order; then requests pass.
    pub fn script(&self, faults: &[Fault]) {
        self.script.lock().unwrap().extend(faults.iter().copied());
    }
}

async fn serve_conn(
    mut client: TcpStream,
    upstream: SocketAddr,
    script: Arc<Mutex<VecDeque<Fault>>>,
    requests: Arc<AtomicUsize>,
    in_flight: Arc<AtomicUsize>,
    max: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    loop {
        let Some(req) = read_message(&mut client, &mut buf).await? else {
            return Ok(());
        };
        requests.fetch_add(1, Ordering::SeqCst);
        let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        max.fetch_max(now, Ordering::SeqCst);
        let fault = script.lock().unwrap().pop_front().unwrap_or(Fault::Pass);
        let r = async {
            match fault {
                Fault::Status(code) => {
                    let body = format!(r#"{{"error":{{"code":"injected","reason":"proxy injected {code}"}}}}"#);
                    let head = format!(
                        "HTTP/1.1 {code} Injected\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                        body.len()
                    );
                    client.write_all(head.as_bytes()).await?;
                    client.write_all(body.as_bytes()).await?;
                    Ok(true)
                }
                Fault::Pass | Fault::Slow(_) | Fault::DropAnswer => {
                    let mut up = TcpStream::connect(upstream).await?;
                    up.write_all(&req).await?;
                    let mut ubuf = Vec::new();
                    let answer = read_message(&mut up, &mut ubuf)
                        .await?
                        .ok_or_else(|| std::io::Error::other("upstream closed"))?;
                    match fault {
                        Fault::DropAnswer => return Ok(false),
                        Fault::Slow(d) => tokio::time::sleep(d).await,
                        _ => {}
                    }
                    client.write_all(&answer).await?;
                    Ok(true)
                }
            }
        }
        .await;
        in_flight.fetch_sub(1, Ordering::SeqCst);
        match r {
            Ok(true) => {}
            Ok(false) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

/// Reads one HTTP/1.1 message with a Content-Length body (or none); `None` at a clean EOF.
async fn read_message(s: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<Option<Vec<u8>>> {
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            assert!(
                !head.contains("transfer-encoding: chunked"),
                "the test proxy handles Content-Length bodies only"
            );
            let len: usize = head
                .lines()
                .find_map(|l| {
                    l.strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            let total = end + 4 + len;
            while buf.len() < total {
                let n = s.read(&mut chunk).await?;
                if n == 0 {
                    return Err(std::io::Error::other("EOF inside a message"));
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let msg: Vec<u8> = buf.drain(..total).collect();
            return Ok(Some(msg));
        }
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(std::io::Error::other("EOF inside a head"))
            };
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Runs the Slint event loop (testing backend) until `done`, so the worker's results reach the
/// UI thread; panics naming `what` and the flow's step after `secs`.
pub fn pump_until(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        slint::invoke_from_event_loop(|| {
            let _ = slint::quit_event_loop();
        })
        .unwrap();
        slint::run_event_loop().unwrap();
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!(
        "timed out waiting for {what}; at {:?}",
        jiuzhu_kiosk::app::current_step()
    );
}

/// Re-runs this test binary's test `victim` as a child process with `env`, waits until it prints
/// `ready`, lets it work for a random time below `max_delay`, kills it with SIGKILL and returns the
/// lines it printed after `ready` (libtest's own lines come around the victim's).
pub fn run_and_kill(
    victim: &str,
    env: &[(&str, String)],
    max_delay: Duration,
    rng: &mut impl rand::Rng,
) -> Vec<String> {
    use std::io::BufRead;
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", victim, "--nocapture", "--test-threads=1"])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("victim started");
        if line.ends_with("ready") {
            break;
        }
    }
    let micros = u64::try_from(max_delay.as_micros()).unwrap_or(u64::MAX);
    std::thread::sleep(Duration::from_micros(rng.gen_range(0..micros.max(1))));
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "the victim was killed");
    reader.join().unwrap();
    rx.try_iter().collect()
}

/// Each of `targets` has an accessible label, is at least 80×80 and lies inside the 1920×1080
/// window; `what` names the screen in the failure.
pub fn assert_targets_fit(targets: &[i_slint_backend_testing::ElementHandle], what: &str) {
    for t in targets {
        let (s, p) = (t.size(), t.absolute_position());
        let label = t.accessible_label().unwrap_or_default();
        assert!(!label.is_empty(), "{what}: a target without a label");
        assert!(
            s.width >= 80.0 && s.height >= 80.0,
            "{what}: {label:?} is {}×{}",
            s.width,
            s.height
        );
        assert!(
            p.x >= 0.0 && p.y >= 0.0 && p.x + s.width <= 1920.5 && p.y + s.height <= 1080.5,
            "{what}: {label:?} at ({}, {}) {}×{} is off screen",
            p.x,
            p.y,
            s.width,
            s.height
        );
    }
}

/// Every touch target of the window: buttons and checkboxes, by accessible role.
pub fn actionable(w: &jiuzhu_kiosk::ui::MainWindow) -> Vec<i_slint_backend_testing::ElementHandle> {
    use i_slint_backend_testing::{AccessibleRole, ElementQuery};
    let mut all = ElementQuery::from_root(w)
        .match_descendants()
        .match_accessible_role(AccessibleRole::Button)
        .find_all();
    all.extend(
        ElementQuery::from_root(w)
            .match_descendants()
            .match_accessible_role(AccessibleRole::Checkbox)
            .find_all(),
    );
    all
}

/// A kiosk's link to the central service at `url`: identity `kiosk_id` with `key`, and a fresh
/// encrypted store, both in `dir`; requests time out after `timeout`.
pub fn kiosk_link(
    dir: &Path,
    kiosk_id: &str,
    key: &SigningKey,
    url: &str,
    timeout: Duration,
) -> Arc<jiuzhu_kiosk::services::CentralLink> {
    let key_file = write_identity(dir, kiosk_id, key);
    let store = jiuzhu_kiosk::store::Store::open(
        &dir.join("store"),
        &jiuzhu_kiosk::store::crypto::FileKeyProvider::new(dir.join("data.key")),
    )
    .unwrap();
    Arc::new(
        jiuzhu_kiosk::services::CentralLink::new(
            store,
            url,
            &key_file,
            timeout,
            jiuzhu_kiosk::sync::staleness::StalenessPolicy::from_config(24, 7),
            jiuzhu_kiosk::sync::system_clock(),
        )
        .unwrap(),
    )
}

/// The kiosk's window on `devices` (and the central link when given), 1920×1080, shown.
pub fn kiosk_window(
    config: &jiuzhu_kiosk::app::AppConfig,
    devices: jiuzhu_kiosk::app::Devices,
    central: Option<Arc<jiuzhu_kiosk::services::CentralLink>>,
) -> jiuzhu_kiosk::ui::MainWindow {
    use slint::ComponentHandle;
    let w = jiuzhu_kiosk::app::build_with_services(config, devices, central)
        .expect("the main window builds");
    w.window().set_size(slint::LogicalSize::new(1920.0, 1080.0));
    w.show().unwrap();
    w
}

/// The ESC/POS printer simulator on a pty (80 mm) and the real driver printing to it.
pub fn sim_printer() -> (
    jiuzhu_sim::printer::PrinterSim,
    Box<dyn jiuzhu_drivers_api::printer::ReceiptPrinter + Send>,
) {
    let printer = jiuzhu_sim::printer::PrinterSim::spawn_pty(576).unwrap();
    let jiuzhu_sim::printer::SimEndpoint::Pty(path) = printer.endpoint().clone() else {
        unreachable!("spawn_pty gives a pty")
    };
    let link = jiuzhu_printer::transport::PrinterAddress::Serial(path, 115_200)
        .open()
        .unwrap();
    let driver =
        jiuzhu_printer::EscPosPrinter::new(link, jiuzhu_drivers_api::printer::PaperWidth::Mm80);
    (printer, Box::new(driver))
}

/// The ID-card simulator on a pty and the real driver reading it.
pub fn sim_card() -> (
    jiuzhu_sim::idcard::IdCardSim,
    Box<dyn jiuzhu_drivers_api::idcard::IdCardReader + Send>,
) {
    let card = jiuzhu_sim::idcard::IdCardSim::spawn(Default::default()).unwrap();
    let reader =
        jiuzhu_idcard::open_serial(card.path(), jiuzhu_idcard::DEFAULT_BAUD, Default::default())
            .unwrap();
    (card, Box::new(reader))
}

/// Everything every part of this test process logs (debug level, every crate: kiosk and central
/// alike), kept for a search for personal data. `E2E_LOG_STDERR=1` also echoes it.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if std::env::var_os("E2E_LOG_STDERR").is_some() {
            eprint!("{}", String::from_utf8_lossy(buf));
        }
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// Installs the collector as this process's tracing subscriber.
    pub fn capture() -> Logs {
        let logs = Logs::default();
        let writer = logs.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        logs
    }

    /// What was logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).to_string()
    }

    /// Fails, quoting the lines, when anything logged contains one of `secrets` (names, ID
    /// numbers, birth dates).
    pub fn assert_free_of(&self, secrets: &[&str]) {
        let text = self.text();
        for secret in secrets {
            assert!(
                !text.contains(secret),
                "the logs contain {secret:?}:\n{}",
                text.lines()
                    .filter(|l| l.contains(secret))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
}

/// The fingerprint simulator and the real R30x driver on it, with finger `finger` enrolled
/// through the driver; returns the simulator, the reader and the enrolled template's bytes.
pub fn sim_finger_enrolled(
    finger: usize,
) -> (
    jiuzhu_sim::r30x::R30xSim,
    Box<dyn jiuzhu_drivers_api::fingerprint::FingerprintReader + Send>,
    Vec<u8>,
) {
    use jiuzhu_drivers_api::fingerprint::{CancelToken, CaptureKind, CaptureRequest};
    let (sim, mut reader) =
        jiuzhu_kiosk::services::sim_fingerprint().expect("`make fixtures` was run");
    sim.control().touches([Some(finger), None, Some(finger)]);
    let enrolled = reader
        .enroll(
            None,
            &CaptureRequest {
                timeout: Duration::from_secs(30),
                kind: CaptureKind::Template,
                cancel: CancelToken::new(),
            },
        )
        .expect("the simulator enrolls");
    sim.control().lift();
    (sim, reader, enrolled.template.bytes)
}

/// Enrolls a face reference for `id` at central from a registry photo (`obama.jpg`, …; the
/// simulated camera shows the man of `obama2.jpg`), through the kiosk's own enrolment.
pub fn enroll_face(central: &Central, id: &str, photo: &str) {
    let models = jiuzhu_vision::ModelPaths::locate();
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("face.json");
    jiuzhu_vision::cli::enroll(
        &models,
        &models
            .file(&format!("testdata/{photo}"))
            .expect("`make models` was run"),
        &template,
        jiuzhu_vision::FaceModel::FaceNet,
    )
    .unwrap();
    central
        .store
        .put_template(
            id,
            jiuzhu_core::api::Modality::Face,
            &std::fs::read(&template).unwrap(),
            "test",
        )
        .unwrap();
}

/// A card file for the ID-card simulator (`place PATH`) of a made-up person with number `id`.
pub fn card_file(dir: &std::path::Path, id: &str, name: &str) -> String {
    let path = dir.join(format!("{id}.toml"));
    std::fs::write(
        &path,
        format!(
            "kind = \"resident\"\nname = \"{name}\"\nsex = \"2\"\nnation = \"01\"\nbirth = \"{}\"\n\
             address = \"重庆市涪陵区江东街道1号\"\nnumber = \"{id}\"\nissuer = \"重庆市公安局涪陵区分局\"\n\
             valid_from = \"20200101\"\nvalid_until = \"20400101\"\nfingerprints = 0\n",
            &id[6..14]
        ),
    )
    .unwrap();
    path.display().to_string()
}

/// A township clerk logs in through the staff API and sends the one-time notice for `case`,
/// due on `deadline`, with `note` (what was unusable) if given.
pub fn notify_missing(
    central: &Central,
    case: &str,
    deadline: chrono::NaiveDate,
    note: Option<&str>,
) {
    let hash = jiuzhu_central::http::hash_password("clerk-pin-2026").unwrap();
    central
        .store
        .add_staff(
            &jiuzhu_central::store::Staff {
                username: "clerk-test".into(),
                role: jiuzhu_core::api::StaffRole::TownshipClerk,
                township: Some(TOWNSHIP.into()),
            },
            &hash,
            "test",
        )
        .unwrap();
    let mut action = serde_json::json!({"type": "notify_missing_materials", "deadline": deadline});
    if let Some(n) = note {
        action["note"] = n.into();
    }
    let http = reqwest::Client::new();
    let url = central.url();
    central.runtime.block_on(async {
        let login: serde_json::Value = http
            .post(format!("{url}/v1/staff/login"))
            .json(&serde_json::json!({"username": "clerk-test", "password": "clerk-pin-2026"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = login["token"].as_str().expect("logged in").to_string();
        let r = http
            .post(format!("{url}/v1/staff/cases/{case}/events"))
            .bearer_auth(token)
            .json(&serde_json::json!({ "action": action }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    });
}
