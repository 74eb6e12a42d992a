//! The kiosk's local store: one SQLite file in WAL mode with timestamped migrations, personal
//! fields sealed with the data key ([`crypto`]), an append-only outbox of what must reach the
//! central service ([`outbox`]), the archive of captured materials kept only until the central
//! service acknowledges them, a hash-chained audit log ([`audit`]) and the status cache that keeps
//! 进度查询 working offline ([`status`]).
//!
//! Opening never silently recreates a damaged database: a file that is not SQLite, fails
//! `PRAGMA quick_check` or whose key canary does not open is moved to `quarantine/` with a
//! report, and the caller gets [`StoreError::Corrupt`]. Until a technician calls
//! [`Store::start_fresh`], later opens answer [`StoreError::Missing`].

pub mod audit;
pub mod crypto;
pub mod outbox;
pub mod status;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OptionalExtension, params};
use sha2::{Digest, Sha256};

use crypto::{FieldCipher, KeyError, KeyProvider, OpenError};

/// Unix time in milliseconds; every clock reading is passed in by the caller.
pub type UnixMillis = i64;

/// The database file inside the store directory.
pub const DB_FILE: &str = "kiosk.db";
/// Written when a database is first created; its presence without [`DB_FILE`] means the
/// database went missing and must not be silently recreated.
pub const CREATED_MARKER: &str = "store.created";
/// Where damaged databases are moved.
pub const QUARANTINE_DIR: &str = "quarantine";
const CREATED_AT: &str = "store.created_at";

/// Timestamped migrations, applied in order and never edited once released.
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "20261127T0130Z_initial",
        include_str!("migrations/20261127T0130Z_initial.sql"),
    ),
    (
        "20261127T1000Z_outbox_case",
        include_str!("migrations/20261127T1000Z_outbox_case.sql"),
    ),
    (
        "20261206T1700Z_audit_head",
        include_str!("migrations/20261206T1700Z_audit_head.sql"),
    ),
];

/// What went wrong with the store, each naming the remedy.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data key could not be had.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The database was damaged and has been moved aside.
    #[error(
        "the local database was damaged ({detail}) and has been moved to {quarantined_to}; records in it are kept there for recovery. Call a technician: restore the database from backup or start a fresh one explicitly"
    )]
    Corrupt {
        /// What the check found.
        detail: String,
        /// Directory holding the quarantined files and REPORT.txt.
        quarantined_to: PathBuf,
    },
    /// The database was created before and is now gone (or was quarantined).
    #[error(
        "the local database {path} is missing although this kiosk created one before (see {marker}); it is not recreated silently. Restore it from backup, or have a technician start a fresh one explicitly"
    )]
    Missing {
        /// The database path.
        path: PathBuf,
        /// The marker file.
        marker: PathBuf,
    },
    /// The data key does not open the database's fields.
    #[error(
        "the data key ({source_desc}) does not open this database; the key file was replaced or belongs to another kiosk. Restore the original key file"
    )]
    WrongKey {
        /// Where the key came from.
        source_desc: String,
    },
    /// The disk (or the configured size limit) is full; the write was not made, committed
    /// records are intact.
    #[error(
        "the kiosk's disk is full; the last record was NOT saved (earlier records are safe). Free space on {path} or let the kiosk sync so acknowledged materials are purged, then try again"
    )]
    DiskFull {
        /// The database path.
        path: PathBuf,
    },
    /// The database was written by a newer kiosk version.
    #[error(
        "the local database has migration '{0}' that this kiosk version does not know; install the newer kiosk version again"
    )]
    NewerSchema(String),
    /// A sealed field does not open.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// A record does not exist.
    #[error("no outbox record {0}")]
    NotFound(String),
    /// A record is not in a state that allows the operation.
    #[error("{0}")]
    State(String),
    /// Another SQLite failure.
    #[error("local database error: {0}. If it repeats, run `jiuzhu-kiosk doctor`")]
    Sqlite(rusqlite::Error),
    /// A filesystem failure around the database.
    #[error(
        "cannot use the store directory {path}: {source}. Check that it exists and is writable by the kiosk user"
    )]
    Io {
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sqlite(e)
    }
}

fn sqlite_code(e: &rusqlite::Error) -> Option<ErrorCode> {
    match e {
        rusqlite::Error::SqliteFailure(f, _) => Some(f.code),
        _ => None,
    }
}

