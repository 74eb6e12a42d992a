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

/// A member's relation as the kiosk sends it: one of core's [`Relationship`] names (`spouse`,
/// `child`, `obligated`, …) other than the applicant's own (`self`). A closed set: anything
/// else (`agent`, which is a role, not a relation) is refused with 422 naming the member.
fn relationship_of(i: usize, relation: &str) -> Result<Relationship, ApiError> {
    serde_json::from_value::<Relationship>(serde_json::Value::String(relation.to_string()))
        .ok()
        .filter(|r| *r != Relationship::Applicant)
        .ok_or_else(|| {
            unprocessable(format!(
                "members[{i}].relation: '{relation}' is not a household relation; use spouse, child, parent, sibling, grandparent, grandchild, child_in_law, parent_in_law, other_cohabitant or obligated"
            ))
        })
}

/// The workflow application for a kiosk submission. Materials and signatures follow as their
/// own uploads; sending the application is the applicant's 如实填报 confirmation.
fn application_of(req: &SubmitApplication, village: String) -> Result<Application, ApiError> {
    let mut members = vec![Member {
        name: req.applicant.name.clone(),
        id_number: req.applicant.id_number.clone(),
        relationship: Relationship::Applicant,
    }];
    for (i, m) in req.members.iter().enumerate() {
        members.push(Member {
            name: m.person.name.clone(),
            id_number: m.person.id_number.clone(),
            relationship: relationship_of(i, &m.relation)?,
        });
    }
    Ok(Application {
        assistance_type: req.assistance_type.into(),
        household: Household {
            township: req.township.clone(),
            village,
            members,
            incomes: req.incomes.clone(),
            assets: req.assets.clone(),
        },
        agent: req.agent.as_ref().map(|a| Agent {
            name: a.name.clone(),
            id_number: a.id_number.clone(),
            relation: req.agent_relation.unwrap_or(AgentRelation::Other),
        }),
        staff_relatives: vec![],
        materials: vec![],
        signatures: BTreeSet::new(),
        confirmed_truthful: true,
    })
}

fn kiosk_actor(k: &KioskId) -> Actor {
    Actor::new(Role::Applicant, format!("kiosk:{}", k.id))
}

async fn submit(
    State(st): State<AppState>,
    Kiosk(k): Kiosk,
    BodyDigest(digest): BodyDigest,
    headers: HeaderMap,
    ApiJson(mut req): ApiJson<SubmitApplication>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers).unwrap_or_else(|| Err(bad_idempotency_key()))?;
    require_scope(&k.scope, &req.township, "this application's township")?;
    // The token proves presence; it is checked, then never stored.
    let assisting_token = req.assisted_by_staff.take();
    if req
        .agent
        .as_ref()
        .is_some_and(|a| a.id_number == req.applicant.id_number)
    {
        return Err(unprocessable("agent: the agent cannot be the applicant"));
    }
    if let Some(v) = &req.village
        && (v.trim().is_empty() || v.chars().count() > 64)
    {
        return Err(unprocessable("village: give 1–64 characters"));
    }
    if let Some(p) = &req.contact_phone
        && !api::is_mobile_number(p)
    {
        return Err(unprocessable(
            "contact_phone: give an 11-digit mobile number starting 13–19, or leave it out",
        ));
    }
    let mut people = vec![NewPerson {
        id_number: req.applicant.id_number.as_unmasked_str().into(),
        name: req.applicant.name.as_unmasked_str().into(),
        role: "applicant".into(),
    }];
    for (i, m) in req.members.iter().enumerate() {
        relationship_of(i, &m.relation)?;
        people.push(NewPerson {
            id_number: m.person.id_number.as_unmasked_str().into(),
            name: m.person.name.as_unmasked_str().into(),
            role: m.relation.clone(),
        });
    }
    if let Some(a) = &req.agent {
        people.push(NewPerson {
            id_number: a.id_number.as_unmasked_str().into(),
            name: a.name.as_unmasked_str().into(),
            role: "agent".into(),
        });
    }
    let now = (st.clock)();
    let store = st.store.clone();
    let (_, body, created) = blocking(move || {
        let assisted = assisting_token
            .map(|t| security::assisting_staff(store.as_ref(), &k.scope, t.expose()))
            .transpose()?
            .map(|staff| staff.username);
        let township = store.township(&req.township)?.ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                format!(
                    "township '{}' is not served by this central service",
                    req.township
                ),
            )
        })?;
        let village = req.village.clone().unwrap_or(township.name.clone());
        let actor = kiosk_actor(&k);
        let (workflow, effects) = Case::submit(
            "",
            application_of(&req, village)?,
            township.delegated,
            &st.availability,
            &actor,
            now,
            &st.calendar,
        )?;
        let case = NewCase {
            township: req.township.clone(),
            assistance_type: req.assistance_type,
            applicant_id: req.applicant.id_number.as_unmasked_str().into(),
            agent_id: req
                .agent
                .as_ref()
                .map(|a| a.id_number.as_unmasked_str().into()),
            people,
            payload: serde_json::to_string(&req).unwrap_or_default(),
            workflow,
            body_sha256: digest,
            effects,
            contact_phone: req.contact_phone.clone(),
        };
        let (case_id, body, created) = store.submit(&k.id, &key, case, now, &st.calendar)?;
        // An assisted session: on the case's history, once (not again on a repeated key).
        if let (Some(u), true) = (assisted, created) {
            store.record(&format!("staff:{u}"), "assisted_submission", &case_id, now)?;
        }
        Ok((case_id, body, created))
    })
    .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, [(header::CONTENT_TYPE, "application/json")], body).into_response())
}

