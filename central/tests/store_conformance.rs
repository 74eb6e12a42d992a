//! One suite of store tests for both backends (issue #21): every test below is written once
//! against the store traits and runs on SQLite (a file in a temporary directory) and on
//! PostgreSQL (a fresh database in the binary's throw-away cluster, `support/pg.rs`). A test
//! that needs two central instances asks for a second one: on PostgreSQL a second `PgStore` with
//! its own pool, sharing nothing but the database; SQLite is served by one process, so there the
//! second instance is the same store, and a race is two threads meeting at its one writer.
//!
//! Every area of the store: the kiosk area ([`KioskStore`], [`KioskScope`]), staff accounts and
//! sessions, staff calls, the certification area ([`CertificationStore`]: recipients, guardians,
//! references, certifications, proofs, alternatives), the rest of [`Hardening`] (reference
//! releases with their rate, alerts, proof standing), applications and cases ([`CaseStore`]),
//! documents ([`DocumentStore`]) and the console's reads ([`ConsoleStore`]), with the audit
//! chain. Tests named `postgres_…` hold what only several instances on one database can show
//! (one deadline scanner at a time, no text message handed to two instances) and PostgreSQL's
//! storage (sealed columns, materials in the database, audit checkpoints).

#[path = "support/pg.rs"]
mod pg;

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use jiuzhu_central::SqliteStore;
use jiuzhu_central::crypto_at_rest::AtRestKeys;
use jiuzhu_central::evidence::SealedEvidence;
use jiuzhu_central::help_calls::MAX_CALLS_PER_HOUR;
use jiuzhu_central::store::pg::{PG_MIGRATIONS, PgStore};
use jiuzhu_central::store::prelude::*;
use jiuzhu_central::store::{
    AlternativeClose, CertificationRecord, Idem, MAX_ID_LEN, MAX_PEOPLE_PER_WINDOW, MAX_TEXT_LEN,
    NewAlternative, NewGuardian, ProofReissue, ProofStanding, RELEASE_WINDOW_SECS, Recipient,
    ReleaseRefused, SessionsOf, Staff, StaffAccess, Standing, StoreError, TemplateRelease,
    Township,
};
use jiuzhu_core::api::{AlternativeKind, AlternativeOutcome, AssistanceType, Modality, StaffRole};
use jiuzhu_core::calendar::Calendar;
use jiuzhu_core::workflow::china_date;

/// A store instance under test, with what the tests read of its audit log.
trait Subject: Store + KioskScope + Hardening {
    /// Verifies the audit chain; the number of rows.
    fn verify(&self) -> i64;
    /// Every audit row, oldest first: [actor, action, subject, detail].
    fn trail(&self) -> Vec<[String; 4]>;
}

impl Subject for SqliteStore {
    fn verify(&self) -> i64 {
        Store::verify_audit(self).unwrap()
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
    a_recipient_and_their_reference_round_trip_and_certifying_renews_the_status,
    a_guardian_certifies_for_a_recipient_with_sealed_evidence,
    a_certification_repeated_with_its_key_is_recorded_once,
    two_instances_recording_one_certification_key_store_it_once,
    a_reissue_supersedes_the_old_proof_and_a_death_revokes_them_all,
    a_reissue_after_the_certification_changed_is_refused,
    a_person_has_one_open_alternative_which_closes_once,
    two_instances_opening_alternatives_for_one_person_open_one,
    two_staff_closing_one_alternative_on_two_instances_one_wins,
    reference_releases_stop_at_the_limit_with_one_alert_per_window,
    two_instances_releasing_at_the_limit_let_exactly_one_pass,
    bad_certification_input_is_refused_naming_the_field_and_stores_nothing,
    a_submission_is_numbered_and_answered_once_per_key,
    two_instances_submitting_one_key_create_one_case,
    case_numbers_stay_unique_when_instances_submit_at_once,
    signatures_materials_and_steps_carry_a_case_to_publication,
    a_named_objection_stops_the_posting_once,
    household_documents_are_delivered_once_and_text_messages_retried,
    the_sms_number_changes_at_most_three_times_a_day,
    two_members_signing_one_case_on_two_instances_both_count,
    the_deadline_scanner_colours_and_moves_open_cases,
    the_console_reads_townships_kiosks_and_ends_sessions,
    two_instances_counting_one_names_failed_logins_count_every_one,
);

/// Failed logins of one name on two instances at once: every failure counts (no lost
/// update), and the block one instance sets is the other's.
fn two_instances_counting_one_names_failed_logins_count_every_one(db: &dyn Database) {
    use jiuzhu_central::login_guard::{LoginGuard, LoginPolicy, Refusal};
    let (a, b) = (db.instance(), db.instance());
    let now = 1_800_000_000_000i64;
    let policy = LoginPolicy {
        account_free: 1_000,
        ..LoginPolicy::default()
    };
    let rounds = 20;
    let barrier = Arc::new(Barrier::new(2));
    let race = |s: Arc<dyn Subject>, barrier: Arc<Barrier>, policy: LoginPolicy| {
        std::thread::spawn(move || {
            let g = LoginGuard::with_clock(policy, Arc::new(move || now));
            for _ in 0..rounds {
                barrier.wait();
                g.failed(s.as_ref(), "clerk", None).unwrap();
            }
        })
    };
    let ta = race(a.clone(), barrier.clone(), policy.clone());
    let tb = race(b.clone(), barrier, policy);
    ta.join().unwrap();
    tb.join().unwrap();
    // the row of the name's digest
    let key = format!(
        "account:{}",
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"clerk"))
    );
    let kept = |s: &Arc<dyn Subject>| s.login_failures(&key).unwrap().unwrap();
    assert_eq!(kept(&a).count, 2 * rounds);
    assert_eq!(kept(&b), kept(&a));
    // a block set through one instance holds on the other
    let strict = LoginPolicy {
        account_free: 0,
        ..LoginPolicy::default()
    };
    LoginGuard::with_clock(strict.clone(), Arc::new(move || now))
        .failed(a.as_ref(), "leader", None)
        .unwrap();
    assert!(matches!(
        LoginGuard::with_clock(strict, Arc::new(move || now + 1)).admit(b.as_ref(), "leader", None),
        Err(Refusal::Throttled { account: true, .. })
    ));
}

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

// The certification area and the rest of the hardening: recipients, guardians, references,
// certifications, proofs, alternatives, reference releases.

fn person(seq: u16) -> String {
    jiuzhu_central::seed::demo_id("19450302", seq)
}

fn masked(id: &str) -> String {
    jiuzhu_core::id::IdNumber::parse(id).unwrap().masked()
}

fn recipient(id: &str, name: &str) -> Recipient {
    Recipient {
        id_number: id.into(),
        name: name.into(),
        township: T1.into(),
        assistance_type: AssistanceType::Dibao,
        household_size: 2,
        amount_fen: 61_000,
        since: NaiveDate::from_ymd_opt(2024, 1, 15).unwrap(),
        last_certified_on: None,
    }
}

/// 10:00 in China on 2 March 2026.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
}

fn certify<'a>(id: &'a str, now: DateTime<Utc>, proof: Option<&str>) -> CertificationRecord<'a> {
    CertificationRecord {
        id_number: id,
        kiosk: "kiosk-1",
        mode: "self_check",
        modality: Some("face"),
        certified: true,
        today: china_date(now),
        proof_id: proof.map(String::from),
        now,
        assisted_by: None,
        evidence: None,
    }
}

fn actions(s: &dyn Subject) -> Vec<String> {
    s.trail().into_iter().map(|r| r[1].clone()).collect()
}

fn with_recipient(db: &dyn Database, seq: u16, name: &str) -> (Arc<dyn Subject>, String) {
    let s = with_kiosk(db);
    let id = person(seq);
    s.put_recipient(&recipient(&id, name), "admin:test")
        .unwrap();
    (s, id)
}

