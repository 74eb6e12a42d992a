//! Field encryption at rest: XChaCha20-Poly1305 under a 32-byte data key that a [`KeyProvider`]
//! hands out. The key lives in a 0600 file today ([`FileKeyProvider`]); a TPM-sealed provider can
//! implement the same trait later without touching the store.
//!
//! A sealed field is `0x01 ‖ 24-byte nonce ‖ ciphertext+tag`. The associated data binds the
//! ciphertext to its place (`table.column` and the row's id), so a blob copied into another row or
//! column fails to open instead of decrypting to the wrong record.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

/// Version byte of the sealed-field layout.
const SEALED_V1: u8 = 1;
const NONCE_LEN: usize = 24;

/// A 32-byte symmetric key. Never printed; wiped from memory on drop.
#[derive(Clone)]
pub struct DataKey([u8; 32]);

impl Drop for DataKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl DataKey {
    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        DataKey(bytes)
    }

    /// A fresh random key from the operating system's generator.
    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        DataKey(k)
    }

    /// A key derived from this one for another purpose (`label` separates the domains).
    pub fn derive(&self, label: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"jiuzhu-store-derive-v1\0");
        h.update(label.as_bytes());
        h.update([0]);
        h.update(self.0);
        h.finalize().into()
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(****)")
    }
}

/// Why the data key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or creating the key file failed.
    #[error(
        "cannot use the data key file {path}: {source}. Check that the directory exists and is writable by the kiosk user"
    )]
    Io {
        /// The key file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The key file is readable by others.
    #[error(
        "the data key file {path} has mode {mode:o}; it must be readable by the kiosk user only. Fix: chmod 600 {path}"
    )]
    Permissions {
        /// The key file.
        path: PathBuf,
        /// Its mode bits.
        mode: u32,
    },
    /// The key file does not hold exactly 32 bytes.
    #[error(
        "the data key file {path} holds {len} bytes, expected 32; it is damaged. Restore it from the kiosk's backup — without it the local records cannot be read"
    )]
    Length {
        /// The key file.
        path: PathBuf,
        /// Its length.
        len: usize,
    },
}

/// Hands out the store's data key. Implementations: a 0600 file ([`FileKeyProvider`]); later a
/// key sealed by the TPM.
pub trait KeyProvider: Send + Sync {
    /// The data key, creating it on first use if this provider can.
    fn data_key(&self) -> Result<DataKey, KeyError>;
    /// Where the key comes from, for reports (never the key itself).
    fn describe(&self) -> String;
}

/// A data key kept in a file of mode 0600, created with `O_EXCL` on first use.
#[derive(Debug, Clone)]
pub struct FileKeyProvider {
    path: PathBuf,
}

impl FileKeyProvider {
    /// A provider over `path` (created on first use).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileKeyProvider { path: path.into() }
    }

    /// The key file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Refuses a secret file that group or others can read or write.
pub fn check_private_mode(path: &Path) -> Result<(), KeyError> {
    let meta = fs::metadata(path).map_err(|source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::Permissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

/// Writes `bytes` to a new file of mode 0600 (fails with `AlreadyExists` if it exists), synced to
/// disk. The file appears complete or not at all: it is written under a temporary name and
/// hard-linked into place, so a crash never leaves an empty or partial key file.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let _ = fs::remove_file(&tmp);
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::hard_link(&tmp, path)
    })();
    let _ = fs::remove_file(&tmp);
    result?;
    if let Some(dir) = path.parent()
        && let Ok(d) = fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

impl KeyProvider for FileKeyProvider {
    fn data_key(&self) -> Result<DataKey, KeyError> {
        let io = |source| KeyError::Io {
            path: self.path.clone(),
            source,
        };
        match fs::File::open(&self.path) {
            Ok(mut f) => {
                check_private_mode(&self.path)?;
                let mut buf = Vec::with_capacity(33);
                f.read_to_end(&mut buf).map_err(io)?;
                let len = buf.len();
                let bytes: [u8; 32] = buf.as_slice().try_into().map_err(|_| KeyError::Length {
                    path: self.path.clone(),
                    len,
                })?;
                buf.zeroize();
                Ok(DataKey(bytes))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = DataKey::generate();
                match write_private_file(&self.path, &key.0) {
                    Ok(()) => Ok(key),
                    // Another process created it between our open and create: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => self.data_key(),
                    Err(e) => Err(io(e)),
                }
            }
            Err(e) => Err(io(e)),
        }
    }

