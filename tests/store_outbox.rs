//! The local store on a real SQLite file: outbox life cycle, append-only rules, encryption at
//! rest (searching the raw bytes), corruption quarantine, full disk, audit chain, status cache.

use std::fs;
use std::path::Path;

use jiuzhu_kiosk::store::crypto::FileKeyProvider;
use jiuzhu_kiosk::store::outbox::{BundleItem, Dependency, OutboxKind};
use jiuzhu_kiosk::store::{DB_FILE, Store, StoreError, StoreOptions};

const ID: &str = "11010519491231002X";
const NAME: &str = "张秀英";

fn keys(dir: &Path) -> FileKeyProvider {
    FileKeyProvider::new(dir.join("data.key"))
}

fn application_json() -> Vec<u8> {
    format!(
        r#"{{"township":"500102001","assistance_type":"dibao","applicant":{{"id_number":"{ID}","name":"{NAME}"}}}}"#
    )
    .into_bytes()
}

#[test]
fn outbox_life_cycle_and_purge() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path(), &keys(dir.path())).unwrap();
    let app = s
        .enqueue(OutboxKind::Application, &application_json(), None, 1_000)
        .unwrap();
    let mat = s
        .enqueue_material(app, "image/png", b"\x89PNG fake scan", 1_001)
        .unwrap();
    let cert = s
        .enqueue(OutboxKind::Certification, b"{}", None, 1_002)
        .unwrap();
    assert!(matches!(
        s.enqueue(OutboxKind::Signature, b"{}", None, 1_003),
        Err(StoreError::State(_))
    ));
    assert!(matches!(
        s.enqueue(OutboxKind::Signature, b"{}", Some(cert), 1_003),
        Err(StoreError::State(_))
    ));
    let p = s.pending().unwrap();
    assert_eq!(
        p.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![app, mat, cert]
    );
    assert!(p[0].seq < p[1].seq && p[1].seq < p[2].seq);
    assert_eq!(p[1].dependency, Dependency::Waiting);
    assert_eq!(app.get_version_num(), 7);

    let e = s.load(app).unwrap();
    assert_eq!(e.payload, application_json());
    assert!(!format!("{e:?}").contains(ID));

    s.mark_retry(app, "central down", 5_000).unwrap();
    let p = s.pending().unwrap();
    assert_eq!((p[0].attempts, p[0].next_attempt_at), (1, 5_000));

    assert!(
        s.mark_acknowledged(app, br#"{"case_id":"c-1"}"#, 6_000)
            .unwrap()
    );
    assert!(
        !s.mark_acknowledged(app, br#"{"case_id":"c-2"}"#, 6_001)
            .unwrap(),
        "a duplicate ack changes nothing"
    );
    assert_eq!(
        s.acknowledgement(app).unwrap().unwrap(),
        br#"{"case_id":"c-1"}"#
    );
    assert!(
        matches!(s.load(app), Err(StoreError::State(_))),
        "payload purged"
    );
    let m = s.load(mat).unwrap();
    assert_eq!(
        m.dependency_ack.as_deref(),
        Some(&br#"{"case_id":"c-1"}"#[..])
    );
    assert_eq!(m.material.as_ref().unwrap().1, b"\x89PNG fake scan");
    assert!(s.material_present(mat).unwrap());
    s.mark_acknowledged(mat, b"{}", 7_000).unwrap();
    assert!(
        !s.material_present(mat).unwrap(),
        "material purged on acknowledgement"
    );

    s.mark_permanent(cert, "400 invalid_id_number", 8_000)
        .unwrap();
    let f = s.failed().unwrap();
    assert_eq!(
        (f.len(), f[0].id, f[0].error.as_str()),
        (1, cert, "400 invalid_id_number")
    );
    let c = s.counts().unwrap();
    assert_eq!((c.pending, c.failed, c.acknowledged), (0, 1, 2));
    s.retry_failed(cert, 9_000).unwrap();
    assert_eq!(s.counts().unwrap().pending, 1);
    assert_eq!(s.last_acknowledgement().unwrap(), Some(7_000));
    assert_eq!(s.verify_audit().unwrap(), Ok(7));
    drop(s);

    // Reopen: everything is where it was.
    let s = Store::open(dir.path(), &keys(dir.path())).unwrap();
    assert_eq!(s.counts().unwrap().acknowledged, 2);
    assert_eq!(s.pending().unwrap()[0].id, cert);
}

/// 签署授权: a signature and its handwriting for a case submitted elsewhere are stored together,
/// name the case, and wait for nothing.
#[test]
fn records_for_a_case_submitted_elsewhere_name_the_case() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path(), &keys(dir.path())).unwrap();
    let case = "0190f1c2-7d3a-7b6e-9c1d-0123456789ab";
    let sig =
        format!(r#"{{"signer":{{"id_number":"{ID}","name":"{NAME}"}},"method":"id_card_face"}}"#);
    let items = [
        BundleItem::Material {
            kind: None,
            content_type: "image/png",
            content: b"\x89PNG handwriting",
        },
        BundleItem::Signature(sig.as_bytes()),
    ];
    for bad in ["", "../staff", "a b"] {
        assert!(matches!(
            s.enqueue_for_case(bad, &items, 1_000),
            Err(StoreError::State(_))
        ));
    }
    assert!(matches!(
        s.enqueue_for_case(case, &[], 1_000),
        Err(StoreError::State(_))
    ));
    assert_eq!(s.counts().unwrap().pending, 0, "nothing half-stored");
    let ids = s.enqueue_for_case(case, &items, 1_000).unwrap();
    assert_eq!(ids.len(), 2);
    let p = s.pending().unwrap();
    assert_eq!(p.iter().map(|e| e.id).collect::<Vec<_>>(), ids);
    assert!(p.iter().all(|e| e.dependency == Dependency::None));
    let m = s.load(ids[0]).unwrap();
    assert_eq!(m.case_id.as_deref(), Some(case));
    assert_eq!(m.material.as_ref().unwrap().1, b"\x89PNG handwriting");
    let g = s.load(ids[1]).unwrap();
    assert_eq!(
        (g.kind, g.case_id.as_deref()),
        (OutboxKind::Signature, Some(case))
    );
    assert_eq!(g.payload, sig.as_bytes());
    drop(s);
    let s = Store::open(dir.path(), &keys(dir.path())).unwrap();
    assert_eq!(s.load(ids[1]).unwrap().case_id.as_deref(), Some(case));
}

#[test]
fn outbox_rows_cannot_be_deleted_or_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path(), &keys(dir.path())).unwrap();
    let id = s
        .enqueue(OutboxKind::Certification, b"{}", None, 1)
        .unwrap();
    drop(s);
    let raw = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    for sql in [
        "DELETE FROM outbox",
        "UPDATE outbox SET kind = 'application'",
        "UPDATE outbox SET payload = x''",
        "DELETE FROM audit",
        "UPDATE audit SET actor = 'x'",
    ] {
        let e = raw.execute(sql, []).unwrap_err().to_string();
        assert!(
            e.contains("append-only") || e.contains("purged"),
            "{sql}: {e}"
        );
    }
    let n: i64 = raw
        .query_row(
            "SELECT count(*) FROM outbox WHERE id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1);
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn raw_database_bytes_hold_no_id_number_or_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path(), &keys(dir.path())).unwrap();
    let app = s
        .enqueue(OutboxKind::Application, &application_json(), None, 1)
        .unwrap();
    s.enqueue_material(
        app,
        "image/jpeg",
        format!("scan of {ID} {NAME}").as_bytes(),
        2,
    )
    .unwrap();
    s.audit(
        3,
        "staff:li",
        "assist",
        Some(&format!("helped {NAME} {ID}")),
    )
    .unwrap();
    s.cache_status(
        ID,
        format!(r#"{{"cases":[],"who":"{NAME}"}}"#).as_bytes(),
        4,
    )
    .unwrap();
    s.mark_acknowledged(
        app,
        format!(r#"{{"case_id":"c","applicant":"{NAME}"}}"#).as_bytes(),
        5,
    )
    .unwrap();
    // Look at the WAL while it holds the data, then at the main file after the checkpoint.
    let mut scanned = 0;
    for pass in 0..2 {
        for entry in fs::read_dir(dir.path()).unwrap() {
            let p = entry.unwrap().path();
            if p.is_file() {
                let bytes = fs::read(&p).unwrap();
                scanned += bytes.len();
                for needle in [
                    ID.as_bytes(),
                    &ID.as_bytes()[..14],
                    NAME.as_bytes(),
                    "秀英".as_bytes(),
                ] {
                    assert!(
                        !contains(&bytes, needle),
                        "pass {pass}: {} holds personal data in clear",
                        p.display()
                    );
                }
            }
        }
        if pass == 0 {
            drop(std::mem::replace(
                &mut s,
                Store::open(dir.path(), &keys(dir.path())).unwrap(),
            ));
        }
    }
    assert!(scanned > 8192, "scanned {scanned} bytes");
    // The data is really there, just sealed.
    assert_eq!(s.cached_status(ID).unwrap().unwrap().fetched_at, 4);
    assert!(
        s.recent_audit(10)
            .unwrap()
            .iter()
            .any(|a| a.detail.as_deref().is_some_and(|d| d.contains(ID)))
    );
}

#[test]
fn damaged_database_is_quarantined_and_not_recreated() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path(), &keys(dir.path())).unwrap();
    for i in 0..200 {
        s.enqueue(
            OutboxKind::Certification,
            format!("{{\"n\":{i}}}").repeat(20).as_bytes(),
            None,
            i,
        )
        .unwrap();
    }
    drop(s);
    let db = dir.path().join(DB_FILE);
    let mut bytes = fs::read(&db).unwrap();
    assert!(bytes.len() > 40_000);
    // Scribble over b-tree pages past the header page.
    for b in &mut bytes[4096 * 2..4096 * 6] {
        *b = 0xA5;
    }
    fs::write(&db, &bytes).unwrap();
    let e = Store::open(dir.path(), &keys(dir.path())).unwrap_err();
    let StoreError::Corrupt {
        quarantined_to,
        detail,
    } = &e
    else {
        panic!("expected Corrupt, got {e}");
    };
    assert!(
        !db.exists(),
        "the damaged file was moved, not left in place"
    );
    assert_eq!(
        fs::read(quarantined_to.join(DB_FILE)).unwrap(),
        bytes,
        "quarantined copy is byte-identical"
    );
    let report = fs::read_to_string(quarantined_to.join("REPORT.txt")).unwrap();
    assert!(
        report.contains(detail.as_str()) && report.contains("sha256"),
        "{report}"
    );
    assert!(e.to_string().contains("technician"));
    // Opening again does not silently start an empty database.
    assert!(matches!(
        Store::open(dir.path(), &keys(dir.path())),
        Err(StoreError::Missing { .. })
    ));
    assert!(!db.exists());
    // Only the explicit call does.
    let s = Store::start_fresh(dir.path(), &keys(dir.path())).unwrap();
    assert_eq!(s.counts().unwrap().pending, 0);
}

