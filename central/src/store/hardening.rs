//! Storage of the security hardening (issue #17): the kiosk scope, reference releases with
//! their per-kiosk rate and the alerts staff see, idempotency keys bound to the body, and the
//! standing of issued proofs (superseded by a newer one, revoked by death or suspension).

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{OptionalExtension, Transaction, params};

use super::{KioskScope, SqliteStore, StoreError, now_str, parse_time};
use crate::audit;

/// The window over which a kiosk's reference releases are counted, in seconds.
pub const RELEASE_WINDOW_SECS: i64 = 600;

/// Different people whose references one kiosk may receive within [`RELEASE_WINDOW_SECS`]. A
/// certification takes a resident two to five minutes; twelve in ten minutes is a full hall.
/// A repeat for the same person (face after fingerprint, a retry) does not count again.
pub const MAX_PEOPLE_PER_WINDOW: usize = 12;

/// A reference template about to be released to a kiosk.
pub struct TemplateRelease<'a> {
    /// The kiosk.
    pub kiosk: &'a str,
    /// Whose reference (full number; stored, never logged).
    pub id_number: &'a str,
    /// The person's masked number, for the audit row.
    pub masked: &'a str,
    /// Modality name.
    pub modality: &'a str,
    /// When.
    pub now: DateTime<Utc>,
}

/// A release refused for the kiosk's rate: when it may ask again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReleaseRefused {
    /// Seconds until the oldest release in the window leaves it.
    pub retry_after_secs: i64,
}

/// An alert for staff.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SecurityAlert {
    /// Row id.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// What, e.g. `template_release_burst`.
    pub kind: String,
    /// The kiosk concerned.
    pub kiosk_id: Option<String>,
    /// The kiosk's township.
    pub township: Option<String>,
    /// Details (no personal data).
    pub detail: serde_json::Value,
}

/// Why a recipient's proofs stop being valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// The recipient died.
    Deceased,
    /// The assistance is suspended.
    Suspended,
}

impl Standing {
    /// The stored and wire name.
    pub fn name(self) -> &'static str {
        match self {
            Standing::Deceased => "deceased",
            Standing::Suspended => "suspended",
        }
    }

    fn parse(s: &str) -> Option<Standing> {
        match s {
            "deceased" => Some(Standing::Deceased),
            "suspended" => Some(Standing::Suspended),
            _ => None,
        }
    }
}

/// What central knows of an issued proof beyond its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofStanding {
    /// Not in the register (issued before it existed, or not by this central).
    Unregistered,
    /// The newest proof of its holder, who is neither deceased nor suspended.
    Current,
    /// A newer proof was issued to the same person on this day (China date).
    Superseded(NaiveDate),
    /// The holder died or was suspended on this day.
    Revoked(NaiveDate, Standing),
}

/// Reference releases, alerts and proof standing; the kiosk scope is the kiosk area's
/// ([`KioskScope`]).
pub trait Hardening: KioskScope + Send + Sync {
    /// The townships a person belongs to for a reference release: as a recipient, and as the
    /// registered guardian of recipients.
    fn person_townships(&self, id_number: &str) -> Result<Vec<String>, StoreError>;
    /// Records a release (row and audit row `template.released` naming the kiosk and the
    /// person, masked) unless the kiosk already received the references of
    /// [`MAX_PEOPLE_PER_WINDOW`] other people in the window; then records an alert (once per
    /// window) and answers when to retry.
    fn release_template(
        &self,
        r: &TemplateRelease<'_>,
    ) -> Result<Result<(), ReleaseRefused>, StoreError>;
    /// The newest alerts first: of kiosks standing in `township`, or all for `None`.
    fn alerts(
        &self,
        township: Option<&str>,
        limit: usize,
    ) -> Result<Vec<SecurityAlert>, StoreError>;
    /// Records a recipient's death or suspension (from `since`, China date) with an audit
    /// row; every proof of theirs is revoked. `NotFound` when not a recipient.
    fn set_standing(
        &self,
        id_number: &str,
        standing: Standing,
        since: NaiveDate,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The standing of an issued proof (hex id).
    fn proof_standing(&self, proof_id: &str) -> Result<ProofStanding, StoreError>;
}

/// An idempotency key's stored body digest against this request's: a different body is 422
/// `idempotency_key_reused`. Keys stored before the digest was kept match by key alone.
pub(super) fn same_body(stored: Option<&str>, now: &str) -> Result<(), StoreError> {
    match stored {
        Some(s) if s != now => Err(StoreError::Unprocessable {
            code: "idempotency_key_reused",
            reason:
                "this Idempotency-Key was used with another body; send a new key for a new request"
                    .into(),
        }),
        _ => Ok(()),
    }
}

/// Registers an issued proof (inside the transaction that records it).
pub(super) fn record_proof(
    tx: &Transaction<'_>,
    proof_id: &str,
    id_number: &str,
    at: &str,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO proofs (proof_id, id_number, issued_at) VALUES (?1, jz_bidx(?2), ?3)",
    )?
    .execute(params![proof_id, id_number, at])?;
    Ok(())
}

