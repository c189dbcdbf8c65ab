-- A login session handed to a client (for the consent): the client whose
-- consent the tablet shows; nothing else opens until staff re-enter their
-- password.
ALTER TABLE sessions ADD COLUMN client_mode_for TEXT;
