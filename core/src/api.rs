//! The HTTP API shared by the kiosk and the central service: request/response types, the
//! error body, the kiosk request-signing scheme and the box that carries a reference template
//! to a kiosk. Everything here is pure; the central service and the kiosk's HTTP client both
//! call these functions so the two sides cannot drift.
//!
//! # Kiosk request signing (scheme `JIUZHU-KIOSK-V1`)
//!
//! Every request under `/v1/kiosk/` carries four headers:
//!
//! | header | value |
//! |---|---|
//! | `X-Jiuzhu-Kiosk` | the kiosk id given at registration (`kiosk add`) |
//! | `X-Jiuzhu-Timestamp` | Unix time in seconds (decimal); the server rejects a skew of more than 300 s |
//! | `X-Jiuzhu-Nonce` | 16–64 characters of `[A-Za-z0-9_-]`, never reused by the kiosk (a UUID works) |
//! | `X-Jiuzhu-Signature` | standard base64 of the 64-byte Ed25519 signature over the canonical string |
//!
//! The canonical string is the UTF-8 text (lines joined by `\n`, no trailing newline):
//!
//! ```text
//! JIUZHU-KIOSK-V1
//! <METHOD in upper case>
//! <path with query exactly as sent, e.g. /v1/kiosk/status?x=1>
//! <timestamp>
//! <nonce>
//! <kiosk id>
//! <lower-case hex SHA-256 of the body bytes (of the empty string when there is no body)>
//! ```
//!
//! # Template box (scheme `JIUZHU-TEMPLATE-V1`)
//!
//! A recipient's enrolled reference template is returned encrypted to the requesting kiosk's
//! Ed25519 key: the kiosk's verifying key is mapped to its X25519 (Montgomery) form; the server
//! draws an ephemeral X25519 secret `e` and a 12-byte nonce; the shared secret is
//! `X25519(e, kiosk_montgomery)`; the key is `SHA-256("JIUZHU-TEMPLATE-V1" ‖ shared ‖ E ‖ K)` where
//! `E` is the ephemeral public key and `K` the kiosk's Montgomery public key; the template is
//! sealed with ChaCha20-Poly1305 under that key and nonce, with the associated data
//! `"JIUZHU-TEMPLATE-V1" ‖ kiosk id`. The kiosk recomputes the shared secret with the X25519 form
//! of its signing key ([`open_template`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use chrono::{DateTime, NaiveDate, Utc};
use curve25519_dalek::montgomery::MontgomeryPoint;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::id::{IdNumber, PersonName};

/// Header naming the kiosk.
pub const HEADER_KIOSK: &str = "X-Jiuzhu-Kiosk";
/// Header with the Unix timestamp in seconds.
pub const HEADER_TIMESTAMP: &str = "X-Jiuzhu-Timestamp";
/// Header with the single-use nonce.
pub const HEADER_NONCE: &str = "X-Jiuzhu-Nonce";
/// Header with the base64 Ed25519 signature.
pub const HEADER_SIGNATURE: &str = "X-Jiuzhu-Signature";
/// Header carrying a client-chosen idempotency key on submissions.
pub const HEADER_IDEMPOTENCY_KEY: &str = "Idempotency-Key";
/// First line of the canonical string.
pub const SIGNING_SCHEME: &str = "JIUZHU-KIOSK-V1";
/// Largest accepted difference between the kiosk's timestamp and the server clock, in seconds.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;
/// Domain-separation label of the template box.
pub const TEMPLATE_SCHEME: &str = "JIUZHU-TEMPLATE-V1";

/// Why a signed kiosk request was refused. The server answers 401 with
/// [`AuthError::code`] as the error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// A signing header is absent.
    #[error("the {0} header is missing; sign every kiosk request")]
    MissingHeader(&'static str),
    /// A signing header does not have the documented form.
    #[error("the {0} header is malformed: {1}")]
    MalformedHeader(&'static str, String),
    /// The kiosk id is not registered.
    #[error(
        "kiosk '{0}' is not registered; ask the district bureau to run `jiuzhu-central kiosk add`"
    )]
    UnknownKiosk(String),
    /// The kiosk key was revoked.
    #[error("kiosk '{0}' has been revoked")]
    RevokedKiosk(String),
    /// The signature does not verify.
    #[error(
        "the signature does not match the request; check the kiosk key and the canonical string"
    )]
    BadSignature,
    /// The timestamp is too far from the server clock.
    #[error(
        "the request timestamp is {0} s away from the server clock (at most 300 s allowed); fix the kiosk clock"
    )]
    ClockSkew(i64),
    /// The nonce was already used.
    #[error("the nonce was already used; this looks like a replayed request")]
    Replay,
}

impl AuthError {
    /// Machine-readable code for the error body.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::MissingHeader(_) => "unsigned",
            AuthError::MalformedHeader(..) => "malformed_signature_header",
            AuthError::UnknownKiosk(_) => "unknown_kiosk",
            AuthError::RevokedKiosk(_) => "revoked_kiosk",
            AuthError::BadSignature => "bad_signature",
            AuthError::ClockSkew(_) => "clock_skew",
            AuthError::Replay => "replayed_nonce",
        }
    }
}

/// Lower-case hex SHA-256 of `body`.
pub fn body_digest(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// The canonical string a kiosk signs (see the module documentation).
pub fn canonical_string(
    method: &str,
    path_and_query: &str,
    timestamp: i64,
    nonce: &str,
    kiosk_id: &str,
    body: &[u8],
) -> String {
    format!(
        "{SIGNING_SCHEME}\n{}\n{path_and_query}\n{timestamp}\n{nonce}\n{kiosk_id}\n{}",
        method.to_ascii_uppercase(),
        body_digest(body)
    )
}

/// The four signing headers of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// Value of `X-Jiuzhu-Kiosk`.
    pub kiosk_id: String,
    /// Value of `X-Jiuzhu-Timestamp`.
    pub timestamp: i64,
    /// Value of `X-Jiuzhu-Nonce`.
    pub nonce: String,
    /// Value of `X-Jiuzhu-Signature` (base64).
    pub signature: String,
}

