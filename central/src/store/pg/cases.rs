//! [`CaseStore`] on PostgreSQL: submission, signatures, materials, workflow steps, queues and
//! deadlines, with the same answers, documents and audit rows as on SQLite (`store/cases.rs`,
//! `notices.rs`); the step itself is decided by the shared [`plan_step`]. Personal columns are
//! sealed in Rust with SQLite's labels; materials are kept in the database (sealed `BYTEA`), so
//! every instance serves them.
//!
//! Across instances: a submission's idempotency key is decided under an advisory lock of the
//! key; every step locks its case's row (`FOR UPDATE`) before it reads the case, so two steps on
//! one case from two instances apply one after the other; case numbers come from a counter row
//! that `INSERT … ON CONFLICT DO UPDATE … RETURNING` locks; the deadline scanner runs on one
//! instance at a time ([`DEADLINE_SCAN_LOCK`]).

use super::{Db, Tx as Transaction};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use jiuzhu_core::api::{CaseSummary, HistoryEntry, TownshipStatistics};
use jiuzhu_core::calendar::Calendar;
use jiuzhu_core::notices::{self, Audience, Office};
use jiuzhu_core::workflow::{self, Case, Effect, Event, china_date};

use super::certification::upsert_recipient;
use super::kiosks::{keep_reply, lock_reply};
use super::{PgStore, append_audit, sealed};
use crate::notices::{case_no_text, case_prefix, issued_detail, word};
use crate::store::hardening::same_body;
use crate::store::{
    CaseStore, Idem, NewCase, PHONE_CHANGES_PER_DAY, StoreError, WorkflowStep, case_from_json,
    enum_parse, enum_str, mask_name, not_uploaded, now_str, parse_time, plan_step, recipient_from,
    signature_refused, to_json, uploads_of,
};

/// The advisory lock the deadline scanner holds for its round ("jzdl"): while one instance
/// scans, another's round returns at once having done nothing.
pub const DEADLINE_SCAN_LOCK: i64 = 0x6a7a_646c;

/// States in which a case takes no more timer events.
const CLOSED: &str = "('published', 'refused', 'abandoned', 'withdrawn')";

fn invalid(e: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(e.to_string())
}

fn case_json_label(id: &str) -> String {
    format!("cases.case_json:{id}")
}

/// The township office of `township`, as the documents name it.
pub(super) fn office(c: &mut impl Db, township: &str) -> Result<Office, StoreError> {
    let r = c.query_one(
        "SELECT name, hotline, report_phone FROM townships WHERE code = $1",
        &[&township],
    )?;
    Ok(Office {
        township_name: r.get(0),
        hotline: r.get(1),
        report_phone: r.get(2),
    })
}

impl PgStore {
    /// Opens a case's sealed workflow JSON.
    pub(super) fn open_case(&self, id: &str, json: Option<&[u8]>) -> Result<Case, StoreError> {
        let json = sealed::open(&self.keys, &case_json_label(id), json).map_err(invalid)?;
        case_from_json(json, id)
    }

    /// Writes a case's state, sealed JSON and most urgent deadline, as SQLite's `write_case`.
    fn write_case(
        &self,
        tx: &mut Transaction<'_>,
        case: &Case,
        cal: &Calendar,
        today: NaiveDate,
    ) -> Result<(), StoreError> {
        let urgent = workflow::deadlines(case, cal, today).into_iter().next();
        let json = to_json(case)?;
        let sealed_json = sealed::seal(&self.keys, &case_json_label(&case.id), &json);
        let allowed = urgent
            .as_ref()
            .map(|d| i32::try_from(d.allowed).map_err(invalid))
            .transpose()?;
        tx.execute(
            "UPDATE cases SET state = $2, case_json = $3, due = $4, allowed_days = $5, colour = $6
             WHERE id = $1",
            &[
                &case.id,
                &case.state.name(),
                &sealed_json,
                &urgent.as_ref().map(|d| d.due),
                &allowed,
                &urgent.as_ref().map(|d| enum_str(&d.colour)),
            ],
        )?;
        Ok(())
    }

