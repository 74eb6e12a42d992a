-- PostgreSQL schema: applications and cases, their people, materials, idempotency keys of
-- submissions, the case documents (notices) with their deliveries, case numbers and the named
-- objectors of a 公示 (as SQLite's tables reach by 20261206_1803). Identity numbers are blind
-- indexes (TEXT); names, the submission payload, the workflow case, the SMS number and the
-- materials' bytes are sealed in Rust (BYTEA; src/store/pg/sealed.rs) with SQLite's labels.
-- Materials are kept here, in the database, so every central instance serves them.
CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    township TEXT NOT NULL REFERENCES townships(code),
    assistance_type TEXT NOT NULL,
    applicant_id TEXT NOT NULL,                 -- blind index
    agent_id TEXT,                              -- blind index
    household_size INTEGER NOT NULL,
    submitted_at TIMESTAMPTZ NOT NULL,
    state TEXT NOT NULL,
    due DATE,
    allowed_days INTEGER,
    colour TEXT,
    kiosk_id TEXT NOT NULL,
    payload BYTEA NOT NULL,                     -- sealed 'cases.payload:<id>'
    case_json BYTEA,                            -- sealed 'cases.case_json:<id>'
    village TEXT,
    case_no TEXT UNIQUE,
    contact_phone BYTEA                         -- sealed 'cases.contact_phone'
);
CREATE INDEX cases_applicant ON cases (applicant_id);
CREATE INDEX cases_township_state ON cases (township, state);
CREATE INDEX cases_open ON cases (state) WHERE case_json IS NOT NULL;

CREATE TABLE case_people (
    seq BIGINT GENERATED ALWAYS AS IDENTITY,    -- the order they were recorded (SQLite's rowid)
    case_id TEXT NOT NULL REFERENCES cases(id),
    id_number TEXT NOT NULL,                    -- blind index
    name BYTEA NOT NULL,                        -- sealed 'case_people.name'
    role TEXT NOT NULL,
    signed_at TIMESTAMPTZ,
    signed_by TEXT,
    PRIMARY KEY (case_id, id_number, role)
);
CREATE INDEX case_people_id_number ON case_people (id_number);

-- The first answer to a submission's idempotency key (decided under an advisory lock of the key).
CREATE TABLE idempotency (
    kiosk_id TEXT NOT NULL,
    key TEXT NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases(id),
    response TEXT NOT NULL,
    body_sha256 TEXT,
    PRIMARY KEY (kiosk_id, key)
);

-- Content-addressed uploads: one row per content, linked to the cases it was uploaded to.
CREATE TABLE materials (
    sha256 TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    data BYTEA NOT NULL,                        -- sealed 'materials.data'
    created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE case_materials (
    case_id TEXT NOT NULL REFERENCES cases(id),
    sha256 TEXT NOT NULL REFERENCES materials(sha256),
    PRIMARY KEY (case_id, sha256)
);

-- Every document of a case (src/notices.rs). `sms_claimed_until`: an instance sending the text
-- message of a household document claims it until then (pending_sms), so two instances never
-- send one message twice; recording the attempt releases the claim.
CREATE TABLE notices (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL,
    audience TEXT NOT NULL,
    issued_on DATE NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    text TEXT NOT NULL,
    deadline DATE,
    effect TEXT NOT NULL,
    delivered_on DATE,
    delivered_how TEXT,
    sms_claimed_until TIMESTAMPTZ
);
CREATE INDEX notices_case ON notices (case_id, id);
CREATE INDEX notices_undelivered ON notices (id) WHERE audience = 'household' AND delivered_on IS NULL;

CREATE TABLE notice_deliveries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    notice_id BIGINT NOT NULL REFERENCES notices(id),
    how TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    ok BOOLEAN NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX notice_deliveries_notice ON notice_deliveries (notice_id);

-- The last number given per township prefix and year; `INSERT … ON CONFLICT DO UPDATE … RETURNING`
-- locks the row, so instances numbering at once get consecutive, distinct numbers.
CREATE TABLE case_numbers (
    prefix TEXT NOT NULL,
    year INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (prefix, year)
);

CREATE TABLE publicity_objectors (
    case_id TEXT NOT NULL REFERENCES cases(id),
    round INTEGER NOT NULL,
    id_number TEXT NOT NULL,                    -- blind index
    name BYTEA NOT NULL,                        -- sealed 'publicity_objectors.name'
    at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (case_id, round, id_number)
);

-- The order recipients were first stored (SQLite's rowid), which the 公布 list keeps among
-- recipients of one day; an update keeps it.
ALTER TABLE recipients ADD COLUMN seq BIGINT GENERATED ALWAYS AS IDENTITY;