impl SignedHeaders {
    /// The headers as `(name, value)` pairs, ready to add to a request.
    pub fn pairs(&self) -> [(&'static str, String); 4] {
        [
            (HEADER_KIOSK, self.kiosk_id.clone()),
            (HEADER_TIMESTAMP, self.timestamp.to_string()),
            (HEADER_NONCE, self.nonce.clone()),
            (HEADER_SIGNATURE, self.signature.clone()),
        ]
    }

    /// Reads and checks the form of the four headers through `get(name)`.
    pub fn from_lookup<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Self, AuthError> {
        let need = |h: &'static str| get(h).ok_or(AuthError::MissingHeader(h));
        let kiosk_id = need(HEADER_KIOSK)?.trim().to_string();
        if kiosk_id.is_empty() || kiosk_id.len() > 64 {
            return Err(AuthError::MalformedHeader(
                HEADER_KIOSK,
                "expected 1–64 characters".into(),
            ));
        }
        let ts = need(HEADER_TIMESTAMP)?;
        let timestamp = ts.trim().parse::<i64>().map_err(|_| {
            AuthError::MalformedHeader(HEADER_TIMESTAMP, "expected Unix seconds".into())
        })?;
        let nonce = need(HEADER_NONCE)?.trim().to_string();
        if !valid_nonce(&nonce) {
            return Err(AuthError::MalformedHeader(
                HEADER_NONCE,
                "expected 16–64 characters of A-Z a-z 0-9 _ -".into(),
            ));
        }
        let signature = need(HEADER_SIGNATURE)?.trim().to_string();
        Ok(SignedHeaders {
            kiosk_id,
            timestamp,
            nonce,
            signature,
        })
    }
}

/// Whether `nonce` has the documented form.
pub fn valid_nonce(nonce: &str) -> bool {
    (16..=64).contains(&nonce.len())
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Signs one request.
pub fn sign_request(
    key: &SigningKey,
    kiosk_id: &str,
    method: &str,
    path_and_query: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> SignedHeaders {
    let text = canonical_string(method, path_and_query, timestamp, nonce, kiosk_id, body);
    let sig = key.sign(text.as_bytes());
    SignedHeaders {
        kiosk_id: kiosk_id.to_string(),
        timestamp,
        nonce: nonce.to_string(),
        signature: B64.encode(sig.to_bytes()),
    }
}

/// Checks the signature of a request against the kiosk's key (not the clock nor the nonce: see
/// [`check_skew`]; replay is the server's state).
pub fn verify_request(
    key: &VerifyingKey,
    headers: &SignedHeaders,
    method: &str,
    path_and_query: &str,
    body: &[u8],
) -> Result<(), AuthError> {
    let raw = B64.decode(headers.signature.as_bytes()).map_err(|_| {
        AuthError::MalformedHeader(HEADER_SIGNATURE, "expected standard base64".into())
    })?;
    let bytes: [u8; 64] = raw.try_into().map_err(|_| {
        AuthError::MalformedHeader(HEADER_SIGNATURE, "expected 64 signature bytes".into())
    })?;
    let sig = Signature::from_bytes(&bytes);
    let text = canonical_string(
        method,
        path_and_query,
        headers.timestamp,
        &headers.nonce,
        &headers.kiosk_id,
        body,
    );
    key.verify(text.as_bytes(), &sig)
        .map_err(|_| AuthError::BadSignature)
}

/// Checks `timestamp` against `now` (both Unix seconds).
pub fn check_skew(timestamp: i64, now: i64) -> Result<(), AuthError> {
    // Any i64 may arrive in the header: no negation or subtraction that can overflow.
    let d = timestamp.saturating_sub(now);
    if d.unsigned_abs() > MAX_CLOCK_SKEW_SECS.unsigned_abs() {
        Err(AuthError::ClockSkew(d))
    } else {
        Ok(())
    }
}

/// An encrypted reference template (scheme `JIUZHU-TEMPLATE-V1`), all byte fields base64.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateBox {
    /// Which modality the template is for.
    pub modality: Modality,
    /// The server's ephemeral X25519 public key.
    pub ephemeral_public: String,
    /// The 12-byte ChaCha20-Poly1305 nonce.
    pub nonce: String,
    /// Ciphertext with the 16-byte tag.
    pub ciphertext: String,
}

impl fmt::Debug for TemplateBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TemplateBox({:?}, {} ciphertext chars)",
            self.modality,
            self.ciphertext.len()
        )
    }
}

/// Why a template box could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateBoxError {
    /// A field is not valid base64 or has the wrong length.
    #[error("the template box field '{0}' is malformed")]
    Malformed(&'static str),
    /// The tag does not verify: wrong kiosk key or tampered data.
    #[error("the template box does not open with this kiosk's key")]
    Decrypt,
}

fn template_key(shared: &[u8; 32], eph: &[u8; 32], kiosk: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(TEMPLATE_SCHEME.as_bytes());
    h.update(shared);
    h.update(eph);
    h.update(kiosk);
    h.finalize().into()
}

fn template_aad(kiosk_id: &str) -> Vec<u8> {
    let mut aad = TEMPLATE_SCHEME.as_bytes().to_vec();
    aad.extend_from_slice(kiosk_id.as_bytes());
    aad
}

/// Seals `template` to a kiosk's key. `ephemeral_secret` and `nonce` must be fresh random bytes
/// (the caller draws them; this crate does no I/O).
pub fn seal_template(
    kiosk_key: &VerifyingKey,
    kiosk_id: &str,
    modality: Modality,
    template: &[u8],
    ephemeral_secret: [u8; 32],
    nonce: [u8; 12],
) -> TemplateBox {
    let kiosk_mont = kiosk_key.to_montgomery().to_bytes();
    let eph_pub = MontgomeryPoint::mul_base_clamped(ephemeral_secret).to_bytes();
    let shared = MontgomeryPoint(kiosk_mont)
        .mul_clamped(ephemeral_secret)
        .to_bytes();
    let key = template_key(&shared, &eph_pub, &kiosk_mont);
    let cipher = ChaCha20Poly1305::new((&key).into());
    let aad = template_aad(kiosk_id);
    let ciphertext = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: template,
                aad: &aad,
            },
        )
        .expect("ChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
    TemplateBox {
        modality,
        ephemeral_public: B64.encode(eph_pub),
        nonce: B64.encode(nonce),
        ciphertext: B64.encode(ciphertext),
    }
}

/// Opens a template box with the kiosk's signing key.
pub fn open_template(
    kiosk_key: &SigningKey,
    kiosk_id: &str,
    boxed: &TemplateBox,
) -> Result<Vec<u8>, TemplateBoxError> {
    let eph: [u8; 32] = B64
        .decode(&boxed.ephemeral_public)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or(TemplateBoxError::Malformed("ephemeral_public"))?;
    let nonce: [u8; 12] = B64
        .decode(&boxed.nonce)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or(TemplateBoxError::Malformed("nonce"))?;
    let ct = B64
        .decode(&boxed.ciphertext)
        .map_err(|_| TemplateBoxError::Malformed("ciphertext"))?;
    let kiosk_mont = kiosk_key.verifying_key().to_montgomery().to_bytes();
    let shared = MontgomeryPoint(eph)
        .mul_clamped(kiosk_key.to_scalar_bytes())
        .to_bytes();
    let key = template_key(&shared, &eph, &kiosk_mont);
    let cipher = ChaCha20Poly1305::new((&key).into());
    let aad = template_aad(kiosk_id);
    cipher
        .decrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &ct,
                aad: &aad,
            },
        )
        .map_err(|_| TemplateBoxError::Decrypt)
}

// ---------------------------------------------------------------------------------------------
// Error body
// ---------------------------------------------------------------------------------------------

/// The body of every 4xx/5xx answer: `{ "error": { "code": "...", "reason": "..." } }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// A machine-readable code and a human-readable reason that names the remedy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable snake_case code, e.g. `bad_signature`, `invalid_id_number`, `missing_step`.
    pub code: String,
    /// What went wrong and what to do.
    pub reason: String,
}

