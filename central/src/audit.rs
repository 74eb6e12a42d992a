//! The append-only, keyed hash chain of the audit log. Each row's hash is an HMAC-SHA256 (under
//! `audit.key` from the keys directory, never in the database; see [`crate::crypto_at_rest`]) of
//! the previous row's hash and every field of the row; `audit_head` holds the last sequence
//! number and hash. Without the key nobody can recompute the chain after an edit, so editing,
//! deleting or truncating rows is detected by [`verify`].
//!
//! The head is also anchored outside the database: [`checkpoint`] signs the current head with the
//! district key (`jiuzhu-central audit checkpoint --out FILE`, kept or printed by the district),
//! and [`verify_checkpoint`] checks that the chain still holds that row with that hash, so even
//! someone holding the audit key cannot rewrite or cut the rows a checkpoint covers.
//!
//! Databases from before the key (plain SHA-256 chains, scheme `sha256`) are verified once with
//! the old rule and re-chained under the key when opened ([`rekey_legacy`]).

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use sha2::{Digest, Sha256};

use crate::crypto_at_rest::AtRestKeys;

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
    /// The chain is shorter than a signed checkpoint: rows were cut off.
    #[error(
        "the signed checkpoint covers {checkpoint} rows but the audit log holds {found}: rows were deleted and the head rewritten"
    )]
    Truncated {
        /// Rows the checkpoint covers.
        checkpoint: i64,
        /// Rows present.
        found: i64,
    },
    /// The row a checkpoint names has another hash: the chain was rewritten.
    #[error(
        "audit row {0} no longer has the hash the signed checkpoint records: the chain up to it was rewritten"
    )]
    Rewritten(i64),
    /// The checkpoint file is not a checkpoint signed by this district key.
    #[error("the checkpoint is not valid: {0}")]
    BadCheckpoint(String),
    /// SQLite failed.
    #[error("cannot read the audit log: {0}")]
    Sql(String),
}

/// The scheme name stored in `audit_head.scheme` for keyed chains.
pub const SCHEME: &str = "hmac-sha256";
/// The scheme of chains written before the key.
pub const LEGACY_SCHEME: &str = "sha256";