    /// Writes the documents of `effects` with an audit row per household document (SQLite's
    /// `notices::persist`); the ids of the household documents.
    fn persist(
        &self,
        tx: &mut Transaction<'_>,
        case: &Case,
        effects: &[Effect],
        cal: &Calendar,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        if effects.is_empty() {
            return Ok(vec![]);
        }
        let office = office(tx, case.township())?;
        let no: Option<String> = tx
            .query_opt("SELECT case_no FROM cases WHERE id = $1", &[&case.id])?
            .and_then(|r| r.get(0));
        let no = no.unwrap_or_else(|| case.id.clone());
        let today = china_date(now);
        let mut household = vec![];
        for doc in notices::documents(case, effects, &office, &no, cal, today) {
            let effect = to_json(&doc.effect)?;
            let id: i64 = tx
                .query_one(
                    "INSERT INTO notices (case_id, kind, audience, issued_on, created_at, text, deadline, effect)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                    &[
                        &case.id,
                        &word(&doc.kind),
                        &word(&doc.audience),
                        &doc.issued_on,
                        &now,
                        &doc.text,
                        &doc.deadline,
                        &effect,
                    ],
                )?
                .get(0);
            if doc.audience == Audience::Household {
                household.push(id);
                append_audit(
                    tx,
                    &self.keys,
                    now,
                    "system:notices",
                    "notice.issued",
                    &case.id,
                    &issued_detail(id, doc.kind),
                )?;
            }
        }
        Ok(household)
    }

    /// Gives a case the next number of its township's year (SQLite's `assign_case_no`); the
    /// counter row stays locked until commit, so numbers are unique across instances.
    fn assign_case_no(
        &self,
        tx: &mut Transaction<'_>,
        case_id: &str,
        township: &str,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let name: String = tx
            .query_one("SELECT name FROM townships WHERE code = $1", &[&township])?
            .get(0);
        let prefix = case_prefix(&name, township);
        let year = china_date(now).year();
        let last: i32 = tx
            .query_one(
                "INSERT INTO case_numbers (prefix, year, last) VALUES ($1, $2, 1)
                 ON CONFLICT (prefix, year) DO UPDATE SET last = case_numbers.last + 1
                 RETURNING last",
                &[&prefix, &year],
            )?
            .get(0);
        let no = case_no_text(&prefix, year, i64::from(last));
        tx.execute(
            "UPDATE cases SET case_no = $2 WHERE id = $1",
            &[&case_id, &no],
        )?;
        Ok(no)
    }

    /// Loads a case under its row lock, applies `step` ([`plan_step`]), stores the result with
    /// its documents and audit row (by `actor`); a case reaching `published` makes its applicant
    /// a recipient. Whether the case changed.
    pub(super) fn transition(
        &self,
        tx: &mut Transaction<'_>,
        id: &str,
        actor: &str,
        step: &WorkflowStep<'_>,
    ) -> Result<(Case, bool), StoreError> {
        let row = tx
            .query_opt(
                "SELECT case_json, colour FROM cases WHERE id = $1 FOR UPDATE",
                &[&id],
            )?
            .ok_or_else(|| StoreError::NotFound(format!("no case '{id}'")))?;
        let old = self.open_case(id, row.get(0))?;
        let old_colour: Option<String> = row.get(1);
        let Some(p) = plan_step(&old, old_colour.as_deref(), step)? else {
            return Ok((old, false));
        };
        self.write_case(tx, &p.new, step.calendar, p.today)?;
        self.persist(tx, &p.new, &p.effects, step.calendar, p.now)?;
        append_audit(tx, &self.keys, p.now, actor, &p.action, id, &p.detail)?;
        if p.published {
            upsert_recipient(tx, &self.keys, &recipient_from(&p.new, p.today)?)?;
        }
        Ok((p.new, true))
    }

    /// A case summary as SQLite's `summary_row` builds it.
    pub(super) fn summary_row(
        &self,
        c: &mut impl Db,
        id: &str,
    ) -> Result<Option<CaseSummary>, StoreError> {
        let Some(r) = c.query_opt(
            "SELECT c.id, c.township, c.assistance_type, c.state, c.submitted_at, c.due, c.colour,
                    t.hotline, t.report_phone,
                    (SELECT count(*) FROM case_materials m WHERE m.case_id = c.id), c.case_no
             FROM cases c JOIN townships t ON t.code = c.township WHERE c.id = $1",
            &[&id],
        )?
        else {
            return Ok(None);
        };
        let colour: Option<String> = r.get(6);
        let materials: i64 = r.get(9);
        let mut summary = CaseSummary {
            case_id: r.get(0),
            township: r.get(1),
            assistance_type: enum_parse(r.get(2))?,
            state: r.get(3),
            submitted_at: r.get(4),
            due: r.get(5),
            colour: colour.map(|c| enum_parse(&c)).transpose()?,
            pending_signatures: vec![],
            materials: u32::try_from(materials).map_err(invalid)?,
            hotline: r.get(7),
            report_phone: r.get(8),
            accepted_on: None,
            decided_on: None,
            approved: None,
            missing_notice: None,
            deadlines: vec![],
            case_no: r.get(10),
            notices: vec![],
        };
        for p in c.query(
            "SELECT name FROM case_people
             WHERE case_id = $1 AND role <> 'agent' AND signed_at IS NULL ORDER BY seq",
            &[&id],
        )? {
            let name = super::certification::open_text(&self.keys, "case_people.name", p.get(0))?;
            summary.pending_signatures.push(mask_name(&name));
        }
        Ok(Some(summary))
    }

    fn summaries_of(
        &self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<CaseSummary>, StoreError> {
        let mut c = self.pool.get()?;
        let ids: Vec<String> = c.query(sql, params)?.iter().map(|r| r.get(0)).collect();
        ids.iter()
            .filter_map(|id| self.summary_row(&mut *c, id).transpose())
            .collect()
    }

    /// One deadline round while holding [`DEADLINE_SCAN_LOCK`] (in `guard`'s transaction):
    /// each open case in a transaction of its own.
    fn scan_open_cases(
        &self,
        guard: &mut Transaction<'_>,
        cal: &Calendar,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let open: Vec<String> = guard
            .query(
                &format!(
                    "SELECT id FROM cases WHERE case_json IS NOT NULL AND state NOT IN {CLOSED}
                     ORDER BY id"
                ),
                &[],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut changed = 0;
        for id in open {
            let step = WorkflowStep {
                event: Event::tick(),
                now,
                calendar: cal,
            };
            match self.write(|tx| self.transition(tx, &id, "system:deadline-scanner", &step)) {
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
}

impl CaseStore for PgStore {
    fn case_id_of(&self, no_or_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .pool
            .get()?
            .query_opt(
                "SELECT id FROM cases WHERE case_no = $1 OR id = $1",
                &[&no_or_id],
            )?
            .map(|r| r.get(0)))
    }

    fn submit(
        &self,
        kiosk: &str,
        key: &str,
        case: NewCase,
        now: DateTime<Utc>,
        cal: &Calendar,
    ) -> Result<(String, String, bool), StoreError> {
        let household = i32::try_from(case.people.iter().filter(|p| p.role != "agent").count())
            .map_err(invalid)?;
        self.write(|tx| {
            // a key in use waits for the first submission with it, on whichever instance
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended('submit:' || $1::text || ':' || $2::text, 0))",
                &[&kiosk, &key],
            )?;
            if let Some(r) = tx.query_opt(
                "SELECT case_id, response, body_sha256 FROM idempotency WHERE kiosk_id = $1 AND key = $2",
                &[&kiosk, &key],
            )? {
                let sha: Option<String> = r.get(2);
                same_body(sha.as_deref(), &case.body_sha256)?;
                return Ok((r.get(0), r.get(1), false));
            }
            if tx
                .query_opt("SELECT 1 FROM townships WHERE code = $1", &[&case.township])?
                .is_none()
            {
                return Err(StoreError::Invalid(format!(
                    "township '{}' is not served by this central service",
                    case.township
                )));
            }
            let id = uuid::Uuid::now_v7().to_string();
            let mut wf = case.workflow;
            wf.id = id.clone();
            let k = &self.keys;
            tx.execute(
                "INSERT INTO cases (id, township, assistance_type, applicant_id, agent_id, household_size,
                   submitted_at, state, kiosk_id, payload, village, contact_phone)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                &[
                    &id,
                    &case.township,
                    &enum_str(&case.assistance_type),
                    &k.blind_index(&case.applicant_id),
                    &case.agent_id.as_deref().map(|a| k.blind_index(a)),
                    &household,
                    &now,
                    &wf.state.name(),
                    &kiosk,
                    &sealed::seal(k, &format!("cases.payload:{id}"), &case.payload),
                    &wf.application.household.village,
                    &sealed::seal_opt(k, "cases.contact_phone", case.contact_phone.as_deref()),
                ],
            )?;
            self.write_case(tx, &wf, cal, china_date(now))?;
            self.assign_case_no(tx, &id, &case.township, now)?;
            self.persist(tx, &wf, &case.effects, cal, now)?;
            for p in &case.people {
                tx.execute(
                    "INSERT INTO case_people (case_id, id_number, name, role) VALUES ($1, $2, $3, $4)
                     ON CONFLICT DO NOTHING",
                    &[
                        &id,
                        &k.blind_index(&p.id_number),
                        &sealed::seal(k, "case_people.name", &p.name),
                        &p.role,
                    ],
                )?;
            }
            append_audit(
                tx,
                k,
                now,
                &format!("kiosk:{kiosk}"),
                "case.submitted",
                &id,
                "{}",
            )?;
            let summary = self
                .summary_row(tx, &id)?
                .ok_or_else(|| StoreError::NotFound(id.clone()))?;
            let resp = to_json(&summary)?;
            tx.execute(
                "INSERT INTO idempotency (kiosk_id, key, case_id, response, body_sha256)
                 VALUES ($1, $2, $3, $4, $5)",
                &[&kiosk, &key, &id, &resp, &case.body_sha256],
            )?;
            Ok((id, resp, true))
        })
    }

    fn case_summary(&self, id: &str) -> Result<Option<CaseSummary>, StoreError> {
        self.summary_row(&mut *self.pool.get()?, id)
    }

    fn case(&self, id: &str) -> Result<Option<Case>, StoreError> {
        self.pool
            .get()?
            .query_opt("SELECT case_json FROM cases WHERE id = $1", &[&id])?
            .map(|r| self.open_case(id, r.get(0)))
            .transpose()
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
        let bidx = self.keys.blind_index(id_number);
        self.write(|tx| {
            if let Some(i) = idem
                && let Some(prior) = lock_reply(tx, i)?
            {
                return Ok((prior, false));
            }
            let n = tx.execute(
                "UPDATE case_people SET signed_at = $3, signed_by = $4
                 WHERE case_id = $1 AND id_number = $2 AND role <> 'agent' AND signed_at IS NULL",
                &[&case, &bidx, &step.now, &how],
            )?;
            if n == 0 {
                let on_case = tx
                    .query_opt(
                        "SELECT 1 FROM case_people WHERE case_id = $1 AND id_number = $2 AND role <> 'agent'",
                        &[&case, &bidx],
                    )?
                    .is_some();
                return Err(signature_refused(on_case));
            }
            self.transition(tx, case, actor, step)?;
            append_audit(
                tx,
                &self.keys,
                step.now,
                actor,
                "case.signed",
                case,
                &serde_json::json!({ "method": how }).to_string(),
            )?;
            let summary = self
                .summary_row(tx, case)?
                .ok_or_else(|| StoreError::NotFound(format!("no case '{case}'")))?;
            let resp = to_json(&summary)?;
            if let Some(i) = idem {
                keep_reply(tx, i, &resp, step.now)?;
            }
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
        let size = i64::try_from(data.len()).map_err(invalid)?;
        let sealed_data = self.keys.seal("materials.data", data);
        self.write(|tx| {
            if tx
                .query_opt("SELECT 1 FROM cases WHERE id = $1", &[&case])?
                .is_none()
            {
                return Err(StoreError::NotFound(format!("no case '{case}'")));
            }
            // the content first: two instances storing one content wait for each other here,
            // before either holds the case's row or the audit head (no deadlock)
            tx.execute(
                "INSERT INTO materials (sha256, content_type, size, data, created_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING",
                &[&sha256, &content_type, &size, &sealed_data, &now],
            )?;
            tx.execute(
                "INSERT INTO case_materials (case_id, sha256) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&case, &sha256],
            )?;
            if let Some(step) = step {
                self.transition(tx, case, actor, step)?;
            }
            append_audit(
                tx,
                &self.keys,
                now,
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
            for sha256 in uploads_of(&step.event.action) {
                if tx
                    .query_opt(
                        "SELECT 1 FROM case_materials WHERE case_id = $1 AND sha256 = $2",
                        &[&case, &sha256],
                    )?
                    .is_none()
                {
                    return Err(not_uploaded(sha256));
                }
            }
            self.transition(tx, case, actor, step).map(|(c, _)| c)
        })
    }

    fn cases_of(
        &self,
        id_number: &str,
        agent: Option<&str>,
    ) -> Result<Vec<CaseSummary>, StoreError> {
        let person = self.keys.blind_index(id_number);
        let agent = agent.map(|a| self.keys.blind_index(a));
        self.summaries_of(
            "SELECT DISTINCT c.id FROM cases c JOIN case_people p ON p.case_id = c.id
             WHERE p.id_number = $1 AND p.role <> 'agent'
               AND ($2::text IS NULL OR c.agent_id = $2)
             ORDER BY c.id DESC",
            &[&person, &agent],
        )
    }

    fn queue(&self, township: &str) -> Result<Vec<CaseSummary>, StoreError> {
        // SQLite sorts a missing due date first
        self.summaries_of(
            "SELECT id FROM cases WHERE township = $1 ORDER BY
               CASE colour WHEN 'overdue' THEN 0 WHEN 'red' THEN 1 WHEN 'amber' THEN 2 WHEN 'green' THEN 3 ELSE 4 END,
               due NULLS FIRST, submitted_at",
            &[&township],
        )
    }

    fn scan_deadlines(&self, cal: &Calendar, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut c = self.pool.get()?;
        let mut guard = c.transaction()?;
        let mine: bool = guard
            .query_one(
                "SELECT pg_try_advisory_xact_lock($1)",
                &[&DEADLINE_SCAN_LOCK],
            )?
            .get(0);
        if !mine {
            // another instance is scanning now
            return Ok(0);
        }
        let changed = self.scan_open_cases(&mut guard, cal, now)?;
        guard.commit()?;
        Ok(changed)
    }

    fn statistics(&self, township: &str) -> Result<TownshipStatistics, StoreError> {
        let mut c = self.pool.get()?;
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
                "SELECT {col}, count(*) FROM cases WHERE township = $1 AND {col} IS NOT NULL GROUP BY {col}"
            );
            for r in c.query(&sql, &[&township])? {
                let n: i64 = r.get(1);
                map.insert(r.get(0), u64::try_from(n).map_err(invalid)?);
            }
        }
        Ok(stats)
    }

    fn history(&self, case: &str) -> Result<Vec<HistoryEntry>, StoreError> {
        self.pool
            .get()?
            .query(
                "SELECT at, actor, action FROM audit WHERE subject = $1 ORDER BY seq",
                &[&case],
            )?
            .iter()
            .map(|r| {
                Ok(HistoryEntry {
                    at: parse_time(r.get(0))?,
                    actor: r.get(1),
                    action: r.get(2),
                })
            })
            .collect()
    }

    fn set_contact_phone(
        &self,
        case: &str,
        phone: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sealed_phone = sealed::seal(&self.keys, "cases.contact_phone", phone);
        self.write(|tx| {
            // the case's row lock orders changes from every instance, so the limit holds
            if tx
                .query_opt("SELECT 1 FROM cases WHERE id = $1 FOR UPDATE", &[&case])?
                .is_none()
            {
                return Err(StoreError::NotFound(format!("case {case}")));
            }
            let since = now_str(now - chrono::Duration::hours(24));
            let recent: i64 = tx
                .query_one(
                    "SELECT count(*) FROM audit WHERE action = 'case.contact_phone' AND subject = $1 AND at > $2",
                    &[&case, &since],
                )?
                .get(0);
            if recent >= PHONE_CHANGES_PER_DAY {
                return Ok(false);
            }
            tx.execute(
                "UPDATE cases SET contact_phone = $2 WHERE id = $1",
                &[&case, &sealed_phone],
            )?;
            let detail = serde_json::json!({ "phone": jiuzhu_core::api::mask_phone(phone) });
            append_audit(
                tx,
                &self.keys,
                now,
                actor,
                "case.contact_phone",
                case,
                &detail.to_string(),
            )?;
            Ok(true)
        })
    }
}
