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
pub use console::{CaseFile, CaseSigner, ConsoleStore, KioskActivity, MonthCount};

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
];

mod hardening;
pub use hardening::{
    Hardening, MAX_PEOPLE_PER_WINDOW, ProofStanding, RELEASE_WINDOW_SECS, ReleaseRefused,
    SecurityAlert, Standing, TemplateRelease,
};

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
    /// The audit chain is broken.
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    /// The keys directory failed.
    #[error(transparent)]
    Keys(#[from] crypto_at_rest::KeyError),
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
    /// The workflow case opened by [`Case::submit`]; its id is replaced by the stored id.
    pub workflow: Case,
    /// SHA-256 (hex) of the request body, bound to the idempotency key.
    pub body_sha256: String,
    /// The effects of [`Case::submit`], stored as documents with the case.
    pub effects: Vec<workflow::Effect>,
    /// The mobile number for notices by text message, if the household gave one.
    pub contact_phone: Option<String>,
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

/// One workflow event to apply inside a store transaction.
pub struct WorkflowStep<'a> {
    /// The event (actor and action).
    pub event: Event,
    /// When it happens (the service's workflow clock).
    pub now: DateTime<Utc>,
    /// The working-day calendar.
    pub calendar: &'a Calendar,
}

/// The idempotency key of a kiosk upload: a repeat with the same key gets the first answer.
#[derive(Debug, Clone, Copy)]
pub struct Idem<'a> {
    /// Kiosk id.
    pub kiosk: &'a str,
    /// Endpoint name, e.g. `signature`.
    pub endpoint: &'a str,
    /// The `Idempotency-Key` value.
    pub key: &'a str,
    /// Lower-case hex SHA-256 of the request body: a repeat with another body is refused.
    pub body_sha256: &'a str,
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

