//! [`CertificationStore`] on PostgreSQL: recipients, references, guardians, certifications with
//! their evidence, proofs and the alternatives to the kiosk check, with the same answers and
//! audit rows as on SQLite (`store/certification.rs`). Identity numbers are stored as blind
//! indexes and personal fields sealed in Rust ([`sealed`]) with SQLite's column labels. What
//! several instances could race is decided in the database: an idempotency key by its advisory
//! lock, a reissue and a certification of one person by the recipient's row lock, one open
//! alternative per person by a row lock and a partial unique index, a close by the request's
//! row lock.

use super::{Db as _, Tx as Transaction};
use chrono::{DateTime, Months, NaiveDate, Utc};
use jiuzhu_core::api::{CertificationStatus, DeadlineColour, Modality, OpenAlternative};
use jiuzhu_core::calendar::Calendar;
use jiuzhu_core::workflow::china_date;

use super::kiosks::{keep_reply, lock_reply};
use super::{PgStore, append_audit, sealed};
use crate::crypto_at_rest::AtRestKeys;
use crate::evidence::SealedEvidence;
use crate::store::{
    Alternative, AlternativeClose, CertificationRecord, CertificationStore, Idem, NewAlternative,
    NewGuardian, ProofReissue, Recipient, StoreError, StoredCertification, check_guardian,
    check_recipient, check_template, enum_parse, enum_str, mask_id, mask_name,
};

/// Opens a sealed text column that may not be `NULL`.
pub(super) fn open_text(
    keys: &AtRestKeys,
    label: &str,
    value: &[u8],
) -> Result<String, StoreError> {
    sealed::open(keys, label, Some(value))
        .map_err(|e| StoreError::Invalid(e.to_string()))?
        .ok_or_else(|| StoreError::Invalid(format!("{label} is missing")))
}

fn template_label(bidx: &str, modality: &str) -> String {
    format!("templates.data:{bidx}:{modality}")
}

/// Looks a reply up under its key's lock (`None` without a key).
fn prior(tx: &mut Transaction<'_>, idem: Option<Idem<'_>>) -> Result<Option<String>, StoreError> {
    match idem {
        Some(i) => lock_reply(tx, i),
        None => Ok(None),
    }
}

fn keep(
    tx: &mut Transaction<'_>,
    idem: Option<Idem<'_>>,
    response: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    match idem {
        Some(i) => keep_reply(tx, i, response, now),
        None => Ok(()),
    }
}

/// Registers an issued proof (inside the transaction that records it).
pub(super) fn record_proof(
    tx: &mut Transaction<'_>,
    keys: &AtRestKeys,
    proof_id: &str,
    id_number: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let n = tx.execute(
        "INSERT INTO proofs (proof_id, id_number, issued_at) VALUES ($1, $2, $3)
         ON CONFLICT (proof_id) DO NOTHING",
        &[&proof_id, &keys.blind_index(id_number), &at],
    )?;
    if n == 0 {
        return Err(StoreError::Conflict(format!(
            "proof {proof_id} is already registered"
        )));
    }
    Ok(())
}

/// Inserts or replaces a recipient (SQLite's `upsert_recipient`), inside `tx`.
pub(super) fn upsert_recipient(
    tx: &mut Transaction<'_>,
    keys: &AtRestKeys,
    r: &Recipient,
) -> Result<(), StoreError> {
    let bidx = keys.blind_index(&r.id_number);
    let name = sealed::seal(keys, "recipients.name", &r.name);
    let id_sealed = sealed::seal(keys, "recipients.id_number", &r.id_number);
    let size = i32::try_from(r.household_size)
        .map_err(|_| StoreError::Invalid("household_size: too large".into()))?;
    tx.execute(
        "INSERT INTO recipients (id_number, name, township, assistance_type, household_size,
           amount_fen, since, last_certified_on, id_sealed)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (id_number) DO UPDATE SET name = excluded.name, township = excluded.township,
           assistance_type = excluded.assistance_type, household_size = excluded.household_size,
           amount_fen = excluded.amount_fen, since = excluded.since,
           last_certified_on = excluded.last_certified_on",
        &[
            &bidx,
            &name,
            &r.township,
            &enum_str(&r.assistance_type),
            &size,
            &r.amount_fen,
            &r.since,
            &r.last_certified_on,
            &id_sealed,
        ],
    )?;
    Ok(())
}

