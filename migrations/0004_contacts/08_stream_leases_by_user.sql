CREATE INDEX stream_leases_by_user ON stream_leases (user_id, expires_at_ms);
