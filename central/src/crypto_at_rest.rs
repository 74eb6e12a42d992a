//! The service's secret keys and what they protect at rest.
//!
//! Keys live in a configured directory (`--keys-dir`, `JIUZHU_CENTRAL_KEYS_DIR`, or systemd's
//! `$CREDENTIALS_DIRECTORY` from `LoadCredential=`), never in the database, each in a 0600 file
//! of 64 hex characters:
//!
//! | file | use |
//! |---|---|
//! | `audit.key` | HMAC-SHA256 key of the audit chain ([`crate::audit`]) |
//! | `data.key` | ChaCha20-Poly1305 key of personal fields, and (derived) the blind-index key |
//! | `district.key` | the district's Ed25519 seed (proofs, audit checkpoints, evidence key) |
//!
//! Scheme `JIUZHU-PII-V1`: a sealed field is `0x01 ‖ nonce (12) ‖ ciphertext+tag`, with the
//! associated data `"JIUZHU-PII-V1" ‖ label`: the column, and for the case JSON, the submission
//! payload and the reference templates also the row's key (case id; blind index and modality), so
//! a value cannot be moved to another column, case or person. Identity numbers are looked up through a blind index: hex
//! `HMAC-SHA256(index key, "JIUZHU-BLIND-INDEX-V1" ‖ number)` with the index key
//! `HMAC-SHA256(data key, "JIUZHU-BLIND-INDEX-KEY-V1")`.
//!
//! The SQLite connections of [`crate::store::SqliteStore`] get these as SQL functions
//! ([`register`]): `jz_bidx(text)`, `jz_seal(value, label)`, `jz_open(blob, label)` (text),
//! `jz_open_blob(blob, label)` and `jz_audit_mac(blob)`, so queries and migrations name them
//! where a column is personal, and a connection without the keys cannot read or write one.

use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use ed25519_dalek::SigningKey;
use hmac::{Hmac, Mac};
use rand::RngCore;
use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use sha2::Sha256;

/// Domain-separation label of sealed personal fields.
pub const PII_SCHEME: &str = "JIUZHU-PII-V1";
const BLIND_LABEL: &str = "JIUZHU-BLIND-INDEX-V1";
const BLIND_KEY_LABEL: &str = "JIUZHU-BLIND-INDEX-KEY-V1";
const VERSION: u8 = 1;

/// The environment variable naming the keys directory.
pub const KEYS_DIR_ENV: &str = "JIUZHU_CENTRAL_KEYS_DIR";
/// The audit-chain key file.
pub const AUDIT_KEY_FILE: &str = "audit.key";
/// The personal-data key file.
pub const DATA_KEY_FILE: &str = "data.key";
/// The district signing key file.
pub const DISTRICT_KEY_FILE: &str = "district.key";

/// Why the keys could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A file or directory could not be read or created.
    #[error("{path}: {source}")]
    Io {
        /// Which.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A key file is readable by others.
    #[error(
        "{0} is readable by group or others; run `chmod 600 {0}` (keys must be 0600, owned by the service)"
    )]
    Exposed(PathBuf),
    /// A key file is missing and may not be created here.
    #[error(
        "{0} is missing; create the keys with `jiuzhu-central keys init --keys-dir DIR` and give that directory"
    )]
    Missing(PathBuf),
    /// A key file does not hold a key.
    #[error("{0} must hold 64 hex characters (a 32-byte key)")]
    Malformed(PathBuf),
    /// No keys directory was configured.
    #[error(
        "no keys directory: give --keys-dir DIR, set {KEYS_DIR_ENV}, or run under systemd with LoadCredential= (see packaging/)"
    )]
    NotConfigured,
}

/// Where the keys come from, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysDir {
    /// The directory.
    pub path: PathBuf,
    /// Missing keys may be created (false for systemd's read-only credentials directory).
    pub create: bool,
}

impl KeysDir {
    /// The directory from `--keys-dir`, else [`KEYS_DIR_ENV`], else `$CREDENTIALS_DIRECTORY`
    /// (read-only: nothing is created there).
    pub fn resolve(flag: Option<&Path>) -> Result<KeysDir, KeyError> {
        if let Some(p) = flag {
            return Ok(KeysDir {
                path: p.to_path_buf(),
                create: true,
            });
        }
        if let Some(p) = std::env::var_os(KEYS_DIR_ENV).filter(|p| !p.is_empty()) {
            return Ok(KeysDir {
                path: p.into(),
                create: true,
            });
        }
        if let Some(p) = std::env::var_os("CREDENTIALS_DIRECTORY").filter(|p| !p.is_empty()) {
            return Ok(KeysDir {
                path: p.into(),
                create: false,
            });
        }
        Err(KeyError::NotConfigured)
    }

