-- Staff who leave are deactivated, not deleted: their name stays on every
-- record they made; they can no longer log in.
ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
