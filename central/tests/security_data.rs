//! Issue #17, part B, against a real server on loopback and a real SQLite file: staff login
//! throttling and access control (item 4), the keyed and anchored audit chain (item 5), and
//! personal data at rest (item 10). The command-line tests run the built `jiuzhu-central`.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::Utc;
use jiuzhu_central::SqliteStore;
use jiuzhu_central::audit;
use jiuzhu_central::client::Conn;
use jiuzhu_central::crypto_at_rest::{AtRestKeys, KeysDir};
use jiuzhu_central::http::hash_password;
use jiuzhu_central::login_guard::LoginPolicy;
use jiuzhu_central::seed::{self, DEMO_TOWNSHIP};
use jiuzhu_central::store::prelude::*;
use jiuzhu_central::store::{MIGRATIONS, StaffAccess};
use jiuzhu_core::api::Modality;
use jiuzhu_core::id::today_in_china;
use serde_json::json;

mod support;
use support::{
    Central as Server, Setup, demo_password, header, login, staff_get, staff_post_raw, try_login,
};

async fn server_with(policy: LoginPolicy) -> Server {
    Setup::default()
        .keys_dir()
        .clock(Utc::now())
        .login_policy(policy)
        .start()
        .await
}

async fn server() -> Server {
    server_with(LoginPolicy::default()).await
}

/// The audit rows of the keying migration in a SQLite store.
fn keyed_rows(s: &SqliteStore) -> i64 {
    s.with_conn(|c| {
        c.query_row(
            "SELECT count(*) FROM audit WHERE action = 'audit.keyed'",
            [],
            |r| r.get(0),
        )
    })
    .unwrap()
}

fn audit_rows(s: &Server, action: &str) -> Vec<(String, String)> {
    assert!(
        action
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_')
    );
    s.rows(&format!(
        "SELECT actor, subject FROM audit WHERE action = '{action}' ORDER BY seq"
    ))
    .iter()
    .map(|r| (r[0].text(), r[1].text()))
    .collect()
}

// ------------------------------------------------------------------------------------------
// Item 4: staff login
// ------------------------------------------------------------------------------------------

/// 40 wrong passwords, then the right one: throttled with 429 + Retry-After, not 200; the
/// failures are in the audit log.
#[tokio::test]
async fn brute_force_login_is_throttled_with_retry_after_and_audited() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let (mut denied, mut throttled) = (0, 0);
    for i in 0..40 {
        let r = try_login(&mut c, "clerk", &format!("wrong-{i}")).await;
        match r.status {
            401 => {
                assert_eq!(r.error_code(), "bad_credentials");
                denied += 1
            }
            429 => {
                assert_eq!(r.error_code(), "too_many_logins");
                let secs: u64 = header(&r, "retry-after").unwrap().parse().unwrap();
                assert!((1..=900).contains(&secs), "{secs}");
                throttled += 1
            }
            other => panic!("unexpected {other}: {:?}", r.json()),
        }
    }
    assert!(denied <= 6, "{denied} guesses were checked");
    assert!(throttled >= 34, "{throttled}");
    let right = try_login(&mut c, "clerk", demo_password("clerk")).await;
    assert_eq!(
        right.status, 429,
        "the right password during the block is not let in"
    );
    // every checked guess is in the audit log, naming the account, by the client address
    let failed = audit_rows(&s, "staff.login_failed");
    assert_eq!(failed.len(), denied);
    assert!(
        failed
            .iter()
            .all(|(actor, subject)| actor == "address:127.0.0.1" && subject == "clerk")
    );
    // another account is not blocked by clerk's failures
    login(&mut c, "leader").await;
}

