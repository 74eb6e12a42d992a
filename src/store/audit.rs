//! The local audit log: append-only rows chained by SHA-256, so a removed, reordered or edited
//! row breaks the chain. Details (which may name a person) are sealed; the chain is computed over
//! the stored bytes. The head (the last row's number and hash) is sealed with the data key in
//! `audit_head`, so rows cut off the end, or a chain recomputed after an edit, no longer match
//! it: [`Store::verify_audit`] needs the key for that last check.

use rusqlite::{OptionalExtension, Transaction, params};
use sha2::{Digest, Sha256};

use super::{Store, StoreError, UnixMillis};

/// The hash before the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit row as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Position in the chain (1-based).
    pub seq: i64,
    /// When.
    pub at: UnixMillis,
    /// Who (`kiosk`, `staff:<name>`, `sync`).
    pub actor: String,
    /// What, e.g. `outbox.enqueue`.
    pub action: String,
    /// The opened detail, if any.
    pub detail: Option<String>,
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the audit log is broken at row {seq}: {why}; the local records may have been tampered with — report it to the district bureau"
)]
pub struct ChainBroken {
    /// First row that does not verify.
    pub seq: i64,
    /// What is wrong.
    pub why: String,
}

fn row_hash(
    prev: &str,
    seq: i64,
    at: i64,
    actor: &str,
    action: &str,
    detail: Option<&[u8]>,
) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(seq.to_be_bytes());
    h.update(at.to_be_bytes());
    for part in [actor.as_bytes(), action.as_bytes(), detail.unwrap_or(b"")] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.update([detail.is_some() as u8]);
    hex::encode(h.finalize())
}

/// Appends one row inside `tx` (so it commits or rolls back with the change it records).
pub(crate) fn append(
    tx: &Transaction<'_>,
    cipher: &super::crypto::FieldCipher,
    at: UnixMillis,
    actor: &str,
    action: &str,
    detail: Option<&str>,
) -> Result<(), rusqlite::Error> {
    let last: Option<(i64, String)> = tx
        .query_row(
            "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (seq, prev) = match last {
        Some((s, h)) => (s + 1, h),
        None => (1, GENESIS.to_string()),
    };
    let sealed = detail.map(|d| cipher.seal("audit.detail", &seq.to_string(), d.as_bytes()));
    let hash = row_hash(&prev, seq, at, actor, action, sealed.as_deref());
    tx.execute(
        "INSERT INTO audit (seq, at, actor, action, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![seq, at, actor, action, sealed, prev, hash],
    )?;
    write_head(tx, cipher, seq, &hash)
}

const HEAD_PLACE: &str = "audit.head";

fn write_head(
    conn: &rusqlite::Connection,
    cipher: &super::crypto::FieldCipher,
    seq: i64,
    hash: &str,
) -> Result<(), rusqlite::Error> {
    let sealed = cipher.seal(HEAD_PLACE, "1", format!("{seq}:{hash}").as_bytes());
    conn.execute(
        "INSERT INTO audit_head (id, sealed) VALUES (1, ?1)
         ON CONFLICT(id) DO UPDATE SET sealed = excluded.sealed",
        params![sealed],
    )?;
    Ok(())
}

impl Store {
    /// Gives a log written before the sealed head (migration `20261206T1700Z_audit_head`) its
    /// head, from its last row, once.
    pub(crate) fn anchor_legacy_audit(&mut self) -> Result<(), StoreError> {
        let has_head: i64 = self
            .conn
            .query_row("SELECT count(*) FROM audit_head", [], |r| r.get(0))?;
        if has_head > 0 {
            return Ok(());
        }
        let last: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((seq, hash)) = last {
            write_head(&self.conn, &self.cipher, seq, &hash)?;
            tracing::info!(rows = seq, "the local audit log got its sealed head");
        }
        Ok(())
    }

