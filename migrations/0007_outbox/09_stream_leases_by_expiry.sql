-- Lapsed stream leases are found by expiry (events/leases.rs sweeps them).
CREATE INDEX stream_leases_by_expiry ON stream_leases (expires_at_ms);
