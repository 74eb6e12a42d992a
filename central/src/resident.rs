//! The household's side of the procedure at a kiosk: confirming that a document was received
//! (送达), withdrawing the application, objecting to not-eligible findings (复查), and — for any
//! resident identified by card — a named objection to a 公示; plus the staff list of documents
//! not yet delivered. Every step goes through core's workflow and comes back with the receipt to
//! print ([`jiuzhu_core::notices::receipt_text`]).
//!
//! A kiosk may be stolen: the person named in a request must be the case's applicant (or its
//! recorded agent acting with the applicant's number) — anyone else gets the same 404 as for a
//! case that does not exist, so case ids cannot be probed; texts are bounded; a resident objects
//! to a posting once.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use jiuzhu_core::api::{
    ContactPhoneRequest, ContactPhoneSet, DeliveryMethod, FindingsObjectionRequest, KioskTownships,
    NoticeDelivered, NoticeReceipt, PublicityList, PublicityObjectionRequest, ResidentStepDone,
    ServedTownship, StaffNotices, WithdrawalRequest,
};
use jiuzhu_core::id::IdNumber;
use jiuzhu_core::notices::{self, Office, ResidentStep};
use jiuzhu_core::workflow::{Action, Actor, Case, Event, Role, china_date};
use serde::Deserialize;

use crate::error::ApiError;
use crate::http::KioskId;
use crate::http::{ApiJson, AppState, Kiosk, StaffUser, blocking, township_read, unprocessable};
use crate::notices::Delivery;
use crate::security::require_scope;
use crate::store::{Store, WorkflowStep};

/// Longest statement or reason accepted, in characters.
pub const MAX_STATEMENT_CHARS: usize = 500;
/// Most evidence digests on one objection.
pub const MAX_EVIDENCE: usize = 20;

fn no_case() -> ApiError {
    ApiError::not_found("no such case for this person")
}

/// The role in which `id_number` (and `agent`) act on `case`: the applicant alone, or the
/// recorded agent with the applicant's number. Anyone else: 404, as for an unknown case.
fn household_role(
    case: &Case,
    id_number: &IdNumber,
    agent: Option<&IdNumber>,
) -> Result<Role, ApiError> {
    let applicant = case.application.household.applicant().ok_or_else(no_case)?;
    if applicant.id_number != *id_number {
        return Err(no_case());
    }
    match agent {
        None => Ok(Role::Applicant),
        Some(a)
            if case
                .application
                .agent
                .as_ref()
                .is_some_and(|r| r.id_number == *a) =>
        {
            Ok(Role::Agent)
        }
        Some(_) => Err(no_case()),
    }
}

fn office_of(s: &dyn Store, township: &str) -> Result<Office, ApiError> {
    let t = s
        .township(township)?
        .ok_or_else(|| ApiError::not_found(format!("no township '{township}'")))?;
    Ok(Office {
        township_name: t.name,
        hotline: t.hotline,
        report_phone: t.report_phone,
    })
}

fn bounded(field: &str, text: &str, required: bool) -> Result<String, ApiError> {
    let t = text.trim();
    if (required && t.is_empty()) || t.chars().count() > MAX_STATEMENT_CHARS {
        return Err(unprocessable(format!(
            "{field}: give {}–{MAX_STATEMENT_CHARS} characters",
            u8::from(required)
        )));
    }
    Ok(t.to_string())
}

fn masked_person(case: &Case, role: Role) -> String {
    match role {
        Role::Agent => case.application.agent.as_ref().map(|a| a.name.masked()),
        _ => case
            .application
            .household
            .applicant()
            .map(|a| a.name.masked()),
    }
    .unwrap_or_default()
}

fn short_no(s: &dyn Store, case: &str) -> Result<String, ApiError> {
    Ok(s.case_summary(case)?
        .and_then(|c| c.case_no)
        .unwrap_or_else(|| case.to_string()))
}

/// `POST /v1/kiosk/notices/{notice_id}/delivered`.
pub async fn notice_delivered(
    State(st): State<AppState>,
    Kiosk(k): Kiosk,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NoticeReceipt>,
) -> Result<Json<NoticeDelivered>, ApiError> {
    let id: i64 = id
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::not_found("no such notice"))?;
    let s = st.store.clone();
    blocking(move || {
        let case_id = s
            .household_notice_case(id)?
            .ok_or_else(|| ApiError::not_found("no such notice"))?;
        let case = s.case(&case_id)?.ok_or_else(no_case)?;
        household_role(&case, &req.id_number, req.agent_id_number.as_ref())?;
        // Only a kiosk that can show the document (its status answer) records its delivery.
        require_scope(&k.scope, case.township(), "this notice")?;
        let detail = format!("kiosk:{}", k.id);
        let (delivered_on, delivered_how, recorded) = s
            .record_delivery(&Delivery {
                notice: id,
                how: DeliveryMethod::Kiosk,
                ok: true,
                detail: &detail,
                actor: &detail,
                now: (st.clock)(),
            })?
            .ok_or_else(|| ApiError::not_found("no such notice"))?;
        Ok(NoticeDelivered {
            id,
            delivered_on,
            delivered_how,
            recorded,
        })
    })
    .await
    .map(Json)
}