/// An unknown account costs one argon2 verification, like a known one with a wrong password,
/// and answers the same; guessing many names from one address is throttled per address.
#[tokio::test]
async fn unknown_accounts_answer_alike_and_an_address_guessing_names_is_throttled() {
    let s = server_with(LoginPolicy {
        address_free: 8,
        ..LoginPolicy::default()
    })
    .await;
    let mut c = Conn::new(s.addr);
    let g = s.state.login_guard.clone();
    let (before, _) = g.verification_counts();
    let unknown = try_login(&mut c, "no-such-user", "whatever-123").await;
    let (after_unknown, _) = g.verification_counts();
    let known = try_login(&mut c, "clerk", "whatever-123").await;
    let (after_known, _) = g.verification_counts();
    assert_eq!(
        after_unknown - before,
        1,
        "an unknown account is verified against the dummy hash"
    );
    assert_eq!(after_known - after_unknown, 1);
    assert_eq!(
        (unknown.status, unknown.error_code()),
        (known.status, known.error_code())
    );
    assert_eq!(
        unknown.json()["error"]["reason"],
        known.json()["error"]["reason"]
    );
    // the unknown name is not written to the audit log (it may be a mistyped password)
    let failed = audit_rows(&s, "staff.login_failed");
    assert_eq!(
        failed.iter().map(|f| f.1.as_str()).collect::<Vec<_>>(),
        vec!["unknown-account", "clerk"]
    );
    // a disabled account answers like an unknown one, even with its right password
    s.db(|store| store.set_staff_access("leader", StaffAccess::Disable, "test"))
        .unwrap();
    let r = try_login(&mut c, "leader", demo_password("leader")).await;
    assert_eq!(
        (r.status, r.error_code()),
        (known.status, known.error_code())
    );
    let mut last = 0;
    for i in 0..12 {
        last = try_login(&mut c, &format!("guess{i}"), "pw-0123456789")
            .await
            .status;
        if last == 429 {
            break;
        }
    }
    assert_eq!(
        last, 429,
        "the address is throttled after its free failures"
    );
}

/// 150 logins at once: at most `concurrent_hashes` argon2 runs at a time (each needs 19 MiB),
/// the rest wait or get 503 `login_busy` with Retry-After; nothing fails with 500.
#[tokio::test]
async fn a_flood_of_parallel_logins_is_bounded() {
    let s = server_with(LoginPolicy {
        concurrent_hashes: 2,
        max_waiting: 16,
        // every guess is checked (no back-off) so the flood reaches the hashing
        account_free: 1000,
        address_free: 1000,
        ..LoginPolicy::default()
    })
    .await;
    let mut tasks = Vec::new();
    for i in 0..150 {
        let addr = s.addr;
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::new(addr);
            let r = try_login(&mut c, &format!("user{}", i % 7), "pw-not-right-1").await;
            (r.status, header(&r, "retry-after").map(str::to_string))
        }));
    }
    let mut statuses = std::collections::BTreeMap::new();
    for t in tasks {
        let (status, retry) = t.await.unwrap();
        if status == 503 {
            assert_eq!(retry.as_deref(), Some("1"));
        }
        *statuses.entry(status).or_insert(0) += 1;
    }
    let (runs, peak) = s.state.login_guard.verification_counts();
    assert!(peak <= 2, "{peak} argon2 runs at once");
    assert!(
        statuses.keys().all(|k| [401, 503].contains(k)),
        "{statuses:?}"
    );
    assert!(
        statuses.get(&503).copied().unwrap_or(0) > 0,
        "the queue is bounded: {statuses:?}"
    );
    assert_eq!(runs, statuses[&401], "{statuses:?}");
}