/// The bytes a row's hash covers: each field length-prefixed (for tools and tests that check the
/// chain by hand).
pub fn row_message(
    prev: &str,
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> Vec<u8> {
    let mut m = Vec::new();
    for part in [prev, &seq.to_string(), at, actor, action, subject, detail] {
        m.extend_from_slice(&(part.len() as u64).to_be_bytes());
        m.extend_from_slice(part.as_bytes());
    }
    m
}

/// The keyed hash of a row, computed by the connection's `jz_audit_mac` (the audit key).
#[allow(clippy::too_many_arguments)]
fn row_mac(
    conn: &Connection,
    prev: &str,
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> rusqlite::Result<String> {
    conn.prepare_cached("SELECT jz_audit_mac(?1)")?.query_row(
        [row_message(prev, seq, at, actor, action, subject, detail)],
        |r| r.get(0),
    )
}

/// The plain SHA-256 of a row under the legacy scheme.
fn row_hash(
    prev: &str,
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> String {
    hex::encode(Sha256::digest(row_message(
        prev, seq, at, actor, action, subject, detail,
    )))
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
    let hash = row_mac(tx, &prev, seq, at, actor, action, subject, detail)?;
    tx.prepare_cached(
        "INSERT INTO audit (seq, at, actor, action, subject, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![seq, at, actor, action, subject, detail, prev, hash])?;
    tx.prepare_cached(
        "INSERT INTO audit_head (id, seq, hash, scheme) VALUES (1, ?1, ?2, ?3)
         ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
    )?
    .execute(params![seq, hash, SCHEME])?;
    Ok(seq)
}

/// Walks the whole keyed chain; returns the number of rows when it is intact.
pub fn verify(conn: &Connection) -> Result<i64, AuditError> {
    walk(conn, true).map(|(n, _)| n)
}

/// Walks the chain (keyed, or under the legacy rule); the number of rows and the last hash.
fn walk(conn: &Connection, keyed: bool) -> Result<(i64, String), AuditError> {
    let sql = |e: rusqlite::Error| AuditError::Sql(e.to_string());
    let mut stmt = conn
        .prepare(
            "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit ORDER BY seq",
        )
        .map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    let mut chain = ChainWalk::new();
    while let Some(r) = rows.next().map_err(sql)? {
        let seq: i64 = r.get(0).map_err(sql)?;
        let fields: Vec<String> = (1..8)
            .map(|i| r.get::<_, String>(i))
            .collect::<Result<_, _>>()
            .map_err(sql)?;
        chain.row(seq, &fields, |prev| {
            let (at, actor, action, subject, detail) =
                (&fields[0], &fields[1], &fields[2], &fields[3], &fields[4]);
            if keyed {
                row_mac(conn, prev, seq, at, actor, action, subject, detail).map_err(sql)
            } else {
                Ok(row_hash(prev, seq, at, actor, action, subject, detail))
            }
        })?;
    }
    let head: (i64, String) = conn
        .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()
        .map_err(sql)?
        .unwrap_or((0, GENESIS.to_string()));
    chain.finish(head)
}

/// The keyed hash of a row computed in Rust: what `jz_audit_mac` computes on the SQLite
/// connections, for backends without SQL functions of their own (PostgreSQL).
#[allow(clippy::too_many_arguments)]
pub fn keyed_row_hash(
    keys: &AtRestKeys,
    prev: &str,
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> String {
    keys.audit_mac(&row_message(prev, seq, at, actor, action, subject, detail))
}

/// The chain rule over rows read in sequence order, whatever the database: each row links to the
/// previous row's hash and carries its own.
pub(crate) struct ChainWalk {
    expected_seq: i64,
    prev: String,
}

impl ChainWalk {
    pub(crate) fn new() -> ChainWalk {
        ChainWalk {
            expected_seq: 1,
            prev: GENESIS.to_string(),
        }
    }

    /// Checks row `seq`, whose `fields` are at, actor, action, subject, detail, prev_hash and
    /// hash; `hash_of(prev)` computes what its hash must be.
    pub(crate) fn row(
        &mut self,
        seq: i64,
        fields: &[String],
        hash_of: impl FnOnce(&str) -> Result<String, AuditError>,
    ) -> Result<(), AuditError> {
        if seq != self.expected_seq || fields[5] != self.prev {
            return Err(AuditError::Broken(seq));
        }
        let h = hash_of(&self.prev)?;
        if h != fields[6] {
            return Err(AuditError::Edited(seq));
        }
        self.prev = h;
        self.expected_seq += 1;
        Ok(())
    }

    /// Checks the head against the last row; the number of rows and the last hash.
    pub(crate) fn finish(self, head: (i64, String)) -> Result<(i64, String), AuditError> {
        let found = self.expected_seq - 1;
        if head.0 != found || head.1 != self.prev {
            return Err(AuditError::Head {
                found,
                head: head.0,
            });
        }
        Ok((found, self.prev))
    }
}

/// Re-chains a legacy (plain SHA-256) audit log under the audit key, once: the old chain must
/// verify under the old rule first, so tampering from before cannot be laundered. Adds the row
/// `audit.keyed` recording the legacy head. Returns how many rows were re-chained.
pub fn rekey_legacy(tx: &Transaction<'_>, now: &str) -> Result<i64, AuditError> {
    let sql = |e: rusqlite::Error| AuditError::Sql(e.to_string());
    let scheme: Option<String> = tx
        .query_row("SELECT scheme FROM audit_head WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(sql)?;
    if scheme.as_deref() != Some(LEGACY_SCHEME) {
        return Ok(0);
    }
    let (n, legacy_head) = walk(tx, false)?;
    let rows: Vec<(i64, [String; 5])> = {
        let mut st = tx
            .prepare("SELECT seq, at, actor, action, subject, detail FROM audit ORDER BY seq")
            .map_err(sql)?;
        st.query_map([], |r| {
            Ok((
                r.get(0)?,
                [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?],
            ))
        })
        .map_err(sql)?
        .collect::<Result<_, _>>()
        .map_err(sql)?
    };
    let mut prev = GENESIS.to_string();
    for (seq, [at, actor, action, subject, detail]) in &rows {
        let h = row_mac(tx, &prev, *seq, at, actor, action, subject, detail).map_err(sql)?;
        tx.execute(
            "UPDATE audit SET prev_hash = ?2, hash = ?3 WHERE seq = ?1",
            params![seq, prev, h],
        )
        .map_err(sql)?;
        prev = h;
    }
    tx.execute(
        "UPDATE audit_head SET hash = ?1, scheme = ?2 WHERE id = 1",
        params![prev, SCHEME],
    )
    .map_err(sql)?;
    append(
        tx,
        now,
        "system:migration",
        "audit.keyed",
        "audit",
        &serde_json::json!({ "rows": n, "legacy_head": legacy_head }).to_string(),
    )
    .map_err(sql)?;
    Ok(n)
}

/// Label of signed audit checkpoints.
pub const CHECKPOINT_SCHEME: &str = "JIUZHU-AUDIT-CHECKPOINT-V1";

/// A signed statement of the audit head: "at `at`, the chain had `seq` rows ending in `hash`".
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// Always [`CHECKPOINT_SCHEME`].
    pub scheme: String,
    /// Rows covered.
    pub seq: i64,
    /// The hash of row `seq`.
    pub hash: String,
    /// When it was taken (RFC 3339).
    pub at: String,
    /// The district public key that signed it (hex).
    pub district_key: String,
    /// Ed25519 signature (hex) over [`Checkpoint::signed_bytes`].
    pub signature: String,
}

impl Checkpoint {
    /// The bytes the signature covers.
    pub fn signed_bytes(&self) -> Vec<u8> {
        format!(
            "{CHECKPOINT_SCHEME}\n{}\n{}\n{}\n",
            self.seq, self.hash, self.at
        )
        .into_bytes()
    }
}

/// Verifies the chain and signs its head with the district key.
pub fn checkpoint(conn: &Connection, key: &SigningKey, at: &str) -> Result<Checkpoint, AuditError> {
    let (seq, hash) = walk(conn, true)?;
    Ok(sign_checkpoint(seq, hash, key, at))
}

/// Signs "the chain had `seq` rows ending in `hash`" with the district key (either backend).
pub fn sign_checkpoint(seq: i64, hash: String, key: &SigningKey, at: &str) -> Checkpoint {
    let mut cp = Checkpoint {
        scheme: CHECKPOINT_SCHEME.into(),
        seq,
        hash,
        at: at.into(),
        district_key: hex::encode(key.verifying_key().as_bytes()),
        signature: String::new(),
    };
    cp.signature = hex::encode(key.sign(&cp.signed_bytes()).to_bytes());
    cp
}

/// Verifies the chain and that it still holds the checkpoint's row with the checkpoint's hash;
/// the checkpoint must be signed by `district`. Returns the number of rows.
pub fn verify_checkpoint(
    conn: &Connection,
    cp: &Checkpoint,
    district: &VerifyingKey,
) -> Result<i64, AuditError> {
    check_checkpoint(
        cp,
        district,
        || verify(conn),
        |seq| {
            conn.query_row("SELECT hash FROM audit WHERE seq = ?1", [seq], |r| r.get(0))
                .map_err(|e| AuditError::Sql(e.to_string()))
        },
    )
}

/// The checks of [`verify_checkpoint`] for either backend: the signature, then `verify` (the
/// chain's walk; its number of rows) and `hash_at` (the stored hash of a row).
pub fn check_checkpoint(
    cp: &Checkpoint,
    district: &VerifyingKey,
    verify: impl FnOnce() -> Result<i64, AuditError>,
    hash_at: impl FnOnce(i64) -> Result<String, AuditError>,
) -> Result<i64, AuditError> {
    let bad = |m: &str| AuditError::BadCheckpoint(m.into());
    if cp.scheme != CHECKPOINT_SCHEME {
        return Err(bad("unknown scheme"));
    }
    if cp.district_key != hex::encode(district.as_bytes()) {
        return Err(bad("signed by another district key"));
    }
    let sig: [u8; 64] = hex::decode(&cp.signature)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| bad("the signature is not 64 hex bytes"))?;
    district
        .verify(&cp.signed_bytes(), &Signature::from_bytes(&sig))
        .map_err(|_| bad("the signature does not verify"))?;
    let found = verify()?;
    if found < cp.seq {
        return Err(AuditError::Truncated {
            checkpoint: cp.seq,
            found,
        });
    }
    if cp.seq > 0 && hash_at(cp.seq)? != cp.hash {
        return Err(AuditError::Rewritten(cp.seq));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_row_hash_is_what_the_sqlite_function_computes() {
        let keys = AtRestKeys::from_bytes([5; 32], [6; 32]);
        let conn = Connection::open_in_memory().unwrap();
        crate::crypto_at_rest::register(&conn, &keys).unwrap();
        let args = (
            GENESIS,
            7,
            "2026-12-06T19:00:00.000000Z",
            "admin:cli",
            "kiosk.add",
            "k-1",
        );
        let (prev, seq, at, actor, action, subject) = args;
        assert_eq!(
            row_mac(&conn, prev, seq, at, actor, action, subject, "{}").unwrap(),
            keyed_row_hash(&keys, prev, seq, at, actor, action, subject, "{}")
        );
        assert_ne!(
            keyed_row_hash(&keys, prev, seq, at, actor, action, subject, "{}"),
            keyed_row_hash(&keys, prev, seq + 1, at, actor, action, subject, "{}")
        );
    }
}
