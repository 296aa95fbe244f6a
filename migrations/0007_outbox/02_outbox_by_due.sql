CREATE INDEX outbox_by_due ON outbox (due_at_ms);
