-- Initial schema. Never edit a released migration; add a new timestamped file.

CREATE TABLE meta (
    k TEXT PRIMARY KEY,
    v BLOB NOT NULL
);

-- Append-only outbox. id is a UUIDv7 and doubles as the Idempotency-Key; payload is sealed.
CREATE TABLE outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    version         INTEGER NOT NULL,
    depends_on      TEXT REFERENCES outbox(id),
    payload         BLOB NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    permanent_error TEXT,
    acknowledged_at INTEGER,
    ack             BLOB
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at)
    WHERE acknowledged_at IS NULL AND permanent_error IS NULL;

CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
BEGIN SELECT RAISE(ABORT, 'outbox rows are append-only'); END;

CREATE TRIGGER outbox_identity_fixed BEFORE UPDATE OF seq, id, kind, version, depends_on, created_at ON outbox
BEGIN SELECT RAISE(ABORT, 'outbox rows are append-only'); END;

CREATE TRIGGER outbox_payload_purge_only BEFORE UPDATE OF payload ON outbox
WHEN NEW.acknowledged_at IS NULL OR length(NEW.payload) <> 0
BEGIN SELECT RAISE(ABORT, 'an outbox payload may only be purged after acknowledgement'); END;

CREATE TRIGGER outbox_ack_once BEFORE UPDATE OF acknowledged_at ON outbox
WHEN OLD.acknowledged_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'an outbox record is acknowledged only once'); END;

-- Captured materials (photos, scans), kept until the central service acknowledges their upload.
CREATE TABLE materials (
    outbox_id    TEXT PRIMARY KEY REFERENCES outbox(id),
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    content      BLOB,
    captured_at  INTEGER NOT NULL,
    purged_at    INTEGER
);

-- Hash-chained audit log: hash = SHA-256(prev_hash ‖ seq ‖ at ‖ actor ‖ action ‖ sealed detail).
CREATE TABLE audit (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    detail    BLOB,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- 进度查询 answers cached for offline use, keyed by a blind index of the ID number.
CREATE TABLE status_cache (
    k          TEXT PRIMARY KEY,
    body       BLOB NOT NULL,
    fetched_at INTEGER NOT NULL
);