impl PgStore {
    /// Inserts a certification attempt (certifying the recipient on success) with its audit
    /// rows by `actor`, as SQLite's `insert_certification`; returns its row id.
    fn insert_certification(
        &self,
        tx: &mut Transaction<'_>,
        rec: &CertificationRecord<'_>,
        actor: &str,
    ) -> Result<i64, StoreError> {
        let bidx = self.keys.blind_index(rec.id_number);
        let assisted = sealed::seal_opt(&self.keys, "certifications.assisted_by", rec.assisted_by);
        let cert_id: i64 = tx
            .query_one(
                "INSERT INTO certifications (id_number, at, kiosk_id, mode, modality, certified, assisted_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                &[
                    &bidx,
                    &rec.now,
                    &rec.kiosk,
                    &rec.mode,
                    &rec.modality,
                    &rec.certified,
                    &assisted,
                ],
            )?
            .get(0);
        if let Some(e) = &rec.evidence {
            let size = i64::try_from(e.size)
                .map_err(|_| StoreError::Invalid("evidence: too large".into()))?;
            tx.execute(
                "INSERT INTO certification_evidence (certification_id, content_type, sha256, size, nonce, ciphertext)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[&cert_id, &e.content_type, &e.sha256, &size, &e.nonce, &e.ciphertext],
            )?;
        }
        if rec.certified {
            tx.execute(
                "UPDATE recipients SET last_certified_on = $2 WHERE id_number = $1",
                &[&bidx, &rec.today],
            )?;
        }
        let (action, subject, detail) = crate::store::certification_audit(rec, cert_id);
        append_audit(tx, &self.keys, rec.now, actor, action, &subject, &detail)?;
        if let Some(pid) = &rec.proof_id {
            record_proof(tx, &self.keys, pid, rec.id_number, rec.now)?;
            append_audit(
                tx,
                &self.keys,
                rec.now,
                actor,
                "proof.issued",
                &format!("proof:{pid}"),
                "{}",
            )?;
        }
        Ok(cert_id)
    }
}

impl CertificationStore for PgStore {
    fn put_recipient(&self, r: &Recipient, actor: &str) -> Result<(), StoreError> {
        check_recipient(r)?;
        let bidx = self.keys.blind_index(&r.id_number);
        self.write(|tx| {
            if tx
                .query_opt("SELECT 1 FROM townships WHERE code = $1", &[&r.township])?
                .is_none()
            {
                return Err(StoreError::NotFound(format!(
                    "township '{}' is not registered",
                    r.township
                )));
            }
            upsert_recipient(tx, &self.keys, r)?;
            append_audit(
                tx,
                &self.keys,
                Utc::now(),
                actor,
                "recipient.put",
                &format!("recipient:{}", &bidx[..16]),
                "{}",
            )?;
            Ok(())
        })
    }

    fn recipient(&self, id_number: &str) -> Result<Option<Recipient>, StoreError> {
        let row = self.pool.get()?.query_opt(
            "SELECT id_sealed, name, township, assistance_type, household_size, amount_fen, since,
               last_certified_on
             FROM recipients WHERE id_number = $1",
            &[&self.keys.blind_index(id_number)],
        )?;
        row.map(|r| {
            let size: i32 = r.get(4);
            Ok(Recipient {
                id_number: open_text(&self.keys, "recipients.id_number", r.get(0))?,
                name: open_text(&self.keys, "recipients.name", r.get(1))?,
                township: r.get(2),
                assistance_type: enum_parse(r.get(3))?,
                household_size: u32::try_from(size)
                    .map_err(|_| StoreError::Invalid(format!("stored household size {size}")))?,
                amount_fen: r.get(5),
                since: r.get(6),
                last_certified_on: r.get(7),
            })
        })
        .transpose()
    }

