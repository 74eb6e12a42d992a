-- PostgreSQL schema, first part (issue #21): the audit chain and the kiosk area (townships,
-- kiosks, the townships a kiosk serves, request nonces, replies kept for idempotency keys).
-- Same tables and columns as the SQLite migrations in ../ reach by 20261206_1803, in PostgreSQL's
-- types. Migrations are never edited; add a new file (and list it in src/store/pg/mod.rs).

CREATE TABLE townships (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    hotline TEXT NOT NULL,
    report_phone TEXT NOT NULL,
    delegated BOOLEAN NOT NULL
);

CREATE TABLE kiosks (
    id TEXT PRIMARY KEY,
    township TEXT NOT NULL REFERENCES townships(code),
    pubkey BYTEA NOT NULL CHECK (length(pubkey) = 32),
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);

CREATE TABLE kiosk_serves (
    kiosk_id TEXT NOT NULL REFERENCES kiosks(id),
    township TEXT NOT NULL REFERENCES townships(code),
    PRIMARY KEY (kiosk_id, township)
);

-- A nonce is refused the second time by this primary key (INSERT ... ON CONFLICT DO NOTHING),
-- whichever central instance sees it.
CREATE TABLE nonces (
    kiosk_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (kiosk_id, nonce)
);
CREATE INDEX nonces_seen ON nonces (seen_at);

CREATE TABLE replies (
    kiosk_id TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    key TEXT NOT NULL,
    status INTEGER NOT NULL,
    response TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    body_sha256 TEXT,
    PRIMARY KEY (kiosk_id, endpoint, key)
);

-- The keyed hash chain (src/audit.rs). `at` is the RFC 3339 text the row's MAC covers, as on
-- SQLite, so a row reads and verifies the same on both.
CREATE TABLE audit (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_by_subject ON audit (subject, action, at);

-- One row from the start: every append locks it (SELECT ... FOR UPDATE), which orders the chain
-- across central instances.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    scheme TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash, scheme)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 'hmac-sha256');
