-- The treatment plan: the sessions to come, with their dates (checked
-- against the protocol's healing windows before they are kept).
CREATE TABLE planned_sessions (
    id TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    design_id TEXT NOT NULL REFERENCES designs(id),
    number BIGINT NOT NULL,
    session_date TEXT NOT NULL,
    impressions BIGINT NOT NULL,
    hours DOUBLE PRECISION NOT NULL,
    focus TEXT NOT NULL,
    staff_id TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX planned_sessions_by_date ON planned_sessions (studio_id, session_date);