fn a_recipient_and_their_reference_round_trip_and_certifying_renews_the_status(db: &dyn Database) {
    let (s, id) = with_recipient(db, 1, "陈淑芬");
    let other = db.instance();
    let r = other.recipient(&id).unwrap().unwrap();
    assert_eq!(
        (
            r.id_number.as_str(),
            r.name.as_str(),
            r.township.as_str(),
            r.assistance_type,
            r.household_size,
            r.amount_fen,
            r.since,
            r.last_certified_on
        ),
        (
            id.as_str(),
            "陈淑芬",
            T1,
            AssistanceType::Dibao,
            2,
            61_000,
            NaiveDate::from_ymd_opt(2024, 1, 15).unwrap(),
            None
        )
    );
    assert!(s.recipient(&person(2)).unwrap().is_none());
    let st = s.certification_status(&id, today()).unwrap();
    assert!(st.recipient && !st.certified_this_cycle && st.enrolled.is_empty());
    assert!(
        !s.certification_status(&person(2), today())
            .unwrap()
            .recipient
    );

    s.put_template(&id, Modality::Face, b"face-reference-1", "admin:cli")
        .unwrap();
    s.put_template(&id, Modality::Face, b"face-reference-2", "admin:cli")
        .unwrap();
    s.put_template(&id, Modality::Fingerprint, b"finger-reference", "admin:cli")
        .unwrap();
    assert_eq!(
        other.template(&id, Modality::Face).unwrap().as_deref(),
        Some(&b"face-reference-2"[..]),
        "the second enrolment replaces the first"
    );
    assert_eq!(other.template(&person(2), Modality::Face).unwrap(), None);

    let (reply, stored) = s
        .record_certification(&certify(&id, t0(), Some("p1")), r#"{"ok":1}"#, None)
        .unwrap();
    assert_eq!((reply.as_str(), stored), (r#"{"ok":1}"#, true));
    let st = other.certification_status(&id, today()).unwrap();
    assert!(st.certified_this_cycle);
    assert_eq!(st.last_certified_on, Some(today()));
    assert_eq!(st.valid_until, NaiveDate::from_ymd_opt(2027, 3, 2));
    assert_eq!(st.enrolled, vec![Modality::Face, Modality::Fingerprint]);
    // a year on, it has lapsed
    assert!(
        !other
            .certification_status(&id, NaiveDate::from_ymd_opt(2027, 3, 2).unwrap())
            .unwrap()
            .certified_this_cycle
    );

    // a failed attempt is recorded and does not move the certification
    let mut failed = certify(&id, t0() + Duration::days(1), None);
    failed.certified = false;
    s.record_certification(&failed, "{}", None).unwrap();
    assert_eq!(
        other.recipient(&id).unwrap().unwrap().last_certified_on,
        Some(today())
    );
    let certs = other.certifications_of(&id).unwrap();
    assert_eq!(certs.len(), 2);
    assert!(!certs[0].certified && certs[1].certified, "newest first");
    let c = &certs[1];
    assert_eq!(
        (
            c.id_number.as_str(),
            c.at,
            c.kiosk.as_str(),
            c.mode.as_str(),
            c.modality.as_deref()
        ),
        (id.as_str(), t0(), "kiosk-1", "self_check", Some("face"))
    );
    assert!(c.assisted_by.is_none() && c.evidence.is_none());
    assert!(other.certifications_of(&person(2)).unwrap().is_empty());
    assert_eq!(other.proof_standing("p1").unwrap(), ProofStanding::Current);
    assert_eq!(other.person_townships(&id).unwrap(), vec![T1.to_string()]);

    let trail = s.trail();
    let recipient_row = trail.iter().find(|r| r[1] == "recipient.put").unwrap();
    assert_eq!(
        recipient_row[2],
        format!("recipient:{}", &db_blind_index(&id)[..16])
    );
    assert!(trail.iter().all(|r| !r.concat().contains(&id)));
    assert_eq!(
        actions(&*s),
        [
            "township.put",
            "kiosk.add",
            "recipient.put",
            "template.put",
            "template.put",
            "template.put",
            "certification.passed",
            "proof.issued",
            "certification.failed",
        ]
    );
    assert_eq!(s.verify(), 9);
}

/// The blind index both backends compute with the suite's keys.
fn db_blind_index(id: &str) -> String {
    keys().blind_index(id)
}

fn a_guardian_certifies_for_a_recipient_with_sealed_evidence(db: &dyn Database) {
    let (s, rec) = with_recipient(db, 1, "王德福");
    let g = person(2);
    let guardian = |relation| NewGuardian {
        recipient_id: &rec,
        guardian_id: &g,
        name: "谭永贵",
        relation,
        now: t0(),
    };
    s.put_guardian(&guardian("sibling"), "admin:cli").unwrap();
    s.put_guardian(&guardian("child"), "admin:cli").unwrap();
    let other = db.instance();
    assert!(other.is_guardian(&rec, &g).unwrap());
    assert!(!other.is_guardian(&g, &rec).unwrap());
    assert!(!other.is_guardian(&rec, &person(3)).unwrap());
    // a registered guardian has references of their own; a stranger has none
    s.put_template(&g, Modality::Fingerprint, b"guardian-finger", "admin:cli")
        .unwrap();
    let e = s
        .put_template(&person(3), Modality::Fingerprint, b"x", "admin:cli")
        .unwrap_err();
    assert!(
        matches!(&e, StoreError::NotFound(m) if m.contains("neither a recipient nor a registered guardian")),
        "{e:?}"
    );
    assert_eq!(other.person_townships(&g).unwrap(), vec![T1.to_string()]);
    assert!(other.person_townships(&person(3)).unwrap().is_empty());

    let evidence = SealedEvidence {
        content_type: "image/jpeg".into(),
        sha256: "ab".repeat(32),
        size: 1234,
        nonce: vec![1; 12],
        ciphertext: vec![2; 1250],
    };
    let rec_ = CertificationRecord {
        mode: "guardian",
        modality: Some("fingerprint"),
        assisted_by: Some(&g),
        evidence: Some(evidence.clone()),
        ..certify(&rec, t0(), Some("pg1"))
    };
    s.record_certification(&rec_, "{}", None).unwrap();
    let certs = other.certifications_of(&rec).unwrap();
    assert_eq!(certs.len(), 1);
    assert_eq!(certs[0].mode, "guardian");
    assert_eq!(certs[0].assisted_by.as_deref(), Some(g.as_str()));
    assert_eq!(certs[0].evidence.as_ref(), Some(&evidence));

    let trail = s.trail();
    let registered: Vec<&[String; 4]> = trail
        .iter()
        .filter(|r| r[1] == "guardian.registered")
        .collect();
    assert_eq!(registered.len(), 2);
    assert_eq!(registered[0][2], format!("recipient:{}", masked(&rec)));
    assert_eq!(registered[0][3], r#"{"relation":"sibling"}"#);
    let passed = trail
        .iter()
        .find(|r| r[1] == "certification.passed")
        .unwrap();
    assert_eq!(
        passed[3],
        serde_json::json!({ "mode": "guardian", "evidence_sha256": "ab".repeat(32) }).to_string()
    );
    assert!(trail.iter().all(|r| !r.concat().contains(&g)));
    assert_eq!(s.verify(), 8);
}

fn a_certification_repeated_with_its_key_is_recorded_once(db: &dyn Database) {
    let (s, id) = with_recipient(db, 1, "陈淑芬");
    let key = "cert-key-00000001";
    let first = s
        .record_certification(
            &certify(&id, t0(), Some("p1")),
            "first",
            Some(idem(key, BODY_A)),
        )
        .unwrap();
    assert_eq!(first, ("first".to_string(), true));
    let again = db
        .instance()
        .record_certification(
            &certify(&id, t0(), Some("p2")),
            "second",
            Some(idem(key, BODY_A)),
        )
        .unwrap();
    assert_eq!(again, ("first".to_string(), false));
    let e = s
        .record_certification(
            &certify(&id, t0(), Some("p3")),
            "third",
            Some(idem(key, BODY_B)),
        )
        .unwrap_err();
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
    assert_eq!(s.certifications_of(&id).unwrap().len(), 1);
    assert_eq!(s.proof_standing("p2").unwrap(), ProofStanding::Unregistered);
    assert_eq!(s.verify(), 5);
}

fn two_instances_recording_one_certification_key_store_it_once(db: &dyn Database) {
    let (s, id) = with_recipient(db, 1, "陈淑芬");
    let rounds = 8;
    for round in 0..rounds {
        let barrier = Arc::new(Barrier::new(2));
        let key = format!("race-key-{round:08}");
        let run = |who: &'static str| {
            let (inst, barrier, id, key) =
                (db.instance(), barrier.clone(), id.clone(), key.clone());
            std::thread::spawn(move || {
                let proof = format!("proof-{round}-{who}");
                let rec = certify(&id, t0() + Duration::minutes(round), Some(&proof));
                barrier.wait();
                inst.record_certification(&rec, who, Some(idem(&key, BODY_A)))
                    .unwrap()
            })
        };
        let (a, b) = (run("a"), run("b"));
        let (a, b) = (a.join().unwrap(), b.join().unwrap());
        assert!(a.1 ^ b.1, "round {round}: {a:?} {b:?}");
        assert_eq!(a.0, b.0, "round {round}: both get the first answer");
    }
    assert_eq!(s.certifications_of(&id).unwrap().len(), rounds as usize);
    let issued = actions(&*s).iter().filter(|a| *a == "proof.issued").count();
    assert_eq!(issued, rounds as usize);
}

fn a_reissue_supersedes_the_old_proof_and_a_death_revokes_them_all(db: &dyn Database) {
    let (s, id) = with_recipient(db, 1, "陈淑芬");
    s.record_certification(&certify(&id, t0(), Some("p1")), "{}", None)
        .unwrap();
    let later = t0() + Duration::days(40);
    let reissue = ProofReissue {
        id_number: &id,
        kiosk: "kiosk-1",
        certified_on: today(),
        valid_until: NaiveDate::from_ymd_opt(2027, 3, 2).unwrap(),
        proof_id: "p2",
        now: later,
    };
    let other = db.instance();
    assert_eq!(
        other.record_proof_reissue(&reissue, "r", None).unwrap(),
        ("r".to_string(), true)
    );
    assert_eq!(
        s.proof_standing("p1").unwrap(),
        ProofStanding::Superseded(china_date(later))
    );
    assert_eq!(s.proof_standing("p2").unwrap(), ProofStanding::Current);
    assert_eq!(s.proof_standing("p9").unwrap(), ProofStanding::Unregistered);

    let died = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
    other
        .set_standing(&id, Standing::Deceased, died, "staff:clerk", later)
        .unwrap();
    for p in ["p1", "p2"] {
        assert_eq!(
            s.proof_standing(p).unwrap(),
            ProofStanding::Revoked(died, Standing::Deceased)
        );
    }
    // recorded again (corrected): the newer record stands
    s.set_standing(&id, Standing::Suspended, today(), "staff:clerk", later)
        .unwrap();
    assert_eq!(
        other.proof_standing("p2").unwrap(),
        ProofStanding::Revoked(today(), Standing::Suspended)
    );
    let e = s
        .set_standing(&person(9), Standing::Deceased, died, "staff:clerk", later)
        .unwrap_err();
    assert!(matches!(&e, StoreError::NotFound(_)), "{e:?}");

    let trail = s.trail();
    let reissued = trail.iter().find(|r| r[1] == "proof.reissued").unwrap();
    assert_eq!(
        reissued.clone(),
        [
            "kiosk:kiosk-1".to_string(),
            "proof.reissued".into(),
            "proof:p2".into(),
            r#"{"valid_until":"2027-03-02"}"#.into()
        ]
    );
    let deceased = trail.iter().find(|r| r[1] == "recipient.deceased").unwrap();
    assert_eq!(deceased[2], format!("person:{}", masked(&id)));
    assert_eq!(
        deceased[3],
        serde_json::json!({ "since": died, "township": T1 }).to_string()
    );
    assert_eq!(s.verify(), 8);
}

fn a_reissue_after_the_certification_changed_is_refused(db: &dyn Database) {
    let (s, id) = with_recipient(db, 1, "陈淑芬");
    fn reissue<'a>(id_number: &'a str, proof_id: &'a str) -> ProofReissue<'a> {
        ProofReissue {
            id_number,
            kiosk: "kiosk-1",
            certified_on: today(),
            valid_until: NaiveDate::from_ymd_opt(2027, 3, 2).unwrap(),
            proof_id,
            now: t0(),
        }
    }
    // never certified: the proof would state a certification that is not there
    let e = s
        .record_proof_reissue(&reissue(&id, "p1"), "r", None)
        .unwrap_err();
    assert!(
        matches!(
            &e,
            StoreError::Refused {
                code: "certification_changed",
                ..
            }
        ),
        "{e:?}"
    );
    let stranger = person(9);
    let e = s
        .record_proof_reissue(&reissue(&stranger, "p2"), "r", None)
        .unwrap_err();
    assert!(matches!(&e, StoreError::NotFound(_)), "{e:?}");
    for p in ["p1", "p2"] {
        assert_eq!(s.proof_standing(p).unwrap(), ProofStanding::Unregistered);
    }
    assert_eq!(s.verify(), 3, "nothing audited");
}

fn alternative<'a>(
    id: &'a str,
    person: &'a str,
    now: DateTime<Utc>,
    years: &'a BTreeSet<i32>,
) -> NewAlternative<'a> {
    NewAlternative {
        id,
        id_number: person,
        township: T1,
        kind: AlternativeKind::HomeVisit,
        note: Some("腿脚不便"),
        kiosk: "kiosk-1",
        now,
        due_by: NaiveDate::from_ymd_opt(2026, 3, 16).unwrap(),
        unpublished_years: years,
    }
}

fn a_person_has_one_open_alternative_which_closes_once(db: &dyn Database) {
    let (s, id) = with_recipient(db, 1, "陈淑芬");
    let years = BTreeSet::from([2027]);
    assert_eq!(
        s.record_alternative(&alternative("alt-1", &id, t0(), &years), "a1", None)
            .unwrap(),
        ("a1".to_string(), true)
    );
    let other = db.instance();
    let e = other
        .record_alternative(&alternative("alt-2", &id, t0(), &years), "a2", None)
        .unwrap_err();
    assert!(
        matches!(&e, StoreError::Refused { code: "alternative_open", reason } if reason.contains("home_visit") && reason.contains("2026-03-16")),
        "{e:?}"
    );
    assert!(other.alternative("alt-2").unwrap().is_none());
    let a = other.alternative("alt-1").unwrap().unwrap();
    assert_eq!(
        (
            a.id.as_str(),
            a.id_number.as_str(),
            a.township.as_str(),
            a.kind,
            a.kiosk.as_str(),
            a.outcome
        ),
        (
            "alt-1",
            id.as_str(),
            T1,
            AlternativeKind::HomeVisit,
            "kiosk-1",
            None
        )
    );
    let open = other
        .open_alternatives(T1, &Calendar::builtin(), today())
        .unwrap();
    assert_eq!(open.len(), 1);
    let o = &open[0];
    assert_eq!(
        (
            o.request_id.as_str(),
            o.masked_name.as_str(),
            o.masked_id.clone(),
            o.requested_at,
            o.due_by,
            o.note.as_deref()
        ),
        (
            "alt-1",
            "陈**",
            masked(&id),
            t0(),
            NaiveDate::from_ymd_opt(2026, 3, 16).unwrap(),
            Some("腿脚不便")
        )
    );
    assert_eq!(o.unpublished_years, years);
    assert!(
        other
            .open_alternatives(T2, &Calendar::builtin(), today())
            .unwrap()
            .is_empty()
    );

    let closed_at = t0() + Duration::days(2);
    let witnessed = CertificationRecord {
        mode: "staff_witnessed",
        modality: None,
        ..certify(&id, closed_at, Some("pw"))
    };
    let close = |id: &'static str, certification| AlternativeClose {
        id,
        outcome: AlternativeOutcome::Witnessed,
        note: Some("在家见到本人"),
        actor: "staff:clerk",
        now: closed_at,
        certification,
    };
    s.close_alternative(&close("alt-1", Some(witnessed)))
        .unwrap();
    assert_eq!(
        other.alternative("alt-1").unwrap().unwrap().outcome,
        Some(AlternativeOutcome::Witnessed)
    );
    assert!(
        other
            .open_alternatives(T1, &Calendar::builtin(), today())
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        other.recipient(&id).unwrap().unwrap().last_certified_on,
        Some(china_date(closed_at))
    );
    assert_eq!(
        other.certifications_of(&id).unwrap()[0].mode,
        "staff_witnessed"
    );
    assert_eq!(other.proof_standing("pw").unwrap(), ProofStanding::Current);

    let e = other.close_alternative(&close("alt-1", None)).unwrap_err();
    assert!(
        matches!(&e, StoreError::Refused { code: "already_closed", reason } if reason.contains("witnessed")),
        "{e:?}"
    );
    let e = other.close_alternative(&close("alt-9", None)).unwrap_err();
    assert!(
        matches!(&e, StoreError::NotFound(m) if m.contains("alt-9")),
        "{e:?}"
    );
    // closed, the person may ask again
    assert!(
        s.record_alternative(&alternative("alt-3", &id, closed_at, &years), "a3", None)
            .unwrap()
            .1
    );

    let trail = s.trail();
    let by_staff: Vec<(&str, &str)> = trail
        .iter()
        .filter(|r| r[0] == "staff:clerk")
        .map(|r| (r[1].as_str(), r[2].as_str()))
        .collect();
    assert_eq!(by_staff[0].0, "certification.passed");
    assert_eq!(
        by_staff[1..],
        [
            ("proof.issued", "proof:pw"),
            ("alternative.closed", "alternative:alt-1")
        ]
    );
    let closed = trail.iter().find(|r| r[1] == "alternative.closed").unwrap();
    let detail: serde_json::Value = serde_json::from_str(&closed[3]).unwrap();
    assert_eq!(detail["outcome"], "witnessed");
    assert!(detail["certification"].is_i64());
    assert_eq!(
        actions(&*s)
            .iter()
            .filter(|a| *a == "alternative.requested")
            .count(),
        2
    );
    assert_eq!(s.verify(), 8);
}

