//! Recipients, annual certification, references, guardians, proofs and the alternatives to the kiosk check.

use super::*;

/// A recipient of assistance (for certification and the 公布 list).
#[derive(Clone)]
pub struct Recipient {
    /// Identity number.
    pub id_number: String,
    /// Name.
    pub name: String,
    /// Township.
    pub township: String,
    /// Type.
    pub assistance_type: AssistanceType,
    /// Household size.
    pub household_size: u32,
    /// Monthly amount in fen.
    pub amount_fen: i64,
    /// Since.
    pub since: NaiveDate,
    /// Last certification.
    pub last_certified_on: Option<NaiveDate>,
}

/// A certification attempt to record.
pub struct CertificationRecord<'a> {
    /// The recipient.
    pub id_number: &'a str,
    /// Kiosk.
    pub kiosk: &'a str,
    /// Mode name.
    pub mode: &'a str,
    /// Modality name.
    pub modality: Option<&'a str>,
    /// Whether it certified.
    pub certified: bool,
    /// The day certified (China date).
    pub today: NaiveDate,
    /// The proof issued with it (hex id), if any.
    pub proof_id: Option<String>,
    /// When.
    pub now: DateTime<Utc>,
    /// The guardian's or helper's number (guardian and assisted modes).
    pub assisted_by: Option<&'a str>,
    /// Guardian mode: the on-site photo of the recipient, encrypted.
    pub evidence: Option<SealedEvidence>,
}

/// A guardian to register for a recipient (full values; stored, never logged).
pub struct NewGuardian<'a> {
    /// The recipient's number.
    pub recipient_id: &'a str,
    /// The guardian's number.
    pub guardian_id: &'a str,
    /// The guardian's name.
    pub name: &'a str,
    /// Relation to the recipient.
    pub relation: &'a str,
    /// When.
    pub now: DateTime<Utc>,
}

/// A recorded certification attempt, as staff (and tests) read it back. Never logged.
#[derive(Clone)]
pub struct StoredCertification {
    /// Row id.
    pub id: i64,
    /// The recipient's number.
    pub id_number: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Kiosk.
    pub kiosk: String,
    /// Mode name (`self_check`, `guardian`, …).
    pub mode: String,
    /// Modality name.
    pub modality: Option<String>,
    /// Whether it certified.
    pub certified: bool,
    /// The guardian's or helper's number.
    pub assisted_by: Option<String>,
    /// The encrypted evidence photo, if one was sent.
    pub evidence: Option<SealedEvidence>,
}

/// A fresh copy of the 社会救助身份证明 of a certified recipient, to record.
pub struct ProofReissue<'a> {
    /// The recipient.
    pub id_number: &'a str,
    /// Kiosk.
    pub kiosk: &'a str,
    /// The certification the proof states (the recipient's last certification day).
    pub certified_on: NaiveDate,
    /// Its last valid day.
    pub valid_until: NaiveDate,
    /// The new proof's id (hex).
    pub proof_id: &'a str,
    /// When.
    pub now: DateTime<Utc>,
}

/// A certification alternative to record (full values; stored, never logged).
pub struct NewAlternative<'a> {
    /// Request id (UUIDv7 text).
    pub id: &'a str,
    /// The recipient's number.
    pub id_number: &'a str,
    /// The recipient's township.
    pub township: &'a str,
    /// Which alternative.
    pub kind: AlternativeKind,
    /// The resident's note.
    pub note: Option<&'a str>,
    /// The requesting kiosk.
    pub kiosk: &'a str,
    /// When.
    pub now: DateTime<Utc>,
    /// The day staff should have acted by.
    pub due_by: NaiveDate,
    /// Years without a holiday notice that `due_by` was counted through.
    pub unpublished_years: &'a std::collections::BTreeSet<i32>,
}

