-- Staff calls from kiosks ("呼叫工作人员", issue #19): which kiosk, which screen, since when; no
-- personal data. Open while acknowledged_at is NULL.
CREATE TABLE help_calls (
    id TEXT PRIMARY KEY,
    kiosk_id TEXT NOT NULL REFERENCES kiosks(id),
    township TEXT NOT NULL REFERENCES townships(code),
    screen TEXT NOT NULL,
    raised_at TEXT NOT NULL,
    acknowledged_at TEXT,
    acknowledged_by TEXT
);
CREATE INDEX help_calls_open ON help_calls(township, raised_at) WHERE acknowledged_at IS NULL;
CREATE INDEX help_calls_kiosk ON help_calls(kiosk_id, raised_at);
