-- chat:no-transaction
-- Write-ahead logging lets readers and one writer work at once; without it concurrent
-- writers see "database is locked". The mode is stored in the file, so this runs once.
PRAGMA journal_mode = WAL;