/// Everything the HTTP layer needs from storage.
pub trait Store: Send + Sync + ConsoleStore + crate::help_calls::HelpCallStore {
    /// Adds or replaces a township.
    fn put_township(&self, t: &Township, actor: &str) -> Result<(), StoreError>;
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
    /// Sets case `case`'s SMS number (sealed at rest) with an audit row by `actor` (the number
    /// masked); `false`, nothing changed, when it changed [`PHONE_CHANGES_PER_DAY`] times in
    /// the last 24 hours.
    fn set_contact_phone(
        &self,
        case: &str,
        phone: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// The case of household document `id`.
    fn household_notice_case(&self, id: i64) -> Result<Option<String>, StoreError>;
    /// Records a delivery attempt ([`crate::notices::record_delivery`]).
    fn record_delivery(
        &self,
        d: &crate::notices::Delivery<'_>,
    ) -> Result<Option<(NaiveDate, jiuzhu_core::api::DeliveryMethod, bool)>, StoreError>;
    /// Household documents waiting for a text message.
    fn pending_sms(&self, limit: u32) -> Result<Vec<crate::notices::PendingSms>, StoreError>;
    /// The case id of a short case number (or of an id).
    fn case_id_of(&self, no_or_id: &str) -> Result<Option<String>, StoreError>;
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
        cal: &Calendar,
    ) -> Result<(String, String, bool), StoreError>;
    /// A case summary.
    fn case_summary(&self, id: &str) -> Result<Option<CaseSummary>, StoreError>;
    /// The workflow case.
    fn case(&self, id: &str) -> Result<Option<Case>, StoreError>;
    /// Records a member's signature (the signer must be on the case) and applies `step` (the
    /// workflow's `sign_authorization`). With `idem`, a repeated key returns the first answer.
    /// Returns the case summary JSON and whether this call stored it.
    fn sign(
        &self,
        case: &str,
        id_number: &str,
        how: &str,
        actor: &str,
        step: &WorkflowStep<'_>,
        idem: Option<Idem<'_>>,
    ) -> Result<(String, bool), StoreError>;
    /// Stores a material (content-addressed), links it to a case and, with `step` (the
    /// workflow's `supply_materials`), records it on the application.
    #[allow(clippy::too_many_arguments)]
    fn add_material(
        &self,
        case: &str,
        sha256: &str,
        content_type: &str,
        data: &[u8],
        actor: &str,
        now: DateTime<Utc>,
        step: Option<&WorkflowStep<'_>>,
    ) -> Result<(), StoreError>;
    /// Applies a workflow event to a case and stores the result with an audit row by `actor`.
    fn apply_event(
        &self,
        case: &str,
        actor: &str,
        step: &WorkflowStep<'_>,
    ) -> Result<Case, StoreError>;
    /// Cases of a person, newest first; with `agent`, only those where that agent is recorded.
    fn cases_of(
        &self,
        id_number: &str,
        agent: Option<&str>,
    ) -> Result<Vec<CaseSummary>, StoreError>;
    /// Township queue: overdue first, then red, amber, green, then oldest.
    fn queue(&self, township: &str) -> Result<Vec<CaseSummary>, StoreError>;
    /// Sends the timer event to every open case and recomputes deadline colours with
    /// [`workflow::deadlines`]; returns how many cases changed.
    fn scan_deadlines(&self, cal: &Calendar, now: DateTime<Utc>) -> Result<usize, StoreError>;
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
    /// The first answer stored for an idempotency key, if any.
    fn reply(&self, idem: Idem<'_>) -> Result<Option<String>, StoreError>;
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
    /// The 公布 list of a township: current recipients, masked.
    fn publication(&self, township: &str) -> Result<Vec<NoticeEntry>, StoreError>;
    /// The 公示 list of a township: cases whose 初审 opinion is posted now (inclusions and
    /// exclusions), masked.
    fn publicity(&self, township: &str) -> Result<Vec<NoticeEntry>, StoreError>;
    /// Verifies the audit chain; the number of rows.
    fn verify_audit(&self) -> Result<i64, StoreError>;
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
    /// Changes a staff account's access (disable, enable, remove) and ends its sessions when
    /// access is taken away; audited by `actor`. `NotFound` for an unknown (or removed) account.
    fn set_staff_access(
        &self,
        username: &str,
        access: StaffAccess,
        actor: &str,
    ) -> Result<(), StoreError>;
    /// Ends sessions: the one with `token_hash` (logout), or every session of `username`
    /// (revocation); audited by `actor`. Returns how many ended.
    fn end_sessions(&self, which: SessionsOf<'_>, actor: &str) -> Result<usize, StoreError>;
    /// The blind index of an identity number (what the database holds instead of it); audit
    /// rows name people by its first 16 characters.
    fn blind_index(&self, id_number: &str) -> String;
    /// Kiosk scope, reference-release limits, alerts, proof revocation (`store/hardening.rs`).
    fn hardening(&self) -> &dyn Hardening;
}

/// A change of a staff account's access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffAccess {
    /// No more logins; sessions end. Reversible.
    Disable,
    /// Logins again.
    Enable,
    /// For good: sessions end, the password hash is erased, the name stays taken.
    Remove,
}

/// Which sessions [`Store::end_sessions`] ends.
#[derive(Debug, Clone, Copy)]
pub enum SessionsOf<'a> {
    /// The session of this token hash (logout).
    Token(&'a str),
    /// Every session of this account (revocation).
    Account(&'a str),
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
    let (new, effects) = workflow::next(&old, &step.event, step.now, step.calendar)?;
    let today = china_date(step.now);
    let moved = new.history.len() > old.history.len();
    if !moved && new == old {
        let colour = workflow::deadlines(&new, step.calendar, today)
            .into_iter()
            .next()
            .map(|d| enum_str(&d.colour));
        if colour == old_colour {
            return Ok((new, false));
        }
    }
    let colour = write_case(tx, &new, step.calendar, today)?;
    crate::notices::persist(tx, &new, &effects, step.calendar, step.now)?;
    let at = now_str(step.now);
    if moved {
        let detail = serde_json::json!({
            "from": old.state.name(),
            "to": new.state.name(),
        })
        .to_string();
        audit::append(
            tx,
            &at,
            actor,
            &format!("case.{}", step.event.action.name()),
            id,
            &detail,
        )?;
    } else {
        let detail = serde_json::json!({ "colour": colour }).to_string();
        audit::append(tx, &at, actor, "case.deadline", id, &detail)?;
    }
    if new.state == CaseState::Published && old.state != CaseState::Published {
        add_recipient_from(tx, &new, today)?;
    }
    Ok((new, true))
}

fn add_recipient_from(
    tx: &Transaction<'_>,
    case: &Case,
    today: NaiveDate,
) -> Result<(), StoreError> {
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
    upsert_recipient(
        tx,
        &Recipient {
            id_number: applicant.id_number.as_unmasked_str().into(),
            name: applicant.name.as_unmasked_str().into(),
            township: case.township().into(),
            assistance_type: basic_type(case)?,
            household_size: case.application.household.size() as u32,
            amount_fen,
            since: today,
            last_certified_on: None,
        },
    )
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
    audit::append(
        tx,
        &at,
        actor,
        if rec.certified {
            "certification.passed"
        } else {
            "certification.failed"
        },
        &format!("certification:{cert_id}"),
        &serde_json::json!({
            "mode": rec.mode,
            "evidence_sha256": rec.evidence.as_ref().map(|e| &e.sha256),
        })
        .to_string(),
    )?;
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

    fn set_contact_phone(
        &self,
        case: &str,
        phone: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.write(|tx| {
            let since = now_str(now - chrono::Duration::hours(24));
            let recent: i64 = tx.query_row(
                "SELECT count(*) FROM audit WHERE action = 'case.contact_phone' AND subject = ?1 AND at > ?2",
                params![case, since],
                |r| r.get(0),
            )?;
            if recent >= PHONE_CHANGES_PER_DAY {
                return Ok(false);
            }
            let n = tx
                .prepare_cached(
                    "UPDATE cases SET contact_phone = jz_seal(?2, 'cases.contact_phone') WHERE id = ?1",
                )?
                .execute(params![case, phone])?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("case {case}")));
            }
            let detail = serde_json::json!({ "phone": jiuzhu_core::api::mask_phone(phone) });
            audit::append(
                tx,
                &now_str(now),
                actor,
                "case.contact_phone",
                case,
                &detail.to_string(),
            )?;
            Ok(true)
        })
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

