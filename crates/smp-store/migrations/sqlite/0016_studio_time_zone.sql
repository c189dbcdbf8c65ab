-- The studio's time zone (IANA name): every time staff and clients read is
-- in it.
ALTER TABLE studios ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
