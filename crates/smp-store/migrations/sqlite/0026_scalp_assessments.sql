-- The practitioner's assessment of the client's scalp at a consultation:
-- the pattern of loss, scars, condition, sensitivity, active conditions
-- and notes, as one document (smp_clinic::assessment::ScalpAssessment in
-- JSON). Every assessment is kept, with who made it and when; erased with
-- the client's record.
CREATE TABLE scalp_assessments (
    id TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    staff_id TEXT NOT NULL REFERENCES users(id),
    assessment_json TEXT NOT NULL,
    assessed_at INTEGER NOT NULL
);
CREATE INDEX scalp_assessments_by_client ON scalp_assessments (studio_id, client_id, assessed_at);
