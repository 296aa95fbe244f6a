-- A private room's name, chosen by its members (public rooms are called by `name`):
-- without it two private rooms could not be told apart.
ALTER TABLE conversations ADD COLUMN title TEXT;
