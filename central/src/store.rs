//! Storage behind the [`Store`] trait; [`SqliteStore`] is the embedded default (WAL mode,
//! timestamped migrations in `central/migrations/`, never edited once released). Every change
//! and its audit row are written in one transaction, on the one writer connection; reads use a
//! small pool of read-only connections, so they do not wait for writes.
//!
//! A case is stored as core's [`workflow::Case`] (JSON, the archive) beside indexed columns
//! (state, deadline, colour). Every transition goes through [`workflow::next`] inside the write
//! transaction that stores its result.

use std::path::Path;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Months, NaiveDate, Utc};
use jiuzhu_core::api::{
    AlternativeKind, AlternativeOutcome, AssistanceType, CaseSummary, CertificationStatus,
    DeadlineColour, HistoryEntry, Modality, NoticeEntry, OpenAlternative, StaffRole,
    TownshipStatistics,
};
use jiuzhu_core::calendar::Calendar;
use jiuzhu_core::workflow::{self, Action, Case, CaseState, Event, WorkflowError, china_date};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, Transaction, params};

use crate::audit;
use crate::crypto_at_rest::{self, AtRestKeys, KeysDir};
use crate::evidence::SealedEvidence;

mod console;
mod kiosks;
pub mod pg;
pub use kiosks::*;
mod cases;
pub use cases::*;
mod certification;
pub use certification::*;
mod staff;
pub use staff::*;
mod documents;
mod login;
pub use console::{CaseFile, CaseSigner, ConsoleStore, KioskActivity, MonthCount};
pub use documents::*;
pub use login::{Forget, LoginFailures, LoginThrottleStore};

/// The migrations, in order: (version, SQL).
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "20261127_0001_init",
        include_str!("../migrations/20261127_0001_init.sql"),
    ),
    (
        "20261127_0002_workflow",
        include_str!("../migrations/20261127_0002_workflow.sql"),
    ),
    (
        "20261127_0003_people_index",
        include_str!("../migrations/20261127_0003_people_index.sql"),
    ),
    (
        "20261127_0004_alternatives",
        include_str!("../migrations/20261127_0004_alternatives.sql"),
    ),
    (
        "20261127_0005_guardians",
        include_str!("../migrations/20261127_0005_guardians.sql"),
    ),
    (
        "20261206_0910_kiosk_scope_idempotency_proofs",
        include_str!("../migrations/20261206_0910_kiosk_scope_idempotency_proofs.sql"),
    ),
    (
        "20261206_1701_staff_access",
        include_str!("../migrations/20261206_1701_staff_access.sql"),
    ),
    (
        "20261206_1702_audit_keyed",
        include_str!("../migrations/20261206_1702_audit_keyed.sql"),
    ),
    (
        "20261206_1703_personal_data_sealed",
        include_str!("../migrations/20261206_1703_personal_data_sealed.sql"),
    ),
    (
        "20261206_1801_help_calls",
        include_str!("../migrations/20261206_1801_help_calls.sql"),
    ),
    (
        "20261206_1802_notices",
        include_str!("../migrations/20261206_1802_notices.sql"),
    ),
    (
        "20261206_1803_audit_by_subject",
        include_str!("../migrations/20261206_1803_audit_by_subject.sql"),
    ),
    (
        "20261206_2200_login_failures",
        include_str!("../migrations/20261206_2200_login_failures.sql"),
    ),
];

mod hardening;
pub use hardening::{
    Hardening, MAX_PEOPLE_PER_WINDOW, ProofStanding, RELEASE_WINDOW_SECS, ReleaseRefused,
    SecurityAlert, Standing, TemplateRelease,
};

/// Every trait of the store, for `use jiuzhu_central::store::prelude::*`.
pub mod prelude {
    pub use super::{
        CaseStore, CertificationStore, ConsoleStore, DocumentStore, Hardening, KioskScope,
        KioskStore, LoginThrottleStore, StaffStore, Store,
    };
    pub use crate::help_calls::HelpCallStore;
}

