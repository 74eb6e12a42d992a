//! The PostgreSQL store (issue #21): every area of the [`Store`](super::Store), so a
//! [`PgStore`] serves as `Arc<dyn Store>` like [`SqliteStore`](super::SqliteStore): the audit
//! chain (with signed checkpoints, [`PgStore::audit_checkpoint`]), the kiosk area
//! ([`KioskStore`](super::KioskStore): townships, kiosks, revocation, nonce replay protection,
//! replies kept for idempotency keys; [`KioskScope`](super::KioskScope)), staff accounts and
//! sessions ([`StaffStore`](super::StaffStore)), staff calls
//! ([`HelpCallStore`](crate::help_calls::HelpCallStore)), the certification area
//! ([`CertificationStore`](super::CertificationStore): recipients, references, guardians,
//! certifications with their evidence, proofs, alternatives), the rest of
//! [`Hardening`](super::Hardening) (a person's townships, reference releases with their rate and
//! alerts, proof standing), applications and cases ([`CaseStore`](super::CaseStore):
//! submission, signatures, materials, workflow steps, queues, deadlines, case numbers), the
//! documents ([`DocumentStore`](super::DocumentStore): notices and their delivery, text
//! messages, 公示 and 公布) and the console's reads ([`ConsoleStore`](super::ConsoleStore)).
//! A workflow step is decided by the same code on both backends (`store::plan_step`); each
//! backend writes its result in its own SQL.
//!
//! **Driver.** The synchronous `postgres` client with an `r2d2` pool (`r2d2_postgres`). The
//! store traits are synchronous and the HTTP layer already calls them from `spawn_blocking`, as
//! it does for SQLite; an async driver would have to be blocked on inside those threads (a
//! runtime handle's `block_on` per call) for nothing. `postgres` is `tokio-postgres` with a
//! small runtime of its own per connection, so the protocol code is the maintained one. So every
//! call must run off the async runtime (`spawn_blocking`, as the HTTP layer does): on a runtime
//! thread the client's own `block_on` panics. Dropping the store is safe anywhere (the pool is
//! then closed on a thread of its own). Each pooled connection prepares an SQL text once and
//! keeps the statement (`conn.rs`); connections use TLS as [`crate::db::PgTarget`] says,
//! verifying the server whenever it is used.
//!
//! **Sealing.** The SQLite connections seal personal data with SQL functions (`jz_seal`,
//! `jz_bidx`, `jz_audit_mac`, see [`crate::crypto_at_rest`]); here the same [`AtRestKeys`]
//! seal, index and MAC in Rust before the values are bound ([`sealed`], tested to open what
//! SQLite sealed and the other way round), with the same labels and scheme, so a sealed value
//! or an audit row means the same on both. Identity numbers looked up are stored as their blind
//! index; names, the recipient's number kept for reading, references and helpers' numbers are
//! sealed (`certification.rs`), as are the submission payload, the workflow case (both under
//! the case id's label), people's names on a case, the SMS number, objectors' names and the
//! materials' bytes (`cases.rs`, `documents.rs`). Audit rows are chained with
//! [`audit::keyed_row_hash`], the rule `jz_audit_mac` applies on SQLite.
//!
//! **Migrations.** `central/migrations/postgres/`, named like SQLite's (`YYYYMMDD_HHMM_name`),
//! listed in [`PG_MIGRATIONS`], recorded in `schema_migrations`, never edited once released.
//! [`PgStore::connect`] applies the missing ones in one transaction holding an advisory lock,
//! so instances starting together migrate once.
//!
//! **Several instances, one database.** Nothing correct depends on process memory: a nonce is
//! refused the second time by the primary key (`INSERT … ON CONFLICT DO NOTHING`), an
//! idempotency key (a reply's, or a submission's) is locked (`pg_advisory_xact_lock`) for the
//! transaction that looks its answer up and keeps it, every audit append locks the single
//! `audit_head` row, which orders the chain, every workflow step locks its case's row before it
//! reads the case, case numbers come from a counter row locked by its upsert, a proof reissue or
//! a certification alternative locks the recipient's row (one open alternative per person is
//! also a partial unique index), closing an alternative locks its row, one kiosk's reference
//! releases are counted under a per-kiosk advisory lock, so at the limit exactly one of two
//! racing releases passes, the deadline scanner runs on one instance at a time
//! ([`DEADLINE_SCAN_LOCK`], `pg_try_advisory_xact_lock`: another instance's round returns at
//! once), and an SMS round claims the documents it sends (`FOR UPDATE SKIP LOCKED`, released when
//! the attempt is recorded, lapsing after [`SMS_CLAIM`]), so no message goes out twice from two
//! instances. Uploaded materials are kept in the database (sealed), so every instance serves
//! them. (The nonce purge's once-a-minute cadence is per process; it only forgets.)

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use conn::Tx as Transaction;
pub(crate) use conn::{Db, Tx};
use r2d2_postgres::PostgresConnectionManager;