    /// A directory where missing keys are created.
    pub fn at(path: impl Into<PathBuf>) -> KeysDir {
        KeysDir {
            path: path.into(),
            create: true,
        }
    }

    /// Loads (or, when allowed, creates) the at-rest keys.
    pub fn load(&self) -> Result<AtRestKeys, KeyError> {
        if self.create {
            ensure_private_dir(&self.path)?;
        }
        Ok(AtRestKeys {
            audit: self.key32(AUDIT_KEY_FILE)?,
            data: self.key32(DATA_KEY_FILE)?,
        })
    }

    /// Loads (or, when allowed, creates) the district signing key; `path` overrides the
    /// directory's `district.key`.
    pub fn district_key(&self, path: Option<&Path>) -> Result<SigningKey, KeyError> {
        let seed = match path {
            Some(p) => load_or_create(p, self.create)?,
            None => self.key32(DISTRICT_KEY_FILE)?,
        };
        Ok(SigningKey::from_bytes(&seed))
    }

    fn key32(&self, name: &str) -> Result<[u8; 32], KeyError> {
        load_or_create(&self.path.join(name), self.create)
    }
}

/// Creates `dir` (0700) when missing.
pub fn ensure_private_dir(dir: &Path) -> Result<(), KeyError> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| KeyError::Io {
            path: dir.into(),
            source,
        })
}

/// Reads a 32-byte hex key file (refusing one readable by group or others), or creates it
/// (mode 0600, from the OS random source) when missing and `create` is set.
pub fn load_or_create(path: &Path, create: bool) -> Result<[u8; 32], KeyError> {
    let io = |source| KeyError::Io {
        path: path.into(),
        source,
    };
    match std::fs::metadata(path) {
        Ok(meta) => {
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(KeyError::Exposed(path.into()));
            }
            let text = std::fs::read_to_string(path).map_err(io)?;
            hex::decode(text.trim())
                .ok()
                .and_then(|v| v.try_into().ok())
                .ok_or_else(|| KeyError::Malformed(path.into()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !create {
                return Err(KeyError::Missing(path.into()));
            }
            let mut key = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut key);
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(io)?;
            writeln!(f, "{}", hex::encode(key)).map_err(io)?;
            f.sync_all().map_err(io)?;
            tracing::info!(path = %path.display(), "created a new key");
            Ok(key)
        }
        Err(e) => Err(io(e)),
    }
}

/// The keys of the database's protections.
#[derive(Clone)]
pub struct AtRestKeys {
    audit: [u8; 32],
    data: [u8; 32],
}

impl std::fmt::Debug for AtRestKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AtRestKeys(..)")
    }
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut m = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes a key of any length");
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// A sealed field does not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a sealed {0} does not open with this data key (wrong keys directory, or an edited row); give the keys directory the database was written with"
)]
pub struct OpenError(pub String);

impl AtRestKeys {
    /// Keys from their bytes (tests and `keys init`).
    pub fn from_bytes(audit: [u8; 32], data: [u8; 32]) -> AtRestKeys {
        AtRestKeys { audit, data }
    }

    /// The audit chain's MAC of `msg`, hex.
    pub fn audit_mac(&self, msg: &[u8]) -> String {
        hex::encode(hmac(&self.audit, &[msg]))
    }

    /// The blind index of an identity number (or any looked-up value), hex.
    pub fn blind_index(&self, value: &str) -> String {
        let k = hmac(&self.data, &[BLIND_KEY_LABEL.as_bytes()]);
        hex::encode(hmac(&k, &[BLIND_LABEL.as_bytes(), value.as_bytes()]))
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new((&self.data).into())
    }

    fn aad(label: &str) -> Vec<u8> {
        let mut a = PII_SCHEME.as_bytes().to_vec();
        a.extend_from_slice(label.as_bytes());
        a
    }