impl ErrorBody {
    /// Builds an error body.
    pub fn new(code: impl Into<String>, reason: impl Into<String>) -> Self {
        ErrorBody {
            error: ErrorDetail {
                code: code.into(),
                reason: reason.into(),
            },
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Shared vocabulary
// ---------------------------------------------------------------------------------------------

/// The assistance types the kiosk API carries: the four basic types of the seed (§二.1), a
/// subset of core's [`crate::household::AssistanceType`] with the same snake_case names. It stays
/// its own type because [`AssistanceType::label_zh`] is the official name printed on receipts and
/// proofs (the printer's golden images depend on it), while core's label is the short button text.
/// Convert with `From` / `TryFrom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssistanceType {
    /// 城乡最低生活保障 (低保).
    Dibao,
    /// 特困人员救助供养.
    Tekun,
    /// 临时救助.
    Temporary,
    /// 低保边缘家庭.
    LowIncomeEdge,
}

impl AssistanceType {
    /// Official Chinese name, as printed.
    pub fn label_zh(self) -> &'static str {
        match self {
            AssistanceType::Dibao => "最低生活保障",
            AssistanceType::Tekun => "特困人员救助供养",
            AssistanceType::Temporary => "临时救助",
            AssistanceType::LowIncomeEdge => "低保边缘家庭",
        }
    }
}

impl From<AssistanceType> for crate::household::AssistanceType {
    fn from(t: AssistanceType) -> Self {
        use crate::household::AssistanceType as H;
        match t {
            AssistanceType::Dibao => H::Dibao,
            AssistanceType::Tekun => H::Tekun,
            AssistanceType::Temporary => H::Temporary,
            AssistanceType::LowIncomeEdge => H::LowIncomeEdge,
        }
    }
}

/// A special assistance type (专项救助) has no kiosk API form yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{} is not carried by the kiosk API (only the four basic types are)", .0.label_zh())]
pub struct NotABasicType(pub crate::household::AssistanceType);

impl TryFrom<crate::household::AssistanceType> for AssistanceType {
    type Error = NotABasicType;

    fn try_from(t: crate::household::AssistanceType) -> Result<Self, NotABasicType> {
        use crate::household::AssistanceType as H;
        Ok(match t {
            H::Dibao => AssistanceType::Dibao,
            H::Tekun => AssistanceType::Tekun,
            H::Temporary => AssistanceType::Temporary,
            H::LowIncomeEdge => AssistanceType::LowIncomeEdge,
            other => return Err(NotABasicType(other)),
        })
    }
}

/// Deadline colour on staff screens: core's [`crate::workflow::DeadlineColour`].
pub use crate::workflow::DeadlineColour;
/// Staff roles (domain.md §5): core's workflow [`crate::workflow::Role`]. Staff accounts hold one
/// of `village_helper`, `township_clerk`, `township_leader`, `district_bureau`.
pub use crate::workflow::Role as StaffRole;

/// Biometric modality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Modality {
    /// Face.
    Face,
    /// Fingerprint.
    Fingerprint,
}

/// A person as entered at the kiosk. `Debug` masks both fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonRef {
    /// Identity number (validated when deserialized).
    pub id_number: IdNumber,
    /// Name.
    pub name: PersonName,
}

/// One household member on an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberDto {
    /// The member.
    pub person: PersonRef,
    /// Relation to the applicant, e.g. `spouse`, `child`, `parent`, `obligated` (相关义务人).
    pub relation: String,
}

// ---------------------------------------------------------------------------------------------
// Kiosk endpoints
// ---------------------------------------------------------------------------------------------

/// `POST /v1/kiosk/applications` — submit an application. Send an `Idempotency-Key` header; a
/// repeated key returns the first result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitApplication {
    /// Township code of the 户籍所在地.
    pub township: String,
    /// Assistance type applied for.
    pub assistance_type: AssistanceType,
    /// The applicant (a household member).
    pub applicant: PersonRef,
    /// The agent when someone applies on the applicant's behalf (委托代办).
    #[serde(default)]
    pub agent: Option<PersonRef>,
    /// Other members of the household and obligated persons; each must sign an authorization.
    #[serde(default)]
    pub members: Vec<MemberDto>,
    /// Whether a member is a close relative of a case worker or committee member (近亲属申明).
    #[serde(default)]
    pub close_relative_declared: bool,
    /// The village or community (村/社区) where the 公示 and 公布 are posted; the township's name
    /// when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub village: Option<String>,
    /// Declared monthly incomes; each earner is the applicant or a listed member.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incomes: Vec<crate::household::Income>,
    /// Declared assets; each owner is the applicant or a listed member.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assets: Vec<crate::household::Asset>,
    /// How the agent relates to the applicant (委托代办); `other` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_relation: Option<crate::application::AgentRelation>,
    /// The live staff session of the staff member who helped a walk-in applicant at the kiosk
    /// (an assisted session, 工作人员协助办理): the bearer token of their login on this kiosk,
    /// never a bare account name. Central checks the session is live and of a township the
    /// kiosk serves, records the account in the case's history and never stores the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assisted_by_staff: Option<StaffToken>,
    /// A mainland mobile number (11 digits, `1[3-9]…`) to which the household agrees to have
    /// its notices delivered by text message (短信送达); absent: delivery at a kiosk or by staff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_phone: Option<String>,
}

/// A staff member's bearer token, sent by a kiosk to show that the staff member is present and
/// logged in (assisted sessions). `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StaffToken(pub String);

impl StaffToken {
    /// The raw token.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for StaffToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaffToken(****)")
    }
}

/// Whether `s` is a mainland mobile number: 11 digits starting with 13–19.
pub fn is_mobile_number(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

/// Summary of one case, as the applicant or a kiosk sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseSummary {
    /// Case id (UUIDv7 text).
    pub case_id: String,
    /// Township code.
    pub township: String,
    /// Assistance type.
    pub assistance_type: AssistanceType,
    /// Workflow state (core's workflow state name, snake_case).
    pub state: String,
    /// When the central service received the application.
    pub submitted_at: DateTime<Utc>,
    /// Next deadline for the current step, if one runs.
    pub due: Option<NaiveDate>,
    /// Colour of that deadline.
    pub colour: Option<DeadlineColour>,
    /// Members who still have to sign the authorization (masked names).
    pub pending_signatures: Vec<String>,
    /// Number of materials uploaded.
    pub materials: u32,
    /// Township hotline shown on every status screen.
    pub hotline: String,
    /// 举报 number shown on every status screen.
    pub report_phone: String,
    /// The day the township accepted the application (受理), once it did.
    #[serde(default)]
    pub accepted_on: Option<NaiveDate>,
    /// The day of the decision (确认, approved or refused), or the day the case ended without
    /// one (abandoned, withdrawn).
    #[serde(default)]
    pub decided_on: Option<NaiveDate>,
    /// Whether the decision approved the application (`None` before a decision).
    #[serde(default)]
    pub approved: Option<bool>,
    /// The one-time notice (一次性告知), once sent.
    #[serde(default)]
    pub missing_notice: Option<MissingNoticeSummary>,
    /// The deadlines running for the case on the day of the answer, most urgent first (core's
    /// [`crate::workflow::deadlines`]); filled on the kiosk status answer.
    #[serde(default)]
    pub deadlines: Vec<DeadlineSummary>,
    /// The short case number printed and spoken for the household (e.g. `江东-2026-00123`);
    /// the UUID in `case_id` stays internal.
    #[serde(default)]
    pub case_no: Option<String>,
    /// The documents addressed to the household (告知书, 决定书 …), oldest first, with their
    /// delivery (送达); filled on the kiosk status answer.
    #[serde(default)]
    pub notices: Vec<CaseNotice>,
}

/// How a document reached the household (送达).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryMethod {
    /// Shown at a kiosk to the identified applicant or agent, who confirmed receipt.
    Kiosk,
    /// A text message through the SMS gateway (to the contact number given with the application).
    Sms,
    /// Handed over by staff (in person or through the village).
    InPerson,
}

