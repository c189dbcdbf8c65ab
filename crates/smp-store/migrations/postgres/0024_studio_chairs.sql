-- How many sessions the studio can run at once (chairs, or practitioners
-- working side by side): a booking that would need one more is refused.
ALTER TABLE studios ADD COLUMN chairs INTEGER NOT NULL DEFAULT 1;
