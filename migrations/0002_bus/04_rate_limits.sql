-- Token buckets. `last_granted` carries the outcome of the last acquire out of the
-- UPSERT that decides it (RETURNING sees only the new row).
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    tokens REAL NOT NULL,
    updated_ms INTEGER NOT NULL,
    last_granted INTEGER NOT NULL
) WITHOUT ROWID;
