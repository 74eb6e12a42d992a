//! Applications at the kiosk: submission, the case, signatures, materials, the household's status and the signatures still owed.

use super::*;

/// A member's relation as the kiosk sends it: one of core's [`Relationship`] names (`spouse`,
/// `child`, `obligated`, …) other than the applicant's own (`self`). A closed set: anything
/// else (`agent`, which is a role, not a relation) is refused with 422 naming the member.
pub(crate) fn relationship_of(i: usize, relation: &str) -> Result<Relationship, ApiError> {
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
pub(crate) fn application_of(
    req: &SubmitApplication,
    village: String,
) -> Result<Application, ApiError> {
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
        // the kiosk's yes/no 近亲属申明: the clerk records its details and files it before 初审
        staff_relative_declared: req.close_relative_declared,
        materials: vec![],
        signatures: BTreeSet::new(),
        confirmed_truthful: true,
    })
}

pub(crate) async fn submit(
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

pub(crate) async fn kiosk_case(
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

pub(crate) fn json_reply(body: String) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

pub(crate) async fn sign(
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
        let mut how = serde_json::to_value(req.method)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        match (req.mark, &req.witness) {
            (api::SignatureMark::Handwriting, None) => {}
            (api::SignatureMark::Handwriting, Some(_)) => {
                return Err(unprocessable(
                    "witness: a witness is recorded for a fingerprint mark only; leave it out for a handwritten signature",
                ));
            }
            (api::SignatureMark::FingerprintMark, None) => {
                return Err(unprocessable(
                    "witness: a fingerprint mark (按手印) needs a staff member as witness: send the live session of the staff member present",
                ));
            }
            (api::SignatureMark::FingerprintMark, Some(token)) => {
                // The witness must be logged in now, for a township this kiosk serves.
                let witness = security::assisting_staff(s.as_ref(), &k.scope, token.expose())?;
                how = format!(
                    "{how}; fingerprint_mark 按手印, witness {}",
                    witness.username
                );
            }
        }
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

pub(crate) async fn material(
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

pub(crate) async fn status(
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
pub(crate) async fn pending_signatures(
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
