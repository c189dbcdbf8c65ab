-- A staff member's private calendar subscription: the SHA-256 of a random
-- token (the address holds the token itself), one per person, revocable.
CREATE TABLE calendar_feeds (
    token_digest TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    user_id TEXT NOT NULL UNIQUE REFERENCES users(id),
    created_at BIGINT NOT NULL
);