async fn kiosk_case(
    State(st): State<AppState>,
    Kiosk(k): Kiosk,
    Path(id): Path<String>,
) -> Result<Json<jiuzhu_core::api::CaseSummary>, ApiError> {
    let s = st.store.clone();
    blocking(move || {
        let summary = s
            .case_summary(&id)?
            .ok_or_else(|| ApiError::not_found("no such case"))?;
        require_scope(&k.scope, &summary.township, "this case")?;
        Ok(summary)
    })
    .await
    .map(Json)
}

fn json_reply(body: String) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

async fn sign(
    State(st): State<AppState>,
    Kiosk(k): Kiosk,
    BodyDigest(digest): BodyDigest,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<SignAuthorization>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers).transpose()?;
    let s = st.store.clone();
    blocking(move || {
        require_case_scope(s.as_ref(), &k.scope, &id)?;
        let idem = key.as_deref().map(|key| Idem {
            kiosk: &k.id,
            endpoint: "signature",
            key,
            body_sha256: &digest,
        });
        let how = serde_json::to_value(req.method)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let step = WorkflowStep {
            event: Event::new(
                kiosk_actor(&k),
                Action::SignAuthorization {
                    signer: req.signer.id_number.clone(),
                },
            ),
            now: (st.clock)(),
            calendar: &st.calendar,
        };
        let (body, _) = s.sign(
            &id,
            req.signer.id_number.as_unmasked_str(),
            &how,
            &format!("kiosk:{}", k.id),
            &step,
            idem,
        )?;
        Ok(json_reply(body))
    })
    .await
}

/// The content type of a material, detected from its first bytes.
pub fn sniff(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if data.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// Query of a material upload: which checklist item it is (core's `Material` name, e.g.
/// `income_proof`). Without it the file is archived but does not count towards the checklist.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaterialQuery {
    /// The checklist item.
    #[serde(default)]
    pub kind: Option<Material>,
}

async fn material(
    State(st): State<AppState>,
    Kiosk(k): Kiosk,
    Path(id): Path<String>,
    query: Result<axum::extract::Query<MaterialQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<MaterialStored>), ApiError> {
    let axum::extract::Query(query) = query.map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            format!("kind: {e}"),
        )
    })?;
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let detected = sniff(&body).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_material",
            "materials must be JPEG, PNG or PDF",
        )
    })?;
    if declared != detected {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content_type_mismatch",
            format!("the content is {detected} but was declared as '{declared}'"),
        ));
    }
    let sha = hex::encode(Sha256::digest(&body));
    let s = st.store.clone();
    let sha2 = sha.clone();
    let size = body.len() as u64;
    blocking(move || {
        require_case_scope(s.as_ref(), &k.scope, &id)?;
        let now = (st.clock)();
        let step = query.kind.map(|kind| WorkflowStep {
            event: Event::new(
                kiosk_actor(&k),
                Action::SupplyMaterials {
                    materials: vec![SuppliedMaterial {
                        kind,
                        sha256: sha2.clone(),
                    }],
                },
            ),
            now,
            calendar: &st.calendar,
        });
        Ok(s.add_material(
            &id,
            &sha2,
            detected,
            &body,
            &format!("kiosk:{}", k.id),
            now,
            step.as_ref(),
        )?)
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(MaterialStored {
            sha256: sha,
            size,
            content_type: detected.into(),
        }),
    ))
}

async fn status(
    State(st): State<AppState>,
    Kiosk(k): Kiosk,
    ApiJson(q): ApiJson<StatusQuery>,
) -> Result<Json<StatusAnswer>, ApiError> {
    let s = st.store.clone();
    let cal = st.calendar.clone();
    let today = china_date((st.clock)());
    blocking(move || {
        let all = s.cases_of(
            q.id_number.as_unmasked_str(),
            q.agent_id_number.as_ref().map(|a| a.as_unmasked_str()),
        )?;
        let mut cases = in_scope(&k, all, |c| &c.township)?;
        // The timeline's dates, the one-time notice and the running deadlines, from the
        // workflow case with the same calendar the deadlines are kept by.
        for c in &mut cases {
            if let Some(case) = s.case(&c.case_id)? {
                c.fill_from_case(&case, Some((&cal, today)));
            }
            c.notices = s.household_notices(&c.case_id)?;
        }
        Ok(StatusAnswer { cases })
    })
    .await
    .map(Json)
}