/// Logout ends the caller's session; the district bureau revokes (and disables) another
/// account; a clerk may not; the account is back after `enable`.
#[tokio::test]
async fn logout_and_revocation_end_sessions() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let queue = format!("/v1/staff/townships/{DEMO_TOWNSHIP}/queue");

    // logout
    let t = login(&mut c, "clerk").await;
    assert_eq!(staff_get(&mut c, &t, &queue).await.status, 200);
    let r = staff_post_raw(&mut c, &t, "/v1/staff/logout", "").await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["sessions_ended"], 1);
    assert_eq!(staff_get(&mut c, &t, &queue).await.status, 401);
    assert_eq!(
        staff_post_raw(&mut c, &t, "/v1/staff/logout", "")
            .await
            .status,
        401
    );
    assert_eq!(
        staff_post_raw(&mut c, "bogus", "/v1/staff/logout", "")
            .await
            .status,
        401
    );
    let r = c.send("POST", "/v1/staff/logout", &[], b"").await.unwrap();
    assert_eq!(r.status, 401);

    // revocation by the district bureau
    let clerk_a = login(&mut c, "clerk").await;
    let clerk_b = login(&mut c, "clerk").await;
    let leader = login(&mut c, "leader").await;
    let bureau = login(&mut c, "bureau").await;
    let revoke = "/v1/staff/accounts/clerk/revoke";
    // abuse: a township leader may not; a malformed or unknown body; an unknown account; a
    // path segment far too long
    let r = staff_post_raw(&mut c, &leader, revoke, r#"{"disable":false}"#).await;
    assert_eq!((r.status, r.error_code().as_str()), (403, "forbidden"));
    for body in [
        "",
        "{}",
        r#"{"disable":"yes"}"#,
        r#"{"disable":true,"x":1}"#,
        "[1",
    ] {
        let r = staff_post_raw(&mut c, &bureau, revoke, body).await;
        assert!((400..=422).contains(&r.status), "{body}: {}", r.status);
    }
    let r = staff_post_raw(
        &mut c,
        &bureau,
        "/v1/staff/accounts/nobody/revoke",
        r#"{"disable":false}"#,
    )
    .await;
    assert_eq!(r.status, 404);
    let long = format!("/v1/staff/accounts/{}/revoke", "a".repeat(300));
    let r = staff_post_raw(&mut c, &bureau, &long, r#"{"disable":false}"#).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (422, "invalid_username")
    );
    assert_eq!(
        staff_get(&mut c, &clerk_a, &queue).await.status,
        200,
        "nothing changed yet"
    );

    let r = staff_post_raw(&mut c, &bureau, revoke, r#"{"disable":true}"#).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json(), json!({"sessions_ended": 2, "disabled": true}));
    for t in [&clerk_a, &clerk_b] {
        assert_eq!(staff_get(&mut c, t, &queue).await.status, 401);
    }
    let r = try_login(&mut c, "clerk", demo_password("clerk")).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (401, "bad_credentials")
    );
    assert_eq!(
        staff_get(&mut c, &leader, &queue).await.status,
        200,
        "others keep theirs"
    );
    let revoked = audit_rows(&s, "staff.sessions_revoked");
    assert_eq!(revoked, vec![("staff:bureau".into(), "clerk".into())]);
    assert_eq!(audit_rows(&s, "staff.disabled").len(), 1);
    assert_eq!(audit_rows(&s, "staff.logout").len(), 1);

    s.db(|store| store.set_staff_access("clerk", StaffAccess::Enable, "admin:test"))
        .unwrap();
    login(&mut c, "clerk").await;
    s.db(|store| store.set_staff_access("clerk", StaffAccess::Remove, "admin:test"))
        .unwrap();
    assert_eq!(
        try_login(&mut c, "clerk", demo_password("clerk"))
            .await
            .status,
        401
    );
    assert!(
        s.db(|store| store.set_staff_access("clerk", StaffAccess::Enable, "admin:test"))
            .is_err(),
        "a removed account stays removed"
    );
}

// ------------------------------------------------------------------------------------------
// Item 5: the audit chain
// ------------------------------------------------------------------------------------------

fn central_bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_jiuzhu-central"));
    c.env_remove("JIUZHU_CENTRAL_KEYS_DIR")
        .env_remove("CREDENTIALS_DIRECTORY")
        .env("RUST_LOG", "warn");
    c
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Recomputes the chain from row `from` on, as someone with write access to the file would:
/// with `mac` (plain SHA-256 without the key, or the HMAC with a stolen key), and the head.
fn recompute_chain(db: &Path, mac: &dyn Fn(&[u8]) -> String) {
    let c = rusqlite::Connection::open(db).unwrap();
    let rows: Vec<(i64, [String; 5])> = c
        .prepare("SELECT seq, at, actor, action, subject, detail FROM audit ORDER BY seq")
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?],
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut prev = audit::GENESIS.to_string();
    for (seq, [at, actor, action, subject, detail]) in rows {
        let h = mac(&audit::row_message(
            &prev, seq, &at, &actor, &action, &subject, &detail,
        ));
        c.execute(
            "UPDATE audit SET prev_hash = ?2, hash = ?3 WHERE seq = ?1",
            rusqlite::params![seq, prev, h],
        )
        .unwrap();
        prev = h;
    }
    c.execute(
        "UPDATE audit_head SET seq = (SELECT max(seq) FROM audit), hash = ?1",
        [prev],
    )
    .unwrap();
}

