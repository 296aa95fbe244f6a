-- The embedded event bus and rate limiter, used when no Redis is configured.

-- One row per (recipient, event). AUTOINCREMENT: ids are never reused, even after the
-- newest rows are trimmed, so a cursor always means the same place.
CREATE TABLE inbox_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
