//! Staff accounts and their sessions.

use super::*;

/// A staff account (without its password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    /// Account name.
    pub username: String,
    /// Role.
    pub role: StaffRole,
    /// Township scope; `None` for the district bureau.
    pub township: Option<String>,
}

/// A change of a staff account's access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffAccess {
    /// No more logins; sessions end. Reversible.
    Disable,
    /// Logins again.
    Enable,
    /// For good: sessions end, the password hash is erased, the name stays taken.
    Remove,
}

/// Which sessions [`Store::end_sessions`] ends.
#[derive(Debug, Clone, Copy)]
pub enum SessionsOf<'a> {
    /// The session of this token hash (logout).
    Token(&'a str),
    /// Every session of this account (revocation).
    Account(&'a str),
}

/// Staff accounts and their sessions.
pub trait StaffStore {
    /// Adds a staff account with an argon2id PHC hash.
    fn add_staff(&self, s: &Staff, password_hash: &str, actor: &str) -> Result<(), StoreError>;
    /// A staff account and its password hash.
    fn staff_with_hash(&self, username: &str) -> Result<Option<(Staff, String)>, StoreError>;
    /// Stores a session.
    fn add_session(&self, token_hash: &str, username: &str, expires: i64)
    -> Result<(), StoreError>;
    /// The account behind a live session.
    fn session(&self, token_hash: &str, now: i64) -> Result<Option<Staff>, StoreError>;
    /// Changes a staff account's access (disable, enable, remove) and ends its sessions when
    /// access is taken away; audited by `actor`. `NotFound` for an unknown (or removed) account.
    fn set_staff_access(
        &self,
        username: &str,
        access: StaffAccess,
        actor: &str,
    ) -> Result<(), StoreError>;
    /// Ends sessions: the one with `token_hash` (logout), or every session of `username`
    /// (revocation); audited by `actor`. Returns how many ended.
    fn end_sessions(&self, which: SessionsOf<'_>, actor: &str) -> Result<usize, StoreError>;
}

impl StaffStore for SqliteStore {
    fn add_staff(&self, s: &Staff, password_hash: &str, actor: &str) -> Result<(), StoreError> {
        let role = enum_str(&s.role);
        if parse_role(&role).is_none() {
            return Err(StoreError::Invalid(format!(
                "'{role}' is not a staff role: use village_helper, township_clerk, township_leader or district_bureau"
            )));
        }
        self.write(|tx| {
            let n = tx.execute(
                "INSERT OR IGNORE INTO staff (username, password_hash, role, township, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    s.username,
                    password_hash,
                    role,
                    s.township,
                    now_str(Utc::now())
                ],
            )?;
            if n == 0 {
                return Err(StoreError::Conflict(format!(
                    "staff account '{}' exists",
                    s.username
                )));
            }
            audit::append(
                tx,
                &now_str(Utc::now()),
                actor,
                "staff.add",
                &s.username,
                &format!("{{\"role\":\"{role}\"}}"),
            )?;
            Ok(())
        })
    }

    fn staff_with_hash(&self, username: &str) -> Result<Option<(Staff, String)>, StoreError> {
        Ok(self
            .read()
            .prepare_cached(
                "SELECT username, role, township, password_hash FROM staff
                 WHERE username = ?1 AND disabled_at IS NULL AND removed_at IS NULL",
            )?
            .query_row([username], |r| Ok((staff_row(r)?, r.get(3)?)))
            .optional()?)
    }

    fn add_session(
        &self,
        token_hash: &str,
        username: &str,
        expires: i64,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM sessions WHERE expires_at < ?1",
                [Utc::now().timestamp()],
            )?;
            tx.execute(
                "INSERT INTO sessions VALUES (?1, ?2, ?3)",
                params![token_hash, username, expires],
            )?;
            audit::append(
                tx,
                &now_str(Utc::now()),
                &format!("staff:{username}"),
                "staff.login",
                username,
                "{}",
            )?;
            Ok(())
        })
    }

    fn session(&self, token_hash: &str, now: i64) -> Result<Option<Staff>, StoreError> {
        Ok(self
            .read()
            .prepare_cached(
                "SELECT s.username, s.role, s.township FROM sessions x JOIN staff s ON s.username = x.username
                 WHERE x.token_hash = ?1 AND x.expires_at > ?2
                   AND s.disabled_at IS NULL AND s.removed_at IS NULL",
            )?
            .query_row(params![token_hash, now], staff_row)
            .optional()?)
    }

    fn set_staff_access(
        &self,
        username: &str,
        access: StaffAccess,
        actor: &str,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let at = now_str(Utc::now());
            let sql = match access {
                StaffAccess::Disable => {
                    "UPDATE staff SET disabled_at = coalesce(disabled_at, ?2) WHERE username = ?1 AND removed_at IS NULL"
                }
                StaffAccess::Enable => {
                    "UPDATE staff SET disabled_at = NULL WHERE username = ?1 AND removed_at IS NULL AND ?2 IS NOT NULL"
                }
                StaffAccess::Remove => {
                    "UPDATE staff SET removed_at = ?2, password_hash = '!' WHERE username = ?1 AND removed_at IS NULL"
                }
            };
            if tx.execute(sql, params![username, at])? == 0 {
                return Err(StoreError::NotFound(format!(
                    "no staff account '{username}' (or it was removed); see `jiuzhu-central staff add`"
                )));
            }
            let ended = if access == StaffAccess::Enable {
                0
            } else {
                tx.execute("DELETE FROM sessions WHERE username = ?1", [username])?
            };
            let action = match access {
                StaffAccess::Disable => "staff.disabled",
                StaffAccess::Enable => "staff.enabled",
                StaffAccess::Remove => "staff.removed",
            };
            audit::append(
                tx,
                &at,
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
            let at = now_str(Utc::now());
            let (n, action, subject) = match which {
                SessionsOf::Token(hash) => {
                    let user: Option<String> = tx
                        .query_row(
                            "SELECT username FROM sessions WHERE token_hash = ?1",
                            [hash],
                            |r| r.get(0),
                        )
                        .optional()?;
                    let n = tx.execute("DELETE FROM sessions WHERE token_hash = ?1", [hash])?;
                    (n, "staff.logout", user.unwrap_or_default())
                }
                SessionsOf::Account(user) => {
                    let known: i64 = tx.query_row(
                        "SELECT count(*) FROM staff WHERE username = ?1",
                        [user],
                        |r| r.get(0),
                    )?;
                    if known == 0 {
                        return Err(StoreError::NotFound(format!("no staff account '{user}'")));
                    }
                    let n = tx.execute("DELETE FROM sessions WHERE username = ?1", [user])?;
                    (n, "staff.sessions_revoked", user.to_string())
                }
            };
            if n > 0 || matches!(which, SessionsOf::Account(_)) {
                audit::append(
                    tx,
                    &at,
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
