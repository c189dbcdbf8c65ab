-- E-mail to clients. A studio's settings (an SMTP server of its own, or
-- the server's default when smtp_url is NULL), the message texts admins
-- edited (the rest are the app's defaults), each client's contact
-- preference with the token of their one-click unsubscribe link (kept as
-- is: every message carries it, and it only stops optional messages), and the
-- outbox: every message as a row, written in the same transaction as the
-- change that causes it, claimed by one sender, sent once.
CREATE TABLE mail_settings (
    studio_id TEXT PRIMARY KEY REFERENCES studios(id),
    smtp_url TEXT,
    from_address TEXT NOT NULL,
    reply_to TEXT,
    reminder_hours INTEGER NOT NULL,
    enabled INTEGER NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE message_texts (
    studio_id TEXT NOT NULL REFERENCES studios(id),
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (studio_id, kind)
);

CREATE TABLE contact_preferences (
    client_id TEXT PRIMARY KEY REFERENCES clients(id),
    studio_id TEXT NOT NULL REFERENCES studios(id),
    unsubscribe_token TEXT NOT NULL UNIQUE,
    unsubscribed_at BIGINT
);

-- state: pending, sending (claimed until claimed_until), sent, failed,
-- withdrawn (its cause went: a session moved or cancelled).
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    client_id TEXT REFERENCES clients(id),
    kind TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_try_at BIGINT NOT NULL,
    last_error TEXT,
    claimed_by TEXT,
    claimed_until BIGINT,
    sent_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, next_try_at);
CREATE INDEX outbox_client ON outbox (client_id, created_at);
CREATE INDEX outbox_key ON outbox (studio_id, dedupe_key);