fn china_day(at: &str) -> Result<NaiveDate, StoreError> {
    parse_time(at.to_string()).map(jiuzhu_core::workflow::china_date)
}

impl Hardening for SqliteStore {
    fn person_townships(&self, id_number: &str) -> Result<Vec<String>, StoreError> {
        let c = self.read();
        Ok(c.prepare_cached(
            "SELECT township FROM recipients WHERE id_number = jz_bidx(?1)
             UNION SELECT r.township FROM guardians g JOIN recipients r ON r.id_number = g.recipient_id
               WHERE g.guardian_id = jz_bidx(?1)",
        )?
        .query_map([id_number], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?)
    }

    fn release_template(
        &self,
        r: &TemplateRelease<'_>,
    ) -> Result<Result<(), ReleaseRefused>, StoreError> {
        let now = r.now.timestamp();
        let since = now.saturating_sub(RELEASE_WINDOW_SECS);
        self.write(|tx| {
            let others: Vec<(String, i64)> = tx
                .prepare_cached(
                    "SELECT id_number, min(at) FROM template_releases
                     WHERE kiosk_id = ?1 AND at > ?2 AND id_number != jz_bidx(?3)
                     GROUP BY id_number ORDER BY min(at)",
                )?
                .query_map(params![r.kiosk, since, r.id_number], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })?
                .collect::<Result<_, _>>()?;
            let at = now_str(r.now);
            if others.len() >= MAX_PEOPLE_PER_WINDOW {
                // The oldest person leaves the window first.
                let oldest = others.first().map_or(now, |o| o.1);
                let retry = oldest
                    .saturating_add(RELEASE_WINDOW_SECS)
                    .saturating_sub(now)
                    .clamp(1, RELEASE_WINDOW_SECS);
                let recent: i64 = tx.query_row(
                    "SELECT count(*) FROM security_alerts WHERE kind = 'template_release_burst'
                       AND kiosk_id = ?1 AND at > ?2",
                    params![r.kiosk, now_str(r.now - chrono::Duration::seconds(RELEASE_WINDOW_SECS))],
                    |row| row.get(0),
                )?;
                if recent == 0 {
                    let township: Option<String> = tx
                        .query_row("SELECT township FROM kiosks WHERE id = ?1", [r.kiosk], |row| {
                            row.get(0)
                        })
                        .optional()?;
                    let detail = serde_json::json!({
                        "people_in_window": others.len() + 1,
                        "window_secs": RELEASE_WINDOW_SECS,
                        "limit": MAX_PEOPLE_PER_WINDOW,
                    })
                    .to_string();
                    tx.execute(
                        "INSERT INTO security_alerts (at, kind, kiosk_id, township, detail)
                         VALUES (?1, 'template_release_burst', ?2, ?3, ?4)",
                        params![at, r.kiosk, township, detail],
                    )?;
                    audit::append(
                        tx,
                        &at,
                        &format!("kiosk:{}", r.kiosk),
                        "alert.template_release_burst",
                        &format!("kiosk:{}", r.kiosk),
                        &detail,
                    )?;
                }
                return Ok(Err(ReleaseRefused {
                    retry_after_secs: retry,
                }));
            }
            tx.prepare_cached(
                "INSERT INTO template_releases (kiosk_id, id_number, modality, at) VALUES (?1, jz_bidx(?2), ?3, ?4)",
            )?
            .execute(params![r.kiosk, r.id_number, r.modality, now])?;
            tx.prepare_cached("DELETE FROM template_releases WHERE at < ?1")?
                .execute([now.saturating_sub(30 * 86_400)])?;
            audit::append(
                tx,
                &at,
                &format!("kiosk:{}", r.kiosk),
                "template.released",
                // whose reference (blind index; the masked number for the reader) of which
                // modality went to which kiosk
                &format!(
                    "template:{}:{}",
                    r.modality,
                    &self.keys.blind_index(r.id_number)[..16]
                ),
                &serde_json::json!({ "kiosk": r.kiosk, "modality": r.modality, "person": r.masked })
                    .to_string(),
            )?;
            Ok(Ok(()))
        })
    }

