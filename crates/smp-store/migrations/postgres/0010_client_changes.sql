-- Every change to a client's details keeps the values it replaced, with
-- who changed them and when: the chart's history of the details.
CREATE TABLE client_changes (
    id TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    staff_id TEXT NOT NULL REFERENCES users(id),
    old_full_name TEXT NOT NULL,
    old_birth_date TEXT,
    old_email TEXT,
    old_phone TEXT,
    changed_at BIGINT NOT NULL
);
CREATE INDEX client_changes_by_client ON client_changes (studio_id, client_id, changed_at);
