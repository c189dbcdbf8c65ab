-- A practitioner going ahead where the screening said no (a planned or
-- recorded session the gate refused), with the refusal and their typed
-- reason: kept for the chart, never changed.
CREATE TABLE gate_overrides (
    id TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    staff_id TEXT NOT NULL REFERENCES users(id),
    refusal TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX gate_overrides_by_client ON gate_overrides (studio_id, client_id);
