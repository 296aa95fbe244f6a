CREATE INDEX security_events_by_user ON security_events (user_id, id);