/// One document of a case addressed to the household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseNotice {
    /// Document id (for `POST /v1/kiosk/notices/{id}/delivered`).
    pub id: i64,
    /// What it is.
    pub kind: crate::notices::DocumentKind,
    /// Its title (一次性告知书, 不予确认决定书 …).
    pub title: String,
    /// The day it was issued.
    pub issued_on: NaiveDate,
    /// The full text, as printed.
    pub text: String,
    /// The last day the household must act by, if any.
    #[serde(default)]
    pub deadline: Option<NaiveDate>,
    /// The day it was first delivered.
    #[serde(default)]
    pub delivered_on: Option<NaiveDate>,
    /// How it was first delivered.
    #[serde(default)]
    pub delivered_how: Option<DeliveryMethod>,
}

/// `POST /v1/kiosk/notices/{id}/delivered` — the identified applicant (or their agent) confirms
/// at the kiosk that they have read (and been given a print of) the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeReceipt {
    /// The applicant, identified at the kiosk.
    pub id_number: IdNumber,
    /// The agent's number when the agent confirms; must be the agent recorded on the case.
    #[serde(default)]
    pub agent_id_number: Option<IdNumber>,
}

/// Answer to `POST /v1/kiosk/notices/{id}/delivered`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeDelivered {
    /// Document id.
    pub id: i64,
    /// The day of the (first) delivery.
    pub delivered_on: NaiveDate,
    /// How it was first delivered.
    pub delivered_how: DeliveryMethod,
    /// Whether this confirmation recorded it (false when it was already delivered).
    pub recorded: bool,
}

/// One document on the staff list (`GET /v1/staff/townships/{code}/notices`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffNotice {
    /// Document id.
    pub id: i64,
    /// Case id.
    pub case_id: String,
    /// Short case number.
    #[serde(default)]
    pub case_no: Option<String>,
    /// What it is.
    pub kind: crate::notices::DocumentKind,
    /// Who it is for.
    pub audience: crate::notices::Audience,
    /// The day it was issued.
    pub issued_on: NaiveDate,
    /// The last day to act by, if any.
    #[serde(default)]
    pub deadline: Option<NaiveDate>,
    /// The full text.
    pub text: String,
    /// The day it was delivered (household documents).
    #[serde(default)]
    pub delivered_on: Option<NaiveDate>,
    /// How.
    #[serde(default)]
    pub delivered_how: Option<DeliveryMethod>,
}

/// Answer to `GET /v1/staff/townships/{code}/notices`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffNotices {
    /// Documents, oldest first.
    pub notices: Vec<StaffNotice>,
}

/// `POST /v1/kiosk/applications/{case_id}/withdrawal` — the applicant (or agent), identified
/// by card, withdraws the application before the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalRequest {
    /// The applicant.
    pub id_number: IdNumber,
    /// The agent's number when the agent acts; must be the agent recorded on the case.
    #[serde(default)]
    pub agent_id_number: Option<IdNumber>,
    /// Why, if they say (at most 500 characters).
    #[serde(default)]
    pub reason: String,
}

/// `POST /v1/kiosk/applications/{case_id}/objections` — the applicant (or agent) objects to
/// not-eligible findings and asks for a re-check (复查), with evidence or asking for help.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingsObjectionRequest {
    /// The applicant.
    pub id_number: IdNumber,
    /// The agent's number when the agent acts.
    #[serde(default)]
    pub agent_id_number: Option<IdNumber>,
    /// What is objected (1–500 characters).
    pub statement: String,
    /// SHA-256 of evidence uploaded to the case as materials.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// The evidence is hard to obtain: the township is asked to help.
    #[serde(default)]
    pub needs_help: bool,
}

/// `POST /v1/kiosk/publicity/{case_no}/objections` — any resident identified by card lodges a
/// named (实名) objection to a 公示 while it runs. `case_no` is the number on the posting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicityObjectionRequest {
    /// The objector (card read at the kiosk).
    pub objector: PersonRef,
    /// What is objected (1–500 characters).
    pub statement: String,
}

/// `POST /v1/kiosk/applications/{case_id}/contact-phone` — the applicant (or the recorded
/// agent), identified by card, gives or changes the mobile number the case's notices are sent
/// to by SMS (短信送达).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactPhoneRequest {
    /// The applicant.
    pub id_number: IdNumber,
    /// The agent's number when the agent acts; must be the agent recorded on the case.
    #[serde(default)]
    pub agent_id_number: Option<IdNumber>,
    /// A mainland mobile number ([`is_mobile_number`]).
    pub phone: String,
}

/// Answer to `POST /v1/kiosk/applications/{case_id}/contact-phone`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactPhoneSet {
    /// Short case number.
    #[serde(default)]
    pub case_no: Option<String>,
    /// The number kept, masked (`139****5678`).
    pub phone_masked: String,
}

/// A mobile number with its middle four digits hidden (`139****5678`).
pub fn mask_phone(p: &str) -> String {
    if p.len() == 11 && p.is_ascii() {
        format!("{}****{}", &p[..3], &p[7..])
    } else {
        "****".into()
    }
}

/// One 公示 running now in a township the kiosk serves (`GET /v1/kiosk/publicity`): what the
/// village notice board shows (masked name), with the case number a named objection cites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicityPosting {
    /// The case number to object to (`POST /v1/kiosk/publicity/{case_no}/objections`).
    pub case_no: String,
    /// Township code.
    pub township: String,
    /// Assistance type.
    pub assistance_type: AssistanceType,
    /// The posting's text as posted (masked name, household size, the proposed opinion, the
    /// period, where to object).
    pub text: String,
    /// The last day of the posting.
    pub until: NaiveDate,
}

/// One township a kiosk serves: applications registered there (户籍所在地) may be made at it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServedTownship {
    /// Township code.
    pub code: String,
    /// Township name, as the district registered it.
    pub name: String,
}

/// Answer to `GET /v1/kiosk/townships`: the townships the asking kiosk serves, its own first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KioskTownships {
    /// The townships.
    pub townships: Vec<ServedTownship>,
}

/// Answer to `GET /v1/kiosk/publicity`: the postings running today, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicityList {
    /// The postings.
    pub postings: Vec<PublicityPosting>,
}

/// Answer to the resident's steps: the case afterwards and the receipt to print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentStepDone {
    /// Case id (withheld from a resident objecting to someone else's 公示: empty there).
    pub case_id: String,
    /// Short case number.
    #[serde(default)]
    pub case_no: Option<String>,
    /// The workflow state afterwards (withheld from a third party: `recorded`).
    pub state: String,
    /// The day it was recorded.
    pub recorded_on: NaiveDate,
    /// The receipt's text (回执), to print; masked names only.
    pub receipt: String,
}

/// The one-time notice (一次性告知) as the applicant may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingNoticeSummary {
    /// The day it was sent.
    pub issued_on: NaiveDate,
    /// The last day to supply the materials.
    pub deadline: NaiveDate,
    /// Every material missing or unusable on that day.
    pub materials: Vec<crate::application::Material>,
    /// What the clerk added.
    #[serde(default)]
    pub note: String,
    /// The day the application became complete again.
    #[serde(default)]
    pub completed_on: Option<NaiveDate>,
}

impl From<&crate::workflow::MissingNotice> for MissingNoticeSummary {
    fn from(n: &crate::workflow::MissingNotice) -> Self {
        MissingNoticeSummary {
            issued_on: n.issued_on,
            deadline: n.deadline,
            materials: n.materials.clone(),
            note: n.note.clone(),
            completed_on: n.completed_on,
        }
    }
}

