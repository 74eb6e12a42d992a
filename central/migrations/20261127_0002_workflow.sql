-- The workflow case (core's `workflow::Case` as JSON) beside the indexed columns, and the first
-- answers of idempotent kiosk uploads other than submissions (signatures, certification results).
ALTER TABLE cases ADD COLUMN case_json TEXT;
ALTER TABLE cases ADD COLUMN village TEXT;
CREATE INDEX cases_township_state ON cases(township, state);
CREATE TABLE replies (
    kiosk_id TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    key TEXT NOT NULL,
    status INTEGER NOT NULL,
    response TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (kiosk_id, endpoint, key)
) WITHOUT ROWID;
