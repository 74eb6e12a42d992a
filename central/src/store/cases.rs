//! Applications and cases: submission, signatures, materials, workflow steps, queues, deadlines.

use super::*;

/// A person on a new case (full values; stored, never logged).
#[derive(Clone)]
pub struct NewPerson {
    /// Identity number.
    pub id_number: String,
    /// Name.
    pub name: String,
    /// `applicant`, `agent` or the member's relation.
    pub role: String,
}

/// A case to create.
pub struct NewCase {
    /// Township.
    pub township: String,
    /// Assistance type.
    pub assistance_type: AssistanceType,
    /// Applicant's number.
    pub applicant_id: String,
    /// Agent's number.
    pub agent_id: Option<String>,
    /// Everyone on the case: applicant, agent, members.
    pub people: Vec<NewPerson>,
    /// The request as submitted (JSON), archived.
    pub payload: String,
    /// The workflow case opened by [`Case::submit`]; its id is replaced by the stored id.
    pub workflow: Case,
    /// SHA-256 (hex) of the request body, bound to the idempotency key.
    pub body_sha256: String,
    /// The effects of [`Case::submit`], stored as documents with the case.
    pub effects: Vec<workflow::Effect>,
    /// The mobile number for notices by text message, if the household gave one.
    pub contact_phone: Option<String>,
}

/// One workflow event to apply inside a store transaction.
pub struct WorkflowStep<'a> {
    /// The event (actor and action).
    pub event: Event,
    /// When it happens (the service's workflow clock).
    pub now: DateTime<Utc>,
    /// The working-day calendar.
    pub calendar: &'a Calendar,
}

/// Applications and cases: submission, signatures, materials, workflow steps, queues, deadlines.
pub trait CaseStore {
    /// The case id of a short case number (or of an id).
    fn case_id_of(&self, no_or_id: &str) -> Result<Option<String>, StoreError>;
    /// Creates a case, or returns the first answer for a repeated idempotency key
    /// (`(case_id, response_json, created)`); the response is the new case's [`CaseSummary`].
    fn submit(
        &self,
        kiosk: &str,
        key: &str,
        case: NewCase,
        now: DateTime<Utc>,
        cal: &Calendar,
    ) -> Result<(String, String, bool), StoreError>;
    /// A case summary.
    fn case_summary(&self, id: &str) -> Result<Option<CaseSummary>, StoreError>;
    /// The workflow case.
    fn case(&self, id: &str) -> Result<Option<Case>, StoreError>;
    /// Records a member's signature (the signer must be on the case) and applies `step` (the
    /// workflow's `sign_authorization`). With `idem`, a repeated key returns the first answer.
    /// Returns the case summary JSON and whether this call stored it.
    fn sign(
        &self,
        case: &str,
        id_number: &str,
        how: &str,
        actor: &str,
        step: &WorkflowStep<'_>,
        idem: Option<Idem<'_>>,
    ) -> Result<(String, bool), StoreError>;
    /// Stores a material (content-addressed), links it to a case and, with `step` (the
    /// workflow's `supply_materials`), records it on the application.
    #[allow(clippy::too_many_arguments)]
    fn add_material(
        &self,
        case: &str,
        sha256: &str,
        content_type: &str,
        data: &[u8],
        actor: &str,
        now: DateTime<Utc>,
        step: Option<&WorkflowStep<'_>>,
    ) -> Result<(), StoreError>;
    /// Applies a workflow event to a case and stores the result with an audit row by `actor`.
    fn apply_event(
        &self,
        case: &str,
        actor: &str,
        step: &WorkflowStep<'_>,
    ) -> Result<Case, StoreError>;
    /// Cases of a person, newest first; with `agent`, only those where that agent is recorded.
    fn cases_of(
        &self,
        id_number: &str,
        agent: Option<&str>,
    ) -> Result<Vec<CaseSummary>, StoreError>;
    /// Township queue: overdue first, then red, amber, green, then oldest.
    fn queue(&self, township: &str) -> Result<Vec<CaseSummary>, StoreError>;
    /// Sends the timer event to every open case and recomputes deadline colours with
    /// [`workflow::deadlines`]; returns how many cases changed.
    fn scan_deadlines(&self, cal: &Calendar, now: DateTime<Utc>) -> Result<usize, StoreError>;
    /// Counts for a township.
    fn statistics(&self, township: &str) -> Result<TownshipStatistics, StoreError>;
    /// History of a case from the audit log.
    fn history(&self, case: &str) -> Result<Vec<HistoryEntry>, StoreError>;
    /// Sets case `case`'s SMS number (sealed at rest) with an audit row by `actor` (the number
    /// masked); `false`, nothing changed, when it changed [`PHONE_CHANGES_PER_DAY`] times in
    /// the last 24 hours.
    fn set_contact_phone(
        &self,
        case: &str,
        phone: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}

/// The uploads an action names (materials supplied, evidence of an objection): each must have
/// been uploaded to the case first.
pub(crate) fn uploads_of(action: &Action) -> Vec<&str> {
    match action {
        Action::SupplyMaterials { materials } => {
            materials.iter().map(|m| m.sha256.as_str()).collect()
        }
        Action::ObjectToFindings { evidence, .. } => evidence.iter().map(String::as_str).collect(),
        _ => vec![],
    }
}

/// The refusal of an upload named but not linked to the case.
pub(crate) fn not_uploaded(sha256: &str) -> StoreError {
    StoreError::Invalid(format!(
        "{sha256} was not uploaded to this case; upload the file first"
    ))
}

/// The refusal of a signature that changed nothing: not a member, or signed already.
pub(crate) fn signature_refused(on_case: bool) -> StoreError {
    if on_case {
        StoreError::Conflict("this member has already signed the authorization".into())
    } else {
        StoreError::NotFound("the signer is not a member of this case's household".into())
    }
}

impl CaseStore for SqliteStore {
    fn case_id_of(&self, no_or_id: &str) -> Result<Option<String>, StoreError> {
        crate::notices::case_id_of(&self.read(), no_or_id)
    }

