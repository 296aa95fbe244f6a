CREATE INDEX reports_by_conversation ON reports (conversation_id, created_at_ms);