/// 签署授权: the applications waiting for this person's signature, with only what the signer
/// must see (type, masked names, dates), oldest first.
async fn pending_signatures(
    State(st): State<AppState>,
    Kiosk(k): Kiosk,
    ApiJson(q): ApiJson<PendingSignatureQuery>,
) -> Result<Json<PendingSignatures>, ApiError> {
    let s = st.store.clone();
    let today = china_date((st.clock)());
    blocking(move || {
        let who = q.id_number;
        let mut cases = Vec::new();
        let all = s.cases_of(who.as_unmasked_str(), None)?;
        for summary in in_scope(&k, all, |c| &c.township)?.into_iter().rev() {
            let Some(case) = s.case(&summary.case_id)? else {
                continue;
            };
            let Some(me) = case
                .awaiting_signature(today)
                .into_iter()
                .find(|m| m.id_number == who)
                .cloned()
            else {
                continue;
            };
            let township_name = s
                .township(&summary.township)?
                .map_or_else(|| summary.township.clone(), |t| t.name);
            cases.push(PendingSignature {
                case_id: summary.case_id,
                township: summary.township,
                township_name,
                assistance_type: summary.assistance_type,
                submitted_at: summary.submitted_at,
                applicant_masked: case
                    .application
                    .household
                    .applicant()
                    .map(|a| a.name.masked())
                    .unwrap_or_default(),
                signer_masked: me.name.masked(),
                relationship: me.relationship,
                sign_by: case
                    .missing_notice
                    .as_ref()
                    .filter(|_| case.state == jiuzhu_core::workflow::CaseState::AwaitingMaterials)
                    .map(|n| n.deadline),
                hotline: summary.hotline,
            });
        }
        Ok(PendingSignatures { cases })
    })
    .await
    .map(Json)
}

async fn cert_status(
    State(st): State<AppState>,
    Kiosk(k): Kiosk,
    ApiJson(q): ApiJson<CertificationQuery>,
) -> Result<Json<jiuzhu_core::api::CertificationStatus>, ApiError> {
    let s = st.store.clone();
    blocking(move || {
        let id = q.id_number.as_unmasked_str();
        recipient_in_scope(s.as_ref(), &k, id)?;
        if let Some(g) = &q.guardian_id_number {
            check_guardian(s.as_ref(), id, g)?;
        }
        Ok(s.certification_status(id, today_in_china())?)
    })
    .await
    .map(Json)
}

/// Guardian mode: `guardian` must be a registered guardian of the recipient `recipient` (403
/// `not_guardian` otherwise; 422 when it is the recipient). An unknown recipient passes here
/// and is answered by the caller (not a recipient).
fn check_guardian(s: &dyn Store, recipient: &str, guardian: &IdNumber) -> Result<(), ApiError> {
    if guardian.as_unmasked_str() == recipient {
        return Err(unprocessable(
            "guardian: the guardian cannot be the recipient; choose 本人认证 instead",
        ));
    }
    if s.recipient(recipient)?.is_some() && !s.is_guardian(recipient, guardian.as_unmasked_str())? {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_guardian",
            "this person is not a registered guardian of the recipient; the township office registers guardians (jiuzhu-central guardian add)",
        ));
    }
    Ok(())
}

