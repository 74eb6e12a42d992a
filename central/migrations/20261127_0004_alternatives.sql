-- Non-biometric certification alternatives (domain.md §3): a staff witness at the township hall
-- or a home visit, requested at a kiosk and closed by township staff.
CREATE TABLE alternatives (
    id TEXT PRIMARY KEY,
    id_number TEXT NOT NULL REFERENCES recipients(id_number),
    township TEXT NOT NULL REFERENCES townships(code),
    kind TEXT NOT NULL,
    note TEXT,
    kiosk_id TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    due_by TEXT NOT NULL,
    unpublished_years TEXT NOT NULL,
    closed_at TEXT,
    closed_by TEXT,
    outcome TEXT,
    close_note TEXT,
    certification_id INTEGER REFERENCES certifications(id)
);
CREATE INDEX alternatives_open ON alternatives(township, requested_at) WHERE closed_at IS NULL;
CREATE INDEX alternatives_person ON alternatives(id_number) WHERE closed_at IS NULL;
