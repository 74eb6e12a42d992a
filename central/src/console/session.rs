//! The console's session cookie, its CSRF tokens and the extractors that check both.
//!
//! The session is the API's: a row in `sessions` (SHA-256 of a 256-bit token, 30 minutes), made
//! by the same password check and audited as `staff.login`. The browser holds the token only in
//! an HttpOnly, SameSite=Strict cookie scoped to `/console`. A form's CSRF token is the SHA-256
//! of a domain tag and the session token: the server recomputes it, the page carries it, a page
//! of another site can read neither. Before login, a short-lived login cookie plays the same role.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use chrono::Utc;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::forms::Fields;
use super::views::ConsoleError;
use crate::http::{AppState, token_hash};
use crate::store::Staff;

/// The session cookie.
pub const SESSION_COOKIE: &str = "jz_console";
/// The cookie that carries the login form's CSRF secret.
pub const LOGIN_COOKIE: &str = "jz_console_login";
/// The hidden field of every form.
pub const CSRF_FIELD: &str = "csrf";

/// The value of cookie `name`, when it is 64 lower-case hex digits.
pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| is_token(v))
}

/// 64 lower-case hex digits.
pub fn is_token(v: &str) -> bool {
    v.len() == 64
        && v.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A new random token (256 bits, hex).
pub fn new_token() -> String {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    hex::encode(raw)
}

/// The CSRF token of a session or login token.
pub fn csrf_of(kind: &str, token: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"jiuzhu-console-csrf-v1\0");
    h.update(kind.as_bytes());
    h.update(b"\0");
    h.update(token.as_bytes());
    hex::encode(h.finalize())
}

/// Compares without an early exit.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `Set-Cookie` for a session of `minutes`.
pub fn session_cookie(token: &str, minutes: i64) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={}",
        minutes * 60
    )
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// `Set-Cookie` for the login form's secret (10 minutes).
pub fn login_cookie(secret: &str) -> String {
    format!("{LOGIN_COOKIE}={secret}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=600")
}

/// The logged-in account of a console request.
#[derive(Debug, Clone)]
pub struct Console {
    /// The account.
    pub staff: Staff,
    /// SHA-256 of the session token (for logout).
    pub token_hash: String,
    /// The CSRF token its forms carry.
    pub csrf: String,
}

impl Console {
    /// `staff:<username>`, the actor of audit rows.
    pub fn actor(&self) -> String {
        format!("staff:{}", self.staff.username)
    }
}

/// No live session: a page asks for the login form, a form submission is refused.
fn no_session(method: &Method) -> ConsoleError {
    if method == Method::GET || method == Method::HEAD {
        ConsoleError::login_required()
    } else {
        ConsoleError::new(
            StatusCode::FORBIDDEN,
            "没有登录或登录已过期：请重新登录后再提交",
            "No session or the session expired: log in again, then submit.",
        )
    }
}

impl FromRequestParts<AppState> for Console {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ConsoleError> {
        let Some(token) = cookie(parts, SESSION_COOKIE) else {
            return Err(no_session(&parts.method));
        };
        let s = st.store.clone();
        let hash = token_hash(&token);
        let h = hash.clone();
        let staff = super::blocking(move || Ok(s.session(&h, Utc::now().timestamp())?)).await?;
        match staff {
            Some(staff) => Ok(Console {
                staff,
                token_hash: hash,
                csrf: csrf_of("session", &token),
            }),
            None => Err(no_session(&parts.method)),
        }
    }
}

/// A POSTed urlencoded form of a logged-in account, its CSRF token checked.
pub struct ConsoleForm {
    /// The account.
    pub console: Console,
    /// The fields (without the CSRF token).
    pub fields: Fields,
}

/// Refuses a cross-site POST: an `Origin` that is not this host.
pub fn check_origin(headers: &HeaderMap) -> Result<(), ConsoleError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let origin = origin.to_str().unwrap_or("");
    let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or("");
    if host.is_empty() || origin_host != host {
        return Err(csrf_refused());
    }
    Ok(())
}

/// 403 for a missing or wrong CSRF token.
pub fn csrf_refused() -> ConsoleError {
    ConsoleError::new(
        StatusCode::FORBIDDEN,
        "表单已失效或来源不明（CSRF 校验失败）：请回到上一页刷新后重新提交",
        "The form is stale or did not come from this console (CSRF check failed): reload the page and submit again.",
    )
}

impl FromRequest<AppState> for ConsoleForm {
    type Rejection = ConsoleError;

    async fn from_request(req: Request, st: &AppState) -> Result<Self, ConsoleError> {
        let (mut parts, body) = req.into_parts();
        check_origin(&parts.headers)?;
        let console = Console::from_request_parts(&mut parts, st).await?;
        let mut fields = Fields::read(&parts, body).await?;
        let sent = fields.take(CSRF_FIELD).unwrap_or_default();
        if !same(&sent, &console.csrf) {
            return Err(csrf_refused());
        }
        Ok(ConsoleForm { console, fields })
    }
}
