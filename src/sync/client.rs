//! The HTTP client for the central service: reqwest over rustls, every request signed with the
//! kiosk's Ed25519 key by `jiuzhu_core::api::sign_request` (the one implementation both sides
//! use), submissions carrying an `Idempotency-Key`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use jiuzhu_core::api::{self, ErrorBody, HEADER_IDEMPOTENCY_KEY};
use rand::RngCore;

use super::plan::BuildError;
use crate::store::crypto::{check_private_mode, write_private_file};

/// Why a request to the central service did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    /// No connection (central down, network out, DNS).
    #[error(
        "cannot reach the central service: {0}. Records stay on this kiosk and are sent when the network is back"
    )]
    Connect(String),
    /// The request took longer than the configured timeout.
    #[error(
        "the central service did not answer within the timeout; the request will be retried (same idempotency key, so no duplicate)"
    )]
    Timeout,
    /// The central service answered with an error.
    #[error("the central service answered {status} {code}: {reason}")]
    Http {
        /// HTTP status.
        status: u16,
        /// The error body's code (empty when the body was not an error body).
        code: String,
        /// The error body's reason.
        reason: String,
    },
    /// The record cannot be turned into a request.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// Another transport failure.
    #[error("request to the central service failed: {0}")]
    Transport(String),
}

impl SyncError {
    /// Whether retrying cannot help: the record is shown to staff instead of being retried
    /// forever. Server errors, timeouts, throttling, lost connections, clock skew and a replayed
    /// nonce (each retry draws a new one) are transient.
    pub fn is_permanent(&self) -> bool {
        match self {
            SyncError::Connect(_) | SyncError::Timeout | SyncError::Transport(_) => false,
            SyncError::Build(_) => true,
            SyncError::Http { status, code, .. } => match status {
                408 | 425 | 429 => false,
                401 => !matches!(code.as_str(), "clock_skew" | "replayed_nonce"),
                409 => code != "in_progress",
                400..=499 => true,
                _ => false,
            },
        }
    }

    /// Whether the central service is unreachable (no point starting more requests now).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, SyncError::Connect(_) | SyncError::Timeout)
    }
}

/// Why the kiosk's identity could not be loaded or created.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// File problem.
    #[error("cannot use {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Key file permissions.
    #[error(transparent)]
    Key(#[from] crate::store::crypto::KeyError),
    /// Not a PKCS#8 Ed25519 key.
    #[error(
        "{path} is not a PKCS#8 PEM Ed25519 key: {why}. Re-run `jiuzhu-kiosk enroll` and register the new key"
    )]
    Format {
        /// The file.
        path: PathBuf,
        /// Parser message.
        why: String,
    },
    /// The kiosk id file is missing or malformed.
    #[error(
        "{path} does not hold a kiosk id (1–64 characters of A-Z a-z 0-9 - _); run `jiuzhu-kiosk enroll`"
    )]
    BadId {
        /// The file.
        path: PathBuf,
    },
    /// Enrolling over an existing key.
    #[error(
        "{path} already exists; this kiosk is enrolled. Remove it only if the district revoked this kiosk, then enroll again"
    )]
    Exists {
        /// The file.
        path: PathBuf,
    },
}

/// This kiosk's identity: its registered id and Ed25519 signing key.
pub struct KioskIdentity {
    /// The id the central service knows this kiosk by.
    pub kiosk_id: String,
    key: SigningKey,
}

impl fmt::Debug for KioskIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KioskIdentity({}, key ****)", self.kiosk_id)
    }
}

/// The file next to the key that holds the kiosk id.
pub fn id_file_for(key_file: &Path) -> PathBuf {
    key_file.with_extension("id")
}

