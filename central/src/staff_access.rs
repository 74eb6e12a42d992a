//! Ending staff access over the API: `POST /v1/staff/logout` ends the caller's session, and the
//! district bureau's `POST /v1/staff/accounts/{username}/revoke` ends every session of an account
//! (a lost phone, a clerk who left) and, with `"disable": true`, disables the account. The same
//! and more (`enable`, `remove`) from the command line: `jiuzhu-central staff …`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use chrono::Utc;
use jiuzhu_core::api::StaffRole;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::http::{ApiJson, AppState, StaffUser, blocking, token_hash};
use crate::store::{SessionsOf, StaffAccess};

/// The answer of logout and revoke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionsEnded {
    /// How many sessions ended.
    pub sessions_ended: usize,
    /// Whether the account is disabled now (revoke with `disable`).
    pub disabled: bool,
}

/// The body of a revocation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// Also disable the account (`jiuzhu-central staff enable` lets it log in again).
    pub disable: bool,
}

/// Whether `name` can be a staff account name (what `staff add` accepts is not restricted, but
/// a path segment is bounded before it reaches the database).
fn check_username(name: &str) -> Result<(), ApiError> {
    if name.is_empty() || name.len() > 64 || name.chars().any(|c| c.is_control()) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_username",
            "username: give 1–64 characters without control characters",
        ));
    }
    Ok(())
}

/// `POST /v1/staff/logout`: ends the session of the bearer token.
pub async fn logout(
    State(st): State<AppState>,
    StaffUser(staff): StaffUser,
    headers: HeaderMap,
) -> Result<Json<SessionsEnded>, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| token_hash(t.trim()))
        .unwrap_or_default();
    let s = st.store.clone();
    blocking(move || {
        let n = s.end_sessions(
            SessionsOf::Token(&token),
            &format!("staff:{}", staff.username),
        )?;
        Ok(SessionsEnded {
            sessions_ended: n,
            disabled: false,
        })
    })
    .await
    .map(Json)
}

/// `POST /v1/staff/accounts/{username}/revoke` (district bureau only): ends every session of the
/// account and, with `disable`, disables it.
pub async fn revoke(
    State(st): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(username): Path<String>,
    ApiJson(req): ApiJson<RevokeRequest>,
) -> Result<Json<SessionsEnded>, ApiError> {
    if staff.role != StaffRole::DistrictBureau {
        return Err(ApiError::forbidden(
            "only the district bureau may revoke staff sessions; ask it, or log out with /v1/staff/logout",
        ));
    }
    check_username(&username)?;
    let s = st.store.clone();
    blocking(move || {
        let actor = format!("staff:{}", staff.username);
        let n = s.end_sessions(SessionsOf::Account(&username), &actor)?;
        if req.disable {
            s.set_staff_access(&username, StaffAccess::Disable, &actor)?;
        }
        tracing::info!(account = %username, by = %staff.username, sessions = n, disable = req.disable, at = %Utc::now(), "staff sessions revoked");
        Ok(SessionsEnded {
            sessions_ended: n,
            disabled: req.disable,
        })
    })
    .await
    .map(Json)
}
