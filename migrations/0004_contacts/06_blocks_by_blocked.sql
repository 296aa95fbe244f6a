CREATE INDEX blocks_by_blocked ON blocks (blocked_id);