fn two_instances_opening_alternatives_for_one_person_open_one(db: &dyn Database) {
    let s = with_kiosk(db);
    let years = BTreeSet::new();
    for round in 0..8u16 {
        let id = person(10 + round);
        s.put_recipient(&recipient(&id, "陈淑芬"), "admin:test")
            .unwrap();
        let barrier = Arc::new(Barrier::new(2));
        let run = |alt: String| {
            let (inst, barrier, id, years) =
                (db.instance(), barrier.clone(), id.clone(), years.clone());
            std::thread::spawn(move || {
                barrier.wait();
                inst.record_alternative(&alternative(&alt, &id, t0(), &years), "ok", None)
            })
        };
        let (a, b) = (run(format!("alt-a-{round}")), run(format!("alt-b-{round}")));
        let results = [a.join().unwrap(), b.join().unwrap()];
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "round {round}: {results:?}"
        );
        assert!(results.iter().any(|r| matches!(
            r,
            Err(StoreError::Refused {
                code: "alternative_open",
                ..
            })
        )));
    }
    assert_eq!(
        s.open_alternatives(T1, &Calendar::builtin(), today())
            .unwrap()
            .len(),
        8
    );
}

fn two_staff_closing_one_alternative_on_two_instances_one_wins(db: &dyn Database) {
    let (s, id) = with_recipient(db, 1, "陈淑芬");
    let years = BTreeSet::new();
    for round in 0..8 {
        let alt = format!("alt-{round}");
        s.record_alternative(&alternative(&alt, &id, t0(), &years), "ok", None)
            .unwrap();
        let barrier = Arc::new(Barrier::new(2));
        let run = |actor: &'static str, outcome| {
            let (inst, barrier, alt) = (db.instance(), barrier.clone(), alt.clone());
            std::thread::spawn(move || {
                barrier.wait();
                inst.close_alternative(&AlternativeClose {
                    id: &alt,
                    outcome,
                    note: None,
                    actor,
                    now: t0(),
                    certification: None,
                })
            })
        };
        let a = run("staff:a", AlternativeOutcome::Visited);
        let b = run("staff:b", AlternativeOutcome::NotFound);
        let results = [a.join().unwrap(), b.join().unwrap()];
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "round {round}: {results:?}"
        );
        let stored = s.alternative(&alt).unwrap().unwrap().outcome.unwrap();
        let winner = if results[0].is_ok() {
            AlternativeOutcome::Visited
        } else {
            AlternativeOutcome::NotFound
        };
        assert_eq!(stored, winner, "round {round}");
    }
    let closes = actions(&*s)
        .iter()
        .filter(|a| *a == "alternative.closed")
        .count();
    assert_eq!(closes, 8);
}

fn release<'a>(
    kiosk: &'a str,
    id: &'a str,
    masked: &'a str,
    now: DateTime<Utc>,
) -> TemplateRelease<'a> {
    TemplateRelease {
        kiosk,
        id_number: id,
        masked,
        modality: "face",
        now,
    }
}

