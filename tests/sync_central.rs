//! The sync engine against the real `jiuzhu-central` on loopback: happy path with dependent
//! records, central down, injected 5xx, slow answers and timeouts, answers lost after the central
//! service committed (duplicate acknowledgements), permanent errors, bounded concurrency, and the
//! offline status cache.

mod common;

use std::sync::atomic::AtomicI64;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Central, Fault, Proxy, application, id_number, kiosk_key, write_identity};
use jiuzhu_core::api::CaseSummary;
use jiuzhu_core::id::IdNumber;
use jiuzhu_kiosk::store::Store;
use jiuzhu_kiosk::store::crypto::FileKeyProvider;
use jiuzhu_kiosk::store::outbox::OutboxKind;
use jiuzhu_kiosk::sync::client::{CentralClient, KioskIdentity};
use jiuzhu_kiosk::sync::plan::RetryPolicy;
use jiuzhu_kiosk::sync::{Clock, SyncEngine};

struct Kiosk {
    _dir: tempfile::TempDir,
    store: Arc<Mutex<Store>>,
    now: Arc<AtomicI64>,
    engine: SyncEngine,
}

fn kiosk(url: &str, timeout: Duration, max_in_flight: usize) -> Kiosk {
    let dir = tempfile::tempdir().unwrap();
    let kf = write_identity(dir.path(), "k1", &kiosk_key(1));
    let store = Store::open(
        &dir.path().join("store"),
        &FileKeyProvider::new(dir.path().join("data.key")),
    )
    .unwrap();
    let store = Arc::new(Mutex::new(store));
    let now = Arc::new(AtomicI64::new(1_000_000));
    let n2 = now.clone();
    let clock: Clock = Arc::new(move || n2.load(Ordering::SeqCst));
    let client = CentralClient::new(url, KioskIdentity::load(&kf).unwrap(), timeout).unwrap();
    let engine = SyncEngine::new(store.clone(), client, clock)
        .with_retry(RetryPolicy {
            base: Duration::from_secs(2),
            max: Duration::from_secs(60),
        })
        .with_max_in_flight(max_in_flight);
    Kiosk {
        _dir: dir,
        store,
        now,
        engine,
    }
}

impl Kiosk {
    fn advance(&self, ms: i64) {
        self.now.fetch_add(ms, Ordering::SeqCst);
    }
    fn enqueue(&self, kind: OutboxKind, body: &[u8], dep: Option<uuid::Uuid>) -> uuid::Uuid {
        let now = self.now.load(Ordering::SeqCst);
        self.store
            .lock()
            .unwrap()
            .enqueue(kind, body, dep, now)
            .unwrap()
    }
}

#[test]
fn records_reach_central_in_order_and_are_purged() {
    let c = Central::start(&[("k1", &kiosk_key(1))]);
    let k = kiosk(&c.url(), Duration::from_secs(5), 4);
    let app = k.enqueue(OutboxKind::Application, &application(1), None);
    let sig = k.enqueue(
        OutboxKind::Signature,
        format!(
            r#"{{"signer":{{"id_number":"{}","name":"张秀英"}},"method":"id_card_face"}}"#,
            id_number(1)
        )
        .as_bytes(),
        Some(app),
    );
    let mat = {
        let now = k.now.load(Ordering::SeqCst);
        // A minimal valid PNG (1×1), the kind of scan the document camera produces.
        let img = image::RgbImage::from_pixel(1, 1, image::Rgb([200, 200, 200]));
        let mut bytes = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(
                &mut std::io::Cursor::new(&mut bytes),
                image::ImageFormat::Png,
            )
            .unwrap();
        k.store
            .lock()
            .unwrap()
            .enqueue_material(app, "image/png", &bytes, now)
            .unwrap()
    };
    let r = c.runtime.block_on(k.engine.drain()).unwrap();
    assert_eq!(
        (r.acknowledged, r.retried, r.failed),
        (3, 0, 0),
        "{:?}",
        k.store.lock().unwrap().failed().unwrap()
    );
    assert_eq!(c.case_count(), 1);
    let s = k.store.lock().unwrap();
    let ack: CaseSummary =
        serde_json::from_slice(&s.acknowledgement(app).unwrap().unwrap()).unwrap();
    let summary = c.store.case_summary(&ack.case_id).unwrap().unwrap();
    assert_eq!(summary.materials, 1);
    assert!(
        !s.material_present(mat).unwrap(),
        "material purged after acknowledgement"
    );
    assert!(s.acknowledgement(sig).unwrap().is_some());
    assert_eq!(s.counts().unwrap().pending, 0);
    assert!(s.last_contact().unwrap().is_some());
}

