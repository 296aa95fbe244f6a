CREATE UNIQUE INDEX inbox_events_once ON inbox_events (event_key, user_id)
    WHERE event_key IS NOT NULL;