fn reference_releases_stop_at_the_limit_with_one_alert_per_window(db: &dyn Database) {
    let s = with_kiosk(db);
    let at = |secs: i64| t0() + Duration::seconds(secs);
    let people: Vec<String> = (0..MAX_PEOPLE_PER_WINDOW as u16 + 2)
        .map(|i| person(100 + i))
        .collect();
    let m: Vec<String> = people.iter().map(|p| masked(p)).collect();
    for i in 0..MAX_PEOPLE_PER_WINDOW {
        assert_eq!(
            s.release_template(&release("kiosk-1", &people[i], &m[i], at(i as i64)))
                .unwrap(),
            Ok(()),
            "person {i}"
        );
    }
    // the same person again (a retry, another modality) does not count again
    assert_eq!(
        db.instance()
            .release_template(&release("kiosk-1", &people[0], &m[0], at(20)))
            .unwrap(),
        Ok(())
    );
    let next = MAX_PEOPLE_PER_WINDOW;
    // one more person: refused until the oldest release leaves the window
    assert_eq!(
        s.release_template(&release("kiosk-1", &people[next], &m[next], at(30)))
            .unwrap(),
        Err(ReleaseRefused {
            retry_after_secs: RELEASE_WINDOW_SECS - 30
        })
    );
    assert_eq!(
        db.instance()
            .release_template(&release("kiosk-1", &people[next + 1], &m[next + 1], at(40)))
            .unwrap(),
        Err(ReleaseRefused {
            retry_after_secs: RELEASE_WINDOW_SECS - 40
        })
    );
    // another kiosk has its own count
    s.add_kiosk("kiosk-2", T1, &[8; 32], "admin:cli").unwrap();
    assert_eq!(
        s.release_template(&release("kiosk-2", &people[next], &m[next], at(41)))
            .unwrap(),
        Ok(())
    );
    // one alert for the window, for staff of the kiosk's township
    let alerts = s.alerts(Some(T1), 10).unwrap();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let a = &alerts[0];
    assert_eq!(
        (
            a.kind.as_str(),
            a.kiosk_id.as_deref(),
            a.township.as_deref(),
            a.at
        ),
        ("template_release_burst", Some("kiosk-1"), Some(T1), at(30))
    );
    assert_eq!(
        a.detail,
        serde_json::json!({ "people_in_window": MAX_PEOPLE_PER_WINDOW + 1, "window_secs": RELEASE_WINDOW_SECS, "limit": MAX_PEOPLE_PER_WINDOW })
    );
    assert_eq!(db.instance().alerts(None, 10).unwrap(), alerts);
    assert!(s.alerts(Some(T2), 10).unwrap().is_empty());
    // once the first releases leave the window, the kiosk may go on
    assert_eq!(
        s.release_template(&release(
            "kiosk-1",
            &people[next],
            &m[next],
            at(RELEASE_WINDOW_SECS + 1)
        ))
        .unwrap(),
        Ok(())
    );
    let trail = s.trail();
    let released: Vec<&[String; 4]> = trail
        .iter()
        .filter(|r| r[1] == "template.released")
        .collect();
    assert_eq!(released.len(), MAX_PEOPLE_PER_WINDOW + 3);
    assert_eq!(
        released[0].clone(),
        [
            "kiosk:kiosk-1".to_string(),
            "template.released".into(),
            format!("template:face:{}", &db_blind_index(&people[0])[..16]),
            serde_json::json!({ "kiosk": "kiosk-1", "modality": "face", "person": m[0] })
                .to_string()
        ]
    );
    assert_eq!(
        actions(&*s)
            .iter()
            .filter(|a| *a == "alert.template_release_burst")
            .count(),
        1
    );
    assert!(trail.iter().all(|r| !r.concat().contains(&people[0])));
    s.verify();
}

fn two_instances_releasing_at_the_limit_let_exactly_one_pass(db: &dyn Database) {
    let s = with_township(db);
    let people: Vec<String> = (0..MAX_PEOPLE_PER_WINDOW as u16 + 1)
        .map(|i| person(100 + i))
        .collect();
    for round in 0..6 {
        let kiosk = format!("kiosk-{round}");
        s.add_kiosk(&kiosk, T1, &[7; 32], "admin:cli").unwrap();
        for p in &people[..MAX_PEOPLE_PER_WINDOW - 1] {
            s.release_template(&release(&kiosk, p, "*", t0()))
                .unwrap()
                .unwrap();
        }
        let barrier = Arc::new(Barrier::new(2));
        let run = |p: String| {
            let (inst, barrier, kiosk) = (db.instance(), barrier.clone(), kiosk.clone());
            std::thread::spawn(move || {
                barrier.wait();
                inst.release_template(&release(&kiosk, &p, "*", t0() + Duration::seconds(5)))
                    .unwrap()
            })
        };
        let a = run(people[MAX_PEOPLE_PER_WINDOW - 1].clone());
        let b = run(people[MAX_PEOPLE_PER_WINDOW].clone());
        let results = [a.join().unwrap(), b.join().unwrap()];
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "round {round}: {results:?}"
        );
    }
    assert_eq!(s.alerts(None, 100).unwrap().len(), 6, "one per kiosk");
    s.verify();
}

fn bad_certification_input_is_refused_naming_the_field_and_stores_nothing(db: &dyn Database) {
    let (s, rec) = with_recipient(db, 1, "陈淑芬");
    let before = s.verify();
    let fresh = person(2);
    let bad = |f: &dyn Fn(&mut Recipient)| {
        let mut r = recipient(&fresh, "李四");
        f(&mut r);
        s.put_recipient(&r, "admin:test").unwrap_err()
    };
    let invalid = |e: StoreError, field: &str| {
        assert!(
            matches!(&e, StoreError::Invalid(m) if m.contains(field) && !m.contains(&fresh) && !m.contains(&rec)),
            "{field}: {e:?}"
        );
    };
    let mut wrong_check = fresh.clone();
    wrong_check.replace_range(17.., if fresh.ends_with('0') { "1" } else { "0" });
    invalid(bad(&|r| r.id_number = wrong_check.clone()), "id_number");
    invalid(bad(&|r| r.id_number = "12345".into()), "id_number");
    invalid(bad(&|r| r.name = " ".into()), "name");
    invalid(bad(&|r| r.name = "李4".into()), "name");
    invalid(bad(&|r| r.household_size = 0), "household_size");
    invalid(bad(&|r| r.amount_fen = -1), "amount_fen");
    invalid(bad(&|r| r.township = "no such;".into()), "township code");
    let e = bad(&|r| r.township = T2.into());
    assert!(
        matches!(&e, StoreError::NotFound(m) if m.contains(T2) && m.contains("not registered")),
        "{e:?}"
    );
    assert!(s.recipient(&fresh).unwrap().is_none());
    assert!(s.recipient(&wrong_check).unwrap().is_none());

    let g = person(3);
    let put = |recipient_id: &str, guardian_id: &str, name: &str, relation: &str| {
        s.put_guardian(
            &NewGuardian {
                recipient_id,
                guardian_id,
                name,
                relation,
                now: t0(),
            },
            "admin:cli",
        )
        .unwrap_err()
    };
    invalid(put(&rec, "12345", "谭永贵", "sibling"), "guardian_id");
    invalid(put("12345", &g, "谭永贵", "sibling"), "recipient_id");
    invalid(put(&rec, &rec, "谭永贵", "sibling"), "own guardian");
    invalid(put(&rec, &g, "", "sibling"), "name");
    invalid(put(&rec, &g, "谭永贵", " "), "relation");
    let e = put(&fresh, &g, "谭永贵", "sibling");
    assert!(
        matches!(&e, StoreError::NotFound(m) if m.contains("not a recipient")),
        "{e:?}"
    );
    assert!(!s.is_guardian(&rec, &g).unwrap());
    assert!(!s.is_guardian(&fresh, &g).unwrap());

    invalid(
        s.put_template(&rec, Modality::Face, b"", "admin:cli")
            .unwrap_err(),
        "template data",
    );
    assert_eq!(s.template(&rec, Modality::Face).unwrap(), None);
    assert_eq!(s.verify(), before, "nothing audited");
}

