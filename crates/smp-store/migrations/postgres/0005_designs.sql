-- Designs are versioned per client: saving makes a new version; earlier
-- versions stay. The text is the design file (schema 1) as `smp render`
-- reads it, drawn on one of the client's photos.
CREATE TABLE designs (
    id TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    photo_id TEXT NOT NULL REFERENCES photos(id),
    version BIGINT NOT NULL,
    design_toml TEXT NOT NULL,
    staff_id TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    UNIQUE (client_id, version)
);
CREATE INDEX designs_by_client ON designs (studio_id, client_id, version);
