//! [`DocumentStore`] on PostgreSQL: the household's documents and their delivery, the 公示
//! postings and the 公布 list, with the same answers and audit rows as on SQLite
//! (`store/documents.rs`, `notices.rs`).
//!
//! Text messages across instances: [`DocumentStore::pending_sms`] claims the documents it hands
//! out (`notices.sms_claimed_until`, [`SMS_CLAIM`] ahead in the database's clock) in a
//! transaction that locks them with `FOR UPDATE SKIP LOCKED`, so two instances' SMS rounds never
//! get the same document; recording the attempt ([`DocumentStore::record_delivery`]) releases the
//! claim, so a failed message is tried again at the next round. A claim left by an instance that
//! stopped mid-round lapses after [`SMS_CLAIM`].

use chrono::NaiveDate;
use jiuzhu_core::api::{CaseNotice, DeliveryMethod, NoticeEntry, PublicityPosting, StaffNotice};
use jiuzhu_core::notices::{self, DocumentKind, Office};
use jiuzhu_core::workflow::{Case, china_date};
use postgres::Row;

use super::certification::open_text;
use super::{Db as _, PgStore, append_audit, sealed};
use crate::notices::{Delivery, PendingSms, SMS_MAX_ATTEMPTS, delivery_audit, parse_word, word};
use crate::store::{
    DocumentStore, StoreError, WorkflowStep, enum_parse, publication_entry, publicity_entry,
};

/// How long a document handed to an SMS round stays claimed without an attempt recorded: longer
/// than a round of [`crate::sms::BATCH`] messages at the gateway's timeout.
pub const SMS_CLAIM: &str = "30 minutes";

/// `id, kind, issued_on, text, deadline, delivered_on, delivered_how` → a household document.
fn case_notice(r: &Row) -> Result<CaseNotice, StoreError> {
    let kind: DocumentKind = parse_word(r.get(1))?;
    let how: Option<String> = r.get(6);
    Ok(CaseNotice {
        id: r.get(0),
        kind,
        title: kind.label_zh().to_string(),
        issued_on: r.get(2),
        text: r.get(3),
        deadline: r.get(4),
        delivered_on: r.get(5),
        delivered_how: how.map(|h| parse_word(&h)).transpose()?,
    })
}

impl DocumentStore for PgStore {
    fn household_notices(&self, case: &str) -> Result<Vec<CaseNotice>, StoreError> {
        self.pool
            .get()?
            .query(
                "SELECT id, kind, issued_on, text, deadline, delivered_on, delivered_how FROM notices
                 WHERE case_id = $1 AND audience = 'household' ORDER BY id",
                &[&case],
            )?
            .iter()
            .map(case_notice)
            .collect()
    }

    fn township_notices(
        &self,
        township: &str,
        undelivered: bool,
    ) -> Result<Vec<StaffNotice>, StoreError> {
        self.pool
            .get()?
            .query(
                "SELECT n.id, n.kind, n.issued_on, n.text, n.deadline, n.delivered_on, n.delivered_how,
                        n.case_id, c.case_no, n.audience
                 FROM notices n JOIN cases c ON c.id = n.case_id
                 WHERE c.township = $1
                   AND (NOT $2 OR (n.audience = 'household' AND n.delivered_on IS NULL))
                 ORDER BY n.id",
                &[&township, &undelivered],
            )?
            .iter()
            .map(|r| {
                let n = case_notice(r)?;
                Ok(StaffNotice {
                    id: n.id,
                    case_id: r.get(7),
                    case_no: r.get(8),
                    kind: n.kind,
                    audience: parse_word(r.get(9))?,
                    issued_on: n.issued_on,
                    deadline: n.deadline,
                    text: n.text,
                    delivered_on: n.delivered_on,
                    delivered_how: n.delivered_how,
                })
            })
            .collect()
    }

    fn publicity_postings(
        &self,
        townships: &[String],
        today: NaiveDate,
    ) -> Result<Vec<PublicityPosting>, StoreError> {
        self.pool
            .get()?
            .query(
                "SELECT c.case_no, c.id, c.township, c.assistance_type, n.text, n.deadline
                 FROM notices n JOIN cases c ON c.id = n.case_id
                 WHERE n.kind = 'publicity' AND c.state = 'in_publicity' AND n.deadline >= $1
                   AND c.township = ANY($2)
                   AND n.id = (SELECT max(m.id) FROM notices m WHERE m.case_id = c.id AND m.kind = 'publicity')
                 ORDER BY n.id",
                &[&today, &townships],
            )?
            .iter()
            .map(|r| {
                let no: Option<String> = r.get(0);
                Ok(PublicityPosting {
                    case_no: no.unwrap_or_else(|| r.get(1)),
                    township: r.get(2),
                    assistance_type: parse_word(r.get(3))?,
                    text: r.get(4),
                    until: r.get(5),
                })
            })
            .collect()
    }

