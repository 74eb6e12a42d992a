//! Several instances, one database (issue #21): two `jiuzhu-central serve` processes on one
//! PostgreSQL behind a round-robin balancer. First an answer is lost in transit: one instance
//! stores an application and the kiosk never hears; its retry with the same key on the other
//! instance is answered from the kept reply (200, the same case). Then kiosks send a burst of signed applications and
//! certification results, each with its idempotency key, and one instance is killed (SIGKILL)
//! a third of the way through. The kiosks retry what failed in transit, as their outboxes do, and
//! the balancer hands the retries to the survivor. Afterwards every application is stored exactly
//! once, as the case its kiosk was told of, every recipient certified exactly once, and the audit
//! chain — written by both instances — verifies.

#[path = "support/fleet.rs"]
mod fleet;
#[path = "support/pg.rs"]
mod pg;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use jiuzhu_central::client::Conn;
use jiuzhu_central::crypto_at_rest::KeysDir;
use jiuzhu_central::store::pg::PgStore;
use jiuzhu_central::store::prelude::*;

const BIN: &str = env!("CARGO_BIN_EXE_jiuzhu-central");
const KIOSKS: usize = 8;
/// Applications and certification results per kiosk (half each).
const PER_KIOSK: usize = 24;

#[derive(Debug)]
enum Sent {
    Application { n: usize, case_id: String },
    Certification { n: usize },
}