    fn case_id_of(&self, no_or_id: &str) -> Result<Option<String>, StoreError> {
        crate::notices::case_id_of(&self.read(), no_or_id)
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

    fn put_township(&self, t: &Township, actor: &str) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO townships VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(code) DO UPDATE SET name = excluded.name, hotline = excluded.hotline,
                   report_phone = excluded.report_phone, delegated = excluded.delegated",
                params![t.code, t.name, t.hotline, t.report_phone, t.delegated],
            )?;
            audit::append(
                tx,
                &now_str(Utc::now()),
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
            .read()
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
        self.write(|tx| {
            if !township_exists(tx, township)? {
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
                tx,
                &now_str(Utc::now()),
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
                "UPDATE kiosks SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![id, now_str(Utc::now())],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("no active kiosk '{id}'")));
            }
            audit::append(tx, &now_str(Utc::now()), actor, "kiosk.revoke", id, "{}")?;
            Ok(())
        })
    }

    fn kiosk(&self, id: &str) -> Result<Option<Kiosk>, StoreError> {
        Ok(self
            .read()
            .prepare_cached(
                "SELECT id, township, pubkey, revoked_at IS NOT NULL FROM kiosks WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok(Kiosk {
                    id: r.get(0)?,
                    township: r.get(1)?,
                    pubkey: col(r, 2, |k: Vec<u8>| {
                        k.try_into().map_err(|_| {
                            StoreError::Invalid(format!("kiosk '{id}' has a malformed key"))
                        })
                    })?,
                    revoked: r.get(3)?,
                })
            })
            .optional()?)
    }

    fn remember_nonce(
        &self,
        kiosk: &str,
        nonce: &str,
        now: i64,
        forget_before: i64,
    ) -> Result<bool, StoreError> {
        let c = self.conn();
        let last = self.last_nonce_purge.load(Ordering::Relaxed);
        if now - last >= 60 {
            self.last_nonce_purge.store(now, Ordering::Relaxed);
            c.prepare_cached("DELETE FROM nonces WHERE seen_at < ?1")?
                .execute([forget_before])?;
        }
        let n = c
            .prepare_cached("INSERT OR IGNORE INTO nonces VALUES (?1, ?2, ?3)")?
            .execute(params![kiosk, nonce, now])?;
        Ok(n == 1)
    }

    fn add_staff(&self, s: &Staff, password_hash: &str, actor: &str) -> Result<(), StoreError> {
        let role = enum_str(&s.role);
        if parse_role(&role).is_none() {
            return Err(StoreError::Invalid(format!(
                "'{role}' is not a staff role: use village_helper, township_clerk, township_leader or district_bureau"
            )));
        }
        self.write(|tx| {
            let n = tx.execute(
                "INSERT OR IGNORE INTO staff (username, password_hash, role, township, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    s.username,
                    password_hash,
                    role,
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
                tx,
                &now_str(Utc::now()),
                actor,
                "staff.add",
                &s.username,
                &format!("{{\"role\":\"{role}\"}}"),
            )?;
            Ok(())
        })
    }

    fn staff_with_hash(&self, username: &str) -> Result<Option<(Staff, String)>, StoreError> {
        Ok(self
            .read()
            .prepare_cached(
                "SELECT username, role, township, password_hash FROM staff
                 WHERE username = ?1 AND disabled_at IS NULL AND removed_at IS NULL",
            )?
            .query_row([username], |r| Ok((staff_row(r)?, r.get(3)?)))
            .optional()?)
    }

    fn add_session(
        &self,
        token_hash: &str,
        username: &str,
        expires: i64,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM sessions WHERE expires_at < ?1",
                [Utc::now().timestamp()],
            )?;
            tx.execute(
                "INSERT INTO sessions VALUES (?1, ?2, ?3)",
                params![token_hash, username, expires],
            )?;
            audit::append(
                tx,
                &now_str(Utc::now()),
                &format!("staff:{username}"),
                "staff.login",
                username,
                "{}",
            )?;
            Ok(())
        })
    }

    fn session(&self, token_hash: &str, now: i64) -> Result<Option<Staff>, StoreError> {
        Ok(self
            .read()
            .prepare_cached(
                "SELECT s.username, s.role, s.township FROM sessions x JOIN staff s ON s.username = x.username
                 WHERE x.token_hash = ?1 AND x.expires_at > ?2
                   AND s.disabled_at IS NULL AND s.removed_at IS NULL",
            )?
            .query_row(params![token_hash, now], staff_row)
            .optional()?)
    }

    fn submit(
        &self,
        kiosk: &str,
        key: &str,
        case: NewCase,
        now: DateTime<Utc>,
        cal: &Calendar,
    ) -> Result<(String, String, bool), StoreError> {
        self.write(|tx| {
            let prior: Option<(String, String, Option<String>)> = tx
                .prepare_cached(
                    "SELECT case_id, response, body_sha256 FROM idempotency WHERE kiosk_id = ?1 AND key = ?2",
                )?
                .query_row(params![kiosk, key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            if let Some((id, resp, sha)) = prior {
                hardening::same_body(sha.as_deref(), &case.body_sha256)?;
                return Ok((id, resp, false));
            }
            if !township_exists(tx, &case.township)? {
                return Err(StoreError::Invalid(format!(
                    "township '{}' is not served by this central service",
                    case.township
                )));
            }
            let id = uuid::Uuid::now_v7().to_string();
            let mut wf = case.workflow;
            wf.id = id.clone();
            let household = case.people.iter().filter(|p| p.role != "agent").count() as u32;
            tx.prepare_cached(
                "INSERT INTO cases (id, township, assistance_type, applicant_id, agent_id, household_size,
                   submitted_at, state, kiosk_id, payload, village)
                 VALUES (?1, ?2, ?3, jz_bidx(?4), jz_bidx(?5), ?6, ?7, ?8, ?9,
                   jz_seal(?10, 'cases.payload:' || ?1), ?11)",
            )?
            .execute(params![
                id,
                case.township,
                enum_str(&case.assistance_type),
                case.applicant_id,
                case.agent_id,
                household,
                now_str(now),
                wf.state.name(),
                kiosk,
                case.payload,
                wf.application.household.village,
            ])?;
            write_case(tx, &wf, cal, china_date(now))?;
            crate::notices::assign_case_no(tx, &id, &case.township, now)?;
            tx.prepare_cached("UPDATE cases SET contact_phone = jz_seal(?2, 'cases.contact_phone') WHERE id = ?1")?
                .execute(params![id, case.contact_phone])?;
            crate::notices::persist(tx, &wf, &case.effects, cal, now)?;
            for p in &case.people {
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO case_people (case_id, id_number, name, role)
                     VALUES (?1, jz_bidx(?2), jz_seal(?3, 'case_people.name'), ?4)",
                )?
                    .execute(params![id, p.id_number, p.name, p.role])?;
            }
            audit::append(
                tx,
                &now_str(now),
                &format!("kiosk:{kiosk}"),
                "case.submitted",
                &id,
                "{}",
            )?;
            let summary =
                Self::summary_row(tx, &id)?.ok_or_else(|| StoreError::NotFound(id.clone()))?;
            let resp = to_json(&summary)?;
            tx.prepare_cached(
                "INSERT INTO idempotency (kiosk_id, key, case_id, response, body_sha256) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![kiosk, key, id, resp, case.body_sha256])?;
            Ok((id, resp, true))
        })
    }

    fn case_summary(&self, id: &str) -> Result<Option<CaseSummary>, StoreError> {
        Self::summary_row(&self.read(), id)
    }

    fn case(&self, id: &str) -> Result<Option<Case>, StoreError> {
        let json: Option<Option<String>> = self
            .read()
            .prepare_cached(
                "SELECT jz_open(case_json, 'cases.case_json:' || id) FROM cases WHERE id = ?1",
            )?
            .query_row([id], |r| r.get(0))
            .optional()?;
        json.map(|j| case_from_json(j, id)).transpose()
    }

    fn sign(
        &self,
        case: &str,
        id_number: &str,
        how: &str,
        actor: &str,
        step: &WorkflowStep<'_>,
        idem: Option<Idem<'_>>,
    ) -> Result<(String, bool), StoreError> {
        self.write(|tx| {
            if let Some(prior) = idem.map(|i| stored_reply(tx, i)).transpose()?.flatten() {
                return Ok((prior, false));
            }
            let n = tx.execute(
                "UPDATE case_people SET signed_at = ?3, signed_by = ?4
                 WHERE case_id = ?1 AND id_number = jz_bidx(?2) AND role != 'agent' AND signed_at IS NULL",
                params![case, id_number, now_str(step.now), how],
            )?;
            if n == 0 {
                let on_case: i64 = tx.query_row(
                    "SELECT count(*) FROM case_people WHERE case_id = ?1 AND id_number = jz_bidx(?2) AND role != 'agent'",
                    params![case, id_number],
                    |r| r.get(0),
                )?;
                return Err(if on_case == 0 {
                    StoreError::NotFound(
                        "the signer is not a member of this case's household".into(),
                    )
                } else {
                    StoreError::Conflict("this member has already signed the authorization".into())
                });
            }
            transition(tx, case, actor, step)?;
            audit::append(
                tx,
                &now_str(step.now),
                actor,
                "case.signed",
                case,
                &format!("{{\"method\":\"{how}\"}}"),
            )?;
            let summary = Self::summary_row(tx, case)?
                .ok_or_else(|| StoreError::NotFound(format!("no case '{case}'")))?;
            let resp = to_json(&summary)?;
            keep_reply(tx, idem, &resp, step.now)?;
            Ok((resp, true))
        })
    }

    fn add_material(
        &self,
        case: &str,
        sha256: &str,
        content_type: &str,
        data: &[u8],
        actor: &str,
        now: DateTime<Utc>,
        step: Option<&WorkflowStep<'_>>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let exists: i64 =
                tx.query_row("SELECT count(*) FROM cases WHERE id = ?1", [case], |r| {
                    r.get(0)
                })?;
            if exists == 0 {
                return Err(StoreError::NotFound(format!("no case '{case}'")));
            }
            if let Some(step) = step {
                transition(tx, case, actor, step)?;
            }
            tx.execute(
                "INSERT OR IGNORE INTO materials VALUES (?1, ?2, ?3, jz_seal(?4, 'materials.data'), ?5)",
                params![sha256, content_type, data.len() as i64, data, now_str(now)],
            )?;
            tx.execute(
                "INSERT OR IGNORE INTO case_materials VALUES (?1, ?2)",
                params![case, sha256],
            )?;
            audit::append(
                tx,
                &now_str(now),
                actor,
                "case.material",
                case,
                &format!("{{\"sha256\":\"{sha256}\"}}"),
            )?;
            Ok(())
        })
    }

    fn apply_event(
        &self,
        case: &str,
        actor: &str,
        step: &WorkflowStep<'_>,
    ) -> Result<Case, StoreError> {
        self.write(|tx| {
            let uploads: Vec<&str> = match &step.event.action {
                Action::SupplyMaterials { materials } => {
                    materials.iter().map(|m| m.sha256.as_str()).collect()
                }
                Action::ObjectToFindings { evidence, .. } => {
                    evidence.iter().map(String::as_str).collect()
                }
                _ => vec![],
            };
            {
                for sha256 in uploads {
                    let linked: i64 = tx
                        .prepare_cached(
                            "SELECT count(*) FROM case_materials WHERE case_id = ?1 AND sha256 = ?2",
                        )?
                        .query_row(params![case, sha256], |r| r.get(0))?;
                    if linked == 0 {
                        return Err(StoreError::Invalid(format!(
                            "{sha256} was not uploaded to this case; upload the file first"
                        )));
                    }
                }
            }
            transition(tx, case, actor, step).map(|(c, _)| c)
        })
    }

    fn cases_of(
        &self,
        id_number: &str,
        agent: Option<&str>,
    ) -> Result<Vec<CaseSummary>, StoreError> {
        let c = self.read();
        let ids = match agent {
            None => Self::ids(
                &c,
                "SELECT DISTINCT c.id FROM cases c JOIN case_people p ON p.case_id = c.id
                 WHERE p.id_number = jz_bidx(?1) AND p.role != 'agent' ORDER BY c.id DESC",
                [id_number],
            )?,
            Some(a) => Self::ids(
                &c,
                "SELECT DISTINCT c.id FROM cases c JOIN case_people p ON p.case_id = c.id
                 WHERE p.id_number = jz_bidx(?1) AND p.role != 'agent' AND c.agent_id = jz_bidx(?2)
                 ORDER BY c.id DESC",
                [id_number, a],
            )?,
        };
        Self::summaries(&c, ids)
    }

    fn queue(&self, township: &str) -> Result<Vec<CaseSummary>, StoreError> {
        let c = self.read();
        let ids = Self::ids(
            &c,
            "SELECT id FROM cases WHERE township = ?1 ORDER BY
               CASE colour WHEN 'overdue' THEN 0 WHEN 'red' THEN 1 WHEN 'amber' THEN 2 WHEN 'green' THEN 3 ELSE 4 END,
               due, submitted_at",
            [township],
        )?;
        Self::summaries(&c, ids)
    }

    fn scan_deadlines(&self, cal: &Calendar, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let open = Self::ids(
            &self.read(),
            "SELECT id FROM cases WHERE case_json IS NOT NULL
               AND state NOT IN ('published', 'refused', 'abandoned', 'withdrawn')",
            [],
        )?;
        let mut changed = 0;
        for id in open {
            let step = WorkflowStep {
                event: Event::tick(),
                now,
                calendar: cal,
            };
            let r = self.write(|tx| transition(tx, &id, "system:deadline-scanner", &step));
            match r {
                Ok((_, true)) => changed += 1,
                Ok((_, false)) => {}
                Err(StoreError::Workflow(e)) => {
                    tracing::warn!(case = %id, error = %e, "the timer could not move a case");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(changed)
    }

    fn statistics(&self, township: &str) -> Result<TownshipStatistics, StoreError> {
        let c = self.read();
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
            let mut st = c.prepare_cached(&sql)?;
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
        let c = self.read();
        let mut st = c.prepare_cached(
            "SELECT at, actor, action FROM audit WHERE subject = ?1 ORDER BY seq",
        )?;
        let rows = st.query_map([case], |r| {
            Ok(HistoryEntry {
                at: col(r, 0, parse_time)?,
                actor: r.get(1)?,
                action: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

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

    fn put_recipient(&self, r: &Recipient, actor: &str) -> Result<(), StoreError> {
        self.write(|tx| {
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

    fn reply(&self, idem: Idem<'_>) -> Result<Option<String>, StoreError> {
        stored_reply(&self.read(), idem)
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
        if g.recipient_id == g.guardian_id {
            return Err(StoreError::Invalid(
                "guardian: a recipient cannot be their own guardian".into(),
            ));
        }
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

    fn publication(&self, township: &str) -> Result<Vec<NoticeEntry>, StoreError> {
        let c = self.read();
        let mut st = c.prepare_cached(
            "SELECT jz_open(name, 'recipients.name'), township, household_size, assistance_type, amount_fen
             FROM recipients WHERE township = ?1 ORDER BY since, rowid",
        )?;
        let rows = st.query_map([township], |r| {
            Ok(NoticeEntry {
                masked_name: mask_name(&r.get::<_, String>(0)?),
                township: r.get(1)?,
                household_size: r.get(2)?,
                assistance_type: col(r, 3, |s: String| enum_parse(&s))?,
                amount_fen: Some(r.get(4)?),
                inclusion: true,
                round: None,
                posted_on: None,
                until: None,
            })
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
            let case = case?;
            let (Some(p), Some(o)) = (case.current_publicity(), case.opinions.last()) else {
                continue;
            };
            let name = case
                .application
                .household
                .applicant()
                .map(|a| a.name.masked())
                .unwrap_or_else(|| "*".into());
            out.push(NoticeEntry {
                masked_name: name,
                township: case.application.household.village.clone(),
                household_size: case.application.household.size() as u32,
                assistance_type: basic_type(&case)?,
                amount_fen: o.amount.map(|m| m.as_fen()),
                inclusion: o.include,
                round: Some(p.round),
                posted_on: Some(p.posted_on),
                until: Some(p.ends_on),
            });
        }
        Ok(out)
    }

    fn verify_audit(&self) -> Result<i64, StoreError> {
        Ok(audit::verify(&self.conn())?)
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

    fn set_staff_access(
        &self,
        username: &str,
        access: StaffAccess,
        actor: &str,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let at = now_str(Utc::now());
            let sql = match access {
                StaffAccess::Disable => {
                    "UPDATE staff SET disabled_at = coalesce(disabled_at, ?2) WHERE username = ?1 AND removed_at IS NULL"
                }
                StaffAccess::Enable => {
                    "UPDATE staff SET disabled_at = NULL WHERE username = ?1 AND removed_at IS NULL AND ?2 IS NOT NULL"
                }
                StaffAccess::Remove => {
                    "UPDATE staff SET removed_at = ?2, password_hash = '!' WHERE username = ?1 AND removed_at IS NULL"
                }
            };
            if tx.execute(sql, params![username, at])? == 0 {
                return Err(StoreError::NotFound(format!(
                    "no staff account '{username}' (or it was removed); see `jiuzhu-central staff add`"
                )));
            }
            let ended = if access == StaffAccess::Enable {
                0
            } else {
                tx.execute("DELETE FROM sessions WHERE username = ?1", [username])?
            };
            let action = match access {
                StaffAccess::Disable => "staff.disabled",
                StaffAccess::Enable => "staff.enabled",
                StaffAccess::Remove => "staff.removed",
            };
            audit::append(
                tx,
                &at,
                actor,
                action,
                username,
                &serde_json::json!({ "sessions_ended": ended }).to_string(),
            )?;
            Ok(())
        })
    }

    fn end_sessions(&self, which: SessionsOf<'_>, actor: &str) -> Result<usize, StoreError> {
        self.write(|tx| {
            let at = now_str(Utc::now());
            let (n, action, subject) = match which {
                SessionsOf::Token(hash) => {
                    let user: Option<String> = tx
                        .query_row(
                            "SELECT username FROM sessions WHERE token_hash = ?1",
                            [hash],
                            |r| r.get(0),
                        )
                        .optional()?;
                    let n = tx.execute("DELETE FROM sessions WHERE token_hash = ?1", [hash])?;
                    (n, "staff.logout", user.unwrap_or_default())
                }
                SessionsOf::Account(user) => {
                    let known: i64 = tx.query_row(
                        "SELECT count(*) FROM staff WHERE username = ?1",
                        [user],
                        |r| r.get(0),
                    )?;
                    if known == 0 {
                        return Err(StoreError::NotFound(format!("no staff account '{user}'")));
                    }
                    let n = tx.execute("DELETE FROM sessions WHERE username = ?1", [user])?;
                    (n, "staff.sessions_revoked", user.to_string())
                }
            };
            if n > 0 || matches!(which, SessionsOf::Account(_)) {
                audit::append(
                    tx,
                    &at,
                    actor,
                    action,
                    &subject,
                    &serde_json::json!({ "sessions_ended": n }).to_string(),
                )?;
            }
            Ok(n)
        })
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
