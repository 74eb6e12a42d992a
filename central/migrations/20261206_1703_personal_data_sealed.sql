-- Personal data at rest (#17). Identity numbers become blind indexes (jz_bidx: HMAC-SHA256 under
-- a key derived from data.key), so look-ups by number still work; names, the submission payload,
-- the workflow case, biometric references, uploaded materials and helpers' numbers are sealed
-- (jz_seal: ChaCha20-Poly1305 under data.key, the column as associated data, with the row's key
-- for the case JSON, the payload and references, so a sealed value cannot be moved to another
-- case or person). The jz_ functions
-- are registered on the connection by the store before it migrates (src/crypto_at_rest.rs).
-- Recipients keep their number sealed beside the index, for the lists staff read.
PRAGMA defer_foreign_keys = ON;
ALTER TABLE recipients ADD COLUMN id_sealed BLOB;
UPDATE recipients SET id_sealed = jz_seal(id_number, 'recipients.id_number'),
    name = jz_seal(name, 'recipients.name'), id_number = jz_bidx(id_number);
UPDATE cases SET applicant_id = jz_bidx(applicant_id), agent_id = jz_bidx(agent_id),
    payload = jz_seal(payload, 'cases.payload:' || id),
    case_json = jz_seal(case_json, 'cases.case_json:' || id);
UPDATE case_people SET id_number = jz_bidx(id_number), name = jz_seal(name, 'case_people.name');
UPDATE templates SET id_number = jz_bidx(id_number), data = jz_seal(data, 'templates.data:' || jz_bidx(id_number) || ':' || modality);
UPDATE certifications SET id_number = jz_bidx(id_number),
    assisted_by = jz_seal(assisted_by, 'certifications.assisted_by');
UPDATE alternatives SET id_number = jz_bidx(id_number);
UPDATE guardians SET recipient_id = jz_bidx(recipient_id), guardian_id = jz_bidx(guardian_id),
    name = jz_seal(name, 'guardians.name');
UPDATE materials SET data = jz_seal(data, 'materials.data');