/// Options for opening a store.
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// Caps the database at this many pages (`PRAGMA max_page_count`): a size limit that behaves
    /// like a full disk (SQLITE_FULL). Used to test full-disk handling without root.
    pub max_page_count: Option<u32>,
}

/// The open store.
pub struct Store {
    pub(crate) conn: Connection,
    pub(crate) cipher: FieldCipher,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.path.display())
    }
}

impl Store {
    /// Opens (or on the very first run creates) the store in `dir`.
    pub fn open(dir: &Path, keys: &dyn KeyProvider) -> Result<Store, StoreError> {
        Self::open_with(dir, keys, &StoreOptions::default())
    }

    /// Opens with options.
    pub fn open_with(
        dir: &Path,
        keys: &dyn KeyProvider,
        opts: &StoreOptions,
    ) -> Result<Store, StoreError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StoreError::Io { path, source }
        };
        fs::create_dir_all(dir).map_err(io(dir))?;
        let path = dir.join(DB_FILE);
        let marker = dir.join(CREATED_MARKER);
        let key = keys.data_key()?;
        let cipher = FieldCipher::new(&key);
        if path.exists() {
            if let Err(detail) = check_header(&path) {
                return Err(quarantine(dir, &detail));
            }
        } else if marker.exists() {
            return Err(StoreError::Missing { path, marker });
        }
        let fresh = !path.exists();
        let conn = match Self::connect(&path, opts) {
            Ok(c) => c,
            Err(e) if is_corruption(&e) => return Err(quarantine(dir, &e.to_string())),
            Err(e) => return Err(e.into()),
        };
        if !fresh {
            match conn.query_row("PRAGMA quick_check", [], |r| r.get::<_, String>(0)) {
                Ok(s) if s == "ok" => {}
                Ok(s) => {
                    drop(conn);
                    return Err(quarantine(dir, &format!("quick_check: {s}")));
                }
                Err(e) if is_corruption(&e) => {
                    drop(conn);
                    return Err(quarantine(dir, &e.to_string()));
                }
                Err(e) => return Err(e.into()),
            }
        }
        let mut store = Store {
            conn,
            cipher,
            path: path.clone(),
        };
        if let Err(e) = store.migrate() {
            if let StoreError::Sqlite(se) = &e
                && is_corruption(se)
            {
                let detail = se.to_string();
                drop(store);
                return Err(quarantine(dir, &detail));
            }
            return Err(store.map_full(e));
        }
        store.check_canary(keys)?;
        store.anchor_legacy_audit()?;
        if store.meta_i64(CREATED_AT)?.is_none() {
            store.set_meta_i64(CREATED_AT, chrono::Utc::now().timestamp_millis())?;
        }
        if fresh {
            crypto::write_private_file(
                &marker,
                format!("created {}\n", chrono::Utc::now().to_rfc3339()).as_bytes(),
            )
            .or_else(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    Ok(())
                } else {
                    Err(e)
                }
            })
            .map_err(io(&marker))?;
        }
        Ok(store)
    }

    /// Starts a fresh database after the old one was quarantined or lost. Only a technician's
    /// explicit action calls this; it refuses while a database file is present.
    pub fn start_fresh(dir: &Path, keys: &dyn KeyProvider) -> Result<Store, StoreError> {
        let path = dir.join(DB_FILE);
        if path.exists() {
            return Err(StoreError::State(format!(
                "{} exists; start_fresh only replaces a missing or quarantined database",
                path.display()
            )));
        }
        let marker = dir.join(CREATED_MARKER);
        match fs::remove_file(&marker) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(StoreError::Io {
                    path: marker,
                    source,
                });
            }
        }
        Self::open(dir, keys)
    }

    fn connect(path: &Path, opts: &StoreOptions) -> Result<Connection, rusqlite::Error> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
                Some(format!("cannot switch to WAL mode (got {mode})")),
            ));
        }
        conn.execute_batch(
            "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;",
        )?;
        if let Some(n) = opts.max_page_count {
            conn.query_row(&format!("PRAGMA max_page_count={n}"), [], |_| Ok(()))?;
        }
        Ok(conn)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        self.conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)",
        )?;
        let mut st = self
            .conn
            .prepare("SELECT id FROM schema_migrations ORDER BY id")?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        let mut applied = Vec::new();
        for r in rows {
            applied.push(r?);
        }
        drop(st);
        if let Some(unknown) = applied
            .iter()
            .find(|a| !MIGRATIONS.iter().any(|(id, _)| *id == a.as_str()))
        {
            return Err(StoreError::NewerSchema(unknown.clone()));
        }
        for (id, sql) in MIGRATIONS {
            if applied.iter().any(|a| a.as_str() == *id) {
                continue;
            }
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (id, applied_at) VALUES (?1, ?2)",
                params![id, chrono::Utc::now().to_rfc3339()],
            )?;
            tx.commit()?;
        }
        Ok(())
    }

    fn check_canary(&mut self, keys: &dyn KeyProvider) -> Result<(), StoreError> {
        const PLACE: &str = "meta.canary";
        let got: Option<Vec<u8>> = self
            .conn
            .query_row("SELECT v FROM meta WHERE k = 'canary'", [], |r| r.get(0))
            .optional()?;
        match got {
            Some(sealed) => match self.cipher.open(PLACE, "canary", &sealed) {
                Ok(p) if p == b"jiuzhu" => Ok(()),
                _ => Err(StoreError::WrongKey {
                    source_desc: keys.describe(),
                }),
            },
            None => {
                let sealed = self.cipher.seal(PLACE, "canary", b"jiuzhu");
                self.conn
                    .execute(
                        "INSERT INTO meta (k, v) VALUES ('canary', ?1)",
                        params![sealed],
                    )
                    .map_err(|e| self.map_full(e.into()))?;
                Ok(())
            }
        }
    }

    /// Turns SQLITE_FULL into [`StoreError::DiskFull`].
    pub(crate) fn map_full(&self, e: StoreError) -> StoreError {
        match &e {
            StoreError::Sqlite(se) if sqlite_code(se) == Some(ErrorCode::DiskFull) => {
                StoreError::DiskFull {
                    path: self.path.clone(),
                }
            }
            _ => e,
        }
    }

    /// When this database was created (the staleness clock starts here if central was never
    /// reached).
    pub fn created_at(&self) -> Result<UnixMillis, StoreError> {
        Ok(self.meta_i64(CREATED_AT)?.unwrap_or(0))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads a value from the meta table (plain, never personal data).
    pub(crate) fn meta_i64(&self, k: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT CAST(v AS INTEGER) FROM meta WHERE k = ?1",
                params![k],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub(crate) fn set_meta_i64(&self, k: &str, v: i64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO meta (k, v) VALUES (?1, ?2) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
                params![k, v],
            )
            .map_err(|e| self.map_full(e.into()))?;
        Ok(())
    }
}

fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        sqlite_code(e),
        Some(ErrorCode::DatabaseCorrupt) | Some(ErrorCode::NotADatabase)
    )
}

fn check_header(path: &Path) -> Result<(), String> {
    let mut f = fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut head = [0u8; 16];
    let mut n = 0;
    while n < 16 {
        match f.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => return Err(format!("cannot read: {e}")),
        }
    }
    if n == 0 {
        // An empty file is what SQLite leaves when it was killed while creating the database.
        return Ok(());
    }
    if n < 16 || head != *b"SQLite format 3\0" {
        return Err("the file does not start with the SQLite header".into());
    }
    Ok(())
}

/// Moves the database (and its WAL and shared-memory files) into a new quarantine directory with
/// a report, and returns the error to show.
fn quarantine(dir: &Path, detail: &str) -> StoreError {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ").to_string();
    let qdir = dir.join(QUARANTINE_DIR).join(&stamp);
    let mut report = format!(
        "Jiuzhu kiosk store quarantine\nwhen: {}\nwhy: {detail}\nfiles:\n",
        chrono::Utc::now().to_rfc3339()
    );
    if let Err(source) = fs::create_dir_all(&qdir) {
        return StoreError::Io { path: qdir, source };
    }
    for suffix in ["", "-wal", "-shm"] {
        let name = format!("{DB_FILE}{suffix}");
        let from = dir.join(&name);
        if !from.exists() {
            continue;
        }
        let digest = fs::read(&from)
            .map(|b| {
                format!(
                    "{} bytes, sha256 {}",
                    b.len(),
                    hex::encode(Sha256::digest(&b))
                )
            })
            .unwrap_or_else(|e| format!("unreadable: {e}"));
        if let Err(source) = fs::rename(&from, qdir.join(&name)) {
            return StoreError::Io { path: from, source };
        }
        report.push_str(&format!("  {name}: {digest}\n"));
    }
    let _ = fs::write(qdir.join("REPORT.txt"), report);
    tracing::error!(quarantine = %qdir.display(), %detail, "local database quarantined");
    StoreError::Corrupt {
        detail: detail.to_string(),
        quarantined_to: qdir,
    }
}