async fn cert_result(
    State(st): State<AppState>,
    Kiosk(k): Kiosk,
    BodyDigest(digest): BodyDigest,
    headers: HeaderMap,
    ApiJson(r): ApiJson<CertificationResult>,
) -> Result<Response, ApiError> {
    use jiuzhu_core::api::CertificationMode as M;
    let key = idempotency_key(&headers).transpose()?;
    // A kiosk reports a biometric check; only a staff step certifies without one.
    if r.mode == M::StaffWitnessed {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "mode_not_allowed",
            "mode: staff_witnessed is not a kiosk verdict; ask for a staff witness (POST /v1/kiosk/certification/alternatives) and the township closes it",
        ));
    }
    match (r.mode, &r.staff_session) {
        (M::Assisted, None) => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "staff_session_required",
                "staff_session: assisted certification needs the live session of the staff member helping at this kiosk",
            ));
        }
        (M::SelfCheck | M::Guardian, Some(_)) => {
            return Err(unprocessable(
                "staff_session: only assisted certification carries a staff session",
            ));
        }
        _ => {}
    }
    let s = st.store.clone();
    let dk = st.district_key.clone();
    blocking(move || {
        let (idem, prior) = idempotent(
            s.as_ref(),
            &k.id,
            "certification",
            key.as_deref(),
            &digest,
        )?;
        if let Some(prior) = prior {
            return Ok(prior);
        }
        let id = r.id_number.as_unmasked_str().to_string();
        let Some(rec) = s.recipient(&id)? else {
            return Err(ApiError::not_found(
                "this person is not a recipient of assistance; nothing to certify",
            ));
        };
        require_scope(&k.scope, &rec.township, "this recipient")?;
        let helper = r
            .staff_session
            .as_ref()
            .map(|t| security::assisting_staff(s.as_ref(), &k.scope, t.expose()))
            .transpose()?;
        if r.modality.is_none() {
            return Err(unprocessable("modality: required for biometric modes"));
        }
        if matches!(r.mode, M::Guardian | M::Assisted) && r.assisted_by.is_none() {
            return Err(unprocessable(
                "assisted_by: required for guardian and assisted modes",
            ));
        }
        if r.mode == M::Guardian
            && let Some(g) = &r.assisted_by
        {
            check_guardian(s.as_ref(), &id, &g.id_number)?;
        }
        // Liveness before matching (GB/T 38671): a match without it never certifies.
        let certified = r.matched && r.liveness_passed;
        let sealed = match (&r.evidence_photo, r.mode) {
            (Some(_), m) if m != M::Guardian => {
                return Err(unprocessable(
                    "evidence_photo: only a guardian certification carries an on-site photo",
                ));
            }
            (Some(p), _) => {
                let checked = evidence::check(p).map_err(|e| {
                    let status = match e {
                        evidence::EvidenceError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
                        _ => StatusCode::UNPROCESSABLE_ENTITY,
                    };
                    ApiError::new(status, e.code(), e.to_string())
                })?;
                Some(evidence::seal(&dk, &checked))
            }
            (None, M::Guardian) if certified => {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "evidence_required",
                    "evidence_photo: a passed guardian certification needs the on-site photo of the recipient (domain.md §3)",
                ));
            }
            (None, _) => None,
        };
        let today = today_in_china();
        let before = s.certification_status(&id, today)?;
        let (certified_on, valid_until) = if certified {
            (today, valid_until_of(today))
        } else {
            (
                before.last_certified_on.unwrap_or(today),
                before.valid_until.unwrap_or(today),
            )
        };
        let (proof_code, proof_id) = if certified {
            let (code, pid) = issue_proof(&rec, &r.id_number, certified_on, valid_until, &dk)?;
            (Some(code), Some(pid))
        } else {
            (None, None)
        };
        let answer = CertificationRecorded {
            certified,
            certified_on,
            valid_until,
            proof_code,
        };
        let response = serde_json::to_string(&answer).map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
        })?;
        let mode = enum_name(&r.mode);
        let modality = r.modality.map(|m| enum_name(&m));
        let (body, _) = s.record_certification(
            &CertificationRecord {
                id_number: &id,
                kiosk: &k.id,
                mode: &mode,
                modality: modality.as_deref(),
                certified,
                today,
                proof_id,
                now: Utc::now(),
                assisted_by: r.assisted_by.as_ref().map(|p| p.id_number.as_unmasked_str()),
                evidence: sealed,
            },
            &response,
            idem,
        )?;
        if let Some(staff) = helper {
            s.record(
                &format!("staff:{}", staff.username),
                "assisted_certification",
                &format!("kiosk:{}", k.id),
                Utc::now(),
            )?;
        }
        Ok(json_reply(body))
    })
    .await
}

/// `POST /v1/kiosk/certification/proof`: a fresh copy of the 社会救助身份证明 of a recipient
/// certified this cycle (the printer failed, or they want another copy). A new proof id, the
/// same certification day and validity; recorded as `proof.reissued` in the audit log. An
/// optional `Idempotency-Key` makes a repeat return the first answer (the same code).
async fn reissue_proof(
    State(st): State<AppState>,
    Kiosk(k): Kiosk,
    BodyDigest(digest): BodyDigest,
    headers: HeaderMap,
    ApiJson(q): ApiJson<CertificationQuery>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers).transpose()?;
    let s = st.store.clone();
    let dk = st.district_key.clone();
    blocking(move || {
        let (idem, prior) = idempotent(s.as_ref(), &k.id, "proof", key.as_deref(), &digest)?;
        if let Some(prior) = prior {
            return Ok(prior);
        }
        let id = q.id_number.as_unmasked_str();
        let Some(rec) = s.recipient(id)? else {
            return Err(ApiError::not_found(
                "this person is not a recipient of assistance; there is no proof to print",
            ));
        };
        require_scope(&k.scope, &rec.township, "this recipient")?;
        let status = s.certification_status(id, today_in_china())?;
        let (true, Some(certified_on), Some(valid_until)) = (
            status.certified_this_cycle,
            status.last_certified_on,
            status.valid_until,
        ) else {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "not_certified",
                "this person is not certified this cycle; certify first, then the proof is printed",
            ));
        };
        let (code, pid) = issue_proof(&rec, &q.id_number, certified_on, valid_until, &dk)?;
        let answer = CertificationRecorded {
            certified: true,
            certified_on,
            valid_until,
            proof_code: Some(code),
        };
        let response =
            serde_json::to_string(&answer).map_err(|e| internal("internal", e.to_string()))?;
        let (body, _) = s.record_proof_reissue(
            &ProofReissue {
                id_number: id,
                kiosk: &k.id,
                certified_on,
                valid_until,
                proof_id: &pid,
                now: Utc::now(),
            },
            &response,
            idem,
        )?;
        Ok(json_reply(body))
    })
    .await
}

