-- Initial schema of the reference central service. Migrations are never edited; add a new file.
CREATE TABLE townships (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    hotline TEXT NOT NULL,
    report_phone TEXT NOT NULL,
    delegated INTEGER NOT NULL
);
CREATE TABLE kiosks (
    id TEXT PRIMARY KEY,
    township TEXT NOT NULL REFERENCES townships(code),
    pubkey BLOB NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE nonces (
    kiosk_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (kiosk_id, nonce)
) WITHOUT ROWID;
CREATE INDEX nonces_seen ON nonces(seen_at);
CREATE TABLE staff (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    township TEXT REFERENCES townships(code),
    created_at TEXT NOT NULL
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES staff(username),
    expires_at INTEGER NOT NULL
);
CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    township TEXT NOT NULL REFERENCES townships(code),
    assistance_type TEXT NOT NULL,
    applicant_id TEXT NOT NULL,
    agent_id TEXT,
    household_size INTEGER NOT NULL,
    submitted_at TEXT NOT NULL,
    state TEXT NOT NULL,
    due TEXT,
    allowed_days INTEGER,
    colour TEXT,
    kiosk_id TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX cases_applicant ON cases(applicant_id);
CREATE INDEX cases_township ON cases(township);
CREATE TABLE case_people (
    case_id TEXT NOT NULL REFERENCES cases(id),
    id_number TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    signed_at TEXT,
    signed_by TEXT,
    PRIMARY KEY (case_id, id_number, role)
);
CREATE TABLE idempotency (
    kiosk_id TEXT NOT NULL,
    key TEXT NOT NULL,
    case_id TEXT NOT NULL,
    response TEXT NOT NULL,
    PRIMARY KEY (kiosk_id, key)
);
CREATE TABLE materials (
    sha256 TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE case_materials (
    case_id TEXT NOT NULL REFERENCES cases(id),
    sha256 TEXT NOT NULL REFERENCES materials(sha256),
    PRIMARY KEY (case_id, sha256)
);
CREATE TABLE recipients (
    id_number TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    township TEXT NOT NULL REFERENCES townships(code),
    assistance_type TEXT NOT NULL,
    household_size INTEGER NOT NULL,
    amount_fen INTEGER NOT NULL,
    since TEXT NOT NULL,
    last_certified_on TEXT
);
CREATE TABLE templates (
    id_number TEXT NOT NULL REFERENCES recipients(id_number),
    modality TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (id_number, modality)
);
CREATE TABLE certifications (
    id INTEGER PRIMARY KEY,
    id_number TEXT NOT NULL,
    at TEXT NOT NULL,
    kiosk_id TEXT NOT NULL,
    mode TEXT NOT NULL,
    modality TEXT,
    certified INTEGER NOT NULL
);
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