    fn describe(&self) -> String {
        format!("file {}", self.path.display())
    }
}

/// A sealed field did not open: wrong key, damaged bytes, or a blob moved to another row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "an encrypted field of {place} does not open with this kiosk's data key (wrong key file or damaged database)"
)]
pub struct OpenError {
    /// `table.column#id`.
    pub place: String,
}

/// Seals and opens fields with the data key.
pub struct FieldCipher {
    aead: XChaCha20Poly1305,
    index_key: [u8; 32],
}

impl fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FieldCipher(****)")
    }
}

impl Drop for FieldCipher {
    fn drop(&mut self) {
        self.index_key.zeroize();
    }
}

fn aad(place: &str, row: &str) -> Vec<u8> {
    let mut v = b"jiuzhu-store-v1\0".to_vec();
    v.extend_from_slice(place.as_bytes());
    v.push(0);
    v.extend_from_slice(row.as_bytes());
    v
}

impl FieldCipher {
    /// A cipher over `key`.
    pub fn new(key: &DataKey) -> Self {
        let mut enc = key.derive("field-encryption");
        let aead = XChaCha20Poly1305::new((&enc).into());
        enc.zeroize();
        FieldCipher {
            aead,
            index_key: key.derive("blind-index"),
        }
    }

    /// Encrypts `plain` for column `place` (`table.column`) of row `row`.
    pub fn seal(&self, place: &str, row: &str, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = aad(place, row);
        let ct = self
            .aead
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .expect("XChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(SEALED_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// Decrypts a field sealed by [`FieldCipher::seal`] for the same place and row.
    pub fn open(&self, place: &str, row: &str, sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
        let err = || OpenError {
            place: format!("{place}#{row}"),
        };
        if sealed.len() < 1 + NONCE_LEN + 16 || sealed[0] != SEALED_V1 {
            return Err(err());
        }
        let aad = aad(place, row);
        self.aead
            .decrypt(
                XNonce::from_slice(&sealed[1..1 + NONCE_LEN]),
                Payload {
                    msg: &sealed[1 + NONCE_LEN..],
                    aad: &aad,
                },
            )
            .map_err(|_| err())
    }

    /// A keyed hash (blind index) of `value`, to look rows up by a personal value without
    /// storing it in clear.
    pub fn blind_index(&self, label: &str, value: &[u8]) -> String {
        let mut h = Sha256::new();
        h.update(self.index_key);
        h.update(label.as_bytes());
        h.update([0]);
        h.update(value);
        hex::encode(h.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_roundtrip_and_binding() {
        let c = FieldCipher::new(&DataKey::from_bytes([7; 32]));
        let s = c.seal("outbox.payload", "r1", b"11010519491231002X");
        assert_eq!(
            c.open("outbox.payload", "r1", &s).unwrap(),
            b"11010519491231002X"
        );
        assert!(c.open("outbox.payload", "r2", &s).is_err());
        assert!(c.open("audit.detail", "r1", &s).is_err());
        let other = FieldCipher::new(&DataKey::from_bytes([8; 32]));
        assert!(other.open("outbox.payload", "r1", &s).is_err());
        let mut t = s.clone();
        let last = t.len() - 1;
        t[last] ^= 1;
        assert!(c.open("outbox.payload", "r1", &t).is_err());
        assert!(c.open("outbox.payload", "r1", &s[..10]).is_err());
        assert!(!s.windows(6).any(|w| w == b"110105"));
    }

    #[test]
    fn file_key_is_created_0600_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("data.key");
        let k1 = FileKeyProvider::new(&p).data_key().unwrap();
        let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let k2 = FileKeyProvider::new(&p).data_key().unwrap();
        assert_eq!(k1.0, k2.0);
        assert_eq!(format!("{k1:?}"), "DataKey(****)");
    }

    #[test]
    fn loose_or_short_key_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("data.key");
        FileKeyProvider::new(&p).data_key().unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        let e = FileKeyProvider::new(&p).data_key().unwrap_err();
        assert!(
            matches!(e, KeyError::Permissions { mode: 0o644, .. }),
            "{e}"
        );
        assert!(e.to_string().contains("chmod 600"));
        let q = dir.path().join("short.key");
        write_private_file(&q, b"short").unwrap();
        assert!(matches!(
            FileKeyProvider::new(&q).data_key(),
            Err(KeyError::Length { len: 5, .. })
        ));
    }
}
