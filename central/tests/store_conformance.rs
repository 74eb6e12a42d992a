//! One suite of store tests for both backends (issue #21): every test below is written once
//! against the store traits and runs on SQLite (a file in a temporary directory) and on
//! PostgreSQL (a fresh database in the binary's throw-away cluster, `support/pg.rs`). A test
//! that needs two central instances asks for a second one: on PostgreSQL a second `PgStore` with
//! its own pool, sharing nothing but the database; SQLite is served by one process, so there the
//! second instance is the same store, and a race is two threads meeting at its one writer.
//!
//! So far the kiosk area ([`KioskStore`]) and the audit chain, which is what the PostgreSQL
//! backend implements; each ported area adds its tests here.

#[path = "support/pg.rs"]
mod pg;

use std::sync::{Arc, Barrier};

use chrono::{Duration, TimeZone, Utc};
use jiuzhu_central::SqliteStore;
use jiuzhu_central::crypto_at_rest::AtRestKeys;
use jiuzhu_central::help_calls::MAX_CALLS_PER_HOUR;
use jiuzhu_central::store::pg::{PG_MIGRATIONS, PgStore};
use jiuzhu_central::store::prelude::*;
use jiuzhu_central::store::{
    Idem, MAX_ID_LEN, MAX_TEXT_LEN, SessionsOf, Staff, StaffAccess, StoreError, Township,
};
use jiuzhu_core::api::StaffRole;

/// A store instance under test, with what the tests read of its audit log.
trait Subject: KioskStore + KioskScope + StaffStore + HelpCallStore + Send + Sync {
    /// Verifies the audit chain; the number of rows.
    fn verify(&self) -> i64;
    /// Every audit row, oldest first: [actor, action, subject, detail].
    fn trail(&self) -> Vec<[String; 4]>;
}

impl Subject for SqliteStore {
    fn verify(&self) -> i64 {
        self.verify_audit().unwrap()
    }

    fn trail(&self) -> Vec<[String; 4]> {
        self.with_conn(|c| {
            c.prepare("SELECT actor, action, subject, detail FROM audit ORDER BY seq")?
                .query_map([], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?]))?
                .collect::<Result<Vec<_>, _>>()
        })
        .unwrap()
    }
}

impl Subject for PgStore {
    fn verify(&self) -> i64 {
        self.verify_audit().unwrap()
    }

    fn trail(&self) -> Vec<[String; 4]> {
        self.audit_trail().unwrap()
    }
}

/// A database under test: each call of `instance` is one more central instance on it.
trait Database {
    fn instance(&self) -> Arc<dyn Subject>;
}

fn keys() -> AtRestKeys {
    AtRestKeys::from_bytes([0x11; 32], [0x22; 32])
}

/// SQLite is served by one process: every "instance" is that process's store, and a race is
/// threads meeting at its one writer.
struct SqliteDb {
    _dir: tempfile::TempDir,
    store: Arc<SqliteStore>,
}

impl Database for SqliteDb {
    fn instance(&self) -> Arc<dyn Subject> {
        self.store.clone()
    }
}

struct PostgresDb {
    url: String,
}

impl Database for PostgresDb {
    fn instance(&self) -> Arc<dyn Subject> {
        Arc::new(PgStore::connect(&self.url, &keys(), 4).unwrap())
    }
}

fn sqlite() -> SqliteDb {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_with_keys(&dir.path().join("central.db"), &keys()).unwrap();
    SqliteDb {
        _dir: dir,
        store: Arc::new(store),
    }
}

fn postgres() -> PostgresDb {
    PostgresDb {
        url: pg::shared().new_database(),
    }
}

