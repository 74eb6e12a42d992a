//! What the township office console (`crate::console`) reads beyond the kiosk and staff API:
//! a case's files and signatures, the townships, the kiosks' activity, counts by month, and the
//! end of a session. A supertrait of [`Store`](super::Store), so the console works on the same
//! `Arc<dyn Store>` as the API.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{
    SqliteStore, StoreError, Township, audit, col, enum_parse, mask_name, now_str, parse_time,
};
use jiuzhu_core::api::AssistanceType;

/// A file uploaded to a case (its bytes are read with [`ConsoleStore::case_material`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFile {
    /// SHA-256 (hex) of the content; the file's name in the store.
    pub sha256: String,
    /// `image/jpeg`, `image/png` or `application/pdf` (checked by content at upload).
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
    /// When it was first stored.
    pub stored_at: DateTime<Utc>,
}

/// One person on a case and their signature of the verification authorization.
#[derive(Clone, PartialEq, Eq)]
pub struct CaseSigner {
    /// Name (full: staff of the case's township see it).
    pub name: String,
    /// Role on the case (`applicant`, `spouse`, `agent`, …).
    pub role: String,
    /// When they signed.
    pub signed_at: Option<DateTime<Utc>>,
    /// How (`fingerprint`, `face`, …).
    pub signed_by: Option<String>,
}

impl std::fmt::Debug for CaseSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaseSigner")
            .field("name", &mask_name(&self.name))
            .field("role", &self.role)
            .field("signed_at", &self.signed_at)
            .finish()
    }
}

/// What central knows of a kiosk's activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskActivity {
    /// Kiosk id.
    pub id: String,
    /// Township it stands in.
    pub township: String,
    /// Whether it was revoked.
    pub revoked: bool,
    /// The last signed request (nonces are kept ~11 minutes) or stored change it made.
    pub last_contact: Option<DateTime<Utc>>,
    /// Reference templates released to it (`template.released` audit rows).
    pub releases: u64,
    /// The last release.
    pub last_release: Option<DateTime<Utc>>,
    /// Staff calls (呼叫工作人员) raised at it and not yet acknowledged.
    pub open_help_calls: u64,
    /// Since when the oldest of them waits.
    pub waiting_since: Option<DateTime<Utc>>,
}

/// Cases submitted in one month of one assistance type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthCount {
    /// `YYYY-MM` (UTC).
    pub month: String,
    /// Assistance type.
    pub assistance_type: AssistanceType,
    /// How many.
    pub count: u64,
}

/// The console's reads and its logout (see the module comment).
pub trait ConsoleStore {
    /// Ends a session (logout) with an audit row `staff.logout`; `false` when it was not live.
    fn end_session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Every township, by code.
    fn townships(&self) -> Result<Vec<Township>, StoreError>;
    /// Files uploaded to a case, oldest first.
    fn case_files(&self, case: &str) -> Result<Vec<CaseFile>, StoreError>;
    /// A file's content type and bytes, only when it is linked to `case`.
    fn case_material(
        &self,
        case: &str,
        sha256: &str,
    ) -> Result<Option<(String, Vec<u8>)>, StoreError>;
    /// The people on a case with their signatures, in the order they were recorded.
    fn case_signers(&self, case: &str) -> Result<Vec<CaseSigner>, StoreError>;
    /// Ids of the cases on which `actor` (`staff:<name>`) wrote an audit row.
    fn cases_touched_by(&self, actor: &str) -> Result<Vec<String>, StoreError>;
    /// Kiosks of a township (all with `None`) and their activity.
    fn kiosk_activity(&self, township: Option<&str>) -> Result<Vec<KioskActivity>, StoreError>;
    /// Submitted cases by month and type, oldest month first (all townships with `None`).
    fn monthly_counts(&self, township: Option<&str>) -> Result<Vec<MonthCount>, StoreError>;
}