    fn certification_status(
        &self,
        id_number: &str,
        today: NaiveDate,
    ) -> Result<CertificationStatus, StoreError> {
        let Some(r) = self.recipient(id_number)? else {
            return Ok(CertificationStatus {
                recipient: false,
                certified_this_cycle: false,
                last_certified_on: None,
                valid_until: None,
                enrolled: vec![],
            });
        };
        let valid_until = r
            .last_certified_on
            .and_then(|d| d.checked_add_months(Months::new(12)));
        let enrolled: Vec<Modality> = self
            .pool
            .get()?
            .query(
                "SELECT modality FROM templates WHERE id_number = $1 ORDER BY modality",
                &[&self.keys.blind_index(id_number)],
            )?
            .iter()
            .map(|r| enum_parse(r.get(0)))
            .collect::<Result<_, _>>()?;
        Ok(CertificationStatus {
            recipient: true,
            certified_this_cycle: valid_until.is_some_and(|v| v > today),
            last_certified_on: r.last_certified_on,
            valid_until,
            enrolled,
        })
    }

    fn record_certification(
        &self,
        rec: &CertificationRecord<'_>,
        response: &str,
        idem: Option<Idem<'_>>,
    ) -> Result<(String, bool), StoreError> {
        self.write(|tx| {
            if let Some(first) = prior(tx, idem)? {
                return Ok((first, false));
            }
            self.insert_certification(tx, rec, &format!("kiosk:{}", rec.kiosk))?;
            keep(tx, idem, response, rec.now)?;
            Ok((response.to_string(), true))
        })
    }

    fn record_proof_reissue(
        &self,
        r: &ProofReissue<'_>,
        response: &str,
        idem: Option<Idem<'_>>,
    ) -> Result<(String, bool), StoreError> {
        self.write(|tx| {
            if let Some(first) = prior(tx, idem)? {
                return Ok((first, false));
            }
            // the recipient's row stays locked until commit: a certification recorded meanwhile
            // by another instance waits, and one committed first is seen here
            let last = tx.query_opt(
                "SELECT last_certified_on FROM recipients WHERE id_number = $1 FOR UPDATE",
                &[&self.keys.blind_index(r.id_number)],
            )?;
            let Some(last) = last else {
                return Err(StoreError::NotFound(
                    "this person is not a recipient of assistance".into(),
                ));
            };
            if last.get::<_, Option<NaiveDate>>(0) != Some(r.certified_on) {
                return Err(StoreError::Refused {
                    code: "certification_changed",
                    reason: "the certification changed while the proof was issued; ask again"
                        .into(),
                });
            }
            record_proof(tx, &self.keys, r.proof_id, r.id_number, r.now)?;
            append_audit(
                tx,
                &self.keys,
                r.now,
                &format!("kiosk:{}", r.kiosk),
                "proof.reissued",
                &format!("proof:{}", r.proof_id),
                &serde_json::json!({ "valid_until": r.valid_until }).to_string(),
            )?;
            keep(tx, idem, response, r.now)?;
            Ok((response.to_string(), true))
        })
    }

    fn put_template(
        &self,
        id_number: &str,
        modality: Modality,
        data: &[u8],
        actor: &str,
    ) -> Result<(), StoreError> {
        check_template(data)?;
        let bidx = self.keys.blind_index(id_number);
        let modality = enum_str(&modality);
        let sealed = self.keys.seal(&template_label(&bidx, &modality), data);
        self.write(|tx| {
            let enrolled = tx
                .query_opt(
                    "SELECT 1 WHERE EXISTS (SELECT 1 FROM recipients WHERE id_number = $1)
                        OR EXISTS (SELECT 1 FROM guardians WHERE guardian_id = $1)",
                    &[&bidx],
                )?
                .is_some();
            if !enrolled {
                return Err(StoreError::NotFound(
                    "this person is neither a recipient nor a registered guardian; register them first (a guardian with `jiuzhu-central guardian add`)".into(),
                ));
            }
            tx.execute(
                "INSERT INTO templates (id_number, modality, data) VALUES ($1, $2, $3)
                 ON CONFLICT (id_number, modality) DO UPDATE SET data = excluded.data",
                &[&bidx, &modality, &sealed],
            )?;
            append_audit(
                tx,
                &self.keys,
                Utc::now(),
                actor,
                "template.put",
                &modality,
                "{}",
            )?;
            Ok(())
        })
    }

