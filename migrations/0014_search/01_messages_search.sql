-- Full-text search over what messages say: an FTS5 index whose content is the messages
-- table itself (nothing is stored twice; snippets are cut from `messages.body`), keyed by
-- the message row's rowid. Diacritics fold, so "cafe" finds "café".
CREATE VIRTUAL TABLE messages_search USING fts5(
    body,
    content = 'messages',
    tokenize = 'unicode61 remove_diacritics 2'
);