use super::{StoreError, now_str};
use crate::audit::{self, ChainWalk};
use crate::crypto_at_rest::AtRestKeys;

mod cases;
mod certification;
mod conn;
mod console;
mod documents;
mod hardening;
mod help_calls;
mod kiosks;
mod login;
pub mod sealed;
mod staff;

pub use cases::DEADLINE_SCAN_LOCK;
pub use documents::SMS_CLAIM;

/// The PostgreSQL migrations, in order: (version, SQL).
pub const PG_MIGRATIONS: &[(&str, &str)] = &[
    (
        "20261206_1900_kiosks_audit",
        include_str!("../../../migrations/postgres/20261206_1900_kiosks_audit.sql"),
    ),
    (
        "20261206_1930_staff",
        include_str!("../../../migrations/postgres/20261206_1930_staff.sql"),
    ),
    (
        "20261206_1945_help_calls",
        include_str!("../../../migrations/postgres/20261206_1945_help_calls.sql"),
    ),
    (
        "20261206_2000_certification",
        include_str!("../../../migrations/postgres/20261206_2000_certification.sql"),
    ),
    (
        "20261206_2100_cases",
        include_str!("../../../migrations/postgres/20261206_2100_cases.sql"),
    ),
    (
        "20261206_2200_login_failures",
        include_str!("../../../migrations/postgres/20261206_2200_login_failures.sql"),
    ),
];

/// Connections a [`PgStore`] keeps at most.
pub const POOL_SIZE: u32 = 8;

/// The fewest connections a [`PgStore`] is given whatever is asked: the deadline scanner holds
/// one for its round (the scan lock) and applies each step on another.
pub const MIN_POOL_SIZE: u32 = 2;

/// The advisory lock key migrations hold ("jzmi").
const MIGRATION_LOCK: i64 = 0x6a7a_6d69;

type Pool = r2d2::Pool<conn::Manager>;

/// The PostgreSQL store: a pool of connections to one database, which several central
/// instances may share.
pub struct PgStore {
    pool: Connections,
    keys: AtRestKeys,
    last_nonce_purge: AtomicI64,
}

/// The pool, closed off the async runtime: a `postgres` connection blocks on its own runtime
/// when it closes, which panics inside an async task, and the last reference to the store (the
/// app state) may well be dropped in one when the server's runtime shuts down. Then the
/// connections are closed on a thread of their own.
struct Connections(Option<Pool>);

impl std::ops::Deref for Connections {
    type Target = Pool;

    fn deref(&self) -> &Pool {
        self.0
            .as_ref()
            .expect("the pool is taken only when the store is dropped")
    }
}

impl Drop for Connections {
    fn drop(&mut self) {
        if let Some(pool) = self.0.take()
            && tokio::runtime::Handle::try_current().is_ok()
        {
            let _ = std::thread::Builder::new()
                .name("pg-close".into())
                .spawn(move || drop(pool))
                .map(|t| t.join());
        }
    }
}

