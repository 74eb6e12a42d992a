-- A case's history and the SMS-number change limit read the audit rows of one subject; without an
-- index each read scanned the whole log (the limit inside the writer transaction).
CREATE INDEX IF NOT EXISTS audit_by_subject ON audit (subject, action, at);
