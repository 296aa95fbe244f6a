-- Named tokens a user mints for scripts and bots: Bearer tokens like a session's, shown
-- once and stored only as their SHA-256, that never idle out (a script may run once a
-- month) but expire, are listed by name, and are revoked one by one.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at_ms INTEGER NOT NULL,
    last_used_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
