//! The 进度查询 cache: the last answer the central service gave about a person's cases, sealed and
//! keyed by a blind index of the ID number, so status queries still work offline and show when
//! they were last updated.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, UnixMillis};

/// A cached answer.
#[derive(Clone, PartialEq, Eq)]
pub struct CachedStatus {
    /// The answer body as the central service sent it (JSON of `StatusAnswer`).
    pub body: Vec<u8>,
    /// When it was fetched: show it as "last updated".
    pub fetched_at: UnixMillis,
}

impl std::fmt::Debug for CachedStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CachedStatus({} bytes, fetched at {})",
            self.body.len(),
            self.fetched_at
        )
    }
}

impl Store {
    fn status_key(&self, id_number: &str) -> String {
        self.cipher
            .blind_index("status_cache", id_number.as_bytes())
    }

    /// Stores the latest answer for `id_number` (replacing an older one, never a newer one).
    pub fn cache_status(
        &mut self,
        id_number: &str,
        body: &[u8],
        fetched_at: UnixMillis,
    ) -> Result<(), StoreError> {
        let k = self.status_key(id_number);
        let sealed = self.cipher.seal("status_cache.body", &k, body);
        self.conn
            .execute(
                "INSERT INTO status_cache (k, body, fetched_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(k) DO UPDATE SET body = excluded.body, fetched_at = excluded.fetched_at
                 WHERE excluded.fetched_at >= status_cache.fetched_at",
                params![k, sealed, fetched_at],
            )
            .map_err(|e| self.map_full(e.into()))?;
        Ok(())
    }

    /// The cached answer for `id_number`, if any.
    pub fn cached_status(&self, id_number: &str) -> Result<Option<CachedStatus>, StoreError> {
        let k = self.status_key(id_number);
        let row: Option<(Vec<u8>, i64)> = self
            .conn
            .query_row(
                "SELECT body, fetched_at FROM status_cache WHERE k = ?1",
                params![k],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match row {
            None => Ok(None),
            Some((sealed, fetched_at)) => Ok(Some(CachedStatus {
                body: self.cipher.open("status_cache.body", &k, &sealed)?,
                fetched_at,
            })),
        }
    }
}