/// A stored certification alternative (full values; never logged).
#[derive(Clone)]
pub struct Alternative {
    /// Request id.
    pub id: String,
    /// The recipient's number.
    pub id_number: String,
    /// The recipient's township.
    pub township: String,
    /// Which alternative.
    pub kind: AlternativeKind,
    /// The requesting kiosk.
    pub kiosk: String,
    /// The outcome, once closed.
    pub outcome: Option<AlternativeOutcome>,
}

/// Closing a certification alternative.
pub struct AlternativeClose<'a> {
    /// Request id.
    pub id: &'a str,
    /// The outcome.
    pub outcome: AlternativeOutcome,
    /// Staff note.
    pub note: Option<&'a str>,
    /// `staff:<username>`.
    pub actor: &'a str,
    /// When.
    pub now: DateTime<Utc>,
    /// For `witnessed`: the certification to record (its `kiosk` is the requesting kiosk).
    pub certification: Option<CertificationRecord<'a>>,
}

/// The shared rule for a recipient to store (both backends): a valid identity number, a name,
/// a township code, a household of at least one and no negative amount. The message names the
/// field and never repeats the number.
pub(crate) fn check_recipient(r: &Recipient) -> Result<(), StoreError> {
    jiuzhu_core::id::IdNumber::parse(&r.id_number).map_err(|_| {
        StoreError::Invalid(
            "recipient id_number: not a valid identity number (18 characters with its check digit)"
                .into(),
        )
    })?;
    jiuzhu_core::id::PersonName::new(&r.name)
        .map_err(|e| StoreError::Invalid(format!("recipient name: {e}")))?;
    kiosks::check_id("township code", &r.township)?;
    if !(1..=100).contains(&r.household_size) {
        return Err(StoreError::Invalid(format!(
            "recipient household_size: {} is not 1–100",
            r.household_size
        )));
    }
    if r.amount_fen < 0 {
        return Err(StoreError::Invalid(format!(
            "recipient amount_fen: {} is negative",
            r.amount_fen
        )));
    }
    Ok(())
}

/// The shared rule for a guardian to register (both backends): two different valid identity
/// numbers, a name and a relation. The message names the field and never repeats a number.
pub(crate) fn check_guardian(g: &NewGuardian<'_>) -> Result<(), StoreError> {
    for (field, v) in [
        ("recipient_id", g.recipient_id),
        ("guardian_id", g.guardian_id),
    ] {
        jiuzhu_core::id::IdNumber::parse(v).map_err(|_| {
            StoreError::Invalid(format!(
                "guardian {field}: not a valid identity number (18 characters with its check digit)"
            ))
        })?;
    }
    if g.recipient_id == g.guardian_id {
        return Err(StoreError::Invalid(
            "guardian: a recipient cannot be their own guardian".into(),
        ));
    }
    jiuzhu_core::id::PersonName::new(g.name)
        .map_err(|e| StoreError::Invalid(format!("guardian name: {e}")))?;
    kiosks::check_text("guardian relation", g.relation)
}

/// The shared rule for a reference to store: not empty.
pub(crate) fn check_template(data: &[u8]) -> Result<(), StoreError> {
    if data.is_empty() {
        return Err(StoreError::Invalid(
            "template data: the reference is empty; enrol it again".into(),
        ));
    }
    Ok(())
}