impl ConsoleStore for SqliteStore {
    fn end_session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.write(|tx| {
            let user: Option<String> = tx
                .query_row(
                    "SELECT username FROM sessions WHERE token_hash = ?1 AND expires_at > ?2",
                    params![token_hash, now.timestamp()],
                    |r| r.get(0),
                )
                .optional()?;
            tx.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
            let Some(user) = user else { return Ok(false) };
            audit::append(
                tx,
                &now_str(now),
                &format!("staff:{user}"),
                "staff.logout",
                &user,
                "{}",
            )?;
            Ok(true)
        })
    }

    fn townships(&self) -> Result<Vec<Township>, StoreError> {
        let c = self.read();
        let mut st = c.prepare_cached(
            "SELECT code, name, hotline, report_phone, delegated FROM townships ORDER BY code",
        )?;
        let rows = st.query_map([], |r| {
            Ok(Township {
                code: r.get(0)?,
                name: r.get(1)?,
                hotline: r.get(2)?,
                report_phone: r.get(3)?,
                delegated: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn case_files(&self, case: &str) -> Result<Vec<CaseFile>, StoreError> {
        let c = self.read();
        let mut st = c.prepare_cached(
            "SELECT m.sha256, m.content_type, m.size, m.created_at FROM case_materials cm
             JOIN materials m ON m.sha256 = cm.sha256 WHERE cm.case_id = ?1
             ORDER BY m.created_at, m.sha256",
        )?;
        let rows = st.query_map([case], |r| {
            Ok(CaseFile {
                sha256: r.get(0)?,
                content_type: r.get(1)?,
                size: r.get::<_, i64>(2)?.max(0) as u64,
                stored_at: col(r, 3, parse_time)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn case_material(
        &self,
        case: &str,
        sha256: &str,
    ) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        Ok(self
            .read()
            .prepare_cached(
                "SELECT m.content_type, jz_open_blob(m.data, 'materials.data') FROM case_materials cm
                 JOIN materials m ON m.sha256 = cm.sha256 WHERE cm.case_id = ?1 AND cm.sha256 = ?2",
            )?
            .query_row(params![case, sha256], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    fn case_signers(&self, case: &str) -> Result<Vec<CaseSigner>, StoreError> {
        let c = self.read();
        let mut st = c.prepare_cached(
            "SELECT jz_open(name, 'case_people.name'), role, signed_at, signed_by FROM case_people WHERE case_id = ?1 ORDER BY rowid",
        )?;
        let rows = st.query_map([case], |r| {
            Ok(CaseSigner {
                name: r.get(0)?,
                role: r.get(1)?,
                signed_at: col(r, 2, |s: Option<String>| s.map(parse_time).transpose())?,
                signed_by: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn cases_touched_by(&self, actor: &str) -> Result<Vec<String>, StoreError> {
        let c = self.read();
        let mut st = c.prepare_cached(
            "SELECT DISTINCT a.subject FROM audit a JOIN cases c ON c.id = a.subject WHERE a.actor = ?1",
        )?;
        let rows = st.query_map([actor], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn kiosk_activity(&self, township: Option<&str>) -> Result<Vec<KioskActivity>, StoreError> {
        let c = self.read();
        let mut st = c.prepare_cached(
            "SELECT k.id, k.township, k.revoked_at IS NOT NULL,
                    (SELECT max(seen_at) FROM nonces n WHERE n.kiosk_id = k.id),
                    (SELECT max(at) FROM audit a WHERE a.actor = 'kiosk:' || k.id),
                    (SELECT count(*) FROM audit a WHERE a.actor = 'kiosk:' || k.id AND a.action = 'template.released'),
                    (SELECT max(at) FROM audit a WHERE a.actor = 'kiosk:' || k.id AND a.action = 'template.released'),
                    (SELECT count(*) FROM help_calls h WHERE h.kiosk_id = k.id AND h.acknowledged_at IS NULL),
                    (SELECT min(raised_at) FROM help_calls h WHERE h.kiosk_id = k.id AND h.acknowledged_at IS NULL)
             FROM kiosks k WHERE ?1 IS NULL OR k.township = ?1 ORDER BY k.township, k.id",
        )?;
        let rows = st.query_map([township], |r| {
            let nonce: Option<i64> = r.get(3)?;
            let nonce = nonce.and_then(|s| DateTime::from_timestamp(s, 0));
            let written = col(r, 4, |s: Option<String>| s.map(parse_time).transpose())?;
            Ok(KioskActivity {
                id: r.get(0)?,
                township: r.get(1)?,
                revoked: r.get(2)?,
                last_contact: nonce.max(written),
                releases: r.get::<_, i64>(5)?.max(0) as u64,
                last_release: col(r, 6, |s: Option<String>| s.map(parse_time).transpose())?,
                open_help_calls: r.get::<_, i64>(7)?.max(0) as u64,
                waiting_since: col(r, 8, |s: Option<String>| s.map(parse_time).transpose())?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn monthly_counts(&self, township: Option<&str>) -> Result<Vec<MonthCount>, StoreError> {
        let c = self.read();
        let mut st = c.prepare_cached(
            "SELECT substr(submitted_at, 1, 7), assistance_type, count(*) FROM cases
             WHERE ?1 IS NULL OR township = ?1 GROUP BY 1, 2 ORDER BY 1, 2",
        )?;
        let rows = st.query_map([township], |r| {
            Ok(MonthCount {
                month: r.get(0)?,
                assistance_type: col(r, 1, |s: String| enum_parse(&s))?,
                count: r.get::<_, i64>(2)?.max(0) as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Staff;
    use crate::store::prelude::*;
    use jiuzhu_core::api::StaffRole;

    #[test]
    fn logout_ends_the_session_once_and_is_audited() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&dir.path().join("c.db")).unwrap();
        s.put_township(
            &Township {
                code: "500102900".into(),
                name: "镇".into(),
                hotline: "1".into(),
                report_phone: "2".into(),
                delegated: true,
            },
            "test",
        )
        .unwrap();
        let staff = Staff {
            username: "clerk".into(),
            role: StaffRole::TownshipClerk,
            township: Some("500102900".into()),
        };
        s.add_staff(&staff, "x", "test").unwrap();
        let now = Utc::now();
        s.add_session("h", "clerk", now.timestamp() + 60).unwrap();
        assert_eq!(s.session("h", now.timestamp()).unwrap(), Some(staff));
        assert!(s.end_session("h", now).unwrap());
        assert_eq!(s.session("h", now.timestamp()).unwrap(), None);
        assert!(!s.end_session("h", now).unwrap());
        let logouts: i64 = s.with_conn(|c| {
            c.query_row(
                "SELECT count(*) FROM audit WHERE action = 'staff.logout'",
                [],
                |r| r.get(0),
            )
            .unwrap()
        });
        assert_eq!(logouts, 1);
        assert_eq!(s.verify_audit().unwrap(), 4);
    }
}
