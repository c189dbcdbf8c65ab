-- Sign-in names are unique within a studio, not across the installation:
-- one studio of a chain must not learn another's staff names by being
-- refused a name. A studio gets a sign-in code, typed at the login once
-- an installation holds several studios (filled in by the app at start).
ALTER TABLE studios ADD COLUMN code TEXT;
CREATE UNIQUE INDEX studios_by_code ON studios (code);

-- SQLite cannot drop the old UNIQUE constraint: the table is made again.
-- Migrations run inside a transaction, where foreign keys cannot be turned
-- off; they are deferred instead, so that the references to the accounts
-- dropped for a moment hold again once the same accounts (same ids) are
-- back, at the commit. Dropping the table deletes its rows first, and with
-- them (ON DELETE CASCADE) the login sessions: those are kept aside and put
-- back, so nobody is logged out by the upgrade.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE users_kept AS SELECT * FROM users;
CREATE TEMP TABLE sessions_kept AS SELECT * FROM sessions;
DROP TABLE users;
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'practitioner', 'front-desk')),
    password_hash TEXT NOT NULL,
    must_change_password INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    UNIQUE (studio_id, name)
);
INSERT INTO users (id, studio_id, name, role, password_hash, must_change_password, created_at, active)
    SELECT id, studio_id, name, role, password_hash, must_change_password, created_at, active FROM users_kept;
INSERT INTO sessions SELECT * FROM sessions_kept WHERE token NOT IN (SELECT token FROM sessions);
DROP TABLE users_kept;
DROP TABLE sessions_kept;
