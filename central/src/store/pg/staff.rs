//! [`StaffStore`] on PostgreSQL: accounts and sessions, with the same answers and audit rows as
//! on SQLite (`store/staff.rs`).

use chrono::Utc;
use postgres::Row;

use super::{Db as _, PgStore, append_audit};
use crate::store::{SessionsOf, Staff, StaffAccess, StaffStore, StoreError, enum_str, parse_role};

/// `SELECT username, role, township` → a staff account.
fn staff_row(r: &Row) -> Result<Staff, StoreError> {
    let role: String = r.get(1);
    Ok(Staff {
        username: r.get(0),
        role: parse_role(&role)
            .ok_or_else(|| StoreError::Invalid(format!("unknown role {role}")))?,
        township: r.get(2),
    })
}

impl StaffStore for PgStore {
    fn add_staff(&self, s: &Staff, password_hash: &str, actor: &str) -> Result<(), StoreError> {
        let role = enum_str(&s.role);
        if parse_role(&role).is_none() {
            return Err(StoreError::Invalid(format!(
                "'{role}' is not a staff role: use village_helper, township_clerk, township_leader or district_bureau"
            )));
        }
        self.write(|tx| {
            let n = tx.execute(
                "INSERT INTO staff (username, password_hash, role, township, created_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (username) DO NOTHING",
                &[&s.username, &password_hash, &role, &s.township, &Utc::now()],
            )?;
            if n == 0 {
                return Err(StoreError::Conflict(format!(
                    "staff account '{}' exists",
                    s.username
                )));
            }
            append_audit(
                tx,
                &self.keys,
                Utc::now(),
                actor,
                "staff.add",
                &s.username,
                &format!("{{\"role\":\"{role}\"}}"),
            )?;
            Ok(())
        })
    }

    fn staff_with_hash(&self, username: &str) -> Result<Option<(Staff, String)>, StoreError> {
        self.pool
            .get()?
            .query_opt(
                "SELECT username, role, township, password_hash FROM staff
                 WHERE username = $1 AND disabled_at IS NULL AND removed_at IS NULL",
                &[&username],
            )?
            .map(|r| Ok((staff_row(&r)?, r.get(3))))
            .transpose()
    }

    fn add_session(
        &self,
        token_hash: &str,
        username: &str,
        expires: i64,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM sessions WHERE expires_at < $1",
                &[&Utc::now().timestamp()],
            )?;
            tx.execute(
                "INSERT INTO sessions (token_hash, username, expires_at) VALUES ($1, $2, $3)",
                &[&token_hash, &username, &expires],
            )?;
            append_audit(
                tx,
                &self.keys,
                Utc::now(),
                &format!("staff:{username}"),
                "staff.login",
                username,
                "{}",
            )?;
            Ok(())
        })
    }

    fn session(&self, token_hash: &str, now: i64) -> Result<Option<Staff>, StoreError> {
        self.pool
            .get()?
            .query_opt(
                "SELECT s.username, s.role, s.township FROM sessions x JOIN staff s ON s.username = x.username
                 WHERE x.token_hash = $1 AND x.expires_at > $2
                   AND s.disabled_at IS NULL AND s.removed_at IS NULL",
                &[&token_hash, &now],
            )?
            .map(|r| staff_row(&r))
            .transpose()
    }

    fn set_staff_access(
        &self,
        username: &str,
        access: StaffAccess,
        actor: &str,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let now = Utc::now();
            let changed = match access {
                StaffAccess::Disable => tx.execute(
                    "UPDATE staff SET disabled_at = coalesce(disabled_at, $2)
                     WHERE username = $1 AND removed_at IS NULL",
                    &[&username, &now],
                )?,
                StaffAccess::Enable => tx.execute(
                    "UPDATE staff SET disabled_at = NULL WHERE username = $1 AND removed_at IS NULL",
                    &[&username],
                )?,
                StaffAccess::Remove => tx.execute(
                    "UPDATE staff SET removed_at = $2, password_hash = '!'
                     WHERE username = $1 AND removed_at IS NULL",
                    &[&username, &now],
                )?,
            };
            if changed == 0 {
                return Err(StoreError::NotFound(format!(
                    "no staff account '{username}' (or it was removed); see `jiuzhu-central staff add`"
                )));
            }
            let ended = if access == StaffAccess::Enable {
                0
            } else {
                tx.execute("DELETE FROM sessions WHERE username = $1", &[&username])?
            };
            let action = match access {
                StaffAccess::Disable => "staff.disabled",
                StaffAccess::Enable => "staff.enabled",
                StaffAccess::Remove => "staff.removed",
            };
            append_audit(
                tx,
                &self.keys,
                now,
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
            let (n, action, subject) = match which {
                SessionsOf::Token(hash) => {
                    let ended = tx.query(
                        "DELETE FROM sessions WHERE token_hash = $1 RETURNING username",
                        &[&hash],
                    )?;
                    let user: String = ended.first().map(|r| r.get(0)).unwrap_or_default();
                    (ended.len(), "staff.logout", user)
                }
                SessionsOf::Account(user) => {
                    if tx
                        .query_opt("SELECT 1 FROM staff WHERE username = $1", &[&user])?
                        .is_none()
                    {
                        return Err(StoreError::NotFound(format!("no staff account '{user}'")));
                    }
                    let n = tx.execute("DELETE FROM sessions WHERE username = $1", &[&user])?;
                    (n as usize, "staff.sessions_revoked", user.to_string())
                }
            };
            if n > 0 || matches!(which, SessionsOf::Account(_)) {
                append_audit(
                    tx,
                    &self.keys,
                    Utc::now(),
                    actor,
                    action,
                    &subject,
                    &serde_json::json!({ "sessions_ended": n }).to_string(),
                )?;
            }
            Ok(n)
        })
    }
}
