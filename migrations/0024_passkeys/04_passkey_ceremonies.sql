-- The server half of a ceremony in flight, by its challenge, until it is finished (taken
-- once) or expires: any instance or process can finish what another started.
CREATE TABLE passkey_ceremonies (
    challenge TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('register', 'login')),
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    state BLOB NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