/// A database with `n` audit rows, made through the command line (keys in their own
/// directory), and a signed checkpoint of it.
fn audited_db(dir: &Path, n: usize) -> (PathBuf, PathBuf, PathBuf) {
    let keys = dir.join("keys");
    let db = dir.join("central.db");
    let (ok, out) = run(central_bin()
        .args(["--keys-dir"])
        .arg(&keys)
        .args(["seed-demo", "--db"])
        .arg(&db));
    assert!(ok, "{out}");
    let store = SqliteStore::open_with_keys(&db, &KeysDir::at(&keys).load().unwrap()).unwrap();
    for i in 0..n {
        store
            .record(
                "staff:clerk",
                "staff.view_case",
                &format!("case-{i}"),
                Utc::now(),
            )
            .unwrap();
    }
    drop(store);
    let cp = dir.join("checkpoint.json");
    let (ok, out) = run(central_bin()
        .args(["--keys-dir"])
        .arg(&keys)
        .args(["audit", "checkpoint", "--db"])
        .arg(&db)
        .args(["--out"])
        .arg(&cp));
    assert!(ok, "{out}");
    assert_eq!(
        std::fs::metadata(&cp).unwrap().permissions().mode() & 0o777,
        0o600
    );
    (db, keys, cp)
}

fn verify_cli(db: &Path, keys: &Path, cp: Option<&Path>) -> (bool, String) {
    let mut cmd = central_bin();
    cmd.args(["--keys-dir"])
        .arg(keys)
        .args(["audit", "verify", "--db"])
        .arg(db);
    if let Some(cp) = cp {
        cmd.args(["--checkpoint"]).arg(cp);
    }
    run(&mut cmd)
}

/// An edited row with the chain and head recomputed: without the key the chain no longer
/// verifies; with a stolen audit key it does, but the signed checkpoint catches it.
#[test]
fn an_edited_row_with_a_recomputed_chain_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (db, keys, cp) = audited_db(dir.path(), 30);
    assert!(verify_cli(&db, &keys, Some(&cp)).0);
    let edit = |db: &Path| {
        rusqlite::Connection::open(db)
            .unwrap()
            .execute(
                "UPDATE audit SET actor = 'staff:nobody' WHERE subject = 'case-3'",
                [],
            )
            .unwrap();
    };
    // without the key: plain SHA-256, as `audit verify` accepted before
    edit(&db);
    recompute_chain(&db, &|m| {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(m))
    });
    let (ok, out) = verify_cli(&db, &keys, None);
    assert!(!ok && out.contains("was edited"), "{out}");
    // with the stolen audit key the chain is consistent again, but not what the district signed
    let k = KeysDir::at(&keys).load().unwrap();
    recompute_chain(&db, &|m| k.audit_mac(m));
    assert!(
        verify_cli(&db, &keys, None).0,
        "the chain alone cannot tell"
    );
    let (ok, out) = verify_cli(&db, &keys, Some(&cp));
    assert!(!ok && out.contains("no longer has the hash"), "{out}");
}

/// The last 20 rows deleted and the head rewritten: caught by the checkpoint.
#[test]
fn deleting_the_last_rows_and_rewriting_the_head_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (db, keys, cp) = audited_db(dir.path(), 30);
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute_batch(
        "DELETE FROM audit WHERE seq > (SELECT max(seq) - 20 FROM audit);
         UPDATE audit_head SET seq = (SELECT max(seq) FROM audit),
                               hash = (SELECT hash FROM audit ORDER BY seq DESC LIMIT 1);",
    )
    .unwrap();
    drop(c);
    assert!(
        verify_cli(&db, &keys, None).0,
        "a consistent, shorter chain"
    );
    let (ok, out) = verify_cli(&db, &keys, Some(&cp));
    assert!(!ok && out.contains("rows were deleted"), "{out}");
    // a checkpoint signed by another key is refused
    let mut forged: audit::Checkpoint =
        serde_json::from_str(&std::fs::read_to_string(&cp).unwrap()).unwrap();
    forged.seq = 3;
    let forged_path = dir.path().join("forged.json");
    std::fs::write(&forged_path, serde_json::to_string(&forged).unwrap()).unwrap();
    let (ok, out) = verify_cli(&db, &keys, Some(&forged_path));
    assert!(!ok && out.contains("does not verify"), "{out}");
}

