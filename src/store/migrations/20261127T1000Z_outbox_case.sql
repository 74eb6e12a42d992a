-- 签署授权: a signature (and its handwriting) given at this kiosk for an application submitted
-- elsewhere names central's case directly instead of an application in this outbox.
-- Exactly one of depends_on and case_id is set on signature and material records.
ALTER TABLE outbox ADD COLUMN case_id TEXT;
