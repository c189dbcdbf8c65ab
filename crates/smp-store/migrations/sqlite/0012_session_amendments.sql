-- A recorded session is corrected by amendment, as clinical records are:
-- the values it replaced are kept, with who amended it, when and why.
CREATE TABLE session_amendments (
    id TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    session_id TEXT NOT NULL REFERENCES treatment_sessions(id),
    staff_id TEXT NOT NULL REFERENCES users(id),
    reason TEXT NOT NULL,
    old_session_date TEXT NOT NULL,
    old_number INTEGER NOT NULL,
    old_passport_json TEXT NOT NULL,
    amended_at INTEGER NOT NULL
);
CREATE INDEX session_amendments_by_session ON session_amendments (studio_id, session_id, amended_at);