/// The last day a certification made on `today` is valid: 12 months on.
fn valid_until_of(today: chrono::NaiveDate) -> chrono::NaiveDate {
    today
        .checked_add_months(chrono::Months::new(12))
        .unwrap_or(today)
}

/// Issues a signed 社会救助身份证明 for `rec`: the code and the proof's id (hex).
fn issue_proof(
    rec: &Recipient,
    id_number: &IdNumber,
    certified_on: chrono::NaiveDate,
    valid_until: chrono::NaiveDate,
    dk: &SigningKey,
) -> Result<(String, String), ApiError> {
    let name = jiuzhu_core::id::PersonName::new(&rec.name).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "stored_name",
            e.to_string(),
        )
    })?;
    let mut pid = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut pid);
    let payload = proof::ProofPayload::new(
        proof::ProofId(pid),
        &name,
        id_number,
        rec.township.clone(),
        certified_on,
        valid_until,
        rec.assistance_type,
    );
    let code = proof::issue(&payload, dk)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "proof", e.to_string()))?;
    Ok((code, hex::encode(pid)))
}

/// An optional free-text note: trimmed, 1–200 characters, no control characters but newlines.
fn check_note(field: &str, note: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(n) = note else { return Ok(None) };
    let t = n.trim();
    let chars = t.chars().count();
    if chars == 0
        || chars > api::MAX_ALTERNATIVE_NOTE_CHARS
        || t.chars().any(|c| c.is_control() && c != '\n')
    {
        return Err(unprocessable(format!(
            "{field}: give 1–{} characters without control characters, or leave it out",
            api::MAX_ALTERNATIVE_NOTE_CHARS
        )));
    }
    Ok(Some(t.to_string()))
}

fn internal(code: &'static str, reason: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, code, reason)
}

/// `POST /v1/kiosk/certification/alternatives`: a recipient asks for a staff witness or a home
/// visit instead of a biometric check. 201 when recorded; a repeated `Idempotency-Key` returns
/// the first answer with 200 and stores nothing.
async fn cert_alternative(
    State(st): State<AppState>,
    Kiosk(k): Kiosk,
    BodyDigest(digest): BodyDigest,
    headers: HeaderMap,
    ApiJson(r): ApiJson<CertificationAlternativeRequest>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers).transpose()?;
    let note = check_note("note", r.note.as_deref())?;
    let s = st.store.clone();
    blocking(move || {
        let (idem, prior) = idempotent(s.as_ref(), &k.id, "alternative", key.as_deref(), &digest)?;
        if let Some(prior) = prior {
            return Ok(prior);
        }
        let id = r.id_number.as_unmasked_str();
        let Some(rec) = s.recipient(id)? else {
            return Err(ApiError::not_found(
                "this person is not a recipient of assistance; nothing to certify",
            ));
        };
        require_scope(&k.scope, &rec.township, "this recipient")?;
        if s.certification_status(id, today_in_china())?
            .certified_this_cycle
        {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "already_certified",
                "this person is already certified this cycle; no alternative is needed",
            ));
        }
        let now = (st.clock)();
        let due = st
            .calendar
            .add_working_days(china_date(now), api::ALTERNATIVE_DUE_WORKING_DAYS);
        let answer = AlternativeRecorded {
            request_id: uuid::Uuid::now_v7().to_string(),
            kind: r.kind,
            requested_at: now,
            due_by: due.value,
            unpublished_years: due.unpublished_years,
        };
        let response =
            serde_json::to_string(&answer).map_err(|e| internal("internal", e.to_string()))?;
        let (body, created) = s.record_alternative(
            &NewAlternative {
                id: &answer.request_id,
                id_number: id,
                township: &rec.township,
                kind: r.kind,
                note: note.as_deref(),
                kiosk: &k.id,
                now,
                due_by: answer.due_by,
                unpublished_years: &answer.unpublished_years,
            },
            &response,
            idem,
        )?;
        let status = if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        Ok((status, [(header::CONTENT_TYPE, "application/json")], body).into_response())
    })
    .await
}

