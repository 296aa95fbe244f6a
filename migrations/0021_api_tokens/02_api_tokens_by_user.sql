CREATE INDEX api_tokens_by_user ON api_tokens (user_id, created_at_ms);
