//! Townships, kiosks, request nonces and the replies kept for idempotency keys.

use super::*;

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

/// Townships, kiosks, request nonces and the replies kept for idempotency keys.
pub trait KioskStore {
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
    /// The first answer stored for an idempotency key, if any.
    fn reply(&self, idem: Idem<'_>) -> Result<Option<String>, StoreError>;
    /// Keeps `response` as the answer to an idempotency key unless one is kept already, and
    /// returns the kept answer: the first one wins, also between central instances on one
    /// database. (The areas that store a result keep its reply inside their own transaction;
    /// this is for an answer that is the whole of the work.) `Unprocessable`
    /// (`idempotency_key_reused`) when the key came with another body.
    fn keep_reply(
        &self,
        idem: Idem<'_>,
        response: &str,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError>;
}

/// The townships a kiosk serves (issue #17's kiosk scope): the one it stands in, and those the
/// district added.
pub trait KioskScope: Send + Sync {
    /// The townships a kiosk serves: the one it stands in first, then those the district
    /// added. Empty for an unknown kiosk.
    fn kiosk_scope(&self, kiosk: &str) -> Result<Vec<String>, StoreError>;
    /// Sets the townships a kiosk serves besides its own (replacing the previous list), with an
    /// audit row `kiosk.scope` naming them. `NotFound` for an unknown kiosk or township.
    fn set_kiosk_serves(
        &self,
        kiosk: &str,
        townships: &[String],
        actor: &str,
    ) -> Result<(), StoreError>;
}

/// The longest kiosk id or township code the store takes.
pub const MAX_ID_LEN: usize = 64;
/// The longest township name or phone number the store takes, in characters.
pub const MAX_TEXT_LEN: usize = 100;

/// At most 40 characters of a refused value, for the error message.
fn shown(v: &str) -> String {
    let mut s: String = v.chars().take(40).collect();
    if s.len() < v.len() {
        s.push('…');
    }
    s
}

/// A kiosk id or township code: 1–[`MAX_ID_LEN`] characters of `A-Z a-z 0-9 _ -`.
pub(crate) fn check_id(what: &str, v: &str) -> Result<(), StoreError> {
    if (1..=MAX_ID_LEN).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Ok(());
    }
    Err(StoreError::Invalid(format!(
        "{what} '{}' must be 1–{MAX_ID_LEN} characters of A-Z a-z 0-9 _ - ({} bytes given)",
        shown(v),
        v.len()
    )))
}

/// A name or phone number: not blank, at most [`MAX_TEXT_LEN`] characters, no control characters.
pub(crate) fn check_text(what: &str, v: &str) -> Result<(), StoreError> {
    let n = v.chars().count();
    if v.trim().is_empty() || n > MAX_TEXT_LEN || v.chars().any(char::is_control) {
        return Err(StoreError::Invalid(format!(
            "{what} '{}' must be 1–{MAX_TEXT_LEN} characters without control characters ({n} given)",
            shown(v)
        )));
    }
    Ok(())
}

pub(crate) fn check_township(t: &Township) -> Result<(), StoreError> {
    check_id("township code", &t.code)?;
    check_text("township name", &t.name)?;
    check_text("hotline", &t.hotline)?;
    check_text("report phone", &t.report_phone)
}

pub(crate) fn check_nonce(kiosk: &str, nonce: &str) -> Result<(), StoreError> {
    check_id("kiosk id", kiosk)?;
    if !jiuzhu_core::api::valid_nonce(nonce) {
        return Err(StoreError::Invalid(format!(
            "nonce '{}' must be 16–64 characters of A-Z a-z 0-9 _ -",
            shown(nonce)
        )));
    }
    Ok(())
}

pub(crate) fn check_idem(i: &Idem<'_>) -> Result<(), StoreError> {
    check_id("kiosk id", i.kiosk)?;
    check_id("endpoint", i.endpoint)?;
    if !(16..=64).contains(&i.key.len())
        || !i
            .key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(StoreError::Invalid(format!(
            "Idempotency-Key '{}' must be 16–64 characters of A-Z a-z 0-9 _ -",
            shown(i.key)
        )));
    }
    if i.body_sha256.len() != 64
        || !i
            .body_sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(StoreError::Invalid(
            "the body digest must be 64 lower-case hex characters (SHA-256)".into(),
        ));
    }
    Ok(())
}

impl KioskStore for SqliteStore {
    fn put_township(&self, t: &Township, actor: &str) -> Result<(), StoreError> {
        check_township(t)?;
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
        check_id("kiosk id", id)?;
        check_id("township code", township)?;
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
        check_nonce(kiosk, nonce)?;
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

    fn reply(&self, idem: Idem<'_>) -> Result<Option<String>, StoreError> {
        stored_reply(&self.read(), idem)
    }

    fn keep_reply(
        &self,
        idem: Idem<'_>,
        response: &str,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        check_idem(&idem)?;
        // IMMEDIATE: the write lock is taken before the look-up, so no other connection (another
        // process on the same file too) can keep an answer between the look-up and the insert
        let mut c = self.conn();
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let kept = match stored_reply(&tx, idem)? {
            Some(first) => first,
            None => {
                keep_reply(&tx, Some(idem), response, now)?;
                response.to_string()
            }
        };
        tx.commit()?;
        Ok(kept)
    }
}

impl KioskScope for SqliteStore {
    fn kiosk_scope(&self, kiosk: &str) -> Result<Vec<String>, StoreError> {
        let c = self.read();
        let own: Option<String> = c
            .prepare_cached("SELECT township FROM kiosks WHERE id = ?1")?
            .query_row([kiosk], |r| r.get(0))
            .optional()?;
        let Some(own) = own else { return Ok(vec![]) };
        let mut scope = vec![own];
        let more = c
            .prepare_cached(
                "SELECT township FROM kiosk_serves WHERE kiosk_id = ?1 ORDER BY township",
            )?
            .query_map([kiosk], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        for t in more {
            if !scope.contains(&t) {
                scope.push(t);
            }
        }
        Ok(scope)
    }

    fn set_kiosk_serves(
        &self,
        kiosk: &str,
        townships: &[String],
        actor: &str,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let exists: i64 =
                tx.query_row("SELECT count(*) FROM kiosks WHERE id = ?1", [kiosk], |r| {
                    r.get(0)
                })?;
            if exists == 0 {
                return Err(StoreError::NotFound(format!("no kiosk '{kiosk}'")));
            }
            for t in townships {
                if !township_exists(tx, t)? {
                    return Err(StoreError::NotFound(format!(
                        "township '{t}' is not registered"
                    )));
                }
            }
            tx.execute("DELETE FROM kiosk_serves WHERE kiosk_id = ?1", [kiosk])?;
            for t in townships {
                tx.execute(
                    "INSERT OR IGNORE INTO kiosk_serves VALUES (?1, ?2)",
                    params![kiosk, t],
                )?;
            }
            audit::append(
                tx,
                &now_str(Utc::now()),
                actor,
                "kiosk.scope",
                kiosk,
                &serde_json::json!({ "serves": townships }).to_string(),
            )?;
            Ok(())
        })
    }
}
