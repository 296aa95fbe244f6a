-- A message's attachments, read with every message.
CREATE INDEX attachments_by_message ON attachments (message_id) WHERE message_id IS NOT NULL;
