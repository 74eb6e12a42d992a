//! The HTTP surface: routes under `/v1`, the kiosk-signature and body-limit middleware, the
//! JSON extractor that answers bad input with a machine-readable reason, and the handlers.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString};
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use ed25519_dalek::{SigningKey, VerifyingKey};
use jiuzhu_core::api::{
    self, AlternativeClosed, AlternativeOutcome, AlternativeRecorded, AuthError, CaseDetail,
    CaseEventRequest, CertificationAlternativeRequest, CertificationMode, CertificationQuery,
    CertificationRecorded, CertificationResult, CloseAlternativeRequest, GuardianRegistered,
    LoginAnswer, LoginRequest, MaterialStored, OpenAlternative, PendingSignature,
    PendingSignatureQuery, PendingSignatures, RegisterGuardian, SignAuthorization, SignedHeaders,
    StaffRole, StatusAnswer, StatusQuery, SubmitApplication, TemplateQuery,
};
use jiuzhu_core::application::{Agent, AgentRelation, Application, Material, SuppliedMaterial};
use jiuzhu_core::calendar::Calendar;
use jiuzhu_core::household::{Household, Member, Relationship, TypeAvailability};
use jiuzhu_core::id::{IdNumber, today_in_china};
use jiuzhu_core::proof;
use jiuzhu_core::workflow::{self, Action, Actor, Case, Event, Role, china_date};
use rand::RngCore;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::evidence;
use crate::security::{self, BodyDigest, require_case_scope, require_scope};
use crate::store::{
    AlternativeClose, CertificationRecord, Idem, NewAlternative, NewCase, NewGuardian, NewPerson,
    ProofReissue, Recipient, Staff, Store, WorkflowStep,
};

mod applications;
mod certification;
mod documents;
mod staff;
use self::{applications::*, certification::*, documents::*, staff::*};
pub use self::{
    applications::{MaterialQuery, sniff},
    staff::StaffUser,
};

/// Largest JSON body accepted.
pub const MAX_JSON_BYTES: usize = 64 * 1024;
/// Largest material accepted.
pub const MAX_MATERIAL_BYTES: usize = 8 * 1024 * 1024;
/// Largest certification result: JSON with a base64 evidence photo of at most
/// [`api::MAX_EVIDENCE_BYTES`].
pub const MAX_CERTIFICATION_BYTES: usize = api::MAX_EVIDENCE_BYTES.div_ceil(3) * 4 + MAX_JSON_BYTES;
/// Lifetime of a staff session.
pub const SESSION_MINUTES: i64 = 30;
/// The OpenAPI document (YAML written in its JSON subset, so it is served as JSON unchanged).
pub const OPENAPI: &str = include_str!("../openapi.yaml");

/// Every route: (method, path template). The OpenAPI document must list exactly these.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/v1/health"),
    ("GET", "/v1/openapi.json"),
    ("POST", "/v1/kiosk/applications"),
    ("GET", "/v1/kiosk/applications/{case_id}"),
    ("POST", "/v1/kiosk/applications/{case_id}/signatures"),
    ("POST", "/v1/kiosk/applications/{case_id}/materials"),
    ("POST", "/v1/kiosk/signatures/pending"),
    ("POST", "/v1/kiosk/status"),
    ("POST", "/v1/kiosk/certification/status"),
    ("POST", "/v1/kiosk/certification/results"),
    ("POST", "/v1/kiosk/certification/alternatives"),
    ("POST", "/v1/kiosk/certification/proof"),
    ("POST", "/v1/kiosk/templates"),
    ("POST", "/v1/staff/login"),
    ("POST", "/v1/staff/logout"),
    ("POST", "/v1/staff/accounts/{username}/revoke"),
    ("POST", "/v1/staff/guardians"),
    ("GET", "/v1/staff/townships/{code}/queue"),
    ("GET", "/v1/staff/townships/{code}/statistics"),
    ("GET", "/v1/staff/townships/{code}/publication"),
    ("GET", "/v1/staff/townships/{code}/publicity"),
    ("GET", "/v1/staff/townships/{code}/alternatives"),
    ("POST", "/v1/staff/alternatives/{request_id}/close"),
    ("GET", "/v1/staff/cases/{case_id}"),
    ("POST", "/v1/staff/cases/{case_id}/events"),
    ("GET", "/v1/public/proofs/{code}"),
    ("GET", "/v1/staff/alerts"),
    ("POST", "/v1/staff/recipients/standing"),
    ("POST", "/v1/kiosk/help-calls"),
    ("GET", "/v1/kiosk/help-calls/{call_id}"),
    ("GET", "/v1/staff/townships/{code}/help-calls"),
    ("POST", "/v1/staff/help-calls/{call_id}/ack"),
    ("POST", "/v1/kiosk/notices/{notice_id}/delivered"),
    ("POST", "/v1/kiosk/applications/{case_id}/withdrawal"),
    ("POST", "/v1/kiosk/applications/{case_id}/objections"),
    ("POST", "/v1/kiosk/publicity/{case_no}/objections"),
    ("GET", "/v1/kiosk/publicity"),
    ("GET", "/v1/kiosk/townships"),
    ("POST", "/v1/kiosk/applications/{case_id}/contact-phone"),
    ("GET", "/v1/staff/townships/{code}/notices"),
];

