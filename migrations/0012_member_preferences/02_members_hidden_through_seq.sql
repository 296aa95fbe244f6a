-- A direct conversation one member hid: left out of their list until a message newer than
-- this seq arrives (NULL: shown).
ALTER TABLE members ADD COLUMN hidden_through_seq INTEGER;