/// One running deadline of a case (core's [`crate::workflow::Deadline`] without its colour
/// arithmetic: the kiosk recounts the days left from `due` with the same calendar).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineSummary {
    /// Which deadline.
    pub kind: crate::workflow::DeadlineKind,
    /// The day the period started from (not counted).
    pub from: NaiveDate,
    /// The last day.
    pub due: NaiveDate,
    /// Working or calendar days.
    pub unit: crate::workflow::DayUnit,
    /// Days allowed in (from, due].
    pub allowed: u32,
    /// Whether a year without a published holiday notice was guessed (then provisional).
    #[serde(default)]
    pub provisional: bool,
}

impl From<&crate::workflow::Deadline> for DeadlineSummary {
    fn from(d: &crate::workflow::Deadline) -> Self {
        DeadlineSummary {
            kind: d.kind,
            from: d.from,
            due: d.due,
            unit: d.unit,
            allowed: d.allowed,
            provisional: !d.unpublished_years.is_empty(),
        }
    }
}

impl CaseSummary {
    /// Fills the dates, the one-time notice and (with a calendar and a day) the running
    /// deadlines and who must still sign, from the stored workflow case.
    pub fn fill_from_case(
        &mut self,
        case: &crate::workflow::Case,
        deadlines_on: Option<(&crate::calendar::Calendar, NaiveDate)>,
    ) {
        self.accepted_on = case.accepted_on;
        self.decided_on =
            case.decision
                .as_ref()
                .map(|d| d.decided_on)
                .or(if case.state.is_final() {
                    case.closed_on
                } else {
                    None
                });
        self.approved = case.decision.as_ref().map(|d| d.approved);
        self.missing_notice = case.missing_notice.as_ref().map(Into::into);
        if let Some((cal, today)) = deadlines_on {
            // Who must still sign on that day, by the workflow's rule (adults and obligated
            // persons, and only while signatures are taken).
            self.pending_signatures = case
                .awaiting_signature(today)
                .iter()
                .map(|m| m.name.masked())
                .collect();
            self.deadlines = crate::workflow::deadlines(case, cal, today)
                .iter()
                .map(Into::into)
                .collect();
        }
    }
}

/// `POST /v1/kiosk/applications/{case_id}/signatures` — a member signs the authorization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignAuthorization {
    /// The signer; must be the applicant or a listed member.
    pub signer: PersonRef,
    /// How the signer was identified.
    pub method: SignerIdentification,
    /// SHA-256 (hex) of a handwriting image uploaded as a material, if any (with a fingerprint
    /// mark: the image of the mark).
    #[serde(default)]
    pub handwriting_sha256: Option<String>,
    /// What the signer put on the authorization: a handwritten name (the default) or, for a
    /// signer who cannot write, a fingerprint mark (按手印) made before a staff member.
    #[serde(default, skip_serializing_if = "SignatureMark::is_handwriting")]
    pub mark: SignatureMark,
    /// With a fingerprint mark: the live staff session of the witness (the bearer token of their
    /// login at this kiosk). Central checks it and records the account; the token is not stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witness: Option<StaffToken>,
}

/// What a signer put on the 核对授权书.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureMark {
    /// A handwritten name.
    #[default]
    Handwriting,
    /// A fingerprint mark (按手印) by a signer who cannot write, witnessed by staff.
    FingerprintMark,
}

impl SignatureMark {
    /// Whether this is the default, a handwritten name.
    pub fn is_handwriting(&self) -> bool {
        *self == Self::Handwriting
    }
}

/// How a signer was identified at the kiosk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignerIdentification {
    /// ID card read plus face match.
    IdCardFace,
    /// ID card read plus fingerprint match.
    IdCardFingerprint,
    /// Typed ID number plus handwriting.
    NumberHandwriting,
}

/// `POST /v1/kiosk/signatures/pending` — 签署授权: the applications waiting for this person's
/// signature of the 核对授权书 (a member who was not there when the application was made).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingSignatureQuery {
    /// The person who wants to sign (identified at the kiosk).
    pub id_number: IdNumber,
}

/// Answer to `POST /v1/kiosk/signatures/pending`: only what the signer must see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignatures {
    /// Applications still taking signatures on which this person must sign and has not,
    /// oldest first.
    pub cases: Vec<PendingSignature>,
}

/// One application waiting for the signer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignature {
    /// Case id (UUIDv7 text); the signature goes to `/v1/kiosk/applications/{case_id}/signatures`.
    pub case_id: String,
    /// Township code.
    pub township: String,
    /// Township name.
    pub township_name: String,
    /// Assistance applied for.
    pub assistance_type: AssistanceType,
    /// When central received the application.
    pub submitted_at: DateTime<Utc>,
    /// The applicant's masked name.
    pub applicant_masked: String,
    /// The signer's masked name as recorded on the application.
    pub signer_masked: String,
    /// How the signer relates to the applicant.
    pub relationship: crate::household::Relationship,
    /// The last day signatures are taken when a one-time notice runs (otherwise until 受理).
    #[serde(default)]
    pub sign_by: Option<NaiveDate>,
    /// Township hotline.
    pub hotline: String,
}

/// Answer to `POST /v1/kiosk/applications/{case_id}/materials` (raw body, `Content-Type`
/// `image/jpeg`, `image/png` or `application/pdf`, checked by content).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterialStored {
    /// SHA-256 (hex) of the content; its address.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Content type detected from the bytes.
    pub content_type: String,
}

/// Who asks for a status: the person themself or their agent (both identified at the kiosk).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusQuery {
    /// The person whose cases are asked for.
    pub id_number: IdNumber,
    /// The agent's number when an agent asks; must be the agent recorded on the case.
    #[serde(default)]
    pub agent_id_number: Option<IdNumber>,
}

/// Answer to `POST /v1/kiosk/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusAnswer {
    /// Cases of the person, newest first.
    pub cases: Vec<CaseSummary>,
}

/// `POST /v1/kiosk/certification/status` — is this recipient already certified this cycle?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificationQuery {
    /// The recipient.
    pub id_number: IdNumber,
    /// In guardian mode, the guardian: central answers 403 `not_guardian` when this person is
    /// not a registered guardian of the recipient, before any biometric is taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardian_id_number: Option<IdNumber>,
}

/// Answer to a certification query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificationStatus {
    /// Whether the person is a current recipient at all.
    pub recipient: bool,
    /// Whether they are certified for the current cycle (no biometric check needed).
    pub certified_this_cycle: bool,
    /// Date of the last certification.
    pub last_certified_on: Option<NaiveDate>,
    /// When the current certification lapses.
    pub valid_until: Option<NaiveDate>,
    /// Which modalities have an enrolled reference template.
    pub enrolled: Vec<Modality>,
}

/// How a certification was carried out (domain.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificationMode {
    /// 本人认证.
    SelfCheck,
    /// 监护人代认证.
    Guardian,
    /// 协助他人认证.
    Assisted,
    /// Witnessed by staff (non-biometric alternative). Only central's staff step that closes a
    /// certification alternative certifies this way; a kiosk sending it is refused.
    StaffWitnessed,
}