impl std::fmt::Debug for PgStore {
    // the connection string holds the password: not shown
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("connections", &self.pool.state().connections)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to the database of `url` (`postgresql://user:password@host:port/db`, or the
    /// `key=value` form, with [`crate::db`]'s `sslrootcert`) with at most `pool_size`
    /// connections (at least [`MIN_POOL_SIZE`]), and applies the missing migrations.
    pub fn connect(url: &str, keys: &AtRestKeys, pool_size: u32) -> Result<PgStore, StoreError> {
        let target =
            crate::db::PgTarget::parse(url).map_err(|e| StoreError::Invalid(e.to_string()))?;
        PgStore::connect_target(&target, keys, pool_size)
    }

    /// Connects to `target` with at most `pool_size` connections, TLS as its `sslmode` says
    /// (verified against its `sslrootcert` or the web roots whenever used), and applies the
    /// missing migrations.
    pub fn connect_target(
        target: &crate::db::PgTarget,
        keys: &AtRestKeys,
        pool_size: u32,
    ) -> Result<PgStore, StoreError> {
        // one connection first: the pool would report a refusal as a timeout, without the reason
        target.config.connect(target.connector())?.close()?;
        let pool = r2d2::Pool::builder()
            // the deadline scanner holds one connection for its round and steps on another
            .max_size(pool_size.max(MIN_POOL_SIZE))
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .error_handler(Box::new(LogConnectError))
            .build(conn::Manager(PostgresConnectionManager::new(
                target.config.clone(),
                target.connector(),
            )))?;
        let store = PgStore {
            pool: Connections(Some(pool)),
            keys: keys.clone(),
            last_nonce_purge: AtomicI64::new(0),
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let mut c = self.pool.get()?;
        let mut tx = c.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)",
        )?;
        for (version, sql) in PG_MIGRATIONS {
            let done = tx
                .query_opt(
                    "SELECT 1 FROM schema_migrations WHERE version = $1",
                    &[version],
                )?
                .is_some();
            if !done {
                tx.batch_execute(sql)?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                    &[version, &Utc::now()],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The migrations applied, in order.
    pub fn applied_migrations(&self) -> Result<Vec<String>, StoreError> {
        Ok(self
            .pool
            .get()?
            .query(
                "SELECT version FROM schema_migrations ORDER BY version",
                &[],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    /// Runs `f` in a transaction (read committed) and commits it; rolls back on an error. The
    /// audit rows `f` appends are written at its end, just before the commit: the audit head's
    /// row lock, which orders every instance's writes into one chain, is then held for those
    /// few statements instead of the whole transaction (the fleet benchmark's bottleneck).
    pub(crate) fn write<R>(
        &self,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut c = self.pool.get()?;
        let mut tx = c.transaction()?;
        let deferred = DeferAudit::start();
        let r = f(&mut tx)?;
        let rows = deferred.take();
        if !rows.is_empty() {
            write_audit_rows(&mut tx, &self.keys, &rows)?;
        }
        tx.commit()?;
        Ok(r)
    }

    /// Verifies the audit chain in one snapshot; the number of rows.
    pub fn verify_audit(&self) -> Result<i64, StoreError> {
        Ok(self.walk_audit()?.0)
    }

    /// Walks the audit chain in one snapshot: the number of rows and the last hash.
    fn walk_audit(&self) -> Result<(i64, String), StoreError> {
        let mut c = self.pool.get()?;
        let mut tx = c.snapshot()?;
        let mut chain = ChainWalk::new();
        let rows = tx.query(
            "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit ORDER BY seq",
            &[],
        )?;
        for r in &rows {
            let seq: i64 = r.get(0);
            let fields: Vec<String> = (1..8).map(|i| r.get(i)).collect();
            chain.row(seq, &fields, |prev| {
                Ok(audit::keyed_row_hash(
                    &self.keys, prev, seq, &fields[0], &fields[1], &fields[2], &fields[3],
                    &fields[4],
                ))
            })?;
        }
        let head = tx.query_one("SELECT seq, hash FROM audit_head WHERE id = 1", &[])?;
        let walked = chain.finish((head.get(0), head.get(1)))?;
        tx.commit()?;
        Ok(walked)
    }

    /// Signs the current audit head with the district key (after verifying the chain), as
    /// [`super::SqliteStore::audit_checkpoint`].
    pub fn audit_checkpoint(
        &self,
        district: &ed25519_dalek::SigningKey,
        now: DateTime<Utc>,
    ) -> Result<audit::Checkpoint, StoreError> {
        let (seq, hash) = self.walk_audit()?;
        Ok(audit::sign_checkpoint(seq, hash, district, &now_str(now)))
    }

    /// Verifies the audit chain and that it still holds what a signed checkpoint records.
    pub fn verify_audit_checkpoint(
        &self,
        cp: &audit::Checkpoint,
        district: &ed25519_dalek::VerifyingKey,
    ) -> Result<i64, StoreError> {
        let as_audit = |e: StoreError| match e {
            StoreError::Audit(a) => a,
            other => audit::AuditError::Sql(other.to_string()),
        };
        Ok(audit::check_checkpoint(
            cp,
            district,
            || self.verify_audit().map_err(as_audit),
            |seq| {
                let row = self
                    .pool
                    .get()
                    .map_err(StoreError::from)
                    .and_then(|mut c| {
                        Ok(c.query_one("SELECT hash FROM audit WHERE seq = $1", &[&seq])?)
                    })
                    .map_err(as_audit)?;
                Ok(row.get(0))
            },
        )?)
    }

    /// Every audit row, oldest first: [actor, action, subject, detail].
    pub fn audit_trail(&self) -> Result<Vec<[String; 4]>, StoreError> {
        Ok(self
            .pool
            .get()?
            .query(
                "SELECT actor, action, subject, detail FROM audit ORDER BY seq",
                &[],
            )?
            .iter()
            .map(|r| [r.get(0), r.get(1), r.get(2), r.get(3)])
            .collect())
    }

    /// The blind index of an identity number, as [`super::Store::blind_index`].
    pub fn blind_index(&self, id_number: &str) -> String {
        self.keys.blind_index(id_number)
    }

    fn purge_due(&self, now: i64) -> bool {
        let last = self.last_nonce_purge.load(Ordering::Relaxed);
        now - last >= 60
            && self
                .last_nonce_purge
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

impl super::Store for PgStore {
    fn record(
        &self,
        actor: &str,
        action: &str,
        subject: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            append_audit(tx, &self.keys, now, actor, action, subject, "{}")?;
            Ok(())
        })
    }

    fn verify_audit(&self) -> Result<i64, StoreError> {
        PgStore::verify_audit(self)
    }

    fn blind_index(&self, id_number: &str) -> String {
        self.keys.blind_index(id_number)
    }

    fn hardening(&self) -> &dyn super::Hardening {
        self
    }
}

/// A PostgreSQL error with its causes (the server's message, detail and hint), which the
/// error's own `Display` leaves to `source()`.
pub(crate) fn message(e: &postgres::Error) -> String {
    use std::error::Error as _;
    let mut m = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        m.push_str(": ");
        m.push_str(&c.to_string());
        cause = c.source();
    }
    m
}

/// Logs the pool's failed connection attempts with their reasons.
#[derive(Debug)]
struct LogConnectError;

impl r2d2::HandleError<postgres::Error> for LogConnectError {
    fn handle_error(&self, e: postgres::Error) {
        tracing::warn!(error = %message(&e), "cannot open a PostgreSQL connection");
    }
}

/// An audit row waiting for the end of its transaction: (at, actor, action, subject, detail).
type AuditRow = (String, String, String, String, String);

thread_local! {
    /// The audit rows of the [`PgStore::write`] running on this thread, if one is.
    static DEFERRED: std::cell::RefCell<Option<Vec<AuditRow>>> =
        const { std::cell::RefCell::new(None) };
}

/// While alive, [`append_audit`] on this thread collects rows instead of writing them; what
/// was collected is dropped with it unless taken (a failed transaction rolls back anyway).
struct DeferAudit {
    outer: Option<Vec<AuditRow>>,
}

impl DeferAudit {
    fn start() -> DeferAudit {
        DeferAudit {
            outer: DEFERRED.with(|d| d.borrow_mut().replace(Vec::new())),
        }
    }

    fn take(&self) -> Vec<AuditRow> {
        DEFERRED.with(|d| {
            d.borrow_mut()
                .as_mut()
                .map(std::mem::take)
                .unwrap_or_default()
        })
    }
}

impl Drop for DeferAudit {
    fn drop(&mut self) {
        let outer = self.outer.take();
        DEFERRED.with(|d| *d.borrow_mut() = outer);
    }
}

/// Appends an audit row inside `tx`. Within [`PgStore::write`] the row is written at the
/// transaction's end; otherwise at once. Either way it follows the row the head names, with the
/// head row locked until `tx` ends, so appends from every instance form one chain.
pub(crate) fn append_audit(
    tx: &mut Transaction<'_>,
    keys: &AtRestKeys,
    now: DateTime<Utc>,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<(), StoreError> {
    let row = (
        now_str(now),
        actor.to_string(),
        action.to_string(),
        subject.to_string(),
        detail.to_string(),
    );
    // handed to the running write() if there is one, else written now
    let row = DEFERRED.with(|d| match d.borrow_mut().as_mut() {
        Some(rows) => {
            rows.push(row);
            None
        }
        None => Some(row),
    });
    match row {
        Some(row) => write_audit_rows(tx, keys, &[row]),
        None => Ok(()),
    }
}

/// Writes `rows` after the audit head, in order, and moves the head; the head row stays locked
/// until `tx` ends.
fn write_audit_rows(
    tx: &mut Transaction<'_>,
    keys: &AtRestKeys,
    rows: &[AuditRow],
) -> Result<(), StoreError> {
    let head = tx.query_one(
        "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
        &[],
    )?;
    let mut seq: i64 = head.get(0);
    let mut prev: String = head.get(1);
    for (at, actor, action, subject, detail) in rows {
        seq += 1;
        let hash = audit::keyed_row_hash(keys, &prev, seq, at, actor, action, subject, detail);
        tx.execute(
            "INSERT INTO audit (seq, at, actor, action, subject, detail, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[&seq, at, actor, action, subject, detail, &prev, &hash],
        )?;
        prev = hash;
    }
    tx.execute(
        "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1",
        &[&seq, &prev],
    )?;
    Ok(())
}