fn valid_kiosk_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl KioskIdentity {
    /// An identity from parts.
    pub fn new(kiosk_id: impl Into<String>, key: SigningKey) -> Self {
        KioskIdentity {
            kiosk_id: kiosk_id.into(),
            key,
        }
    }

    /// Creates a new key (0600, PKCS#8 PEM) and id file for a kiosk of `township`. Refuses to
    /// overwrite an existing key.
    pub fn create(key_file: &Path, township: &str) -> Result<Self, IdentityError> {
        if key_file.exists() {
            return Err(IdentityError::Exists {
                path: key_file.to_path_buf(),
            });
        }
        let mut seed = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        let key = SigningKey::from_bytes(&seed);
        zeroize::Zeroize::zeroize(&mut seed);
        let pem = key
            .to_pkcs8_pem(Default::default())
            .map_err(|e| IdentityError::Format {
                path: key_file.to_path_buf(),
                why: e.to_string(),
            })?;
        let digest = api::body_digest(key.verifying_key().as_bytes());
        let kiosk_id = format!("{township}-{}", &digest[..8]);
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| IdentityError::Io { path, source }
        };
        if let Some(dir) = key_file.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        write_private_file(key_file, pem.as_bytes()).map_err(io(key_file))?;
        let idf = id_file_for(key_file);
        let _ = std::fs::remove_file(&idf);
        write_private_file(&idf, format!("{kiosk_id}\n").as_bytes()).map_err(io(&idf))?;
        Ok(KioskIdentity { kiosk_id, key })
    }

    /// Loads the key (must be 0600) and the id file next to it.
    pub fn load(key_file: &Path) -> Result<Self, IdentityError> {
        check_private_mode(key_file)?;
        let pem = std::fs::read_to_string(key_file).map_err(|source| IdentityError::Io {
            path: key_file.to_path_buf(),
            source,
        })?;
        let key = SigningKey::from_pkcs8_pem(&pem).map_err(|e| IdentityError::Format {
            path: key_file.to_path_buf(),
            why: e.to_string(),
        })?;
        let idf = id_file_for(key_file);
        let kiosk_id = std::fs::read_to_string(&idf)
            .map_err(|source| IdentityError::Io {
                path: idf.clone(),
                source,
            })?
            .trim()
            .to_string();
        if !valid_kiosk_id(&kiosk_id) {
            return Err(IdentityError::BadId { path: idf });
        }
        Ok(KioskIdentity { kiosk_id, key })
    }

    /// The public key as SPKI PEM (what the district registers).
    pub fn public_key_pem(&self) -> String {
        self.key
            .verifying_key()
            .to_public_key_pem(Default::default())
            .unwrap_or_default()
    }

    /// The public key, raw 32 bytes in standard base64.
    pub fn public_key_base64(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(self.key.verifying_key().as_bytes())
    }

    /// SHA-256 of the raw public key, hex, for reading aloud over the phone.
    pub fn fingerprint(&self) -> String {
        api::body_digest(self.key.verifying_key().as_bytes())
    }

    /// The verifying key.
    pub fn verifying_key(&self) -> ed25519_dalek::VerifyingKey {
        self.key.verifying_key()
    }

    /// The signing key (for opening template boxes).
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }
}

/// A signed client for the central service.
#[derive(Clone)]
pub struct CentralClient {
    http: reqwest::Client,
    base: String,
    identity: std::sync::Arc<KioskIdentity>,
}

impl fmt::Debug for CentralClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CentralClient({}, {:?})", self.base, self.identity)
    }
}