#[test]
fn central_down_then_back() {
    // A port nobody listens on: bind, note the port, close.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dead = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap()
        .local_addr()
        .unwrap();
    let k = kiosk(&format!("http://{dead}"), Duration::from_secs(2), 4);
    let id = k.enqueue(OutboxKind::Application, &application(2), None);
    k.enqueue(OutboxKind::Application, &application(3), None);
    let r = rt.block_on(k.engine.drain()).unwrap();
    assert_eq!(r.acknowledged, 0);
    assert!(r.retried >= 1, "{r:?}");
    {
        let s = k.store.lock().unwrap();
        let p = s.pending().unwrap();
        assert_eq!(p.len(), 2, "nothing lost while central is down");
        assert_eq!(p[0].id, id);
        assert_eq!(p[0].attempts, 1);
        assert!(
            p[0].next_attempt_at >= 1_000_000 + 1_000,
            "backoff scheduled: {}",
            p[0].next_attempt_at
        );
        assert_eq!(
            s.last_contact().unwrap(),
            None,
            "a refused connection is not contact"
        );
    }
    // Not due yet: a second drain sends nothing.
    assert_eq!(rt.block_on(k.engine.drain()).unwrap().retried, 0);
    drop(rt);
}

#[test]
fn injected_5xx_timeouts_and_lost_answers_give_exactly_one_case_each() {
    let c = Central::start(&[("k1", &kiosk_key(1))]);
    let proxy = Proxy::start(&c.runtime, c.addr);
    let k = kiosk(&proxy.url(), Duration::from_millis(700), 1);
    let ids: Vec<_> = (10..14)
        .map(|n| k.enqueue(OutboxKind::Application, &application(n), None))
        .collect();
    // Record 0: 503 then 500; record 1: answer lost after central committed; record 2: slower
    // than the kiosk's timeout (central committed); record 3: passes.
    let e = &k.engine;
    proxy.script(&[Fault::Status(503)]);
    let r = c.runtime.block_on(e.drain()).unwrap();
    assert_eq!((r.acknowledged, r.retried), (3, 1), "first pass: {r:?}");
    proxy.script(&[Fault::Status(500)]);
    k.advance(120_000);
    let r = c.runtime.block_on(e.drain()).unwrap();
    assert_eq!((r.acknowledged, r.retried), (0, 1), "second pass: {r:?}");
    proxy.script(&[Fault::DropAnswer]);
    k.advance(120_000);
    let r = c.runtime.block_on(e.drain()).unwrap();
    assert_eq!((r.acknowledged, r.retried), (0, 1), "lost answer: {r:?}");
    assert_eq!(
        c.case_count(),
        4,
        "central committed the one whose answer was lost"
    );
    proxy.script(&[Fault::Slow(Duration::from_millis(1500))]);
    k.advance(120_000);
    let r = c.runtime.block_on(e.drain()).unwrap();
    assert_eq!((r.acknowledged, r.retried), (0, 1), "timeout: {r:?}");
    k.advance(120_000);
    let r = c.runtime.block_on(e.drain()).unwrap();
    assert_eq!((r.acknowledged, r.retried), (1, 0), "finally: {r:?}");
    assert_eq!(
        c.case_count(),
        4,
        "retries of a committed record are answered, not duplicated"
    );
    let s = k.store.lock().unwrap();
    assert_eq!(s.counts().unwrap().acknowledged, 4);
    let cases: std::collections::HashSet<String> = ids
        .iter()
        .map(|id| {
            serde_json::from_slice::<CaseSummary>(&s.acknowledgement(*id).unwrap().unwrap())
                .unwrap()
                .case_id
        })
        .collect();
    assert_eq!(cases.len(), 4);
    let p = s.failed().unwrap();
    assert!(p.is_empty());
}

#[test]
fn permanent_errors_are_shown_to_staff_and_not_retried() {
    let c = Central::start(&[("k1", &kiosk_key(1))]);
    let k = kiosk(&c.url(), Duration::from_secs(5), 4);
    // The agent cannot be the applicant: central answers 422.
    let bad = format!(
        r#"{{"township":"500102001","assistance_type":"dibao","applicant":{{"id_number":"{0}","name":"张秀英"}},"agent":{{"id_number":"{0}","name":"张秀英"}}}}"#,
        id_number(20)
    );
    let bad_id = k.enqueue(OutboxKind::Application, bad.as_bytes(), None);
    let child = k.enqueue(
        OutboxKind::Signature,
        format!(
            r#"{{"signer":{{"id_number":"{}","name":"张秀英"}},"method":"id_card_face"}}"#,
            id_number(20)
        )
        .as_bytes(),
        Some(bad_id),
    );
    let good = k.enqueue(OutboxKind::Application, &application(21), None);
    let r = c.runtime.block_on(k.engine.drain()).unwrap();
    assert_eq!((r.acknowledged, r.failed), (1, 2), "{r:?}");
    let s = k.store.lock().unwrap();
    let failed = s.failed().unwrap();
    assert_eq!(
        failed.iter().map(|f| f.id).collect::<Vec<_>>(),
        vec![bad_id, child]
    );
    assert!(failed[0].error.contains("422"), "{}", failed[0].error);
    assert!(
        failed[1].error.contains("application"),
        "{}",
        failed[1].error
    );
    assert!(s.acknowledgement(good).unwrap().is_some());
    drop(s);
    k.advance(10 * 86_400_000);
    let r = c.runtime.block_on(k.engine.drain()).unwrap();
    assert_eq!(
        (r.acknowledged, r.retried, r.failed),
        (0, 0, 0),
        "never retried: {r:?}"
    );
    assert_eq!(c.case_count(), 1);
}

