-- One person's storage, for the quota.
CREATE INDEX attachments_by_uploader ON attachments (uploader_id, created_at_ms);
