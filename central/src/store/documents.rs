//! The household's documents (notices and their delivery) and the public ones (公示, 公布).

use super::*;

/// The 公示 entry of a case in publicity (its current posting and its last 初审 opinion),
/// masked; `None` without them.
pub(crate) fn publicity_entry(case: &Case) -> Result<Option<NoticeEntry>, StoreError> {
    let (Some(p), Some(o)) = (case.current_publicity(), case.opinions.last()) else {
        return Ok(None);
    };
    let name = case
        .application
        .household
        .applicant()
        .map(|a| a.name.masked())
        .unwrap_or_else(|| "*".into());
    Ok(Some(NoticeEntry {
        masked_name: name,
        township: case.application.household.village.clone(),
        household_size: case.application.household.size() as u32,
        assistance_type: basic_type(case)?,
        amount_fen: o.amount.map(|m| m.as_fen()),
        inclusion: o.include,
        round: Some(p.round),
        posted_on: Some(p.posted_on),
        until: Some(p.ends_on),
    }))
}

/// The 公布 entry of a recipient, masked.
pub(crate) fn publication_entry(
    name: &str,
    township: String,
    household_size: u32,
    assistance_type: AssistanceType,
    amount_fen: i64,
) -> NoticeEntry {
    NoticeEntry {
        masked_name: mask_name(name),
        township,
        household_size,
        assistance_type,
        amount_fen: Some(amount_fen),
        inclusion: true,
        round: None,
        posted_on: None,
        until: None,
    }
}

/// The household's documents (notices and their delivery) and the public ones (公示, 公布).
pub trait DocumentStore {
    /// The household documents of a case, oldest first ([`crate::notices`]).
    fn household_notices(
        &self,
        case: &str,
    ) -> Result<Vec<jiuzhu_core::api::CaseNotice>, StoreError>;
    /// A township's documents; with `undelivered`, household documents not yet delivered.
    fn township_notices(
        &self,
        township: &str,
        undelivered: bool,
    ) -> Result<Vec<jiuzhu_core::api::StaffNotice>, StoreError>;
    /// The 公示 postings running on `today` in `townships`
    /// ([`crate::notices::publicity_postings`]).
    fn publicity_postings(
        &self,
        townships: &[String],
        today: NaiveDate,
    ) -> Result<Vec<jiuzhu_core::api::PublicityPosting>, StoreError>;
    /// The case of household document `id`.
    fn household_notice_case(&self, id: i64) -> Result<Option<String>, StoreError>;
    /// Records a delivery attempt ([`crate::notices::record_delivery`]).
    fn record_delivery(
        &self,
        d: &crate::notices::Delivery<'_>,
    ) -> Result<Option<(NaiveDate, jiuzhu_core::api::DeliveryMethod, bool)>, StoreError>;
    /// Household documents waiting for a text message.
    fn pending_sms(&self, limit: u32) -> Result<Vec<crate::notices::PendingSms>, StoreError>;
    /// A named objection to a case's 公示 by a resident: the workflow step and the objector
    /// (kept apart from the case), in one transaction; `Conflict` when this person already
    /// objected to the same posting.
    fn publicity_objection(
        &self,
        case: &str,
        objector: (&str, &str),
        actor: &str,
        step: &WorkflowStep<'_>,
    ) -> Result<Case, StoreError>;
    /// The 公布 list of a township: current recipients, masked.
    fn publication(&self, township: &str) -> Result<Vec<NoticeEntry>, StoreError>;
    /// The 公示 list of a township: cases whose 初审 opinion is posted now (inclusions and
    /// exclusions), masked.
    fn publicity(&self, township: &str) -> Result<Vec<NoticeEntry>, StoreError>;
}

impl DocumentStore for SqliteStore {
    fn household_notices(
        &self,
        case: &str,
    ) -> Result<Vec<jiuzhu_core::api::CaseNotice>, StoreError> {
        crate::notices::household_notices(&self.read(), case)
    }

    fn township_notices(
        &self,
        township: &str,
        undelivered: bool,
    ) -> Result<Vec<jiuzhu_core::api::StaffNotice>, StoreError> {
        crate::notices::township_notices(&self.read(), township, undelivered)
    }

    fn publicity_postings(
        &self,
        townships: &[String],
        today: NaiveDate,
    ) -> Result<Vec<jiuzhu_core::api::PublicityPosting>, StoreError> {
        crate::notices::publicity_postings(&self.read(), townships, today)
    }

    fn household_notice_case(&self, id: i64) -> Result<Option<String>, StoreError> {
        crate::notices::household_notice_case(&self.read(), id)
    }

    fn record_delivery(
        &self,
        d: &crate::notices::Delivery<'_>,
    ) -> Result<Option<(NaiveDate, jiuzhu_core::api::DeliveryMethod, bool)>, StoreError> {
        self.write(|tx| crate::notices::record_delivery(tx, d))
    }

    fn pending_sms(&self, limit: u32) -> Result<Vec<crate::notices::PendingSms>, StoreError> {
        crate::notices::pending_sms(&self.read(), limit)
    }

    fn publicity_objection(
        &self,
        case: &str,
        objector: (&str, &str),
        actor: &str,
        step: &WorkflowStep<'_>,
    ) -> Result<Case, StoreError> {
        self.write(|tx| {
            let (new, _) = transition(tx, case, actor, step)?;
            let round = new.current_publicity().map_or(0, |p| p.round);
            if !crate::notices::add_objector(tx, case, round, objector.0, objector.1, step.now)? {
                return Err(StoreError::Conflict(
                    "this person has already objected to this posting".into(),
                ));
            }
            Ok(new)
        })
    }

    fn publication(&self, township: &str) -> Result<Vec<NoticeEntry>, StoreError> {
        let c = self.read();
        let mut st = c.prepare_cached(
            "SELECT jz_open(name, 'recipients.name'), township, household_size, assistance_type, amount_fen
             FROM recipients WHERE township = ?1 ORDER BY since, rowid",
        )?;
        let rows = st.query_map([township], |r| {
            Ok(publication_entry(
                &r.get::<_, String>(0)?,
                r.get(1)?,
                r.get(2)?,
                col(r, 3, |s: String| enum_parse(&s))?,
                r.get(4)?,
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn publicity(&self, township: &str) -> Result<Vec<NoticeEntry>, StoreError> {
        let c = self.read();
        let mut st = c.prepare_cached(
            "SELECT id, jz_open(case_json, 'cases.case_json:' || id) FROM cases
             WHERE township = ?1 AND state = 'in_publicity' ORDER BY submitted_at, id",
        )?;
        let rows = st.query_map([township], |r| {
            let id: String = r.get(0)?;
            col(r, 1, |j: Option<String>| case_from_json(j, &id))
        })?;
        let mut out = Vec::new();
        for case in rows {
            out.extend(publicity_entry(&case?)?);
        }
        Ok(out)
    }
}