/// `POST /v1/kiosk/certification/results` — the kiosk's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificationResult {
    /// The recipient.
    pub id_number: IdNumber,
    /// Mode.
    pub mode: CertificationMode,
    /// Modality used, `None` for staff-witnessed.
    #[serde(default)]
    pub modality: Option<Modality>,
    /// Whether liveness passed before matching.
    pub liveness_passed: bool,
    /// Whether the 1:1 match passed the kiosk's threshold.
    pub matched: bool,
    /// Match score as reported by the matcher (informative).
    #[serde(default)]
    pub score: Option<f64>,
    /// The guardian (guardian mode: a registered guardian) or the assisting person (assisted
    /// mode).
    #[serde(default)]
    pub assisted_by: Option<PersonRef>,
    /// Assisted mode (协助他人认证): the live session of the staff member helping at this
    /// kiosk. Required in assisted mode, refused in the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff_session: Option<StaffToken>,
    /// Guardian mode (监护人代认证, domain.md §3): the on-site photo of the recipient, taken at
    /// the kiosk after the guardian's own check passed. Required for a passed guardian
    /// certification, refused in every other mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_photo: Option<EvidencePhoto>,
}

/// Largest on-site evidence photo, in JPEG bytes (before base64).
pub const MAX_EVIDENCE_BYTES: usize = 256 * 1024;

/// The only content type of an evidence photo.
pub const EVIDENCE_CONTENT_TYPE: &str = "image/jpeg";

/// The on-site photo of the recipient in guardian mode. Biometric data: `Debug` shows only its
/// size; the central service stores it encrypted and never logs it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidencePhoto {
    /// Always [`EVIDENCE_CONTENT_TYPE`].
    pub content_type: String,
    /// Whether the separate consent to take and keep this photo was given at the kiosk; a photo
    /// without it is refused.
    pub consent: bool,
    /// The JPEG bytes, standard base64 (at most [`MAX_EVIDENCE_BYTES`] decoded).
    pub data: String,
}

impl EvidencePhoto {
    /// A JPEG photo taken with consent.
    pub fn jpeg(bytes: &[u8]) -> Self {
        EvidencePhoto {
            content_type: EVIDENCE_CONTENT_TYPE.into(),
            consent: true,
            data: B64.encode(bytes),
        }
    }

    /// The photo's bytes, or `None` when `data` is not base64.
    pub fn bytes(&self) -> Option<Vec<u8>> {
        B64.decode(self.data.as_bytes()).ok()
    }
}

impl fmt::Debug for EvidencePhoto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "EvidencePhoto({}, {} base64 chars, consent: {})",
            self.content_type,
            self.data.len(),
            self.consent
        )
    }
}

/// `POST /v1/staff/guardians` — township staff register a recipient's guardian (监护人), who may
/// then certify for them at a kiosk. The guardian's reference templates are imported with
/// `jiuzhu-central template import` afterwards. `Debug` masks both people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterGuardian {
    /// The recipient.
    pub recipient_id_number: IdNumber,
    /// The guardian.
    pub guardian: PersonRef,
    /// Relation to the recipient, e.g. `child`, `spouse`, `sibling`, `village_committee` (1–32
    /// characters of `a-z` and `_`).
    pub relation: String,
}

/// Answer to a guardian registration (masked: no full numbers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardianRegistered {
    /// Masked recipient number.
    pub recipient_masked: String,
    /// Masked guardian number.
    pub guardian_masked: String,
    /// Masked guardian name.
    pub guardian_name_masked: String,
    /// Relation.
    pub relation: String,
}

/// Answer to a certification result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificationRecorded {
    /// Whether the recipient is now certified.
    pub certified: bool,
    /// Date certified.
    pub certified_on: NaiveDate,
    /// Valid until.
    pub valid_until: NaiveDate,
    /// The signed 社会救助身份证明 code, when a proof was issued.
    pub proof_code: Option<String>,
}

/// `POST /v1/kiosk/templates` — fetch the reference template of an enrolled person (a
/// recipient, or a registered guardian).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateQuery {
    /// The recipient.
    pub id_number: IdNumber,
    /// Which template.
    pub modality: Modality,
}

/// Working days (core's calendar) within which township staff are expected to act on a
/// non-biometric certification alternative. domain.md §3 names the alternatives but states no
/// time limit; this default matches the district's 10-working-day decision period.
pub const ALTERNATIVE_DUE_WORKING_DAYS: u32 = 10;

/// Longest note on an alternative request or its closing, in characters.
pub const MAX_ALTERNATIVE_NOTE_CHARS: usize = 200;

/// A non-biometric certification alternative (domain.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlternativeKind {
    /// The resident comes to the township hall and a staff member witnesses the certification.
    StaffWitness,
    /// Township staff visit the resident at home.
    HomeVisit,
}

/// `POST /v1/kiosk/certification/alternatives` — a recipient who declines or cannot do a
/// biometric check asks for a staff witness or a home visit. An optional `Idempotency-Key`
/// makes a retry return the first answer. `Debug` masks the number and hides the note.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificationAlternativeRequest {
    /// The recipient.
    pub id_number: IdNumber,
    /// Which alternative.
    pub kind: AlternativeKind,
    /// Free text for the staff (1–200 characters when present), e.g. when to visit.
    #[serde(default)]
    pub note: Option<String>,
}

impl fmt::Debug for CertificationAlternativeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CertificationAlternativeRequest({:?}, {:?}, note: {} chars)",
            self.id_number,
            self.kind,
            self.note.as_deref().map_or(0, |n| n.chars().count())
        )
    }
}

/// Answer to a certification alternative request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlternativeRecorded {
    /// Id of the request (UUIDv7 text).
    pub request_id: String,
    /// Which alternative.
    pub kind: AlternativeKind,
    /// When the central service recorded it.
    pub requested_at: DateTime<Utc>,
    /// The day by which staff should have acted: [`ALTERNATIVE_DUE_WORKING_DAYS`] working days
    /// after the request (China date), by core's calendar.
    pub due_by: NaiveDate,
    /// Years without a published holiday notice that `due_by` was counted through (weekends
    /// only): when not empty the date is provisional and must be shown as such.
    #[serde(default)]
    pub unpublished_years: BTreeSet<i32>,
}

/// Answer to `GET /v1/public/proofs/{code}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofVerdict {
    /// `valid`, `expired` or `unknown`.
    pub status: ProofStatus,
    /// Masked name of the holder (never the full ID number).
    pub masked_name: Option<String>,
    /// Masked ID number.
    pub masked_id: Option<String>,
    /// Valid until.
    pub valid_until: Option<NaiveDate>,
    /// For `superseded` and `revoked`: from which day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<NaiveDate>,
    /// For `revoked`: `deceased` or `suspended`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Outcome of a proof verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProofStatus {
    /// Signed by the district and in date.
    Valid,
    /// Signed but past its date.
    Expired,
    /// Signed, but a newer proof was issued to the same person (`since`: that day).
    Superseded,
    /// Signed, but the holder died or the assistance was suspended (`since`, `reason`).
    Revoked,
    /// Not a proof the district issued.
    Unknown,
}

// ---------------------------------------------------------------------------------------------
// Staff endpoints
// ---------------------------------------------------------------------------------------------

/// `POST /v1/staff/login`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Account name.
    pub username: String,
    /// Password.
    pub password: String,
}

impl fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LoginRequest({}, ****)", self.username)
    }
}

/// Answer to a login: a bearer token for `Authorization: Bearer …`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginAnswer {
    /// Opaque session token.
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// The account's role.
    pub role: StaffRole,
    /// The township scope (`None` for the district bureau).
    pub township: Option<String>,
}

impl fmt::Debug for LoginAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LoginAnswer(****, {:?}, {:?})", self.role, self.township)
    }
}

/// `POST /v1/staff/cases/{case_id}/events` — one workflow step taken by the logged-in staff
/// member (who is the actor: role, account and township come from the session).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseEventRequest {
    /// The step, as [`crate::workflow::Action`] serializes it: `{"type": "accept"}`,
    /// `{"type": "notify_missing_materials", "deadline": "2026-03-13"}`, ….
    pub action: crate::workflow::Action,
}

