-- Failed staff logins, kept where every central instance sees them (issue #21): the login
-- back-off holds across instances and restarts. One row per throttled key: 'account:<sha256 of
-- the name>' or 'address:<ip>'. Times in Unix milliseconds.
CREATE TABLE login_failures (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_ms INTEGER NOT NULL,
    blocked_until_ms INTEGER NOT NULL
);
CREATE INDEX login_failures_last ON login_failures (last_ms);
