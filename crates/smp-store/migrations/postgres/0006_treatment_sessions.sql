-- Treatment sessions with their ink passport (kept as the JSON document the
-- clinical core checked), and the read-only links that hand a session's
-- aftercare to the client: a long random token that expires.
CREATE TABLE treatment_sessions (
    id TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    design_id TEXT REFERENCES designs(id),
    session_date TEXT NOT NULL,
    number BIGINT NOT NULL,
    passport_json TEXT NOT NULL,
    staff_id TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX treatment_sessions_by_client ON treatment_sessions (studio_id, client_id, session_date);

CREATE TABLE aftercare_links (
    token TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    session_id TEXT NOT NULL REFERENCES treatment_sessions(id),
    staff_id TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