#[test]
fn a_file_that_is_not_sqlite_is_quarantined() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path(), &keys(dir.path())).unwrap());
    fs::write(
        dir.path().join(DB_FILE),
        b"this is not a database, it was overwritten by a bad copy",
    )
    .unwrap();
    assert!(matches!(
        Store::open(dir.path(), &keys(dir.path())),
        Err(StoreError::Corrupt { .. })
    ));
}

#[test]
fn a_deleted_database_is_not_recreated() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path(), &keys(dir.path())).unwrap());
    fs::remove_file(dir.path().join(DB_FILE)).unwrap();
    let e = Store::open(dir.path(), &keys(dir.path())).unwrap_err();
    assert!(matches!(e, StoreError::Missing { .. }), "{e}");
}

#[test]
fn a_replaced_key_is_refused_without_touching_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path(), &keys(dir.path())).unwrap();
    s.enqueue(OutboxKind::Certification, b"{}", None, 1)
        .unwrap();
    drop(s);
    let other = tempfile::tempdir().unwrap();
    let e = Store::open(dir.path(), &keys(other.path())).unwrap_err();
    assert!(matches!(e, StoreError::WrongKey { .. }), "{e}");
    assert!(dir.path().join(DB_FILE).exists());
    assert_eq!(
        Store::open(dir.path(), &keys(dir.path()))
            .unwrap()
            .counts()
            .unwrap()
            .pending,
        1
    );
}