fn fresh_nonce() -> String {
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

impl CentralClient {
    /// A client for `base_url` (e.g. `https://central.example:8443`), with a per-request timeout.
    pub fn new(
        base_url: &str,
        identity: KioskIdentity,
        timeout: Duration,
    ) -> Result<Self, SyncError> {
        let base = base_url.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(SyncError::Transport(format!(
                "central URL '{base_url}' must start with http:// or https://"
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("jiuzhu-kiosk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SyncError::Transport(e.to_string()))?;
        Ok(CentralClient {
            http,
            base,
            identity: std::sync::Arc::new(identity),
        })
    }

    /// The kiosk id.
    pub fn kiosk_id(&self) -> &str {
        &self.identity.kiosk_id
    }

    /// Sends a signed `POST` and returns the answer body of a 2xx.
    pub async fn post(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
        idempotency_key: Option<&str>,
    ) -> Result<Vec<u8>, SyncError> {
        let ts = chrono::Utc::now().timestamp();
        let signed = api::sign_request(
            &self.identity.key,
            &self.identity.kiosk_id,
            "POST",
            path,
            ts,
            &fresh_nonce(),
            &body,
        );
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::CONTENT_TYPE, content_type);
        for (k, v) in signed.pairs() {
            req = req.header(k, v);
        }
        if let Some(k) = idempotency_key {
            req = req.header(HEADER_IDEMPOTENCY_KEY, k);
        }
        answer(req.body(body)).await
    }

    /// Sends a signed `GET` (empty body) and returns the answer body of a 2xx.
    pub async fn get(&self, path: &str) -> Result<Vec<u8>, SyncError> {
        let ts = chrono::Utc::now().timestamp();
        let signed = api::sign_request(
            &self.identity.key,
            &self.identity.kiosk_id,
            "GET",
            path,
            ts,
            &fresh_nonce(),
            b"",
        );
        let mut req = self.http.get(format!("{}{path}", self.base));
        for (k, v) in signed.pairs() {
            req = req.header(k, v);
        }
        answer(req).await
    }
}

impl CentralClient {
    /// Sends a staff request: `GET` (no body) or `POST` with a JSON body, authenticated by the
    /// staff member's bearer token (`None` for the login itself) rather than by the kiosk's
    /// signature. Returns the answer body of a 2xx.
    pub async fn staff_request(
        &self,
        path: &str,
        token: Option<&str>,
        json_body: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, SyncError> {
        let url = format!("{}{path}", self.base);
        let mut req = match json_body {
            Some(body) => self
                .http
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body),
            None => self.http.get(url),
        };
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        answer(req).await
    }
}

/// Sends `req`; the body of a 2xx, else the service's error code and reason.
async fn answer(req: reqwest::RequestBuilder) -> Result<Vec<u8>, SyncError> {
    let resp = req.send().await.map_err(classify)?;
    let status = resp.status();
    let bytes = resp.bytes().await.map_err(classify)?;
    if status.is_success() {
        return Ok(bytes.to_vec());
    }
    let (code, reason) = match serde_json::from_slice::<ErrorBody>(&bytes) {
        Ok(b) => (b.error.code, b.error.reason),
        Err(_) => (
            String::new(),
            String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned(),
        ),
    };
    Err(SyncError::Http {
        status: status.as_u16(),
        code,
        reason,
    })
}

fn classify(e: reqwest::Error) -> SyncError {
    if e.is_timeout() {
        SyncError::Timeout
    } else if e.is_connect() {
        SyncError::Connect(e.to_string())
    } else {
        SyncError::Transport(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn http(status: u16, code: &str) -> SyncError {
        SyncError::Http {
            status,
            code: code.into(),
            reason: String::new(),
        }
    }

    #[rstest]
    #[case(http(500, ""), false)]
    #[case(http(503, ""), false)]
    #[case(http(429, ""), false)]
    #[case(http(408, ""), false)]
    #[case(http(401, "clock_skew"), false)]
    #[case(http(401, "replayed_nonce"), false)]
    #[case(http(401, "bad_signature"), true)]
    #[case(http(401, "revoked_kiosk"), true)]
    #[case(http(400, "invalid_id_number"), true)]
    #[case(http(422, "missing_step"), true)]
    #[case(http(409, "idempotency_conflict"), true)]
    #[case(http(409, "in_progress"), false)]
    #[case(SyncError::Timeout, false)]
    #[case(SyncError::Connect("refused".into()), false)]
    #[case(SyncError::Build(BuildError::NoCaseId), true)]
    fn permanence(#[case] e: SyncError, #[case] permanent: bool) {
        assert_eq!(e.is_permanent(), permanent, "{e}");
    }

    #[test]
    fn identity_create_load_and_refuse_overwrite() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let kf = dir.path().join("kiosk.key");
        let a = KioskIdentity::create(&kf, "500102001").unwrap();
        assert!(a.kiosk_id.starts_with("500102001-"));
        assert_eq!(
            std::fs::metadata(&kf).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let b = KioskIdentity::load(&kf).unwrap();
        assert_eq!(
            (a.kiosk_id.clone(), a.verifying_key()),
            (b.kiosk_id.clone(), b.verifying_key())
        );
        assert!(!format!("{b:?}").contains("PRIVATE"));
        assert!(matches!(
            KioskIdentity::create(&kf, "500102001"),
            Err(IdentityError::Exists { .. })
        ));
        std::fs::set_permissions(&kf, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert!(matches!(
            KioskIdentity::load(&kf),
            Err(IdentityError::Key(_))
        ));
    }
}
