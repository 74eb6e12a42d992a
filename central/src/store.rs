//! Storage behind the [`Store`] trait; [`SqliteStore`] is the embedded default (WAL mode,
//! timestamped migrations in `central/migrations/`, never edited once released). Every change
//! and its audit row are written in one transaction.

use std::path::Path;
use std::sync::Mutex;

use chrono::{DateTime, Months, NaiveDate, Utc};
use jiuzhu_core::api::{
    AssistanceType, CaseSummary, CertificationStatus, DeadlineColour, HistoryEntry, Modality,
    NoticeEntry, StaffRole, TownshipStatistics,
};
use jiuzhu_core::calendar::Calendar;
use rusqlite::{Connection, OptionalExtension, params};

use crate::audit;

/// The migrations, in order: (version, SQL).
pub const MIGRATIONS: &[(&str, &str)] = &[(
    "20261127_0001_init",
    include_str!("../migrations/20261127_0001_init.sql"),
)];

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The change conflicts with what is stored.
    #[error("{0}")]
    Conflict(String),
    /// The request is well-formed but not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// SQLite failed.
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    /// The audit chain is broken.
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
}

/// A township.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Township {
    /// Code.
    pub code: String,
    /// Name, e.g. 涪陵区江东街道.
    pub name: String,
    /// Hotline.
    pub hotline: String,
    /// 举报 number.
    pub report_phone: String,
    /// Whether confirmation is delegated to the township.
    pub delegated: bool,
}

/// A registered kiosk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kiosk {
    /// Id (the `X-Jiuzhu-Kiosk` value).
    pub id: String,
    /// Township it stands in.
    pub township: String,
    /// Ed25519 public key.
    pub pubkey: [u8; 32],
    /// Whether revoked.
    pub revoked: bool,
}

/// A staff account (without its password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    /// Account name.
    pub username: String,
    /// Role.
    pub role: StaffRole,
    /// Township scope; `None` for the district bureau.
    pub township: Option<String>,
}

/// A person on a new case (full values; stored, never logged).
#[derive(Clone)]
pub struct NewPerson {
    /// Identity number.
    pub id_number: String,
    /// Name.
    pub name: String,
    /// `applicant`, `agent` or the member's relation.
    pub role: String,
}

/// A case to create.
pub struct NewCase {
    /// Township.
    pub township: String,
    /// Assistance type.
    pub assistance_type: AssistanceType,
    /// Applicant's number.
    pub applicant_id: String,
    /// Agent's number.
    pub agent_id: Option<String>,
    /// Everyone on the case: applicant, agent, members.
    pub people: Vec<NewPerson>,
    /// The request as submitted (JSON), archived.
    pub payload: String,
}

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

