-- The portfolio: a client's separate, optional consent to the studio
-- showing their photos (never implied by the treatment consent), signed
-- with the text as read, revocable at any time; and the before/healed
-- pairs the studio shows under it. Revoking removes the client's pairs in
-- the same transaction, and every gallery query joins the live consent.
CREATE TABLE portfolio_consents (
    id TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    text_body TEXT NOT NULL,
    faces_allowed INTEGER NOT NULL,
    signed_name TEXT NOT NULL,
    signature_png BLOB NOT NULL,
    staff_id TEXT NOT NULL REFERENCES users(id),
    signed_at INTEGER NOT NULL,
    revoked_at INTEGER,
    revoked_by TEXT REFERENCES users(id),
    superseded_by TEXT
);
CREATE INDEX portfolio_consents_client ON portfolio_consents (client_id, signed_at);

-- Face lines are thousandths of the photo's height: below it the face is
-- blurred unless the consent allows faces.
CREATE TABLE gallery_pairs (
    id TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    before_photo TEXT NOT NULL REFERENCES photos(id),
    healed_photo TEXT NOT NULL REFERENCES photos(id),
    before_face_line INTEGER NOT NULL,
    healed_face_line INTEGER NOT NULL,
    caption TEXT NOT NULL,
    staff_id TEXT NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX gallery_pairs_studio ON gallery_pairs (studio_id, created_at);

-- The public gallery's address, when the studio has switched it on.
ALTER TABLE studios ADD COLUMN public_gallery TEXT;
