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
