-- Prefix search on usernames uses the UNIQUE index; display names get one of their own.
CREATE INDEX users_by_display_name_key ON users (display_name_key);