/// Read-only connections in the pool.
pub const READERS: usize = 4;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The change conflicts with what is stored.
    #[error("{0}")]
    Conflict(String),
    /// The change conflicts with what is stored, with a specific machine-readable code.
    #[error("{reason}")]
    Refused {
        /// Stable snake_case code, e.g. `alternative_open`.
        code: &'static str,
        /// What went wrong and what to do.
        reason: String,
    },
    /// The request is well-formed but not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// The request is well-formed but not acceptable, with a specific machine-readable code
    /// (answered 422), e.g. `idempotency_key_reused`.
    #[error("{reason}")]
    Unprocessable {
        /// Stable snake_case code.
        code: &'static str,
        /// What went wrong and what to do.
        reason: String,
    },
    /// The workflow refused the step.
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    /// SQLite failed.
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    /// PostgreSQL failed.
    #[error("database error: {}", pg::message(.0))]
    Postgres(#[from] postgres::Error),
    /// No PostgreSQL connection could be had from the pool.
    #[error("no database connection: {0}")]
    Pool(#[from] r2d2::Error),
    /// The audit chain is broken.
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    /// The keys directory failed.
    #[error(transparent)]
    Keys(#[from] crypto_at_rest::KeyError),
}

/// Everything the HTTP layer needs from storage.
pub trait Store:
    Send
    + Sync
    + KioskStore
    + CaseStore
    + CertificationStore
    + StaffStore
    + DocumentStore
    + ConsoleStore
    + LoginThrottleStore
    + crate::help_calls::HelpCallStore
{
    /// Appends a staff action to the audit log.
    fn record(
        &self,
        actor: &str,
        action: &str,
        subject: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Verifies the audit chain; the number of rows.
    fn verify_audit(&self) -> Result<i64, StoreError>;
    /// The blind index of an identity number (what the database holds instead of it); audit
    /// rows name people by its first 16 characters.
    fn blind_index(&self, id_number: &str) -> String;
    /// Kiosk scope, reference-release limits, alerts, proof revocation (`store/hardening.rs`).
    fn hardening(&self) -> &dyn Hardening;
}

/// The SQLite store: one writer connection and [`READERS`] read-only connections (WAL). The
/// WAL is checkpointed by a background thread on its own connection, so no request waits for a
/// checkpoint's disk sync while holding the writer.
pub struct SqliteStore {
    keys: AtRestKeys,
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    last_nonce_purge: AtomicI64,
    _checkpointer: Checkpointer,
}

/// How often the background thread checkpoints the WAL.
pub const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// Stops the checkpoint thread when the store is dropped.
struct Checkpointer {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Checkpointer {
    fn start(path: &Path) -> Result<Checkpointer, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(CHECKPOINT_EVERY);
                    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                    {
                        tracing::warn!(error = %e, "WAL checkpoint failed");
                    }
                }
            })
            .map_err(|e| StoreError::Invalid(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Checkpointer { stop })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Parses a role name as stored and as given on the command line (staff roles only).
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

/// Reads column `i` and converts it with `f`, reporting a failed conversion as a column error.
pub(crate) fn col<T, U>(
    r: &Row<'_>,
    i: usize,
    f: impl FnOnce(T) -> Result<U, StoreError>,
) -> rusqlite::Result<U>
where
    T: rusqlite::types::FromSql,
{
    f(r.get(i)?).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

pub(crate) fn parse_time(s: String) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(&s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Invalid(e.to_string()))
}

fn parse_date(s: String) -> Result<NaiveDate, StoreError> {
    s.parse()
        .map_err(|_| StoreError::Invalid(format!("stored date '{s}' is malformed")))
}

fn role_col(r: &Row<'_>, i: usize) -> rusqlite::Result<StaffRole> {
    col(r, i, |s: String| {
        parse_role(&s).ok_or_else(|| StoreError::Invalid(format!("unknown role {s}")))
    })
}

/// `SELECT username, role, township` → a staff account.
fn staff_row(r: &Row<'_>) -> rusqlite::Result<Staff> {
    Ok(Staff {
        username: r.get(0)?,
        role: role_col(r, 1)?,
        township: r.get(2)?,
    })
}

fn mask_name(name: &str) -> String {
    jiuzhu_core::id::PersonName::new(name)
        .map(|n| n.masked())
        .unwrap_or_else(|_| "*".into())
}

/// Changes of a case's SMS number allowed in any 24 hours (a stolen card cannot redirect a
/// household's notices over and over).
pub const PHONE_CHANGES_PER_DAY: i64 = 3;

pub(crate) fn now_str(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn case_from_json(json: Option<String>, id: &str) -> Result<Case, StoreError> {
    let json = json.ok_or_else(|| {
        StoreError::Invalid(format!(
            "case {id} was stored before the workflow was kept; it cannot take workflow steps"
        ))
    })?;
    serde_json::from_str(&json)
        .map_err(|e| StoreError::Invalid(format!("stored case {id} is unreadable: {e}")))
}

/// Writes a case's state, JSON and most urgent deadline (from [`workflow::deadlines`]).
/// Returns the colour written.
fn write_case(
    tx: &Transaction<'_>,
    case: &Case,
    cal: &Calendar,
    today: NaiveDate,
) -> Result<Option<String>, StoreError> {
    let urgent = workflow::deadlines(case, cal, today).into_iter().next();
    let json = serde_json::to_string(case).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let colour = urgent.as_ref().map(|d| enum_str(&d.colour));
    tx.prepare_cached(
        "UPDATE cases SET state = ?2, case_json = jz_seal(?3, 'cases.case_json:' || ?1), due = ?4, allowed_days = ?5, colour = ?6 WHERE id = ?1",
    )?
    .execute(params![
        case.id,
        case.state.name(),
        json,
        urgent.as_ref().map(|d| d.due.to_string()),
        urgent.as_ref().map(|d| d.allowed),
        colour,
    ])?;
    Ok(colour)
}

/// The largest lag of a request's clock reading behind the case's last event that is taken for
/// requests queued at the writer rather than for a clock that went back.
pub const MAX_QUEUE_SKEW: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

/// Loads a case inside `tx`, applies `step` with [`workflow::next`], stores the result, and
/// writes the audit row (by `actor`) when the case changed. A case that reaches `published`
/// becomes a recipient (the 公布 list).
fn transition(
    tx: &Transaction<'_>,
    id: &str,
    actor: &str,
    step: &WorkflowStep<'_>,
) -> Result<(Case, bool), StoreError> {
    let (json, old_colour): (Option<String>, Option<String>) = tx
        .prepare_cached(
            "SELECT jz_open(case_json, 'cases.case_json:' || id), colour FROM cases WHERE id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("no case '{id}'")))?;
    let old = case_from_json(json, id)?;
    let Some(p) = plan_step(&old, old_colour.as_deref(), step)? else {
        return Ok((old, false));
    };
    write_case(tx, &p.new, step.calendar, p.today)?;
    crate::notices::persist(tx, &p.new, &p.effects, step.calendar, p.now)?;
    audit::append(tx, &now_str(p.now), actor, &p.action, id, &p.detail)?;
    if p.published {
        add_recipient_from(tx, &p.new, p.today)?;
    }
    Ok((p.new, true))
}

/// What a workflow step does to a stored case, decided without the database, for both backends.
pub(crate) struct PlannedStep {
    /// The case after the step.
    pub new: Case,
    /// The step's effects (documents to write).
    pub effects: Vec<workflow::Effect>,
    /// When it happens (the step's time, or the case's last for a queued request).
    pub now: DateTime<Utc>,
    /// China date of `now`.
    pub today: NaiveDate,
    /// The audit row's action and detail.
    pub action: String,
    /// See `action`.
    pub detail: String,
    /// The case reached `published` now: its applicant becomes a recipient.
    pub published: bool,
}

/// Applies `step` to `old` (stored with deadline colour `old_colour`) with [`workflow::next`];
/// `None` when nothing changes (no event taken, same colour).
pub(crate) fn plan_step(
    old: &Case,
    old_colour: Option<&str>,
    step: &WorkflowStep<'_>,
) -> Result<Option<PlannedStep>, StoreError> {
    // Requests on one case run concurrently (a kiosk sends a case's pages and signatures in
    // parallel) and read the clock before they queue for the writer, so one may commit after a
    // later-stamped one: its step then takes the case's last time. Only a gap of a few seconds
    // is such a race; a clock that really went back is still refused by the workflow.
    let now = match old.history.last() {
        Some(last) if last.at > step.now && last.at - step.now <= MAX_QUEUE_SKEW => last.at,
        _ => step.now,
    };
    let (new, effects) = workflow::next(old, &step.event, now, step.calendar)?;
    let today = china_date(now);
    let moved = new.history.len() > old.history.len();
    let colour = workflow::deadlines(&new, step.calendar, today)
        .into_iter()
        .next()
        .map(|d| enum_str(&d.colour));
    if !moved && new == *old && colour.as_deref() == old_colour {
        return Ok(None);
    }
    let (action, detail) = if moved {
        (
            format!("case.{}", step.event.action.name()),
            serde_json::json!({ "from": old.state.name(), "to": new.state.name() }).to_string(),
        )
    } else {
        (
            "case.deadline".to_string(),
            serde_json::json!({ "colour": colour }).to_string(),
        )
    };
    let published = new.state == CaseState::Published && old.state != CaseState::Published;
    Ok(Some(PlannedStep {
        new,
        effects,
        now,
        today,
        action,
        detail,
        published,
    }))
}

fn add_recipient_from(
    tx: &Transaction<'_>,
    case: &Case,
    today: NaiveDate,
) -> Result<(), StoreError> {
    upsert_recipient(tx, &recipient_from(case, today)?)
}

/// The recipient a case published on `today` makes of its applicant (the 公布 list).
pub(crate) fn recipient_from(case: &Case, today: NaiveDate) -> Result<Recipient, StoreError> {
    let applicant = case
        .application
        .household
        .applicant()
        .ok_or_else(|| StoreError::Invalid("the published case has no applicant".into()))?;
    let amount_fen = case
        .decision
        .as_ref()
        .and_then(|d| d.amount)
        .map(|m| m.as_fen())
        .unwrap_or(0);
    Ok(Recipient {
        id_number: applicant.id_number.as_unmasked_str().into(),
        name: applicant.name.as_unmasked_str().into(),
        township: case.township().into(),
        assistance_type: basic_type(case)?,
        household_size: case.application.household.size() as u32,
        amount_fen,
        since: today,
        last_certified_on: None,
    })
}

/// The case's assistance type in the API's form.
fn basic_type(case: &Case) -> Result<AssistanceType, StoreError> {
    AssistanceType::try_from(case.application.assistance_type)
        .map_err(|e| StoreError::Invalid(format!("case {}: {e}", case.id)))
}

fn upsert_recipient(tx: &Transaction<'_>, r: &Recipient) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO recipients (id_number, name, township, assistance_type, household_size,
           amount_fen, since, last_certified_on, id_sealed)
         VALUES (jz_bidx(?1), jz_seal(?2, 'recipients.name'), ?3, ?4, ?5, ?6, ?7, ?8,
           jz_seal(?1, 'recipients.id_number'))
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
    Ok(())
}

fn stored_reply(tx: &Connection, idem: Idem<'_>) -> Result<Option<String>, StoreError> {
    let row: Option<(String, Option<String>)> = tx
        .prepare_cached(
            "SELECT response, body_sha256 FROM replies WHERE kiosk_id = ?1 AND endpoint = ?2 AND key = ?3",
        )?
        .query_row(params![idem.kiosk, idem.endpoint, idem.key], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    row.map(|(resp, sha)| hardening::same_body(sha.as_deref(), idem.body_sha256).map(|()| resp))
        .transpose()
}

fn keep_reply(
    tx: &Transaction<'_>,
    idem: Option<Idem<'_>>,
    response: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if let Some(i) = idem {
        tx.prepare_cached(
            "INSERT INTO replies (kiosk_id, endpoint, key, status, response, created_at, body_sha256)
             VALUES (?1, ?2, ?3, 200, ?4, ?5, ?6)",
        )?
        .execute(params![
            i.kiosk,
            i.endpoint,
            i.key,
            response,
            now_str(now),
            i.body_sha256
        ])?;
    }
    Ok(())
}

/// Inserts a certification attempt (certifying the recipient on success) with its audit rows by
/// `actor`; returns the certification's row id.
fn insert_certification(
    tx: &Transaction<'_>,
    rec: &CertificationRecord<'_>,
    actor: &str,
) -> Result<i64, StoreError> {
    let at = now_str(rec.now);
    tx.execute(
        "INSERT INTO certifications (id_number, at, kiosk_id, mode, modality, certified, assisted_by)
         VALUES (jz_bidx(?1), ?2, ?3, ?4, ?5, ?6, jz_seal(?7, 'certifications.assisted_by'))",
        params![rec.id_number, at, rec.kiosk, rec.mode, rec.modality, rec.certified, rec.assisted_by],
    )?;
    let cert_id = tx.last_insert_rowid();
    if let Some(e) = &rec.evidence {
        tx.execute(
            "INSERT INTO certification_evidence (certification_id, content_type, sha256, size, nonce, ciphertext) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![cert_id, e.content_type, e.sha256, e.size as i64, e.nonce, e.ciphertext],
        )?;
    }
    if rec.certified {
        tx.execute(
            "UPDATE recipients SET last_certified_on = ?2 WHERE id_number = jz_bidx(?1)",
            params![rec.id_number, rec.today.to_string()],
        )?;
    }
    let (action, subject, detail) = certification_audit(rec, cert_id);
    audit::append(tx, &at, actor, action, &subject, &detail)?;
    if let Some(pid) = &rec.proof_id {
        hardening::record_proof(tx, pid, rec.id_number, &at)?;
        audit::append(
            tx,
            &at,
            actor,
            "proof.issued",
            &format!("proof:{pid}"),
            "{}",
        )?;
    }
    Ok(cert_id)
}

/// The audit row of a recorded certification, (action, subject, detail): one wording for both
/// backends.
pub(crate) fn certification_audit(
    rec: &CertificationRecord<'_>,
    cert_id: i64,
) -> (&'static str, String, String) {
    (
        if rec.certified {
            "certification.passed"
        } else {
            "certification.failed"
        },
        format!("certification:{cert_id}"),
        serde_json::json!({
            "mode": rec.mode,
            "evidence_sha256": rec.evidence.as_ref().map(|e| &e.sha256),
        })
        .to_string(),
    )
}

fn mask_id(id_number: &str) -> String {
    jiuzhu_core::id::IdNumber::parse(id_number)
        .map(|n| n.masked())
        .unwrap_or_else(|_| "*".into())
}

fn township_exists(tx: &Transaction<'_>, code: &str) -> Result<bool, StoreError> {
    Ok(tx
        .prepare_cached("SELECT count(*) FROM townships WHERE code = ?1")?
        .query_row([code], |r| r.get::<_, i64>(0))?
        > 0)
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Invalid(e.to_string()))
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` with the keys of the directory
    /// `<path>.keys/` (created 0700, keys 0600). For tests and tools; the service takes its keys
    /// from a configured directory ([`SqliteStore::open_with_keys`]).
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut dir = path.as_os_str().to_owned();
        dir.push(".keys");
        let keys = KeysDir::at(std::path::PathBuf::from(dir)).load()?;
        Self::open_with_keys(path, &keys)
    }

    /// Opens (creating if needed, mode 0600 whatever the umask, as are its WAL and shared-memory
    /// files) the database at `path`, in WAL mode, with `keys` for the audit chain and the
    /// personal fields; migrates it (re-chaining a legacy audit log under the key) and opens the
    /// read-only pool.
    pub fn open_with_keys(path: &Path, keys: &AtRestKeys) -> Result<Self, StoreError> {
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            // SQLite gives the -wal and -shm files the database file's mode
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| {
                    StoreError::Invalid(format!("cannot create {}: {e}", path.display()))
                })?;
        }
        let conn = Connection::open(path)?;
        crypto_at_rest::register(&conn, keys)?;
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Self::migrate(&conn)?;
        {
            let tx = conn.unchecked_transaction()?;
            if audit::rekey_legacy(&tx, &now_str(Utc::now()))? > 0 {
                tracing::info!("the audit log was re-chained under the audit key");
            }
            tx.commit()?;
        }
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let r = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_URI,
            )?;
            r.busy_timeout(std::time::Duration::from_secs(5))?;
            crypto_at_rest::register(&r, keys)?;
            readers.push(Mutex::new(r));
        }
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            crypto_at_rest::make_private(Path::new(&p)).map_err(|e| {
                StoreError::Invalid(format!("cannot make {} private: {e}", path.display()))
            })?;
        }
        Ok(SqliteStore {
            keys: keys.clone(),
            writer: Mutex::new(conn),
            readers,
            next_reader: AtomicUsize::new(0),
            last_nonce_purge: AtomicI64::new(0),
            _checkpointer: Checkpointer::start(path)?,
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

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A read-only connection: the first free one, else the next in turn.
    pub(crate) fn read(&self) -> MutexGuard<'_, Connection> {
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        for i in 0..self.readers.len() {
            if let Ok(g) = self.readers[(start + i) % self.readers.len()].try_lock() {
                return g;
            }
        }
        self.readers[start % self.readers.len()]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the writer connection (administration and tests).
    pub fn with_conn<R>(&self, f: impl FnOnce(&Connection) -> R) -> R {
        f(&self.conn())
    }

    fn summary_row(conn: &Connection, id: &str) -> Result<Option<CaseSummary>, StoreError> {
        let row = conn
            .prepare_cached(
                "SELECT c.id, c.township, c.assistance_type, c.state, c.submitted_at, c.due, c.colour,
                        t.hotline, t.report_phone,
                        (SELECT count(*) FROM case_materials m WHERE m.case_id = c.id), c.case_no
                 FROM cases c JOIN townships t ON t.code = c.township WHERE c.id = ?1",
            )?
            .query_row([id], |r| {
                Ok(CaseSummary {
                    case_id: r.get(0)?,
                    township: r.get(1)?,
                    assistance_type: col(r, 2, |s: String| enum_parse(&s))?,
                    state: r.get(3)?,
                    submitted_at: col(r, 4, parse_time)?,
                    due: col(r, 5, |d: Option<String>| d.map(parse_date).transpose())?,
                    colour: col(r, 6, |c: Option<String>| {
                        c.map(|c| enum_parse(&c)).transpose()
                    })?,
                    pending_signatures: vec![],
                    materials: r.get(9)?,
                    hotline: r.get(7)?,
                    report_phone: r.get(8)?,
                    // From the workflow case where an answer needs them (kiosk status).
                    accepted_on: None,
                    decided_on: None,
                    approved: None,
                    missing_notice: None,
                    deadlines: vec![],
                    case_no: r.get(10)?,
                    notices: vec![],
                })
            })
            .optional()?;
        let Some(mut summary) = row else {
            return Ok(None);
        };
        summary.pending_signatures = conn
            .prepare_cached(
                "SELECT jz_open(name, 'case_people.name') FROM case_people
                 WHERE case_id = ?1 AND role != 'agent' AND signed_at IS NULL ORDER BY rowid",
            )?
            .query_map([&summary.case_id], |r| r.get::<_, String>(0))?
            .map(|n| n.map(|n| mask_name(&n)))
            .collect::<Result<_, _>>()?;
        Ok(Some(summary))
    }

    fn summaries(conn: &Connection, ids: Vec<String>) -> Result<Vec<CaseSummary>, StoreError> {
        ids.iter()
            .filter_map(|id| Self::summary_row(conn, id).transpose())
            .collect()
    }

    fn ids(
        conn: &Connection,
        sql: &str,
        p: impl rusqlite::Params,
    ) -> Result<Vec<String>, StoreError> {
        Ok(conn
            .prepare_cached(sql)?
            .query_map(p, |r| r.get(0))?
            .collect::<Result<_, _>>()?)
    }

    /// Runs `f` in a write transaction and commits it.
    pub(crate) fn write<R>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        let r = f(&tx)?;
        tx.commit()?;
        Ok(r)
    }
}

impl Store for SqliteStore {
    fn record(
        &self,
        actor: &str,
        action: &str,
        subject: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            audit::append(tx, &now_str(now), actor, action, subject, "{}")?;
            Ok(())
        })
    }

    fn verify_audit(&self) -> Result<i64, StoreError> {
        Ok(audit::verify(&self.conn())?)
    }

    fn hardening(&self) -> &dyn Hardening {
        self
    }

    fn blind_index(&self, id_number: &str) -> String {
        self.keys.blind_index(id_number)
    }
}

impl SqliteStore {
    /// Signs the current audit head with the district key (after verifying the chain).
    pub fn audit_checkpoint(
        &self,
        district: &ed25519_dalek::SigningKey,
        now: DateTime<Utc>,
    ) -> Result<audit::Checkpoint, StoreError> {
        Ok(audit::checkpoint(&self.conn(), district, &now_str(now))?)
    }

    /// Verifies the audit chain and that it still holds what a signed checkpoint records.
    pub fn verify_audit_checkpoint(
        &self,
        cp: &audit::Checkpoint,
        district: &ed25519_dalek::VerifyingKey,
    ) -> Result<i64, StoreError> {
        Ok(audit::verify_checkpoint(&self.conn(), cp, district)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
