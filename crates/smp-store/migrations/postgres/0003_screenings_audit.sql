-- Screenings: the intake as answered (the same TOML `smp screen` reads), the
-- rule set's version and the result. Audit: who viewed or changed what.
CREATE TABLE screenings (
    id TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    staff_id TEXT NOT NULL REFERENCES users(id),
    intake_toml TEXT NOT NULL,
    rules_version TEXT NOT NULL,
    outcome TEXT NOT NULL,
    result_json TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX screenings_by_client ON screenings (studio_id, client_id, created_at);

CREATE TABLE audit (
    id TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    staff_id TEXT NOT NULL REFERENCES users(id),
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX audit_by_studio ON audit (studio_id, at);
