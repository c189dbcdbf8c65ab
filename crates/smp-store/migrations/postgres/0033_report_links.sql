-- A consultation report shared with the client: a link to download it
-- (only the token's SHA-256 is kept), valid for some weeks, as often as
-- the client likes (with a partner, say); when it was last opened is
-- shown on the chart. And the paper the studio's reports are set on.
CREATE TABLE report_links (
    token_digest TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    report_id TEXT NOT NULL REFERENCES reports(id),
    staff_id TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    opened_at BIGINT
);
CREATE INDEX report_links_report ON report_links (report_id, created_at);

ALTER TABLE studios ADD COLUMN report_paper TEXT NOT NULL DEFAULT 'a4';
