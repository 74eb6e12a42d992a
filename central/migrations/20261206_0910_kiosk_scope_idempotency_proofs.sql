-- Security hardening (issue #17, part A). Migrations are never edited; add a new file.

-- Townships a kiosk serves besides the one it stands in (a district decision, audited).
CREATE TABLE kiosk_serves (
    kiosk_id TEXT NOT NULL REFERENCES kiosks(id),
    township TEXT NOT NULL REFERENCES townships(code),
    PRIMARY KEY (kiosk_id, township)
) WITHOUT ROWID;

-- Every reference template released to a kiosk: whose (id_number holds the blind index, as in
-- every table once personal data is sealed), which modality, when (Unix seconds).
-- The per-kiosk release rate is counted here.
CREATE TABLE template_releases (
    kiosk_id TEXT NOT NULL,
    id_number TEXT NOT NULL,
    modality TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX template_releases_kiosk ON template_releases(kiosk_id, at);

-- Alerts for staff (e.g. a kiosk asking for many people's references in a short time).
CREATE TABLE security_alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    kiosk_id TEXT,
    township TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX security_alerts_township ON security_alerts(township, id);

-- An Idempotency-Key is bound to the SHA-256 of the body it was first used with. Rows from
-- before this migration have none and are matched by key alone.
ALTER TABLE idempotency ADD COLUMN body_sha256 TEXT;
ALTER TABLE replies ADD COLUMN body_sha256 TEXT;

-- Every 社会救助身份证明 issued, so the public check can say revoked / superseded.
CREATE TABLE proofs (
    proof_id TEXT PRIMARY KEY,
    id_number TEXT NOT NULL,
    issued_at TEXT NOT NULL
);
CREATE INDEX proofs_person ON proofs(id_number, issued_at);

-- A recipient's death or suspension, recorded by staff: every proof issued before it is revoked.
CREATE TABLE recipient_standing (
    id_number TEXT PRIMARY KEY,
    standing TEXT NOT NULL CHECK (standing IN ('deceased', 'suspended')),
    since TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
