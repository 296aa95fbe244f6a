-- A room's topic: one line its members set, shown under its name and in the directory.
ALTER TABLE conversations ADD COLUMN topic TEXT;
