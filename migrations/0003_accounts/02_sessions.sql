-- A session is revoked by deleting its row. The token itself is never stored: only its
-- SHA-256, which is what a request's token is looked up by.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at_ms INTEGER NOT NULL,
    last_seen_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    user_agent TEXT NOT NULL DEFAULT ''
);