    fn alerts(
        &self,
        township: Option<&str>,
        limit: usize,
    ) -> Result<Vec<SecurityAlert>, StoreError> {
        let c = self.read();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = c.prepare_cached(
            "SELECT id, at, kind, kiosk_id, township, detail FROM security_alerts
             WHERE ?1 IS NULL OR township = ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![township, limit], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(id, at, kind, kiosk_id, township, detail)| {
                Ok(SecurityAlert {
                    id,
                    at: parse_time(at)?,
                    kind,
                    kiosk_id,
                    township,
                    detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
                })
            })
            .collect()
    }

    fn set_standing(
        &self,
        id_number: &str,
        standing: Standing,
        since: NaiveDate,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let township: Option<String> = tx
                .query_row(
                    "SELECT township FROM recipients WHERE id_number = jz_bidx(?1)",
                    [id_number],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(township) = township else {
                return Err(StoreError::NotFound(
                    "this person is not a recipient of assistance".into(),
                ));
            };
            let at = now_str(now);
            tx.execute(
                "INSERT INTO recipient_standing VALUES (jz_bidx(?1), ?2, ?3, ?4, ?5)
                 ON CONFLICT(id_number) DO UPDATE SET standing = excluded.standing,
                   since = excluded.since, recorded_by = excluded.recorded_by,
                   recorded_at = excluded.recorded_at",
                params![id_number, standing.name(), since.to_string(), actor, at],
            )?;
            audit::append(
                tx,
                &at,
                actor,
                &format!("recipient.{}", standing.name()),
                &format!("person:{}", super::mask_id(id_number)),
                &serde_json::json!({ "since": since, "township": township }).to_string(),
            )?;
            Ok(())
        })
    }

    fn proof_standing(&self, proof_id: &str) -> Result<ProofStanding, StoreError> {
        let c = self.read();
        let row: Option<(String, String)> = c
            .prepare_cached("SELECT id_number, issued_at FROM proofs WHERE proof_id = ?1")?
            .query_row([proof_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((id_number, issued_at)) = row else {
            return Ok(ProofStanding::Unregistered);
        };
        let standing: Option<(String, String)> = c
            .prepare_cached("SELECT standing, since FROM recipient_standing WHERE id_number = ?1")?
            .query_row([&id_number], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((s, since)) = standing {
            let s = Standing::parse(&s)
                .ok_or_else(|| StoreError::Invalid(format!("stored standing '{s}' is unknown")))?;
            let since = super::parse_date(since)?;
            return Ok(ProofStanding::Revoked(since, s));
        }
        let newer: Option<String> = c
            .prepare_cached(
                "SELECT min(issued_at) FROM proofs WHERE id_number = ?1 AND issued_at > ?2",
            )?
            .query_row(params![id_number, issued_at], |r| r.get(0))?;
        match newer {
            Some(at) => Ok(ProofStanding::Superseded(china_day(&at)?)),
            None => Ok(ProofStanding::Current),
        }
    }
}
