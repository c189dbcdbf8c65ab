-- A studio may let clients sign the consent at home, through the
-- pre-visit link (off unless an admin switches it on); such a signature is
-- marked as made at home, with the staff member who made the link.
ALTER TABLE studios ADD COLUMN consent_at_home INTEGER NOT NULL DEFAULT 0;
ALTER TABLE consents ADD COLUMN at_home INTEGER NOT NULL DEFAULT 0;
