//! The rest of [`Hardening`] on PostgreSQL (the kiosk scope is in `kiosks.rs`): the townships a
//! person belongs to, reference releases with their per-kiosk rate and the alerts staff see,
//! and the standing of issued proofs, as on SQLite (`store/hardening.rs`). The rate is decided
//! under a per-kiosk advisory lock held until commit, so two instances releasing to one kiosk
//! count each other's releases: at the limit exactly one passes, and the burst alert is written
//! once per window.

use chrono::{DateTime, NaiveDate, Utc};
use jiuzhu_core::workflow::china_date;

use super::{Db as _, PgStore, append_audit};
use crate::store::hardening::{
    Hardening, MAX_PEOPLE_PER_WINDOW, ProofStanding, RELEASE_WINDOW_SECS, ReleaseRefused,
    SecurityAlert, Standing, TemplateRelease,
};
use crate::store::{StoreError, mask_id};

fn parse_standing(s: &str) -> Result<Standing, StoreError> {
    match s {
        "deceased" => Ok(Standing::Deceased),
        "suspended" => Ok(Standing::Suspended),
        _ => Err(StoreError::Invalid(format!(
            "stored standing '{s}' is unknown"
        ))),
    }
}

impl Hardening for PgStore {
    fn person_townships(&self, id_number: &str) -> Result<Vec<String>, StoreError> {
        Ok(self
            .pool
            .get()?
            .query(
                "SELECT township FROM recipients WHERE id_number = $1
                 UNION SELECT r.township FROM guardians g JOIN recipients r ON r.id_number = g.recipient_id
                   WHERE g.guardian_id = $1
                 ORDER BY 1",
                &[&self.keys.blind_index(id_number)],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn release_template(
        &self,
        r: &TemplateRelease<'_>,
    ) -> Result<Result<(), ReleaseRefused>, StoreError> {
        let now = r.now.timestamp();
        let since = now.saturating_sub(RELEASE_WINDOW_SECS);
        let bidx = self.keys.blind_index(r.id_number);
        self.write(|tx| {
            // one kiosk's releases are decided one at a time, whichever instance serves them
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended('template_release:' || $1::text, 0))",
                &[&r.kiosk],
            )?;
            let others: Vec<i64> = tx
                .query(
                    "SELECT min(at) FROM template_releases
                     WHERE kiosk_id = $1 AND at > $2 AND id_number <> $3
                     GROUP BY id_number ORDER BY min(at)",
                    &[&r.kiosk, &since, &bidx],
                )?
                .iter()
                .map(|row| row.get(0))
                .collect();
            if others.len() >= MAX_PEOPLE_PER_WINDOW {
                // the oldest person leaves the window first
                let oldest = others.first().copied().unwrap_or(now);
                let retry = oldest
                    .saturating_add(RELEASE_WINDOW_SECS)
                    .saturating_sub(now)
                    .clamp(1, RELEASE_WINDOW_SECS);
                let window_start = r.now - chrono::Duration::seconds(RELEASE_WINDOW_SECS);
                let recent = tx
                    .query_opt(
                        "SELECT 1 FROM security_alerts WHERE kind = 'template_release_burst'
                           AND kiosk_id = $1 AND at > $2 LIMIT 1",
                        &[&r.kiosk, &window_start],
                    )?
                    .is_some();
                if !recent {
                    let township: Option<String> = tx
                        .query_opt("SELECT township FROM kiosks WHERE id = $1", &[&r.kiosk])?
                        .map(|row| row.get(0));
                    let detail = serde_json::json!({
                        "people_in_window": others.len() + 1,
                        "window_secs": RELEASE_WINDOW_SECS,
                        "limit": MAX_PEOPLE_PER_WINDOW,
                    })
                    .to_string();
                    tx.execute(
                        "INSERT INTO security_alerts (at, kind, kiosk_id, township, detail)
                         VALUES ($1, 'template_release_burst', $2, $3, $4)",
                        &[&r.now, &r.kiosk, &township, &detail],
                    )?;
                    append_audit(
                        tx,
                        &self.keys,
                        r.now,
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
            tx.execute(
                "INSERT INTO template_releases (kiosk_id, id_number, modality, at) VALUES ($1, $2, $3, $4)",
                &[&r.kiosk, &bidx, &r.modality, &now],
            )?;
            tx.execute(
                "DELETE FROM template_releases WHERE at < $1",
                &[&now.saturating_sub(30 * 86_400)],
            )?;
            append_audit(
                tx,
                &self.keys,
                r.now,
                &format!("kiosk:{}", r.kiosk),
                "template.released",
                &format!("template:{}:{}", r.modality, &bidx[..16]),
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
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        Ok(self
            .pool
            .get()?
            .query(
                "SELECT id, at, kind, kiosk_id, township, detail FROM security_alerts
                 WHERE $1::text IS NULL OR township = $1 ORDER BY id DESC LIMIT $2",
                &[&township, &limit],
            )?
            .iter()
            .map(|r| SecurityAlert {
                id: r.get(0),
                at: r.get(1),
                kind: r.get(2),
                kiosk_id: r.get(3),
                township: r.get(4),
                detail: serde_json::from_str(r.get(5)).unwrap_or(serde_json::Value::Null),
            })
            .collect())
    }

    fn set_standing(
        &self,
        id_number: &str,
        standing: Standing,
        since: NaiveDate,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let bidx = self.keys.blind_index(id_number);
        self.write(|tx| {
            let Some(row) = tx.query_opt(
                "SELECT township FROM recipients WHERE id_number = $1 FOR UPDATE",
                &[&bidx],
            )?
            else {
                return Err(StoreError::NotFound(
                    "this person is not a recipient of assistance".into(),
                ));
            };
            let township: String = row.get(0);
            tx.execute(
                "INSERT INTO recipient_standing (id_number, standing, since, recorded_by, recorded_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (id_number) DO UPDATE SET standing = excluded.standing,
                   since = excluded.since, recorded_by = excluded.recorded_by,
                   recorded_at = excluded.recorded_at",
                &[&bidx, &standing.name(), &since, &actor, &now],
            )?;
            append_audit(
                tx,
                &self.keys,
                now,
                actor,
                &format!("recipient.{}", standing.name()),
                &format!("person:{}", mask_id(id_number)),
                &serde_json::json!({ "since": since, "township": township }).to_string(),
            )?;
            Ok(())
        })
    }

    fn proof_standing(&self, proof_id: &str) -> Result<ProofStanding, StoreError> {
        let mut c = self.pool.get()?;
        // one snapshot: a proof, its holder's standing and a newer proof read together
        let mut tx = c.snapshot()?;
        let Some(row) = tx.query_opt(
            "SELECT id_number, issued_at FROM proofs WHERE proof_id = $1",
            &[&proof_id],
        )?
        else {
            return Ok(ProofStanding::Unregistered);
        };
        let holder: String = row.get(0);
        let issued_at: DateTime<Utc> = row.get(1);
        if let Some(s) = tx.query_opt(
            "SELECT standing, since FROM recipient_standing WHERE id_number = $1",
            &[&holder],
        )? {
            return Ok(ProofStanding::Revoked(s.get(1), parse_standing(s.get(0))?));
        }
        let newer: Option<DateTime<Utc>> = tx
            .query_one(
                "SELECT min(issued_at) FROM proofs WHERE id_number = $1 AND issued_at > $2",
                &[&holder, &issued_at],
            )?
            .get(0);
        tx.commit()?;
        Ok(match newer {
            Some(at) => ProofStanding::Superseded(china_date(at)),
            None => ProofStanding::Current,
        })
    }
}