    /// Seals `value` for column `label`.
    pub fn seal(&self, label: &str, value: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = self
            .cipher()
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: value,
                    aad: &Self::aad(label),
                },
            )
            .expect("ChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
        let mut out = Vec::with_capacity(1 + 12 + ct.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// Opens a value sealed for column `label`.
    pub fn open(&self, label: &str, sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
        let fail = || OpenError(label.to_string());
        if sealed.len() < 1 + 12 + 16 || sealed[0] != VERSION {
            return Err(fail());
        }
        self.cipher()
            .decrypt(
                Nonce::from_slice(&sealed[1..13]),
                Payload {
                    msg: &sealed[13..],
                    aad: &Self::aad(label),
                },
            )
            .map_err(|_| fail())
    }
}

fn user_err(e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::UserFunctionError(Box::new(e))
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct FnError(String);

fn bytes_of(v: ValueRef<'_>) -> Option<Vec<u8>> {
    match v {
        ValueRef::Null => None,
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(t.to_vec()),
        ValueRef::Integer(i) => Some(i.to_string().into_bytes()),
        ValueRef::Real(f) => Some(f.to_string().into_bytes()),
    }
}

/// Registers the `jz_*` SQL functions (see the module documentation) on `conn`.
pub fn register(conn: &Connection, keys: &AtRestKeys) -> rusqlite::Result<()> {
    let det = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    let k = keys.clone();
    conn.create_scalar_function("jz_bidx", 1, det, move |ctx| {
        Ok(bytes_of(ctx.get_raw(0)).map(|b| k.blind_index(&String::from_utf8_lossy(&b))))
    })?;
    let k = keys.clone();
    conn.create_scalar_function("jz_audit_mac", 1, det, move |ctx| {
        Ok(bytes_of(ctx.get_raw(0)).map(|b| k.audit_mac(&b)))
    })?;
    let k = keys.clone();
    conn.create_scalar_function("jz_seal", 2, FunctionFlags::SQLITE_UTF8, move |ctx| {
        let label: String = ctx.get(1)?;
        Ok(bytes_of(ctx.get_raw(0)).map(|b| k.seal(&label, &b)))
    })?;
    let k = keys.clone();
    conn.create_scalar_function("jz_open", 2, det, move |ctx| {
        let label: String = ctx.get(1)?;
        match ctx.get_raw(0) {
            ValueRef::Null => Ok(None),
            ValueRef::Blob(b) => {
                let plain = k.open(&label, b).map_err(user_err)?;
                String::from_utf8(plain)
                    .map(Some)
                    .map_err(|_| user_err(FnError(format!("sealed {label} is not text"))))
            }
            _ => Err(user_err(FnError(format!(
                "{label} is stored in clear; the personal-data migration did not run"
            )))),
        }
    })?;
    let k = keys.clone();
    conn.create_scalar_function("jz_open_blob", 2, det, move |ctx| {
        let label: String = ctx.get(1)?;
        match ctx.get_raw(0) {
            ValueRef::Null => Ok(None),
            ValueRef::Blob(b) => k.open(&label, b).map(Some).map_err(user_err),
            _ => Err(user_err(FnError(format!(
                "{label} is stored in clear; the personal-data migration did not run"
            )))),
        }
    })?;
    Ok(())
}

/// Sets `path` (if it exists) to mode 0600.
pub fn make_private(path: &Path) -> std::io::Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if m.permissions().mode() & 0o777 != 0o600 => {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        }
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_fields_open_only_under_their_key_and_label() {
        let k = AtRestKeys::from_bytes([1; 32], [2; 32]);
        let s = k.seal("name", "张三".as_bytes());
        assert!(!s.windows(6).any(|w| w == "张三".as_bytes()));
        assert_eq!(k.open("name", &s).unwrap(), "张三".as_bytes());
        assert!(k.open("payload", &s).is_err());
        assert!(
            AtRestKeys::from_bytes([1; 32], [3; 32])
                .open("name", &s)
                .is_err()
        );
        let mut edited = s.clone();
        *edited.last_mut().unwrap() ^= 1;
        assert!(k.open("name", &edited).is_err());
        assert_ne!(k.seal("name", b"x"), k.seal("name", b"x"));
        assert_eq!(
            k.blind_index("500102199001011234"),
            k.blind_index("500102199001011234")
        );
        assert_ne!(
            k.blind_index("500102199001011234"),
            AtRestKeys::from_bytes([1; 32], [3; 32]).blind_index("500102199001011234")
        );
        assert_eq!(format!("{k:?}"), "AtRestKeys(..)");
    }

    #[test]
    fn key_files_are_created_0600_and_refused_when_exposed() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let a = KeysDir::at(&keys).load().unwrap();
        let b = KeysDir::at(&keys).load().unwrap();
        assert_eq!(a.blind_index("x"), b.blind_index("x"));
        for f in [AUDIT_KEY_FILE, DATA_KEY_FILE] {
            let mode = std::fs::metadata(keys.join(f))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{f}");
        }
        let mode = std::fs::metadata(&keys).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        std::fs::set_permissions(
            keys.join(DATA_KEY_FILE),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        assert!(matches!(
            KeysDir::at(&keys).load(),
            Err(KeyError::Exposed(_))
        ));
        let ro = KeysDir {
            path: dir.path().join("creds"),
            create: false,
        };
        assert!(matches!(ro.load(), Err(KeyError::Missing(_))));
    }
}