/// The clock of the workflow (acceptance, deadlines, 公示 days). Request signatures, nonces and
/// sessions always use the system clock.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// Working-day calendar.
    pub calendar: Arc<Calendar>,
    /// The district key that signs 社会救助身份证明 codes.
    pub district_key: Arc<SigningKey>,
    /// The workflow clock; the system clock unless replaced with [`AppState::with_clock`].
    pub clock: Clock,
    /// Which special assistance types are open for online application.
    pub availability: Arc<TypeAvailability>,
    /// The staff login throttle.
    pub login_guard: Arc<crate::login_guard::LoginGuard>,
}

impl AppState {
    /// State over a store with the built-in calendar and the district signing key.
    pub fn new(store: Arc<dyn Store>, district_key: SigningKey) -> Self {
        AppState {
            store,
            calendar: Arc::new(Calendar::builtin()),
            district_key: Arc::new(district_key),
            clock: Arc::new(Utc::now),
            availability: Arc::new(TypeAvailability::default()),
            login_guard: Arc::new(crate::login_guard::LoginGuard::new(Default::default())),
        }
    }

    /// The same state with another login throttle.
    pub fn with_login_guard(mut self, guard: crate::login_guard::LoginGuard) -> Self {
        self.login_guard = Arc::new(guard);
        self
    }

    /// The same state with another workflow clock (tests run whole procedures through it).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Sends the timer to every open case and recolours deadlines now; how many cases changed.
    pub fn scan_deadlines(&self) -> Result<usize, crate::store::StoreError> {
        self.store.scan_deadlines(&self.calendar, (self.clock)())
    }
}

/// The identified kiosk of a signed request.
#[derive(Debug, Clone)]
pub struct KioskId {
    /// Kiosk id.
    pub id: String,
    /// Its Ed25519 key.
    pub key: VerifyingKey,
    /// The townships it serves: the one it stands in first, then those the district added.
    pub scope: Vec<String>,
}

/// The router with all routes and middleware.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/v1/health",
            get(|| async { Json(serde_json::json!({"status": "ok"})) }),
        )
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/kiosk/applications", post(submit))
        .route("/v1/kiosk/applications/{case_id}", get(kiosk_case))
        .route("/v1/kiosk/applications/{case_id}/signatures", post(sign))
        .route("/v1/kiosk/applications/{case_id}/materials", post(material))
        .route("/v1/kiosk/signatures/pending", post(pending_signatures))
        .route("/v1/kiosk/status", post(status))
        .route("/v1/kiosk/certification/status", post(cert_status))
        .route("/v1/kiosk/certification/results", post(cert_result))
        .route("/v1/kiosk/certification/proof", post(reissue_proof))
        .route(
            "/v1/kiosk/certification/alternatives",
            post(cert_alternative),
        )
        .route("/v1/kiosk/templates", post(template))
        .route("/v1/staff/login", post(login))
        .route("/v1/staff/logout", post(crate::staff_access::logout))
        .route(
            "/v1/staff/accounts/{username}/revoke",
            post(crate::staff_access::revoke),
        )
        .route("/v1/staff/guardians", post(register_guardian))
        .route("/v1/staff/townships/{code}/queue", get(queue))
        .route("/v1/staff/townships/{code}/statistics", get(statistics))
        .route("/v1/staff/townships/{code}/publication", get(publication))
        .route("/v1/staff/townships/{code}/publicity", get(publicity))
        .route(
            "/v1/staff/townships/{code}/alternatives",
            get(open_alternatives),
        )
        .route(
            "/v1/staff/alternatives/{request_id}/close",
            post(close_alternative),
        )
        .route("/v1/staff/cases/{case_id}", get(staff_case))
        .route("/v1/staff/cases/{case_id}/events", post(case_event))
        .route("/v1/public/proofs/{code}", get(verify_proof))
        .route("/v1/staff/alerts", get(crate::guarded::alerts))
        .route(
            "/v1/staff/recipients/standing",
            post(crate::guarded::set_standing),
        )
        .merge(crate::help_calls::routes())
        .route(
            "/v1/kiosk/notices/{notice_id}/delivered",
            post(crate::resident::notice_delivered),
        )
        .route(
            "/v1/kiosk/applications/{case_id}/withdrawal",
            post(crate::resident::withdrawal),
        )
        .route(
            "/v1/kiosk/applications/{case_id}/objections",
            post(crate::resident::findings_objection),
        )
        .route(
            "/v1/kiosk/publicity/{case_no}/objections",
            post(crate::resident::publicity_objection),
        )
        .route("/v1/kiosk/publicity", get(crate::resident::publicity_list))
        .route(
            "/v1/kiosk/townships",
            get(crate::resident::served_townships),
        )
        .route(
            "/v1/kiosk/applications/{case_id}/contact-phone",
            post(crate::resident::contact_phone),
        )
        .route(
            "/v1/staff/townships/{code}/notices",
            get(crate::resident::township_notices),
        )
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "no_route",
                "no such endpoint; see /v1/openapi.json",
            )
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not take that method; see /v1/openapi.json",
            )
        })
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .nest("/console", crate::console::router(state.clone()))
        .with_state(state)
}