/// Applies a household step on `case_id` after checking who asks; answers with the receipt.
fn household_step(
    st: &AppState,
    kiosk: &KioskId,
    case_id: &str,
    who: (&IdNumber, Option<&IdNumber>),
    action: Action,
    receipt: ResidentStep,
) -> Result<ResidentStepDone, ApiError> {
    let s = st.store.as_ref();
    let case = s.case(case_id)?.ok_or_else(no_case)?;
    let role = household_role(&case, who.0, who.1)?;
    require_scope(&kiosk.scope, case.township(), "this case")?;
    let kiosk = kiosk.id.as_str();
    let now = (st.clock)();
    let step = WorkflowStep {
        event: Event::new(Actor::new(role, format!("kiosk:{kiosk}")), action),
        now,
        calendar: &st.calendar,
    };
    let new = s.apply_event(case_id, &format!("kiosk:{kiosk}"), &step)?;
    let no = short_no(s, case_id)?;
    let office = office_of(s, new.township())?;
    let today = china_date(now);
    Ok(ResidentStepDone {
        case_id: case_id.to_string(),
        receipt: notices::receipt_text(receipt, &no, &masked_person(&new, role), today, &office),
        case_no: Some(no),
        state: new.state.name().to_string(),
        recorded_on: today,
    })
}

/// `POST /v1/kiosk/applications/{case_id}/withdrawal`.
pub async fn withdrawal(
    State(st): State<AppState>,
    Kiosk(k): Kiosk,
    Path(case_id): Path<String>,
    ApiJson(req): ApiJson<WithdrawalRequest>,
) -> Result<Json<ResidentStepDone>, ApiError> {
    let reason = bounded("reason", &req.reason, false)?;
    blocking(move || {
        household_step(
            &st,
            &k,
            &case_id,
            (&req.id_number, req.agent_id_number.as_ref()),
            Action::Withdraw { reason },
            ResidentStep::Withdrawal,
        )
    })
    .await
    .map(Json)
}

/// `POST /v1/kiosk/applications/{case_id}/objections` (复查).
pub async fn findings_objection(
    State(st): State<AppState>,
    Kiosk(k): Kiosk,
    Path(case_id): Path<String>,
    ApiJson(req): ApiJson<FindingsObjectionRequest>,
) -> Result<Json<ResidentStepDone>, ApiError> {
    let statement = bounded("statement", &req.statement, true)?;
    if req.evidence.len() > MAX_EVIDENCE {
        return Err(unprocessable(format!(
            "evidence: at most {MAX_EVIDENCE} uploads"
        )));
    }
    blocking(move || {
        household_step(
            &st,
            &k,
            &case_id,
            (&req.id_number, req.agent_id_number.as_ref()),
            Action::ObjectToFindings {
                statement,
                evidence: req.evidence,
                needs_help: req.needs_help,
            },
            ResidentStep::FindingsObjection {
                needs_help: req.needs_help,
            },
        )
    })
    .await
    .map(Json)
}

/// `POST /v1/kiosk/publicity/{case_no}/objections`: any resident identified by card, while the
/// 公示 runs. The answer names neither the case's id nor its state (the objector is a third
/// party).
pub async fn publicity_objection(
    State(st): State<AppState>,
    Kiosk(k): Kiosk,
    Path(case_no): Path<String>,
    ApiJson(req): ApiJson<PublicityObjectionRequest>,
) -> Result<Json<ResidentStepDone>, ApiError> {
    let statement = bounded("statement", &req.statement, true)?;
    if case_no.chars().count() > 64 {
        return Err(ApiError::not_found("no posting with this number"));
    }
    blocking(move || {
        let s = st.store.as_ref();
        let case_id = s
            .case_id_of(&case_no)?
            .ok_or_else(|| ApiError::not_found("no posting with this number"))?;
        let township = s.case_summary(&case_id)?.map(|c| c.township);
        if !township.is_some_and(|t| k.scope.contains(&t)) {
            return Err(ApiError::not_found("no posting with this number"));
        }
        let now = (st.clock)();
        let actor = format!("kiosk:{}", k.id);
        let step = WorkflowStep {
            event: Event::new(
                Actor::new(Role::Resident, actor.clone()),
                Action::ObjectToPublicity { statement },
            ),
            now,
            calendar: &st.calendar,
        };
        let case = s.publicity_objection(
            &case_id,
            (
                req.objector.id_number.as_unmasked_str(),
                req.objector.name.as_unmasked_str(),
            ),
            &actor,
            &step,
        )?;
        let no = short_no(s, &case_id)?;
        let today = china_date(now);
        Ok(ResidentStepDone {
            case_id: String::new(),
            receipt: notices::receipt_text(
                ResidentStep::PublicityObjection,
                &no,
                &req.objector.name.masked(),
                today,
                &office_of(s, case.township())?,
            ),
            case_no: Some(no),
            state: "recorded".into(),
            recorded_on: today,
        })
    })
    .await
    .map(Json)
}

