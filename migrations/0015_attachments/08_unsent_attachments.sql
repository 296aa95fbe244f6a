-- ...and uploads no message carried within the hour.
CREATE INDEX attachments_unsent ON attachments (created_at_ms) WHERE message_id IS NULL;
