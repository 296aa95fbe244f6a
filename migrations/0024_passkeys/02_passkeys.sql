-- A user's passkeys: the credential's id and public key as the registration verified them
-- (webauthn_rp's encodings), and the state each sign-in updates (its signature counter,
-- whether it is backed up).
CREATE TABLE passkeys (
    id TEXT PRIMARY KEY,
    credential_id BLOB NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    static_state BLOB NOT NULL,
    dynamic_state BLOB NOT NULL,
    created_at_ms INTEGER NOT NULL,
    last_used_at_ms INTEGER
);
