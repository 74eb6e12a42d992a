//! Failed staff logins, counted where every central instance sees them (issue #21): the back-off
//! of [`crate::login_guard`] holds across instances and restarts, so two instances behind one
//! balancer do not give a password guesser twice the tries, and a restart does not forgive them.
//! The guard decides what a failure does ([`crate::login_guard::next_failures`]); the store keeps
//! one row per throttled key (an account name's digest or a client address) and changes it one
//! instance at a time.

use rusqlite::{OptionalExtension as _, params};

use super::{SqliteStore, StoreError};

/// The failures counted against one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginFailures {
    /// Failures in the current run.
    pub count: u32,
    /// The last failure (Unix milliseconds).
    pub last_ms: i64,
    /// Logins of this key are refused until then (Unix milliseconds; 0: not blocked).
    pub blocked_until_ms: i64,
}

/// What to forget when a failure is recorded.
#[derive(Debug, Clone, Copy)]
pub struct Forget {
    /// Now (Unix milliseconds).
    pub now_ms: i64,
    /// Rows whose last failure is older and whose block has ended are removed.
    pub before_ms: i64,
    /// Rows kept at most: beyond, the oldest unblocked rows are removed (a flood of made-up
    /// names cannot grow the table without bound).
    pub max_rows: usize,
}

/// Where failed logins are counted.
pub trait LoginThrottleStore {
    /// The failures kept for `key`.
    fn login_failures(&self, key: &str) -> Result<Option<LoginFailures>, StoreError>;
    /// Replaces the failures of `key` by `next(kept)` (one instance at a time per key) and
    /// forgets what `forget` says; the new value.
    fn record_login_failure(
        &self,
        key: &str,
        forget: Forget,
        next: &dyn Fn(Option<LoginFailures>) -> LoginFailures,
    ) -> Result<LoginFailures, StoreError>;
    /// Forgets the failures of `key`.
    fn clear_login_failures(&self, key: &str) -> Result<(), StoreError>;
}

fn count_of(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

/// The failures kept for `key` (SQLite).
fn kept(c: &rusqlite::Connection, key: &str) -> Result<Option<LoginFailures>, StoreError> {
    Ok(c.query_row(
        "SELECT failures, last_ms, blocked_until_ms FROM login_failures WHERE key = ?1",
        [key],
        |r| {
            Ok(LoginFailures {
                count: count_of(r.get(0)?),
                last_ms: r.get(1)?,
                blocked_until_ms: r.get(2)?,
            })
        },
    )
    .optional()?)
}

impl LoginThrottleStore for SqliteStore {
    fn login_failures(&self, key: &str) -> Result<Option<LoginFailures>, StoreError> {
        kept(&self.read(), key)
    }

    fn record_login_failure(
        &self,
        key: &str,
        forget: Forget,
        next: &dyn Fn(Option<LoginFailures>) -> LoginFailures,
    ) -> Result<LoginFailures, StoreError> {
        // the one writer connection serialises every change
        self.write(|tx| {
            let new = next(kept(tx, key)?);
            tx.execute(
                "INSERT INTO login_failures (key, failures, last_ms, blocked_until_ms)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (key) DO UPDATE SET failures = excluded.failures,
                     last_ms = excluded.last_ms, blocked_until_ms = excluded.blocked_until_ms",
                params![key, i64::from(new.count), new.last_ms, new.blocked_until_ms],
            )?;
            tx.execute(
                "DELETE FROM login_failures WHERE last_ms < ?1 AND blocked_until_ms <= ?2",
                params![forget.before_ms, forget.now_ms],
            )?;
            let rows: i64 =
                tx.query_row("SELECT count(*) FROM login_failures", [], |r| r.get(0))?;
            let excess = rows - i64::try_from(forget.max_rows).unwrap_or(i64::MAX);
            if excess > 0 {
                tx.execute(
                    "DELETE FROM login_failures WHERE key IN (
                         SELECT key FROM login_failures
                         WHERE blocked_until_ms <= ?1 AND key != ?2
                         ORDER BY last_ms LIMIT ?3)",
                    params![forget.now_ms, key, excess],
                )?;
            }
            Ok(new)
        })
    }

    fn clear_login_failures(&self, key: &str) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute("DELETE FROM login_failures WHERE key = ?1", [key])?;
            Ok(())
        })
    }
}
