-- A studio's price list (money in integer minor units, tax in basis
-- points) and the quotes made from design versions: each immutable, with
-- the deposit taken against it recorded once.
CREATE TABLE price_lists (
    studio_id TEXT PRIMARY KEY REFERENCES studios(id),
    currency TEXT NOT NULL,
    tax_basis_points INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE prices (
    studio_id TEXT NOT NULL REFERENCES studios(id),
    treatment TEXT NOT NULL,
    basis TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    per_cm2_minor INTEGER,
    base_cm2 REAL,
    PRIMARY KEY (studio_id, treatment)
);

CREATE TABLE quotes (
    id TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    design_id TEXT NOT NULL REFERENCES designs(id),
    treatment TEXT NOT NULL,
    area_cm2 REAL NOT NULL,
    sessions INTEGER NOT NULL,
    currency TEXT NOT NULL,
    net_minor INTEGER NOT NULL,
    tax_minor INTEGER NOT NULL,
    total_minor INTEGER NOT NULL,
    valid_until TEXT NOT NULL,
    staff_id TEXT NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    deposit_minor INTEGER,
    deposit_at INTEGER
);
CREATE INDEX quotes_design ON quotes (design_id, created_at);
