-- A login whose password was right, waiting for the second factor: the challenge token is
-- stored only as its SHA-256; it dies after five minutes or five wrong codes, and with a
-- password change (the hash it was verified against no longer matches).
CREATE TABLE login_challenges (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    user_agent TEXT NOT NULL DEFAULT '',
    expires_at_ms INTEGER NOT NULL,
    wrong_codes INTEGER NOT NULL DEFAULT 0
);