#[test]
fn postgres_personal_data_is_not_stored_in_clear() {
    let url = pg::shared().new_database();
    let s = PgStore::connect(&url, &keys(), 2).unwrap();
    s.put_township(&township(T1, "涪陵区江东街道"), "admin:test")
        .unwrap();
    s.add_kiosk("kiosk-1", T1, &[7; 32], "admin:cli").unwrap();
    let (rec, g) = (person(1), person(2));
    s.put_recipient(&recipient(&rec, "陈淑芬"), "admin:test")
        .unwrap();
    s.put_guardian(
        &NewGuardian {
            recipient_id: &rec,
            guardian_id: &g,
            name: "谭永贵",
            relation: "sibling",
            now: t0(),
        },
        "admin:cli",
    )
    .unwrap();
    let reference = b"FACE-REFERENCE-IN-CLEAR";
    s.put_template(&rec, Modality::Face, reference, "admin:cli")
        .unwrap();
    let assisted = CertificationRecord {
        mode: "guardian",
        assisted_by: Some(&g),
        ..certify(&rec, t0(), Some("p1"))
    };
    s.record_certification(&assisted, "{}", None).unwrap();
    let years = BTreeSet::new();
    s.record_alternative(&alternative("alt-1", &rec, t0(), &years), "{}", None)
        .unwrap();
    s.release_template(&release("kiosk-1", &rec, &masked(&rec), t0()))
        .unwrap()
        .unwrap();
    s.set_standing(&rec, Standing::Suspended, today(), "staff:clerk", t0())
        .unwrap();

    let mut c = pg_client(&url);
    let clear: Vec<Vec<u8>> = vec![
        rec.clone().into_bytes(),
        g.clone().into_bytes(),
        "陈淑芬".as_bytes().to_vec(),
        "谭永贵".as_bytes().to_vec(),
        reference.to_vec(),
    ];
    assert_no_value_in_clear(
        &mut c,
        &[
            "recipients",
            "guardians",
            "templates",
            "certifications",
            "proofs",
            "recipient_standing",
            "alternatives",
            "template_releases",
            "security_alerts",
            "audit",
        ],
        &clear,
    );
    // the rows hold the blind index, and the store opens what it sealed
    let bidx: String = c
        .query_one("SELECT id_number FROM recipients", &[])
        .unwrap()
        .get(0);
    assert_eq!(bidx, s.blind_index(&rec));
    assert_eq!(s.recipient(&rec).unwrap().unwrap().name, "陈淑芬");
    assert_eq!(
        s.template(&rec, Modality::Face).unwrap().as_deref(),
        Some(&reference[..])
    );
    assert_eq!(
        s.certifications_of(&rec).unwrap()[0].assisted_by.as_deref(),
        Some(g.as_str())
    );
    // a sealed name moved to another column does not open
    c.batch_execute("UPDATE recipients SET name = id_sealed")
        .unwrap();
    match s.recipient(&rec) {
        Err(e) => assert!(e.to_string().contains("recipients.name"), "{e}"),
        Ok(_) => panic!("a name sealed for another column opened"),
    }
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
        matches!(&e, StoreError::Invalid(m) if m.contains("the database connection string is not valid")),
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

// ---------------------------------------------------------------------------------------------
// Applications and cases, documents, the console (CaseStore, DocumentStore, ConsoleStore)
// ---------------------------------------------------------------------------------------------

mod cases {
    use super::*;
    use jiuzhu_central::store::{NewCase, NewPerson, WorkflowStep};
    use jiuzhu_core::api::DeliveryMethod;
    use jiuzhu_core::application::{Application, SuppliedMaterial, base_checklist};
    use jiuzhu_core::household::{Household, Member, Money, Relationship, TypeAvailability};
    use jiuzhu_core::id::{IdNumber, PersonName};
    use jiuzhu_core::workflow::{
        Action, Actor, Case, Event, InvestigationMethod, ReviewMethod, Role,
    };

    pub(super) const NAME: &str = "冉光秀";
    pub(super) const PHONE: &str = "13800000001";

    /// 10:00 in Chongqing on 2026-03-`day`.
    pub(super) fn day(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, 2, 0, 0).unwrap()
    }

    pub(super) fn cal() -> Calendar {
        Calendar::builtin()
    }

    /// A delegated township (the township confirms) with a kiosk.
    pub(super) fn with_case_township(db: &dyn Database) -> Arc<dyn Subject> {
        let s = db.instance();
        s.put_township(
            &Township {
                delegated: true,
                ..township(T1, "涪陵区江东街道")
            },
            "admin:test",
        )
        .unwrap();
        s.add_kiosk("kiosk-1", T1, &[7; 32], "admin:cli").unwrap();
        s
    }

    pub(super) fn digest(n: u8) -> String {
        format!("{n:02x}").repeat(32)
    }

    /// A one-person 低保 application by person `seq`, with every material and no signature.
    pub(super) fn new_case(seq: u16, body: &str) -> NewCase {
        household_case(seq, None, body)
    }

    pub(super) const SPOUSE: &str = "李明德";

    /// [`new_case`] with person `spouse` as the applicant's spouse, who must sign too.
    pub(super) fn household_case(seq: u16, spouse: Option<u16>, body: &str) -> NewCase {
        let id = person(seq);
        let mut members = vec![Member {
            name: PersonName::new(NAME).unwrap(),
            id_number: IdNumber::parse(&id).unwrap(),
            relationship: Relationship::Applicant,
        }];
        let mut people = vec![NewPerson {
            id_number: id.clone(),
            name: NAME.into(),
            role: "applicant".into(),
        }];
        if let Some(sp) = spouse {
            members.push(Member {
                name: PersonName::new(SPOUSE).unwrap(),
                id_number: IdNumber::parse(&person(sp)).unwrap(),
                relationship: Relationship::Spouse,
            });
            people.push(NewPerson {
                id_number: person(sp),
                name: SPOUSE.into(),
                role: "spouse".into(),
            });
        }
        let app = Application {
            assistance_type: AssistanceType::Dibao.into(),
            household: Household {
                township: T1.into(),
                village: "太极村".into(),
                members,
                incomes: vec![],
                assets: vec![],
            },
            agent: None,
            staff_relatives: vec![],
            staff_relative_declared: false,
            materials: base_checklist(AssistanceType::Dibao.into())
                .iter()
                .enumerate()
                .map(|(i, k)| SuppliedMaterial {
                    kind: *k,
                    sha256: digest(i as u8 + 1),
                })
                .collect(),
            signatures: BTreeSet::new(),
            confirmed_truthful: true,
        };
        let (workflow, effects) = Case::submit(
            "",
            app,
            true,
            &TypeAvailability::default(),
            &Actor::new(Role::Applicant, "kiosk:kiosk-1"),
            day(2),
            &cal(),
        )
        .unwrap();
        NewCase {
            township: T1.into(),
            assistance_type: AssistanceType::Dibao,
            applicant_id: id,
            agent_id: None,
            people,
            payload: format!("{{\"applicant\":\"{NAME}\"}}"),
            workflow,
            body_sha256: body.into(),
            effects,
            contact_phone: Some(PHONE.into()),
        }
    }

    pub(super) fn submit(s: &dyn Subject, seq: u16, key: &str) -> String {
        let (id, _, created) = s
            .submit("kiosk-1", key, new_case(seq, BODY_A), day(2), &cal())
            .unwrap();
        assert!(created);
        id
    }

    pub(super) fn clerk_actor() -> Actor {
        Actor::staff(Role::TownshipClerk, "clerk-1", T1)
    }

    /// Applies `action` by the clerk (or `actor`) on March `d`.
    pub(super) fn step(
        s: &dyn Subject,
        case: &str,
        actor: Option<Actor>,
        action: Action,
        d: u32,
    ) -> Result<Case, StoreError> {
        let cal = cal();
        s.apply_event(
            case,
            "staff:clerk-1",
            &WorkflowStep {
                event: Event::new(actor.unwrap_or_else(clerk_actor), action),
                now: day(d),
                calendar: &cal,
            },
        )
    }

    pub(super) fn sign(
        s: &dyn Subject,
        case: &str,
        seq: u16,
    ) -> Result<(String, bool), StoreError> {
        let cal = cal();
        let id = person(seq);
        s.sign(
            case,
            &id,
            "fingerprint",
            "kiosk:kiosk-1",
            &WorkflowStep {
                event: Event::new(
                    Actor::new(Role::Applicant, "kiosk:kiosk-1"),
                    Action::SignAuthorization {
                        signer: IdNumber::parse(&id).unwrap(),
                    },
                ),
                now: day(2) + Duration::minutes(5),
                calendar: &cal,
            },
            None,
        )
    }

    /// A signed, accepted case of person `seq` (the household got the acceptance notice).
    pub(super) fn accepted(s: &dyn Subject, seq: u16, key: &str) -> String {
        let id = submit(s, seq, key);
        sign(s, &id, seq).unwrap();
        step(s, &id, None, Action::Accept, 3).unwrap();
        id
    }

    pub(super) fn to_publicity(s: &dyn Subject, case: &str) -> Case {
        step(s, case, None, Action::StartInvestigation, 4).unwrap();
        step(
            s,
            case,
            None,
            Action::RecordFindings {
                eligible: true,
                summary: "入户调查：人均月收入 260 元，低于标准".into(),
                per_capita_income: Some(Money::yuan(260)),
                evidence: vec![digest(9)],
                methods: vec![
                    InvestigationMethod::HomeVisit,
                    InvestigationMethod::InformationCheck,
                ],
            },
            5,
        )
        .unwrap();
        step(
            s,
            case,
            None,
            Action::ProposeInitialOpinion {
                include: true,
                amount: Some(Money::yuan(620)),
                method: ReviewMethod::NoDispute,
                reviewers: vec!["分管领导".into(), "民政办主任".into(), "调查人员".into()],
                reasons: String::new(),
            },
            6,
        )
        .unwrap()
    }

    pub(super) fn objector_step(cal: &Calendar) -> WorkflowStep<'_> {
        WorkflowStep {
            event: Event::new(
                Actor::new(Role::Applicant, "kiosk:kiosk-1"),
                Action::ObjectToPublicity {
                    statement: "邻居反映其家中有经营性车辆".into(),
                },
            ),
            now: day(9),
            calendar: cal,
        }
    }

    pub(super) fn deliver<'a>(
        notice: i64,
        how: DeliveryMethod,
        ok: bool,
        now: DateTime<Utc>,
    ) -> Delivery<'a> {
        Delivery {
            notice,
            how,
            ok,
            detail: if ok { "gateway:sim-1" } else { "HTTP 503" },
            actor: "system:sms",
            now,
        }
    }

    pub(super) use jiuzhu_central::notices::Delivery;
    pub(super) use jiuzhu_core::api::DeadlineColour as Colour;
    pub(super) use jiuzhu_core::workflow::CaseState as State;
}

use cases::*;
use jiuzhu_core::api::DeliveryMethod;
use jiuzhu_core::workflow::{Action, Actor, Role};

fn a_submission_is_numbered_and_answered_once_per_key(db: &dyn Database) {
    let s = with_case_township(db);
    let (id, first, created) = s
        .submit(
            "kiosk-1",
            "submit-key-1",
            new_case(1, BODY_A),
            day(2),
            &cal(),
        )
        .unwrap();
    assert!(created);
    let summary = s.case_summary(&id).unwrap().unwrap();
    assert_eq!(summary.case_no.as_deref(), Some("江东-2026-00001"));
    assert_eq!(summary.state, "submitted");
    assert_eq!(summary.pending_signatures, [masked_name()]);
    assert_eq!(summary.submitted_at, day(2));
    assert_eq!(serde_json::to_string(&summary).unwrap(), first);
    // the same key again answers the first reply; with another body it is refused
    let again = s
        .submit(
            "kiosk-1",
            "submit-key-1",
            new_case(1, BODY_A),
            day(2),
            &cal(),
        )
        .unwrap();
    assert_eq!(again, (id.clone(), first.clone(), false));
    match s.submit(
        "kiosk-1",
        "submit-key-1",
        new_case(1, BODY_B),
        day(2),
        &cal(),
    ) {
        Err(StoreError::Unprocessable { code, .. }) => assert_eq!(code, "idempotency_key_reused"),
        other => panic!("another body under one key: {other:?}"),
    }
    let second = submit(s.as_ref(), 2, "submit-key-2");
    assert_eq!(
        s.case_summary(&second).unwrap().unwrap().case_no.as_deref(),
        Some("江东-2026-00002")
    );
    assert_eq!(s.case_id_of("江东-2026-00001").unwrap(), Some(id.clone()));
    assert_eq!(s.case_id_of(&id).unwrap(), Some(id.clone()));
    assert_eq!(s.case_id_of("江东-2026-00009").unwrap(), None);
    // the workflow case is kept with its stored id; the applicant finds it by number
    let case = s.case(&id).unwrap().unwrap();
    assert_eq!(
        (case.id.as_str(), case.state),
        (id.as_str(), State::Submitted)
    );
    let mine: Vec<String> = s
        .cases_of(&person(1), None)
        .unwrap()
        .into_iter()
        .map(|c| c.case_id)
        .collect();
    assert_eq!(mine, std::slice::from_ref(&id));
    assert!(s.cases_of(&person(1), Some(&person(3))).unwrap().is_empty());
    assert!(s.cases_of(&person(3), None).unwrap().is_empty());
    // an unknown township is refused and stores nothing
    let mut stray = new_case(3, BODY_A);
    stray.township = T2.into();
    assert!(matches!(
        s.submit("kiosk-1", "submit-key-3", stray, day(2), &cal()),
        Err(StoreError::Invalid(_))
    ));
    let history: Vec<String> = s
        .history(&id)
        .unwrap()
        .into_iter()
        .map(|h| h.action)
        .collect();
    assert_eq!(history, ["case.submitted"]);
    assert_eq!(s.history(&id).unwrap()[0].actor, "kiosk:kiosk-1");
    let stats = s.statistics(T1).unwrap();
    assert_eq!(stats.by_state.get("submitted"), Some(&2));
    assert_eq!(stats.by_type.get("dibao"), Some(&2));
    s.verify();
}