fn enum_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// `POST /v1/kiosk/templates`: a reference sealed to the kiosk, only for a recipient (or a
/// registered guardian of one) of a township the kiosk serves, at most
/// [`crate::store::hardening`]'s rate of different people per kiosk (429 with `Retry-After`
/// and a staff alert beyond it), each release audited with whose reference went to which kiosk.
async fn template(
    State(st): State<AppState>,
    Kiosk(k): Kiosk,
    ApiJson(q): ApiJson<TemplateQuery>,
) -> Result<Response, ApiError> {
    let s = st.store.clone();
    blocking(move || {
        let id = q.id_number.as_unmasked_str();
        let townships = s.hardening().person_townships(id)?;
        let none = || ApiError::not_found("no enrolled template for this person and modality");
        if townships.is_empty() {
            // Neither a recipient nor a guardian: references are enrolled for no one else.
            return Err(none());
        }
        if !townships.iter().any(|t| k.scope.contains(t)) {
            return Err(security::outside_scope("this person's reference"));
        }
        let data = s.template(id, q.modality)?.ok_or_else(none)?;
        let modality = enum_name(&q.modality);
        let masked = q.id_number.masked();
        let release = crate::store::TemplateRelease {
            kiosk: &k.id,
            id_number: id,
            masked: &masked,
            modality: &modality,
            now: Utc::now(),
        };
        if let Err(refused) = s.hardening().release_template(&release)? {
            let mut r = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "template_rate_limited",
                format!(
                    "this kiosk received the references of many different people in the last {} minutes; wait {} s (the township staff were alerted)",
                    crate::store::RELEASE_WINDOW_SECS / 60,
                    refused.retry_after_secs
                ),
            )
            .into_response();
            if let Ok(v) = header::HeaderValue::from_str(&refused.retry_after_secs.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Ok(r);
        }
        let mut eph = [0u8; 32];
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut eph);
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        Ok(Json(api::seal_template(
            &k.key, &k.id, q.modality, &data, eph, nonce,
        ))
        .into_response())
    })
    .await
}

/// The cases of `all` in the kiosk's scope; 403 `outside_kiosk_scope` when there were cases
/// and none is in scope.
fn in_scope<T>(
    k: &KioskId,
    all: Vec<T>,
    township: impl Fn(&T) -> &String,
) -> Result<Vec<T>, ApiError> {
    let had = !all.is_empty();
    let mine: Vec<T> = all
        .into_iter()
        .filter(|c| k.scope.contains(township(c)))
        .collect();
    if had && mine.is_empty() {
        return Err(security::outside_scope("every case of this person"));
    }
    Ok(mine)
}

/// A recipient's township must be in the kiosk's scope (someone who is not a recipient passes:
/// the caller answers for them).
fn recipient_in_scope(s: &dyn Store, k: &KioskId, id_number: &str) -> Result<(), ApiError> {
    match s.recipient(id_number)? {
        Some(rec) => require_scope(&k.scope, &rec.township, "this recipient"),
        None => Ok(()),
    }
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

/// Logs a staff member in through [`authenticate`] and opens a session.
async fn login(
    State(st): State<AppState>,
    crate::login_guard::ClientIp(ip): crate::login_guard::ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<LoginAnswer>, Response> {
    let staff = authenticate(&st, &req.username, &req.password, ip).await?;
    let s = st.store.clone();
    blocking(move || {
        let (token, expires_at) = open_session(s.as_ref(), &staff)?;
        Ok(LoginAnswer {
            token,
            expires_at,
            role: staff.role,
            township: staff.township,
        })
    })
    .await
    .map(Json)
    .map_err(IntoResponse::into_response)
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
    guard
        .admit(username, ip)
        .map_err(IntoResponse::into_response)?;
    let permit = guard.permit().await.map_err(IntoResponse::into_response)?;
    let s = st.store.clone();
    let (username, password) = (username.to_owned(), password.to_owned());
    blocking(move || {
        let _permit = permit;
        let found = s.staff_with_hash(&username)?;
        let verified = guard.verify(found.as_ref().map(|(_, h)| h.as_str()), &password);
        let known = found.is_some();
        let Some((staff, _)) = found.filter(|_| verified) else {
            guard.failed(&username, ip);
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
        guard.succeeded(&staff.username);
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

/// The staff member behind `Authorization: Bearer …`.
pub struct StaffUser(pub Staff);

impl axum::extract::FromRequestParts<AppState> for StaffUser {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        st: &AppState,
    ) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "no_session",
                    "log in and send Authorization: Bearer <token>",
                )
            })?
            .trim()
            .to_string();
        let s = st.store.clone();
        blocking(move || {
            s.session(&token_hash(&token), Utc::now().timestamp())?
                .map(StaffUser)
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::UNAUTHORIZED,
                        "session_expired",
                        "the session is unknown or expired; log in again",
                    )
                })
        })
        .await
    }
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

async fn queue(
    State(st): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(code): Path<String>,
) -> Result<Json<Vec<jiuzhu_core::api::CaseSummary>>, ApiError> {
    township_read(st, staff, code, "staff.view_queue", |s, c| s.queue(c))
        .await
        .map(Json)
}

async fn statistics(
    State(st): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(code): Path<String>,
) -> Result<Json<jiuzhu_core::api::TownshipStatistics>, ApiError> {
    township_read(st, staff, code, "staff.view_statistics", |s, c| {
        s.statistics(c)
    })
    .await
    .map(Json)
}

