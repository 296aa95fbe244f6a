CREATE INDEX inbox_events_by_user ON inbox_events (user_id, id);
