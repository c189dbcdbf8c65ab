-- The right to erasure: a client's record erased on request keeps only
-- what the law lets (or asks) the studio keep: the signed consents, the
-- session records with their ink passports, and the audit log, under the
-- placeholder name "Erased client". When and why it was erased is kept
-- with it; an erased client takes no new records.
ALTER TABLE clients ADD COLUMN erased_at BIGINT;
ALTER TABLE clients ADD COLUMN erased_reason TEXT;
