-- Indexes the messages sent before search existed (a tombstone's empty body adds nothing).
INSERT INTO messages_search (messages_search) VALUES ('rebuild');
