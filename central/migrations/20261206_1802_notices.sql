-- Notices (issue #18). Every workflow effect of a step becomes a document of the case's archive
-- (core's `notices` module), written in the step's transaction: household notices, staff work
-- notices, the 公示 and 公布 texts, the 备案 with the district. Delivery (送达) is recorded on the
-- document (first delivery) and every attempt in `notice_deliveries`. Cases get a short number
-- for the household (township, year, sequence) and an optional mobile number for SMS delivery;
-- named objectors of a 公示 are kept apart from the case the household can read.
CREATE TABLE notices (
    id INTEGER PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL,
    audience TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    created_at TEXT NOT NULL,
    text TEXT NOT NULL,
    deadline TEXT,
    effect TEXT NOT NULL,
    delivered_on TEXT,
    delivered_how TEXT
);
CREATE INDEX notices_case ON notices(case_id, id);
CREATE INDEX notices_audience ON notices(audience, delivered_on);
CREATE TABLE notice_deliveries (
    id INTEGER PRIMARY KEY,
    notice_id INTEGER NOT NULL REFERENCES notices(id),
    how TEXT NOT NULL,
    at TEXT NOT NULL,
    ok INTEGER NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX notice_deliveries_notice ON notice_deliveries(notice_id);
CREATE TABLE case_numbers (
    prefix TEXT NOT NULL,
    year INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (prefix, year)
) WITHOUT ROWID;
ALTER TABLE cases ADD COLUMN case_no TEXT;
CREATE UNIQUE INDEX cases_case_no ON cases(case_no);
ALTER TABLE cases ADD COLUMN contact_phone TEXT;
CREATE TABLE publicity_objectors (
    case_id TEXT NOT NULL REFERENCES cases(id),
    round INTEGER NOT NULL,
    id_number TEXT NOT NULL,
    name TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (case_id, round, id_number)
) WITHOUT ROWID;
