-- The days the studio is open (three-letter English names, space-separated):
-- the planner puts sessions on these days only.
ALTER TABLE studios ADD COLUMN open_days TEXT NOT NULL DEFAULT 'mon tue wed thu fri sat';
