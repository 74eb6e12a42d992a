//! Failed staff logins on PostgreSQL ([`crate::store::LoginThrottleStore`]): a key's row is
//! changed under a transaction-scoped advisory lock on the key, so two instances recording a
//! failure of one name at once count two.

use super::{Db as _, PgStore};
use crate::store::{Forget, LoginFailures, LoginThrottleStore, StoreError};

fn row(r: &postgres::Row) -> LoginFailures {
    LoginFailures {
        count: u32::try_from(r.get::<_, i32>(0).max(0)).unwrap_or(0),
        last_ms: r.get(1),
        blocked_until_ms: r.get(2),
    }
}

impl LoginThrottleStore for PgStore {
    fn login_failures(&self, key: &str) -> Result<Option<LoginFailures>, StoreError> {
        Ok(self
            .pool
            .get()?
            .query_opt(
                "SELECT failures, last_ms, blocked_until_ms FROM login_failures WHERE key = $1",
                &[&key],
            )?
            .as_ref()
            .map(row))
    }

    fn record_login_failure(
        &self,
        key: &str,
        forget: Forget,
        next: &dyn Fn(Option<LoginFailures>) -> LoginFailures,
    ) -> Result<LoginFailures, StoreError> {
        self.write(|tx| {
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 7))",
                &[&format!("login_failures:{key}")],
            )?;
            let kept = tx
                .query_opt(
                    "SELECT failures, last_ms, blocked_until_ms FROM login_failures WHERE key = $1",
                    &[&key],
                )?
                .as_ref()
                .map(row);
            let new = next(kept);
            let count = i32::try_from(new.count).unwrap_or(i32::MAX);
            tx.execute(
                "INSERT INTO login_failures (key, failures, last_ms, blocked_until_ms)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (key) DO UPDATE SET failures = excluded.failures,
                     last_ms = excluded.last_ms, blocked_until_ms = excluded.blocked_until_ms",
                &[&key, &count, &new.last_ms, &new.blocked_until_ms],
            )?;
            tx.execute(
                "DELETE FROM login_failures WHERE last_ms < $1 AND blocked_until_ms <= $2",
                &[&forget.before_ms, &forget.now_ms],
            )?;
            let rows: i64 = tx
                .query_one("SELECT count(*) FROM login_failures", &[])?
                .get(0);
            let excess = rows - i64::try_from(forget.max_rows).unwrap_or(i64::MAX);
            if excess > 0 {
                tx.execute(
                    "DELETE FROM login_failures WHERE key IN (
                         SELECT key FROM login_failures
                         WHERE blocked_until_ms <= $1 AND key != $2
                         ORDER BY last_ms LIMIT $3)",
                    &[&forget.now_ms, &key, &excess],
                )?;
            }
            Ok(new)
        })
    }

    fn clear_login_failures(&self, key: &str) -> Result<(), StoreError> {
        self.pool
            .get()?
            .execute("DELETE FROM login_failures WHERE key = $1", &[&key])?;
        Ok(())
    }
}
