CREATE INDEX rate_limits_by_age ON rate_limits (updated_ms);
