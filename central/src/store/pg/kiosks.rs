//! [`KioskStore`] on PostgreSQL: the same checks, answers and audit rows as on SQLite
//! (`store/kiosks.rs`), with the uniqueness that makes them hold across central instances in the
//! database.

use super::{Db, Tx as Transaction};
use chrono::{DateTime, Utc};

use super::{PgStore, append_audit};
use crate::store::hardening::same_body;
use crate::store::kiosks::{check_id, check_idem, check_nonce, check_township};
use crate::store::{Idem, Kiosk, KioskScope, KioskStore, StoreError, Township};

fn township_exists(tx: &mut Transaction<'_>, code: &str) -> Result<bool, StoreError> {
    Ok(tx
        .query_opt("SELECT 1 FROM townships WHERE code = $1", &[&code])?
        .is_some())
}

/// Locks an idempotency key until the end of `tx` (every instance takes the same lock for the
/// same key), then looks its reply up: a request with a key in use waits for the first to commit
/// and then finds its answer. `Unprocessable` when the key came with another body.
pub(crate) fn lock_reply(
    tx: &mut Transaction<'_>,
    idem: Idem<'_>,
) -> Result<Option<String>, StoreError> {
    tx.execute(
        // the parts are checked to A-Z a-z 0-9 _ -, so ':' separates them unambiguously
        "SELECT pg_advisory_xact_lock(hashtextextended($1::text || ':' || $2::text || ':' || $3::text, 0))",
        &[&idem.kiosk, &idem.endpoint, &idem.key],
    )?;
    stored_reply(tx, idem)
}

fn stored_reply(tx: &mut impl Db, idem: Idem<'_>) -> Result<Option<String>, StoreError> {
    let row = tx.query_opt(
        "SELECT response, body_sha256 FROM replies WHERE kiosk_id = $1 AND endpoint = $2 AND key = $3",
        &[&idem.kiosk, &idem.endpoint, &idem.key],
    )?;
    row.map(|r| {
        let sha: Option<String> = r.get(1);
        same_body(sha.as_deref(), idem.body_sha256).map(|()| r.get::<_, String>(0))
    })
    .transpose()
}

/// Keeps the reply to an idempotency key inside `tx`, after [`lock_reply`] found none.
pub(crate) fn keep_reply(
    tx: &mut Transaction<'_>,
    idem: Idem<'_>,
    response: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let n = tx.execute(
        "INSERT INTO replies (kiosk_id, endpoint, key, status, response, created_at, body_sha256)
         VALUES ($1, $2, $3, 200, $4, $5, $6) ON CONFLICT DO NOTHING",
        &[
            &idem.kiosk,
            &idem.endpoint,
            &idem.key,
            &response,
            &now,
            &idem.body_sha256,
        ],
    )?;
    if n == 0 {
        // only possible without lock_reply first
        return Err(StoreError::Conflict(format!(
            "a reply for idempotency key '{}' was kept meanwhile; repeat the request to get it",
            idem.key
        )));
    }
    Ok(())
}