/// Everything the HTTP layer needs from storage.
pub trait Store: Send + Sync {
    /// Adds or replaces a township.
    fn put_township(&self, t: &Township, actor: &str) -> Result<(), StoreError>;
    /// A township by code.
    fn township(&self, code: &str) -> Result<Option<Township>, StoreError>;
    /// Registers a kiosk.
    fn add_kiosk(
        &self,
        id: &str,
        township: &str,
        key: &[u8; 32],
        actor: &str,
    ) -> Result<(), StoreError>;
    /// Revokes a kiosk.
    fn revoke_kiosk(&self, id: &str, actor: &str) -> Result<(), StoreError>;
    /// A kiosk by id.
    fn kiosk(&self, id: &str) -> Result<Option<Kiosk>, StoreError>;
    /// Records a nonce; `false` when it was seen before. Forgets nonces older than `forget_before`.
    fn remember_nonce(
        &self,
        kiosk: &str,
        nonce: &str,
        now: i64,
        forget_before: i64,
    ) -> Result<bool, StoreError>;
    /// Adds a staff account with an argon2id PHC hash.
    fn add_staff(&self, s: &Staff, password_hash: &str, actor: &str) -> Result<(), StoreError>;
    /// A staff account and its password hash.
    fn staff_with_hash(&self, username: &str) -> Result<Option<(Staff, String)>, StoreError>;
    /// Stores a session.
    fn add_session(&self, token_hash: &str, username: &str, expires: i64)
    -> Result<(), StoreError>;
    /// The account behind a live session.
    fn session(&self, token_hash: &str, now: i64) -> Result<Option<Staff>, StoreError>;
    /// Creates a case, or returns the first answer for a repeated idempotency key
    /// (`(case_id, response_json, created)`); the response is the new case's [`CaseSummary`].
    fn submit(
        &self,
        kiosk: &str,
        key: &str,
        case: NewCase,
        now: DateTime<Utc>,
        due: Option<NaiveDate>,
    ) -> Result<(String, String, bool), StoreError>;
    /// A case summary.
    fn case_summary(&self, id: &str) -> Result<Option<CaseSummary>, StoreError>;
    /// Records a member's signature; the signer must be on the case.
    fn sign(
        &self,
        case: &str,
        id_number: &str,
        how: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Stores a material (content-addressed) and links it to a case.
    fn add_material(
        &self,
        case: &str,
        sha256: &str,
        content_type: &str,
        data: &[u8],
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Cases of a person, newest first; with `agent`, only those where that agent is recorded.
    fn cases_of(
        &self,
        id_number: &str,
        agent: Option<&str>,
    ) -> Result<Vec<CaseSummary>, StoreError>;
    /// Township queue: overdue first, then red, amber, green, then oldest.
    fn queue(&self, township: &str) -> Result<Vec<CaseSummary>, StoreError>;
    /// Recomputes deadline colours of open cases for `today`; returns how many changed.
    fn scan_deadlines(&self, cal: &Calendar, today: NaiveDate) -> Result<usize, StoreError>;
    /// Counts for a township.
    fn statistics(&self, township: &str) -> Result<TownshipStatistics, StoreError>;
    /// History of a case from the audit log.
    fn history(&self, case: &str) -> Result<Vec<HistoryEntry>, StoreError>;
    /// Appends a staff action to the audit log.
    fn record(
        &self,
        actor: &str,
        action: &str,
        subject: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
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
    /// Records a certification attempt; certifies on success.
    fn record_certification(
        &self,
        id_number: &str,
        kiosk: &str,
        mode: &str,
        modality: Option<&str>,
        certified: bool,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Stores an enrolled template.
    fn put_template(
        &self,
        id_number: &str,
        modality: Modality,
        data: &[u8],
        actor: &str,
    ) -> Result<(), StoreError>;
    /// An enrolled template.
    fn template(&self, id_number: &str, modality: Modality) -> Result<Option<Vec<u8>>, StoreError>;
    /// The 公布 list of a township: current recipients, masked.
    fn publication(&self, township: &str) -> Result<Vec<NoticeEntry>, StoreError>;
    /// Verifies the audit chain; the number of rows.
    fn verify_audit(&self) -> Result<i64, StoreError>;
}

/// The SQLite store.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

fn role_str(r: StaffRole) -> &'static str {
    match r {
        StaffRole::VillageHelper => "village_helper",
        StaffRole::TownshipClerk => "township_clerk",
        StaffRole::TownshipLeader => "township_leader",
        StaffRole::DistrictBureau => "district_bureau",
    }
}

/// Parses a role name as stored and as given on the command line.
pub fn parse_role(s: &str) -> Option<StaffRole> {
    Some(match s {
        "village_helper" => StaffRole::VillageHelper,
        "township_clerk" => StaffRole::TownshipClerk,
        "township_leader" => StaffRole::TownshipLeader,
        "district_bureau" => StaffRole::DistrictBureau,
        _ => return None,
    })
}

fn enum_str<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn enum_parse<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| StoreError::Invalid(format!("stored value '{s}' is not recognised")))
}

fn mask_name(name: &str) -> String {
    jiuzhu_core::id::PersonName::new(name)
        .map(|n| n.masked())
        .unwrap_or_else(|_| "*".into())
}

/// Deadline colour for `remaining` of `allowed` working days (domain.md §2).
pub fn colour_for(remaining: i64, allowed: i64) -> DeadlineColour {
    if remaining < 0 {
        return DeadlineColour::Overdue;
    }
    let pct = remaining as f64 * 100.0 / allowed.max(1) as f64;
    if pct > 25.0 {
        DeadlineColour::Green
    } else if pct >= 10.0 {
        DeadlineColour::Amber
    } else {
        DeadlineColour::Red
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, in WAL mode, and migrates it.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Self::migrate(&conn)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    fn migrate(conn: &Connection) -> Result<(), StoreError> {
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)",
        )?;
        for (version, sql) in MIGRATIONS {
            let done: Option<String> = conn
                .query_row(
                    "SELECT version FROM schema_migrations WHERE version = ?1",
                    [version],
                    |r| r.get(0),
                )
                .optional()?;
            if done.is_none() {
                let tx = conn.unchecked_transaction()?;
                tx.execute_batch(sql)?;
                tx.execute(
                    "INSERT INTO schema_migrations VALUES (?1, ?2)",
                    params![version, Utc::now().to_rfc3339()],
                )?;
                tx.commit()?;
            }
        }
        Ok(())
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the raw connection (administration and tests).
    pub fn with_conn<R>(&self, f: impl FnOnce(&Connection) -> R) -> R {
        f(&self.conn())
    }

    fn summary_row(conn: &Connection, id: &str) -> Result<Option<CaseSummary>, StoreError> {
        let row = conn
            .prepare_cached(
                "SELECT c.id, c.township, c.assistance_type, c.state, c.submitted_at, c.due, c.colour,
                        t.hotline, t.report_phone,
                        (SELECT count(*) FROM case_materials m WHERE m.case_id = c.id)
                 FROM cases c JOIN townships t ON t.code = c.township WHERE c.id = ?1",
            )?
            .query_row([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, u32>(9)?,
                ))
            })
            .optional()?;
        let Some((id, township, ty, state, at, due, colour, hotline, report, materials)) = row
        else {
            return Ok(None);
        };
        let pending: Vec<String> = conn
            .prepare_cached(
                "SELECT name FROM case_people WHERE case_id = ?1 AND role != 'agent' AND signed_at IS NULL ORDER BY rowid",
            )?
            .query_map([&id], |r| r.get::<_, String>(0))?
            .map(|n| n.map(|n| mask_name(&n)))
            .collect::<Result<_, _>>()?;
        Ok(Some(CaseSummary {
            case_id: id,
            township,
            assistance_type: enum_parse(&ty)?,
            state,
            submitted_at: DateTime::parse_from_rfc3339(&at)
                .map_err(|e| StoreError::Invalid(e.to_string()))?
                .with_timezone(&Utc),
            due: due.and_then(|d| d.parse().ok()),
            colour: colour.map(|c| enum_parse(&c)).transpose()?,
            pending_signatures: pending,
            materials,
            hotline,
            report_phone: report,
        }))
    }

    fn summaries(conn: &Connection, ids: Vec<String>) -> Result<Vec<CaseSummary>, StoreError> {
        ids.iter()
            .filter_map(|id| Self::summary_row(conn, id).transpose())
            .collect()
    }
}

