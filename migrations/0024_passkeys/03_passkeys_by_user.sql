CREATE INDEX passkeys_by_user ON passkeys (user_id, created_at_ms);
