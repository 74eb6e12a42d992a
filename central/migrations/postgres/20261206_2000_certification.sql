-- PostgreSQL schema: recipients, references, guardians, certifications with their evidence,
-- issued proofs and their holders' standing, the alternatives to the kiosk check, reference
-- releases and security alerts (as SQLite's tables reach by 20261206_1803). Identity numbers are
-- blind indexes (TEXT, HMAC of the number); names, numbers kept for reading, references and
-- helpers' numbers are sealed in Rust (BYTEA; src/store/pg/sealed.rs) with SQLite's labels.
CREATE TABLE recipients (
    id_number TEXT PRIMARY KEY,                 -- blind index
    name BYTEA NOT NULL,                        -- sealed 'recipients.name'
    township TEXT NOT NULL REFERENCES townships(code),
    assistance_type TEXT NOT NULL,
    household_size INTEGER NOT NULL,
    amount_fen BIGINT NOT NULL,
    since DATE NOT NULL,
    last_certified_on DATE,
    id_sealed BYTEA NOT NULL                    -- sealed 'recipients.id_number'
);

-- A reference of a recipient or of a registered guardian (so no foreign key to recipients).
CREATE TABLE templates (
    id_number TEXT NOT NULL,                    -- blind index
    modality TEXT NOT NULL,
    data BYTEA NOT NULL,                        -- sealed 'templates.data:<bidx>:<modality>'
    PRIMARY KEY (id_number, modality)
);

CREATE TABLE guardians (
    recipient_id TEXT NOT NULL REFERENCES recipients(id_number),
    guardian_id TEXT NOT NULL,                  -- blind index
    name BYTEA NOT NULL,                        -- sealed 'guardians.name'
    relation TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (recipient_id, guardian_id)
);
CREATE INDEX guardians_guardian ON guardians (guardian_id);

CREATE TABLE certifications (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id_number TEXT NOT NULL,                    -- blind index
    at TIMESTAMPTZ NOT NULL,
    kiosk_id TEXT NOT NULL,
    mode TEXT NOT NULL,
    modality TEXT,
    certified BOOLEAN NOT NULL,
    assisted_by BYTEA                           -- sealed 'certifications.assisted_by'
);
CREATE INDEX certifications_person ON certifications (id_number, id);

CREATE TABLE certification_evidence (
    certification_id BIGINT PRIMARY KEY REFERENCES certifications(id),
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    nonce BYTEA NOT NULL,
    ciphertext BYTEA NOT NULL
);

-- Every issued proof, by id; a newer proof of the same person supersedes it.
CREATE TABLE proofs (
    proof_id TEXT PRIMARY KEY,
    id_number TEXT NOT NULL,                    -- blind index
    issued_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX proofs_person ON proofs (id_number, issued_at);

-- A recipient's death or suspension: every proof of theirs is revoked.
CREATE TABLE recipient_standing (
    id_number TEXT PRIMARY KEY,                 -- blind index
    standing TEXT NOT NULL CHECK (standing IN ('deceased', 'suspended')),
    since DATE NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE alternatives (
    id TEXT PRIMARY KEY,
    id_number TEXT NOT NULL REFERENCES recipients(id_number),
    township TEXT NOT NULL REFERENCES townships(code),
    kind TEXT NOT NULL,
    note TEXT,
    kiosk_id TEXT NOT NULL,
    requested_at TIMESTAMPTZ NOT NULL,
    due_by DATE NOT NULL,
    unpublished_years TEXT NOT NULL,
    closed_at TIMESTAMPTZ,
    closed_by TEXT,
    outcome TEXT,
    close_note TEXT,
    certification_id BIGINT REFERENCES certifications(id)
);
CREATE INDEX alternatives_open ON alternatives (township, requested_at) WHERE closed_at IS NULL;
-- One open request per person, whichever instance records it.
CREATE UNIQUE INDEX alternatives_one_open ON alternatives (id_number) WHERE closed_at IS NULL;

-- Reference releases to kiosks, counted per kiosk over a window (`at`: Unix seconds).
CREATE TABLE template_releases (
    kiosk_id TEXT NOT NULL,
    id_number TEXT NOT NULL,                    -- blind index
    modality TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX template_releases_kiosk ON template_releases (kiosk_id, at);
CREATE INDEX template_releases_at ON template_releases (at);

CREATE TABLE security_alerts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    kind TEXT NOT NULL,
    kiosk_id TEXT,
    township TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX security_alerts_township ON security_alerts (township, id);
CREATE INDEX security_alerts_kiosk ON security_alerts (kind, kiosk_id, at);