impl KioskStore for PgStore {
    fn put_township(&self, t: &Township, actor: &str) -> Result<(), StoreError> {
        check_township(t)?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO townships (code, name, hotline, report_phone, delegated)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, hotline = excluded.hotline,
                   report_phone = excluded.report_phone, delegated = excluded.delegated",
                &[&t.code, &t.name, &t.hotline, &t.report_phone, &t.delegated],
            )?;
            append_audit(
                tx,
                &self.keys,
                Utc::now(),
                actor,
                "township.put",
                &t.code,
                "{}",
            )?;
            Ok(())
        })
    }

    fn township(&self, code: &str) -> Result<Option<Township>, StoreError> {
        Ok(self
            .pool
            .get()?
            .query_opt(
                "SELECT code, name, hotline, report_phone, delegated FROM townships WHERE code = $1",
                &[&code],
            )?
            .map(|r| Township {
                code: r.get(0),
                name: r.get(1),
                hotline: r.get(2),
                report_phone: r.get(3),
                delegated: r.get(4),
            }))
    }

    fn add_kiosk(
        &self,
        id: &str,
        township: &str,
        key: &[u8; 32],
        actor: &str,
    ) -> Result<(), StoreError> {
        check_id("kiosk id", id)?;
        check_id("township code", township)?;
        self.write(|tx| {
            if !township_exists(tx, township)? {
                return Err(StoreError::NotFound(format!(
                    "township '{township}' is not registered"
                )));
            }
            let n = tx.execute(
                "INSERT INTO kiosks (id, township, pubkey, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO NOTHING",
                &[&id, &township, &key.as_slice(), &Utc::now()],
            )?;
            if n == 0 {
                return Err(StoreError::Conflict(format!(
                    "kiosk '{id}' is already registered; revoke it or choose another name"
                )));
            }
            append_audit(
                tx,
                &self.keys,
                Utc::now(),
                actor,
                "kiosk.add",
                id,
                &format!("{{\"pubkey\":\"{}\"}}", hex::encode(key)),
            )?;
            Ok(())
        })
    }

    fn revoke_kiosk(&self, id: &str, actor: &str) -> Result<(), StoreError> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE kiosks SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                &[&id, &Utc::now()],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("no active kiosk '{id}'")));
            }
            append_audit(tx, &self.keys, Utc::now(), actor, "kiosk.revoke", id, "{}")?;
            Ok(())
        })
    }

    fn kiosk(&self, id: &str) -> Result<Option<Kiosk>, StoreError> {
        let row = self.pool.get()?.query_opt(
            "SELECT id, township, pubkey, revoked_at IS NOT NULL FROM kiosks WHERE id = $1",
            &[&id],
        )?;
        row.map(|r| {
            let key: Vec<u8> = r.get(2);
            Ok(Kiosk {
                id: r.get(0),
                township: r.get(1),
                pubkey: key.try_into().map_err(|_| {
                    StoreError::Invalid(format!("kiosk '{id}' has a malformed key"))
                })?,
                revoked: r.get(3),
            })
        })
        .transpose()
    }

    fn remember_nonce(
        &self,
        kiosk: &str,
        nonce: &str,
        now: i64,
        forget_before: i64,
    ) -> Result<bool, StoreError> {
        check_nonce(kiosk, nonce)?;
        let mut c = self.pool.get()?;
        if self.purge_due(now) {
            c.execute("DELETE FROM nonces WHERE seen_at < $1", &[&forget_before])?;
        }
        let n = c.execute(
            "INSERT INTO nonces (kiosk_id, nonce, seen_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&kiosk, &nonce, &now],
        )?;
        Ok(n == 1)
    }

    fn reply(&self, idem: Idem<'_>) -> Result<Option<String>, StoreError> {
        stored_reply(&mut *self.pool.get()?, idem)
    }

    fn keep_reply(
        &self,
        idem: Idem<'_>,
        response: &str,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        check_idem(&idem)?;
        self.write(|tx| {
            if let Some(first) = lock_reply(tx, idem)? {
                return Ok(first);
            }
            keep_reply(tx, idem, response, now)?;
            Ok(response.to_string())
        })
    }
}

impl KioskScope for PgStore {
    fn kiosk_scope(&self, kiosk: &str) -> Result<Vec<String>, StoreError> {
        let mut c = self.pool.get()?;
        let Some(own) = c.query_opt("SELECT township FROM kiosks WHERE id = $1", &[&kiosk])? else {
            return Ok(vec![]);
        };
        let mut scope: Vec<String> = vec![own.get(0)];
        for r in c.query(
            "SELECT township FROM kiosk_serves WHERE kiosk_id = $1 ORDER BY township",
            &[&kiosk],
        )? {
            let t: String = r.get(0);
            if !scope.contains(&t) {
                scope.push(t);
            }
        }
        Ok(scope)
    }

    fn set_kiosk_serves(
        &self,
        kiosk: &str,
        townships: &[String],
        actor: &str,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            // the kiosk's row stays locked until commit: two instances setting one kiosk's
            // scope apply one after the other, each list whole
            if tx
                .query_opt("SELECT 1 FROM kiosks WHERE id = $1 FOR UPDATE", &[&kiosk])?
                .is_none()
            {
                return Err(StoreError::NotFound(format!("no kiosk '{kiosk}'")));
            }
            for t in townships {
                if !township_exists(tx, t)? {
                    return Err(StoreError::NotFound(format!(
                        "township '{t}' is not registered"
                    )));
                }
            }
            tx.execute("DELETE FROM kiosk_serves WHERE kiosk_id = $1", &[&kiosk])?;
            for t in townships {
                tx.execute(
                    "INSERT INTO kiosk_serves (kiosk_id, township) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&kiosk, t],
                )?;
            }
            append_audit(
                tx,
                &self.keys,
                Utc::now(),
                actor,
                "kiosk.scope",
                kiosk,
                &serde_json::json!({ "serves": townships }).to_string(),
            )?;
            Ok(())
        })
    }
}