/// Runs each named test (a `fn(&dyn Database)` below) on both backends.
macro_rules! conformance {
    ($($test:ident),* $(,)?) => {
        mod on_sqlite {
            $(#[test] fn $test() { super::$test(&super::sqlite()) })*
        }
        mod on_postgres {
            $(#[test] fn $test() { super::$test(&super::postgres()) })*
        }
    };
}

conformance!(
    townships_and_kiosks_round_trip_with_their_audit_rows,
    a_kiosk_of_an_unknown_township_is_refused,
    a_kiosk_registered_twice_is_a_conflict,
    a_revoked_kiosk_stays_revoked,
    a_nonce_seen_twice_is_refused,
    two_instances_racing_one_nonce_let_exactly_one_win,
    an_idempotency_key_replayed_returns_the_first_reply,
    two_instances_racing_one_idempotency_key_keep_one_reply,
    bad_input_is_refused_clearly_and_stores_nothing,
    a_kiosk_serves_its_township_and_those_the_district_adds,
    a_scope_naming_an_unknown_kiosk_or_township_changes_nothing,
    a_session_opened_on_one_instance_is_honoured_by_another,
    disabling_or_removing_an_account_ends_its_sessions,
    logout_and_revocation_end_sessions_once,
    a_kiosk_has_one_open_staff_call_until_it_is_acknowledged,
    two_instances_raising_one_kiosks_call_open_one,
    two_staff_acknowledging_one_call_on_two_instances_one_wins,
    a_kiosk_raises_at_most_the_hourly_number_of_calls,
);

const T1: &str = "500102900";
const T2: &str = "500102901";

fn township(code: &str, name: &str) -> Township {
    Township {
        code: code.into(),
        name: name.into(),
        hotline: "023-7222-0000".into(),
        report_phone: "023-7222-0001".into(),
        delegated: false,
    }
}

fn with_township(db: &dyn Database) -> Arc<dyn Subject> {
    let s = db.instance();
    s.put_township(&township(T1, "涪陵区江东街道"), "admin:test")
        .unwrap();
    s
}

fn nonce(i: usize) -> String {
    format!("nonce-{i:016}")
}

const BODY_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const BODY_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

fn idem<'a>(key: &'a str, body: &'a str) -> Idem<'a> {
    Idem {
        kiosk: "kiosk-1",
        endpoint: "signature",
        key,
        body_sha256: body,
    }
}

fn townships_and_kiosks_round_trip_with_their_audit_rows(db: &dyn Database) {
    let s = with_township(db);
    assert_eq!(
        s.township(T1).unwrap(),
        Some(township(T1, "涪陵区江东街道"))
    );
    let mut renamed = township(T1, "涪陵区江东街道（新）");
    renamed.delegated = true;
    s.put_township(&renamed, "admin:test").unwrap();
    assert_eq!(s.township(T1).unwrap(), Some(renamed));
    assert_eq!(s.township(T2).unwrap(), None);

    s.add_kiosk("kiosk-1", T1, &[7; 32], "admin:cli").unwrap();
    let k = s.kiosk("kiosk-1").unwrap().unwrap();
    assert_eq!(
        (k.id.as_str(), k.township.as_str(), k.pubkey, k.revoked),
        ("kiosk-1", T1, [7; 32], false)
    );
    assert_eq!(s.kiosk("kiosk-2").unwrap(), None);
    // another instance reads what this one wrote
    assert_eq!(db.instance().kiosk("kiosk-1").unwrap(), Some(k));

    let pubkey = format!("{{\"pubkey\":\"{}\"}}", hex::encode([7u8; 32]));
    let row = |actor: &str, action: &str, subject: &str, detail: &str| {
        [actor, action, subject, detail].map(String::from)
    };
    assert_eq!(
        s.trail(),
        vec![
            row("admin:test", "township.put", T1, "{}"),
            row("admin:test", "township.put", T1, "{}"),
            row("admin:cli", "kiosk.add", "kiosk-1", &pubkey),
        ]
    );
    assert_eq!(s.verify(), 3);
}

fn a_kiosk_of_an_unknown_township_is_refused(db: &dyn Database) {
    let s = with_township(db);
    let e = s
        .add_kiosk("kiosk-1", T2, &[7; 32], "admin:cli")
        .unwrap_err();
    assert!(
        matches!(&e, StoreError::NotFound(m) if m.contains(T2) && m.contains("not registered")),
        "{e:?}"
    );
    assert_eq!(s.kiosk("kiosk-1").unwrap(), None);
    assert_eq!(s.verify(), 1, "no audit row for a refused kiosk");
}

fn a_kiosk_registered_twice_is_a_conflict(db: &dyn Database) {
    let s = with_township(db);
    s.add_kiosk("kiosk-1", T1, &[7; 32], "admin:cli").unwrap();
    let e = db
        .instance()
        .add_kiosk("kiosk-1", T1, &[8; 32], "admin:cli")
        .unwrap_err();
    assert!(
        matches!(&e, StoreError::Conflict(m) if m.contains("already registered")),
        "{e:?}"
    );
    assert_eq!(s.kiosk("kiosk-1").unwrap().unwrap().pubkey, [7; 32]);
    assert_eq!(s.verify(), 2);
}

fn a_revoked_kiosk_stays_revoked(db: &dyn Database) {
    let s = with_township(db);
    s.add_kiosk("kiosk-1", T1, &[7; 32], "admin:cli").unwrap();
    s.revoke_kiosk("kiosk-1", "admin:cli").unwrap();
    assert!(s.kiosk("kiosk-1").unwrap().unwrap().revoked);
    for id in ["kiosk-1", "kiosk-9"] {
        let e = s.revoke_kiosk(id, "admin:cli").unwrap_err();
        assert!(
            matches!(&e, StoreError::NotFound(m) if m.contains(id)),
            "{e:?}"
        );
    }
    // a revoked kiosk's name is not free again
    assert!(matches!(
        s.add_kiosk("kiosk-1", T1, &[9; 32], "admin:cli"),
        Err(StoreError::Conflict(_))
    ));
    assert!(db.instance().kiosk("kiosk-1").unwrap().unwrap().revoked);
    let actions: Vec<String> = s.trail().into_iter().map(|r| r[1].clone()).collect();
    assert_eq!(actions, ["township.put", "kiosk.add", "kiosk.revoke"]);
    assert_eq!(s.verify(), 3);
}

fn a_nonce_seen_twice_is_refused(db: &dyn Database) {
    let s = db.instance();
    let t0 = 1_790_000_000;
    assert!(
        s.remember_nonce("kiosk-1", &nonce(1), t0, t0 - 660)
            .unwrap()
    );
    assert!(
        !s.remember_nonce("kiosk-1", &nonce(1), t0 + 1, t0 - 660)
            .unwrap()
    );
    // another instance refuses it too
    assert!(
        !db.instance()
            .remember_nonce("kiosk-1", &nonce(1), t0 + 2, t0 - 660)
            .unwrap()
    );
    // a nonce is per kiosk
    assert!(
        s.remember_nonce("kiosk-2", &nonce(1), t0 + 3, t0 - 660)
            .unwrap()
    );
    // once older than the window it is forgotten (the timestamp check refuses such a request)
    assert!(
        s.remember_nonce("kiosk-1", &nonce(1), t0 + 1000, t0 + 500)
            .unwrap()
    );
    assert!(
        !s.remember_nonce("kiosk-1", &nonce(1), t0 + 1001, t0 + 500)
            .unwrap()
    );
}

fn two_instances_racing_one_nonce_let_exactly_one_win(db: &dyn Database) {
    let a = db.instance();
    let b = db.instance();
    let rounds = 25;
    let barrier = Arc::new(Barrier::new(2));
    let race = |s: Arc<dyn Subject>, barrier: Arc<Barrier>| {
        std::thread::spawn(move || {
            (0..rounds)
                .map(|i| {
                    barrier.wait();
                    s.remember_nonce("kiosk-1", &nonce(i), 1_790_000_000, 0)
                        .unwrap()
                })
                .collect::<Vec<bool>>()
        })
    };
    let ta = race(a, barrier.clone());
    let tb = race(b, barrier);
    let (wa, wb) = (ta.join().unwrap(), tb.join().unwrap());
    for i in 0..rounds {
        assert!(wa[i] ^ wb[i], "nonce {i}: a won {}, b won {}", wa[i], wb[i]);
    }
}

fn an_idempotency_key_replayed_returns_the_first_reply(db: &dyn Database) {
    let s = db.instance();
    let key = "key-0000000000000001";
    let now = Utc::now();
    assert_eq!(s.reply(idem(key, BODY_A)).unwrap(), None);
    assert_eq!(
        s.keep_reply(idem(key, BODY_A), r#"{"n":1}"#, now).unwrap(),
        r#"{"n":1}"#
    );
    assert_eq!(
        s.keep_reply(idem(key, BODY_A), r#"{"n":2}"#, now).unwrap(),
        r#"{"n":1}"#
    );
    let other = db.instance();
    assert_eq!(
        other.reply(idem(key, BODY_A)).unwrap().as_deref(),
        Some(r#"{"n":1}"#)
    );
    assert_eq!(
        other
            .keep_reply(idem(key, BODY_A), r#"{"n":3}"#, now)
            .unwrap(),
        r#"{"n":1}"#
    );
    // the same key with another body is refused, not answered
    for e in [
        s.reply(idem(key, BODY_B)).unwrap_err(),
        s.keep_reply(idem(key, BODY_B), "{}", now).unwrap_err(),
    ] {
        assert!(
            matches!(
                &e,
                StoreError::Unprocessable {
                    code: "idempotency_key_reused",
                    ..
                }
            ),
            "{e:?}"
        );
    }
    // keys are per kiosk and endpoint
    let mut elsewhere = idem(key, BODY_A);
    elsewhere.endpoint = "certification";
    assert_eq!(s.reply(elsewhere).unwrap(), None);
    elsewhere.endpoint = "signature";
    elsewhere.kiosk = "kiosk-2";
    assert_eq!(s.reply(elsewhere).unwrap(), None);
}

fn two_instances_racing_one_idempotency_key_keep_one_reply(db: &dyn Database) {
    let barrier = Arc::new(Barrier::new(2));
    let rounds = 20;
    let race = |s: Arc<dyn Subject>, barrier: Arc<Barrier>, me: &'static str| {
        std::thread::spawn(move || {
            (0..rounds)
                .map(|i| {
                    let key = format!("race-key-{i:010}");
                    barrier.wait();
                    s.keep_reply(idem(&key, BODY_A), me, Utc::now()).unwrap()
                })
                .collect::<Vec<String>>()
        })
    };
    let ta = race(db.instance(), barrier.clone(), "from a");
    let tb = race(db.instance(), barrier, "from b");
    let (ra, rb) = (ta.join().unwrap(), tb.join().unwrap());
    let s = db.instance();
    for i in 0..rounds {
        let kept = s
            .reply(idem(&format!("race-key-{i:010}"), BODY_A))
            .unwrap()
            .unwrap();
        assert_eq!((&ra[i], &rb[i]), (&kept, &kept), "key {i}");
    }
}

fn bad_input_is_refused_clearly_and_stores_nothing(db: &dyn Database) {
    let s = with_township(db);
    s.add_kiosk("kiosk-1", T1, &[7; 32], "admin:cli").unwrap();
    let long_id = "k".repeat(MAX_ID_LEN + 1);
    let long_text = "长".repeat(MAX_TEXT_LEN + 1);
    let now = Utc::now();
    type Case<'a> = (
        &'a str,
        Box<dyn Fn(&dyn Subject) -> Result<(), StoreError> + 'a>,
    );
    fn case<'a>(
        field: &'a str,
        f: impl Fn(&dyn Subject) -> Result<(), StoreError> + 'a,
    ) -> Case<'a> {
        (field, Box::new(f))
    }
    let with = |f: fn(&mut Township)| {
        let mut t = township(T2, "涪陵区江北街道");
        f(&mut t);
        t
    };
    let cases: Vec<Case<'_>> = vec![
        case("kiosk id", |s| s.add_kiosk("", T1, &[1; 32], "a")),
        case("kiosk id", |s| s.add_kiosk(&long_id, T1, &[1; 32], "a")),
        case("kiosk id", |s| s.add_kiosk("kiosk 2", T1, &[1; 32], "a")),
        case("township code", |s| {
            s.add_kiosk("kiosk-2", "", &[1; 32], "a")
        }),
        case("township code", |s| {
            s.put_township(&with(|t| t.code.clear()), "a")
        }),
        case("township code", |s| {
            s.put_township(&with(|t| t.code = "5001'; --".into()), "a")
        }),
        case("township name", |s| {
            s.put_township(&with(|t| t.name = "  ".into()), "a")
        }),
        case("township name", move |s| {
            let mut t = township(T2, "x");
            t.name = long_text.clone();
            s.put_township(&t, "a")
        }),
        case("hotline", |s| {
            s.put_township(&with(|t| t.hotline = "023\n110".into()), "a")
        }),
        case("report phone", |s| {
            s.put_township(&with(|t| t.report_phone.clear()), "a")
        }),
        case("nonce", |s| {
            s.remember_nonce("kiosk-1", "short", 1, 0).map(drop)
        }),
        case("nonce", |s| {
            s.remember_nonce("kiosk-1", &"n".repeat(65), 1, 0).map(drop)
        }),
        case("kiosk id", |s| {
            s.remember_nonce("", &nonce(1), 1, 0).map(drop)
        }),
        case("Idempotency-Key", move |s| {
            s.keep_reply(idem("", BODY_A), "{}", now).map(drop)
        }),
        case("Idempotency-Key", move |s| {
            s.keep_reply(idem(&"k".repeat(65), BODY_A), "{}", now)
                .map(drop)
        }),
        case("body digest", move |s| {
            s.keep_reply(idem("key-0000000000000001", "ab"), "{}", now)
                .map(drop)
        }),
    ];
    for (i, (field, call)) in cases.iter().enumerate() {
        match call(s.as_ref()) {
            Err(StoreError::Invalid(m)) => assert!(
                m.contains(field) && m.contains("must be"),
                "case {i}: the message '{m}' does not name {field} and what it must be"
            ),
            other => panic!("case {i} ({field}): expected Invalid, got {other:?}"),
        }
    }
    // nothing stored: no township, kiosk, nonce, reply or audit row
    assert_eq!(s.township(T2).unwrap(), None);
    assert_eq!(s.township("").unwrap(), None);
    assert_eq!(s.kiosk("kiosk-2").unwrap(), None);
    assert_eq!(s.kiosk("").unwrap(), None);
    assert!(s.remember_nonce("kiosk-1", &nonce(1), 2, 0).unwrap());
    assert_eq!(s.reply(idem("key-0000000000000001", BODY_A)).unwrap(), None);
    assert_eq!(s.verify(), 2);
}

fn a_kiosk_serves_its_township_and_those_the_district_adds(db: &dyn Database) {
    let s = with_township(db);
    for code in [T2, "500102902"] {
        s.put_township(&township(code, "乡镇"), "admin:test")
            .unwrap();
    }
    s.add_kiosk("kiosk-1", T2, &[7; 32], "admin:cli").unwrap();
    assert_eq!(s.kiosk_scope("kiosk-1").unwrap(), [T2]);
    // its own township named again is not repeated; the others come in code order
    let serves = ["500102902", T1, T2].map(String::from);
    s.set_kiosk_serves("kiosk-1", &serves, "admin:cli").unwrap();
    assert_eq!(s.kiosk_scope("kiosk-1").unwrap(), [T2, T1, "500102902"]);
    assert_eq!(
        db.instance().kiosk_scope("kiosk-1").unwrap(),
        [T2, T1, "500102902"]
    );
    // a new list replaces the old one
    s.set_kiosk_serves("kiosk-1", &[T1.to_string()], "admin:cli")
        .unwrap();
    assert_eq!(s.kiosk_scope("kiosk-1").unwrap(), [T2, T1]);
    s.set_kiosk_serves("kiosk-1", &[], "admin:cli").unwrap();
    assert_eq!(s.kiosk_scope("kiosk-1").unwrap(), [T2]);
    assert!(s.kiosk_scope("kiosk-9").unwrap().is_empty());
    let scope_rows: Vec<[String; 4]> = s
        .trail()
        .into_iter()
        .filter(|r| r[1] == "kiosk.scope")
        .collect();
    let row = |detail: &str| ["admin:cli", "kiosk.scope", "kiosk-1", detail].map(String::from);
    assert_eq!(
        scope_rows,
        [
            row(r#"{"serves":["500102902","500102900","500102901"]}"#),
            row(r#"{"serves":["500102900"]}"#),
            row(r#"{"serves":[]}"#),
        ]
    );
    assert_eq!(s.verify(), 7);
}

fn a_scope_naming_an_unknown_kiosk_or_township_changes_nothing(db: &dyn Database) {
    let s = with_township(db);
    s.put_township(&township(T2, "乡镇"), "admin:test").unwrap();
    s.add_kiosk("kiosk-1", T1, &[7; 32], "admin:cli").unwrap();
    s.set_kiosk_serves("kiosk-1", &[T2.to_string()], "admin:cli")
        .unwrap();
    let e = s
        .set_kiosk_serves("kiosk-9", &[T2.to_string()], "admin:cli")
        .unwrap_err();
    assert!(
        matches!(&e, StoreError::NotFound(m) if m.contains("kiosk-9")),
        "{e:?}"
    );
    let e = s
        .set_kiosk_serves(
            "kiosk-1",
            &[T1.to_string(), "999999999".into()],
            "admin:cli",
        )
        .unwrap_err();
    assert!(
        matches!(&e, StoreError::NotFound(m) if m.contains("999999999")),
        "{e:?}"
    );
    assert_eq!(s.kiosk_scope("kiosk-1").unwrap(), [T1, T2]);
    assert!(s.kiosk_scope("kiosk-9").unwrap().is_empty());
    assert_eq!(s.verify(), 4);
}

fn clerk(name: &str) -> Staff {
    Staff {
        username: name.into(),
        role: StaffRole::TownshipClerk,
        township: Some(T1.into()),
    }
}

const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

fn a_session_opened_on_one_instance_is_honoured_by_another(db: &dyn Database) {
    let (a, b) = (with_township(db), db.instance());
    a.add_staff(&clerk("clerk"), HASH, "admin:cli").unwrap();
    let bureau = Staff {
        username: "bureau".into(),
        role: StaffRole::DistrictBureau,
        township: None,
    };
    b.add_staff(&bureau, HASH, "admin:cli").unwrap();
    assert_eq!(
        b.staff_with_hash("clerk").unwrap(),
        Some((clerk("clerk"), HASH.to_string()))
    );
    assert_eq!(a.staff_with_hash("bureau").unwrap().unwrap().0, bureau);
    assert_eq!(a.staff_with_hash("nobody").unwrap(), None);
    let e = b
        .add_staff(&clerk("clerk"), "other", "admin:cli")
        .unwrap_err();
    assert!(
        matches!(&e, StoreError::Conflict(m) if m.contains("clerk")),
        "{e:?}"
    );
    let not_staff = Staff {
        username: "resident".into(),
        role: StaffRole::Resident,
        township: None,
    };
    let e = a.add_staff(&not_staff, HASH, "admin:cli").unwrap_err();
    assert!(
        matches!(&e, StoreError::Invalid(m) if m.contains("not a staff role")),
        "{e:?}"
    );
    assert_eq!(a.staff_with_hash("resident").unwrap(), None);

    let now = Utc::now().timestamp();
    a.add_session("token-hash-1", "clerk", now + 3600).unwrap();
    assert_eq!(
        b.session("token-hash-1", now).unwrap(),
        Some(clerk("clerk"))
    );
    assert_eq!(
        b.session("token-hash-1", now + 3600).unwrap(),
        None,
        "expired"
    );
    assert_eq!(b.session("token-hash-2", now).unwrap(), None);
    // a session for no account is refused
    assert!(a.add_session("token-hash-3", "nobody", now + 3600).is_err());
    let actions: Vec<String> = a.trail().into_iter().map(|r| r[1].clone()).collect();
    assert_eq!(
        actions,
        ["township.put", "staff.add", "staff.add", "staff.login"]
    );
    assert_eq!(a.trail()[3][0], "staff:clerk");
    assert_eq!(b.verify(), 4);
}

fn disabling_or_removing_an_account_ends_its_sessions(db: &dyn Database) {
    let s = with_township(db);
    let now = Utc::now().timestamp();
    s.add_staff(&clerk("clerk"), HASH, "admin:cli").unwrap();
    s.add_session("token-hash-1", "clerk", now + 3600).unwrap();
    s.add_session("token-hash-2", "clerk", now + 3600).unwrap();
    s.set_staff_access("clerk", StaffAccess::Disable, "admin:cli")
        .unwrap();
    assert_eq!(s.staff_with_hash("clerk").unwrap(), None);
    assert_eq!(db.instance().session("token-hash-1", now).unwrap(), None);
    s.set_staff_access("clerk", StaffAccess::Enable, "admin:cli")
        .unwrap();
    assert!(s.staff_with_hash("clerk").unwrap().is_some());
    assert_eq!(
        s.session("token-hash-2", now).unwrap(),
        None,
        "sessions stay ended"
    );
    s.add_session("token-hash-3", "clerk", now + 3600).unwrap();
    s.set_staff_access("clerk", StaffAccess::Remove, "admin:cli")
        .unwrap();
    assert_eq!(s.staff_with_hash("clerk").unwrap(), None);
    assert_eq!(s.session("token-hash-3", now).unwrap(), None);
    for access in [
        StaffAccess::Enable,
        StaffAccess::Remove,
        StaffAccess::Disable,
    ] {
        let e = s
            .set_staff_access("clerk", access, "admin:cli")
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::NotFound(m) if m.contains("clerk")),
            "{access:?}: {e:?}"
        );
    }
    // the name stays taken
    assert!(matches!(
        s.add_staff(&clerk("clerk"), HASH, "admin:cli"),
        Err(StoreError::Conflict(_))
    ));
    let changes: Vec<[String; 2]> = s
        .trail()
        .into_iter()
        .filter(|r| r[1].starts_with("staff.") && r[1] != "staff.login" && r[1] != "staff.add")
        .map(|[_, action, _, detail]| [action, detail])
        .collect();
    let row = |a: &str, d: &str| [a, d].map(String::from);
    assert_eq!(
        changes,
        [
            row("staff.disabled", r#"{"sessions_ended":2}"#),
            row("staff.enabled", r#"{"sessions_ended":0}"#),
            row("staff.removed", r#"{"sessions_ended":1}"#),
        ]
    );
    assert_eq!(s.verify(), 8);
}

fn logout_and_revocation_end_sessions_once(db: &dyn Database) {
    let s = with_township(db);
    let now = Utc::now().timestamp();
    s.add_staff(&clerk("clerk"), HASH, "admin:cli").unwrap();
    for t in ["token-hash-1", "token-hash-2", "token-hash-3"] {
        s.add_session(t, "clerk", now + 3600).unwrap();
    }
    let other = db.instance();
    assert_eq!(
        other
            .end_sessions(SessionsOf::Token("token-hash-1"), "staff:clerk")
            .unwrap(),
        1
    );
    assert_eq!(
        s.end_sessions(SessionsOf::Token("token-hash-1"), "staff:clerk")
            .unwrap(),
        0
    );
    assert_eq!(s.session("token-hash-1", now).unwrap(), None);
    assert_eq!(
        s.session("token-hash-2", now).unwrap(),
        Some(clerk("clerk"))
    );
    assert_eq!(
        s.end_sessions(SessionsOf::Account("clerk"), "admin:cli")
            .unwrap(),
        2
    );
    assert_eq!(other.session("token-hash-3", now).unwrap(), None);
    let e = s
        .end_sessions(SessionsOf::Account("nobody"), "admin:cli")
        .unwrap_err();
    assert!(
        matches!(&e, StoreError::NotFound(m) if m.contains("nobody")),
        "{e:?}"
    );
    let ends: Vec<[String; 4]> = s
        .trail()
        .into_iter()
        .filter(|r| r[1] == "staff.logout" || r[1] == "staff.sessions_revoked")
        .collect();
    let row = |actor: &str, action: &str, n: usize| {
        [
            actor.to_string(),
            action.to_string(),
            "clerk".to_string(),
            format!("{{\"sessions_ended\":{n}}}"),
        ]
    };
    assert_eq!(
        ends,
        [
            row("staff:clerk", "staff.logout", 1),
            row("admin:cli", "staff.sessions_revoked", 2),
        ]
    );
    assert_eq!(s.verify(), 7);
}

fn with_kiosk(db: &dyn Database) -> Arc<dyn Subject> {
    let s = with_township(db);
    s.add_kiosk("kiosk-1", T1, &[7; 32], "admin:cli").unwrap();
    s
}

fn a_kiosk_has_one_open_staff_call_until_it_is_acknowledged(db: &dyn Database) {
    let s = with_kiosk(db);
    let t0 =
        Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap() + Duration::nanoseconds(123_456_789);
    let first = s
        .raise_help_call("kiosk-1", T1, "certify.face", t0)
        .unwrap();
    assert!(first.created);
    assert_eq!(first.call.raised_at.timestamp_subsec_micros(), 123_456);
    assert_eq!(first.call.acknowledged_by, None);
    let again = db
        .instance()
        .raise_help_call("kiosk-1", T1, "apply.review", t0 + Duration::seconds(30))
        .unwrap();
    assert!(!again.created);
    assert_eq!(again.call, first.call);
    assert_eq!(
        s.help_call(&first.call.call_id).unwrap(),
        Some(first.call.clone())
    );
    assert_eq!(s.help_call("no-such-call").unwrap(), None);
    assert_eq!(
        s.open_help_calls(T1).unwrap(),
        std::slice::from_ref(&first.call)
    );
    assert!(s.open_help_calls(T2).unwrap().is_empty());

    let acked = s
        .acknowledge_help_call(
            &first.call.call_id,
            "staff:clerk",
            t0 + Duration::seconds(60),
        )
        .unwrap();
    assert_eq!(acked.acknowledged_by.as_deref(), Some("staff:clerk"));
    assert_eq!(
        acked.acknowledged_at,
        Some(t0 + Duration::seconds(60) - Duration::nanoseconds(789))
    );
    assert_eq!(
        db.instance().help_call(&acked.call_id).unwrap(),
        Some(acked.clone())
    );
    assert!(s.open_help_calls(T1).unwrap().is_empty());
    let e = s
        .acknowledge_help_call(&acked.call_id, "staff:leader", t0 + Duration::seconds(61))
        .unwrap_err();
    assert!(
        matches!(&e, StoreError::Refused { code: "already_acknowledged", reason } if reason.contains("staff:clerk")),
        "{e:?}"
    );
    let e = s
        .acknowledge_help_call("no-such-call", "staff:clerk", t0)
        .unwrap_err();
    assert!(
        matches!(&e, StoreError::NotFound(m) if m.contains("no-such-call")),
        "{e:?}"
    );
    // acknowledged: the next raise opens a new call
    let next = s
        .raise_help_call("kiosk-1", T1, "home", t0 + Duration::seconds(90))
        .unwrap();
    assert!(next.created);
    assert_ne!(next.call.call_id, first.call.call_id);
    let calls: Vec<[String; 4]> = s
        .trail()
        .into_iter()
        .filter(|r| r[1].starts_with("help_call."))
        .collect();
    let row = |actor: &str, action: &str, id: &str, detail: &str| {
        [actor, action, &format!("help_call:{id}"), detail].map(String::from)
    };
    assert_eq!(
        calls,
        [
            row(
                "kiosk:kiosk-1",
                "help_call.raised",
                &first.call.call_id,
                r#"{"screen":"certify.face"}"#
            ),
            row(
                "staff:clerk",
                "help_call.acknowledged",
                &first.call.call_id,
                "{}"
            ),
            row(
                "kiosk:kiosk-1",
                "help_call.raised",
                &next.call.call_id,
                r#"{"screen":"home"}"#
            ),
        ]
    );
    assert_eq!(s.verify(), 5);
}

fn two_instances_raising_one_kiosks_call_open_one(db: &dyn Database) {
    with_kiosk(db);
    let barrier = Arc::new(Barrier::new(2));
    let rounds = 10;
    let race = |s: Arc<dyn Subject>, barrier: Arc<Barrier>| {
        std::thread::spawn(move || {
            (0..rounds)
                .map(|_| {
                    let now = Utc::now();
                    barrier.wait();
                    let r = s.raise_help_call("kiosk-1", T1, "home", now).unwrap();
                    barrier.wait();
                    // the one that opened the call has it acknowledged before the next round
                    if r.created {
                        s.acknowledge_help_call(&r.call.call_id, "staff:clerk", now)
                            .unwrap();
                    }
                    barrier.wait();
                    (r.created, r.call.call_id)
                })
                .collect::<Vec<_>>()
        })
    };
    let ta = race(db.instance(), barrier.clone());
    let tb = race(db.instance(), barrier);
    let (ra, rb) = (ta.join().unwrap(), tb.join().unwrap());
    for i in 0..rounds {
        assert_eq!(ra[i].1, rb[i].1, "round {i}: two open calls");
        assert!(
            ra[i].0 ^ rb[i].0,
            "round {i}: opened by a {}, by b {}",
            ra[i].0,
            rb[i].0
        );
    }
    let mut ids: Vec<&String> = ra.iter().map(|r| &r.1).collect();
    ids.dedup();
    assert_eq!(ids.len(), rounds, "a new call each round");
}

fn two_staff_acknowledging_one_call_on_two_instances_one_wins(db: &dyn Database) {
    let s = with_kiosk(db);
    for round in 0..10 {
        let now = Utc::now();
        let call = s.raise_help_call("kiosk-1", T1, "home", now).unwrap().call;
        let barrier = Arc::new(Barrier::new(2));
        let ack = |who: &'static str| {
            let (s, barrier, id) = (db.instance(), barrier.clone(), call.call_id.clone());
            std::thread::spawn(move || {
                barrier.wait();
                s.acknowledge_help_call(&id, who, now)
            })
        };
        let (a, b) = (ack("staff:a"), ack("staff:b"));
        let results = [a.join().unwrap(), b.join().unwrap()];
        let won: Vec<&HelpCallResult> = results.iter().filter(|r| r.is_ok()).collect();
        assert_eq!(won.len(), 1, "round {round}: {results:?}");
        let winner = won[0].as_ref().unwrap().acknowledged_by.clone();
        assert_eq!(
            s.help_call(&call.call_id).unwrap().unwrap().acknowledged_by,
            winner
        );
        assert!(results.iter().any(|r| matches!(
            r,
            Err(StoreError::Refused {
                code: "already_acknowledged",
                ..
            })
        )));
    }
    let acks = s
        .trail()
        .into_iter()
        .filter(|r| r[1] == "help_call.acknowledged")
        .count();
    assert_eq!(acks, 10);
}

type HelpCallResult = Result<jiuzhu_core::help_call::HelpCall, StoreError>;

fn a_kiosk_raises_at_most_the_hourly_number_of_calls(db: &dyn Database) {
    let s = with_kiosk(db);
    let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap();
    let limit = usize::try_from(MAX_CALLS_PER_HOUR).unwrap();
    for i in 0..limit {
        let at = t0 + Duration::minutes(i as i64);
        let call = s.raise_help_call("kiosk-1", T1, "home", at).unwrap().call;
        s.acknowledge_help_call(&call.call_id, "staff:clerk", at)
            .unwrap();
    }
    let e = s
        .raise_help_call("kiosk-1", T1, "home", t0 + Duration::minutes(30))
        .unwrap_err();
    assert!(
        matches!(
            &e,
            StoreError::Refused {
                code: "too_many_help_calls",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(s.open_help_calls(T1).unwrap().is_empty(), "nothing stored");
    // an hour after the first, one more may be raised
    let later = s
        .raise_help_call(
            "kiosk-1",
            T1,
            "home",
            t0 + Duration::minutes(60) + Duration::seconds(1),
        )
        .unwrap();
    assert!(later.created);
}

// PostgreSQL only: its migrations, its connection errors, its audit chain under tampering.

fn pg_client(url: &str) -> postgres::Client {
    url.parse::<postgres::Config>()
        .unwrap()
        .connect(postgres::NoTls)
        .unwrap()
}

#[test]
fn postgres_instances_starting_together_migrate_once() {
    let url = pg::shared().new_database();
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || PgStore::connect(&url, &keys(), 2).unwrap())
        })
        .collect();
    let stores: Vec<PgStore> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let expected: Vec<String> = PG_MIGRATIONS.iter().map(|(v, _)| v.to_string()).collect();
    for s in &stores {
        assert_eq!(s.applied_migrations().unwrap(), expected);
    }
    drop(stores);
    // and once more on an up-to-date database
    let s = PgStore::connect(&url, &keys(), 1).unwrap();
    assert_eq!(s.applied_migrations().unwrap(), expected);
    assert_eq!(s.verify_audit().unwrap(), 0);
}

#[test]
fn postgres_connection_errors_are_clear_and_keep_the_password_out() {
    let cluster = pg::shared();
    let e = PgStore::connect(
        "postgresql://nobody@127.0.0.1:1/x?sslmode=bogus",
        &keys(),
        1,
    )
    .unwrap_err();
    assert!(
        matches!(&e, StoreError::Invalid(m) if m.contains("not a PostgreSQL connection string")),
        "{e:?}"
    );
    let wrong = format!(
        "postgresql://{}:wrong-secret-password@127.0.0.1:{}/postgres",
        pg::ROLE,
        cluster.port()
    );
    let e = PgStore::connect(&wrong, &keys(), 1).unwrap_err();
    let m = e.to_string();
    assert!(m.contains("password authentication failed"), "{m}");
    assert!(!m.contains("wrong-secret-password"), "{m}");
    assert!(!format!("{e:?}").contains("wrong-secret-password"));
}

#[test]
fn postgres_audit_chain_detects_edit_delete_and_truncation() {
    for tamper in [
        "UPDATE audit SET actor = 'someone' WHERE seq = 2",
        "DELETE FROM audit WHERE seq = 2",
        "DELETE FROM audit WHERE seq = 3",
    ] {
        let url = pg::shared().new_database();
        let s = PgStore::connect(&url, &keys(), 2).unwrap();
        for code in ["t1", "t2", "t3"] {
            s.put_township(&township(code, "乡镇"), "admin:test")
                .unwrap();
        }
        assert_eq!(s.verify_audit().unwrap(), 3);
        pg_client(&url).batch_execute(tamper).unwrap();
        assert!(s.verify_audit().is_err(), "{tamper} went unnoticed");
    }
}

#[test]
fn postgres_store_debug_shows_no_connection_string() {
    let url = pg::shared().new_database();
    let s = PgStore::connect(&url, &keys(), 1).unwrap();
    let shown = format!("{s:?}");
    assert!(shown.starts_with("PgStore"), "{shown}");
    assert!(
        !shown.contains("127.0.0.1") && !shown.contains(pg::ROLE),
        "{shown}"
    );
}
