-- Session tokens are kept as their SHA-256 from now on: the sessions stored
-- as plain tokens end (their users log in again).
DELETE FROM sessions;
