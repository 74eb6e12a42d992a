//! Staff routes of the security hardening: the alerts staff see (`GET /v1/staff/alerts`) and
//! recording a recipient's death or suspension, which revokes their proofs
//! (`POST /v1/staff/recipients/standing`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use jiuzhu_core::api::StaffRole;
use jiuzhu_core::id::IdNumber;
use jiuzhu_core::workflow::china_date;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::http::{ApiJson, AppState, StaffUser};
use crate::security::bound_past_date;
use crate::store::{SecurityAlert, Standing};

/// Most alerts one answer lists (newest first).
pub const ALERTS_LISTED: usize = 200;

/// `POST /v1/staff/recipients/standing`: a recipient died or their assistance is suspended.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandingRequest {
    /// The recipient.
    pub id_number: IdNumber,
    /// `deceased` or `suspended`.
    pub standing: Standing,
    /// From which day (China date; within the last five years, not in the future).
    pub since: NaiveDate,
}

/// The answer: masked, with what the public check now says of their proofs.
#[derive(Debug, Clone, Serialize)]
pub struct StandingRecorded {
    /// Masked number.
    pub masked_id: String,
    /// The standing recorded.
    pub standing: Standing,
    /// From which day.
    pub since: NaiveDate,
}

async fn blocking<R: Send + 'static>(
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

/// `GET /v1/staff/alerts`: alerts about the kiosks of the account's township (the district
/// bureau: all), newest first, e.g. `template_release_burst` when a kiosk asked for many
/// people's references in a short time. Audited as `staff.view_alerts`.
pub async fn alerts(
    State(st): State<AppState>,
    StaffUser(staff): StaffUser,
) -> Result<Json<Vec<SecurityAlert>>, ApiError> {
    let s = st.store.clone();
    blocking(move || {
        let list = s
            .hardening()
            .alerts(staff.township.as_deref(), ALERTS_LISTED)?;
        s.record(
            &format!("staff:{}", staff.username),
            "staff.view_alerts",
            staff.township.as_deref().unwrap_or("district"),
            Utc::now(),
        )?;
        Ok(Json(list))
    })
    .await
}

/// `POST /v1/staff/recipients/standing`: the township clerk or leader of the recipient's
/// township, or the district bureau, records a death or suspension; from then on the public
/// check answers `revoked` for every proof of theirs. 404 not a recipient, 403 village helper
/// or another township, 422 a date outside the last five years or in the future.
pub async fn set_standing(
    State(st): State<AppState>,
    StaffUser(staff): StaffUser,
    ApiJson(req): ApiJson<StandingRequest>,
) -> Result<Response, ApiError> {
    if staff.role == StaffRole::VillageHelper {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "wrong_role",
            "a village helper cannot record a death or suspension; ask the township clerk",
        ));
    }
    bound_past_date("since", req.since, china_date((st.clock)()))?;
    let s = st.store.clone();
    blocking(move || {
        let id = req.id_number.as_unmasked_str();
        let rec = s
            .recipient(id)?
            .ok_or_else(|| ApiError::not_found("this person is not a recipient of assistance"))?;
        if let Some(t) = &staff.township
            && *t != rec.township
        {
            return Err(ApiError::forbidden(format!(
                "account '{}' is scoped to township {t} and cannot act for township {}",
                staff.username, rec.township
            )));
        }
        s.hardening().set_standing(
            id,
            req.standing,
            req.since,
            &format!("staff:{}", staff.username),
            Utc::now(),
        )?;
        Ok((
            StatusCode::OK,
            Json(StandingRecorded {
                masked_id: req.id_number.masked(),
                standing: req.standing,
                since: req.since,
            }),
        )
            .into_response())
    })
    .await
}