fn now_str(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

impl Store for SqliteStore {
    fn put_township(&self, t: &Township, actor: &str) -> Result<(), StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        tx.execute(
            "INSERT INTO townships VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(code) DO UPDATE SET name = excluded.name, hotline = excluded.hotline,
               report_phone = excluded.report_phone, delegated = excluded.delegated",
            params![t.code, t.name, t.hotline, t.report_phone, t.delegated],
        )?;
        audit::append(
            &tx,
            &now_str(Utc::now()),
            actor,
            "township.put",
            &t.code,
            "{}",
        )?;
        tx.commit()?;
        Ok(())
    }

    fn township(&self, code: &str) -> Result<Option<Township>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached("SELECT code, name, hotline, report_phone, delegated FROM townships WHERE code = ?1")?
            .query_row([code], |r| {
                Ok(Township {
                    code: r.get(0)?,
                    name: r.get(1)?,
                    hotline: r.get(2)?,
                    report_phone: r.get(3)?,
                    delegated: r.get(4)?,
                })
            })
            .optional()?)
    }

    fn add_kiosk(
        &self,
        id: &str,
        township: &str,
        key: &[u8; 32],
        actor: &str,
    ) -> Result<(), StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        let exists: bool = tx.query_row(
            "SELECT count(*) FROM townships WHERE code = ?1",
            [township],
            |r| r.get::<_, i64>(0),
        )? > 0;
        if !exists {
            return Err(StoreError::NotFound(format!(
                "township '{township}' is not registered"
            )));
        }
        let n = tx.execute(
            "INSERT OR IGNORE INTO kiosks (id, township, pubkey, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![id, township, key.as_slice(), now_str(Utc::now())],
        )?;
        if n == 0 {
            return Err(StoreError::Conflict(format!(
                "kiosk '{id}' is already registered; revoke it or choose another name"
            )));
        }
        audit::append(
            &tx,
            &now_str(Utc::now()),
            actor,
            "kiosk.add",
            id,
            &format!("{{\"pubkey\":\"{}\"}}", hex::encode(key)),
        )?;
        tx.commit()?;
        Ok(())
    }

    fn revoke_kiosk(&self, id: &str, actor: &str) -> Result<(), StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        let n = tx.execute(
            "UPDATE kiosks SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![id, now_str(Utc::now())],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("no active kiosk '{id}'")));
        }
        audit::append(&tx, &now_str(Utc::now()), actor, "kiosk.revoke", id, "{}")?;
        tx.commit()?;
        Ok(())
    }

    fn kiosk(&self, id: &str) -> Result<Option<Kiosk>, StoreError> {
        let row = self
            .conn()
            .prepare_cached(
                "SELECT id, township, pubkey, revoked_at IS NOT NULL FROM kiosks WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                    r.get::<_, bool>(3)?,
                ))
            })
            .optional()?;
        row.map(|(id, township, key, revoked)| {
            let pubkey = key
                .try_into()
                .map_err(|_| StoreError::Invalid(format!("kiosk '{id}' has a malformed key")))?;
            Ok(Kiosk {
                id,
                township,
                pubkey,
                revoked,
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
        let c = self.conn();
        if now % 64 == 0 {
            c.prepare_cached("DELETE FROM nonces WHERE seen_at < ?1")?
                .execute([forget_before])?;
        }
        let n = c
            .prepare_cached("INSERT OR IGNORE INTO nonces VALUES (?1, ?2, ?3)")?
            .execute(params![kiosk, nonce, now])?;
        Ok(n == 1)
    }

    fn add_staff(&self, s: &Staff, password_hash: &str, actor: &str) -> Result<(), StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        let n = tx.execute(
            "INSERT OR IGNORE INTO staff VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                s.username,
                password_hash,
                role_str(s.role),
                s.township,
                now_str(Utc::now())
            ],
        )?;
        if n == 0 {
            return Err(StoreError::Conflict(format!(
                "staff account '{}' exists",
                s.username
            )));
        }
        audit::append(
            &tx,
            &now_str(Utc::now()),
            actor,
            "staff.add",
            &s.username,
            &format!("{{\"role\":\"{}\"}}", role_str(s.role)),
        )?;
        tx.commit()?;
        Ok(())
    }

    fn staff_with_hash(&self, username: &str) -> Result<Option<(Staff, String)>, StoreError> {
        let row = self
            .conn()
            .prepare_cached(
                "SELECT username, role, township, password_hash FROM staff WHERE username = ?1",
            )?
            .query_row([username], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .optional()?;
        row.map(|(username, role, township, hash)| {
            let role = parse_role(&role)
                .ok_or_else(|| StoreError::Invalid(format!("unknown role {role}")))?;
            Ok((
                Staff {
                    username,
                    role,
                    township,
                },
                hash,
            ))
        })
        .transpose()
    }

    fn add_session(
        &self,
        token_hash: &str,
        username: &str,
        expires: i64,
    ) -> Result<(), StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        tx.execute(
            "DELETE FROM sessions WHERE expires_at < ?1",
            [Utc::now().timestamp()],
        )?;
        tx.execute(
            "INSERT INTO sessions VALUES (?1, ?2, ?3)",
            params![token_hash, username, expires],
        )?;
        audit::append(
            &tx,
            &now_str(Utc::now()),
            &format!("staff:{username}"),
            "staff.login",
            username,
            "{}",
        )?;
        tx.commit()?;
        Ok(())
    }

    fn session(&self, token_hash: &str, now: i64) -> Result<Option<Staff>, StoreError> {
        let row = self
            .conn()
            .prepare_cached(
                "SELECT s.username, s.role, s.township FROM sessions x JOIN staff s ON s.username = x.username
                 WHERE x.token_hash = ?1 AND x.expires_at > ?2",
            )?
            .query_row(params![token_hash, now], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?))
            })
            .optional()?;
        row.map(|(username, role, township)| {
            let role = parse_role(&role)
                .ok_or_else(|| StoreError::Invalid(format!("unknown role {role}")))?;
            Ok(Staff {
                username,
                role,
                township,
            })
        })
        .transpose()
    }

    fn submit(
        &self,
        kiosk: &str,
        key: &str,
        case: NewCase,
        now: DateTime<Utc>,
        due: Option<NaiveDate>,
    ) -> Result<(String, String, bool), StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        let prior: Option<(String, String)> = tx
            .prepare_cached(
                "SELECT case_id, response FROM idempotency WHERE kiosk_id = ?1 AND key = ?2",
            )?
            .query_row(params![kiosk, key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((id, resp)) = prior {
            return Ok((id, resp, false));
        }
        let exists: i64 = tx.query_row(
            "SELECT count(*) FROM townships WHERE code = ?1",
            [&case.township],
            |r| r.get(0),
        )?;
        if exists == 0 {
            return Err(StoreError::Invalid(format!(
                "township '{}' is not served by this central service",
                case.township
            )));
        }
        let id = uuid::Uuid::now_v7().to_string();
        let household = case.people.iter().filter(|p| p.role != "agent").count() as u32;
        tx.prepare_cached(
            "INSERT INTO cases (id, township, assistance_type, applicant_id, agent_id, household_size,
               submitted_at, state, due, allowed_days, colour, kiosk_id, payload)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'submitted', ?8, 2, ?9, ?10, ?11)",
        )?
        .execute(params![
            id,
            case.township,
            enum_str(&case.assistance_type),
            case.applicant_id,
            case.agent_id,
            household,
            now_str(now),
            due.map(|d| d.to_string()),
            due.map(|_| "green"),
            kiosk,
            case.payload
        ])?;
        for p in &case.people {
            tx.prepare_cached("INSERT OR IGNORE INTO case_people (case_id, id_number, name, role) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![id, p.id_number, p.name, p.role])?;
        }
        audit::append(
            &tx,
            &now_str(now),
            &format!("kiosk:{kiosk}"),
            "case.submitted",
            &id,
            "{}",
        )?;
        let summary =
            Self::summary_row(&tx, &id)?.ok_or_else(|| StoreError::NotFound(id.clone()))?;
        let resp =
            serde_json::to_string(&summary).map_err(|e| StoreError::Invalid(e.to_string()))?;
        tx.prepare_cached("INSERT INTO idempotency VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![kiosk, key, id, resp])?;
        tx.commit()?;
        Ok((id, resp, true))
    }

    fn case_summary(&self, id: &str) -> Result<Option<CaseSummary>, StoreError> {
        Self::summary_row(&self.conn(), id)
    }

    fn sign(
        &self,
        case: &str,
        id_number: &str,
        how: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        let n = tx.execute(
            "UPDATE case_people SET signed_at = ?3, signed_by = ?4
             WHERE case_id = ?1 AND id_number = ?2 AND role != 'agent' AND signed_at IS NULL",
            params![case, id_number, now_str(now), how],
        )?;
        if n == 0 {
            let on_case: i64 = tx.query_row(
                "SELECT count(*) FROM case_people WHERE case_id = ?1 AND id_number = ?2 AND role != 'agent'",
                params![case, id_number],
                |r| r.get(0),
            )?;
            return Err(if on_case == 0 {
                StoreError::NotFound("the signer is not a member of this case's household".into())
            } else {
                StoreError::Conflict("this member has already signed the authorization".into())
            });
        }
        audit::append(
            &tx,
            &now_str(now),
            actor,
            "case.signed",
            case,
            &format!("{{\"method\":\"{how}\"}}"),
        )?;
        tx.commit()?;
        Ok(())
    }

    fn add_material(
        &self,
        case: &str,
        sha256: &str,
        content_type: &str,
        data: &[u8],
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        let exists: i64 =
            tx.query_row("SELECT count(*) FROM cases WHERE id = ?1", [case], |r| {
                r.get(0)
            })?;
        if exists == 0 {
            return Err(StoreError::NotFound(format!("no case '{case}'")));
        }
        tx.execute(
            "INSERT OR IGNORE INTO materials VALUES (?1, ?2, ?3, ?4, ?5)",
            params![sha256, content_type, data.len() as i64, data, now_str(now)],
        )?;
        tx.execute(
            "INSERT OR IGNORE INTO case_materials VALUES (?1, ?2)",
            params![case, sha256],
        )?;
        audit::append(
            &tx,
            &now_str(now),
            actor,
            "case.material",
            case,
            &format!("{{\"sha256\":\"{sha256}\"}}"),
        )?;
        tx.commit()?;
        Ok(())
    }

    fn cases_of(
        &self,
        id_number: &str,
        agent: Option<&str>,
    ) -> Result<Vec<CaseSummary>, StoreError> {
        let c = self.conn();
        let ids: Vec<String> = match agent {
            None => c
                .prepare_cached(
                    "SELECT DISTINCT c.id FROM cases c JOIN case_people p ON p.case_id = c.id
                     WHERE p.id_number = ?1 AND p.role != 'agent' ORDER BY c.id DESC",
                )?
                .query_map([id_number], |r| r.get(0))?
                .collect::<Result<_, _>>()?,
            Some(a) => c
                .prepare_cached(
                    "SELECT DISTINCT c.id FROM cases c JOIN case_people p ON p.case_id = c.id
                     WHERE p.id_number = ?1 AND p.role != 'agent' AND c.agent_id = ?2 ORDER BY c.id DESC",
                )?
                .query_map([id_number, a], |r| r.get(0))?
                .collect::<Result<_, _>>()?,
        };
        Self::summaries(&c, ids)
    }

    fn queue(&self, township: &str) -> Result<Vec<CaseSummary>, StoreError> {
        let c = self.conn();
        let ids: Vec<String> = c
            .prepare_cached(
                "SELECT id FROM cases WHERE township = ?1 ORDER BY
                   CASE colour WHEN 'overdue' THEN 0 WHEN 'red' THEN 1 WHEN 'amber' THEN 2 WHEN 'green' THEN 3 ELSE 4 END,
                   due, submitted_at",
            )?
            .query_map([township], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Self::summaries(&c, ids)
    }

    fn scan_deadlines(&self, cal: &Calendar, today: NaiveDate) -> Result<usize, StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        let rows: Vec<(String, String, i64, Option<String>)> = tx
            .prepare("SELECT id, due, allowed_days, colour FROM cases WHERE due IS NOT NULL AND allowed_days IS NOT NULL")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?;
        let mut changed = 0;
        for (id, due, allowed, old) in rows {
            let Ok(due) = due.parse::<NaiveDate>() else {
                continue;
            };
            let remaining = if today > due {
                -1
            } else {
                i64::from(cal.working_days_between(today, due).value)
            };
            let colour = enum_str(&colour_for(remaining, allowed));
            if old.as_deref() != Some(colour.as_str()) {
                tx.execute(
                    "UPDATE cases SET colour = ?2 WHERE id = ?1",
                    params![id, colour],
                )?;
                audit::append(
                    &tx,
                    &now_str(Utc::now()),
                    "system:deadline-scanner",
                    "case.deadline",
                    &id,
                    &format!("{{\"colour\":\"{colour}\"}}"),
                )?;
                changed += 1;
            }
        }
        tx.commit()?;
        Ok(changed)
    }

    fn statistics(&self, township: &str) -> Result<TownshipStatistics, StoreError> {
        let c = self.conn();
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
                "SELECT {col}, count(*) FROM cases WHERE township = ?1 AND {col} IS NOT NULL GROUP BY {col}"
            );
            let mut st = c.prepare(&sql)?;
            for row in st.query_map([township], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?))
            })? {
                let (k, v) = row?;
                map.insert(k, v);
            }
        }
        Ok(stats)
    }

    fn history(&self, case: &str) -> Result<Vec<HistoryEntry>, StoreError> {
        let c = self.conn();
        let mut st = c.prepare_cached(
            "SELECT at, actor, action FROM audit WHERE subject = ?1 ORDER BY seq",
        )?;
        let rows = st.query_map([case], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        rows.map(|row| {
            let (at, actor, action) = row?;
            Ok(HistoryEntry {
                at: DateTime::parse_from_rfc3339(&at)
                    .map_err(|e| StoreError::Invalid(e.to_string()))?
                    .with_timezone(&Utc),
                actor,
                action,
            })
        })
        .collect()
    }

    fn record(
        &self,
        actor: &str,
        action: &str,
        subject: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        audit::append(&tx, &now_str(now), actor, action, subject, "{}")?;
        tx.commit()?;
        Ok(())
    }

    fn put_recipient(&self, r: &Recipient, actor: &str) -> Result<(), StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        tx.execute(
            "INSERT INTO recipients VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(id_number) DO UPDATE SET name = excluded.name, township = excluded.township,
               assistance_type = excluded.assistance_type, household_size = excluded.household_size,
               amount_fen = excluded.amount_fen, since = excluded.since, last_certified_on = excluded.last_certified_on",
            params![
                r.id_number,
                r.name,
                r.township,
                enum_str(&r.assistance_type),
                r.household_size,
                r.amount_fen,
                r.since.to_string(),
                r.last_certified_on.map(|d| d.to_string())
            ],
        )?;
        let subject = format!(
            "recipient:{}",
            &hex::encode(sha2::Digest::finalize(
                <sha2::Sha256 as sha2::Digest>::new_with_prefix(r.id_number.as_bytes())
            ))[..16]
        );
        audit::append(
            &tx,
            &now_str(Utc::now()),
            actor,
            "recipient.put",
            &subject,
            "{}",
        )?;
        tx.commit()?;
        Ok(())
    }

    fn recipient(&self, id_number: &str) -> Result<Option<Recipient>, StoreError> {
        let row = self
            .conn()
            .prepare_cached(
                "SELECT id_number, name, township, assistance_type, household_size, amount_fen, since, last_certified_on
                 FROM recipients WHERE id_number = ?1",
            )?
            .query_row([id_number], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, u32>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<String>>(7)?,
                ))
            })
            .optional()?;
        row.map(
            |(id_number, name, township, ty, household_size, amount_fen, since, last)| {
                Ok(Recipient {
                    id_number,
                    name,
                    township,
                    assistance_type: enum_parse(&ty)?,
                    household_size,
                    amount_fen,
                    since: since
                        .parse()
                        .map_err(|_| StoreError::Invalid("bad date".into()))?,
                    last_certified_on: last.and_then(|d| d.parse().ok()),
                })
            },
        )
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
            .conn()
            .prepare_cached(
                "SELECT modality FROM templates WHERE id_number = ?1 ORDER BY modality",
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
        id_number: &str,
        kiosk: &str,
        mode: &str,
        modality: Option<&str>,
        certified: bool,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        tx.execute(
            "INSERT INTO certifications (id_number, at, kiosk_id, mode, modality, certified) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id_number, now_str(now), kiosk, mode, modality, certified],
        )?;
        let cert_id = tx.last_insert_rowid();
        if certified {
            let today = jiuzhu_core::id::today_in_china();
            tx.execute(
                "UPDATE recipients SET last_certified_on = ?2 WHERE id_number = ?1",
                params![id_number, today.to_string()],
            )?;
        }
        audit::append(
            &tx,
            &now_str(now),
            &format!("kiosk:{kiosk}"),
            if certified {
                "certification.passed"
            } else {
                "certification.failed"
            },
            &format!("certification:{cert_id}"),
            &format!("{{\"mode\":\"{mode}\"}}"),
        )?;
        tx.commit()?;
        Ok(())
    }

    fn put_template(
        &self,
        id_number: &str,
        modality: Modality,
        data: &[u8],
        actor: &str,
    ) -> Result<(), StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        tx.execute(
            "INSERT INTO templates VALUES (?1, ?2, ?3) ON CONFLICT(id_number, modality) DO UPDATE SET data = excluded.data",
            params![id_number, enum_str(&modality), data],
        )?;
        audit::append(
            &tx,
            &now_str(Utc::now()),
            actor,
            "template.put",
            &enum_str(&modality),
            "{}",
        )?;
        tx.commit()?;
        Ok(())
    }

    fn template(&self, id_number: &str, modality: Modality) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached("SELECT data FROM templates WHERE id_number = ?1 AND modality = ?2")?
            .query_row(params![id_number, enum_str(&modality)], |r| r.get(0))
            .optional()?)
    }

    fn publication(&self, township: &str) -> Result<Vec<NoticeEntry>, StoreError> {
        let c = self.conn();
        let mut st = c.prepare_cached(
            "SELECT name, township, household_size, assistance_type, amount_fen FROM recipients WHERE township = ?1 ORDER BY since, rowid",
        )?;
        let rows = st.query_map([township], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u32>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        rows.map(|row| {
            let (name, township, household_size, ty, amount) = row?;
            Ok(NoticeEntry {
                masked_name: mask_name(&name),
                township,
                household_size,
                assistance_type: enum_parse(&ty)?,
                amount_fen: Some(amount),
                inclusion: true,
            })
        })
        .collect()
    }

    fn verify_audit(&self) -> Result<i64, StoreError> {
        Ok(audit::verify(&self.conn())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(-1, 20, DeadlineColour::Overdue)]
    #[case(0, 20, DeadlineColour::Red)]
    #[case(1, 20, DeadlineColour::Red)]
    #[case(2, 20, DeadlineColour::Amber)]
    #[case(5, 20, DeadlineColour::Amber)]
    #[case(6, 20, DeadlineColour::Green)]
    #[case(2, 2, DeadlineColour::Green)]
    fn colours(#[case] remaining: i64, #[case] allowed: i64, #[case] want: DeadlineColour) {
        assert_eq!(colour_for(remaining, allowed), want);
    }

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&dir.path().join("c.db")).unwrap();
        (dir, s)
    }

    #[test]
    fn audit_detects_edit_delete_and_truncation() {
        for tamper in [
            "UPDATE audit SET actor = 'someone' WHERE seq = 2",
            "DELETE FROM audit WHERE seq = 2",
            "DELETE FROM audit WHERE seq = 3",
        ] {
            let (_d, s) = store();
            for i in 0..3 {
                s.record("staff:a", "test", &format!("s{i}"), Utc::now())
                    .unwrap();
            }
            assert_eq!(s.verify_audit().unwrap(), 3);
            s.with_conn(|c| c.execute_batch(tamper)).unwrap();
            assert!(s.verify_audit().is_err(), "{tamper} went unnoticed");
        }
    }

    #[test]
    fn migrations_are_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.db");
        drop(SqliteStore::open(&p).unwrap());
        let s = SqliteStore::open(&p).unwrap();
        let n: i64 = s
            .with_conn(|c| c.query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(n, MIGRATIONS.len() as i64);
        let mode: String = s
            .with_conn(|c| c.query_row("PRAGMA journal_mode", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}