/// The applicant's name masked, as the store shows it.
fn masked_name() -> String {
    jiuzhu_core::id::PersonName::new(NAME).unwrap().masked()
}

fn two_instances_submitting_one_key_create_one_case(db: &dyn Database) {
    with_case_township(db);
    let barrier = Arc::new(Barrier::new(2));
    let rounds = 8;
    let race = |s: Arc<dyn Subject>, barrier: Arc<Barrier>| {
        std::thread::spawn(move || {
            (0..rounds)
                .map(|i| {
                    let case = new_case(10 + i as u16, BODY_A);
                    barrier.wait();
                    s.submit(
                        "kiosk-1",
                        &format!("race-submit-{i:04}"),
                        case,
                        day(2),
                        &cal(),
                    )
                    .unwrap()
                })
                .collect::<Vec<_>>()
        })
    };
    let ta = race(db.instance(), barrier.clone());
    let tb = race(db.instance(), barrier);
    let (ra, rb) = (ta.join().unwrap(), tb.join().unwrap());
    for i in 0..rounds {
        assert_eq!((&ra[i].0, &ra[i].1), (&rb[i].0, &rb[i].1), "key {i}");
        assert!(ra[i].2 ^ rb[i].2, "key {i}: exactly one created the case");
    }
    let s = db.instance();
    let numbers: BTreeSet<String> = s
        .queue(T1)
        .unwrap()
        .into_iter()
        .map(|c| c.case_no.unwrap())
        .collect();
    let expected: BTreeSet<String> = (1..=rounds).map(|n| format!("江东-2026-{n:05}")).collect();
    assert_eq!(numbers, expected, "one case per key, numbered without gaps");
    assert_eq!(
        actions(s.as_ref())
            .iter()
            .filter(|a| *a == "case.submitted")
            .count(),
        rounds
    );
}

fn case_numbers_stay_unique_when_instances_submit_at_once(db: &dyn Database) {
    with_case_township(db);
    let barrier = Arc::new(Barrier::new(2));
    let each = 6;
    let run = |s: Arc<dyn Subject>, barrier: Arc<Barrier>, me: usize| {
        std::thread::spawn(move || {
            barrier.wait();
            for i in 0..each {
                let seq = (20 + me * each + i) as u16;
                s.submit(
                    "kiosk-1",
                    &format!("k{me}-{i}"),
                    new_case(seq, BODY_A),
                    day(2),
                    &cal(),
                )
                .unwrap();
            }
        })
    };
    let (ta, tb) = (
        run(db.instance(), barrier.clone(), 0),
        run(db.instance(), barrier, 1),
    );
    ta.join().unwrap();
    tb.join().unwrap();
    let numbers: BTreeSet<String> = db
        .instance()
        .queue(T1)
        .unwrap()
        .into_iter()
        .map(|c| c.case_no.unwrap())
        .collect();
    let expected: BTreeSet<String> = (1..=2 * each)
        .map(|n| format!("江东-2026-{n:05}"))
        .collect();
    assert_eq!(numbers, expected);
}

fn signatures_materials_and_steps_carry_a_case_to_publication(db: &dyn Database) {
    let s = with_case_township(db);
    let other = db.instance();
    let id = submit(s.as_ref(), 1, "submit-key-1");
    // a stranger cannot sign; the member signs once
    assert!(matches!(
        sign(s.as_ref(), &id, 5),
        Err(StoreError::NotFound(_))
    ));
    let (summary, stored) = sign(s.as_ref(), &id, 1).unwrap();
    assert!(stored);
    assert!(summary.contains("\"pending_signatures\":[]"), "{summary}");
    assert!(matches!(
        sign(other.as_ref(), &id, 1),
        Err(StoreError::Conflict(_))
    ));
    let signers = other.case_signers(&id).unwrap();
    assert_eq!(signers.len(), 1);
    assert_eq!(
        (signers[0].name.as_str(), signers[0].role.as_str()),
        (NAME, "applicant")
    );
    assert_eq!(signers[0].signed_by.as_deref(), Some("fingerprint"));
    // a material: stored once by content, read back on another instance
    let png = b"\x89PNG\r\n\x1a\n-a-scan-".to_vec();
    let sha = digest(0x42);
    s.add_material(&id, &sha, "image/png", &png, "kiosk:kiosk-1", day(2), None)
        .unwrap();
    s.add_material(&id, &sha, "image/png", &png, "kiosk:kiosk-1", day(2), None)
        .unwrap();
    let files = other.case_files(&id).unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(
        (files[0].size, files[0].stored_at),
        (png.len() as u64, day(2))
    );
    assert_eq!(
        other.case_material(&id, &sha).unwrap(),
        Some(("image/png".to_string(), png.clone()))
    );
    assert_eq!(other.case_material(&id, &digest(0x43)).unwrap(), None);
    assert!(matches!(
        s.add_material(
            "no-such-case",
            &sha,
            "image/png",
            &png,
            "kiosk:kiosk-1",
            day(2),
            None
        ),
        Err(StoreError::NotFound(_))
    ));
    // a step naming an upload not linked to the case is refused
    let unlinked = Action::SupplyMaterials {
        materials: vec![jiuzhu_core::application::SuppliedMaterial {
            kind: jiuzhu_core::application::Material::IncomeProof,
            sha256: digest(0x44),
        }],
    };
    let applicant = Actor::new(Role::Applicant, "kiosk:kiosk-1");
    match step(s.as_ref(), &id, Some(applicant), unlinked, 2) {
        Err(StoreError::Invalid(m)) => assert!(m.contains("upload the file first"), "{m}"),
        other => panic!("unlinked upload: {other:?}"),
    }
    // the workflow refuses a step out of order and nothing changes
    assert!(matches!(
        step(s.as_ref(), &id, None, Action::Publish, 3),
        Err(StoreError::Workflow(_))
    ));
    step(s.as_ref(), &id, None, Action::Accept, 3).unwrap();
    let case = to_publicity(other.as_ref(), &id);
    assert_eq!(case.state, State::InPublicity);
    let posted = s.publicity(T1).unwrap();
    assert_eq!(posted.len(), 1);
    assert_eq!(
        (posted[0].masked_name.clone(), posted[0].inclusion),
        (masked_name(), true)
    );
    assert_eq!(posted[0].amount_fen, Some(62_000));
    let postings = other
        .publicity_postings(&[T1.to_string()], china_date(day(7)))
        .unwrap();
    assert_eq!(postings.len(), 1);
    assert_eq!(postings[0].case_no, "江东-2026-00001");
    assert!(
        other
            .publicity_postings(&[T2.to_string()], china_date(day(7)))
            .unwrap()
            .is_empty()
    );
    // the rest of the procedure: concluded, confirmed by the township, published
    step(s.as_ref(), &id, None, Action::ConcludePublicity, 16).unwrap();
    let leader = Actor::staff(Role::TownshipLeader, "leader-1", T1);
    step(
        s.as_ref(),
        &id,
        Some(leader),
        Action::Confirm {
            approve: true,
            amount: Some(jiuzhu_core::household::Money::yuan(620)),
            reasons: String::new(),
            review_meeting: false,
        },
        17,
    )
    .unwrap();
    assert!(s.publication(T1).unwrap().is_empty());
    let done = step(other.as_ref(), &id, None, Action::Publish, 18).unwrap();
    assert_eq!(done.state, State::Published);
    let listed = s.publication(T1).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].masked_name.clone(),
            listed[0].amount_fen,
            listed[0].household_size
        ),
        (masked_name(), Some(62_000), 1)
    );
    assert!(
        s.recipient(&person(1)).unwrap().is_some(),
        "published: a recipient"
    );
    assert!(s.publicity(T1).unwrap().is_empty());
    let history: Vec<String> = s
        .history(&id)
        .unwrap()
        .into_iter()
        .map(|h| h.action)
        .collect();
    for a in [
        "case.submitted",
        "case.sign_authorization",
        "case.signed",
        "case.material",
        "case.accept",
        "notice.issued",
        "case.publish",
    ] {
        assert!(
            history.iter().any(|h| h == a),
            "{a} missing from {history:?}"
        );
    }
    assert_eq!(
        s.cases_touched_by("staff:clerk-1").unwrap(),
        std::slice::from_ref(&id)
    );
    assert!(s.cases_touched_by("staff:nobody").unwrap().is_empty());
    let months = s.monthly_counts(Some(T1)).unwrap();
    assert_eq!(months.len(), 1);
    assert_eq!((months[0].month.as_str(), months[0].count), ("2026-03", 1));
    assert_eq!(s.monthly_counts(None).unwrap(), months);
    assert!(s.monthly_counts(Some(T2)).unwrap().is_empty());
    s.verify();
}

fn a_named_objection_stops_the_posting_once(db: &dyn Database) {
    let s = with_case_township(db);
    let id = accepted(s.as_ref(), 1, "submit-key-1");
    to_publicity(s.as_ref(), &id);
    let cal = cal();
    let objector = (person(7), "谭永贵");
    let case = s
        .publicity_objection(
            &id,
            (&objector.0, objector.1),
            "kiosk:kiosk-1",
            &objector_step(&cal),
        )
        .unwrap();
    assert_eq!(case.objections.len(), 1);
    assert!(
        s.publicity(T1).unwrap().is_empty(),
        "the posting is stopped"
    );
    let before = s.case(&id).unwrap().unwrap();
    let trail = s.trail().len();
    match s.publicity_objection(
        &id,
        (&objector.0, objector.1),
        "kiosk:kiosk-1",
        &objector_step(&cal),
    ) {
        // the posting is already stopped (公示异议): the workflow refuses another
        Err(StoreError::Workflow(_)) => {}
        other => panic!("a second objection: {other:?}"),
    }
    assert_eq!(
        s.case(&id).unwrap().unwrap(),
        before,
        "refused: nothing changed"
    );
    assert_eq!(s.trail().len(), trail);
    s.verify();
}

