//! [`ConsoleStore`] on PostgreSQL: the console's reads and its logout, as on SQLite
//! (`store/console.rs`). A case's files are read from the database, whichever instance stored
//! them.

use chrono::{DateTime, Utc};

use super::certification::open_text;
use super::{Db as _, PgStore, append_audit, sealed};
use crate::store::{
    CaseFile, CaseSigner, ConsoleStore, KioskActivity, MonthCount, StoreError, Township,
    enum_parse, parse_time,
};

fn count(n: i64) -> u64 {
    n.max(0) as u64
}

impl ConsoleStore for PgStore {
    fn end_session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.write(|tx| {
            let Some(row) = tx.query_opt(
                "DELETE FROM sessions WHERE token_hash = $1 RETURNING username, expires_at",
                &[&token_hash],
            )?
            else {
                return Ok(false);
            };
            let (user, expires): (String, i64) = (row.get(0), row.get(1));
            if expires <= now.timestamp() {
                return Ok(false);
            }
            append_audit(
                tx,
                &self.keys,
                now,
                &format!("staff:{user}"),
                "staff.logout",
                &user,
                "{}",
            )?;
            Ok(true)
        })
    }

    fn townships(&self) -> Result<Vec<Township>, StoreError> {
        Ok(self
            .pool
            .get()?
            .query(
                "SELECT code, name, hotline, report_phone, delegated FROM townships ORDER BY code",
                &[],
            )?
            .iter()
            .map(|r| Township {
                code: r.get(0),
                name: r.get(1),
                hotline: r.get(2),
                report_phone: r.get(3),
                delegated: r.get(4),
            })
            .collect())
    }

    fn case_files(&self, case: &str) -> Result<Vec<CaseFile>, StoreError> {
        Ok(self
            .pool
            .get()?
            .query(
                "SELECT m.sha256, m.content_type, m.size, m.created_at FROM case_materials cm
                 JOIN materials m ON m.sha256 = cm.sha256 WHERE cm.case_id = $1
                 ORDER BY m.created_at, m.sha256",
                &[&case],
            )?
            .iter()
            .map(|r| CaseFile {
                sha256: r.get(0),
                content_type: r.get(1),
                size: count(r.get(2)),
                stored_at: r.get(3),
            })
            .collect())
    }

    fn case_material(
        &self,
        case: &str,
        sha256: &str,
    ) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let row = self.pool.get()?.query_opt(
            "SELECT m.content_type, m.data FROM case_materials cm
             JOIN materials m ON m.sha256 = cm.sha256 WHERE cm.case_id = $1 AND cm.sha256 = $2",
            &[&case, &sha256],
        )?;
        row.map(|r| {
            let data = sealed::open_blob(&self.keys, "materials.data", Some(r.get(1)))
                .map_err(|e| StoreError::Invalid(e.to_string()))?
                .unwrap_or_default();
            Ok((r.get(0), data))
        })
        .transpose()
    }

    fn case_signers(&self, case: &str) -> Result<Vec<CaseSigner>, StoreError> {
        self.pool
            .get()?
            .query(
                "SELECT name, role, signed_at, signed_by FROM case_people WHERE case_id = $1 ORDER BY seq",
                &[&case],
            )?
            .iter()
            .map(|r| {
                Ok(CaseSigner {
                    name: open_text(&self.keys, "case_people.name", r.get(0))?,
                    role: r.get(1),
                    signed_at: r.get(2),
                    signed_by: r.get(3),
                })
            })
            .collect()
    }

    fn cases_touched_by(&self, actor: &str) -> Result<Vec<String>, StoreError> {
        Ok(self
            .pool
            .get()?
            .query(
                "SELECT DISTINCT a.subject FROM audit a JOIN cases c ON c.id = a.subject WHERE a.actor = $1",
                &[&actor],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn kiosk_activity(&self, township: Option<&str>) -> Result<Vec<KioskActivity>, StoreError> {
        let rows = self.pool.get()?.query(
            "SELECT k.id, k.township, k.revoked_at IS NOT NULL,
                    (SELECT max(seen_at) FROM nonces n WHERE n.kiosk_id = k.id),
                    (SELECT max(at) FROM audit a WHERE a.actor = 'kiosk:' || k.id),
                    (SELECT count(*) FROM audit a WHERE a.actor = 'kiosk:' || k.id AND a.action = 'template.released'),
                    (SELECT max(at) FROM audit a WHERE a.actor = 'kiosk:' || k.id AND a.action = 'template.released'),
                    (SELECT count(*) FROM help_calls h WHERE h.kiosk_id = k.id AND h.acknowledged_at IS NULL),
                    (SELECT min(raised_at) FROM help_calls h WHERE h.kiosk_id = k.id AND h.acknowledged_at IS NULL)
             FROM kiosks k WHERE $1::text IS NULL OR k.township = $1 ORDER BY k.township, k.id",
            &[&township],
        )?;
        rows.iter()
            .map(|r| {
                let nonce: Option<i64> = r.get(3);
                let nonce = nonce.and_then(|s| DateTime::from_timestamp(s, 0));
                let written: Option<String> = r.get(4);
                let written = written.map(parse_time).transpose()?;
                let last_release: Option<String> = r.get(6);
                Ok(KioskActivity {
                    id: r.get(0),
                    township: r.get(1),
                    revoked: r.get(2),
                    last_contact: nonce.max(written),
                    releases: count(r.get(5)),
                    last_release: last_release.map(parse_time).transpose()?,
                    open_help_calls: count(r.get(7)),
                    waiting_since: r.get(8),
                })
            })
            .collect()
    }

    fn monthly_counts(&self, township: Option<&str>) -> Result<Vec<MonthCount>, StoreError> {
        self.pool
            .get()?
            .query(
                "SELECT to_char(submitted_at AT TIME ZONE 'UTC', 'YYYY-MM'), assistance_type, count(*)
                 FROM cases WHERE $1::text IS NULL OR township = $1 GROUP BY 1, 2 ORDER BY 1, 2",
                &[&township],
            )?
            .iter()
            .map(|r| {
                Ok(MonthCount {
                    month: r.get(0),
                    assistance_type: enum_parse(r.get(1))?,
                    count: count(r.get(2)),
                })
            })
            .collect()
    }
}