/// Runs the deadline scanner (core's timer and deadline colours) every minute, the first time a
/// minute after start.
fn spawn_scanner(state: &AppState) {
    let scan = state.clone();
    tokio::spawn(async move {
        let every = std::time::Duration::from_secs(60);
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        loop {
            tick.tick().await;
            let s = scan.clone();
            let r = tokio::task::spawn_blocking(move || s.scan_deadlines()).await;
            if let Ok(Err(e)) = r {
                tracing::warn!(error = %e, "deadline scan failed");
            }
        }
    });
}

/// Serves `router(state)` on an already-bound listener until the process ends, and runs the
/// deadline scanner every minute.
pub async fn serve_on(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    serve_with(listener, state, crate::conn::ConnLimits::default()).await
}

/// As [`serve_on`] with explicit connection limits (header and body read timeouts, the
/// connection cap; see [`crate::conn`]).
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    limits: crate::conn::ConnLimits,
) -> std::io::Result<()> {
    spawn_scanner(&state);
    crate::conn::serve(listener, router_with(state, limits), limits).await
}

/// The router with the body-read timeout of `limits` (the other limits are the accept loop's).
pub fn router_with(state: AppState, limits: crate::conn::ConnLimits) -> Router {
    router(state).layer(axum::Extension(limits))
}

/// As [`serve_on`], over TLS with `config` (see [`crate::tls::server_config`]).
pub async fn serve_tls_on(
    listener: tokio::net::TcpListener,
    config: Arc<tokio_rustls::rustls::ServerConfig>,
    state: AppState,
) -> std::io::Result<()> {
    spawn_scanner(&state);
    let tls = crate::tls::TlsListener::new(listener, config)?;
    let limits = crate::conn::ConnLimits::default();
    crate::conn::serve(tls, router_with(state, limits), limits).await
}