    fn template(&self, id_number: &str, modality: Modality) -> Result<Option<Vec<u8>>, StoreError> {
        let bidx = self.keys.blind_index(id_number);
        let modality = enum_str(&modality);
        let row = self.pool.get()?.query_opt(
            "SELECT data FROM templates WHERE id_number = $1 AND modality = $2",
            &[&bidx, &modality],
        )?;
        row.map(|r| {
            sealed::open_blob(&self.keys, &template_label(&bidx, &modality), r.get(0))
                .map_err(|e| StoreError::Invalid(e.to_string()))
        })
        .transpose()
        .map(Option::flatten)
    }

    fn put_guardian(&self, g: &NewGuardian<'_>, actor: &str) -> Result<(), StoreError> {
        check_guardian(g)?;
        let recipient = self.keys.blind_index(g.recipient_id);
        let guardian = self.keys.blind_index(g.guardian_id);
        let name = sealed::seal(&self.keys, "guardians.name", g.name);
        self.write(|tx| {
            if tx
                .query_opt("SELECT 1 FROM recipients WHERE id_number = $1", &[&recipient])?
                .is_none()
            {
                return Err(StoreError::NotFound(
                    "this person is not a recipient of assistance; only a recipient has guardians"
                        .into(),
                ));
            }
            tx.execute(
                "INSERT INTO guardians (recipient_id, guardian_id, name, relation, added_by, added_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (recipient_id, guardian_id) DO UPDATE SET name = excluded.name,
                   relation = excluded.relation, added_by = excluded.added_by, added_at = excluded.added_at",
                &[&recipient, &guardian, &name, &g.relation, &actor, &g.now],
            )?;
            append_audit(
                tx,
                &self.keys,
                g.now,
                actor,
                "guardian.registered",
                &format!("recipient:{}", mask_id(g.recipient_id)),
                &serde_json::json!({ "relation": g.relation }).to_string(),
            )?;
            Ok(())
        })
    }

