-- Audit lines of the same millisecond are listed in the order they were
-- written: SQLite's row numbers give it (PostgreSQL gets a sequence), so
-- nothing changes here; the file keeps both backends' numbering alike.
SELECT 1;