    fn submit(
        &self,
        kiosk: &str,
        key: &str,
        case: NewCase,
        now: DateTime<Utc>,
        cal: &Calendar,
    ) -> Result<(String, String, bool), StoreError> {
        self.write(|tx| {
            let prior: Option<(String, String, Option<String>)> = tx
                .prepare_cached(
                    "SELECT case_id, response, body_sha256 FROM idempotency WHERE kiosk_id = ?1 AND key = ?2",
                )?
                .query_row(params![kiosk, key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            if let Some((id, resp, sha)) = prior {
                hardening::same_body(sha.as_deref(), &case.body_sha256)?;
                return Ok((id, resp, false));
            }
            if !township_exists(tx, &case.township)? {
                return Err(StoreError::Invalid(format!(
                    "township '{}' is not served by this central service",
                    case.township
                )));
            }
            let id = uuid::Uuid::now_v7().to_string();
            let mut wf = case.workflow;
            wf.id = id.clone();
            let household = case.people.iter().filter(|p| p.role != "agent").count() as u32;
            tx.prepare_cached(
                "INSERT INTO cases (id, township, assistance_type, applicant_id, agent_id, household_size,
                   submitted_at, state, kiosk_id, payload, village)
                 VALUES (?1, ?2, ?3, jz_bidx(?4), jz_bidx(?5), ?6, ?7, ?8, ?9,
                   jz_seal(?10, 'cases.payload:' || ?1), ?11)",
            )?
            .execute(params![
                id,
                case.township,
                enum_str(&case.assistance_type),
                case.applicant_id,
                case.agent_id,
                household,
                now_str(now),
                wf.state.name(),
                kiosk,
                case.payload,
                wf.application.household.village,
            ])?;
            write_case(tx, &wf, cal, china_date(now))?;
            crate::notices::assign_case_no(tx, &id, &case.township, now)?;
            tx.prepare_cached("UPDATE cases SET contact_phone = jz_seal(?2, 'cases.contact_phone') WHERE id = ?1")?
                .execute(params![id, case.contact_phone])?;
            crate::notices::persist(tx, &wf, &case.effects, cal, now)?;
            for p in &case.people {
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO case_people (case_id, id_number, name, role)
                     VALUES (?1, jz_bidx(?2), jz_seal(?3, 'case_people.name'), ?4)",
                )?
                    .execute(params![id, p.id_number, p.name, p.role])?;
            }
            audit::append(
                tx,
                &now_str(now),
                &format!("kiosk:{kiosk}"),
                "case.submitted",
                &id,
                "{}",
            )?;
            let summary =
                Self::summary_row(tx, &id)?.ok_or_else(|| StoreError::NotFound(id.clone()))?;
            let resp = to_json(&summary)?;
            tx.prepare_cached(
                "INSERT INTO idempotency (kiosk_id, key, case_id, response, body_sha256) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![kiosk, key, id, resp, case.body_sha256])?;
            Ok((id, resp, true))
        })
    }

    fn case_summary(&self, id: &str) -> Result<Option<CaseSummary>, StoreError> {
        Self::summary_row(&self.read(), id)
    }

    fn case(&self, id: &str) -> Result<Option<Case>, StoreError> {
        let json: Option<Option<String>> = self
            .read()
            .prepare_cached(
                "SELECT jz_open(case_json, 'cases.case_json:' || id) FROM cases WHERE id = ?1",
            )?
            .query_row([id], |r| r.get(0))
            .optional()?;
        json.map(|j| case_from_json(j, id)).transpose()
    }

    fn sign(
        &self,
        case: &str,
        id_number: &str,
        how: &str,
        actor: &str,
        step: &WorkflowStep<'_>,
        idem: Option<Idem<'_>>,
    ) -> Result<(String, bool), StoreError> {
        self.write(|tx| {
            if let Some(prior) = idem.map(|i| stored_reply(tx, i)).transpose()?.flatten() {
                return Ok((prior, false));
            }
            let n = tx.execute(
                "UPDATE case_people SET signed_at = ?3, signed_by = ?4
                 WHERE case_id = ?1 AND id_number = jz_bidx(?2) AND role != 'agent' AND signed_at IS NULL",
                params![case, id_number, now_str(step.now), how],
            )?;
            if n == 0 {
                let on_case: i64 = tx.query_row(
                    "SELECT count(*) FROM case_people WHERE case_id = ?1 AND id_number = jz_bidx(?2) AND role != 'agent'",
                    params![case, id_number],
                    |r| r.get(0),
                )?;
                return Err(signature_refused(on_case > 0));
            }
            transition(tx, case, actor, step)?;
            audit::append(
                tx,
                &now_str(step.now),
                actor,
                "case.signed",
                case,
                &serde_json::json!({ "method": how }).to_string(),
            )?;
            let summary = Self::summary_row(tx, case)?
                .ok_or_else(|| StoreError::NotFound(format!("no case '{case}'")))?;
            let resp = to_json(&summary)?;
            keep_reply(tx, idem, &resp, step.now)?;
            Ok((resp, true))
        })
    }

    fn add_material(
        &self,
        case: &str,
        sha256: &str,
        content_type: &str,
        data: &[u8],
        actor: &str,
        now: DateTime<Utc>,
        step: Option<&WorkflowStep<'_>>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let exists: i64 =
                tx.query_row("SELECT count(*) FROM cases WHERE id = ?1", [case], |r| {
                    r.get(0)
                })?;
            if exists == 0 {
                return Err(StoreError::NotFound(format!("no case '{case}'")));
            }
            if let Some(step) = step {
                transition(tx, case, actor, step)?;
            }
            tx.execute(
                "INSERT OR IGNORE INTO materials VALUES (?1, ?2, ?3, jz_seal(?4, 'materials.data'), ?5)",
                params![sha256, content_type, data.len() as i64, data, now_str(now)],
            )?;
            tx.execute(
                "INSERT OR IGNORE INTO case_materials VALUES (?1, ?2)",
                params![case, sha256],
            )?;
            audit::append(
                tx,
                &now_str(now),
                actor,
                "case.material",
                case,
                &format!("{{\"sha256\":\"{sha256}\"}}"),
            )?;
            Ok(())
        })
    }

