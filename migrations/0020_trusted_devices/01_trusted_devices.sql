-- Browsers and clients that signed in to an account before: each got a long-lived random
-- device token (a cookie), stored only as its SHA-256. It signs nobody in; it lets its
-- holder's logins to that account draw on a share of the password-hash budget reserved for
-- them and skip the account-wide failure bucket, so guesses from elsewhere can neither
-- starve nor lock out the owner (OWASP's device cookies). A user keeps the newest 20.
CREATE TABLE trusted_devices (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at_ms INTEGER NOT NULL
);