#[test]
fn full_disk_gives_a_clear_error_and_keeps_what_was_committed() {
    // Honest simulation: SQLite's max_page_count makes the database file unable to grow, which
    // SQLite reports exactly as a full disk (SQLITE_FULL).
    let dir = tempfile::tempdir().unwrap();
    let mut committed = Vec::new();
    {
        let opts = StoreOptions {
            max_page_count: Some(40),
        };
        let mut s = Store::open_with(dir.path(), &keys(dir.path()), &opts).unwrap();
        let payload = vec![b'x'; 3000];
        let err = loop {
            match s.enqueue(
                OutboxKind::Certification,
                &payload,
                None,
                committed.len() as i64,
            ) {
                Ok(id) => committed.push(id),
                Err(e) => break e,
            }
            assert!(committed.len() < 1000, "the limit never hit");
        };
        assert!(matches!(err, StoreError::DiskFull { .. }), "{err}");
        assert!(err.to_string().contains("NOT saved") && err.to_string().contains("Free space"));
        assert!(committed.len() >= 3);
        // Still usable for reading while full.
        assert_eq!(s.pending().unwrap().len(), committed.len());
    }
    let s = Store::open(dir.path(), &keys(dir.path())).unwrap();
    let ids: Vec<_> = s.pending().unwrap().into_iter().map(|e| e.id).collect();
    assert_eq!(ids, committed);
    for id in ids {
        assert_eq!(s.load(id).unwrap().payload.len(), 3000);
    }
    assert!(s.verify_audit().unwrap().is_ok());
}

