-- Guardian mode (监护人代认证, domain.md §3): the guardians staff register for a recipient, reference
-- templates for every enrolled person (recipients and their guardians, so no longer tied to the
-- recipients table), and what a guardian certification records: who acted, and the on-site photo
-- of the recipient (encrypted with the evidence key, see src/evidence.rs).
CREATE TABLE guardians (
    recipient_id TEXT NOT NULL REFERENCES recipients(id_number),
    guardian_id TEXT NOT NULL,
    name TEXT NOT NULL,
    relation TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (recipient_id, guardian_id)
);
CREATE INDEX guardians_guardian ON guardians(guardian_id);
CREATE TABLE templates_enrolled (
    id_number TEXT NOT NULL,
    modality TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (id_number, modality)
);
INSERT INTO templates_enrolled (id_number, modality, data) SELECT id_number, modality, data FROM templates;
DROP TABLE templates;
ALTER TABLE templates_enrolled RENAME TO templates;
ALTER TABLE certifications ADD COLUMN assisted_by TEXT;
CREATE TABLE certification_evidence (
    certification_id INTEGER PRIMARY KEY REFERENCES certifications(id),
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    nonce BLOB NOT NULL,
    ciphertext BLOB NOT NULL
);
