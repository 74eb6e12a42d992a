-- Staff access control (#17): an account can be disabled (reversibly) or removed (for good: the
-- row stays as a tombstone so the name is never given to someone else and the audit log's
-- `staff:<name>` keeps meaning one person). Either ends the account's sessions.
ALTER TABLE staff ADD COLUMN disabled_at TEXT;
ALTER TABLE staff ADD COLUMN removed_at TEXT;
CREATE INDEX sessions_username ON sessions(username);
