-- The client's head, measured with a tape at the consultation: around
-- through the brows and the ear tops, ear to ear over the top, and from
-- the brows over the top to the back of the tape line (mm). Every
-- measuring is kept; the latest is the one designs use.
CREATE TABLE head_measurements (
    id TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    staff_id TEXT NOT NULL REFERENCES users(id),
    circumference_mm DOUBLE PRECISION NOT NULL,
    ear_to_ear_mm DOUBLE PRECISION NOT NULL,
    front_to_back_mm DOUBLE PRECISION NOT NULL,
    measured_at BIGINT NOT NULL
);
CREATE INDEX head_measurements_by_client ON head_measurements (studio_id, client_id, measured_at);
