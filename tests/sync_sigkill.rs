//! Crash safety of enqueue + upload against the real central service: a victim process (this
//! test binary re-run with environment variables) loops "enqueue an application or a
//! certification result (alternately), report its id, drain the outbox to central" and is killed
//! with SIGKILL at a random moment, 200 times over the same store. Afterwards one clean drain
//! runs; every reported record must be at central exactly once (0 lost, 0 duplicated): one case
//! per application and one certification row per certification record.

mod common;

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Central, application, certification, kiosk_key, write_identity};
use jiuzhu_core::api::CaseSummary;
use jiuzhu_kiosk::store::Store;
use jiuzhu_kiosk::store::crypto::FileKeyProvider;
use jiuzhu_kiosk::store::outbox::OutboxKind;
use jiuzhu_kiosk::sync::client::{CentralClient, KioskIdentity};
use jiuzhu_kiosk::sync::plan::RetryPolicy;
use jiuzhu_kiosk::sync::{SyncEngine, system_clock};

const DIR_ENV: &str = "JIUZHU_SYNC_SIGKILL_DIR";
const URL_ENV: &str = "JIUZHU_SYNC_SIGKILL_URL";
const BASE_ENV: &str = "JIUZHU_SYNC_SIGKILL_BASE";
const ROUNDS: u32 = 200;
/// The recipient the certification records are for (GB 11643 valid, made up).
const RECIPIENT: &str = "500102195805202427";

fn engine(dir: &Path, url: &str) -> (SyncEngine, Arc<Mutex<Store>>) {
    let store = Store::open(
        &dir.join("store"),
        &FileKeyProvider::new(dir.join("data.key")),
    )
    .expect("open store");
    let store = Arc::new(Mutex::new(store));
    let client = CentralClient::new(
        url,
        KioskIdentity::load(&dir.join("kiosk.key")).unwrap(),
        Duration::from_secs(5),
    )
    .unwrap();
    let e = SyncEngine::new(store.clone(), client, system_clock())
        .with_retry(RetryPolicy {
            base: Duration::from_millis(1),
            max: Duration::from_millis(5),
        })
        .with_max_in_flight(4);
    (e, store)
}

/// The victim: only does something when started by `enqueue_and_upload_survive_sigkill`.
#[test]
fn sync_sigkill_victim() {
    let (Ok(dir), Ok(url), Ok(base)) = (
        std::env::var(DIR_ENV),
        std::env::var(URL_ENV),
        std::env::var(BASE_ENV),
    ) else {
        return;
    };
    let base: u32 = base.parse().unwrap();
    let (e, store) = engine(Path::new(&dir), &url);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let out = std::io::stdout();
    println!("ready");
    out.lock().flush().unwrap();
    for k in 0..999 {
        let now = chrono::Utc::now().timestamp_millis();
        let (kind, body) = if k % 2 == 0 {
            (OutboxKind::Application, application(base + k))
        } else {
            (OutboxKind::Certification, certification(RECIPIENT))
        };
        let id = store
            .lock()
            .unwrap()
            .enqueue(kind, &body, None, now)
            .unwrap();
        {
            let mut o = out.lock();
            writeln!(o, "committed {kind} {id}").unwrap();
            o.flush().unwrap();
        }
        rt.block_on(e.drain()).unwrap();
        let mut o = out.lock();
        writeln!(o, "drained").unwrap();
        o.flush().unwrap();
    }
}

#[test]
fn enqueue_and_upload_survive_sigkill() {
    let c = Central::start(&[("k1", &kiosk_key(1))]);
    let today = jiuzhu_core::id::today_in_china();
    c.store
        .put_recipient(
            &jiuzhu_central::store::Recipient {
                id_number: RECIPIENT.into(),
                name: "陈淑芬".into(),
                township: common::TOWNSHIP.into(),
                assistance_type: jiuzhu_core::api::AssistanceType::Dibao,
                household_size: 1,
                amount_fen: 61_000,
                since: today - chrono::Days::new(900),
                last_certified_on: None,
            },
            "test",
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_identity(dir.path(), "k1", &kiosk_key(1));
    let mut reported: HashSet<(String, String)> = HashSet::new();
    let mut rng = rand::thread_rng();
    let mut killed_during_upload = 0;
    for round in 0..ROUNDS {
        let lines = common::run_and_kill(
            "sync_sigkill_victim",
            &[
                (DIR_ENV, dir.path().to_string_lossy().into_owned()),
                (URL_ENV, c.url()),
                (BASE_ENV, (round * 1000).to_string()),
            ],
            Duration::from_millis(80),
            &mut rng,
        );
        if lines.last().is_some_and(|l| l.starts_with("committed ")) {
            killed_during_upload += 1;
        }
        for rest in lines.iter().filter_map(|l| l.strip_prefix("committed ")) {
            let (kind, id) = rest.split_once(' ').expect("committed KIND ID");
            assert!(
                reported.insert((kind.to_string(), id.to_string())),
                "round {round}: id reported twice"
            );
        }
    }
    // One clean drain delivers what the kills interrupted.
    let (e, store) = engine(dir.path(), &c.url());
    for _ in 0..20 {
        c.runtime.block_on(e.drain()).unwrap();
        if store.lock().unwrap().pending().unwrap().is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let s = store.lock().unwrap();
    let counts = s.counts().unwrap();
    assert_eq!(
        (counts.pending, counts.failed),
        (0, 0),
        "{:?}",
        s.failed().unwrap()
    );
    let mut cases = HashSet::new();
    let mut lost = 0;
    for (kind, id) in &reported {
        match s.acknowledgement(id.parse().unwrap()).unwrap() {
            Some(a) if kind == "application" => {
                let case: CaseSummary = serde_json::from_slice(&a).unwrap();
                assert!(
                    cases.insert(case.case_id),
                    "two records acknowledged with one case"
                );
            }
            Some(a) => {
                let r: jiuzhu_core::api::CertificationRecorded =
                    serde_json::from_slice(&a).unwrap();
                assert!(r.certified, "{r:?}");
            }
            None => lost += 1,
        }
    }
    assert_eq!(lost, 0, "committed records lost");
    // Every certification record in the outbox (reported or durable before the kill hit the
    // report) is one certification row at central, never two.
    let certs_in_outbox = s.counts_of(OutboxKind::Certification).unwrap().acknowledged;
    assert_eq!(
        c.certification_count(),
        certs_in_outbox,
        "central holds exactly one certification per outbox record (0 duplicated)"
    );
    let at_central = c.case_count();
    eprintln!(
        "{ROUNDS} SIGKILLs ({killed_during_upload} while a drain was running): {} records reported \
         committed, {} in the outbox (the rest were durable when the kill hit before the report), \
         {at_central} cases and {certs_in_outbox} certifications at central",
        reported.len(),
        counts.acknowledged
    );
    assert_eq!(
        at_central + certs_in_outbox,
        counts.acknowledged,
        "central holds exactly one case per application record (0 duplicated)"
    );
    assert!(
        certs_in_outbox >= u64::from(ROUNDS) / 8,
        "{certs_in_outbox} certifications"
    );
    // The kills must have exercised both enqueue and upload.
    assert!(counts.acknowledged >= u64::from(ROUNDS) / 4, "{counts:?}");
    assert!(
        killed_during_upload >= 10,
        "only {killed_during_upload} kills hit an upload"
    );
    assert!(s.verify_audit().unwrap().is_ok());
}
