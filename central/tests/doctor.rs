//! `jiuzhu-central doctor` and the administration commands on PostgreSQL (issue #21): the
//! binary itself, run as an operator runs it, against a real PostgreSQL reached through a
//! credentials file, and against SQLite.

#[path = "support/pg.rs"]
mod pg;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_jiuzhu-central");

fn run(keys: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--keys-dir")
        .arg(keys)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn doctor_checks_a_postgresql_central_and_the_admin_commands_work_on_it() {
    let cluster = pg::shared();
    let url = cluster.new_database();
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    assert!(run(&keys, &["keys", "init"]).status.success());
    let url_file = dir.path().join("central-db.url");
    std::fs::write(&url_file, format!("# the test database\n{url}\n")).unwrap();
    std::fs::set_permissions(&url_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let f = url_file.to_str().unwrap();

    let seeded = run(&keys, &["seed-demo", "--db-url-file", f]);
    assert!(seeded.status.success(), "{}", text(&seeded));
    let o = run(&keys, &["doctor", "--db-url-file", f]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    for line in [
        "ok   keys: ",
        "ok   database: postgresql://jiuzhu@127.0.0.1:",
        "ok   server: PostgreSQL 1",
        "ok   TLS: not encrypted (the database is on this machine)",
        "ok   round trip: ",
        "ok   schema: ",
        "ok   audit chain: ",
    ] {
        assert!(t.contains(line), "no {line:?} in\n{t}");
    }
    // the password is nowhere in what an operator sees
    let pw = &url["postgresql://jiuzhu:".len()..url.find('@').unwrap()];
    assert!(!t.contains(pw), "{t}");
    let v = run(&keys, &["audit", "verify", "--db-url-file", f]);
    assert!(text(&v).contains("audit log intact"), "{}", text(&v));

    // a tampered audit row: doctor fails and names it
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    c.execute("UPDATE audit SET actor = 'someone' WHERE seq = 2", &[])
        .unwrap();
    let o = run(&keys, &["doctor", "--db-url-file", f]);
    assert!(!o.status.success());
    assert!(text(&o).contains("FAIL audit chain"), "{}", text(&o));

    // a credentials file others can read is refused before anything connects
    std::fs::set_permissions(&url_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = run(&keys, &["doctor", "--db-url-file", f]);
    assert!(!o.status.success());
    let t = text(&o);
    assert!(
        t.contains("FAIL database") && t.contains("readable by others"),
        "{t}"
    );
    let o = run(
        &keys,
        &["serve", "--db-url-file", f, "--listen", "127.0.0.1:0"],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("readable by others"), "{}", text(&o));

    // a database nobody listens on: named, with the reason, without the password
    let dead = "postgresql://jiuzhu:secret-pw-here@127.0.0.1:1/x";
    let o = run(&keys, &["doctor", "--db", dead]);
    assert!(!o.status.success());
    let t = text(&o);
    assert!(
        t.contains("FAIL database: postgresql://jiuzhu@127.0.0.1:1/x"),
        "{t}"
    );
    assert!(!t.contains("secret-pw-here"), "{t}");
}

#[test]
fn doctor_checks_a_sqlite_central() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let db = dir.path().join("central.db");
    let db = db.to_str().unwrap();
    assert!(run(&keys, &["seed-demo", "--db", db]).status.success());
    let o = run(&keys, &["doctor", "--db", db]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    for line in [
        "ok   keys: ",
        "ok   database: SQLite ",
        "ok   schema: ",
        "ok   audit chain: ",
    ] {
        assert!(t.contains(line), "no {line:?} in\n{t}");
    }
    // neither or both of --db and --db-url-file: clap says so
    let o = run(&keys, &["doctor"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("--db"), "{}", text(&o));
    // a pool size out of bounds is refused before anything opens
    for n in ["0", "1", "501", "4294967296", "-3", "many"] {
        let pool = format!("--db-pool={n}");
        let o = run(
            &keys,
            &["serve", "--db", db, &pool, "--listen", "127.0.0.1:0"],
        );
        assert!(!o.status.success(), "{pool} was taken");
        assert!(text(&o).contains("--db-pool"), "{}", text(&o));
    }
    let o = run(&keys, &["doctor", "--db", db, "--db-url-file", db]);
    assert!(!o.status.success());
    assert!(text(&o).contains("cannot be used with"), "{}", text(&o));
}
