-- The embedded inbox refuses a second copy of one event for one recipient.
ALTER TABLE inbox_events ADD COLUMN event_key TEXT;