/// `POST /v1/kiosk/applications/{case_id}/contact-phone`: the applicant (or recorded agent)
/// gives the SMS number for the case's notices. Anyone else 404 as for an unknown case; a case
/// of another township 403; not a mainland mobile number 422; more than
/// [`crate::store::PHONE_CHANGES_PER_DAY`] changes in 24 hours 429; every change audited
/// (number masked).
pub async fn contact_phone(
    State(st): State<AppState>,
    Kiosk(k): Kiosk,
    Path(case_id): Path<String>,
    ApiJson(req): ApiJson<ContactPhoneRequest>,
) -> Result<Json<ContactPhoneSet>, ApiError> {
    if !jiuzhu_core::api::is_mobile_number(&req.phone) {
        return Err(unprocessable(
            "phone: give an 11-digit mainland mobile number starting 13–19",
        ));
    }
    blocking(move || {
        let s = st.store.as_ref();
        let case = s.case(&case_id)?.ok_or_else(no_case)?;
        household_role(&case, &req.id_number, req.agent_id_number.as_ref())?;
        require_scope(&k.scope, case.township(), "this case")?;
        if !s.set_contact_phone(&case_id, &req.phone, &format!("kiosk:{}", k.id), (st.clock)())? {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_changes",
                format!(
                    "the SMS number of this case changed {} times in 24 hours; ask at the township office",
                    crate::store::PHONE_CHANGES_PER_DAY
                ),
            ));
        }
        Ok(ContactPhoneSet {
            case_no: s.case_summary(&case_id)?.and_then(|c| c.case_no),
            phone_masked: jiuzhu_core::api::mask_phone(&req.phone),
        })
    })
    .await
    .map(Json)
}

/// `GET /v1/kiosk/publicity`: the 公示 postings running today in the townships this kiosk
/// serves, as posted on the village boards (masked names), each with the case number a named
/// objection cites.
pub async fn publicity_list(
    State(st): State<AppState>,
    Kiosk(k): Kiosk,
) -> Result<Json<PublicityList>, ApiError> {
    let today = china_date((st.clock)());
    blocking(move || {
        Ok(PublicityList {
            postings: st.store.publicity_postings(&k.scope, today)?,
        })
    })
    .await
    .map(Json)
}

/// `GET /v1/kiosk/townships`: the townships the kiosk serves (its scope), its own first, so the
/// kiosk can match an applicant's card address to the township of household registration and
/// send the application there. A township of the scope the store does not know is left out.
pub async fn served_townships(
    State(st): State<AppState>,
    Kiosk(k): Kiosk,
) -> Result<Json<KioskTownships>, ApiError> {
    blocking(move || {
        let mut townships = Vec::with_capacity(k.scope.len());
        for code in &k.scope {
            if let Some(t) = st.store.township(code)? {
                townships.push(ServedTownship {
                    code: t.code,
                    name: t.name,
                });
            }
        }
        Ok(KioskTownships { townships })
    })
    .await
    .map(Json)
}

/// Query of the staff list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeFilter {
    /// Only household documents not yet delivered.
    #[serde(default)]
    pub undelivered: bool,
}

/// `GET /v1/staff/townships/{code}/notices[?undelivered=true]`.
pub async fn township_notices(
    State(st): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(code): Path<String>,
    filter: Result<Query<NoticeFilter>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<StaffNotices>, ApiError> {
    let Query(filter) = filter.map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            format!("query: {e}; use ?undelivered=true or false"),
        )
    })?;
    township_read(st, staff, code, "staff.view_notices", move |s, c| {
        s.township_notices(c, filter.undelivered)
    })
    .await
    .map(|notices| Json(StaffNotices { notices }))
}