/// Recipients, annual certification, references, guardians, proofs and the alternatives to the kiosk check.
pub trait CertificationStore {
    /// Adds or replaces a recipient.
    fn put_recipient(&self, r: &Recipient, actor: &str) -> Result<(), StoreError>;
    /// A recipient.
    fn recipient(&self, id_number: &str) -> Result<Option<Recipient>, StoreError>;
    /// Certification status of a person at `today`.
    fn certification_status(
        &self,
        id_number: &str,
        today: NaiveDate,
    ) -> Result<CertificationStatus, StoreError>;
    /// Records a certification attempt (certifies on success) and its answer `response`; with
    /// `idem`, a repeated key stores nothing and returns the first answer. Returns the answer
    /// and whether this call stored it.
    fn record_certification(
        &self,
        rec: &CertificationRecord<'_>,
        response: &str,
        idem: Option<Idem<'_>>,
    ) -> Result<(String, bool), StoreError>;
    /// Records a reissued proof (audit row `proof.reissued` by `kiosk:<id>`) and its answer
    /// `response`; with `idem`, a repeated key stores nothing and returns the first answer.
    /// Refused (`certification_changed`) when the recipient's last certification is no longer
    /// `certified_on`. Returns the answer and whether this call stored it.
    fn record_proof_reissue(
        &self,
        r: &ProofReissue<'_>,
        response: &str,
        idem: Option<Idem<'_>>,
    ) -> Result<(String, bool), StoreError>;
    /// Stores an enrolled template.
    fn put_template(
        &self,
        id_number: &str,
        modality: Modality,
        data: &[u8],
        actor: &str,
    ) -> Result<(), StoreError>;
    /// Registers (or updates the relation of) a guardian of a recipient. `NotFound` when the
    /// recipient is unknown, `Invalid` when the guardian is the recipient.
    fn put_guardian(&self, g: &NewGuardian<'_>, actor: &str) -> Result<(), StoreError>;
    /// Whether `guardian_id` is a registered guardian of `recipient_id`.
    fn is_guardian(&self, recipient_id: &str, guardian_id: &str) -> Result<bool, StoreError>;
    /// Certification attempts of a recipient, newest first, with their evidence.
    fn certifications_of(&self, id_number: &str) -> Result<Vec<StoredCertification>, StoreError>;
    /// An enrolled template.
    fn template(&self, id_number: &str, modality: Modality) -> Result<Option<Vec<u8>>, StoreError>;
    /// Records a certification alternative with its audit row; with `idem`, a repeated key
    /// stores nothing and returns the first answer. Refused (`alternative_open`) while the
    /// person has another open request. Returns the answer and whether this call stored it.
    fn record_alternative(
        &self,
        alt: &NewAlternative<'_>,
        response: &str,
        idem: Option<Idem<'_>>,
    ) -> Result<(String, bool), StoreError>;
    /// A certification alternative by id.
    fn alternative(&self, id: &str) -> Result<Option<Alternative>, StoreError>;
    /// Open alternatives of a township, oldest first, masked, coloured as of `today`.
    fn open_alternatives(
        &self,
        township: &str,
        cal: &Calendar,
        today: NaiveDate,
    ) -> Result<Vec<OpenAlternative>, StoreError>;
    /// Closes an open alternative with its audit row and, for `witnessed`, records the
    /// certification (and its proof) as a certification result does, in one transaction.
    /// Refused (`already_closed`) when it is closed.
    fn close_alternative(&self, close: &AlternativeClose<'_>) -> Result<(), StoreError>;
}

impl CertificationStore for SqliteStore {
    fn put_recipient(&self, r: &Recipient, actor: &str) -> Result<(), StoreError> {
        check_recipient(r)?;
        self.write(|tx| {
            if !township_exists(tx, &r.township)? {
                return Err(StoreError::NotFound(format!(
                    "township '{}' is not registered",
                    r.township
                )));
            }
            upsert_recipient(tx, r)?;
            let subject = format!("recipient:{}", &self.keys.blind_index(&r.id_number)[..16]);
            audit::append(
                tx,
                &now_str(Utc::now()),
                actor,
                "recipient.put",
                &subject,
                "{}",
            )?;
            Ok(())
        })
    }

    fn recipient(&self, id_number: &str) -> Result<Option<Recipient>, StoreError> {
        Ok(self
            .read()
            .prepare_cached(
                "SELECT jz_open(id_sealed, 'recipients.id_number'), jz_open(name, 'recipients.name'),
                   township, assistance_type, household_size, amount_fen, since, last_certified_on
                 FROM recipients WHERE id_number = jz_bidx(?1)",
            )?
            .query_row([id_number], |r| {
                Ok(Recipient {
                    id_number: r.get(0)?,
                    name: r.get(1)?,
                    township: r.get(2)?,
                    assistance_type: col(r, 3, |s: String| enum_parse(&s))?,
                    household_size: r.get(4)?,
                    amount_fen: r.get(5)?,
                    since: col(r, 6, parse_date)?,
                    last_certified_on: col(r, 7, |d: Option<String>| {
                        d.map(parse_date).transpose()
                    })?,
                })
            })
            .optional()?)
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
            .read()
            .prepare_cached(
                "SELECT modality FROM templates WHERE id_number = jz_bidx(?1) ORDER BY modality",
            )?
            .query_map([id_number], |r| r.get::<_, String>(0))?
            .map(|m| m.map_err(StoreError::from).and_then(|m| enum_parse(&m)))
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
            if let Some(prior) = idem.map(|i| stored_reply(tx, i)).transpose()?.flatten() {
                return Ok((prior, false));
            }
            insert_certification(tx, rec, &format!("kiosk:{}", rec.kiosk))?;
            keep_reply(tx, idem, response, rec.now)?;
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
            if let Some(prior) = idem.map(|i| stored_reply(tx, i)).transpose()?.flatten() {
                return Ok((prior, false));
            }
            let last: Option<Option<String>> = tx
                .prepare_cached(
                    "SELECT last_certified_on FROM recipients WHERE id_number = jz_bidx(?1)",
                )?
                .query_row([r.id_number], |row| row.get(0))
                .optional()?;
            let Some(last) = last else {
                return Err(StoreError::NotFound(
                    "this person is not a recipient of assistance".into(),
                ));
            };
            if last.as_deref() != Some(r.certified_on.to_string().as_str()) {
                return Err(StoreError::Refused {
                    code: "certification_changed",
                    reason: "the certification changed while the proof was issued; ask again"
                        .into(),
                });
            }
            let at = now_str(r.now);
            hardening::record_proof(tx, r.proof_id, r.id_number, &at)?;
            audit::append(
                tx,
                &at,
                &format!("kiosk:{}", r.kiosk),
                "proof.reissued",
                &format!("proof:{}", r.proof_id),
                &serde_json::json!({ "valid_until": r.valid_until }).to_string(),
            )?;
            keep_reply(tx, idem, response, r.now)?;
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
        self.write(|tx| {
            let enrolled: i64 = tx
                .prepare_cached(
                    "SELECT (SELECT count(*) FROM recipients WHERE id_number = jz_bidx(?1))
                          + (SELECT count(*) FROM guardians WHERE guardian_id = jz_bidx(?1))",
                )?
                .query_row([id_number], |r| r.get(0))?;
            if enrolled == 0 {
                return Err(StoreError::NotFound(
                    "this person is neither a recipient nor a registered guardian; register them first (a guardian with `jiuzhu-central guardian add`)".into(),
                ));
            }
            tx.execute(
                "INSERT INTO templates VALUES (jz_bidx(?1), ?2, jz_seal(?3, 'templates.data:' || jz_bidx(?1) || ':' || ?2))
                 ON CONFLICT(id_number, modality) DO UPDATE SET data = excluded.data",
                params![id_number, enum_str(&modality), data],
            )?;
            audit::append(
                tx,
                &now_str(Utc::now()),
                actor,
                "template.put",
                &enum_str(&modality),
                "{}",
            )?;
            Ok(())
        })
    }

    fn template(&self, id_number: &str, modality: Modality) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .read()
            .prepare_cached(
                "SELECT jz_open_blob(data, 'templates.data:' || id_number || ':' || modality) FROM templates
                 WHERE id_number = jz_bidx(?1) AND modality = ?2",
            )?
            .query_row(params![id_number, enum_str(&modality)], |r| r.get(0))
            .optional()?)
    }