async fn publication(
    State(st): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(code): Path<String>,
) -> Result<Json<Vec<jiuzhu_core::api::NoticeEntry>>, ApiError> {
    township_read(st, staff, code, "staff.view_publication", |s, c| {
        s.publication(c)
    })
    .await
    .map(Json)
}

async fn publicity(
    State(st): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(code): Path<String>,
) -> Result<Json<Vec<jiuzhu_core::api::NoticeEntry>>, ApiError> {
    township_read(st, staff, code, "staff.view_publicity", |s, c| {
        s.publicity(c)
    })
    .await
    .map(Json)
}

/// `GET /v1/staff/townships/{code}/alternatives`: open certification alternatives, oldest
/// first, masked.
async fn open_alternatives(
    State(st): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(code): Path<String>,
) -> Result<Json<Vec<OpenAlternative>>, ApiError> {
    let cal = st.calendar.clone();
    let today = china_date((st.clock)());
    township_read(st, staff, code, "staff.view_alternatives", move |s, c| {
        s.open_alternatives(c, &cal, today)
    })
    .await
    .map(Json)
}

/// `POST /v1/staff/alternatives/{request_id}/close`: township staff (clerk, leader) or the
/// district bureau close an open alternative. `witnessed` certifies the recipient as a
/// `staff_witnessed` certification result does and issues the proof.
async fn close_alternative(
    State(st): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CloseAlternativeRequest>,
) -> Result<Json<AlternativeClosed>, ApiError> {
    let note = check_note("note", req.note.as_deref())?;
    if staff.role == StaffRole::VillageHelper {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "wrong_role",
            "a village helper assists but cannot witness or close a certification alternative; ask the township clerk",
        ));
    }
    let s = st.store.clone();
    let dk = st.district_key.clone();
    blocking(move || {
        let alt = s
            .alternative(&id)?
            .ok_or_else(|| ApiError::not_found("no such certification alternative"))?;
        check_scope(&staff, &alt.township)?;
        if let Some(o) = alt.outcome {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "already_closed",
                format!("this request was already closed as {}", enum_name(&o)),
            ));
        }
        let actor = format!("staff:{}", staff.username);
        let now = Utc::now();
        let mode = enum_name(&CertificationMode::StaffWitnessed);
        let mut certification = None;
        let mut record = None;
        if req.outcome == AlternativeOutcome::Witnessed {
            let rec = s.recipient(&alt.id_number)?.ok_or_else(|| {
                ApiError::not_found("this person is no longer a recipient; close it as declined")
            })?;
            let idn = IdNumber::parse(&alt.id_number)
                .map_err(|e| internal("stored_id_number", e.to_string()))?;
            let today = today_in_china();
            let valid_until = valid_until_of(today);
            let (code, pid) = issue_proof(&rec, &idn, today, valid_until, &dk)?;
            certification = Some(CertificationRecorded {
                certified: true,
                certified_on: today,
                valid_until,
                proof_code: Some(code),
            });
            record = Some(CertificationRecord {
                id_number: &alt.id_number,
                kiosk: &alt.kiosk,
                mode: &mode,
                modality: None,
                certified: true,
                today,
                proof_id: Some(pid),
                now,
                assisted_by: None,
                evidence: None,
            });
        }
        s.close_alternative(&AlternativeClose {
            id: &alt.id,
            outcome: req.outcome,
            note: note.as_deref(),
            actor: &actor,
            now,
            certification: record,
        })?;
        Ok(AlternativeClosed {
            request_id: alt.id.clone(),
            kind: alt.kind,
            outcome: req.outcome,
            closed_at: now,
            closed_by: actor.clone(),
            certification,
        })
    })
    .await
    .map(Json)
}

