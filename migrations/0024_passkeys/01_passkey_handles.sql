-- The WebAuthn user handle of an account (64 random bytes): what its passkeys name it by,
-- never the username, which can change and would tell an authenticator's owner too much.
CREATE TABLE passkey_handles (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    handle BLOB NOT NULL UNIQUE
);