    fn put_guardian(&self, g: &NewGuardian<'_>, actor: &str) -> Result<(), StoreError> {
        check_guardian(g)?;
        self.write(|tx| {
            let known: i64 = tx
                .prepare_cached("SELECT count(*) FROM recipients WHERE id_number = jz_bidx(?1)")?
                .query_row([g.recipient_id], |r| r.get(0))?;
            if known == 0 {
                return Err(StoreError::NotFound(
                    "this person is not a recipient of assistance; only a recipient has guardians"
                        .into(),
                ));
            }
            let at = now_str(g.now);
            tx.execute(
                "INSERT INTO guardians (recipient_id, guardian_id, name, relation, added_by, added_at)
                 VALUES (jz_bidx(?1), jz_bidx(?2), jz_seal(?3, 'guardians.name'), ?4, ?5, ?6)
                 ON CONFLICT(recipient_id, guardian_id) DO UPDATE SET name = excluded.name,
                   relation = excluded.relation, added_by = excluded.added_by, added_at = excluded.added_at",
                params![g.recipient_id, g.guardian_id, g.name, g.relation, actor, at],
            )?;
            audit::append(
                tx,
                &at,
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
            .read()
            .prepare_cached(
                "SELECT count(*) FROM guardians WHERE recipient_id = jz_bidx(?1) AND guardian_id = jz_bidx(?2)",
            )?
            .query_row([recipient_id, guardian_id], |r| r.get::<_, i64>(0))?
            > 0)
    }

    fn certifications_of(&self, id_number: &str) -> Result<Vec<StoredCertification>, StoreError> {
        let c = self.read();
        let mut st = c.prepare_cached(
            "SELECT c.id, c.id_number, c.at, c.kiosk_id, c.mode, c.modality, c.certified,
                    jz_open(c.assisted_by, 'certifications.assisted_by'),
                    e.content_type, e.sha256, e.size, e.nonce, e.ciphertext
             FROM certifications c LEFT JOIN certification_evidence e ON e.certification_id = c.id
             WHERE c.id_number = jz_bidx(?1) ORDER BY c.id DESC",
        )?;
        let rows = st.query_map([id_number], |r| {
            let evidence = match r.get::<_, Option<String>>(8)? {
                Some(content_type) => Some(SealedEvidence {
                    content_type,
                    sha256: r.get(9)?,
                    size: r.get::<_, i64>(10)? as usize,
                    nonce: r.get(11)?,
                    ciphertext: r.get(12)?,
                }),
                None => None,
            };
            Ok(StoredCertification {
                id: r.get(0)?,
                id_number: id_number.to_string(),
                at: col(r, 2, parse_time)?,
                kiosk: r.get(3)?,
                mode: r.get(4)?,
                modality: r.get(5)?,
                certified: r.get(6)?,
                assisted_by: r.get(7)?,
                evidence,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn record_alternative(
        &self,
        alt: &NewAlternative<'_>,
        response: &str,
        idem: Option<Idem<'_>>,
    ) -> Result<(String, bool), StoreError> {
        self.write(|tx| {
            if let Some(prior) = idem.map(|i| stored_reply(tx, i)).transpose()?.flatten() {
                return Ok((prior, false));
            }
            let open: Option<(String, String)> = tx
                .prepare_cached(
                    "SELECT kind, due_by FROM alternatives WHERE id_number = jz_bidx(?1) AND closed_at IS NULL",
                )?
                .query_row([alt.id_number], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            if let Some((kind, due)) = open {
                return Err(StoreError::Refused {
                    code: "alternative_open",
                    reason: format!(
                        "this person already has an open {kind} request (due by {due}); the township staff will act on it"
                    ),
                });
            }
            let at = now_str(alt.now);
            let kind = enum_str(&alt.kind);
            tx.prepare_cached(
                "INSERT INTO alternatives (id, id_number, township, kind, note, kiosk_id, requested_at, due_by, unpublished_years)
                 VALUES (?1, jz_bidx(?2), ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                alt.id,
                alt.id_number,
                alt.township,
                kind,
                alt.note,
                alt.kiosk,
                at,
                alt.due_by.to_string(),
                to_json(alt.unpublished_years)?,
            ])?;
            audit::append(
                tx,
                &at,
                &format!("kiosk:{}", alt.kiosk),
                "alternative.requested",
                &format!("alternative:{}", alt.id),
                &serde_json::json!({ "kind": kind, "due_by": alt.due_by }).to_string(),
            )?;
            keep_reply(tx, idem, response, alt.now)?;
            Ok((response.to_string(), true))
        })
    }

    fn alternative(&self, id: &str) -> Result<Option<Alternative>, StoreError> {
        Ok(self
            .read()
            .prepare_cached(
                "SELECT a.id, jz_open(r.id_sealed, 'recipients.id_number'), a.township, a.kind, a.kiosk_id, a.outcome
                 FROM alternatives a JOIN recipients r ON r.id_number = a.id_number WHERE a.id = ?1",
            )?
            .query_row([id], |r| {
                Ok(Alternative {
                    id: r.get(0)?,
                    id_number: r.get(1)?,
                    township: r.get(2)?,
                    kind: col(r, 3, |s: String| enum_parse(&s))?,
                    kiosk: r.get(4)?,
                    outcome: col(r, 5, |o: Option<String>| {
                        o.map(|o| enum_parse(&o)).transpose()
                    })?,
                })
            })
            .optional()?)
    }

    fn open_alternatives(
        &self,
        township: &str,
        cal: &Calendar,
        today: NaiveDate,
    ) -> Result<Vec<OpenAlternative>, StoreError> {
        let c = self.read();
        let mut st = c.prepare_cached(
            "SELECT a.id, a.kind, jz_open(r.name, 'recipients.name'),
                    jz_open(r.id_sealed, 'recipients.id_number'), a.township, a.kiosk_id, a.requested_at, a.due_by,
                    a.unpublished_years, a.note
             FROM alternatives a JOIN recipients r ON r.id_number = a.id_number
             WHERE a.township = ?1 AND a.closed_at IS NULL ORDER BY a.requested_at, a.id",
        )?;
        let rows = st.query_map([township], |r| {
            let requested_at = col(r, 6, parse_time)?;
            let due_by = col(r, 7, parse_date)?;
            let from = china_date(requested_at);
            let colour = if today > due_by {
                DeadlineColour::Overdue
            } else {
                let allowed = cal.working_days_between(from, due_by).value;
                let left = cal.working_days_between(today, due_by).value;
                DeadlineColour::of(allowed, left)
            };
            Ok(OpenAlternative {
                request_id: r.get(0)?,
                kind: col(r, 1, |s: String| enum_parse(&s))?,
                masked_name: mask_name(&r.get::<_, String>(2)?),
                masked_id: mask_id(&r.get::<_, String>(3)?),
                township: r.get(4)?,
                kiosk_id: r.get(5)?,
                requested_at,
                due_by,
                colour,
                unpublished_years: col(r, 8, |j: String| {
                    serde_json::from_str(&j).map_err(|e| StoreError::Invalid(e.to_string()))
                })?,
                note: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn close_alternative(&self, close: &AlternativeClose<'_>) -> Result<(), StoreError> {
        self.write(|tx| {
            let closed: Option<Option<String>> = tx
                .prepare_cached("SELECT outcome FROM alternatives WHERE id = ?1")?
                .query_row([close.id], |r| r.get(0))
                .optional()?;
            match closed {
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
                .map(|rec| insert_certification(tx, rec, close.actor))
                .transpose()?;
            let at = now_str(close.now);
            let outcome = enum_str(&close.outcome);
            tx.prepare_cached(
                "UPDATE alternatives SET closed_at = ?2, closed_by = ?3, outcome = ?4, close_note = ?5,
                   certification_id = ?6 WHERE id = ?1 AND closed_at IS NULL",
            )?
            .execute(params![close.id, at, close.actor, outcome, close.note, cert_id])?;
            audit::append(
                tx,
                &at,
                close.actor,
                "alternative.closed",
                &format!("alternative:{}", close.id),
                &serde_json::json!({ "outcome": outcome, "certification": cert_id }).to_string(),
            )?;
            Ok(())
        })
    }
}