    fn apply_event(
        &self,
        case: &str,
        actor: &str,
        step: &WorkflowStep<'_>,
    ) -> Result<Case, StoreError> {
        self.write(|tx| {
            let uploads = uploads_of(&step.event.action);
            {
                for sha256 in uploads {
                    let linked: i64 = tx
                        .prepare_cached(
                            "SELECT count(*) FROM case_materials WHERE case_id = ?1 AND sha256 = ?2",
                        )?
                        .query_row(params![case, sha256], |r| r.get(0))?;
                    if linked == 0 {
                        return Err(not_uploaded(sha256));
                    }
                }
            }
            transition(tx, case, actor, step).map(|(c, _)| c)
        })
    }

    fn cases_of(
        &self,
        id_number: &str,
        agent: Option<&str>,
    ) -> Result<Vec<CaseSummary>, StoreError> {
        let c = self.read();
        let ids = match agent {
            None => Self::ids(
                &c,
                "SELECT DISTINCT c.id FROM cases c JOIN case_people p ON p.case_id = c.id
                 WHERE p.id_number = jz_bidx(?1) AND p.role != 'agent' ORDER BY c.id DESC",
                [id_number],
            )?,
            Some(a) => Self::ids(
                &c,
                "SELECT DISTINCT c.id FROM cases c JOIN case_people p ON p.case_id = c.id
                 WHERE p.id_number = jz_bidx(?1) AND p.role != 'agent' AND c.agent_id = jz_bidx(?2)
                 ORDER BY c.id DESC",
                [id_number, a],
            )?,
        };
        Self::summaries(&c, ids)
    }