#[test]
fn an_unregistered_kiosk_is_refused_permanently() {
    let c = Central::start(&[("k1", &kiosk_key(9))]); // registered with another key
    let k = kiosk(&c.url(), Duration::from_secs(5), 4);
    k.enqueue(OutboxKind::Application, &application(30), None);
    let r = c.runtime.block_on(k.engine.drain()).unwrap();
    assert_eq!(r.failed, 1);
    let f = k.store.lock().unwrap().failed().unwrap();
    assert!(
        f[0].error.contains("401") && f[0].error.contains("bad_signature"),
        "{}",
        f[0].error
    );
    assert_eq!(c.case_count(), 0);
}

#[test]
fn concurrency_is_bounded() {
    let c = Central::start(&[("k1", &kiosk_key(1))]);
    let proxy = Proxy::start(&c.runtime, c.addr);
    // Slow answers keep requests open long enough to overlap.
    proxy.script(&[Fault::Slow(Duration::from_millis(30)); 24]);
    let k = kiosk(&proxy.url(), Duration::from_secs(5), 3);
    for n in 40..64 {
        k.enqueue(OutboxKind::Application, &application(n), None);
    }
    let r = c.runtime.block_on(k.engine.drain()).unwrap();
    assert_eq!(r.acknowledged, 24);
    let max = proxy.max_in_flight.load(Ordering::SeqCst);
    assert!((2..=3).contains(&max), "max in flight {max}");
    assert_eq!(c.case_count(), 24);
}

#[test]
fn status_query_works_offline_from_the_cache() {
    let c = Central::start(&[("k1", &kiosk_key(1))]);
    let proxy = Proxy::start(&c.runtime, c.addr);
    let k = kiosk(&proxy.url(), Duration::from_secs(5), 4);
    k.enqueue(OutboxKind::Application, &application(50), None);
    c.runtime.block_on(k.engine.drain()).unwrap();
    let who = IdNumber::parse(&id_number(50)).unwrap();
    let online = c
        .runtime
        .block_on(k.engine.query_status(&who))
        .unwrap()
        .unwrap();
    assert!(!online.from_cache);
    assert_eq!(online.answer.cases.len(), 1);
    assert!(!online.answer.cases[0].hotline.is_empty());
    let fetched = online.last_updated;
    k.advance(3_600_000);
    proxy.script(&[Fault::Status(503)]);
    let offline = c
        .runtime
        .block_on(k.engine.query_status(&who))
        .unwrap()
        .unwrap();
    assert!(offline.from_cache);
    assert_eq!(
        offline.last_updated, fetched,
        "shows when it was last updated"
    );
    assert_eq!(offline.answer, online.answer);
    proxy.script(&[Fault::Status(503)]);
    let stranger = IdNumber::parse(&id_number(51)).unwrap();
    assert!(
        c.runtime
            .block_on(k.engine.query_status(&stranger))
            .unwrap()
            .is_none()
    );
}