/// A case with its full history, for staff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseDetail {
    /// Summary.
    pub summary: CaseSummary,
    /// The workflow case as core serializes it.
    pub case: serde_json::Value,
    /// Audit trail of the case: who did what and when.
    pub history: Vec<HistoryEntry>,
    /// The deadlines running today, most urgent first, as [`crate::workflow::Deadline`]
    /// serializes them (kind, from, due, unit, allowed, left, overdue_by, colour).
    #[serde(default)]
    pub deadlines: Vec<serde_json::Value>,
}

/// One line of a case's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who: `staff:<username>` or `kiosk:<id>`.
    pub actor: String,
    /// What, e.g. `submitted`, `event:accept`.
    pub action: String,
}

/// Answer to `GET /v1/staff/townships/{code}/statistics`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TownshipStatistics {
    /// Township code.
    pub township: String,
    /// Open and closed cases by assistance type.
    pub by_type: BTreeMap<String, u64>,
    /// Cases by workflow state.
    pub by_state: BTreeMap<String, u64>,
    /// Open cases by deadline colour.
    pub by_colour: BTreeMap<String, u64>,
}

/// One line of a 公示 or 公布 list. Names are masked; no ID numbers, no unrelated data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeEntry {
    /// Masked name of the applicant.
    pub masked_name: String,
    /// Village or community.
    pub township: String,
    /// Household size.
    pub household_size: u32,
    /// Assistance type.
    pub assistance_type: AssistanceType,
    /// Proposed or approved monthly amount in fen (分), when set.
    pub amount_fen: Option<i64>,
    /// Proposed inclusion (`true`) or exclusion.
    pub inclusion: bool,
    /// 公示 round (1, 2, …); only on the 公示 list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<u32>,
    /// First day of the posting; only on the 公示 list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posted_on: Option<NaiveDate>,
    /// Last day of the posting; only on the 公示 list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
}

/// One open certification alternative on a township's list. Name and number are masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenAlternative {
    /// Id of the request.
    pub request_id: String,
    /// Which alternative.
    pub kind: AlternativeKind,
    /// Masked name of the recipient.
    pub masked_name: String,
    /// Masked identity number (first 4 and last 4 characters).
    pub masked_id: String,
    /// The recipient's township.
    pub township: String,
    /// The kiosk the request came from.
    pub kiosk_id: String,
    /// When it was requested.
    pub requested_at: DateTime<Utc>,
    /// The day by which staff should have acted.
    pub due_by: NaiveDate,
    /// Colour of that deadline today (green > 25 % of the working days left, amber 10–25 %,
    /// red < 10 %, overdue).
    pub colour: DeadlineColour,
    /// Years without a published holiday notice that `due_by` was counted through.
    #[serde(default)]
    pub unpublished_years: BTreeSet<i32>,
    /// The resident's note, if any.
    pub note: Option<String>,
}

/// How staff closed a certification alternative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlternativeOutcome {
    /// A staff member saw the resident (at the hall or at home): recorded as a
    /// `staff_witnessed` certification, with a 社会救助身份证明.
    Witnessed,
    /// Visited without certifying.
    Visited,
    /// The resident was not found.
    NotFound,
    /// The resident declined.
    Declined,
}

/// `POST /v1/staff/alternatives/{request_id}/close`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseAlternativeRequest {
    /// The outcome.
    pub outcome: AlternativeOutcome,
    /// Free text for the record (1–200 characters when present).
    #[serde(default)]
    pub note: Option<String>,
}