#[test]
fn killing_an_instance_mid_burst_loses_and_duplicates_nothing() {
    let cluster = pg::shared();
    let url = cluster.new_database();
    let dir = tempfile::tempdir().unwrap();
    let keys_dir = dir.path().join("keys");
    let keys = KeysDir::at(keys_dir.clone()).load().unwrap();
    let recipients = KIOSKS * PER_KIOSK / 2;
    {
        let store = PgStore::connect(&url, &keys, 2).unwrap();
        fleet::seed(&store, KIOSKS, recipients);
    }
    let url_file = fleet::write_url_file(dir.path(), &url);
    let db = ["--db-url-file", url_file.to_str().unwrap()];
    let doomed = fleet::Instance::start(BIN, &db, &keys_dir);
    let mut survivor = fleet::Instance::start(BIN, &db, &keys_dir);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let total = KIOSKS * PER_KIOSK;
    let (sent, retried, replayed) = rt.block_on(async {
        // An answer lost in transit: the doomed instance stores an application, its answer
        // never reaches the kiosk; the kiosk's retry (same key) on the other instance is
        // answered from the kept reply — the same case, not a second one.
        let lost = KIOSKS * PER_KIOSK; // an applicant number the burst does not use
        let lost_key = [("idempotency-key", "fleet-app-lost-answer".to_string())];
        let kiosk0 = fleet::kiosk(0);
        let stream = fleet::send_unanswered(
            doomed.addr,
            &kiosk0,
            "/v1/kiosk/applications",
            &fleet::application(lost),
            &lost_key,
        )
        .await;
        let stored = {
            let (url, keys) = (url.clone(), keys.clone());
            tokio::task::spawn_blocking(move || {
                let store = PgStore::connect(&url, &keys, 1).unwrap();
                let t0 = std::time::Instant::now();
                loop {
                    let cases = store.cases_of(&fleet::applicant_id(lost), None).unwrap();
                    if let Some(c) = cases.first() {
                        return c.case_id.clone();
                    }
                    assert!(t0.elapsed() < Duration::from_secs(20), "never stored");
                    std::thread::sleep(Duration::from_millis(10));
                }
            })
            .await
            .unwrap()
        };
        drop(stream);
        let mut c = Conn::new(survivor.addr);
        let again = fleet::call(
            &mut c,
            &kiosk0,
            "POST",
            "/v1/kiosk/applications",
            &fleet::application(lost),
            &lost_key,
            Duration::from_secs(30),
        )
        .await
        .unwrap();
        assert_eq!(again.reply.status, 200, "{}", again.reply.json());
        assert_eq!(again.reply.json()["case_id"], stored.as_str());

        let lb = fleet::balancer(vec![doomed.addr, survivor.addr]).await;
        let done = Arc::new(AtomicUsize::new(0));
        let killer = {
            let done = done.clone();
            let mut doomed = doomed;
            tokio::spawn(async move {
                while done.load(Ordering::Relaxed) < total / 3 {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                doomed.kill();
                done.load(Ordering::Relaxed)
            })
        };
        let mut tasks = Vec::new();
        for k in 0..KIOSKS {
            let done = done.clone();
            tasks.push(tokio::spawn(async move {
                let kiosk = fleet::kiosk(k);
                let mut conn = Conn::new(lb);
                let mut sent = Vec::new();
                let (mut retried, mut replayed) = (0, 0);
                for i in 0..PER_KIOSK {
                    let n = k * PER_KIOSK / 2 + i / 2;
                    let application = i % 2 == 0;
                    let (path, body, key) = if application {
                        (
                            "/v1/kiosk/applications",
                            fleet::application(n),
                            format!("fleet-app-{n:06}"),
                        )
                    } else {
                        (
                            "/v1/kiosk/certification/results",
                            fleet::certification(n),
                            format!("fleet-cert-{n:06}"),
                        )
                    };
                    let out = fleet::call(
                        &mut conn,
                        &kiosk,
                        "POST",
                        path,
                        &body,
                        &[("idempotency-key", key)],
                        Duration::from_secs(60),
                    )
                    .await
                    .unwrap_or_else(|e| panic!("kiosk {k}: {e}"));
                    let json = out.reply.json();
                    assert!(
                        matches!(out.reply.status, 200 | 201),
                        "kiosk {k}, {path}: {} {json}",
                        out.reply.status
                    );
                    if out.attempts > 1 {
                        retried += 1;
                        // 200: central answered from the reply it kept for the key — the killed
                        // instance had stored it before the answer was lost
                        if application && out.reply.status == 200 {
                            replayed += 1;
                        }
                    }
                    sent.push(if application {
                        Sent::Application {
                            n,
                            case_id: json["case_id"].as_str().unwrap().to_string(),
                        }
                    } else {
                        assert_eq!(json["certified"], true, "{json}");
                        Sent::Certification { n }
                    });
                    done.fetch_add(1, Ordering::Relaxed);
                }
                (sent, retried, replayed)
            }));
        }
        let mut sent = Vec::new();
        let (mut retried, mut replayed) = (0, 0);
        for t in tasks {
            let (s, r, p) = t.await.unwrap();
            sent.extend(s);
            retried += r;
            replayed += p;
        }
        let killed_at = killer.await.unwrap();
        assert!(
            killed_at < total,
            "the instance was killed only after the burst ({killed_at} of {total})"
        );
        (sent, retried, replayed)
    });
    assert_eq!(sent.len(), total);
    assert!(
        retried > 0,
        "no request was cut by the kill: the test did not test fail-over"
    );
    assert!(survivor.running(), "the surviving instance died");

    // exactly once, as each kiosk was told
    let store = PgStore::connect(&url, &keys, 2).unwrap();
    let mut case_ids = HashSet::new();
    for s in &sent {
        match s {
            Sent::Application { n, case_id } => {
                let cases = store.cases_of(&fleet::applicant_id(*n), None).unwrap();
                assert_eq!(cases.len(), 1, "applicant {n} has {} cases", cases.len());
                assert_eq!(&cases[0].case_id, case_id, "applicant {n}");
                assert!(case_ids.insert(case_id.clone()));
            }
            Sent::Certification { n } => {
                let r = store.recipient(&fleet::recipient_id(*n)).unwrap().unwrap();
                assert_eq!(r.last_certified_on, Some(jiuzhu_core::id::today_in_china()));
            }
        }
    }
    let mut db = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let mut count = |sql: &str| -> i64 { db.query_one(sql, &[]).unwrap().get(0) };
    // the burst's applications and the one whose answer was lost
    assert_eq!(count("SELECT count(*) FROM cases"), (total / 2 + 1) as i64);
    assert_eq!(
        count("SELECT count(*) FROM certifications"),
        (total / 2) as i64
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM (SELECT id_number FROM certifications \
             GROUP BY id_number HAVING count(*) > 1) d"
        ),
        0
    );
    // both instances wrote one chain
    let rows = store.verify_audit().unwrap();
    assert!(
        rows as usize >= total,
        "{rows} audit rows for {total} requests"
    );
    eprintln!(
        "{total} requests through 2 instances, one killed: {retried} retried ({replayed} applications answered from the kept reply), every one stored once, audit chain of {rows} rows verifies"
    );
}
