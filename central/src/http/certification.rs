//! Annual certification at the kiosk: status, results, proofs and their reissue, references, guardians and the alternatives closed by staff.

use super::*;

pub(crate) async fn cert_status(
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
pub(crate) fn check_guardian(
    s: &dyn Store,
    recipient: &str,
    guardian: &IdNumber,
) -> Result<(), ApiError> {
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

pub(crate) async fn cert_result(
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
pub(crate) async fn reissue_proof(
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
pub(crate) fn valid_until_of(today: chrono::NaiveDate) -> chrono::NaiveDate {
    today
        .checked_add_months(chrono::Months::new(12))
        .unwrap_or(today)
}

/// Issues a signed 社会救助身份证明 for `rec`: the code and the proof's id (hex).
pub(crate) fn issue_proof(
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
pub(crate) fn check_note(field: &str, note: Option<&str>) -> Result<Option<String>, ApiError> {
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

/// `POST /v1/kiosk/certification/alternatives`: a recipient asks for a staff witness or a home
/// visit instead of a biometric check. 201 when recorded; a repeated `Idempotency-Key` returns
/// the first answer with 200 and stores nothing.
pub(crate) async fn cert_alternative(
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

pub(crate) fn enum_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// `POST /v1/kiosk/templates`: a reference sealed to the kiosk, only for a recipient (or a
/// registered guardian of one) of a township the kiosk serves, at most
/// [`crate::store::hardening`]'s rate of different people per kiosk (429 with `Retry-After`
/// and a staff alert beyond it), each release audited with whose reference went to which kiosk.
pub(crate) async fn template(
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
pub(crate) fn in_scope<T>(
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
pub(crate) fn recipient_in_scope(
    s: &dyn Store,
    k: &KioskId,
    id_number: &str,
) -> Result<(), ApiError> {
    match s.recipient(id_number)? {
        Some(rec) => require_scope(&k.scope, &rec.township, "this recipient"),
        None => Ok(()),
    }
}

/// `GET /v1/staff/townships/{code}/alternatives`: open certification alternatives, oldest
/// first, masked.
pub(crate) async fn open_alternatives(
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
pub(crate) async fn close_alternative(
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
pub(crate) async fn register_guardian(
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
