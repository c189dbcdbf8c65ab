-- The client's one-click unsubscribe address, kept with each message that
-- carries it, for the List-Unsubscribe header (RFC 8058) mail clients show
-- as a button.
ALTER TABLE outbox ADD COLUMN unsubscribe_url TEXT;
