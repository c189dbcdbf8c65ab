-- A short PIN each member of staff may set, to take the tablet back from a
-- client faster than with the password (Argon2 hash, like the password).
ALTER TABLE users ADD COLUMN pin_hash TEXT;