/// Reads the body under a size limit and, for `/v1/kiosk/…`, checks the signature.
async fn guard(State(st): State<AppState>, req: Request, next: Next) -> Response {
    match guard_inner(st, req).await {
        Ok(req) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

async fn guard_inner(st: AppState, req: Request) -> Result<Request, ApiError> {
    let path = req.uri().path().to_string();
    let limit = if path.ends_with("/materials") {
        MAX_MATERIAL_BYTES
    } else if path == "/v1/kiosk/certification/results" {
        MAX_CERTIFICATION_BYTES
    } else {
        MAX_JSON_BYTES
    };
    let (mut parts, body) = req.into_parts();
    let body_timeout = parts
        .extensions
        .get::<crate::conn::ConnLimits>()
        .copied()
        .unwrap_or_default()
        .body_read_timeout;
    let bytes = tokio::time::timeout(body_timeout, axum::body::to_bytes(body, limit))
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                format!(
                    "the body did not arrive within {} s; send it at once",
                    body_timeout.as_secs()
                ),
            )
        })?
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the body exceeds {limit} bytes"),
            )
        })?;
    parts
        .extensions
        .insert(BodyDigest(hex::encode(Sha256::digest(&bytes))));
    if path.starts_with("/v1/kiosk/") {
        let headers =
            SignedHeaders::from_lookup(|n| parts.headers.get(n).and_then(|v| v.to_str().ok()))?;
        let store = st.store.clone();
        let pq = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or(path.clone());
        let method = parts.method.as_str().to_string();
        let body = bytes.clone();
        // storage and signature checks run off the async workers, so a request waiting for the
        // writer never stalls the runtime
        let (kid, key, scope) = blocking(move || {
            let kid = headers.kiosk_id.clone();
            let kiosk = store
                .kiosk(&kid)?
                .ok_or_else(|| AuthError::UnknownKiosk(kid.clone()))?;
            if kiosk.revoked {
                return Err(AuthError::RevokedKiosk(kid).into());
            }
            let now = Utc::now().timestamp();
            api::check_skew(headers.timestamp, now)?;
            let key =
                VerifyingKey::from_bytes(&kiosk.pubkey).map_err(|_| AuthError::BadSignature)?;
            api::verify_request(&key, &headers, &method, &pq, &body)?;
            if !store.remember_nonce(
                &kid,
                &headers.nonce,
                now,
                now - 2 * api::MAX_CLOCK_SKEW_SECS - 60,
            )? {
                return Err(AuthError::Replay.into());
            }
            let scope = store.hardening().kiosk_scope(&kid)?;
            Ok((kid, key, scope))
        })
        .await?;
        parts.extensions.insert(KioskId {
            id: kid,
            key,
            scope,
        });
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// A JSON body: `application/json`, known fields only, validated types; errors name the field.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ct = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("application/json")
        {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            ));
        }
        // Passwords are the one field whose characters are the user's own business.
        let free_form = req.uri().path() == "/v1/staff/login";
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::bad_request("unreadable_body", e.to_string()))?;
        if !free_form {
            let v: serde_json::Value = parse_json(&bytes)?;
            security::check_body(&v)?;
        }
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON, naming the offending field on a type error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::bad_request(
                "malformed_json",
                format!("the body is not valid JSON: {inner}"),
            )
        } else {
            let code = if path.ends_with("id_number") {
                "invalid_id_number"
            } else {
                "invalid_field"
            };
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                format!("{path}: {inner}"),
            )
        }
    })
}

fn kiosk(req_ext: &axum::http::Extensions) -> Result<KioskId, ApiError> {
    req_ext
        .get::<KioskId>()
        .cloned()
        .ok_or_else(|| AuthError::MissingHeader(api::HEADER_SIGNATURE).into())
}

pub(crate) async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> Result<R, ApiError> + Send + 'static,
) -> Result<R, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|_| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the request handler failed",
        )
    })?
}

/// The OpenAPI document as JSON: the YAML file without its leading comment lines.
pub fn openapi_json() -> &'static str {
    static DOC: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        OPENAPI
            .lines()
            .skip_while(|l| l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n")
    });
    &DOC
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], openapi_json()).into_response()
}

/// Extension extractor for the kiosk identity.
pub struct Kiosk(pub KioskId);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Kiosk {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, ApiError> {
        kiosk(&parts.extensions).map(Kiosk)
    }
}

fn bad_idempotency_key() -> ApiError {
    ApiError::bad_request(
        "missing_idempotency_key",
        "send an Idempotency-Key header of 16–64 characters [A-Za-z0-9_-]",
    )
}

/// A kiosk POST with an optional `Idempotency-Key`: the key as the store takes it, and the first
/// answer when this key was answered before (returned unchanged; nothing is stored again).
fn idempotent<'a>(
    s: &dyn Store,
    kiosk: &'a str,
    endpoint: &'a str,
    key: Option<&'a str>,
    body_sha256: &'a str,
) -> Result<(Option<Idem<'a>>, Option<Response>), ApiError> {
    let idem = key.map(|key| Idem {
        kiosk,
        endpoint,
        key,
        body_sha256,
    });
    let prior = idem.map(|i| s.reply(i)).transpose()?.flatten();
    Ok((idem, prior.map(json_reply)))
}

/// The `Idempotency-Key` header: `None` when absent, an error when malformed.
fn idempotency_key(headers: &HeaderMap) -> Option<Result<String, ApiError>> {
    headers.get(api::HEADER_IDEMPOTENCY_KEY).map(|v| {
        v.to_str()
            .ok()
            .filter(|k| api::valid_nonce(k))
            .map(str::to_string)
            .ok_or_else(bad_idempotency_key)
    })
}

pub(crate) fn unprocessable(reason: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", reason)
}

