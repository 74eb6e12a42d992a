//! The append-only, hash-chained audit log. Each row's hash covers the previous row's hash and
//! every field of the row; `audit_head` holds the last sequence number and hash, so editing,
//! deleting or truncating rows is detected by [`verify`].

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use sha2::{Digest, Sha256};

/// Hash of the (virtual) row before the first one.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What [`verify`] found wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    /// A row's stored hash does not match its contents.
    #[error("audit row {0} was edited: its hash does not match its contents")]
    Edited(i64),
    /// A row does not link to its predecessor, or a sequence number is missing.
    #[error("audit chain broken before row {0}: a row was deleted or reordered")]
    Broken(i64),
    /// The head does not match the last row.
    #[error(
        "the audit log ends at row {found} but the head records row {head}: rows were truncated or added outside the service"
    )]
    Head {
        /// Last row present.
        found: i64,
        /// Row the head records.
        head: i64,
    },
    /// SQLite failed.
    #[error("cannot read the audit log: {0}")]
    Sql(String),
}

fn row_hash(
    prev: &str,
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [prev, &seq.to_string(), at, actor, action, subject, detail] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Appends a row inside `tx`.
pub fn append(
    tx: &Transaction<'_>,
    at: &str,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> rusqlite::Result<i64> {
    let (seq, prev): (i64, String) = tx
        .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?
        .unwrap_or((0, GENESIS.to_string()));
    let seq = seq + 1;
    let hash = row_hash(&prev, seq, at, actor, action, subject, detail);
    tx.prepare_cached(
        "INSERT INTO audit (seq, at, actor, action, subject, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![seq, at, actor, action, subject, detail, prev, hash])?;
    tx.prepare_cached(
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?1, ?2)
         ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
    )?
    .execute(params![seq, hash])?;
    Ok(seq)
}

/// Walks the whole chain; returns the number of rows when it is intact.
pub fn verify(conn: &Connection) -> Result<i64, AuditError> {
    let sql = |e: rusqlite::Error| AuditError::Sql(e.to_string());
    let mut stmt = conn
        .prepare(
            "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit ORDER BY seq",
        )
        .map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    let mut expected_seq = 1;
    let mut prev = GENESIS.to_string();
    while let Some(r) = rows.next().map_err(sql)? {
        let seq: i64 = r.get(0).map_err(sql)?;
        let fields: Vec<String> = (1..8)
            .map(|i| r.get::<_, String>(i))
            .collect::<Result<_, _>>()
            .map_err(sql)?;
        if seq != expected_seq || fields[5] != prev {
            return Err(AuditError::Broken(seq));
        }
        let h = row_hash(
            &prev, seq, &fields[0], &fields[1], &fields[2], &fields[3], &fields[4],
        );
        if h != fields[6] {
            return Err(AuditError::Edited(seq));
        }
        prev = h;
        expected_seq += 1;
    }
    let found = expected_seq - 1;
    let head: (i64, String) = conn
        .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()
        .map_err(sql)?
        .unwrap_or((0, GENESIS.to_string()));
    if head.0 != found || head.1 != prev {
        return Err(AuditError::Head {
            found,
            head: head.0,
        });
    }
    Ok(found)
}