    /// Records an event in the audit log.
    pub fn audit(
        &mut self,
        at: UnixMillis,
        actor: &str,
        action: &str,
        detail: Option<&str>,
    ) -> Result<(), StoreError> {
        let r = (|| {
            let tx = self.conn.transaction()?;
            append(&tx, &self.cipher, at, actor, action, detail)?;
            tx.commit()
        })();
        r.map_err(|e| self.map_full(e.into()))
    }

    /// Walks the whole chain; `Ok(n)` is the number of rows verified.
    pub fn verify_audit(&self) -> Result<Result<i64, ChainBroken>, StoreError> {
        let mut st = self.conn.prepare(
            "SELECT seq, at, actor, action, detail, prev_hash, hash FROM audit ORDER BY seq",
        )?;
        let mut rows = st.query([])?;
        let mut prev = GENESIS.to_string();
        let mut expect_seq = 1;
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            let detail: Option<Vec<u8>> = r.get(4)?;
            let stored_prev: String = r.get(5)?;
            let stored: String = r.get(6)?;
            if seq != expect_seq {
                return Ok(Err(ChainBroken {
                    seq,
                    why: format!("row {expect_seq} is missing"),
                }));
            }
            if stored_prev != prev {
                return Ok(Err(ChainBroken {
                    seq,
                    why: "it does not follow the previous row".into(),
                }));
            }
            let h = row_hash(
                &prev,
                seq,
                r.get(1)?,
                &r.get::<_, String>(2)?,
                &r.get::<_, String>(3)?,
                detail.as_deref(),
            );
            if h != stored {
                return Ok(Err(ChainBroken {
                    seq,
                    why: "its content does not match its hash".into(),
                }));
            }
            prev = stored;
            expect_seq += 1;
        }
        let found = expect_seq - 1;
        let head: Option<Vec<u8>> = self
            .conn
            .query_row("SELECT sealed FROM audit_head WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?;
        let head = match head {
            None if found == 0 => return Ok(Ok(0)),
            None => {
                return Ok(Err(ChainBroken {
                    seq: found,
                    why: "the sealed head of the log is missing".into(),
                }));
            }
            Some(sealed) => self
                .cipher
                .open(HEAD_PLACE, "1", &sealed)
                .ok()
                .and_then(|p| {
                    let text = String::from_utf8(p).ok()?;
                    let (seq, hash) = text.split_once(':')?;
                    Some((seq.parse::<i64>().ok()?, hash.to_string()))
                }),
        };
        match head {
            Some((seq, hash)) if seq == found && hash == prev => Ok(Ok(found)),
            Some((seq, _)) if seq != found => Ok(Err(ChainBroken {
                seq: found.min(seq) + 1,
                why: format!(
                    "the log ends at row {found} but its sealed head records row {seq}: rows were cut off or added outside the kiosk"
                ),
            })),
            Some(_) => Ok(Err(ChainBroken {
                seq: found,
                why:
                    "the last row is not the one the sealed head records: the chain was recomputed"
                        .into(),
            })),
            None => Ok(Err(ChainBroken {
                seq: found,
                why: "the sealed head does not open with this kiosk's data key".into(),
            })),
        }
    }

    /// The last `limit` audit rows, newest first, details opened.
    pub fn recent_audit(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let mut st = self.conn.prepare(
            "SELECT seq, at, actor, action, detail FROM audit ORDER BY seq DESC LIMIT ?1",
        )?;
        let rows = st.query_map(params![limit], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<Vec<u8>>>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, at, actor, action, detail) = row?;
            let detail = match detail {
                Some(d) => Some(
                    String::from_utf8_lossy(&self.cipher.open(
                        "audit.detail",
                        &seq.to_string(),
                        &d,
                    )?)
                    .into_owned(),
                ),
                None => None,
            };
            out.push(AuditEntry {
                seq,
                at,
                actor,
                action,
                detail,
            });
        }
        Ok(out)
    }
}
