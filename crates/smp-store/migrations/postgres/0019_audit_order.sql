-- Audit lines of the same millisecond are listed in the order they were
-- written (SQLite has its row numbers for that). Lines from before this
-- migration are numbered in the table's stored order.
ALTER TABLE audit ADD COLUMN seq BIGSERIAL;
