CREATE INDEX trusted_devices_by_user ON trusted_devices (user_id, created_at_ms);
