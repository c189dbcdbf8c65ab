-- Pre-visit forms: a link a client opens at home to answer the health
-- questions before the first visit. Only the token's SHA-256 is kept; a
-- link lasts 14 days and is spent by its one submission, which becomes a
-- screening marked as the client's own.
CREATE TABLE previsit_links (
    token_digest TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    staff_id TEXT NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    submitted_at INTEGER
);
CREATE INDEX previsit_links_client ON previsit_links (client_id, created_at);

ALTER TABLE screenings ADD COLUMN submitted_by_client INTEGER NOT NULL DEFAULT 0;
