-- Consent texts are versioned per studio; a signed consent records the
-- version, the typed name, the drawn signature, the time and the staff
-- member. Neither can be changed or deleted afterwards: a new signature
-- supersedes the old one, and superseding is the only update allowed.
CREATE TABLE consent_texts (
    id TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    staff_id TEXT REFERENCES users(id),
    created_at INTEGER NOT NULL,
    UNIQUE (studio_id, version)
);

CREATE TABLE consents (
    id TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    text_id TEXT NOT NULL REFERENCES consent_texts(id),
    signed_name TEXT NOT NULL,
    signature_png BLOB NOT NULL,
    staff_id TEXT NOT NULL REFERENCES users(id),
    signed_at INTEGER NOT NULL,
    superseded_by TEXT REFERENCES consents(id)
);
CREATE INDEX consents_by_client ON consents (studio_id, client_id, signed_at);

CREATE TRIGGER consent_texts_are_immutable BEFORE UPDATE ON consent_texts
BEGIN SELECT RAISE(ABORT, 'a published consent text cannot be changed, only followed by a new version'); END;
CREATE TRIGGER consent_texts_are_kept BEFORE DELETE ON consent_texts
BEGIN SELECT RAISE(ABORT, 'a published consent text cannot be deleted'); END;

CREATE TRIGGER consents_are_immutable BEFORE UPDATE ON consents
WHEN NOT (OLD.superseded_by IS NULL AND NEW.superseded_by IS NOT NULL
    AND NEW.id IS OLD.id AND NEW.studio_id IS OLD.studio_id AND NEW.client_id IS OLD.client_id
    AND NEW.text_id IS OLD.text_id AND NEW.signed_name IS OLD.signed_name
    AND NEW.signature_png IS OLD.signature_png AND NEW.staff_id IS OLD.staff_id
    AND NEW.signed_at IS OLD.signed_at)
BEGIN SELECT RAISE(ABORT, 'a signed consent cannot be changed, only superseded'); END;
CREATE TRIGGER consents_are_kept BEFORE DELETE ON consents
BEGIN SELECT RAISE(ABORT, 'a signed consent cannot be deleted'); END;

-- Photos: the files live in the photo store under their id; the row says
-- whose they are and which angle they show.
CREATE TABLE photos (
    id TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    angle TEXT NOT NULL CHECK (angle IN ('front', 'left', 'right', 'top', 'crown', 'back')),
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    staff_id TEXT NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX photos_by_client ON photos (studio_id, client_id, created_at);
