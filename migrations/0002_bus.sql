-- The embedded event bus and rate limiter, used when no Redis is configured.

-- One row per (recipient, event). AUTOINCREMENT: ids are never reused, even after the
-- newest rows are trimmed, so a cursor always means the same place.
CREATE TABLE inbox_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX inbox_events_by_user ON inbox_events (user_id, id);

-- The highest id ever trimmed from each inbox: a cursor below it has missed events.
CREATE TABLE inbox_trims (
    user_id TEXT PRIMARY KEY,
    max_trimmed_id INTEGER NOT NULL
) WITHOUT ROWID;

-- Token buckets. `last_granted` carries the outcome of the last acquire out of the
-- UPSERT that decides it (RETURNING sees only the new row).
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    tokens REAL NOT NULL,
    updated_ms INTEGER NOT NULL,
    last_granted INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX rate_limits_by_age ON rate_limits (updated_ms);
