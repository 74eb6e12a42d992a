//! Crash safety of enqueue: a victim process (this test binary re-run with an environment
//! variable) enqueues records and reports each id on stdout only after `enqueue` returned, and is
//! killed with SIGKILL at a random moment, 200 times over the same store. Every reported id must
//! be in the store exactly once, and the store must open cleanly each time.

mod common;

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use jiuzhu_kiosk::store::Store;
use jiuzhu_kiosk::store::crypto::FileKeyProvider;
use jiuzhu_kiosk::store::outbox::OutboxKind;

const VICTIM_ENV: &str = "JIUZHU_STORE_SIGKILL_VICTIM";
const ROUNDS: usize = 200;

fn keys(dir: &Path) -> FileKeyProvider {
    FileKeyProvider::new(dir.join("data.key"))
}

/// The victim: only does something when started by `enqueue_survives_sigkill`.
#[test]
fn sigkill_victim() {
    let Ok(dir) = std::env::var(VICTIM_ENV) else {
        return;
    };
    let dir = Path::new(&dir);
    let mut s = Store::open(dir, &keys(dir)).expect("victim opens the store");
    let out = std::io::stdout();
    println!("ready");
    out.lock().flush().unwrap();
    let mut n = 0u64;
    loop {
        let payload = format!(
            r#"{{"n":{n},"pad":"{}"}}"#,
            "x".repeat((n % 7) as usize * 300)
        );
        let id = s
            .enqueue(
                OutboxKind::Certification,
                payload.as_bytes(),
                None,
                n as i64,
            )
            .unwrap();
        let mut o = out.lock();
        writeln!(o, "committed {id}").unwrap();
        o.flush().unwrap();
        n += 1;
    }
}

#[test]
fn enqueue_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut reported: HashSet<String> = HashSet::new();
    let mut rng = rand::thread_rng();
    let mut killed_mid_run = 0;
    for round in 0..ROUNDS {
        // Let the victim enqueue for a random 0–60 ms once it is up.
        let lines = common::run_and_kill(
            "sigkill_victim",
            &[(VICTIM_ENV, dir.path().to_string_lossy().into_owned())],
            Duration::from_millis(60),
            &mut rng,
        );
        let ids: Vec<String> = lines
            .iter()
            .filter_map(|l| l.strip_prefix("committed ").map(str::to_string))
            .collect();
        if !ids.is_empty() {
            killed_mid_run += 1;
        }
        for id in ids {
            assert!(reported.insert(id), "round {round}: id reported twice");
        }
        // After every kill the store opens and every reported id is in it.
        let s = Store::open(dir.path(), &keys(dir.path()))
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        let ids: Vec<String> = s
            .pending()
            .unwrap()
            .into_iter()
            .map(|e| e.id.to_string())
            .collect();
        let unique: HashSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "round {round}: duplicated rows");
        let missing = reported.iter().filter(|r| !unique.contains(r)).count();
        assert_eq!(
            missing, 0,
            "round {round}: {missing} committed records lost"
        );
        // At most one record per round was committed but killed before it was reported.
        assert!(ids.len() <= reported.len() + round + 1);
        assert!(
            s.verify_audit().unwrap().is_ok(),
            "round {round}: audit chain broken"
        );
    }
    eprintln!(
        "{ROUNDS} SIGKILLs, {} records reported committed, {killed_mid_run} kills landed mid-enqueue-loop",
        reported.len()
    );
    assert!(
        killed_mid_run >= ROUNDS / 4,
        "only {killed_mid_run} rounds committed anything: the kills did not exercise commits"
    );
    // Every kill after "ready" lands inside an enqueue or between two (the victim does nothing
    // else), and the test must have seen many commits across the rounds.
    assert!(reported.len() > ROUNDS);
}