fn kiosk_actor(k: &KioskId) -> Actor {
    Actor::new(Role::Applicant, format!("kiosk:{}", k.id))
}

fn internal(code: &'static str, reason: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, code, reason)
}

/// The stored form of a session token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Hashes a password with argon2id (default parameters: 19 MiB, 2 passes).
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| ApiError::bad_request("internal", e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::bad_request("invalid_password", e.to_string()))
}

/// The account when `password` is its password, for every way staff log in (the API and the
/// console), throttled by [`crate::login_guard`]: a blocked name or address is answered 429 with
/// `Retry-After`, a flood 503; unknown, disabled and removed accounts cost the same argon2 work
/// and get the same 401 `bad_credentials`; a failure is audited (`staff.login_failed`, by
/// `address:<ip>`, naming only existing accounts).
pub(crate) async fn authenticate(
    st: &AppState,
    username: &str,
    password: &str,
    ip: Option<std::net::IpAddr>,
) -> Result<Staff, Response> {
    let guard = st.login_guard.clone();
    let s = st.store.clone();
    // the back-off is kept in the database every instance shares: read off the async runtime
    {
        let (g, s, u) = (guard.clone(), s.clone(), username.to_owned());
        blocking(move || Ok(g.admit(s.as_ref(), &u, ip)))
            .await
            .map_err(IntoResponse::into_response)?
            .map_err(IntoResponse::into_response)?;
    }
    let permit = guard.permit().await.map_err(IntoResponse::into_response)?;
    let (username, password) = (username.to_owned(), password.to_owned());
    blocking(move || {
        let _permit = permit;
        let found = s.staff_with_hash(&username)?;
        let verified = guard.verify(found.as_ref().map(|(_, h)| h.as_str()), &password);
        let known = found.is_some();
        let Some((staff, _)) = found.filter(|_| verified) else {
            guard.failed(s.as_ref(), &username, ip)?;
            s.record(
                &format!(
                    "address:{}",
                    ip.map(|i| i.to_string())
                        .unwrap_or_else(|| "unknown".into())
                ),
                "staff.login_failed",
                if known { &username } else { "unknown-account" },
                Utc::now(),
            )?;
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "bad_credentials",
                "unknown account or wrong password",
            ));
        };
        guard.succeeded(s.as_ref(), &staff.username)?;
        Ok(staff)
    })
    .await
    .map_err(IntoResponse::into_response)
}

/// A new session of [`SESSION_MINUTES`] for `staff` (stored as the token's SHA-256, audited as
/// `staff.login`): the token and its expiry.
pub(crate) fn open_session(
    s: &dyn Store,
    staff: &Staff,
) -> Result<(String, DateTime<Utc>), ApiError> {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let token = hex::encode(raw);
    let expires_at = Utc::now() + Duration::minutes(SESSION_MINUTES);
    s.add_session(&token_hash(&token), &staff.username, expires_at.timestamp())?;
    Ok((token, expires_at))
}

pub(crate) fn check_scope(staff: &Staff, township: &str) -> Result<(), ApiError> {
    match &staff.township {
        None => Ok(()),
        Some(t) if t == township => Ok(()),
        Some(t) => Err(ApiError::forbidden(format!(
            "account '{}' is scoped to township {t} and cannot see township {township}",
            staff.username
        ))),
    }
}

pub(crate) async fn township_read<R: Send + 'static>(
    st: AppState,
    staff: Staff,
    code: String,
    action: &'static str,
    f: impl FnOnce(&dyn Store, &str) -> Result<R, crate::store::StoreError> + Send + 'static,
) -> Result<R, ApiError> {
    check_scope(&staff, &code)?;
    let s = st.store.clone();
    blocking(move || {
        s.township(&code)?
            .ok_or_else(|| ApiError::not_found(format!("no township '{code}'")))?;
        let r = f(s.as_ref(), &code)?;
        s.record(
            &format!("staff:{}", staff.username),
            action,
            &format!("township:{code}"),
            Utc::now(),
        )?;
        Ok(r)
    })
    .await
}

/// The workflow actor of a staff account: its role, its name, its township.
pub(crate) fn staff_actor(staff: &Staff) -> Actor {
    match &staff.township {
        Some(t) => Actor::staff(staff.role, staff.username.clone(), t.clone()),
        None => Actor::new(staff.role, staff.username.clone()),
    }
}

/// Method of a route as axum's type (for tests and the route-agreement check).
pub fn method_of(m: &str) -> Method {
    Method::from_bytes(m.as_bytes()).unwrap_or(Method::GET)
}
