-- The audit log's head (issue #17): the last row's sequence number and hash, sealed with the
-- data key, so rows cut off the end (and a chain recomputed after an edit) are detected; without
-- the key the head cannot be rewritten to match. A log from before this migration gets its head
-- from its last row when the store opens.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    sealed BLOB NOT NULL
);