/// `POST /v1/staff/guardians`: township staff (clerk, leader) or the district bureau register a
/// recipient's guardian, who may then certify for them at a kiosk (监护人代认证). 201; a repeat
/// updates the relation. 404 not a recipient, 403 another township or a village helper, 422 a
/// bad relation or the recipient as their own guardian.
async fn register_guardian(
    State(st): State<AppState>,
    StaffUser(staff): StaffUser,
    ApiJson(req): ApiJson<RegisterGuardian>,
) -> Result<Response, ApiError> {
    if staff.role == StaffRole::VillageHelper {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "wrong_role",
            "a village helper cannot register guardians; ask the township clerk",
        ));
    }
    let rel = req.relation.as_str();
    if rel.is_empty() || rel.len() > 32 || !rel.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    {
        return Err(unprocessable(
            "relation: give 1–32 characters of a-z and _, e.g. child, spouse, sibling",
        ));
    }
    let s = st.store.clone();
    blocking(move || {
        let rid = req.recipient_id_number.as_unmasked_str();
        let rec = s.recipient(rid)?.ok_or_else(|| {
            ApiError::not_found(
                "this person is not a recipient of assistance; only a recipient has guardians",
            )
        })?;
        check_scope(&staff, &rec.township)?;
        s.put_guardian(
            &NewGuardian {
                recipient_id: rid,
                guardian_id: req.guardian.id_number.as_unmasked_str(),
                name: req.guardian.name.as_unmasked_str(),
                relation: &req.relation,
                now: Utc::now(),
            },
            &format!("staff:{}", staff.username),
        )?;
        let answer = GuardianRegistered {
            recipient_masked: req.recipient_id_number.masked(),
            guardian_masked: req.guardian.id_number.masked(),
            guardian_name_masked: req.guardian.name.masked(),
            relation: req.relation.clone(),
        };
        Ok((StatusCode::CREATED, Json(answer)).into_response())
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

fn case_detail(st: &AppState, id: &str) -> Result<CaseDetail, ApiError> {
    let s = st.store.as_ref();
    let summary = s
        .case_summary(id)?
        .ok_or_else(|| ApiError::not_found("no such case"))?;
    let case = s.case(id)?;
    let today = china_date((st.clock)());
    let deadlines = case
        .as_ref()
        .map(|c| workflow::deadlines(c, &st.calendar, today))
        .unwrap_or_default()
        .iter()
        .filter_map(|d| serde_json::to_value(d).ok())
        .collect();
    Ok(CaseDetail {
        summary,
        case: case
            .and_then(|c| serde_json::to_value(c).ok())
            .unwrap_or(serde_json::Value::Null),
        history: s.history(id)?,
        deadlines,
    })
}

/// `POST /v1/staff/cases/{case_id}/events`: the logged-in staff member takes one workflow step;
/// core's `workflow::next` decides whether the role, the township and the case allow it.
async fn case_event(
    State(st): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(id): Path<String>,
    ApiJson(mut raw): ApiJson<serde_json::Value>,
) -> Result<Json<CaseDetail>, ApiError> {
    // The one-time notice's deadline: working days within the legal range, computed here,
    // before the writer is taken.
    if let Some(action) = raw.get_mut("action") {
        security::bound_notice_deadline(action, &st.calendar, china_date((st.clock)()))?;
    }
    let req: CaseEventRequest = parse_json(raw.to_string().as_bytes())?;
    let s = st.store.clone();
    blocking(move || {
        let township = s
            .case_summary(&id)?
            .ok_or_else(|| ApiError::not_found("no such case"))?
            .township;
        check_scope(&staff, &township)?;
        let step = WorkflowStep {
            event: Event::new(staff_actor(&staff), req.action),
            now: (st.clock)(),
            calendar: &st.calendar,
        };
        s.apply_event(&id, &format!("staff:{}", staff.username), &step)?;
        case_detail(&st, &id)
    })
    .await
    .map(Json)
}

async fn staff_case(
    State(st): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(id): Path<String>,
) -> Result<Json<CaseDetail>, ApiError> {
    let s = st.store.clone();
    blocking(move || {
        let summary = s
            .case_summary(&id)?
            .ok_or_else(|| ApiError::not_found("no such case"))?;
        check_scope(&staff, &summary.township)?;
        s.record(
            &format!("staff:{}", staff.username),
            "staff.view_case",
            &id,
            Utc::now(),
        )?;
        case_detail(&st, &id)
    })
    .await
    .map(Json)
}

/// Method of a route as axum's type (for tests and the route-agreement check).
pub fn method_of(m: &str) -> Method {
    Method::from_bytes(m.as_bytes()).unwrap_or(Method::GET)
}

/// Public check of a 社会救助身份证明 code: valid / expired / unknown, masked name and number only.
async fn verify_proof(
    State(st): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<api::ProofVerdict>, ApiError> {
    use crate::store::ProofStanding as P;
    let verdict = proof::verify(&code, &st.district_key.verifying_key(), today_in_china());
    let (mut status, p) = match verdict {
        proof::Verdict::Valid(p) => (api::ProofStatus::Valid, Some(p)),
        proof::Verdict::Expired(p) => (api::ProofStatus::Expired, Some(p)),
        proof::Verdict::BadSignature { .. } | proof::Verdict::Malformed(_) => {
            (api::ProofStatus::Unknown, None)
        }
    };
    let (mut since, mut reason) = (None, None);
    if let Some(p) = &p {
        let pid = hex::encode(p.payload.proof_id.0);
        let s = st.store.clone();
        match blocking(move || Ok(s.hardening().proof_standing(&pid)?)).await? {
            P::Revoked(day, why) => {
                status = api::ProofStatus::Revoked;
                since = Some(day);
                reason = Some(why.name().to_string());
            }
            P::Superseded(day) => {
                status = api::ProofStatus::Superseded;
                since = Some(day);
            }
            P::Current | P::Unregistered => {}
        }
    }
    Ok(Json(api::ProofVerdict {
        status,
        masked_name: p.as_ref().map(|p| p.payload.name.to_string()),
        masked_id: p.as_ref().map(|p| p.payload.id.to_string()),
        valid_until: p.map(|p| p.payload.valid_until),
        since,
        reason,
    }))
}
