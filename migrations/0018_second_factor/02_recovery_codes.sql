-- Single-use recovery codes, for a lost authenticator: stored only as their SHA-256 (each
-- has 50 random bits; a copy of the database holds no usable code), deleted when used.
CREATE TABLE recovery_codes (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);