    fn household_notice_case(&self, id: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .pool
            .get()?
            .query_opt(
                "SELECT case_id FROM notices WHERE id = $1 AND audience = 'household'",
                &[&id],
            )?
            .map(|r| r.get(0)))
    }

    fn record_delivery(
        &self,
        d: &Delivery<'_>,
    ) -> Result<Option<(NaiveDate, DeliveryMethod, bool)>, StoreError> {
        let how = word(&d.how);
        self.write(|tx| {
            // the document's row lock orders attempts on it from every instance
            let Some(row) = tx.query_opt(
                "SELECT case_id FROM notices WHERE id = $1 FOR UPDATE",
                &[&d.notice],
            )?
            else {
                return Err(StoreError::NotFound(format!("no document {}", d.notice)));
            };
            let case_id: String = row.get(0);
            tx.execute(
                "INSERT INTO notice_deliveries (notice_id, how, at, ok, detail) VALUES ($1, $2, $3, $4, $5)",
                &[&d.notice, &how, &d.now, &d.ok, &d.detail],
            )?;
            if d.how == DeliveryMethod::Sms {
                tx.execute(
                    "UPDATE notices SET sms_claimed_until = NULL WHERE id = $1",
                    &[&d.notice],
                )?;
            }
            let recorded = d.ok
                && tx.execute(
                    "UPDATE notices SET delivered_on = $2, delivered_how = $3
                     WHERE id = $1 AND delivered_on IS NULL",
                    &[&d.notice, &china_date(d.now), &how],
                )? > 0;
            let (action, detail) = delivery_audit(d, recorded);
            append_audit(tx, &self.keys, d.now, d.actor, action, &case_id, &detail)?;
            let first = tx.query_one(
                "SELECT delivered_on, delivered_how FROM notices WHERE id = $1",
                &[&d.notice],
            )?;
            let (on, how): (Option<NaiveDate>, Option<String>) = (first.get(0), first.get(1));
            match (on, how) {
                (Some(on), Some(how)) => Ok(Some((on, parse_word(&how)?, recorded))),
                _ => Ok(None),
            }
        })
    }

    fn pending_sms(&self, limit: u32) -> Result<Vec<PendingSms>, StoreError> {
        let limit = i64::from(limit);
        self.write(|tx| {
            let rows = tx.query(
                &format!(
                    "WITH due AS (
                       SELECT n.id FROM notices n JOIN cases c ON c.id = n.case_id
                       WHERE n.audience = 'household' AND n.delivered_on IS NULL
                         AND c.contact_phone IS NOT NULL
                         AND (n.sms_claimed_until IS NULL OR n.sms_claimed_until < now())
                         AND NOT EXISTS (SELECT 1 FROM notice_deliveries d
                                         WHERE d.notice_id = n.id AND d.how = 'sms' AND d.ok)
                         AND (SELECT count(*) FROM notice_deliveries d
                              WHERE d.notice_id = n.id AND d.how = 'sms') < $1
                       ORDER BY n.id LIMIT $2
                       FOR UPDATE OF n SKIP LOCKED)
                     UPDATE notices n SET sms_claimed_until = now() + interval '{SMS_CLAIM}'
                     FROM due, cases c, townships t
                     WHERE n.id = due.id AND c.id = n.case_id AND t.code = c.township
                     RETURNING n.id, n.kind, n.deadline, c.contact_phone, c.case_no, c.id,
                       t.name, t.hotline, t.report_phone"
                ),
                &[&SMS_MAX_ATTEMPTS, &limit],
            )?;
            let mut out = rows
                .iter()
                .map(|r| {
                    let kind: DocumentKind = parse_word(r.get(1))?;
                    let no: Option<&str> = r.get(4);
                    let case_id: &str = r.get(5);
                    let office = Office {
                        township_name: r.get(6),
                        hotline: r.get(7),
                        report_phone: r.get(8),
                    };
                    Ok(PendingSms {
                        notice: r.get(0),
                        phone: open_text(&self.keys, "cases.contact_phone", r.get(3))?,
                        text: notices::sms_text(kind, no.unwrap_or(case_id), r.get(2), &office),
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            out.sort_by_key(|p| p.notice);
            Ok(out)
        })
    }

    fn publicity_objection(
        &self,
        case: &str,
        objector: (&str, &str),
        actor: &str,
        step: &WorkflowStep<'_>,
    ) -> Result<Case, StoreError> {
        let (id_number, name) = objector;
        let bidx = self.keys.blind_index(id_number);
        let sealed_name = sealed::seal(&self.keys, "publicity_objectors.name", name);
        self.write(|tx| {
            let (new, _) = self.transition(tx, case, actor, step)?;
            let round = i32::try_from(new.current_publicity().map_or(0, |p| p.round))
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            let n = tx.execute(
                "INSERT INTO publicity_objectors (case_id, round, id_number, name, at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                &[&case, &round, &bidx, &sealed_name, &step.now],
            )?;
            if n == 0 {
                return Err(StoreError::Conflict(
                    "this person has already objected to this posting".into(),
                ));
            }
            Ok(new)
        })
    }

    fn publication(&self, township: &str) -> Result<Vec<NoticeEntry>, StoreError> {
        // among recipients of one day, the order they were first stored (SQLite: rowid)
        self.pool
            .get()?
            .query(
                "SELECT name, township, household_size, assistance_type, amount_fen
                 FROM recipients WHERE township = $1 ORDER BY since, seq",
                &[&township],
            )?
            .iter()
            .map(|r| {
                let size: i32 = r.get(2);
                Ok(publication_entry(
                    &open_text(&self.keys, "recipients.name", r.get(0))?,
                    r.get(1),
                    u32::try_from(size).map_err(|e| StoreError::Invalid(e.to_string()))?,
                    enum_parse(r.get(3))?,
                    r.get(4),
                ))
            })
            .collect()
    }

    fn publicity(&self, township: &str) -> Result<Vec<NoticeEntry>, StoreError> {
        let rows = self.pool.get()?.query(
            "SELECT id, case_json FROM cases
             WHERE township = $1 AND state = 'in_publicity' ORDER BY submitted_at, id",
            &[&township],
        )?;
        let mut out = Vec::new();
        for r in &rows {
            let case = self.open_case(r.get(0), r.get(1))?;
            out.extend(publicity_entry(&case)?);
        }
        Ok(out)
    }
}
