//! Public documents: the 公示 and 公布 lists and the public check of a proof.

use super::*;

pub(crate) async fn publication(
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

pub(crate) async fn publicity(
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

/// Public check of a 社会救助身份证明 code: valid / expired / unknown, masked name and number only.
pub(crate) async fn verify_proof(
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
