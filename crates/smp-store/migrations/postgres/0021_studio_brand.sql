-- The studio's own look: an accent colour (#rrggbb, dark enough for white
-- text on it) and a logo (a small PNG the app made from the upload).
ALTER TABLE studios ADD COLUMN accent TEXT;
ALTER TABLE studios ADD COLUMN logo_png BYTEA;
