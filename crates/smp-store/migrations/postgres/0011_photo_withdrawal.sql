-- A photo taken in error is withdrawn, not deleted: hidden from the chart
-- and the editor, kept for the record with who withdrew it, when and why.
ALTER TABLE photos ADD COLUMN withdrawn_at BIGINT;
ALTER TABLE photos ADD COLUMN withdrawn_by TEXT REFERENCES users(id);
ALTER TABLE photos ADD COLUMN withdrawn_reason TEXT;
