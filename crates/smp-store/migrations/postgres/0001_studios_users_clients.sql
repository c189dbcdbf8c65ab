-- Studios (tenants), staff, clients. Times are unix milliseconds; ids are text.
CREATE TABLE studios (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'practitioner', 'front-desk')),
    password_hash TEXT NOT NULL,
    must_change_password BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    studio_id TEXT NOT NULL REFERENCES studios(id),
    full_name TEXT NOT NULL,
    birth_date TEXT,
    email TEXT,
    phone TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX clients_by_studio_name ON clients (studio_id, full_name);
