-- Sign-in names are unique within a studio, not across the installation:
-- one studio of a chain must not learn another's staff names by being
-- refused a name. A studio gets a sign-in code, typed at the login once
-- an installation holds several studios (filled in by the app at start).
ALTER TABLE studios ADD COLUMN code TEXT;
CREATE UNIQUE INDEX studios_by_code ON studios (code);
ALTER TABLE users DROP CONSTRAINT users_name_key;
ALTER TABLE users ADD CONSTRAINT users_studio_name_key UNIQUE (studio_id, name);