    fn queue(&self, township: &str) -> Result<Vec<CaseSummary>, StoreError> {
        let c = self.read();
        let ids = Self::ids(
            &c,
            "SELECT id FROM cases WHERE township = ?1 ORDER BY
               CASE colour WHEN 'overdue' THEN 0 WHEN 'red' THEN 1 WHEN 'amber' THEN 2 WHEN 'green' THEN 3 ELSE 4 END,
               due, submitted_at",
            [township],
        )?;
        Self::summaries(&c, ids)
    }

    fn scan_deadlines(&self, cal: &Calendar, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let open = Self::ids(
            &self.read(),
            "SELECT id FROM cases WHERE case_json IS NOT NULL
               AND state NOT IN ('published', 'refused', 'abandoned', 'withdrawn')",
            [],
        )?;
        let mut changed = 0;
        for id in open {
            let step = WorkflowStep {
                event: Event::tick(),
                now,
                calendar: cal,
            };
            let r = self.write(|tx| transition(tx, &id, "system:deadline-scanner", &step));
            match r {
                Ok((_, true)) => changed += 1,
                Ok((_, false)) => {}
                Err(StoreError::Workflow(e)) => {
                    tracing::warn!(case = %id, error = %e, "the timer could not move a case");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(changed)
    }

    fn statistics(&self, township: &str) -> Result<TownshipStatistics, StoreError> {
        let c = self.read();
        let mut stats = TownshipStatistics {
            township: township.to_string(),
            ..Default::default()
        };
        for (col, map) in [
            ("assistance_type", &mut stats.by_type),
            ("state", &mut stats.by_state),
            ("colour", &mut stats.by_colour),
        ] {
            let sql = format!(
                "SELECT {col}, count(*) FROM cases WHERE township = ?1 AND {col} IS NOT NULL GROUP BY {col}"
            );
            let mut st = c.prepare_cached(&sql)?;
            for row in st.query_map([township], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?))
            })? {
                let (k, v) = row?;
                map.insert(k, v);
            }
        }
        Ok(stats)
    }

    fn history(&self, case: &str) -> Result<Vec<HistoryEntry>, StoreError> {
        let c = self.read();
        let mut st = c.prepare_cached(
            "SELECT at, actor, action FROM audit WHERE subject = ?1 ORDER BY seq",
        )?;
        let rows = st.query_map([case], |r| {
            Ok(HistoryEntry {
                at: col(r, 0, parse_time)?,
                actor: r.get(1)?,
                action: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn set_contact_phone(
        &self,
        case: &str,
        phone: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.write(|tx| {
            let since = now_str(now - chrono::Duration::hours(24));
            let recent: i64 = tx.query_row(
                "SELECT count(*) FROM audit WHERE action = 'case.contact_phone' AND subject = ?1 AND at > ?2",
                params![case, since],
                |r| r.get(0),
            )?;
            if recent >= PHONE_CHANGES_PER_DAY {
                return Ok(false);
            }
            let n = tx
                .prepare_cached(
                    "UPDATE cases SET contact_phone = jz_seal(?2, 'cases.contact_phone') WHERE id = ?1",
                )?
                .execute(params![case, phone])?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("case {case}")));
            }
            let detail = serde_json::json!({ "phone": jiuzhu_core::api::mask_phone(phone) });
            audit::append(
                tx,
                &now_str(now),
                actor,
                "case.contact_phone",
                case,
                &detail.to_string(),
            )?;
            Ok(true)
        })
    }
}
