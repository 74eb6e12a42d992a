//! `jiuzhu-kiosk enroll` as a process: key created 0600, public key readable by the central
//! service's own parser, refuses to overwrite, rejects bad input with exit 2.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

fn enroll(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_jiuzhu-kiosk"))
        .arg("enroll")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn enroll_creates_a_private_key_and_prints_the_registration() {
    let dir = tempfile::tempdir().unwrap();
    let kf = dir.path().join("kiosk.key");
    let kfs = kf.to_str().unwrap();
    let out = enroll(&[
        "--central",
        "https://central.example",
        "--township",
        "500102001",
        "--key-file",
        kfs,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        std::fs::metadata(&kf).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let id = jiuzhu_kiosk::sync::client::KioskIdentity::load(&kf).unwrap();
    assert!(
        text.contains(&id.kiosk_id) && text.contains(&id.public_key_base64()),
        "{text}"
    );
    assert!(
        text.contains("jiuzhu-central kiosk add") && text.contains("--pubkey"),
        "{text}"
    );
    assert!(
        !text.contains("PRIVATE"),
        "the private key is never printed"
    );
    let pub_text = std::fs::read_to_string(kf.with_extension("pub")).unwrap();
    let vk = jiuzhu_central::keys::parse_public_key(&pub_text).unwrap();
    assert_eq!(vk, id.verifying_key());

    let again = enroll(&[
        "--central",
        "https://central.example",
        "--township",
        "500102001",
        "--key-file",
        kfs,
    ]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    assert_eq!(
        jiuzhu_kiosk::sync::client::KioskIdentity::load(&kf)
            .unwrap()
            .verifying_key(),
        vk
    );
}

#[test]
fn enroll_rejects_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let kf = dir.path().join("k.key");
    let kfs = kf.to_str().unwrap();
    for args in [
        [
            "--central",
            "https://central.example",
            "--township",
            "5001",
            "--key-file",
            kfs,
        ],
        [
            "--central",
            "central.example",
            "--township",
            "500102001",
            "--key-file",
            kfs,
        ],
    ] {
        let out = enroll(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!kf.exists());
    }
}
