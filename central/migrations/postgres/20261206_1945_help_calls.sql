-- PostgreSQL schema: staff calls from kiosks (as SQLite's 20261206_1801; no personal data). The
-- partial unique index keeps one open call per kiosk whichever instance raises it.
CREATE TABLE help_calls (
    id TEXT PRIMARY KEY,
    kiosk_id TEXT NOT NULL REFERENCES kiosks(id),
    township TEXT NOT NULL REFERENCES townships(code),
    screen TEXT NOT NULL,
    raised_at TIMESTAMPTZ NOT NULL,
    acknowledged_at TIMESTAMPTZ,
    acknowledged_by TEXT
);
CREATE UNIQUE INDEX help_calls_one_open ON help_calls (kiosk_id) WHERE acknowledged_at IS NULL;
CREATE INDEX help_calls_open ON help_calls (township, raised_at) WHERE acknowledged_at IS NULL;
CREATE INDEX help_calls_kiosk ON help_calls (kiosk_id, raised_at);
