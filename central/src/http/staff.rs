//! Staff: login, the staff extractor, the township queue and statistics, a case's detail and its workflow steps.

use super::*;

/// Logs a staff member in through [`authenticate`] and opens a session.
pub(crate) async fn login(
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

pub(crate) async fn queue(
    State(st): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(code): Path<String>,
) -> Result<Json<Vec<jiuzhu_core::api::CaseSummary>>, ApiError> {
    township_read(st, staff, code, "staff.view_queue", |s, c| s.queue(c))
        .await
        .map(Json)
}

pub(crate) async fn statistics(
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

pub(crate) fn case_detail(st: &AppState, id: &str) -> Result<CaseDetail, ApiError> {
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
pub(crate) async fn case_event(
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

pub(crate) async fn staff_case(
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