fn household_documents_are_delivered_once_and_text_messages_retried(db: &dyn Database) {
    let s = with_case_township(db);
    let other = db.instance();
    let id = accepted(s.as_ref(), 1, "submit-key-1");
    let docs = s.household_notices(&id).unwrap();
    assert!(!docs.is_empty(), "the acceptance notice is the household's");
    let first = docs[0].id;
    assert_eq!(s.household_notice_case(first).unwrap(), Some(id.clone()));
    let staff_docs = s.township_notices(T1, false).unwrap();
    assert!(
        staff_docs.len() > docs.len(),
        "staff also see their work notices"
    );
    let staff_only = staff_docs
        .iter()
        .find(|n| !docs.iter().any(|d| d.id == n.id))
        .unwrap();
    assert_eq!(s.household_notice_case(staff_only.id).unwrap(), None);
    assert_eq!(s.township_notices(T1, true).unwrap().len(), docs.len());
    assert!(s.township_notices(T2, false).unwrap().is_empty());
    // a text message per household document, with the number and no name
    let pending = s.pending_sms(100).unwrap();
    assert_eq!(
        pending.iter().map(|p| p.notice).collect::<Vec<_>>(),
        docs.iter().map(|d| d.id).collect::<Vec<_>>()
    );
    assert!(
        pending
            .iter()
            .all(|p| p.phone == PHONE && !p.text.contains(NAME))
    );
    assert!(
        pending[0].text.contains("江东-2026-00001"),
        "{}",
        pending[0].text
    );
    // a failed attempt leaves it pending; an accepted one delivers it, once
    let now = day(3) + Duration::hours(1);
    assert_eq!(
        s.record_delivery(&deliver(first, DeliveryMethod::Sms, false, now))
            .unwrap(),
        None
    );
    assert!(
        other
            .pending_sms(100)
            .unwrap()
            .iter()
            .any(|p| p.notice == first)
    );
    for p in other.pending_sms(100).unwrap() {
        if p.notice != first {
            other
                .record_delivery(&deliver(p.notice, DeliveryMethod::Sms, false, now))
                .unwrap();
        }
    }
    let got = other
        .record_delivery(&deliver(first, DeliveryMethod::Sms, true, now))
        .unwrap();
    assert_eq!(got, Some((china_date(now), DeliveryMethod::Sms, true)));
    let again = s
        .record_delivery(&Delivery {
            actor: "staff:clerk-1",
            ..deliver(
                first,
                DeliveryMethod::InPerson,
                true,
                now + Duration::days(1),
            )
        })
        .unwrap();
    assert_eq!(
        again,
        Some((china_date(now), DeliveryMethod::Sms, false)),
        "the first delivery stands"
    );
    assert!(
        !s.pending_sms(100)
            .unwrap()
            .iter()
            .any(|p| p.notice == first)
    );
    let read = &s.household_notices(&id).unwrap()[0];
    assert_eq!(
        (read.delivered_on, read.delivered_how),
        (Some(china_date(now)), Some(DeliveryMethod::Sms))
    );
    assert_eq!(s.township_notices(T1, true).unwrap().len(), docs.len() - 1);
    // a document whose messages failed the most times is left to the kiosk and staff
    let rest: Vec<i64> = s
        .pending_sms(100)
        .unwrap()
        .iter()
        .map(|p| p.notice)
        .collect();
    for n in &rest {
        for _ in 1..jiuzhu_central::notices::SMS_MAX_ATTEMPTS {
            s.record_delivery(&deliver(*n, DeliveryMethod::Sms, false, now))
                .unwrap();
        }
    }
    assert!(s.pending_sms(100).unwrap().is_empty());
    let trail = s.trail();
    assert!(
        trail
            .iter()
            .any(|r| r[1] == "notice.delivered" && r[2] == id)
    );
    assert!(trail.iter().any(|r| r[1] == "notice.delivery_failed"));
    s.verify();
}

fn two_members_signing_one_case_on_two_instances_both_count(db: &dyn Database) {
    // each step reads the case and writes it back: on PostgreSQL the case's row lock keeps the
    // second from overwriting the first
    let s = with_case_township(db);
    let rounds = 6u16;
    let ids: Vec<String> = (0..rounds)
        .map(|i| {
            let (id, _, _) = s
                .submit(
                    "kiosk-1",
                    &format!("household-{i}"),
                    household_case(100 + i, Some(200 + i), BODY_A),
                    day(2),
                    &cal(),
                )
                .unwrap();
            id
        })
        .collect();
    let barrier = Arc::new(Barrier::new(2));
    let signing = |s: Arc<dyn Subject>, barrier: Arc<Barrier>, ids: Vec<String>, base: u16| {
        std::thread::spawn(move || {
            for (i, id) in ids.iter().enumerate() {
                barrier.wait();
                sign(s.as_ref(), id, base + i as u16).unwrap();
            }
        })
    };
    let ta = signing(db.instance(), barrier.clone(), ids.clone(), 100);
    let tb = signing(db.instance(), barrier, ids.clone(), 200);
    ta.join().unwrap();
    tb.join().unwrap();
    for (i, id) in ids.iter().enumerate() {
        let case = s.case(id).unwrap().unwrap();
        assert_eq!(
            case.application.signatures.len(),
            2,
            "case {i}: both signatures are on the workflow case"
        );
        assert!(
            s.case_summary(id)
                .unwrap()
                .unwrap()
                .pending_signatures
                .is_empty()
        );
        step(s.as_ref(), id, None, Action::Accept, 3).unwrap();
    }
    s.verify();
}

fn the_sms_number_changes_at_most_three_times_a_day(db: &dyn Database) {
    let s = with_case_township(db);
    let id = submit(s.as_ref(), 1, "submit-key-1");
    for i in 0..3 {
        assert!(
            s.set_contact_phone(&id, &format!("1390000000{i}"), "kiosk:kiosk-1", day(3))
                .unwrap()
        );
    }
    assert!(
        !s.set_contact_phone(&id, "13900000009", "kiosk:kiosk-1", day(3))
            .unwrap()
    );
    assert_eq!(
        s.pending_sms(10).unwrap().len(),
        0,
        "no household document yet"
    );
    assert!(
        s.set_contact_phone(
            &id,
            "13900000008",
            "kiosk:kiosk-1",
            day(4) + Duration::hours(1)
        )
        .unwrap()
    );
    assert!(matches!(
        s.set_contact_phone("no-such-case", "13900000008", "kiosk:kiosk-1", day(5)),
        Err(StoreError::NotFound(_))
    ));
    let changes: Vec<[String; 4]> = s
        .trail()
        .into_iter()
        .filter(|r| r[1] == "case.contact_phone")
        .collect();
    assert_eq!(changes.len(), 4);
    assert!(
        changes.iter().all(|r| !r[3].contains("13900000008")),
        "the number is masked"
    );
    step(s.as_ref(), &id, None, Action::Accept, 3).unwrap_err();
    sign(s.as_ref(), &id, 1).unwrap();
    step(s.as_ref(), &id, None, Action::Accept, 5).unwrap();
    assert!(
        s.pending_sms(10)
            .unwrap()
            .iter()
            .all(|p| p.phone == "13900000008")
    );
}

fn the_deadline_scanner_colours_and_moves_open_cases(db: &dyn Database) {
    let s = with_case_township(db);
    let waiting = submit(s.as_ref(), 1, "submit-key-1");
    let accepted = accepted(s.as_ref(), 2, "submit-key-2");
    let cal = cal();
    let colour = |id: &str| s.case_summary(id).unwrap().unwrap().colour;
    assert_eq!(colour(&waiting), Some(Colour::Green));
    // weeks later, both are overdue: the scanner recolours them once
    let late = day(31);
    let changed = s.scan_deadlines(&cal, late).unwrap();
    assert_eq!(changed, 2);
    assert_eq!(colour(&waiting), Some(Colour::Overdue));
    assert_eq!(
        db.instance().scan_deadlines(&cal, late).unwrap(),
        0,
        "nothing more to do"
    );
    let queue: Vec<String> = s
        .queue(T1)
        .unwrap()
        .into_iter()
        .map(|c| c.case_id)
        .collect();
    assert_eq!(queue.len(), 2);
    assert!(queue.contains(&accepted));
    let scanned = s
        .trail()
        .into_iter()
        .filter(|r| r[0] == "system:deadline-scanner")
        .count();
    assert_eq!(scanned, 2);
    assert_eq!(s.statistics(T1).unwrap().by_colour.get("overdue"), Some(&2));
    s.verify();
}

fn the_console_reads_townships_kiosks_and_ends_sessions(db: &dyn Database) {
    let s = with_case_township(db);
    s.put_township(&township(T2, "涪陵区南沱镇"), "admin:test")
        .unwrap();
    let codes: Vec<String> = s.townships().unwrap().into_iter().map(|t| t.code).collect();
    assert_eq!(codes, [T1, T2]);
    s.add_kiosk("kiosk-2", T2, &[8; 32], "admin:cli").unwrap();
    s.revoke_kiosk("kiosk-2", "admin:cli").unwrap();
    let at = t0();
    assert!(
        s.remember_nonce("kiosk-1", &nonce(1), at.timestamp(), 0)
            .unwrap()
    );
    submit(s.as_ref(), 1, "submit-key-1");
    let all = db.instance().kiosk_activity(None).unwrap();
    assert_eq!(
        all.iter().map(|k| k.id.as_str()).collect::<Vec<_>>(),
        ["kiosk-1", "kiosk-2"]
    );
    assert!(!all[0].revoked && all[1].revoked);
    assert_eq!(all[0].last_contact, Some(at.max(day(2))));
    assert_eq!((all[0].releases, all[0].open_help_calls), (0, 0));
    assert_eq!(all[1].last_contact, None);
    assert_eq!(s.kiosk_activity(Some(T2)).unwrap().len(), 1);
    // logout: once, audited
    s.add_staff(&clerk("clerk"), "hash", "admin:cli").unwrap();
    let now = Utc::now();
    s.add_session("token-hash", "clerk", now.timestamp() + 60)
        .unwrap();
    assert!(db.instance().end_session("token-hash", now).unwrap());
    assert_eq!(s.session("token-hash", now.timestamp()).unwrap(), None);
    assert!(!s.end_session("token-hash", now).unwrap());
    s.add_session("expired", "clerk", now.timestamp() - 1)
        .unwrap();
    assert!(!s.end_session("expired", now).unwrap());
    assert_eq!(
        actions(s.as_ref())
            .iter()
            .filter(|a| *a == "staff.logout")
            .count(),
        1
    );
    s.record("staff:clerk", "staff.print_notice", "case-x", now)
        .unwrap();
    assert_eq!(s.trail().last().unwrap()[1], "staff.print_notice");
    assert_eq!(s.blind_index(&person(1)), db_blind_index(&person(1)));
    s.verify();
}