/// A chain written before the key (plain SHA-256) is verified under the old rule and re-chained
/// under the key when the database is opened; a legacy chain that was tampered with is refused.
#[test]
fn a_legacy_chain_is_rechained_under_the_key_once() {
    for tampered in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let keys = KeysDir::at(dir.path().join("keys")).load().unwrap();
        let db = dir.path().join("c.db");
        let s = SqliteStore::open_with_keys(&db, &keys).unwrap();
        for i in 0..5 {
            s.record("staff:a", "test", &format!("s{i}"), Utc::now())
                .unwrap();
        }
        drop(s);
        recompute_chain(&db, &|m| {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(m))
        });
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute("UPDATE audit_head SET scheme = 'sha256'", [])
            .unwrap();
        if tampered {
            c.execute("UPDATE audit SET actor = 'x' WHERE seq = 2", [])
                .unwrap();
        }
        drop(c);
        match SqliteStore::open_with_keys(&db, &keys) {
            Ok(s) => {
                assert!(!tampered);
                assert_eq!(s.verify_audit().unwrap(), 6);
                assert_eq!(keyed_rows(&s), 1);
                drop(s);
                let s = SqliteStore::open_with_keys(&db, &keys).unwrap();
                assert_eq!(keyed_rows(&s), 1, "once");
            }
            Err(e) => assert!(tampered && e.to_string().contains("edited"), "{e}"),
        }
    }
}

