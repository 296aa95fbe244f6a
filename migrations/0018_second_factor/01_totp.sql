-- A user's authenticator (TOTP, RFC 6238): its shared secret (base32, as the app was given
-- it), when it was confirmed (NULL while being set up: it is not asked at login then), and
-- the newest time step a code was accepted for, so a code is good once.
CREATE TABLE totp (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    confirmed_at_ms INTEGER,
    last_step INTEGER NOT NULL DEFAULT 0
);
