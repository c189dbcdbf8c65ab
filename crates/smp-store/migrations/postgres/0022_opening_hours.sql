-- The studio's opening hours (HH:MM, in its time zone), and each planned
-- session's start time within them (NULL for plans made before times).
ALTER TABLE studios ADD COLUMN opens_at TEXT NOT NULL DEFAULT '10:00';
ALTER TABLE studios ADD COLUMN closes_at TEXT NOT NULL DEFAULT '19:00';
ALTER TABLE planned_sessions ADD COLUMN start_time TEXT;