/// Answer to closing a certification alternative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlternativeClosed {
    /// Id of the request.
    pub request_id: String,
    /// Which alternative it was.
    pub kind: AlternativeKind,
    /// The outcome.
    pub outcome: AlternativeOutcome,
    /// When it was closed.
    pub closed_at: DateTime<Utc>,
    /// Who closed it: `staff:<username>`.
    pub closed_by: String,
    /// For `witnessed`: the certification, as the kiosk's certification result answers it.
    pub certification: Option<CertificationRecorded>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn canonical_string_layout() {
        let s = canonical_string(
            "post",
            "/v1/kiosk/status?a=1",
            1700000000,
            "n0nce-0123456789",
            "k1",
            b"{}",
        );
        assert_eq!(
            s,
            "JIUZHU-KIOSK-V1\nPOST\n/v1/kiosk/status?a=1\n1700000000\nn0nce-0123456789\nk1\n\
             44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
    }

    #[rstest]
    #[case::method("PUT", "/v1/kiosk/status", 100, b"{}".as_slice())]
    #[case::path("POST", "/v1/kiosk/status?x=2", 100, b"{}".as_slice())]
    #[case::time("POST", "/v1/kiosk/status", 101, b"{}".as_slice())]
    #[case::body("POST", "/v1/kiosk/status", 100, b"{ }".as_slice())]
    fn any_change_breaks_signature(
        #[case] method: &str,
        #[case] path: &str,
        #[case] ts: i64,
        #[case] body: &[u8],
    ) {
        let k = key(7);
        let h = sign_request(
            &k,
            "k1",
            "POST",
            "/v1/kiosk/status",
            100,
            "abcdefghijklmnop",
            b"{}",
        );
        assert_eq!(
            verify_request(&k.verifying_key(), &h, "POST", "/v1/kiosk/status", b"{}"),
            Ok(())
        );
        let mut h2 = h.clone();
        h2.timestamp = ts;
        assert_eq!(
            verify_request(&k.verifying_key(), &h2, method, path, body),
            Err(AuthError::BadSignature)
        );
    }

    #[test]
    fn wrong_key_and_garbage_signature() {
        let h = sign_request(&key(1), "k1", "GET", "/v1/x", 5, "abcdefghijklmnop", b"");
        assert_eq!(
            verify_request(&key(2).verifying_key(), &h, "GET", "/v1/x", b""),
            Err(AuthError::BadSignature)
        );
        let mut bad = h.clone();
        bad.signature = "!!".into();
        assert!(matches!(
            verify_request(&key(1).verifying_key(), &bad, "GET", "/v1/x", b""),
            Err(AuthError::MalformedHeader(HEADER_SIGNATURE, _))
        ));
    }

    #[rstest]
    #[case(1000, 1000, true)]
    #[case(1300, 1000, true)]
    #[case(1301, 1000, false)]
    #[case(699, 1000, false)]
    fn skew(#[case] ts: i64, #[case] now: i64, #[case] ok: bool) {
        assert_eq!(check_skew(ts, now).is_ok(), ok);
    }

    #[rstest]
    #[case("abcdefghijklmnop", true)]
    #[case("0190f1c2-7d3a-7b6e-9c1d-0123456789ab", true)]
    #[case("short", false)]
    #[case("abcdefghijklmnop\n", false)]
    #[case("abcdefghijklmnop qrs", false)]
    fn nonce_form(#[case] n: &str, #[case] ok: bool) {
        assert_eq!(valid_nonce(n), ok);
    }

    #[test]
    fn headers_roundtrip_through_lookup() {
        let h = sign_request(
            &key(3),
            "kiosk-9",
            "GET",
            "/v1/x",
            42,
            "abcdefghijklmnop",
            b"",
        );
        let pairs = h.pairs();
        let got = SignedHeaders::from_lookup(|n| {
            pairs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.as_str())
        })
        .unwrap();
        assert_eq!(got, h);
        assert_eq!(
            SignedHeaders::from_lookup(|_| None),
            Err(AuthError::MissingHeader(HEADER_KIOSK))
        );
    }

    #[test]
    fn template_box_roundtrip_and_wrong_key() {
        let k = key(9);
        let b = seal_template(
            &k.verifying_key(),
            "k9",
            Modality::Face,
            b"template-bytes",
            [5; 32],
            [6; 12],
        );
        assert_eq!(open_template(&k, "k9", &b).unwrap(), b"template-bytes");
        assert_eq!(
            open_template(&key(8), "k9", &b),
            Err(TemplateBoxError::Decrypt)
        );
        assert_eq!(
            open_template(&k, "other", &b),
            Err(TemplateBoxError::Decrypt)
        );
        let mut t = b.clone();
        t.nonce = "AAAA".into();
        assert_eq!(
            open_template(&k, "k9", &t),
            Err(TemplateBoxError::Malformed("nonce"))
        );
    }

    #[test]
    fn basic_types_convert_both_ways_and_keep_their_names() {
        use crate::household::AssistanceType as H;
        for h in H::ALL {
            match AssistanceType::try_from(h) {
                Ok(a) => {
                    assert_eq!(H::from(a), h);
                    assert_eq!(
                        serde_json::to_value(a).unwrap(),
                        serde_json::to_value(h).unwrap()
                    );
                }
                Err(e) => assert!(h.is_special(), "{e}"),
            }
        }
    }

    #[rstest]
    #[case(serde_json::to_value(AssistanceType::Dibao), "dibao")]
    #[case(serde_json::to_value(AssistanceType::Tekun), "tekun")]
    #[case(serde_json::to_value(AssistanceType::Temporary), "temporary")]
    #[case(serde_json::to_value(AssistanceType::LowIncomeEdge), "low_income_edge")]
    #[case(serde_json::to_value(DeadlineColour::Green), "green")]
    #[case(serde_json::to_value(DeadlineColour::Amber), "amber")]
    #[case(serde_json::to_value(DeadlineColour::Red), "red")]
    #[case(serde_json::to_value(DeadlineColour::Overdue), "overdue")]
    #[case(serde_json::to_value(StaffRole::VillageHelper), "village_helper")]
    #[case(serde_json::to_value(StaffRole::TownshipClerk), "township_clerk")]
    #[case(serde_json::to_value(StaffRole::TownshipLeader), "township_leader")]
    #[case(serde_json::to_value(StaffRole::DistrictBureau), "district_bureau")]
    fn shared_vocabulary_keeps_its_wire_names(
        #[case] v: Result<serde_json::Value, serde_json::Error>,
        #[case] name: &str,
    ) {
        assert_eq!(v.unwrap(), serde_json::Value::String(name.into()));
    }

    #[test]
    fn error_body_shape() {
        let v = serde_json::to_value(ErrorBody::new("bad_signature", "no")).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"error": {"code": "bad_signature", "reason": "no"}})
        );
    }

    #[test]
    fn alternative_request_wire_shape_and_masked_debug() {
        let r: CertificationAlternativeRequest = serde_json::from_value(serde_json::json!({
            "id_number": "11010519491231002X", "kind": "home_visit", "note": "下午在家"
        }))
        .unwrap();
        assert_eq!(r.kind, AlternativeKind::HomeVisit);
        let d = format!("{r:?}");
        assert!(
            !d.contains("11010519491231002X") && !d.contains("下午"),
            "{d}"
        );
        let no_note: CertificationAlternativeRequest =
            serde_json::from_str(r#"{"id_number":"11010519491231002X","kind":"staff_witness"}"#)
                .unwrap();
        assert_eq!(no_note.note, None);
        for bad in [
            r#"{"id_number":"11010519491231002X","kind":"phone_call"}"#,
            r#"{"id_number":"11010519491231002X","kind":"home_visit","x":1}"#,
        ] {
            assert!(serde_json::from_str::<CertificationAlternativeRequest>(bad).is_err());
        }
    }

    #[test]
    fn guardian_result_carries_the_photo_and_old_results_keep_their_shape() {
        let old = r#"{"id_number":"11010519491231002X","mode":"self_check","modality":"face","liveness_passed":true,"matched":true}"#;
        let r: CertificationResult = serde_json::from_str(old).unwrap();
        assert_eq!(r.evidence_photo, None);
        assert!(
            !serde_json::to_string(&r)
                .unwrap()
                .contains("evidence_photo"),
            "a result without a photo is sent as before"
        );
        let photo = EvidencePhoto::jpeg(&[0xFF, 0xD8, 0xFF, 0xD9]);
        assert_eq!(photo.bytes().unwrap(), vec![0xFF, 0xD8, 0xFF, 0xD9]);
        let d = format!("{photo:?}");
        assert!(!d.contains(&photo.data), "{d}");
        let with = CertificationResult {
            mode: CertificationMode::Guardian,
            evidence_photo: Some(photo),
            ..r
        };
        let back: CertificationResult =
            serde_json::from_str(&serde_json::to_string(&with).unwrap()).unwrap();
        assert_eq!(back, with);
        let q: CertificationQuery =
            serde_json::from_str(r#"{"id_number":"11010519491231002X"}"#).unwrap();
        assert_eq!(q.guardian_id_number, None);
        assert_eq!(
            serde_json::to_string(&q).unwrap(),
            r#"{"id_number":"11010519491231002X"}"#
        );
    }

    #[rstest]
    #[case(serde_json::to_value(AlternativeKind::StaffWitness), "staff_witness")]
    #[case(serde_json::to_value(AlternativeKind::HomeVisit), "home_visit")]
    #[case(serde_json::to_value(AlternativeOutcome::Witnessed), "witnessed")]
    #[case(serde_json::to_value(AlternativeOutcome::Visited), "visited")]
    #[case(serde_json::to_value(AlternativeOutcome::NotFound), "not_found")]
    #[case(serde_json::to_value(AlternativeOutcome::Declined), "declined")]
    fn alternative_vocabulary_keeps_its_wire_names(
        #[case] v: Result<serde_json::Value, serde_json::Error>,
        #[case] name: &str,
    ) {
        assert_eq!(v.unwrap(), serde_json::Value::String(name.into()));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let r: Result<CertificationQuery, _> =
            serde_json::from_str(r#"{"id_number":"11010519491231002X","extra":1}"#);
        assert!(r.is_err());
    }

    proptest! {
        #[test]
        fn sign_verify_any_request(
            method in "(GET|POST|PUT|DELETE)",
            path in "/v1/[a-z/]{0,30}(\\?[a-z=&0-9]{0,20})?",
            ts in 0i64..4_000_000_000,
            nonce in "[A-Za-z0-9_-]{16,64}",
            body in proptest::collection::vec(any::<u8>(), 0..256),
            seed in any::<u8>(),
        ) {
            let k = key(seed);
            let h = sign_request(&k, "kx", &method, &path, ts, &nonce, &body);
            prop_assert_eq!(verify_request(&k.verifying_key(), &h, &method, &path, &body), Ok(()));
        }

        #[test]
        fn template_box_any_bytes(data in proptest::collection::vec(any::<u8>(), 0..512), e in any::<[u8; 32]>(), seed in any::<u8>()) {
            let k = key(seed);
            let b = seal_template(&k.verifying_key(), "k", Modality::Fingerprint, &data, e, [1; 12]);
            prop_assert_eq!(open_template(&k, "k", &b).unwrap(), data);
        }
    }
}
