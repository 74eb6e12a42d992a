//! The error every handler returns, rendered as `{ "error": { "code", "reason" } }`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiuzhu_core::api::{AuthError, ErrorBody};
use jiuzhu_core::workflow::WorkflowError;

use crate::store::StoreError;

/// An HTTP error with a machine-readable code and a reason that names the remedy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable snake_case code.
    pub code: &'static str,
    /// Human-readable reason.
    pub reason: String,
    /// For `missing_step`: the snake_case name of the step that must come first (rendered as
    /// `error.missing_step`).
    pub missing_step: Option<String>,
}

impl ApiError {
    /// Builds an error.
    pub fn new(status: StatusCode, code: &'static str, reason: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            reason: reason.into(),
            missing_step: None,
        }
    }

    /// 400 with the given code.
    pub fn bad_request(code: &'static str, reason: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, reason)
    }

    /// 403 `forbidden`.
    pub fn forbidden(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", reason)
    }

    /// 404 `not_found`.
    pub fn not_found(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", reason)
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, e.code(), e.to_string())
    }
}

impl From<WorkflowError> for ApiError {
    /// Who may not act → 403; a skipped step or a step that does not fit the case now → 409
    /// (`missing_step` names the step that must come first); a malformed step → 422.
    fn from(e: WorkflowError) -> Self {
        use WorkflowError as W;
        let status = match &e {
            W::WrongRole { .. } | W::WrongTownship { .. } | W::NoAgent { .. } => {
                StatusCode::FORBIDDEN
            }
            W::AmountRequired { .. }
            | W::AmountNotAllowed { .. }
            | W::TextRequired { .. }
            | W::DeadlineNotAfterToday { .. }
            | W::BadDigest(_)
            | W::Application(_) => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::CONFLICT,
        };
        let mut err = ApiError::new(status, e.code(), e.to_string());
        if let W::MissingStep { missing, .. } = &e {
            err.missing_step = serde_json::to_value(missing)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string));
        }
        err
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Workflow(w) => w.into(),
            StoreError::NotFound(what) => ApiError::not_found(what),
            StoreError::Conflict(what) => ApiError::new(StatusCode::CONFLICT, "conflict", what),
            StoreError::Refused { code, reason } => {
                ApiError::new(StatusCode::CONFLICT, code, reason)
            }
            StoreError::Unprocessable { code, reason } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, reason)
            }
            StoreError::Invalid(what) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", what)
            }
            other => {
                // the database's own error code (SQLite's extended code, e.g. 517 for a stale
                // snapshot, 5 for a lock waited out) says which kind of failure it was
                let code = match &other {
                    StoreError::Sql(rusqlite::Error::SqliteFailure(e, _)) => Some(e.extended_code),
                    _ => None,
                };
                tracing::error!(error = %other, sqlite_code = ?code, "storage failure");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "storage",
                    "the central database failed; retry later",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::to_value(ErrorBody::new(self.code, self.reason))
            .unwrap_or(serde_json::Value::Null);
        if let Some(step) = self.missing_step {
            body["error"]["missing_step"] = serde_json::Value::String(step);
        }
        (self.status, axum::Json(body)).into_response()
    }
}
