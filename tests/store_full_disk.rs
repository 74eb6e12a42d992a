//! A really full disk: as root, the store is put on a 512 KiB tmpfs and filled until the kernel
//! answers ENOSPC. The error must say what to do, and every record committed before must still
//! be there after reopening. (`store_outbox.rs` covers the same path without root through
//! SQLite's `max_page_count`.) Without root or without `mount`, the test prints why it skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

use jiuzhu_kiosk::store::crypto::FileKeyProvider;
use jiuzhu_kiosk::store::outbox::OutboxKind;
use jiuzhu_kiosk::store::{Store, StoreError};

struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Result<Tmpfs, String> {
        if !nix_is_root() {
            return Err("not running as root".into());
        }
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(at)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Tmpfs(at.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn nix_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

#[test]
fn a_full_tmpfs_gives_a_clear_error_and_keeps_what_was_committed() {
    let outer = tempfile::tempdir().unwrap();
    let mnt = outer.path().join("small");
    std::fs::create_dir(&mnt).unwrap();
    let _fs = match Tmpfs::mount(&mnt, "512k") {
        Ok(m) => m,
        Err(why) => {
            eprintln!(
                "SKIPPED a_full_tmpfs_gives_a_clear_error_and_keeps_what_was_committed: {why}"
            );
            return;
        }
    };
    let keys = FileKeyProvider::new(mnt.join("data.key"));
    let dir = mnt.join("store");
    let mut committed = Vec::new();
    {
        let mut s = Store::open(&dir, &keys).unwrap();
        let payload = vec![b'y'; 6000];
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
            assert!(committed.len() < 10_000, "the tmpfs never filled");
        };
        assert!(matches!(err, StoreError::DiskFull { .. }), "{err:?}");
        assert!(err.to_string().contains("NOT saved"), "{err}");
        assert!(committed.len() >= 5, "only {} records fit", committed.len());
        assert_eq!(s.pending().unwrap().len(), committed.len());
    }
    let s = Store::open(&dir, &keys).unwrap();
    let ids: Vec<_> = s.pending().unwrap().into_iter().map(|e| e.id).collect();
    assert_eq!(
        ids, committed,
        "every committed record survives the full disk"
    );
    for id in ids {
        assert_eq!(s.load(id).unwrap().payload.len(), 6000);
    }
    assert!(s.verify_audit().unwrap().is_ok());
}