/// No row of `tables` holds any of `clear`, as text or as hex (how bytea reads as text).
fn assert_no_value_in_clear(c: &mut postgres::Client, tables: &[&str], clear: &[impl AsRef<[u8]>]) {
    for table in tables {
        let rows: String = c
            .query_one(
                &format!("SELECT coalesce(string_agg(t::text, ' '), '') FROM {table} t"),
                &[],
            )
            .unwrap()
            .get(0);
        for v in clear {
            let v = v.as_ref();
            let text = String::from_utf8_lossy(v);
            assert!(!rows.contains(&*text), "{table} holds a value in clear");
            assert!(
                !rows.contains(&hex::encode(v)),
                "{table} holds a value in clear (as bytes)"
            );
        }
    }
}

/// Two stores on one PostgreSQL database, as two central instances.
fn two_pg_instances() -> (String, PgStore, PgStore) {
    let url = pg::shared().new_database();
    let a = PgStore::connect(&url, &keys(), 4).unwrap();
    let b = PgStore::connect(&url, &keys(), 4).unwrap();
    (url, a, b)
}

#[test]
fn postgres_one_instance_scans_deadlines_at_a_time() {
    let db = PostgresDb {
        url: pg::shared().new_database(),
    };
    let s = with_case_township(&db);
    let n = 6;
    for i in 0..n {
        submit(s.as_ref(), 40 + i, &format!("submit-{i}"));
    }
    let (a, b) = (
        PgStore::connect(&db.url, &keys(), 4).unwrap(),
        PgStore::connect(&db.url, &keys(), 4).unwrap(),
    );
    let cal = cal();
    // while another instance holds the scan, a round does nothing
    let mut holder = pg_client(&db.url);
    let mut tx = holder.transaction().unwrap();
    let held: bool = tx
        .query_one(
            "SELECT pg_try_advisory_xact_lock($1)",
            &[&jiuzhu_central::store::pg::DEADLINE_SCAN_LOCK],
        )
        .unwrap()
        .get(0);
    assert!(held);
    assert_eq!(a.scan_deadlines(&cal, day(31)).unwrap(), 0);
    assert_eq!(b.scan_deadlines(&cal, day(31)).unwrap(), 0);
    let by_scanner = |s: &dyn Subject| {
        s.trail()
            .into_iter()
            .filter(|r| r[0] == "system:deadline-scanner")
            .map(|r| r[2].clone())
            .collect::<Vec<_>>()
    };
    assert!(
        by_scanner(s.as_ref()).is_empty(),
        "nothing scanned while the lock is held"
    );
    tx.rollback().unwrap();
    // two instances scanning at once: each case changes once, by one of them
    let (a, b) = (Arc::new(a), Arc::new(b));
    let barrier = Arc::new(Barrier::new(2));
    let scan = |s: Arc<PgStore>, barrier: Arc<Barrier>| {
        std::thread::spawn(move || {
            barrier.wait();
            s.scan_deadlines(&Calendar::builtin(), day(31)).unwrap()
        })
    };
    let (ta, tb) = (scan(a.clone(), barrier.clone()), scan(b.clone(), barrier));
    let (ca, cb) = (ta.join().unwrap(), tb.join().unwrap());
    assert_eq!(ca + cb, n as usize, "a: {ca}, b: {cb}");
    let scanned = by_scanner(s.as_ref());
    let cases: BTreeSet<&String> = scanned.iter().collect();
    assert_eq!(
        (scanned.len(), cases.len()),
        (n as usize, n as usize),
        "each case once"
    );
    assert_eq!(a.verify_audit().unwrap(), s.verify());
    // an instance asking for one connection still gets the two a round needs
    let small = PgStore::connect(&db.url, &keys(), 1).unwrap();
    assert_eq!(small.scan_deadlines(&cal, day(31)).unwrap(), 0);
}

#[test]
fn postgres_two_instances_never_get_one_text_message() {
    let (url, a, b) = two_pg_instances();
    let db = PostgresDb { url };
    let s = with_case_township(&db);
    let n = 8;
    for i in 0..n {
        accepted(s.as_ref(), 60 + i, &format!("submit-{i}"));
    }
    let all: BTreeSet<i64> = db
        .instance()
        .township_notices(T1, true)
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert!(all.len() >= n as usize);
    let (a, b) = (Arc::new(a), Arc::new(b));
    let barrier = Arc::new(Barrier::new(2));
    let round = |s: Arc<PgStore>, barrier: Arc<Barrier>| {
        std::thread::spawn(move || {
            let mut got = vec![];
            for _ in 0..all_rounds() {
                barrier.wait();
                got.extend(s.pending_sms(3).unwrap().into_iter().map(|p| p.notice));
            }
            got
        })
    };
    fn all_rounds() -> usize {
        8
    }
    let (ta, tb) = (round(a.clone(), barrier.clone()), round(b.clone(), barrier));
    let (ga, gb) = (ta.join().unwrap(), tb.join().unwrap());
    let (sa, sb): (BTreeSet<i64>, BTreeSet<i64>) =
        (ga.iter().copied().collect(), gb.iter().copied().collect());
    assert_eq!(
        sa.len() + sb.len(),
        ga.len() + gb.len(),
        "no document twice"
    );
    assert!(
        sa.is_disjoint(&sb),
        "a document handed to both: {:?}",
        sa.intersection(&sb)
    );
    assert_eq!(&sa | &sb, all, "every document handed out");
    assert!(a.pending_sms(100).unwrap().is_empty(), "all claimed");
    // recording an attempt releases the claim: a failed message comes round again
    let first = *all.iter().next().unwrap();
    b.record_delivery(&deliver(first, DeliveryMethod::Sms, false, day(3)))
        .unwrap();
    let again: Vec<i64> = a
        .pending_sms(100)
        .unwrap()
        .iter()
        .map(|p| p.notice)
        .collect();
    assert_eq!(again, [first]);
}

#[test]
fn postgres_case_data_is_sealed_and_materials_live_in_the_database() {
    let db = PostgresDb {
        url: pg::shared().new_database(),
    };
    let s = with_case_township(&db);
    let id = accepted(s.as_ref(), 1, "submit-key-1");
    to_publicity(s.as_ref(), &id);
    let scan = b"SCAN-OF-AN-ID-CARD-IN-CLEAR".to_vec();
    s.add_material(
        &id,
        &digest(0x42),
        "image/png",
        &scan,
        "kiosk:kiosk-1",
        day(6),
        None,
    )
    .unwrap();
    let cal = cal();
    s.publicity_objection(
        &id,
        (&person(7), "谭永贵"),
        "kiosk:kiosk-1",
        &objector_step(&cal),
    )
    .unwrap();
    let mut c = pg_client(&db.url);
    let objectors: i64 = c
        .query_one("SELECT count(*) FROM publicity_objectors", &[])
        .unwrap()
        .get(0);
    assert_eq!(objectors, 1);
    let clear: Vec<&[u8]> = vec![
        person(1).as_bytes().to_vec().leak(),
        person(7).as_bytes().to_vec().leak(),
        NAME.as_bytes(),
        "谭永贵".as_bytes(),
        PHONE.as_bytes(),
        &scan,
    ];
    assert_no_value_in_clear(
        &mut c,
        &[
            "cases",
            "case_people",
            "idempotency",
            "materials",
            "notice_deliveries",
            "publicity_objectors",
            "audit",
        ],
        &clear,
    );
    // another instance serves the material from the database
    let other = db.instance();
    assert_eq!(
        other.case_material(&id, &digest(0x42)).unwrap(),
        Some(("image/png".to_string(), scan))
    );
    // a case sealed for another case does not open
    let second = submit(s.as_ref(), 2, "submit-key-2");
    c.execute(
        "UPDATE cases SET case_json = (SELECT case_json FROM cases WHERE id = $1) WHERE id = $2",
        &[&id, &second],
    )
    .unwrap();
    match other.case(&second) {
        Err(e) => assert!(e.to_string().contains("cases.case_json"), "{e}"),
        Ok(_) => panic!("a case sealed for another case opened"),
    }
}

#[test]
fn postgres_audit_checkpoints_sign_and_catch_a_rewrite() {
    let url = pg::shared().new_database();
    let s = PgStore::connect(&url, &keys(), 2).unwrap();
    let district = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    for i in 0..3 {
        s.record("staff:a", "test", &format!("s{i}"), t0()).unwrap();
    }
    let cp = s.audit_checkpoint(&district, t0()).unwrap();
    assert_eq!(cp.seq, 3);
    s.record("staff:a", "test", "s3", t0()).unwrap();
    assert_eq!(
        s.verify_audit_checkpoint(&cp, &district.verifying_key())
            .unwrap(),
        4
    );
    let other = ed25519_dalek::SigningKey::from_bytes(&[8; 32]);
    assert!(
        s.verify_audit_checkpoint(&cp, &other.verifying_key())
            .is_err()
    );
    // the same checkpoint format as SQLite's
    let dir = tempfile::tempdir().unwrap();
    let lite = SqliteStore::open_with_keys(&dir.path().join("c.db"), &keys()).unwrap();
    let lite_cp = lite.audit_checkpoint(&district, t0()).unwrap();
    assert_eq!(
        (lite_cp.scheme, lite_cp.district_key),
        (cp.scheme.clone(), cp.district_key.clone())
    );
    // truncated: rows cut and the head rewritten
    let mut c = pg_client(&url);
    c.batch_execute(
        "DELETE FROM audit WHERE seq >= 3;
         UPDATE audit_head SET seq = 2, hash = (SELECT hash FROM audit WHERE seq = 2)",
    )
    .unwrap();
    assert_eq!(s.verify_audit().unwrap(), 2);
    let e = s
        .verify_audit_checkpoint(&cp, &district.verifying_key())
        .unwrap_err();
    assert!(e.to_string().contains("checkpoint"), "{e}");
}

#[test]
fn postgres_store_dropped_inside_an_async_task_closes_its_connections_quietly() {
    // the server's runtime drops the app state, and the store with it, inside a task
    let url = pg::shared().new_database();
    let s = PgStore::connect(&url, &keys(), 2).unwrap();
    s.record("staff:a", "test", "s", t0()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async move { drop(s) });
    let mut c = pg_client(&url);
    let others: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(others, 0, "the store's connections are closed");
}
