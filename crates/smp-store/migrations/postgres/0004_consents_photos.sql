-- Consent texts are versioned per studio; a signed consent records the
-- version, the typed name, the drawn signature, the time and the staff
-- member. Neither can be changed or deleted afterwards: a new signature
-- supersedes the old one, and superseding is the only update allowed.
CREATE TABLE consent_texts (
    id TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    staff_id TEXT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    UNIQUE (studio_id, version)
);

CREATE TABLE consents (
    id TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    text_id TEXT NOT NULL REFERENCES consent_texts(id),
    signed_name TEXT NOT NULL,
    signature_png BYTEA NOT NULL,
    staff_id TEXT NOT NULL REFERENCES users(id),
    signed_at BIGINT NOT NULL,
    superseded_by TEXT REFERENCES consents(id)
);
CREATE INDEX consents_by_client ON consents (studio_id, client_id, signed_at);

CREATE FUNCTION smp_consent_text_guard() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'a published consent text cannot be changed or deleted, only followed by a new version';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER consent_texts_are_immutable BEFORE UPDATE OR DELETE ON consent_texts
    FOR EACH ROW EXECUTE FUNCTION smp_consent_text_guard();

CREATE FUNCTION smp_consent_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.superseded_by IS NULL AND NEW.superseded_by IS NOT NULL
        AND (NEW.id, NEW.studio_id, NEW.client_id, NEW.text_id, NEW.signed_name, NEW.signature_png,
             NEW.staff_id, NEW.signed_at)
            IS NOT DISTINCT FROM
            (OLD.id, OLD.studio_id, OLD.client_id, OLD.text_id, OLD.signed_name, OLD.signature_png,
             OLD.staff_id, OLD.signed_at)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'a signed consent cannot be changed or deleted, only superseded';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER consents_are_immutable BEFORE UPDATE OR DELETE ON consents
    FOR EACH ROW EXECUTE FUNCTION smp_consent_guard();

-- Photos: the files live in the photo store under their id; the row says
-- whose they are and which angle they show.
CREATE TABLE photos (
    id TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    angle TEXT NOT NULL CHECK (angle IN ('front', 'left', 'right', 'top', 'crown', 'back')),
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    staff_id TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX photos_by_client ON photos (studio_id, client_id, created_at);
