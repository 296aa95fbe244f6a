-- Accounts and sessions.

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    -- Stored lower-case (validated), so plain UNIQUE is unique case-insensitively.
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    -- display_name case-folded (Rust's Unicode lower-casing), for prefix search.
    display_name_key TEXT NOT NULL,
    status_message TEXT NOT NULL DEFAULT '',
    presence TEXT NOT NULL DEFAULT 'online'
        CHECK (presence IN ('online', 'away', 'busy', 'invisible')),
    -- Argon2id PHC string: algorithm, cost and salt travel with the hash.
    password_hash TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);

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
CREATE INDEX sessions_by_user ON sessions (user_id, last_seen_at_ms);