    fn is_guardian(&self, recipient_id: &str, guardian_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .pool
            .get()?
            .query_opt(
                "SELECT 1 FROM guardians WHERE recipient_id = $1 AND guardian_id = $2",
                &[
                    &self.keys.blind_index(recipient_id),
                    &self.keys.blind_index(guardian_id),
                ],
            )?
            .is_some())
    }

    fn certifications_of(&self, id_number: &str) -> Result<Vec<StoredCertification>, StoreError> {
        let rows = self.pool.get()?.query(
            "SELECT c.id, c.at, c.kiosk_id, c.mode, c.modality, c.certified, c.assisted_by,
                    e.content_type, e.sha256, e.size, e.nonce, e.ciphertext
             FROM certifications c LEFT JOIN certification_evidence e ON e.certification_id = c.id
             WHERE c.id_number = $1 ORDER BY c.id DESC",
            &[&self.keys.blind_index(id_number)],
        )?;
        rows.iter()
            .map(|r| {
                let evidence = match r.get::<_, Option<String>>(7) {
                    Some(content_type) => Some(SealedEvidence {
                        content_type,
                        sha256: r.get(8),
                        size: usize::try_from(r.get::<_, i64>(9))
                            .map_err(|_| StoreError::Invalid("stored evidence size".into()))?,
                        nonce: r.get(10),
                        ciphertext: r.get(11),
                    }),
                    None => None,
                };
                Ok(StoredCertification {
                    id: r.get(0),
                    id_number: id_number.to_string(),
                    at: r.get(1),
                    kiosk: r.get(2),
                    mode: r.get(3),
                    modality: r.get(4),
                    certified: r.get(5),
                    assisted_by: sealed::open(
                        &self.keys,
                        "certifications.assisted_by",
                        r.get::<_, Option<&[u8]>>(6),
                    )
                    .map_err(|e| StoreError::Invalid(e.to_string()))?,
                    evidence,
                })
            })
            .collect()
    }

    fn record_alternative(
        &self,
        alt: &NewAlternative<'_>,
        response: &str,
        idem: Option<Idem<'_>>,
    ) -> Result<(String, bool), StoreError> {
        let bidx = self.keys.blind_index(alt.id_number);
        let years = serde_json::to_string(alt.unpublished_years)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        self.write(|tx| {
            if let Some(first) = prior(tx, idem)? {
                return Ok((first, false));
            }
            // the recipient's row orders two requests for one person from two instances; the
            // partial unique index `alternatives_one_open` holds the rule whatever the path
            if tx
                .query_opt(
                    "SELECT 1 FROM recipients WHERE id_number = $1 FOR UPDATE",
                    &[&bidx],
                )?
                .is_none()
            {
                return Err(StoreError::NotFound(
                    "this person is not a recipient of assistance".into(),
                ));
            }
            let open = tx.query_opt(
                "SELECT kind, due_by FROM alternatives WHERE id_number = $1 AND closed_at IS NULL",
                &[&bidx],
            )?;
            if let Some(open) = open {
                let kind: String = open.get(0);
                let due: NaiveDate = open.get(1);
                return Err(StoreError::Refused {
                    code: "alternative_open",
                    reason: format!(
                        "this person already has an open {kind} request (due by {due}); the township staff will act on it"
                    ),
                });
            }
            let kind = enum_str(&alt.kind);
            tx.execute(
                "INSERT INTO alternatives (id, id_number, township, kind, note, kiosk_id, requested_at, due_by, unpublished_years)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &[
                    &alt.id,
                    &bidx,
                    &alt.township,
                    &kind,
                    &alt.note,
                    &alt.kiosk,
                    &alt.now,
                    &alt.due_by,
                    &years,
                ],
            )?;
            append_audit(
                tx,
                &self.keys,
                alt.now,
                &format!("kiosk:{}", alt.kiosk),
                "alternative.requested",
                &format!("alternative:{}", alt.id),
                &serde_json::json!({ "kind": kind, "due_by": alt.due_by }).to_string(),
            )?;
            keep(tx, idem, response, alt.now)?;
            Ok((response.to_string(), true))
        })
    }

    fn alternative(&self, id: &str) -> Result<Option<Alternative>, StoreError> {
        let row = self.pool.get()?.query_opt(
            "SELECT a.id, r.id_sealed, a.township, a.kind, a.kiosk_id, a.outcome
             FROM alternatives a JOIN recipients r ON r.id_number = a.id_number WHERE a.id = $1",
            &[&id],
        )?;
        row.map(|r| {
            Ok(Alternative {
                id: r.get(0),
                id_number: open_text(&self.keys, "recipients.id_number", r.get(1))?,
                township: r.get(2),
                kind: enum_parse(r.get(3))?,
                kiosk: r.get(4),
                outcome: r.get::<_, Option<&str>>(5).map(enum_parse).transpose()?,
            })
        })
        .transpose()
    }

    fn open_alternatives(
        &self,
        township: &str,
        cal: &Calendar,
        today: NaiveDate,
    ) -> Result<Vec<OpenAlternative>, StoreError> {
        let rows = self.pool.get()?.query(
            "SELECT a.id, a.kind, r.name, r.id_sealed, a.township, a.kiosk_id, a.requested_at,
                    a.due_by, a.unpublished_years, a.note
             FROM alternatives a JOIN recipients r ON r.id_number = a.id_number
             WHERE a.township = $1 AND a.closed_at IS NULL ORDER BY a.requested_at, a.id",
            &[&township],
        )?;
        rows.iter()
            .map(|r| {
                let requested_at: DateTime<Utc> = r.get(6);
                let due_by: NaiveDate = r.get(7);
                let colour = if today > due_by {
                    DeadlineColour::Overdue
                } else {
                    let allowed = cal
                        .working_days_between(china_date(requested_at), due_by)
                        .value;
                    let left = cal.working_days_between(today, due_by).value;
                    DeadlineColour::of(allowed, left)
                };
                Ok(OpenAlternative {
                    request_id: r.get(0),
                    kind: enum_parse(r.get(1))?,
                    masked_name: mask_name(&open_text(&self.keys, "recipients.name", r.get(2))?),
                    masked_id: mask_id(&open_text(&self.keys, "recipients.id_number", r.get(3))?),
                    township: r.get(4),
                    kiosk_id: r.get(5),
                    requested_at,
                    due_by,
                    colour,
                    unpublished_years: serde_json::from_str(r.get(8))
                        .map_err(|e| StoreError::Invalid(e.to_string()))?,
                    note: r.get(9),
                })
            })
            .collect()
    }

    fn close_alternative(&self, close: &AlternativeClose<'_>) -> Result<(), StoreError> {
        self.write(|tx| {
            // locked until commit: two staff closing one request on two instances, one wins
            let row = tx.query_opt(
                "SELECT outcome FROM alternatives WHERE id = $1 FOR UPDATE",
                &[&close.id],
            )?;
            match row.map(|r| r.get::<_, Option<String>>(0)) {
                None => {
                    return Err(StoreError::NotFound(format!(
                        "no certification alternative '{}'",
                        close.id
                    )));
                }
                Some(Some(outcome)) => {
                    return Err(StoreError::Refused {
                        code: "already_closed",
                        reason: format!("this request was already closed as {outcome}"),
                    });
                }
                Some(None) => {}
            }
            let cert_id = close
                .certification
                .as_ref()
                .map(|rec| self.insert_certification(tx, rec, close.actor))
                .transpose()?;
            let outcome = enum_str(&close.outcome);
            tx.execute(
                "UPDATE alternatives SET closed_at = $2, closed_by = $3, outcome = $4, close_note = $5,
                   certification_id = $6 WHERE id = $1 AND closed_at IS NULL",
                &[&close.id, &close.now, &close.actor, &outcome, &close.note, &cert_id],
            )?;
            append_audit(
                tx,
                &self.keys,
                close.now,
                close.actor,
                "alternative.closed",
                &format!("alternative:{}", close.id),
                &serde_json::json!({ "outcome": outcome, "certification": cert_id }).to_string(),
            )?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;

    /// The labels here are SQLite's: a reference, a name and a helper's number sealed by the
    /// SQLite connection's functions open with this module's labels, and the other way round.
    #[test]
    fn sealed_columns_use_sqlites_labels() {
        let keys = AtRestKeys::from_bytes([5; 32], [6; 32]);
        let c = Connection::open_in_memory().unwrap();
        crate::crypto_at_rest::register(&c, &keys).unwrap();
        let id = "500102195805202427";
        let by_sqlite: Vec<u8> = c
            .query_row(
                "SELECT jz_seal(?1, 'templates.data:' || jz_bidx(?2) || ':' || 'face')",
                rusqlite::params![&b"reference"[..], id],
                |r| r.get(0),
            )
            .unwrap();
        let label = template_label(&keys.blind_index(id), "face");
        assert_eq!(
            sealed::open_blob(&keys, &label, Some(&by_sqlite)).unwrap(),
            Some(b"reference".to_vec())
        );
        assert!(
            sealed::open_blob(
                &keys,
                &template_label(&keys.blind_index(id), "fingerprint"),
                Some(&by_sqlite)
            )
            .is_err(),
            "a reference does not open as another modality's"
        );
        let ours = keys.seal(&label, b"reference");
        let opened: Vec<u8> = c
            .query_row(
                "SELECT jz_open_blob(?1, 'templates.data:' || jz_bidx(?2) || ':' || 'face')",
                rusqlite::params![ours, id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(opened, b"reference");
        for label in [
            "recipients.name",
            "recipients.id_number",
            "guardians.name",
            "certifications.assisted_by",
        ] {
            let ours = sealed::seal(&keys, label, "陈淑芬");
            let opened: String = c
                .query_row(
                    "SELECT jz_open(?1, ?2)",
                    rusqlite::params![ours, label],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(opened, "陈淑芬", "{label}");
            assert_eq!(open_text(&keys, label, &ours).unwrap(), "陈淑芬");
        }
        let e = open_text(
            &keys,
            "guardians.name",
            &sealed::seal(&keys, "recipients.name", "x"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("guardians.name"), "{e}");
    }
}
