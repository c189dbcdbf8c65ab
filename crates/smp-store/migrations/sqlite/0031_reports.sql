-- Consultation reports: the PDF made from a design version, kept as made
-- (a new one for every making), for the chart and the client.
CREATE TABLE reports (
    id TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    design_id TEXT NOT NULL REFERENCES designs(id),
    staff_id TEXT NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    pdf BLOB NOT NULL
);
CREATE INDEX reports_design ON reports (design_id, created_at);