/// Every state change of a case is in the chain, the deadline scanner's too, and every template
/// release names whose reference (blind index, never the number) went to which kiosk.
#[tokio::test]
async fn case_changes_scanner_changes_and_template_releases_are_audited() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let idn = seed::demo_id("19800101", 501);
    let body = json!({
        "township": DEMO_TOWNSHIP,
        "assistance_type": "dibao",
        "applicant": {"id_number": idn, "name": "张三"},
        "members": [],
    });
    let r = c
        .signed(
            &s.kiosk,
            "POST",
            "/v1/kiosk/applications",
            body.to_string().as_bytes(),
            &[("idempotency-key", "sec-data-case-0001".into())],
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{:?}", r.json());
    let case = r.json()["case_id"].as_str().unwrap().to_string();
    // the working days run out with nobody acting: the scanner recolours the case
    let mut scanned = 0;
    for _ in 0..6 {
        s.advance(7);
        scanned += s.scan_deadlines().unwrap();
    }
    assert!(scanned > 0);
    let by_scanner: Vec<_> = s
        .db(|store| store.history(&case))
        .unwrap()
        .into_iter()
        .filter(|h| h.actor == "system:deadline-scanner")
        .collect();
    assert_eq!(
        by_scanner.len(),
        scanned,
        "every change of the scanner is audited"
    );
    assert!(case.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'));
    let states: i64 = s.count_sql(&format!(
        "SELECT count(*) FROM audit WHERE subject = '{case}'"
    ));
    assert!(states as usize > scanned);

    // template release
    let r = &s.recipients[0];
    s.db(|store| store.put_template(&r.id_number, Modality::Fingerprint, &[9u8; 512], "test"))
        .unwrap();
    let q = json!({"id_number": r.id_number, "modality": "fingerprint"});
    let rep = c
        .signed(
            &s.kiosk,
            "POST",
            "/v1/kiosk/templates",
            q.to_string().as_bytes(),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rep.status, 200, "{:?}", rep.json());
    let released = audit_rows(&s, "template.released");
    let subject = format!(
        "template:fingerprint:{}",
        &s.db(|store| store.blind_index(&r.id_number))[..16]
    );
    assert_eq!(released, vec![("kiosk:kiosk-1".to_string(), subject)]);
    assert!(s.db(|store| store.verify_audit()).is_ok());
}

// ------------------------------------------------------------------------------------------
// Item 10: personal data at rest
// ------------------------------------------------------------------------------------------

fn raw_files(db: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for suffix in ["", "-wal"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        if let Ok(b) = std::fs::read(PathBuf::from(p)) {
            all.extend(b);
        }
    }
    all
}

/// Every row of the database as `pg_dump` writes it (PostgreSQL's client tools, with the server).
fn pg_dump(url: &str) -> Vec<u8> {
    let bin = support::pg::bin_dir().unwrap().join("pg_dump");
    let out = Command::new(&bin)
        .args(["--data-only", "--no-owner", "--dbname"])
        .arg(url)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
    assert!(
        out.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The raw database file (and its WAL) holds no ID number, name or template bytes after
/// submissions, recipients, guardians, templates and certifications went in through the API.
#[tokio::test]
async fn the_raw_database_holds_no_id_number_name_or_template() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let applicant = seed::demo_id("19800101", 601);
    let member = seed::demo_id("20100101", 602);
    let body = json!({
        "township": DEMO_TOWNSHIP,
        "assistance_type": "dibao",
        "applicant": {"id_number": applicant, "name": "欧阳秀英"},
        "members": [{"person": {"id_number": member, "name": "欧阳小明"}, "relation": "child"}],
        "village": "太白村",
    });
    let r = c
        .signed(
            &s.kiosk,
            "POST",
            "/v1/kiosk/applications",
            body.to_string().as_bytes(),
            &[("idempotency-key", "sec-data-case-0002".into())],
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{:?}", r.json());
    let template: Vec<u8> = (0..512u32).map(|i| (i * 37 % 251) as u8).collect();
    let r0 = &s.recipients[0];
    s.db(|store| store.put_template(&r0.id_number, Modality::Fingerprint, &template, "test"))
        .unwrap();
    // the status of the applicant still answers through the blind index
    let st = c
        .signed(
            &s.kiosk,
            "POST",
            "/v1/kiosk/status",
            json!({"id_number": applicant}).to_string().as_bytes(),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(st.status, 200, "{:?}", st.json());
    assert_eq!(
        st.json()["cases"].as_array().map(Vec::len),
        Some(1),
        "{:?}",
        st.json()
    );
    assert_eq!(
        s.db(|store| store.template(&r0.id_number, Modality::Fingerprint))
            .unwrap(),
        Some(template.clone())
    );
    assert_eq!(
        s.db(|store| store.recipient(&r0.id_number))
            .unwrap()
            .unwrap()
            .name,
        r0.name
    );
    let publication = s.db(|store| store.publication(DEMO_TOWNSHIP)).unwrap();
    assert!(!publication.is_empty());

    let db = s.dir.path().join("db").join("central.db");
    // what a stolen disk or backup holds: SQLite's file and WAL, PostgreSQL's dump of every row
    let raw = match &s.backend {
        support::Backend::Sqlite(_) => raw_files(&db),
        support::Backend::Postgres { url, .. } => pg_dump(url),
    };
    assert!(raw.len() > 4096);
    let mut secrets: Vec<(String, Vec<u8>)> = vec![
        (applicant.clone(), applicant.as_bytes().to_vec()),
        (member.clone(), member.as_bytes().to_vec()),
        ("欧阳秀英".into(), "欧阳秀英".as_bytes().to_vec()),
        ("欧阳小明".into(), "欧阳小明".as_bytes().to_vec()),
        ("template".into(), template[100..132].to_vec()),
    ];
    for r in &s.recipients {
        secrets.push((r.id_number.clone(), r.id_number.as_bytes().to_vec()));
        secrets.push((r.name.clone(), r.name.as_bytes().to_vec()));
    }
    for g in seed::DEMO_GUARDIANS {
        secrets.push((g.guardian_id.into(), g.guardian_id.as_bytes().to_vec()));
        secrets.push((g.name.into(), g.name.as_bytes().to_vec()));
    }
    for (what, bytes) in &secrets {
        assert!(!contains(&raw, bytes), "{what} is in the raw database file");
        // pg_dump writes bytea as hex: a value kept unsealed in a bytea column shows so
        assert!(
            !contains(&raw, hex::encode(bytes).as_bytes()),
            "{what} is in the raw database, hex-encoded"
        );
    }
    // the database is useless without the keys directory
    let other = AtRestKeys::from_bytes([1; 32], [2; 32]);
    if let support::Backend::Postgres { url, .. } = &s.backend {
        let (url, id) = (url.clone(), r0.id_number.clone());
        std::thread::spawn(move || {
            let st = jiuzhu_central::store::pg::PgStore::connect(&url, &other, 1).unwrap();
            assert!(
                st.verify_audit().is_err(),
                "the audit chain verified with other keys"
            );
            assert!(st.recipient(&id).unwrap().is_none());
        })
        .join()
        .unwrap();
        return;
    }
    let copy = s.dir.path().join("copy.db");
    std::fs::copy(&db, &copy).unwrap();
    match SqliteStore::open_with_keys(&copy, &other) {
        Err(e) => assert!(
            e.to_string().contains("edited") || e.to_string().contains("key"),
            "{e}"
        ),
        Ok(st) => assert!(st.recipient(&r0.id_number).unwrap().is_none()),
    }
}

/// The database, its WAL and shared-memory files and every key file are 0600 (keys directory
/// 0700) even under a permissive umask, as when started from a shell.
#[test]
fn files_are_private_whatever_the_umask() {
    let old = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o002));
    let dir = tempfile::tempdir().unwrap();
    let keys_dir = dir.path().join("keys");
    let keys = KeysDir::at(&keys_dir).load().unwrap();
    let db = dir.path().join("central.db");
    let s = SqliteStore::open_with_keys(&db, &keys).unwrap();
    s.record("staff:a", "test", "x", Utc::now()).unwrap();
    nix::sys::stat::umask(old);
    for f in ["central.db", "central.db-wal", "central.db-shm"] {
        let mode = std::fs::metadata(dir.path().join(f))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{f}");
    }
    for f in ["audit.key", "data.key"] {
        let mode = std::fs::metadata(keys_dir.join(f))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{f}");
    }
    assert_eq!(
        std::fs::metadata(&keys_dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    // an existing database made 0644 by an older version is made private when opened
    drop(s);
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(SqliteStore::open_with_keys(&db, &keys).unwrap());
    assert_eq!(
        std::fs::metadata(&db).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

/// The command line needs a configured keys directory (flag, environment or systemd
/// credentials), takes no key from beside the database, and creates what it writes 0600 under
/// the shell's umask.
#[test]
fn the_command_line_takes_keys_from_a_configured_directory_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("central.db");
    let (ok, out) = run(central_bin().args(["seed-demo", "--db"]).arg(&db));
    assert!(!ok && out.contains("no keys directory"), "{out}");
    assert!(!db.exists(), "nothing was created");
    let keys = dir.path().join("secrets");
    let (ok, out) = run(central_bin()
        .env("JIUZHU_CENTRAL_KEYS_DIR", &keys)
        .args(["seed-demo", "--db"])
        .arg(&db));
    assert!(ok, "{out}");
    for f in ["central.db", "central.db-wal", "central.db-shm"] {
        if let Ok(m) = std::fs::metadata(dir.path().join(f)) {
            assert_eq!(m.permissions().mode() & 0o777, 0o600, "{f}");
        }
    }
    // systemd's read-only credentials directory: missing keys are not created there
    let creds = dir.path().join("creds");
    std::fs::create_dir(&creds).unwrap();
    let (ok, out) = run(central_bin()
        .env("CREDENTIALS_DIRECTORY", &creds)
        .args(["audit", "verify", "--db"])
        .arg(&db));
    assert!(!ok && out.contains("missing"), "{out}");
    // with the keys given as credentials it works
    for f in ["audit.key", "data.key"] {
        std::fs::copy(keys.join(f), creds.join(f)).unwrap();
        std::fs::set_permissions(creds.join(f), std::fs::Permissions::from_mode(0o400)).unwrap();
    }
    let (ok, out) = run(central_bin()
        .env("CREDENTIALS_DIRECTORY", &creds)
        .args(["audit", "verify", "--db"])
        .arg(&db));
    assert!(ok, "{out}");
    // a district key left beside the database by an older version is not used silently
    std::fs::write(dir.path().join("central.db.district-key"), "00".repeat(32)).unwrap();
    let (ok, out) = run(central_bin()
        .args(["--keys-dir"])
        .arg(&keys)
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db));
    assert!(!ok && out.contains("beside the database"), "{out}");
    // staff commands over the command line
    let staff = |args: &[&str]| {
        run(central_bin()
            .args(["--keys-dir"])
            .arg(&keys)
            .args(["staff"])
            .args(args)
            .args(["--db"])
            .arg(&db))
    };
    let (ok, out) = staff(&["disable", "--username", "clerk"]);
    assert!(ok, "{out}");
    let s = SqliteStore::open_with_keys(&db, &KeysDir::at(&keys).load().unwrap()).unwrap();
    assert!(s.staff_with_hash("clerk").unwrap().is_none());
    drop(s);
    assert!(staff(&["enable", "--username", "clerk"]).0);
    assert!(staff(&["logout", "--username", "clerk"]).0);
    assert!(staff(&["remove", "--username", "clerk"]).0);
    let (ok, out) = staff(&["enable", "--username", "clerk"]);
    assert!(!ok && out.contains("removed"), "{out}");
    let (ok, out) = staff(&["disable", "--username", "nobody"]);
    assert!(!ok && out.contains("no staff account"), "{out}");
}

/// Rows written in clear by an older version are converted by the migration: afterwards they
/// read back through the store, and the raw file holds none of them.
#[test]
fn existing_plaintext_rows_are_converted() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("central.db");
    let idn = seed::demo_id("19450303", 7);
    let tpl: Vec<u8> = (0..256u32).map(|i| (i * 13 % 255) as u8).collect();
    {
        // the schema as the last release left it, with its rows
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute_batch(
            "CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)",
        )
        .unwrap();
        for (v, sql) in MIGRATIONS.iter().take(5) {
            c.execute_batch(sql).unwrap();
            c.execute("INSERT INTO schema_migrations VALUES (?1, 'then')", [v])
                .unwrap();
        }
        c.execute_batch(&format!(
            "INSERT INTO townships VALUES ('{DEMO_TOWNSHIP}', '演示', '1', '2', 1);
             INSERT INTO recipients VALUES ('{idn}', '司马桂兰', '{DEMO_TOWNSHIP}', 'dibao', 1, 50000, '2020-01-01', NULL);
             INSERT INTO guardians VALUES ('{idn}', '500102193706110018', '司马长风', 'child', 'admin', 'then');"
        ))
        .unwrap();
        c.execute(
            "INSERT INTO templates VALUES (?1, 'fingerprint', ?2)",
            rusqlite::params![idn, tpl],
        )
        .unwrap();
    }
    let keys = KeysDir::at(dir.path().join("keys")).load().unwrap();
    let s = SqliteStore::open_with_keys(&db, &keys).unwrap();
    let r = s
        .recipient(&idn)
        .unwrap()
        .expect("found through the blind index");
    assert_eq!(
        (r.id_number.as_str(), r.name.as_str()),
        (idn.as_str(), "司马桂兰")
    );
    assert_eq!(
        s.template(&idn, Modality::Fingerprint).unwrap(),
        Some(tpl.clone())
    );
    assert!(s.is_guardian(&idn, "500102193706110018").unwrap());
    s.with_conn(|c| c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)"))
        .unwrap();
    drop(s);
    let raw = raw_files(&db);
    for (what, bytes) in [
        ("number", idn.as_bytes()),
        ("name", "司马桂兰".as_bytes()),
        ("guardian", "司马长风".as_bytes()),
        ("guardian number", b"500102193706110018".as_slice()),
        ("template", &tpl[40..72]),
    ] {
        assert!(!contains(&raw, bytes), "{what} left in clear");
    }
}

/// A sealed reference template copied onto another person's row does not open: a database
/// writer without the data key cannot give one person another's biometric reference.
#[test]
fn a_sealed_reference_moved_to_another_person_does_not_open() {
    let dir = tempfile::tempdir().unwrap();
    let keys = KeysDir::at(dir.path().join("keys")).load().unwrap();
    let s = SqliteStore::open_with_keys(&dir.path().join("c.db"), &keys).unwrap();
    let hash = |p: &str| hash_password(p).unwrap();
    let people = seed::seed_demo(&s, today_in_china(), &hash).unwrap();
    let (a, b) = (&people[0].id_number, &people[1].id_number);
    s.put_template(a, Modality::Fingerprint, &[1u8; 512], "test")
        .unwrap();
    s.put_template(b, Modality::Fingerprint, &[2u8; 512], "test")
        .unwrap();
    s.with_conn(|c| {
        c.execute(
            "UPDATE templates SET data = (SELECT data FROM templates WHERE id_number = ?1)
             WHERE id_number = ?2",
            [s.blind_index(a), s.blind_index(b)],
        )
    })
    .unwrap();
    assert_eq!(
        s.template(a, Modality::Fingerprint).unwrap(),
        Some(vec![1u8; 512])
    );
    let err = s.template(b, Modality::Fingerprint).unwrap_err();
    assert!(err.to_string().contains("does not open"), "{err}");
}