#[test]
fn certifications_freeze_after_days_offline_and_thaw_after_contact() {
    use jiuzhu_kiosk::sync::staleness::{Freshness, StalenessPolicy};
    let c = Central::start(&[("k1", &kiosk_key(1))]);
    let proxy = Proxy::start(&c.runtime, c.addr);
    let k = kiosk(&proxy.url(), Duration::from_secs(5), 4);
    let policy = StalenessPolicy::from_config(24, 7);
    let day = 86_400_000;
    let created = k.store.lock().unwrap().created_at().unwrap();
    let at =
        |ms: i64| jiuzhu_kiosk::sync::freshness(&k.store.lock().unwrap(), &policy, ms).unwrap();
    assert_eq!(at(created + 1000), Freshness::Fresh);
    assert!(
        matches!(at(created + 2 * day), Freshness::Warn { .. }),
        "never synced: counts from creation"
    );
    let frozen = at(created + 8 * day);
    let msg = frozen.allow_certification(&policy).unwrap_err().to_string();
    assert!(msg.contains("8 天") && msg.contains("limit 7"), "{msg}");
    // Central answers: contact recorded at the kiosk's clock.
    k.now.store(created + 8 * day, Ordering::SeqCst);
    k.enqueue(OutboxKind::Application, &application(60), None);
    assert_eq!(
        c.runtime.block_on(k.engine.drain()).unwrap().acknowledged,
        1
    );
    assert_eq!(at(created + 8 * day + 1000), Freshness::Fresh);
    assert!(
        at(created + 8 * day + 1000)
            .allow_certification(&policy)
            .is_ok()
    );
    // Central down for 30 hours: warned, certifications still allowed.
    proxy.script(&[Fault::Status(503)]);
    k.now
        .store(created + 8 * day + 30 * 3_600_000, Ordering::SeqCst);
    k.enqueue(OutboxKind::Application, &application(61), None);
    c.runtime.block_on(k.engine.drain()).unwrap();
    let f = at(created + 8 * day + 30 * 3_600_000);
    assert!(
        matches!(f, Freshness::Warn { .. }),
        "{f:?}: only a successful answer counts as contact"
    );
    assert!(f.staff_warning().unwrap().contains("30"));
}

/// 签署授权 offline: a member signs at another kiosk for an application submitted elsewhere;
/// central is unreachable, so the handwriting and the signature wait in that kiosk's outbox
/// (naming the case) and reach the case once central answers again — exactly once.
#[test]
fn a_late_signature_waits_offline_and_reaches_its_case_once() {
    let c = Central::start(&[("k1", &kiosk_key(1)), ("k2", &kiosk_key(2))]);
    // Kiosk 1 submits the application (the applicant has not signed).
    let d1 = tempfile::tempdir().unwrap();
    let k1 = common::kiosk_link(
        d1.path(),
        "k1",
        &kiosk_key(1),
        &format!("http://{}", c.addr),
        Duration::from_secs(5),
    );
    let app = k1
        .store()
        .lock()
        .unwrap()
        .enqueue(OutboxKind::Application, &application(70), None, 1)
        .unwrap();
    c.runtime.block_on(k1.engine().drain()).unwrap();
    let ack = k1.store().lock().unwrap().acknowledgement(app).unwrap();
    let ack: serde_json::Value = serde_json::from_slice(&ack.expect("acknowledged")).unwrap();
    let case_id = ack["case_id"].as_str().unwrap().to_string();

    // Kiosk 2, behind a proxy: the applicant finds the case waiting for her.
    let proxy = Proxy::start(&c.runtime, c.addr);
    let d2 = tempfile::tempdir().unwrap();
    let k2 = common::kiosk_link(
        d2.path(),
        "k2",
        &kiosk_key(2),
        &proxy.url(),
        Duration::from_secs(2),
    );
    let who = IdNumber::parse(&id_number(70)).unwrap();
    let waiting = c.runtime.block_on(k2.pending_signatures(&who)).unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].case_id, case_id);

    // Central unreachable while she signs: saved, not lost.
    proxy.script(&[Fault::Status(503); 2]);
    let sig = jiuzhu_core::api::SignAuthorization {
        signer: jiuzhu_core::api::PersonRef {
            id_number: who.clone(),
            name: jiuzhu_core::id::PersonName::new("张秀英").unwrap(),
        },
        method: jiuzhu_core::api::SignerIdentification::IdCardFingerprint,
        handwriting_sha256: None,
        mark: Default::default(),
        witness: None,
    };
    let png = b"\x89PNG\r\n\x1a\n handwriting".to_vec();
    let recorded = c
        .runtime
        .block_on(k2.sign_case(&case_id, &sig, &png, Duration::from_secs(3)))
        .unwrap();
    assert!(!recorded, "central did not answer: the signature waits");
    assert_eq!(k2.store().lock().unwrap().counts().unwrap().pending, 2);
    let unsigned = |c: &Central| {
        c.store
            .case(&case_id)
            .unwrap()
            .unwrap()
            .awaiting_signature(jiuzhu_core::id::today_in_china())
            .len()
    };
    assert_eq!(unsigned(&c), 1);
    // Back online: the background drain delivers both (backoff on the real clock: ≤ 4 s).
    for _ in 0..100 {
        c.runtime.block_on(k2.engine().drain()).unwrap();
        if k2.store().lock().unwrap().counts().unwrap().pending == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let counts = k2.store().lock().unwrap().counts().unwrap();
    assert_eq!(
        (counts.pending, counts.failed, counts.acknowledged),
        (0, 0, 2)
    );
    assert_eq!(unsigned(&c), 0, "her signature is on the case");
    assert!(
        c.runtime
            .block_on(k2.pending_signatures(&who))
            .unwrap()
            .is_empty()
    );
}