#[test]
fn tampered_audit_chain_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path(), &keys(dir.path())).unwrap();
    for i in 0..5 {
        s.audit(i, "kiosk", &format!("step{i}"), None).unwrap();
    }
    assert_eq!(s.verify_audit().unwrap(), Ok(5));
    drop(s);
    let raw = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    raw.execute_batch(
        "DROP TRIGGER audit_no_update; UPDATE audit SET action = 'forged' WHERE seq = 3;",
    )
    .unwrap();
    drop(raw);
    let s = Store::open(dir.path(), &keys(dir.path())).unwrap();
    assert_eq!(s.verify_audit().unwrap().unwrap_err().seq, 3);
}

/// Issue #17: cutting rows off the end, or recomputing the whole chain after an edit, is caught
/// by the sealed head (which cannot be rewritten without the data key).
#[test]
fn truncated_or_recomputed_audit_chain_is_detected_by_the_sealed_head() {
    use sha2::{Digest, Sha256};
    for tamper in ["truncate", "recompute"] {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(dir.path(), &keys(dir.path())).unwrap();
        for i in 0..5 {
            s.audit(i, "kiosk", &format!("step{i}"), None).unwrap();
        }
        assert_eq!(s.verify_audit().unwrap(), Ok(5));
        drop(s);
        let raw = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
        raw.execute_batch("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;")
            .unwrap();
        if tamper == "truncate" {
            raw.execute("DELETE FROM audit WHERE seq > 3", []).unwrap();
        } else {
            // forge row 3 and recompute every hash after it with the (public) chain rule
            raw.execute("UPDATE audit SET action = 'forged' WHERE seq = 3", [])
                .unwrap();
            type Row = (i64, i64, String, String, Option<Vec<u8>>);
            let rows: Vec<Row> = raw
                .prepare("SELECT seq, at, actor, action, detail FROM audit ORDER BY seq")
                .unwrap()
                .query_map([], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let mut prev = "0".repeat(64);
            for (seq, at, actor, action, detail) in rows {
                let mut h = Sha256::new();
                h.update(prev.as_bytes());
                h.update(seq.to_be_bytes());
                h.update(at.to_be_bytes());
                for part in [
                    actor.as_bytes(),
                    action.as_bytes(),
                    detail.as_deref().unwrap_or(b""),
                ] {
                    h.update((part.len() as u64).to_be_bytes());
                    h.update(part);
                }
                h.update([detail.is_some() as u8]);
                let hash = hex::encode(h.finalize());
                raw.execute(
                    "UPDATE audit SET prev_hash = ?2, hash = ?3 WHERE seq = ?1",
                    rusqlite::params![seq, prev, hash],
                )
                .unwrap();
                prev = hash;
            }
        }
        drop(raw);
        let s = Store::open(dir.path(), &keys(dir.path())).unwrap();
        let err = s.verify_audit().unwrap().unwrap_err();
        assert!(err.why.contains("sealed head"), "{tamper}: {err}");
    }
}

#[test]
fn status_cache_keeps_the_newest_answer() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path(), &keys(dir.path())).unwrap();
    assert!(s.cached_status(ID).unwrap().is_none());
    s.cache_status(ID, b"new", 20).unwrap();
    s.cache_status(ID, b"old", 10).unwrap();
    let c = s.cached_status(ID).unwrap().unwrap();
    assert_eq!((c.body.as_slice(), c.fetched_at), (&b"new"[..], 20));
    assert!(s.cached_status("11010519491231003X").unwrap().is_none());
}
