CREATE INDEX sessions_by_user ON sessions (user_id, last_seen_at_ms);
