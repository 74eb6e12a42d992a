-- The audit chain is keyed (#17): HMAC-SHA256 under audit.key from the keys directory. Existing
-- heads are marked as the legacy plain SHA-256 scheme; the store verifies such a chain under the
-- old rule and re-chains it under the key when it opens the database (src/audit.rs rekey_legacy).
ALTER TABLE audit_head ADD COLUMN scheme TEXT NOT NULL DEFAULT 'sha256';
